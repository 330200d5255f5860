"""The browser chat: a Gradio shell over `qa.Archive`. Run `python app.py` or `qa serve`."""

from __future__ import annotations

import html
import os
import sys
from importlib import resources
from pathlib import Path

import gradio as gr

import qa


def sample_archive_dir() -> Path:
    """The sample articles shipped inside the package."""
    return Path(str(resources.files("qa") / "sample"))


def _safe_url(url: str | None) -> str | None:
    return url if url and url.startswith(("http://", "https://")) else None


def render_answer(answer: qa.Answer) -> str:
    """The answer and its sources as HTML in which every article string is escaped."""
    parts = [f"<p>{html.escape(answer.text)}</p>"]
    if answer.abstained:
        for lead in answer.leads:
            link = _safe_url(lead.url)
            title = html.escape(lead.title)
            parts.append(f'<p class="lead">Lead: <a href="{html.escape(link)}" rel="noopener noreferrer" target="_blank">{title}</a></p>' if link else f"<p>Lead: {title}</p>")
    for c in answer.citations:
        date = c.published.date().isoformat() if c.published else "undated"
        before = html.escape(c.excerpt[: c.sentence_start])
        cited = html.escape(c.excerpt[c.sentence_start : c.sentence_end])
        after = html.escape(c.excerpt[c.sentence_end :])
        link = _safe_url(c.link)
        anchor = (
            f'<a class="source-link" href="{html.escape(link)}" rel="noopener noreferrer" target="_blank">{html.escape(c.title)}</a>'
            if link
            else html.escape(c.title)
        )
        parts.append(
            f'<div class="source" id="source-{c.n}"><b>[{c.n}]</b> {anchor} '
            f'<span class="meta">{html.escape(c.source or "")} · {date}</span>'
            f"<blockquote>{before}<mark>{cited}</mark>{after}</blockquote></div>"
        )
    return "\n".join(parts)


def build_app(archive: qa.Archive) -> gr.Blocks:
    """The chat UI over an archive."""

    def respond(question: str, history: list[dict]) -> tuple[str, list[dict]]:
        try:
            answer = archive.ask(question)
            reply = render_answer(answer)
        except qa.QAError as exc:
            reply = html.escape(str(exc))
        history = history + [
            {"role": "user", "content": html.escape(question)},
            {"role": "assistant", "content": reply},
        ]
        return "", history

    with gr.Blocks(title="Ask the archive") as demo:
        gr.Markdown("## Ask the archive")
        chat = gr.Chatbot(label="Answers with cited sources", sanitize_html=True, render_markdown=False)
        box = gr.Textbox(placeholder="Ask a question, e.g. What was agreed in Jinan?", label="Question")
        box.submit(respond, [box, chat], [box, chat])
    return demo


def ensure_index(index_dir: Path) -> qa.Archive:
    """Open the archive; on first start, build it from the bundled sample articles."""
    archive = qa.Archive(index_dir)
    if archive.stats().articles == 0:
        from qa.cli import RichProgress, progress_bar, print_report

        print(f"Building the sample archive in {index_dir} …", file=sys.stderr)
        with progress_bar() as bar:
            report = archive.add([sample_archive_dir()], progress=RichProgress(bar))
        print_report(report)
    return archive


def main(index_dir: Path | None = None, host: str | None = None, port: int | None = None) -> None:
    archive = ensure_index(Path(index_dir or qa.default_index_dir()))
    demo = build_app(archive)
    demo.launch(
        server_name=host or os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=port or int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        share=False,
    )


if __name__ == "__main__":
    main()
