"""The chat app without a browser: rendering, follow-ups, filters, limits, the API and file routes."""

from __future__ import annotations

import html
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import gradio as gr
import httpx
import pytest
from conftest import DATA, REPO
from gradio_client import Client
from gradio_client.exceptions import AppError, AuthenticationError
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import app
import qa
from embeddings.encoder import Encoder
from qa import query
from qa.answer import cite
from qa.chunking import chunk_article, sentence_spans
from qa.cli import app as cli_app
from qa.ui import handlers, layout, render, serve
from qa.ui.handlers import ANY_OUTLET, ChatHandlers

SEED_URL = "https://koreapro.org/2024/08/rok-shandong-meeting-signals-seouls-intent-to-improve-ties-with-china/"
PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "![x](http://127.0.0.1:9/beacon.png)",
    '<div style="position:fixed;inset:0">overlay</div>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "$$\\href{javascript:alert(1)}{x}$$",
    "\"' onmouseover=alert(1) x='",
]

# What our rendering may emit; everything else (script, img, svg, iframe, style, on*) must be absent.
ALLOWED_TAGS = {"div", "p", "span", "a", "mark", "blockquote", "br", "ul", "li"}
ALLOWED_ATTRS = {"class", "id", "href", "target", "rel", "title"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TagCollector(HTMLParser):
    """Every tag and attribute of an HTML string, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(markup: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(markup)
    collector.close()
    return collector


def assert_inert(markup: str) -> None:
    for tag, attrs in parse(markup).tags:
        assert tag in ALLOWED_TAGS, tag
        assert set(attrs) <= ALLOWED_ATTRS, attrs
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("http://", "https://", "#qa-src-")), href
            assert not re.search(r"[\s\"'<>`]", href), href


def citation(**changes: object) -> qa.Citation:
    values: dict[str, object] = {
        "n": 1, "title": "Title", "url": "https://news.example/a",
        "published": datetime(2024, 8, 20, tzinfo=UTC), "excerpt": "Before. The cited sentence. After.",
        "sentence_start": 8, "sentence_end": 27, "link": "https://news.example/a#:~:text=The%20cited%20sentence.",
        "article_id": "a", "source": "Outlet",
    }
    values.update(changes)
    return qa.Citation(**values)  # type: ignore[arg-type]


# -- rendering ------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escape_text_leaves_no_markup_and_round_trips(payload: str) -> None:
    escaped = render.escape_text(payload)
    assert not re.search(r"[<>\"'\[\]()!`$\\]", escaped)
    assert html.unescape(escaped) == payload
    assert parse(escaped).tags == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://koreapro.org/a/", "https://koreapro.org/a/"),
        ("HTTP://Example.com/x?a=1&b=2", "HTTP://Example.com/x?a=1&amp;b=2"),
        ('https://e.com/x"onmouseover="alert(1)', "https://e.com/x%22onmouseover=%22alert(1)"),
        ("https://e.com/<script>", "https://e.com/%3Cscript%3E"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        (" javascript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox(1)", None),
        ("//evil.example/x", None),
        ("http:///nohost", None),
        ("https://e.com/a b", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_href_allows_only_http_links(url: str | None, expected: str | None) -> None:
    assert render.safe_href(url) == expected


@given(
    title=st.text(max_size=60), excerpt=st.text(min_size=1, max_size=200), url=st.text(max_size=60),
    source=st.text(max_size=30), data=st.data(),
)
@settings(max_examples=150, deadline=None)
def test_any_article_strings_render_inert(title: str, excerpt: str, url: str, source: str, data) -> None:
    start = data.draw(st.integers(0, len(excerpt)))
    end = data.draw(st.integers(start, len(excerpt)))
    c = citation(title=title, excerpt=excerpt, sentence_start=start, sentence_end=end, url=url, link=url,
                 source=source)
    answer = qa.Answer(question="q", text=f"{excerpt[start:end]} [1] {title}", citations=(c,))
    markup = render.render_answer(answer, turn=3, query=title)
    assert_inert(markup)
    marked = re.search(r'<mark id="qa-src-3-1">(.*?)</mark>', markup, re.S)
    assert marked and html.unescape(marked.group(1)) == excerpt[start:end]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_every_field_render_as_text(payload: str) -> None:
    c = citation(title=payload, source=payload, url=payload, link=payload,
                 excerpt=f"Intro {payload} end.", sentence_start=6, sentence_end=6 + len(payload))
    lead = qa.Passage(text=payload, score=1.0, chunk_id=1, article_id="x", title=payload, url=payload,
                      published=None, source=payload)
    for answer in (
        qa.Answer(question=payload, text=f"{payload} [1]", citations=(c,)),
        qa.Answer(question=payload, text=payload, abstained=True, leads=(lead,)),
        qa.Answer(question=payload, text=f"{payload} [1]\n{payload}", citations=(c,), notes=(payload,)),
    ):
        markup = render.render_answer(answer, query=payload)
        assert_inert(markup)
        assert payload in "".join(parse(markup).text)


def test_a_note_is_set_apart_from_the_cited_text() -> None:
    c = citation(excerpt="Sam Altman was fired.", sentence_start=0, sentence_end=21)
    note = "The Verge: no article in the archive mentions Sam Altman."
    text = f"TechCrunch: Sam Altman was fired. [1]\n{note}"
    answer = qa.Answer(question="q", text=text, citations=(c,), notes=(note,))
    page = parse(render.render_answer(answer))
    texts = [a for t, a in page.tags if t == "p" and a.get("class") in ("qa-text", "qa-uncited")]
    assert [a["class"] for a in texts] == ["qa-text", "qa-uncited"]
    assert "".join(page.text).count(note) == 1


def test_source_cards_for_the_seed_question(seed_archive: qa.Archive) -> None:
    answer = seed_archive.ask("What was agreed in Jinan?")
    markup = render.render_answer(answer, turn=2)
    assert_inert(markup)
    tags = parse(markup).tags
    cards = [a for t, a in tags if t == "div" and a.get("class") == "qa-source"]
    assert len(cards) == len({c.article_id for c in answer.citations})
    cites = [a["href"] for t, a in tags if t == "a" and a.get("class") == "qa-cite"]
    assert cites == [f"#qa-src-2-{c.n}" for c in answer.citations]
    marked = [a["id"] for t, a in tags if t == "mark"]
    assert sorted(marked) == sorted(f"qa-src-2-{c.n}" for c in answer.citations)  # every [n] has a target
    links = [html.unescape(a["href"]) for t, a in tags if t == "a" and a.get("class") == "qa-title"]
    assert links and all(link.startswith(SEED_URL + "#:~:text=") for link in links)
    marks = [html.unescape(m) for m in re.findall(r'<mark id="[^"]*">(.*?)</mark>', markup)]
    assert sorted(marks) == sorted(c.excerpt[c.sentence_start : c.sentence_end] for c in answer.citations)
    assert "koreapro.org · 2024-08-21" in html.unescape(markup)  # the date Seoul readers see


def test_one_card_per_article_with_every_cited_sentence_highlighted() -> None:
    excerpt = "First one here. Second one here. Third one here. Fourth one here."
    cited = ["First one here.", "Second one here.", "Fourth one here."]
    same = [
        citation(n=n, excerpt=excerpt, sentence_start=(a := excerpt.index(x)), sentence_end=a + len(x))
        for n, x in enumerate(cited, 1)
    ]
    # The same article cited from another passage whose excerpt overlaps: highlighted in place.
    overlapping = citation(n=4, excerpt="Third one here. Fourth one here.", sentence_start=0, sentence_end=15)
    elsewhere = citation(n=5, excerpt="A far paragraph, said the report.", sentence_start=0, sentence_end=33)
    other = citation(n=6, article_id="b", title="Another article")
    answer = qa.Answer(question="q", text="x [1] [2] [3] [4] [5] [6]",
                       citations=(*same, overlapping, elsewhere, other))
    markup = render.render_answer(answer, turn=1)
    assert_inert(markup)
    tags = parse(markup).tags
    assert sum(t == "div" and a.get("class") == "qa-source" for t, a in tags) == 2
    assert sum(t == "blockquote" for t, _ in tags) == 3  # two excerpts of article a, one of b
    assert [a["id"] for t, a in tags if t == "mark"] == [f"qa-src-1-{n}" for n in (1, 2, 4, 3, 5, 6)]
    assert markup.count("Third one here.") == 1 and markup.count("First one here.") == 1
    marks = re.findall(r'<mark id="[^"]*">(.*?)</mark>', markup)
    assert marks == ["First one here.", "Second one here.", "Third one here.", "Fourth one here.",
                     "A far paragraph, said the report.", "The cited sentence."]


def test_overlapping_excerpts_of_one_article_show_each_sentence_once() -> None:
    one = "Cranes arrived. Work began at the quay. The port closed early. Trucks waited outside."
    two = "The port closed early. Trucks waited outside. Ships anchored offshore. Talks resumed."
    bridge = "Trucks waited outside. Ships anchored offshore."
    end = "Ships anchored offshore. Talks resumed. The strike ended."
    def cited(n: int, excerpt: str, sentence: str) -> qa.Citation:
        start = excerpt.index(sentence)
        return citation(n=n, excerpt=excerpt, sentence_start=start, sentence_end=start + len(sentence))

    answer = qa.Answer(question="q", text="[1] [2] [3] [4]", citations=(
        cited(1, one, "Work began at the quay."), cited(2, end, "Talks resumed."),
        cited(3, two, "Ships anchored offshore."),  # bridges the two above
        cited(4, bridge, "Trucks waited outside."),
    ))
    markup = render.render_answer(answer, turn=0)
    assert sum(t == "blockquote" for t, _ in parse(markup).tags) == 1
    for sentence in ("The port closed early.", "Trucks waited outside.", "Ships anchored offshore."):
        assert markup.count(sentence) == 1, sentence
    assert re.findall(r'<mark id="qa-src-0-(\d)">(.*?)</mark>', markup) == [
        ("1", "Work began at the quay."), ("4", "Trucks waited outside."), ("3", "Ships anchored offshore."),
        ("2", "Talks resumed.")]


def test_excerpts_that_share_only_part_of_a_word_stay_apart() -> None:
    cut = "The port closed. Ships wait at the port"  # a chunk split inside an over-long sentence
    other = "Ships wait at the portal gates. The strike ended."
    answer = qa.Answer(question="q", text="[1] [2]", citations=(
        citation(n=1, excerpt=cut, sentence_start=0, sentence_end=16),
        citation(n=2, excerpt=other, sentence_start=32, sentence_end=50),
    ))
    markup = render.render_answer(answer, turn=0)
    assert sum(t == "blockquote" for t, _ in parse(markup).tags) == 2
    assert "portal gates" in markup and "portportal" not in markup


def test_excerpts_of_neighbouring_chunks_are_joined_on_the_card(encoder) -> None:
    """Chunks overlap by `chunk_overlap` sentences: citing a sentence before the shared one in a
    chunk and one after it in the next chunk gives excerpts that both hold the shared sentence."""
    text = " ".join(f"Sentence number {i} says the ministers agreed on point {i}." for i in range(40))
    article = qa.Article(id="a", title="Agreements", text=text)
    first, second = chunk_article(article, encoder.count_tokens, max_tokens=64, overlap=1)[:2]
    citations = []
    for n, (chunk, which) in enumerate([(first, -2), (second, 1)], start=1):
        passage = qa.Passage(text=chunk.text, score=1.0, chunk_id=chunk.ordinal, article_id="a",
                             title="Agreements", url=None, published=None, start=chunk.start, end=chunk.end)
        spans = sentence_spans(chunk.text)
        citations.append(cite(n, passage, spans, *spans[which]))
    shared = second.text[slice(*sentence_spans(second.text)[0])]
    assert shared in citations[0].excerpt and shared in citations[1].excerpt
    markup = render.render_answer(qa.Answer(question="q", text="[1] [2]", citations=tuple(citations)))
    assert markup.count(shared) == 1
    assert sum(t == "blockquote" for t, _ in parse(markup).tags) == 1


def test_an_abstention_lists_leads_without_citations() -> None:
    lead = qa.Passage(text="t", score=0.1, chunk_id=1, article_id="x", title="A lead", url="https://e.com/",
                      published=None, source="e.com")
    answer = qa.Answer(question="q", text="Not in the archive.", abstained=True, leads=(lead,))
    markup = render.render_answer(answer)
    assert "Closest articles" in markup and 'href="https://e.com/"' in markup and "qa-source" not in markup


def test_excerpts_are_trimmed_around_the_cited_sentence() -> None:
    text = "word " * 200 + "THE SENTENCE." + " word" * 200
    start = text.index("THE")
    before, cited, after = render.excerpt_window(text, start, start + len("THE SENTENCE."))
    assert cited == "THE SENTENCE."
    assert before.startswith("… ") and after.endswith(" …")
    assert len(before) < render.EXCERPT_CONTEXT + 10 and len(after) < render.EXCERPT_CONTEXT + 10


def test_status_and_report_lines() -> None:
    stats = qa.ArchiveStats(articles=12, chunks=16, model="m", dimension=384, index_dir="x", generation=3,
                            updated=datetime(2024, 9, 1, 12, 30, tzinfo=UTC))
    assert html.unescape(render.render_status(stats)) == (
        '<p class="qa-status">12 articles · 16 chunks · generation 3 · last update 2024-09-01 12:30 UTC</p>'
    )
    report = qa.IndexReport(added=1, updated=2, unchanged=3,
                            problems=(qa.Problem("/tmp/gradio/abc/<b>bad.json", "broken JSON"),))
    markup = render.render_report(report, ["big.json: over the 10 MB limit; skipped"])
    assert "1 added · 2 updated · 3 unchanged · 2 problem(s)" in html.unescape(markup)
    assert "<b>bad.json: broken JSON" in html.unescape(markup)
    assert "/tmp/gradio" not in markup  # no server paths
    assert_inert(markup)


# -- conversation, examples, filters ----------------------------------------------------------


def test_example_questions_come_from_real_headlines() -> None:
    headlines = ["ROK-Shandong meeting signals Seoul’s intent to improve ties with China", "awdawd",
                 "Your first words of a body …", "The Beauties of Gullfoss", "x " * 100]
    examples = render.example_questions(headlines)
    assert [e["display_text"] for e in examples] == [headlines[0], headlines[3]]
    assert examples[0]["text"] == f"What does the archive say about “{headlines[0]}”?"


def test_filters_are_parsed_on_the_server() -> None:
    options = handlers.search_options("2024-08-01", "2024-08-20", "koreapro.org", 3)
    assert options == {
        "k": 3,
        "published_after": datetime(2024, 8, 1, tzinfo=UTC),
        "published_before": datetime(2024, 8, 20, 23, 59, 59, 999999, tzinfo=UTC),
        "source": "koreapro.org",
    }
    assert handlers.search_options(None, "", handlers.ANY_OUTLET, 5)["source"] is None
    bad_options = [("yesterday", None, None, 5), (None, None, None, 0), (None, None, None, 11),
                   (None, None, None, "x")]
    for bad in bad_options:
        with pytest.raises(qa.InvalidQueryError):
            handlers.search_options(*bad)


def test_auth_parsing_and_the_exposure_warning() -> None:
    assert serve.parse_auth("ann:secret") == [("ann", "secret")]
    assert serve.parse_auth("ann:a:b, bob:c") == [("ann", "a:b"), ("bob", "c")]
    assert serve.parse_auth("") is None and serve.parse_auth(None) is None
    for bad in ["ann", ":pw", "ann:"]:
        with pytest.raises(ValueError, match="user:password"):
            serve.parse_auth(bad)
    assert serve.exposure_warning("127.0.0.1", None) is None
    assert serve.exposure_warning("0.0.0.0", [("a", "b")]) is None
    assert "--auth" in (serve.exposure_warning("0.0.0.0", None) or "")


def test_the_sample_goes_only_into_a_new_index_not_into_an_archive_without_articles(
    tmp_path: Path, seed_file: Path, encoder: Encoder
) -> None:
    """A first `qa index` interrupted, or every article removed, leaves an archive with no article:
    the chat serves it as it is rather than mixing the sample articles into it."""
    index_dir = tmp_path / "index"
    with qa.Archive(index_dir, encoder=encoder) as archive:
        archive.add([seed_file])
        archive.remove(["2206214"])
    said: list[str] = []
    with serve.ensure_index(index_dir, say=said.append) as served:
        assert served.stats().articles == 0
    assert said == []


def test_serve_rejects_bad_auth_before_starting() -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--auth", "nopassword"])
    assert result.exit_code == 2
    assert "user:password" in result.output


# -- a launched app -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory, encoder) -> Iterator[tuple[str, qa.Archive]]:
    """The app on a free port over the seed and the flat test articles; (url, archive)."""
    archive = qa.Archive(tmp_path_factory.mktemp("served") / "index", encoder=encoder)
    archive.add([REPO / "qa" / "sample" / "000_e09ed9bce8e7f6d7.txt", DATA / "flat" / "articles.json"])
    (archive.index_dir / "secret.txt").write_text("TOP-SECRET-STORE-FILE")
    demo = app.build_app(archive)
    url = app.launch(demo, port=free_port(), blocked_paths=[archive.index_dir], prevent_thread_lock=True,
                     quiet=True)
    yield url, archive
    demo.close()


@pytest.fixture(scope="session")
def client(served: tuple[str, qa.Archive]) -> Client:
    return Client(served[0], verbose=False, analytics_enabled=False, download_files=False)


def test_build_app_sets_queue_limits(seed_archive: qa.Archive) -> None:
    demo = app.build_app(seed_archive)
    assert isinstance(demo, gr.Blocks)
    assert demo._queue.max_size == layout.QUEUE_SIZE
    assert demo._queue.default_concurrency_limit == layout.CONCURRENCY
    sliders = [b for b in demo.blocks.values() if isinstance(b, gr.Slider)]
    assert [s.value for s in sliders] == [seed_archive.answer_k]  # the chat asks as the API does


def test_the_chat_and_the_api_answer_alike_by_default(seed_archive: qa.Archive) -> None:
    question = "What was agreed in Jinan?"
    expected = seed_archive.ask(question)
    handlers = ChatHandlers(seed_archive)
    *_, (_, chat, searched) = handlers.respond(
        question, [], [], None, None, ANY_OUTLET, seed_archive.answer_k
    )
    assert searched == [expected] and chat[-1]["content"] == render.render_answer(expected, turn=0)
    assert handlers.ask_json(question) == expected.to_dict()


def test_api_answers_with_sources(client: Client) -> None:
    result = client.predict("What was agreed in Jinan?", api_name="/ask")
    assert not result["abstained"] and "[1]" in result["text"]
    assert any(c["url"] == SEED_URL and c["link"].startswith(SEED_URL) for c in result["citations"])
    assert all(c["published"].startswith("2024-08-21T08:00:29+09:00") for c in result["citations"])


def test_api_applies_filters(client: Client) -> None:
    result = client.predict("What did the council approve?", 5, "", "", "The Daily Example", api_name="/ask")
    assert result["citations"] and {c["source"] for c in result["citations"]} == {"The Daily Example"}
    before = client.predict("What was agreed in Jinan?", 5, "", "2024-01-01", "", api_name="/ask")
    assert SEED_URL not in str(before)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x" * (query.MAX_QUESTION_CHARS + 1),), "limit is 2,000"),
        (("Jinan?", 50), "between 1 and 10"),
        (("Jinan?", 5, "not a date"), "not a date"),
        (("Jinan?", 5, "2024-09-01", "2024-01-01"), "later than"),
    ],
)
def test_api_enforces_limits_on_the_server(client: Client, args: tuple, message: str) -> None:
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name="/ask")


def test_chat_endpoint_enforces_the_question_limit(client: Client) -> None:
    # The textbox caps its length in the browser; a direct call must be refused by the server too.
    _, chat = client.predict("x" * (query.MAX_QUESTION_CHARS + 1), [], None, None, handlers.ANY_OUTLET, 5,
                             api_name="/respond")
    assert len(chat) == 1 and "the limit is 2,000" in str(chat[0]["content"])


def test_store_and_local_files_are_never_served(served: tuple[str, qa.Archive]) -> None:
    url, archive = served
    store = archive.index_dir.resolve()
    targets = [str(store / "secret.txt"), str(store / "archive.sqlite"), "/etc/passwd", str(REPO / "app.py"),
               "app.py", "pyproject.toml", "../../../../../../etc/passwd"]
    prefixes = ["gradio_api/file=", "file=", "gradio_api/file/", "static/", "assets/", "gradio_api/static/",
                "gradio_api/assets/", "favicon.ico/"]
    with httpx.Client(base_url=url, timeout=10) as http:
        # The route works for what it is meant for (so the probes below are aimed right), and an
        # uploaded page comes back as a download, not as a page running on the chat's origin.
        page = {"files": ("page.html", b"<script>1</script>", "text/html")}
        uploaded = http.post("gradio_api/upload", files=page)
        served_back = http.get("gradio_api/file=" + uploaded.json()[0])
        assert served_back.status_code == 200 and served_back.content == b"<script>1</script>"
        assert "html" not in served_back.headers["content-type"]
        assert served_back.headers["content-disposition"].startswith("attachment")
        for target in targets:
            variants = {target, target.replace("/", "%2F"), target.replace("..", "%2e%2e"),
                        target.replace("/", "%252F"), "..%2F" * 8 + target.lstrip("/")}
            for prefix in prefixes:
                for variant in variants:
                    response = http.get(url.rstrip("/") + "/" + prefix + variant)
                    body = response.text
                    leaked = any(s in body for s in ("TOP-SECRET-STORE-FILE", "SQLite format 3", "root:x:0:0",
                                                     "def build_app", "[build-system]"))
                    assert not leaked, (prefix + variant, response.status_code)


def test_add_articles_refuses_server_paths(served: tuple[str, qa.Archive], tmp_path: Path) -> None:
    # A hand-made API call naming a file on the server instead of uploading one: it must be neither
    # indexed nor deleted (the handler removes uploads after indexing them).
    url, archive = served
    victim = tmp_path / "victim.json"
    victim.write_text('{"title": "Victim", "text": "The zyzzyva victim sentence must never be indexed."}')
    articles = archive.stats().articles
    with httpx.Client(base_url=url, timeout=60) as http:
        config = http.get("config").json()
        fn_index = next(i for i, d in enumerate(config["dependencies"]) if d.get("api_name") == "add_files")
        file_data = {"path": str(victim), "orig_name": "victim.json", "meta": {"_type": "gradio.FileData"}}
        joined = http.post("gradio_api/queue/join", json={
            "data": [[file_data]], "fn_index": fn_index, "session_hash": "victimtest", "event_data": None,
        })
        assert joined.status_code == 200
        with http.stream("GET", "gradio_api/queue/data", params={"session_hash": "victimtest"}) as events:
            for line in events.iter_lines():
                if "process_completed" in line:
                    break
    assert victim.exists()
    assert archive.stats().articles == articles


def test_auth_protects_the_page_and_the_api(seed_archive: qa.Archive) -> None:
    demo = app.build_app(seed_archive)
    url = app.launch(demo, port=free_port(), auth=serve.parse_auth("ann:s3cret"), prevent_thread_lock=True,
                     quiet=True)
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            assert http.get("config").status_code == 401
            assert http.post("gradio_api/upload", files={"files": ("a.txt", b"x")}).status_code == 401
        with pytest.raises(AuthenticationError, match="credentials"):
            Client(url, verbose=False, analytics_enabled=False).predict("Jinan?", api_name="/ask")
        client = Client(url, auth=("ann", "s3cret"), verbose=False, analytics_enabled=False)
        result = client.predict("What was agreed in Jinan?", api_name="/ask")
        assert any(c["url"] == SEED_URL for c in result["citations"])
    finally:
        demo.close()


def test_uploads_over_the_cap_are_refused(served: tuple[str, qa.Archive], tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b"[" + b" " * (handlers.MAX_UPLOAD_BYTES + 10) + b"]")
    with httpx.Client(base_url=served[0], timeout=60) as http, big.open("rb") as handle:
        response = http.post("gradio_api/upload", files={"files": ("big.json", handle, "application/json")})
    assert response.status_code in (400, 413), response.text


# -- the entry point --------------------------------------------------------------------------


def _wait_for(process: subprocess.Popen, needle: str, timeout: float) -> str:
    """Read the merged output until `needle` appears; return everything read."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line:
            seen.append(line)
            if needle in line:
                return "".join(seen)
        elif process.poll() is not None:
            break
        else:
            time.sleep(0.2)
    raise AssertionError(f"{needle!r} not seen; output:\n{''.join(seen)[-3000:]}")


@pytest.mark.slow
def test_python_app_builds_the_sample_index_once_and_answers(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / "index"), "GRADIO_SERVER_PORT": str(port),
           "GRADIO_SERVER_NAME": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
    env.pop("QA_AUTH", None)
    for run in (1, 2):
        process = subprocess.Popen([sys.executable, str(REPO / "app.py")], env=env, cwd=tmp_path, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            output = _wait_for(process, f"127.0.0.1:{port}", timeout=600)
            assert ("Building the sample archive" in output) == (run == 1)
            assert "\r" not in output and "\x1b[" not in output  # no progress bars in a log
            assert "WARNING" not in output  # the sample's problems are expected: a count, not alarms
            assert "share=True" not in output
            client = Client(f"http://127.0.0.1:{port}/", verbose=False, analytics_enabled=False)
            started = time.monotonic()
            result = client.predict("What was agreed in Jinan?", api_name="/ask")
            elapsed = time.monotonic() - started
            assert any(c["url"] == SEED_URL for c in result["citations"])
            assert elapsed < 10, elapsed  # "a second or two" on an idle machine; CI boxes are shared
        finally:
            process.terminate()
            process.wait(timeout=30)
