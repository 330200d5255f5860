"""The browser chat: a Gradio shell over `qa.Archive`. Run `python app.py` or `qa serve`.

Article strings (title, text, URL, outlet) are untrusted scraped content. Every one of them is
escaped for HTML *and* Markdown before it reaches the page, links are built here and only
http(s), and the Chatbot renders neither Markdown nor LaTeX: no article HTML is ever rendered.
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gradio as gr
from gradio.utils import get_upload_folder
from tqdm import tqdm

import qa

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000  # enforced on the server; the textbox limit is only a convenience
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # per file, enforced by Gradio's upload route and again here
MAX_UPLOAD_FILES = 20
UPLOAD_SUFFIXES = (".json", ".jsonl", ".ndjson", ".html", ".htm", ".txt", ".md")
CONCURRENCY = 2  # questions answered at once (the machine has few cores)
QUEUE_SIZE = 32  # waiting requests beyond this are refused
MAX_SOURCES = 10
EXCERPT_CONTEXT = 220  # characters of context shown each side of a cited sentence
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
ANY_OUTLET = "Any outlet"

# Characters that mean something to Markdown, LaTeX or an HTML attribute: all become entities,
# so that `![x](http://…)` in an article is inert text whatever renders the string later.
_ENTITIES = {c: f"&#{ord(c)};" for c in "&<>\"'`*_[](){}!#|~$\\:"}
_ENTITY_RE = re.compile("[" + re.escape("".join(_ENTITIES)) + "]")
_CITE_RE = re.compile(r"\[(\d{1,2})\]")


def sample_archive_dir() -> Path:
    """The sample articles shipped inside the package."""
    return Path(str(resources.files("qa") / "sample"))


# -- rendering: every article string goes through escape_text or safe_href --------------------


def escape_text(text: str | None) -> str:
    """Text as inert HTML: HTML-, Markdown- and LaTeX-significant characters become entities."""
    return _ENTITY_RE.sub(lambda m: _ENTITIES[m.group()], text or "")


def safe_href(url: str | None) -> str | None:
    """An http(s) URL escaped for an href attribute, or None for anything else (javascript:, data:…).

    Quotes, angle brackets and backticks are percent-encoded (they have no business in a URL and
    would matter to a lax HTML or Markdown parser); whitespace and control characters refuse the URL.
    """
    if not url or any(ord(c) < 33 or c == "\x7f" for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    url = re.sub(r"[\"'<>`\\]", lambda m: f"%{ord(m.group()):02X}", url)
    return html.escape(url, quote=True)


def _link(url: str | None, label_html: str, css_class: str) -> str:
    href = safe_href(url)
    if href is None:
        return f'<span class="{css_class}">{label_html}</span>'
    return (
        f'<a class="{css_class}" href="{href}" target="_blank" rel="noopener noreferrer nofollow">'
        f"{label_html}</a>"
    )


def _date(value: datetime | None) -> str:
    return value.date().isoformat() if value else "undated"


def _window(text: str, start: int, end: int, context: int = EXCERPT_CONTEXT) -> tuple[str, str, str]:
    """(before, sentence, after): the cited sentence with about `context` characters each side."""
    lo, hi = max(0, start - context), min(len(text), end + context)
    if lo > 0:
        space = text.find(" ", lo, start)
        lo = space + 1 if space != -1 else lo
    if hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space != -1 else hi
    before = ("… " if lo > 0 else "") + text[lo:start]
    after = text[end:hi] + (" …" if hi < len(text) else "")
    return before, text[start:end], after


def _escape_lines(text: str) -> str:
    """escape_text, with the article's paragraph breaks kept as line breaks."""
    return re.sub(r"\s*\n\s*", "<br>", escape_text(text))


def _answer_text_html(text: str, numbers: set[int], turn: int) -> str:
    """Answer text with each known [n] turned into a link to source card n of this turn."""
    out, last = [], 0
    for match in _CITE_RE.finditer(text):
        n = int(match.group(1))
        if n not in numbers:
            continue
        out.append(escape_text(text[last : match.start()]))
        out.append(f'<a class="qa-cite" href="#qa-src-{turn}-{n}" title="Source {n}">&#91;{n}&#93;</a>')
        last = match.end()
    out.append(escape_text(text[last:]))
    return "".join(out)


def render_source(citation: qa.Citation, turn: int) -> str:
    """One numbered source card: title (linked to the cited sentence), outlet, date, excerpt."""
    c = citation
    before, cited, after = _window(c.excerpt, c.sentence_start, c.sentence_end)
    title = _link(c.link or c.url, escape_text(c.title), "qa-title")
    meta = escape_text(" · ".join(x for x in (c.source, _date(c.published)) if x))
    return (
        f'<div class="qa-source" id="qa-src-{turn}-{c.n}">'
        f'<div class="qa-source-head"><span class="qa-n">{c.n}</span> {title}'
        f' <span class="qa-meta">{meta}</span></div>'
        f'<blockquote class="qa-excerpt">{_escape_lines(before)}<mark>{escape_text(cited)}</mark>'
        f"{_escape_lines(after)}</blockquote></div>"
    )


def render_answer(
    answer: qa.Answer, *, turn: int = 0, query: str | None = None, partial: bool = False
) -> str:
    """The answer and its numbered source cards, as HTML in which every article string is escaped.

    Args:
        turn: the conversation turn, to keep element ids unique across answers.
        query: the rewritten question actually searched, shown as a note when given.
        partial: render only the text so far (while streaming); sources come with the last frame.
    """
    parts = ['<div class="qa-answer">' if partial else '<div class="qa-answer qa-final">']
    if query:
        parts.append(f'<p class="qa-note">Searched for: {escape_text(query)}</p>')
    numbers = {c.n for c in answer.citations}
    parts.append(f'<p class="qa-text">{_answer_text_html(answer.text, numbers, turn)}</p>')
    if answer.abstained and answer.leads and not partial:
        parts.append('<div class="qa-leads"><p>Closest articles (leads to check, not citations):</p><ul>')
        for lead in answer.leads:
            label = escape_text(lead.title)
            meta = escape_text(" · ".join(x for x in (lead.source, _date(lead.published)) if x))
            parts.append(f'<li>{_link(lead.url, label, "qa-title")} <span class="qa-meta">{meta}</span></li>')
        parts.append("</ul></div>")
    if answer.citations and not partial:
        parts.append('<div class="qa-sources">')
        parts.extend(render_source(c, turn) for c in answer.citations)
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


def render_error(message: str) -> str:
    return f'<div class="qa-answer qa-final"><p class="qa-error">{escape_text(message)}</p></div>'


def render_status(stats: qa.ArchiveStats) -> str:
    """The index status line: articles, chunks, generation, last update."""
    updated = stats.updated.strftime("%Y-%m-%d %H:%M UTC") if stats.updated else "never"
    generation = stats.generation if stats.generation is not None else "none"
    text = (
        f"{stats.articles:,} articles · {stats.chunks:,} chunks · generation {generation} · "
        f"last update {updated}"
    )
    return f'<p class="qa-status">{escape_text(text)}</p>'


def render_report(report: qa.IndexReport, refused: Sequence[str] = ()) -> str:
    """What an upload did: added / updated / unchanged / problems (file names only, escaped)."""
    counts = (
        f"{report.added} added · {report.updated} updated · {report.unchanged} unchanged · "
        f"{len(report.problems) + len(refused)} problem(s)"
    )
    items = [escape_text(r) for r in refused]
    for p in report.problems:
        where = Path(p.file).name + (f" (post {p.article_id})" if p.article_id else "")
        items.append(escape_text(f"{where}: {p.reason}"))
    problems = "".join(f"<li>{item}</li>" for item in items)
    return f'<div class="qa-report"><p>{escape_text(counts)}</p>' + (
        f"<ul>{problems}</ul></div>" if problems else "</div>"
    )


# -- conversation -----------------------------------------------------------------------------

_FOLLOW_UP_START = re.compile(
    r"^\s*(and|but|also|so|then|plus|what about|how about|what else|why|how come)\b", re.IGNORECASE
)
_ANAPHORS = frozenset(
    ["it", "its", "they", "them", "their", "theirs", "this", "these", "those", "he", "him",
     "his", "she", "her", "there", "such", "former", "latter", "same"]
)
_NAME_RE = re.compile(r"\b[A-Z][\w’'.-]*(?:\s+(?:of|the|de|and)?\s*[A-Z][\w’'.-]*)*")
_NOT_NAMES = frozenset(
    ["what", "who", "whom", "whose", "when", "where", "why", "how", "which", "and", "but", "also", "so",
     "then", "did", "does", "do", "is", "are", "was", "were", "will", "would", "can", "could", "should",
     "tell", "show", "give", "list", "explain", "describe", "i", "the", "a", "an", "in", "on", "at", "of"]
)


def names_in(text: str) -> list[str]:
    """Capitalised names in a question ("Jinan", "South Korea"), question words left out."""
    found: list[str] = []
    for match in _NAME_RE.finditer(text):
        words = match.group().strip(".'’-").split()
        while words and words[0].lower() in _NOT_NAMES:
            words = words[1:]
        name = " ".join(words)
        if name and name.lower() not in _NOT_NAMES and name not in found:
            found.append(name)
    return found


def rewrite_follow_up(question: str, previous: Sequence[str], *, max_names: int = 4) -> str:
    """A follow-up question made self-contained with the names of the previous turn, without an LLM.

    "And what did China decide?" after "What was agreed in Jinan?" becomes
    "And what did China decide? (Jinan)". A question that does not read as a follow-up (no
    leading "and/but/what about…", no pronoun referring back) is returned unchanged.
    """
    question = question.strip()
    if not previous or not question:
        return question
    words = {w.lower() for w in re.findall(r"[\w’']+", question)}
    if not (_FOLLOW_UP_START.match(question) or words & _ANAPHORS):
        return question
    present = question.casefold()
    context = [n for n in names_in(previous[-1]) if n.casefold() not in present][:max_names]
    return f"{question} ({', '.join(context)})" if context else question


def example_questions(headlines: Sequence[str], limit: int = 4) -> list[dict[str, str]]:
    """Example messages for the empty chat, from the archive's newest real-looking headlines."""
    examples: list[dict[str, str]] = []
    for title in headlines:
        title = " ".join(title.split())
        # Skip stubs ("awdawd") and titles made from a body's first words ("… …").
        if len(title.split()) < 4 or title.endswith("…") or len(title) > 120:
            continue
        examples.append({"text": f"What does the archive say about “{title}”?", "display_text": title})
        if len(examples) == limit:
            break
    return examples


# -- filters ----------------------------------------------------------------------------------


def parse_day(value: Any, *, end_of_day: bool = False) -> datetime | None:
    """A date from the date pickers (string, timestamp or datetime) as an aware UTC datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        day = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, datetime):
        day = value
    else:
        text = str(value).strip()[:40]
        try:
            day = datetime.fromisoformat(text)
        except ValueError:
            raise qa.InvalidQueryError(f"{text!r} is not a date; use YYYY-MM-DD.") from None
    if day.tzinfo is None:
        day = day.replace(tzinfo=UTC)
    day = day.replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(days=1, microseconds=-1) if end_of_day else day


def search_options(after: Any, before: Any, outlet: str | None, k: Any) -> dict[str, Any]:
    """Keyword arguments for `Archive.ask` from the filter widgets (validated on the server)."""
    try:
        k = int(k) if k not in (None, "") else None
    except (TypeError, ValueError):
        raise qa.InvalidQueryError(f"The number of sources must be a whole number, not {k!r}.") from None
    if k is not None and not 1 <= k <= MAX_SOURCES:
        raise qa.InvalidQueryError(f"The number of sources must be between 1 and {MAX_SOURCES}.")
    return {
        "k": k,
        "published_after": parse_day(after),
        "published_before": parse_day(before, end_of_day=True),
        "source": outlet if outlet and outlet != ANY_OUTLET else None,
    }


def check_length(question: Any) -> str:
    """The question as a string, or InvalidQueryError when it is not text or too long."""
    if not isinstance(question, str):
        raise qa.InvalidQueryError("The question must be text.")
    if len(question) > MAX_QUESTION_CHARS:
        raise qa.InvalidQueryError(
            f"The question is {len(question):,} characters long; the limit is {MAX_QUESTION_CHARS:,}."
        )
    return question


# -- the app ----------------------------------------------------------------------------------

CSS = """
.qa-answer { line-height: 1.5; overflow-wrap: anywhere; }
.qa-note { font-size: 0.8em; opacity: 0.7; margin: 0 0 0.4em; }
.qa-text { margin: 0 0 0.6em; }
.qa-cite { font-size: 0.8em; vertical-align: super; text-decoration: none; padding: 0 1px; }
.qa-sources { display: flex; flex-direction: column; gap: 0.5em; }
.qa-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.5em 0.7em;
  transition: box-shadow 0.3s; }
.qa-source.qa-flash { box-shadow: 0 0 0 3px var(--color-accent); }
.qa-source-head { font-size: 0.92em; }
.qa-n { display: inline-block; min-width: 1.5em; text-align: center; border-radius: 999px;
  background: var(--color-accent-soft); font-weight: 600; font-size: 0.85em; }
.qa-title { font-weight: 600; }
.qa-meta { font-size: 0.85em; opacity: 0.75; white-space: nowrap; }
.qa-excerpt { margin: 0.4em 0 0; padding-left: 0.7em; border-left: 3px solid var(--border-color-primary);
  font-size: 0.9em; }
.qa-excerpt mark { background: #fff3a3; color: inherit; padding: 0 1px; }
.dark .qa-excerpt mark { background: #6b5b00; }
.qa-error { color: var(--error-text-color, #b91c1c); }
.qa-status { font-size: 0.85em; opacity: 0.8; margin: 0; }
"""

# Clicking [n] scrolls to source card n of the same answer and flashes it. Written here, not taken
# from any article; a capturing listener so that the chat's own link handling does not interfere.
JS = """
() => {
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a.qa-cite") : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const card = document.getElementById((link.getAttribute("href") || "").slice(1));
    if (!card) return;
    card.scrollIntoView({ behavior: "smooth", block: "nearest" });
    card.classList.add("qa-flash");
    setTimeout(() => card.classList.remove("qa-flash"), 1500);
  }, true);
}
"""

Chat = list[dict[str, str]]


def build_app(archive: qa.Archive) -> gr.Blocks:
    """The chat UI over an archive: streaming answers with source cards, filters, uploads.

    Every handler enforces its limits itself (question length, number of sources, upload size
    and count), because the browser's limits can be bypassed by calling the API directly.
    """

    def status() -> str:
        return render_status(archive.stats())

    def outlets() -> list[str]:
        return [ANY_OUTLET, *archive.stats().sources]

    def examples() -> list[dict[str, str]]:
        return example_questions(archive.headlines(20))

    def respond(
        question: str, history: Chat | None, queries: list[str] | None,
        after: Any, before: Any, outlet: str | None, k: Any,
    ) -> Iterator[tuple[str, Chat, list[str]]]:
        history, queries = list(history or []), list(queries or [])
        try:
            question = check_length(question).strip()
        except qa.InvalidQueryError as exc:
            yield "", [*history, {"role": "assistant", "content": render_error(str(exc))}], queries
            return
        if not question:
            yield "", history, queries
            return
        turn = len(queries)
        query = rewrite_follow_up(question, queries)
        history.append({"role": "user", "content": escape_text(question)})
        history.append({"role": "assistant", "content": '<p class="qa-note">Searching the archive…</p>'})
        yield "", history, queries
        try:
            answer = archive.ask(query, **search_options(after, before, outlet, k))
        except qa.QAError as exc:
            history[-1] = {"role": "assistant", "content": render_error(str(exc))}
            yield "", history, queries
            return
        note = query if query != question else None
        # Stream the answer sentence by sentence, then the full answer with its source cards.
        pieces = re.split(r"(?<=\])\s+", answer.text)
        for i in range(1, len(pieces)):
            shown = qa.Answer(question=answer.question, text=" ".join(pieces[:i]), citations=answer.citations)
            partial = render_answer(shown, turn=turn, query=note, partial=True)
            history[-1] = {"role": "assistant", "content": partial}
            yield "", history, queries
        history[-1] = {"role": "assistant", "content": render_answer(answer, turn=turn, query=note)}
        yield "", history, [*queries, query]

    def respond_example(
        evt: gr.SelectData, history: Chat | None, queries: list[str] | None,
        after: Any, before: Any, outlet: str | None, k: Any,
    ) -> Iterator[tuple[str, Chat, list[str]]]:
        text = evt.value.get("text", "") if isinstance(evt.value, dict) else str(evt.value or "")
        yield from respond(text, history, queries, after, before, outlet, k)

    def add_files(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        paths, refused = [], []
        uploads = Path(get_upload_folder()).resolve()
        for name in files or []:
            path = Path(name).resolve()
            if not path.is_relative_to(uploads):  # Gradio checks this too; we delete these files
                refused.append(f"{path.name}: not an uploaded file; skipped")
            elif len(paths) == MAX_UPLOAD_FILES:
                refused.append(f"{path.name}: more than {MAX_UPLOAD_FILES} files at once; skipped")
            elif path.suffix.lower() not in UPLOAD_SUFFIXES:
                refused.append(f"{path.name}: not a {'/'.join(UPLOAD_SUFFIXES)} file; skipped")
            elif path.stat().st_size > MAX_UPLOAD_BYTES:
                refused.append(f"{path.name}: over the {MAX_UPLOAD_BYTES // 2**20} MB limit; skipped")
            else:
                paths.append(path)
        labels = {"read": "Reading files", "embed": "Embedding", "publish": "Publishing"}

        def on_progress(stage: str, done: int, total: int) -> None:
            progress((done, total) if total else None, desc=labels.get(stage, stage))

        try:
            report = archive.add(paths, progress=on_progress) if paths else qa.IndexReport()
            shown = render_report(report, refused)
        except qa.QAError as exc:
            shown = render_error(str(exc))
        finally:
            for path in paths:  # the archive keeps its own copy of the text; drop the upload
                path.unlink(missing_ok=True)
        return (
            shown, status(), None, gr.Dropdown(choices=outlets()), gr.Chatbot(examples=examples() or None),
        )

    def ask_api(
        question: str, k: int = 5, published_after: str = "", published_before: str = "", source: str = "",
    ) -> dict:
        """Answer a question from the archive with cited sources.

        Args:
            question: the question, at most 2,000 characters.
            k: how many passages to consult (1-10).
            published_after: only articles published on or after this day (YYYY-MM-DD), or "".
            published_before: only articles published on or before this day (YYYY-MM-DD), or "".
            source: only this outlet (e.g. "koreapro.org"), or "".

        Returns:
            The Answer as JSON: text with [n] markers, citations (title, url, link to the cited
            sentence, published, excerpt, sentence offsets), abstained, leads.
        """
        try:
            options = search_options(published_after, published_before, source or None, k)
            return archive.ask(check_length(question), **options).to_dict()
        except qa.QAError as exc:
            raise gr.Error(str(exc)) from None

    with gr.Blocks(title="Ask the archive", analytics_enabled=False) as demo:
        queries = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                gr.Markdown("## Ask the archive")
                status_line = gr.HTML(status(), elem_id="qa-status")
                chat = gr.Chatbot(
                    label="Answers with cited sources",
                    show_label=False,
                    elem_id="qa-chat",
                    height="68vh",
                    min_height=320,
                    render_markdown=False,  # article text must never become Markdown links/images
                    sanitize_html=True,
                    allow_tags=False,
                    latex_delimiters=[],
                    feedback_options=None,
                    buttons=["copy"],
                    examples=examples() or None,
                    placeholder="Ask about the articles in the archive; answers quote and cite them.",
                )
                with gr.Row():
                    box = gr.Textbox(
                        placeholder="Ask a question, e.g. What was agreed in Jinan?",
                        show_label=False,
                        max_length=MAX_QUESTION_CHARS,
                        lines=1,
                        max_lines=6,
                        scale=5,
                        elem_id="qa-question",
                        autofocus=True,
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80)
                clear = gr.Button("New conversation", size="sm", variant="secondary")
            with gr.Column(scale=1, min_width=260):
                with gr.Accordion("Filters", open=True):
                    after = gr.DateTime(label="Published from", include_time=False, type="string")
                    before = gr.DateTime(label="Published until", include_time=False, type="string")
                    outlet = gr.Dropdown(choices=outlets(), value=ANY_OUTLET, label="Outlet")
                    k = gr.Slider(
                        1, MAX_SOURCES, value=archive.settings.k, step=1, label="Passages to consult"
                    )
                with gr.Accordion("Add articles", open=False):
                    files = gr.File(
                        label=f"JSON, HTML or text files (≤ {MAX_UPLOAD_BYTES // 2**20} MB each)",
                        file_count="multiple",
                        file_types=list(UPLOAD_SUFFIXES),
                        elem_id="qa-upload",
                    )
                    add = gr.Button("Add to the archive", elem_id="qa-add")
                    report = gr.HTML(elem_id="qa-report")

        ask_inputs = [box, chat, queries, after, before, outlet, k]
        ask_outputs = [box, chat, queries]
        common = {"concurrency_limit": CONCURRENCY, "concurrency_id": "ask", "api_visibility": "undocumented"}
        box.submit(respond, ask_inputs, ask_outputs, **common)
        send.click(respond, ask_inputs, ask_outputs, **common)
        chat.example_select(respond_example, ask_inputs[1:], ask_outputs, **common)
        clear.click(lambda: ("", [], []), None, ask_outputs, api_visibility="private", queue=False)
        add.click(
            add_files, [files], [report, status_line, files, outlet, chat],
            concurrency_limit=1, api_visibility="undocumented",
        )
        demo.load(status, None, status_line, api_visibility="private", queue=False)
        gr.api(ask_api, api_name="ask", concurrency_limit=CONCURRENCY, concurrency_id="ask")
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return demo


def launch(
    demo: gr.Blocks,
    *,
    host: str = "127.0.0.1",
    port: int | None = 7860,
    auth: Sequence[tuple[str, str]] | None = None,
    blocked_paths: Sequence[str | Path] = (),
    prevent_thread_lock: bool = False,
    quiet: bool = False,
) -> str:
    """Serve the app with the safe defaults: no share link, no SSR, capped uploads, nothing else served.

    Returns:
        The local URL.
    """
    _, url, _ = demo.launch(
        server_name=host,
        server_port=port,
        auth=list(auth) if auth else None,
        share=False,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        strict_cors=True,
        show_error=False,
        max_file_size=MAX_UPLOAD_BYTES,
        allowed_paths=[],
        blocked_paths=[str(Path(p).resolve()) for p in blocked_paths],
        footer_links=["api"],
        css=CSS,
        js=JS,
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
    )
    return url


# -- the entry point --------------------------------------------------------------------------


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """`user:pass` (or several, comma-separated) as Gradio credentials; None when empty.

    Raises:
        ValueError: an entry without a user or a password.
    """
    if not value or not value.strip():
        return None
    pairs = []
    for entry in value.split(","):
        user, sep, password = entry.strip().partition(":")
        if not sep or not user or not password:
            raise ValueError("auth must be user:password (several separated by commas)")
        pairs.append((user, password))
    return pairs


def exposure_warning(host: str, auth: object) -> str | None:
    """The warning to give when the chat listens beyond this machine without a password."""
    if host in LOOPBACK_HOSTS or auth:
        return None
    return (
        f"The chat listens on {host} without a password: anyone who can reach this port can use it "
        "and add articles. Pass --auth user:password (or QA_AUTH), or serve it behind an "
        "authenticating reverse proxy."
    )


class TerminalProgress:
    """The library's progress(stage, done, total) callback as tqdm bars on stderr."""

    LABELS = {"read": "Reading files", "embed": "Embedding chunks", "publish": "Publishing"}

    def __init__(self) -> None:
        self._bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        bar = self._bars.get(stage)
        if bar is None:
            label = self.LABELS.get(stage, stage)
            bar = self._bars[stage] = tqdm(desc=label, total=total or None, file=sys.stderr)
        bar.total = total or None
        bar.n = done
        bar.refresh()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def ensure_index(index_dir: Path, *, say: Callable[[str], None] = _say) -> qa.Archive:
    """Open the archive; on first start, build it from the bundled sample articles (progress on stderr)."""
    archive = qa.Archive(index_dir, settings=qa.Settings.from_env(), llm=qa.LLMConfig.from_env())
    if archive.stats().articles == 0:
        say(f"Building the sample archive in {index_dir} (first start) …")
        bars = TerminalProgress()
        try:
            report = archive.add([sample_archive_dir()], progress=bars)
        finally:
            bars.close()
        say(report.summary() + f" in {report.seconds:.1f} s")
    return archive


def main(
    index_dir: str | Path | None = None,
    host: str | None = None,
    port: int | None = None,
    auth: str | None = None,
) -> None:
    """Build the sample index on first start, load the model, and serve the chat.

    Unset arguments come from QA_INDEX_DIR, GRADIO_SERVER_NAME, GRADIO_SERVER_PORT and QA_AUTH;
    the chat binds to 127.0.0.1:7860 unless told otherwise.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    host = host or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = port or int(os.environ.get("GRADIO_SERVER_PORT") or 7860)
    credentials = parse_auth(auth if auth is not None else os.environ.get("QA_AUTH"))
    warning = exposure_warning(host, credentials)
    if warning:
        log.warning(warning)
    archive = ensure_index(Path(index_dir or qa.default_index_dir()))
    archive.retrieve("warm up the model and the vector index", 1)  # so the first question is fast
    launch(build_app(archive), host=host, port=port, auth=credentials, blocked_paths=[archive.index_dir])


def _parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="The archive's browser chat.")
    parser.add_argument("--index-dir", help="index directory [default: $QA_INDEX_DIR or ./qa-index]")
    parser.add_argument("--host", help="address to bind [default: $GRADIO_SERVER_NAME or 127.0.0.1]")
    parser.add_argument("--port", type=int, help="port [default: $GRADIO_SERVER_PORT or 7860]")
    parser.add_argument("--auth", help="user:password required to use the chat [default: $QA_AUTH]")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = _parse_args()
    try:
        parse_auth(args.auth if args.auth is not None else os.environ.get("QA_AUTH"))
    except ValueError as exc:
        sys.exit(f"error: {exc}")
    try:
        main(index_dir=args.index_dir, host=args.host, port=args.port, auth=args.auth)
    except qa.QAError as exc:
        sys.exit(f"error: {exc}")
