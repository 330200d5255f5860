"""The chat's layout and wiring: Gradio widgets bound to `ChatHandlers`, and `launch` with safe defaults."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import gradio as gr
from gradio.components.chatbot import ExampleMessage
from gradio.utils import get_upload_folder

from qa.archive import Archive
from qa.errors import QAError
from qa.indexing import PROGRESS_LABELS
from qa.query import MAX_QUESTION_CHARS
from qa.sources import ARTICLE_SUFFIXES
from qa.sync.schedule import BackgroundSync
from qa.types import Answer
from qa.ui.handlers import (
    ANY_OUTLET,
    MAX_SOURCES,
    MAX_UPLOAD_BYTES,
    ChatHandlers,
    Frame,
)
from qa.ui.sources import sources_panel

CONCURRENCY = 2  # questions answered at once (the machine has few cores)
QUEUE_SIZE = 32  # waiting requests beyond this are refused

CSS = """
.qa-answer { line-height: 1.5; overflow-wrap: anywhere; }
.qa-note { font-size: 0.8em; opacity: 0.7; margin: 0 0 0.4em; }
.qa-text { margin: 0 0 0.6em; }
.qa-uncited { font-style: italic; margin: -0.3em 0 0.6em; }
.qa-cite { font-size: 0.8em; vertical-align: super; text-decoration: none; padding: 0 1px; }
.qa-sources { display: flex; flex-direction: column; gap: 0.5em; }
.qa-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.5em 0.7em;
  transition: box-shadow 0.3s; }
.qa-source.qa-flash, .qa-excerpt mark.qa-flash { box-shadow: 0 0 0 3px var(--color-accent); }
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

# Clicking [n] scrolls to cited sentence n of the same answer and flashes it and its card. Written
# here, not taken from any article; a capturing listener so that the chat's own link handling does
# not interfere.
JS = """
() => {
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a.qa-cite") : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const target = document.getElementById((link.getAttribute("href") || "").slice(1));
    if (!target) return;
    const card = target.closest(".qa-source") || target;
    target.scrollIntoView({ behavior: "smooth", block: "nearest" });
    for (const el of new Set([target, card])) {
      el.classList.add("qa-flash");
      setTimeout(() => el.classList.remove("qa-flash"), 1500);
    }
  }, true);
}
"""

def build_app(
    archive: Archive, *, sync: BackgroundSync | None = None, sync_controls: bool = False
) -> gr.Blocks:
    """The chat UI over an archive: streaming answers with source cards, filters, uploads, and
    the synced sources (`sync`: the server's background sync; `sync_controls`: a "Sync now")."""
    handlers = ChatHandlers(archive)
    status, outlets, examples = handlers.status, handlers.outlets, handlers.examples
    respond = handlers.respond

    def chat_examples() -> list[ExampleMessage] | None:
        return cast(list[ExampleMessage], examples()) or None  # dicts of text and display_text

    def respond_example(
        evt: gr.SelectData, history: Any, answers: list[Answer] | None,
        after: Any, before: Any, outlet: str | None, k: Any,
    ) -> Iterator[Frame]:
        text = evt.value.get("text", "") if isinstance(evt.value, dict) else str(evt.value or "")
        yield from respond(text, history, answers, after, before, outlet, k)

    def add_files(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        def on_progress(stage: str, done: int, total: int) -> None:
            progress((done, total) if total else None, desc=PROGRESS_LABELS.get(stage, stage))

        shown = handlers.add_uploads(files, Path(get_upload_folder()), on_progress)
        return (
            shown, status(), None, gr.Dropdown(choices=outlets()), gr.Chatbot(examples=chat_examples()),
        )

    def ask_api(
        question: str, k: int = archive.answer_k, published_after: str = "", published_before: str = "",
        source: str = "",
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
            return handlers.ask_json(question, k, published_after, published_before, source)
        except QAError as exc:
            raise gr.Error(str(exc)) from None

    with gr.Blocks(title="Ask the archive", analytics_enabled=False) as demo:
        answers = gr.State([])
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
                    examples=chat_examples(),
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
                        1, MAX_SOURCES, value=min(archive.answer_k, MAX_SOURCES), step=1,
                        label="Passages to consult",
                    )
                with gr.Accordion("Add articles", open=False):
                    files = gr.File(
                        label=f"JSON, HTML or text files (≤ {MAX_UPLOAD_BYTES // 2**20} MB each)",
                        file_count="multiple",
                        file_types=list(ARTICLE_SUFFIXES),
                        elem_id="qa-upload",
                    )
                    add = gr.Button("Add to the archive", elem_id="qa-add")
                    report = gr.HTML(elem_id="qa-report")
                sources_panel(archive, sync, controls=sync_controls)

        ask_inputs = [box, chat, answers, after, before, outlet, k]
        ask_outputs = [box, chat, answers]
        common: dict[str, Any] = {
            "concurrency_limit": CONCURRENCY, "concurrency_id": "ask", "api_visibility": "undocumented",
        }
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



# What every launch sets: no share link, SSR, PWA, MCP server or monitoring; strict CORS; errors
# not shown to the browser; uploads capped; no file served beyond the app's own.
SAFE_LAUNCH: dict[str, Any] = {
    "share": False, "ssr_mode": False, "pwa": False, "mcp_server": False, "enable_monitoring": False,
    "strict_cors": True, "show_error": False, "max_file_size": MAX_UPLOAD_BYTES, "allowed_paths": [],
    "footer_links": ["api"], "css": CSS, "js": JS,
}


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
        server_name=host, server_port=port, auth=list(auth) if auth else None,
        blocked_paths=[str(Path(p).resolve()) for p in blocked_paths],
        # quiet: Gradio's own lines end with a "set share=True" hint; sharing is off here.
        prevent_thread_lock=True, quiet=True, **SAFE_LAUNCH,
    )
    if not quiet:
        print(f"* The chat is running at {url}", flush=True)
    if not prevent_thread_lock:
        demo.block_thread()
    return url
