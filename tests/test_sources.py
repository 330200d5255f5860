"""Tests for qa.sources: file shapes, metadata, malformed input, duplicates."""

from __future__ import annotations

import json
import random
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.errors import ArticleFileError
from qa.sources import SourceFile, content_hash, dedupe, expand_paths, read_file, read_sources
from qa.sources.common import in_site_time

DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEED = SHARED / "seeds" / "000_e09ed9bce8e7f6d7.txt"
WORDPRESS = SHARED / "fixtures" / "wordpress"
CORPUS = SHARED / "data" / "multihop-rag" / "corpus.json"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared material not found at {SHARED}")


def squash(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return "".join(text.split()).replace("\u200b", "").replace("\ufeff", "")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- the seed -------------------------------------------------------------------------------


@needs_shared
def test_seed_parses_to_the_korea_pro_post() -> None:
    source = read_file(SEED)
    assert isinstance(source, SourceFile)
    [article] = source.articles
    assert article.id == "2206214"
    assert article.title == "ROK-Shandong meeting signals Seoul\u2019s intent to improve ties with China"
    assert article.url == (
        "https://koreapro.org/2024/08/rok-shandong-meeting-signals-seouls-intent-to-improve-ties-with-china/"
    )
    assert article.published == utc(2024, 8, 20, 23, 0, 29)
    assert article.modified == utc(2024, 8, 20, 6, 38, 17)
    assert article.source == "koreapro.org"
    assert article.source_file == str(SEED)
    assert article.content_hash == content_hash(article.title, article.text)


@needs_shared
def test_seed_text_is_clean() -> None:
    [article] = read_file(SEED).articles
    text = article.text
    for debris in ("<", ">", "\\/", "\\n", "/span", "/p>", "  ", "\n\n\n"):
        assert debris not in text
    assert text == text.strip()
    assert (
        "held the Seventh ROK-Shandong Economic and Trade Cooperation Exchange Meeting in Jinan City" in text
    )
    assert "20 memorandums of understanding" in text
    paragraphs = text.split("\n\n")
    assert "WHY IT MATTERS" in paragraphs
    assert len(paragraphs) == 6
    assert all(p == p.strip() and "\n" not in p for p in paragraphs)


@needs_shared
def test_seed_is_partial_with_a_problem() -> None:
    source = read_file(SEED)
    assert source.articles[0].partial is True
    [problem] = source.problems
    assert problem.file == str(SEED)
    assert problem.article_id == "2206214"
    assert "truncated" in problem.reason and "partial" in problem.reason


# --- WordPress ------------------------------------------------------------------------------


def test_wordpress_single_post_with_embedded() -> None:
    source = read_file(DATA / "wordpress" / "post-101.json")
    assert source.problems == ()
    [article] = source.articles
    assert article.id == "101"
    assert article.title == "Fire & Ice: Seoul\u2019s plan"
    assert article.text == "First paragraph with a link.\n\nSecond & last."
    assert article.url == "https://site.example/fire-ice/"
    assert article.published == utc(2024, 1, 2)
    assert article.modified == utc(2024, 1, 3)
    assert article.authors == ("Kim Min-ji",)
    assert article.categories == ("Politics", "Seoul")
    assert article.source == "site.example"
    assert article.partial is False


def test_wordpress_list_page_and_empty_title_fallback() -> None:
    source = read_file(DATA / "wordpress" / "page-1.json")
    assert [a.id for a in source.articles] == ["101", "102"]
    second = source.articles[1]
    assert second.title == "Rising tides"
    assert [(p.article_id, p.reason) for p in source.problems] == [("102", "empty title; used the slug")]


@needs_shared
@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("frontity-demo/post-60.json", 1),
        ("frontity-demo/posts-from-category-7.json", 5),
        ("frontity-demo/posts-from-category-7-page-2.json", 5),
        ("wp-api-demo/post-448.json", 1),
        ("wp-api-demo/posts.json", 10),
    ],
)
def test_shared_wordpress_fixtures(name: str, count: int) -> None:
    source = read_file(WORDPRESS / name)
    assert len(source.articles) == count
    for article in source.articles:
        assert article.title and article.text
        assert "<" not in article.title and "&#" not in article.title
        assert article.url and article.url.startswith("https://") and "\\/" not in article.url
        assert article.published is not None and article.published.tzinfo is not None


@needs_shared
def test_frontity_embedded_names_and_entities() -> None:
    [post] = read_file(WORDPRESS / "frontity-demo" / "post-60.json").articles
    assert post.authors == ("Alan Martin",)
    assert post.categories == ("Photography", "Travel", "Gullfoss", "Iceland", "Nature", "Waterfall")
    titles = [
        a.title for a in read_file(WORDPRESS / "frontity-demo" / "posts-from-category-7-page-2.json").articles
    ]
    assert "Switzerland\u2019s Mountains" in titles
    assert "The Land of Fire & Ice" in titles


@needs_shared
def test_wp_api_demo_empty_titles_are_reported() -> None:
    source = read_file(WORDPRESS / "wp-api-demo" / "posts.json")
    fallbacks = [p for p in source.problems if "empty title" in p.reason]
    assert len(fallbacks) == 8
    assert all(p.article_id for p in fallbacks)


# --- flat JSON ------------------------------------------------------------------------------


def test_flat_json_fields() -> None:
    source = read_file(DATA / "flat" / "articles.json")
    assert source.problems == ()
    budget, storm, lines = source.articles
    assert budget.title == "Council approves budget"
    assert budget.published == utc(2023, 11, 27, 8, 45, 59)
    assert budget.authors == ("Jane Roe",)
    assert budget.source == "The Daily Example"
    assert budget.categories == ("politics",)
    assert budget.text.split("\n\n")[-1] == "Critics said 3 < 5 is not a plan & the mayor disagreed."
    assert storm.title == "Storm closes schools"
    assert storm.authors == ()
    assert storm.published == utc(2023, 11, 28, 9)
    assert storm.text == "Schools closed as the storm arrived.\n\nThey reopen on Friday."
    assert storm.source == "weather.example.org"
    assert storm.categories == ("weather", "schools")
    assert lines.text == "First line is a paragraph.\n\nSecond line is another."
    assert lines.published == utc(2023, 12, 1, 10)
    assert lines.url is None and len(lines.id) == 16


def test_ids_are_stable_hashes_without_a_wordpress_id() -> None:
    first = read_file(DATA / "flat" / "articles.json").articles
    second = read_file(DATA / "flat" / "articles.json").articles
    assert [a.id for a in first] == [a.id for a in second]
    assert len({a.id for a in first}) == 3


@needs_shared
def test_multihop_corpus() -> None:
    source = read_file(CORPUS)
    raw = json.loads(CORPUS.read_text(encoding="utf-8"))
    assert len(source.articles) == len(raw) == 609
    assert source.problems == ()
    first = source.articles[0]
    assert first.title == raw[0]["title"]
    assert first.published == utc(2023, 11, 27, 8, 45, 59)
    assert first.source == raw[0]["source"]
    for article, record in zip(source.articles, raw, strict=True):
        assert "None" not in article.authors
        # only whitespace, zero-width characters and Unicode composition may change
        assert squash(article.text) == squash(record["body"])


def test_content_hash() -> None:
    import hashlib

    assert content_hash("T", "body") == hashlib.sha256(b"T\n\nbody").hexdigest()


# --- paths ------------------------------------------------------------------------------------


def test_expand_paths_directories_globs_and_skips(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in (
        "b.json",
        "a.jsonl",
        "sub/c.html",
        "sub/d.md",
        "LICENSE.txt",
        "README.md",
        ".x.json",
        ".hidden/e.json",
        "image.png",
    ):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    found = expand_paths([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a.jsonl",
        "b.json",
        "sub/c.html",
        "sub/d.md",
    ]
    assert expand_paths([tmp_path / "*.json", tmp_path / "b.json"]) == [tmp_path / "b.json"]
    assert expand_paths([str(tmp_path / "**" / "*.md")]) == [tmp_path / "sub" / "d.md"]
    assert expand_paths([tmp_path / "image.png"]) == [tmp_path / "image.png"]


def test_expand_paths_missing_path_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(ArticleFileError, match="nope.json"):
        expand_paths([missing])
    with pytest.raises(ArticleFileError, match=r"\*\.zzz"):
        expand_paths([tmp_path / "*.zzz"])


def test_read_sources_streams_one_per_file() -> None:
    sources = list(read_sources([DATA / "wordpress"]))
    assert [Path(s.path).name for s in sources] == ["page-1.json", "post-101.json"]


def test_dedupe_keeps_newest_and_reports() -> None:
    articles, problems = dedupe(read_sources([DATA / "wordpress"]))
    assert sorted(a.id for a in articles) == ["101", "102"]
    assert any(p.article_id == "101" and "duplicate id" in p.reason for p in problems)


# --- pages, text, Markdown -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "title", "text"),
    [
        (
            "saved-article.html",
            "Harbour bridge reopens after repairs",
            "The harbour bridge reopened to traffic on Tuesday after eight months of repairs"
            " costing \u20ac12 million."
            "\n\nCars cross the harbour bridge on Tuesday morning, the first day after the repairs."
            "\n\nDelays expected"
            "\n\nEngineers warned of short delays while the final lane markings are painted.",
        ),
        (
            "notes.txt",
            "Port strike ends after three days",
            "Dock workers returned to work on Thursday after the union accepted a 6 percent pay rise"
            " over two years."
            "\n\nShipping lines said backlogs would clear by the weekend.",
        ),
    ],
)
def test_page_and_text_file_title_and_paragraphs(name: str, title: str, text: str) -> None:
    source = read_file(DATA / "pages" / name)
    assert source.problems == ()
    [article] = source.articles
    assert (article.title, article.text) == (title, text)


def test_saved_html_page_metadata() -> None:
    [page] = read_file(DATA / "pages" / "saved-article.html").articles
    assert page.url == "https://www.coastaltimes.example/news/2024/03/harbour-bridge-reopens"
    assert page.published == utc(2024, 3, 5, 6, 30)
    assert page.modified == utc(2024, 3, 5, 8)
    assert page.authors == ("Ana Lopez",)
    assert page.categories == ("Local", "Transport")
    assert page.source == "Coastal Times"
    assert page.language == "en-GB"


def test_markdown_with_front_matter() -> None:
    [brief] = read_file(DATA / "pages" / "briefing.md").articles
    assert brief.title == "Morning briefing: rates held"
    assert brief.published == utc(2024, 2, 1, 6)
    assert brief.url == "https://briefing.example.com/2024/02/01/rates"
    assert brief.authors == ("Sam Lee",)
    assert brief.categories == ("economy", "rates")
    assert "The central bank held interest rates at 4 percent, as analysts expected." in brief.text
    assert "Inflation fell to 2.9 percent.\n\nUnemployment was unchanged." in brief.text
    assert "![" not in brief.text and "](" not in brief.text and "**" not in brief.text


def test_jsonl_and_wordpress_pages_in_a_folder(tmp_path: Path) -> None:
    posts = json.loads((DATA / "wordpress" / "page-1.json").read_text(encoding="utf-8"))
    (tmp_path / "posts.jsonl").write_text("\n".join(json.dumps(p) for p in posts) + "\n", encoding="utf-8")
    (tmp_path / "page-2.json").write_text(json.dumps([{**posts[0], "id": 103}]), encoding="utf-8")
    sources = list(read_sources([tmp_path]))
    assert [[a.id for a in s.articles] for s in sources] == [["103"], ["101", "102"]]


# --- malformed input ------------------------------------------------------------------------

MALFORMED = DATA / "malformed"


def reasons(source: SourceFile) -> list[str]:
    return [p.reason for p in source.problems]


def test_raw_control_characters_inside_strings() -> None:
    source = read_file(MALFORMED / "control-chars.json")
    assert source.problems == ()
    [post] = source.articles
    assert post.title == "Quake shakes coast"
    assert post.text == "A magnitude 5.1 quake shook the coast.\n\nNo damage was reported."
    assert post.url == "https://news.example.net/quake/"


def test_truncated_list_keeps_complete_items_and_paragraphs() -> None:
    source = read_file(MALFORMED / "truncated-list.json")
    first, second = source.articles
    assert not first.partial and first.text == "Stocks rose sharply on Monday.\n\nBond yields fell."
    assert second.partial and second.title == "Election results delayed"
    assert second.url == "https://fin.example.com/election" and second.published == utc(2024, 1, 2)
    assert (
        second.text
        == "Counting continued overnight in three districts.\n\nOfficials expect final results on Friday."
    )
    [problem] = source.problems
    assert problem.article_id == second.id and "truncated" in problem.reason


def test_truncated_inside_a_title_skips_that_item() -> None:
    source = read_file(MALFORMED / "truncated-in-title.json")
    assert [a.title for a in source.articles] == ["Markets rally"]
    assert reasons(source) == ["item 1: cut off by the truncation before its text; skipped"]


def test_truncated_number_is_not_kept() -> None:
    [post] = read_file(MALFORMED / "truncated-number.json").articles
    assert post.partial and post.id == "2024" and post.text == "Body text here."


def test_truncated_jsonl_last_line() -> None:
    source = read_file(MALFORMED / "truncated.jsonl")
    assert [a.partial for a in source.articles] == [False, False, True]
    assert source.articles[2].text == "One."


def test_repaired_json_is_reported() -> None:
    source = read_file(MALFORMED / "broken-middle.jsonl")
    assert [a.title for a in source.articles] == [
        "Markets rally",
        "Single quotes",
        "Election results delayed",
    ]
    assert len(source.problems) == 1 and source.problems[0].reason.startswith("line 2: malformed JSON")
    source = read_file(MALFORMED / "trailing-comma.json")
    assert [a.title for a in source.articles] == ["Trailing"]
    assert "repaired" in reasons(source)[0]
    source = read_file(MALFORMED / "extra-data.json")
    assert [a.title for a in source.articles] == ["Markets rally"] and "extra data" in reasons(source)[0]


def test_byte_order_mark_and_invalid_utf8() -> None:
    assert read_file(MALFORMED / "bom.json").articles[0].title == "Markets rally"
    assert read_file(MALFORMED / "bom.json").problems == ()
    source = read_file(MALFORMED / "invalid-utf8.json")
    assert source.articles[0].title == "Caf\u00e9 owners protest"
    assert "\ufffd" in source.articles[0].text
    assert reasons(source) == ["invalid UTF-8 bytes (first at byte 71) replaced with U+FFFD"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.json", "empty file; skipped"),
        ("whitespace.jsonl", "empty file; skipped"),
        (
            "wrong-shape.json",
            "the JSON value is a JSON number, not an article or a list of articles; skipped",
        ),
        (
            "not-json.json",
            "not valid JSON (Expecting value at line 1 column 1) and nothing recoverable; skipped",
        ),
        (
            "wp-error.json",
            "the JSON value is a WordPress error response (rest_post_invalid_id: Invalid post ID.), "
            "not an article or a list of articles; skipped",
        ),
    ],
)
def test_unreadable_files_give_one_problem(name: str, reason: str) -> None:
    source = read_file(MALFORMED / name)
    assert source.articles == ()
    assert [(p.file, p.reason) for p in source.problems] == [(str(MALFORMED / name), reason)]


def test_wrong_items_are_reported_one_by_one() -> None:
    source = read_file(MALFORMED / "wrong-items.json")
    assert [a.title for a in source.articles] == ["Markets rally"]
    assert reasons(source) == [
        "item 1 is a JSON number, not an article object; skipped",
        "item 2 is a JSON string, not an article object; skipped",
        "item 3: an object without article fields (keys: foo); skipped",
        "item 4 is null, not an article object; skipped",
    ]


def test_a_bad_file_never_stops_the_batch() -> None:
    sources = list(read_sources([MALFORMED]))
    assert len(sources) == len([p for p in MALFORMED.iterdir() if not p.name.startswith(".")])
    articles, problems = dedupe(sources)
    assert articles and problems
    assert all(p.file.startswith(str(MALFORMED)) for p in problems)


def test_unreadable_path_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    source = read_file(tmp_path)  # a directory
    assert source.articles == () and "cannot read" in source.problems[0].reason


def test_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"title": "x", "body": "y" * 2000}), encoding="utf-8")
    source = read_file(path, max_file_bytes=1000)
    assert source.articles == ()
    assert "over the 1,000-byte cap" in source.problems[0].reason
    with pytest.raises(ValueError):
        read_file(path, max_file_bytes=0)


_LIMIT_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
from qa.sources import read_file
path, kind = Path(sys.argv[1]), sys.argv[2]
if kind == "big":
    with path.open("w") as handle:
        handle.write('[' + ','.join([json.dumps({"title": "t", "body": "x" * 1000})] * 52_000) + ']')
elif kind == "deep-array":
    path.write_text("[" * 100_000 + "]" * 100_000)
elif kind == "deep-object-truncated":
    path.write_text('{"a":' * 100_000)
elif kind == "deep-html":
    path.write_text("<html><body>" + "<div>" * 100_000 + "<p>deep</p>" + "</div>" * 100_000)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
source = read_file(path)
seconds = time.perf_counter() - start
grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"seconds": seconds, "grown_mb": grown_mb, "articles": len(source.articles),
                  "reasons": [p.reason for p in source.problems]}))
"""


@pytest.mark.parametrize("kind", ["big", "deep-array", "deep-object-truncated", "deep-html"])
def test_huge_and_deep_files_are_rejected_quickly(tmp_path: Path, kind: str) -> None:
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    suffix = "html" if kind == "deep-html" else "json"
    done = subprocess.run(
        [sys.executable, "-c", _LIMIT_SCRIPT, str(tmp_path / f"{kind}.{suffix}"), kind],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=repo,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(kind, result)
    assert result["seconds"] < 2.0, result
    assert result["grown_mb"] < 200, result
    if kind == "big":
        assert (tmp_path / "big.json").stat().st_size > 50 * 1024 * 1024
        assert result["articles"] == 0 and "cap" in result["reasons"][0]
    elif kind.startswith("deep-object") or kind == "deep-array":
        assert result["reasons"] == ["JSON nested too deeply to read; skipped"]


# --- golden files -----------------------------------------------------------------------------

GOLDEN = DATA / "golden"
GOLDEN_SOURCES = {
    "seed-000_e09ed9bce8e7f6d7.txt": "seeds/000_e09ed9bce8e7f6d7.txt",
    "frontity-post-60.txt": "fixtures/wordpress/frontity-demo/post-60.json",
    "frontity-posts-from-category-7.txt": "fixtures/wordpress/frontity-demo/posts-from-category-7.json",
    "frontity-posts-from-category-7-page-2.txt": (
        "fixtures/wordpress/frontity-demo/posts-from-category-7-page-2.json"
    ),
    "wp-api-demo-post-448.txt": "fixtures/wordpress/wp-api-demo/post-448.json",
    "wp-api-demo-posts.txt": "fixtures/wordpress/wp-api-demo/posts.json",
    "saved-article.txt": str(DATA / "pages" / "saved-article.html"),
}


def render_golden(source: SourceFile) -> str:
    """The reviewed form: `=== id: title`, a blank line, the cleaned text, per article."""
    return "\n".join(f"=== {a.id}: {a.title}\n\n{a.text}\n" for a in source.articles)


@needs_shared
@pytest.mark.parametrize("golden", sorted(GOLDEN_SOURCES))
def test_cleaned_text_matches_reviewed_golden_file(golden: str) -> None:
    # After a deliberate change: regenerate with render_golden, then read every file before committing.
    expected = (GOLDEN / golden).read_text(encoding="utf-8")
    assert render_golden(read_file(SHARED / GOLDEN_SOURCES[golden])) == expected
    assert not re.search(r"[<>]|\\/|&#?\w+;|\[/?\w+|https?:|  |\n\n\n", expected)


KEYS = [
    "id",
    "title",
    "body",
    "content",
    "text",
    "url",
    "link",
    "date_gmt",
    "rendered",
    "_embedded",
    "author",
]


# --- any bytes --------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(max_size=400), suffix=st.sampled_from([".json", ".jsonl", ".html", ".txt", ".md", ".bin"])
)
def test_any_bytes_give_a_source_file(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    source = read_file(path)
    assert source.path == str(path)
    for article in source.articles:
        assert (
            article.text
            and article.title
            and article.content_hash == content_hash(article.title, article.text)
        )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=30),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=6),
        max_leaves=25,
    ),
    st.integers(min_value=0, max_value=400),
)
def test_any_json_cut_anywhere_gives_a_source_file(tmp_path: Path, value: object, cut: int) -> None:
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(value)[:cut] or "{", encoding="utf-8")
    source = read_file(path)
    assert all(a.text for a in source.articles)


def test_dedupe_reports_one_url_under_two_ids(tmp_path: Path) -> None:
    def post(post_id: int, modified: str) -> dict[str, object]:
        return {
            "id": post_id,
            "link": "https://site.example/same/",
            "modified_gmt": modified,
            "title": {"rendered": f"Post {post_id}"},
            "content": {"rendered": f"<p>Body of {post_id}.</p>"},
        }

    (tmp_path / "a.json").write_text(json.dumps([post(1, "2024-01-01T00:00:00")]), encoding="utf-8")
    (tmp_path / "b.json").write_text(
        json.dumps([post(1, "2024-02-01T00:00:00"), post(2, "2024-01-01T00:00:00")])
    )
    (tmp_path / "c.json").write_text(json.dumps([post(1, "2023-12-01T00:00:00")]), encoding="utf-8")
    articles, problems = dedupe(read_sources([tmp_path]))
    assert [(a.id, a.modified) for a in articles] == [("1", utc(2024, 2, 1)), ("2", utc(2024, 1, 1))]
    assert [(Path(p.file).name, p.article_id) for p in problems] == [
        ("a.json", "1"),
        ("c.json", "1"),
        ("b.json", "2"),
    ]
    assert "same URL as post 1" in problems[-1].reason


# --- the readers' table ---------------------------------------------------------------------

BODY = "The ferry to Velmora resumed service on Monday after a week of storms. It carried 212 people."
SAMPLE_BY_READER = {
    "jsonl": json.dumps({"title": "Ferry resumes", "body": BODY}) + "\n",
    "json": json.dumps({"title": "Ferry resumes", "body": BODY}),
    "html": (
        "<html><head><title>Ferry resumes</title></head>"
        f"<body><article><p>{BODY}</p></article></body></html>"
    ),
    "text": f"Ferry resumes\n\n{BODY}\n",
}


def test_every_registered_suffix_is_walked_and_read_by_its_reader(tmp_path: Path) -> None:
    from qa.sources import ARTICLE_SUFFIXES, READERS

    assert sorted(SAMPLE_BY_READER) == sorted(r.name for r in READERS)
    for reader in READERS:
        for suffix in reader.suffixes:
            (tmp_path / f"{reader.name}-{suffix[1:]}{suffix}").write_text(SAMPLE_BY_READER[reader.name])
    files = list(read_sources([tmp_path]))
    assert len(files) == len(ARTICLE_SUFFIXES) == len(set(ARTICLE_SUFFIXES))
    for source in files:
        assert not source.problems, source.problems
        [article] = source.articles
        assert (article.title, article.text) == ("Ferry resumes", BODY)
        assert article.content_hash == content_hash("Ferry resumes", BODY)


def test_a_file_goes_to_the_reader_of_its_shape_whatever_its_suffix(tmp_path: Path) -> None:
    from qa.sources import reader_for

    assert reader_for(tmp_path / "a.txt", SAMPLE_BY_READER["json"]).name == "json"
    assert reader_for(tmp_path / "a.txt", SAMPLE_BY_READER["html"]).name == "html"
    assert reader_for(tmp_path / "a.jsonl", SAMPLE_BY_READER["jsonl"]).name == "jsonl"
    assert reader_for(tmp_path / "a", "Just words.").name == "text"


# --- dates as people write them ---------------------------------------------------------------

EVERYDAY_DATES = [
    ("Nov 27, 2023", utc(2023, 11, 27), None),
    ("27 November 2023", utc(2023, 11, 27), None),
    ("27/11/2023", utc(2023, 11, 27), None),
    ("1700000000", utc(2023, 11, 14, 22, 13, 20), None),
    ("1700000000000", utc(2023, 11, 14, 22, 13, 20), None),
    (1700000000000, utc(2023, 11, 14, 22, 13, 20), None),
    ("2023-11", utc(2023, 11, 1), None),
    ("Tue, 05 Mar 2024 06:30:00 GMT", utc(2024, 3, 5, 6, 30), None),
    ("03/04/2023", utc(2023, 3, 4), "could be day/month or month/day; read month first, as 2023-03-04"),
    ("2023-02-30", None, "is not a real date"),
    ("31/02/2023", None, "is not a real date"),
    ("2999-01-01", None, "is in the future"),
    ("next Tuesday", None, "cannot be read as a date"),
    (["2023-11-27"], None, "is not text or a number"),
]


@pytest.mark.parametrize(("value", "expected", "problem"), EVERYDAY_DATES)
def test_dates_people_write_are_read_and_doubtful_ones_reported(
    tmp_path: Path, value: object, expected: datetime | None, problem: str | None
) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"title": "Harbour", "body": "The harbour was busy.", "published": value}))
    source = read_file(path)
    [article] = source.articles
    assert article.published == expected
    reasons = [p.reason for p in source.problems]
    if problem is None:
        assert reasons == []
    else:
        [reason] = reasons
        assert reason.startswith("published date ") and problem in reason


# --- what is not text, and JSON past repair -------------------------------------------------------


def test_random_bytes_and_wordless_text_are_rejected_with_a_problem(tmp_path: Path) -> None:
    noise = random.Random(7).randbytes(4000)
    cases = {
        "noise.txt": noise, "noise.json": b'{"' + noise, "noise.md": b"# " + noise,
        "dots.txt": b"!!! ... ???\n",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        source = read_file(tmp_path / name)
        assert source.articles == ()
        [problem] = source.problems
        assert problem.reason.startswith("not text: ") and problem.reason.endswith("; skipped"), problem


def test_text_with_a_few_bad_bytes_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    text = "Café opens\n\nThe café on the quay opened on Monday. Its owner is from Nîmes."
    path.write_bytes(text.encode("latin-1"))
    source = read_file(path)
    [article] = source.articles
    assert article.title == "Caf\ufffd opens"
    assert [p.reason for p in source.problems] == [
        "invalid UTF-8 bytes (first at byte 3) replaced with U+FFFD"
    ]


def test_long_json_that_breaks_at_once_is_not_repaired(tmp_path: Path) -> None:
    rng = random.Random(3)
    junk = "".join(rng.choice('abc xyz{}[]:,"0123456789') for _ in range(600_000))
    path = tmp_path / "junk.json"
    path.write_text('{"' + junk)
    source = read_file(path)
    assert source.articles == ()
    [problem] = source.problems
    assert "broken too early to be a damaged export; not repaired" in problem.reason


def test_a_repair_that_runs_too_long_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.sources import jsonload

    monkeypatch.setattr(jsonload, "REPAIR_SECONDS", 0.001)
    records = [{"title": f"Story {i}", "body": "The tide came in. " * 20} for i in range(400)]
    text = json.dumps(records).replace('"title": "Story 399"', '"title": Story 399"')  # damaged late
    path = tmp_path / "big.json"
    path.write_text(text)
    source = read_file(path)
    assert source.articles == ()
    [problem] = source.problems
    assert "repairing it took over" in problem.reason
    monkeypatch.setattr(jsonload, "REPAIR_SECONDS", 60.0)
    repaired = read_file(path)
    assert len(repaired.articles) == 400 and "repaired" in repaired.problems[0].reason
def test_a_wordpress_date_is_the_one_the_sites_readers_see() -> None:
    # The seed: published 08:00 on the 21st in Seoul, 23:00 on the 20th in UTC.
    utc = datetime(2024, 8, 20, 23, 0, 29, tzinfo=UTC)
    wall = datetime(2024, 8, 21, 8, 0, 29, tzinfo=UTC)
    seoul = in_site_time(utc, wall)
    assert seoul is not None and seoul.date().isoformat() == "2024-08-21"
    assert seoul == utc and seoul.utcoffset() == timedelta(hours=9)
    assert in_site_time(utc, None) == utc and in_site_time(None, wall) == wall
    # A difference no time zone has is not taken for one.
    odd = in_site_time(utc, wall + timedelta(days=4))
    assert odd is not None and odd.utcoffset() == timedelta(0)
    seed = Path(__file__).resolve().parents[1] / "qa" / "sample" / "000_e09ed9bce8e7f6d7.txt"
    (article,) = read_file(seed).articles
    assert article.published is not None and article.published.isoformat() == "2024-08-21T08:00:29+09:00"
