"""The chat in a real browser: Playwright for Python driving Debian's Chromium (never `playwright install`).

One app is launched for the session on a free port, over a temporary store holding the seed article
and the hostile fixtures (tests/data/hostile), whose payloads point at a local beacon server that
counts every request it gets.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DATA, REPO

import app
import qa

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("QA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
SEED_URL = "https://koreapro.org/2024/08/rok-shandong-meeting-signals-seouls-intent-to-improve-ties-with-china/"
JINAN = "What was agreed in Jinan?"
ANSWER_TIMEOUT_MS = 60_000  # a shared CI box can be slow; an idle laptop answers in about a second


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Beacon:
    """A tiny HTTP server on 127.0.0.1 that records every request made to it."""

    def __init__(self) -> None:
        hits: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_HEAD = do_GET  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.hits = hits
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def beacon() -> Iterator[Beacon]:
    server = Beacon()
    yield server
    server.close()


@pytest.fixture(scope="session")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory, beacon: Beacon) -> Path:
    """The hostile fixtures with {{BEACON}} replaced by the beacon's address."""
    folder = tmp_path_factory.mktemp("hostile")
    for path in (DATA / "hostile").glob("velmora-*"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8").replace("{{BEACON}}", beacon.url))
    return folder


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory, encoder, hostile_dir: Path) -> Iterator[str]:
    archive = qa.Archive(tmp_path_factory.mktemp("browser") / "index", encoder=encoder)
    report = archive.add([REPO / "qa" / "sample" / "000_e09ed9bce8e7f6d7.txt", hostile_dir])
    assert report.added == 4, report
    demo = app.build_app(archive)
    url = app.launch(demo, port=free_port(), blocked_paths=[archive.index_dir], prevent_thread_lock=True,
                     quiet=True)
    yield url
    demo.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}; run: apt-get install -y chromium")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Session:
    """One browser tab on the app, recording dialogs and requests that leave the app."""

    def __init__(self, page, app_url: str) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.foreign_requests: list[str] = []
        origin = app_url.rstrip("/")
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("request", lambda request: None if request.url.startswith((origin, "data:", "blob:"))
                else self.foreign_requests.append(request.url))
        page.goto(app_url)
        page.wait_for_selector("#qa-question textarea")  # not network idle: Gradio keeps a stream open

    def ask(self, question: str) -> object:
        """Type the question, press Enter, wait for the final answer; return its locator."""
        answers = self.page.locator("#qa-chat .qa-final")
        before = answers.count()
        box = self.page.locator("#qa-question textarea")
        box.fill(question)
        box.press("Enter")
        self.page.wait_for_function(
            "n => document.querySelectorAll('#qa-chat .qa-final').length > n", arg=before,
            timeout=ANSWER_TIMEOUT_MS,
        )
        return answers.nth(before)


@pytest.fixture
def session(browser, app_url: str) -> Iterator[Session]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield Session(context.new_page(), app_url)
    context.close()


def test_jinan_answer_shows_highlighted_excerpts_and_links(session: Session) -> None:
    answer = session.ask(JINAN)
    assert "Jinan" in answer.locator(".qa-text").inner_text()
    marks = answer.locator(".qa-source mark")
    assert marks.count() >= 1
    text = answer.locator(".qa-text").inner_text()
    for i in range(marks.count()):
        cited = marks.nth(i).inner_text().strip()
        assert cited and cited in text  # the highlighted sentence is the one quoted in the answer
        assert marks.nth(i).evaluate("m => getComputedStyle(m).backgroundColor") != "rgba(0, 0, 0, 0)"
    links = answer.locator(".qa-source a.qa-title")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs and all(h.startswith(SEED_URL + "#:~:text=") for h in hrefs)
    heads = answer.locator(".qa-source-head").all_inner_texts()
    assert all("ROK-Shandong meeting signals Seoul" in h and "koreapro.org" in h and "2024-08-21" in h
               for h in heads)
    assert len(heads) == 1  # one card per article, however many of its sentences are cited
    assert marks.count() == answer.locator("a.qa-cite").count()  # each [n] highlighted in that card
    assert session.dialogs == [] and session.foreign_requests == []


def test_jinan_answer_names_the_memorandums(session: Session) -> None:
    answer = session.ask(JINAN)
    assert "20 memorandums of understanding" in answer.locator(".qa-text").inner_text()


SCROLLER = """
el => {
  let s = el.parentElement;
  while (s && !(s.scrollHeight > s.clientHeight && /(auto|scroll)/.test(getComputedStyle(s).overflowY))) {
    s = s.parentElement;
  }
  return s;
}
"""


def test_clicking_a_citation_marker_scrolls_to_its_source(session: Session) -> None:
    answer = session.ask(JINAN)
    first = answer.locator(".qa-text a.qa-cite").first
    target = first.get_attribute("href")
    assert re.fullmatch(r"#qa-src-\d+-1", target)
    card = session.page.locator(target)
    # Scroll the chat to its end, so that source 1 is out of view, then click [1].
    card.evaluate(f"c => {{ const s = ({SCROLLER})(c); s.scrollTop = s.scrollHeight; }}")
    first.dispatch_event("click")
    session.page.wait_for_function(
        f"""id => {{
          const c = document.getElementById(id), s = ({SCROLLER})(c);
          const r = c.getBoundingClientRect(), v = s.getBoundingClientRect();
          return c.classList.contains('qa-flash') && r.top >= v.top - 1 && r.top < v.bottom;
        }}""",
        arg=target[1:], timeout=5000,
    )
    assert "#" not in session.page.url  # handled in the page: no navigation, no new tab
    assert len(session.page.context.pages) == 1


HOSTILE_QUESTIONS = [
    "What happened at the Velmora harbour festival?",
    "What did the Velmora ferry notice link for passengers?",
    "Velmora lighthouse reopens",
    "<img src=x onerror=alert('question')> ![q](BEACON/question.png) what about the Velmora ferry?",
]

INSPECT_CHAT = """
() => {
  const chat = document.querySelector('#qa-chat');
  const all = [...chat.querySelectorAll('*')];
  const answers = [...chat.querySelectorAll('.qa-answer, .qa-answer *')];
  const onAttrs = all.flatMap(e => [...e.attributes].filter(a => a.name.toLowerCase().startsWith('on'))
                                                     .map(a => e.tagName + ' ' + a.name));
  const badHrefs = [...chat.querySelectorAll('[href], [src], [srcdoc], [action], [formaction]')]
    .filter(e => e.closest('.qa-answer') || e.tagName === 'A')
    .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('srcdoc') || '')
    .filter(h => !/^(https?:\\/\\/|#qa-src-)/i.test(h.trim()));
  const fixed = all.filter(e => ['fixed', 'sticky'].includes(getComputedStyle(e).position))
                   .map(e => e.tagName + '.' + e.className);
  const tags = [...new Set(answers.map(e => e.tagName.toLowerCase()))];
  const styled = answers.filter(e => e.hasAttribute('style')).length;
  const pageOverlays = [...document.querySelectorAll('body *')].filter(e => {
    const s = getComputedStyle(e), r = e.getBoundingClientRect();
    return s.position === 'fixed' && r.width * r.height > 0.5 * innerWidth * innerHeight;
  }).length;
  return {onAttrs, badHrefs, fixed, tags, styled, pageOverlays, text: chat.innerText};
}
"""


def test_hostile_articles_are_shown_as_inert_text(session: Session, beacon: Beacon) -> None:
    beacon.hits.clear()
    for question in HOSTILE_QUESTIONS:
        session.ask(question.replace("BEACON", beacon.url))
    session.page.wait_for_timeout(500)  # give any stray image, frame or handler a chance to fire
    found = session.page.evaluate(INSPECT_CHAT)
    assert session.dialogs == []
    assert beacon.hits == []
    assert session.foreign_requests == []
    assert found["onAttrs"] == []
    assert found["badHrefs"] == []
    assert found["fixed"] == []
    assert found["pageOverlays"] == 0
    assert found["styled"] == 0
    assert set(found["tags"]) <= {"div", "p", "span", "a", "mark", "blockquote", "br", "ul", "li"}
    text = found["text"]
    # The payloads are there, as text anyone can read.
    assert "Velmora harbour festival <script>alert('title')</script> draws record crowds" in text
    assert "Velmora <svg onload=alert('outlet')> Gazette" in text
    assert f"<img src={beacon.url}/outlet.png onerror=alert('ferry-outlet')>" in text
    assert "](javascript:alert(" in text
    assert f"]({beacon.url}/" in text
    assert "<img src=x onerror=alert('question')>" in text
    # The lighthouse's URL with quotes in it stays one harmless, percent-encoded link.
    lighthouse = session.page.locator("#qa-chat a.qa-title", has_text="Velmora lighthouse").first
    assert lighthouse.get_attribute("href").startswith("https://velmora.example/lighthouse%22onmouseover=%22")


def test_follow_up_is_answered_in_context(session: Session) -> None:
    session.ask(JINAN)
    follow_up = session.ask("And what did China decide?")
    assert "Jinan" in follow_up.locator(".qa-note").inner_text()
    assert "China" in follow_up.locator(".qa-text").inner_text()
    hrefs = follow_up.locator("a.qa-title").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith(SEED_URL) for h in hrefs)


def test_upload_reindexes_and_the_new_article_is_answerable(session: Session, tmp_path: Path) -> None:
    article = tmp_path / "orchard.json"
    article.write_text(
        '{"title": "Quillon orchard wins the national cider prize", "source": "Orchard Weekly",'
        ' "url": "https://orchard.example/quillon-cider", "published_at": "2024-10-02T09:00:00Z",'
        ' "body": "The Quillon orchard won the national cider prize on Tuesday with a pear and quince blend.'
        ' The judges praised its balance of acidity and sweetness."}',
        encoding="utf-8",
    )
    page = session.page
    status_before = page.locator("#qa-status").inner_text()
    page.get_by_text("Add articles").click()
    page.locator("#qa-upload input[type=file]").set_input_files(str(article))
    page.locator("#qa-upload").get_by_text("orchard.json").first.wait_for(timeout=120_000)
    page.locator("#qa-add").click()
    try:
        page.locator("#qa-report").get_by_text("1 added").wait_for(timeout=120_000)
    except sync_api.TimeoutError:  # it failed once in CI, under load: say what the page showed then
        report, status = page.locator("#qa-report").inner_text(), page.locator("#qa-status").inner_text()
        pytest.fail(f"no '1 added' after 120 s; the report said {report!r}, the status {status!r}")
    assert page.locator("#qa-status").inner_text() != status_before
    answer = session.ask("Which orchard won the national cider prize?")
    assert "Quillon" in answer.locator(".qa-text").inner_text()
    assert answer.locator("a.qa-title").first.get_attribute("href").startswith("https://orchard.example/quillon-cider")


def test_phone_width_examples_and_enter(browser, app_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone = Session(context.new_page(), app_url)
        page = phone.page
        examples = page.locator("#qa-chat").get_by_text("ROK-Shandong meeting signals Seoul", exact=False)
        examples.first.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        box = page.locator("#qa-question textarea").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 391
        answers = page.locator("#qa-chat .qa-final")
        examples.first.click()
        page.wait_for_function("document.querySelectorAll('#qa-chat .qa-final').length > 0",
                               timeout=ANSWER_TIMEOUT_MS)
        assert answers.first.locator("a.qa-title").first.get_attribute("href").startswith(SEED_URL)
        answer = phone.ask(JINAN)  # Enter sends
        assert answer.locator(".qa-source").count() >= 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    finally:
        context.close()
