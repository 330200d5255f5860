"""Tests for qa.sources: file shapes, metadata, malformed input, duplicates."""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

import pytest

from qa.errors import ArticleFileError
from qa.sources import SourceFile, content_hash, dedupe, expand_paths, read_file, read_sources

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
    return datetime(*args, tzinfo=timezone.utc)


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
    assert "held the Seventh ROK-Shandong Economic and Trade Cooperation Exchange Meeting in Jinan City" in text
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
    titles = [a.title for a in read_file(WORDPRESS / "frontity-demo" / "posts-from-category-7-page-2.json").articles]
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
    for article, record in zip(source.articles, raw):
        assert "None" not in article.authors
        # only whitespace, zero-width characters and Unicode composition may change
        assert squash(article.text) == squash(record["body"])


def test_content_hash() -> None:
    import hashlib

    assert content_hash("T", "body") == hashlib.sha256("T\n\nbody".encode()).hexdigest()


# --- paths ------------------------------------------------------------------------------------


def test_expand_paths_directories_globs_and_skips(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ("b.json", "a.jsonl", "sub/c.html", "sub/d.md", "LICENSE.txt", "README.md", ".x.json",
                 ".hidden/e.json", "image.png"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    found = expand_paths([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.jsonl", "b.json", "sub/c.html", "sub/d.md"]
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
