"""What the chat does, without Gradio: answer a turn, screen and ingest uploads, read the filters.

Every handler enforces its limits itself (question length, number of sources, upload size and
count), because the browser's limits can be bypassed by calling the API directly. Tests call
these with a real `Archive` and no browser; qa/ui/layout.py only wires them to widgets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from qa.archive import Archive
from qa.errors import InvalidQueryError, QAError
from qa.indexing import Progress
from qa.query import check_length, parse_day
from qa.sources import ARTICLE_SUFFIXES
from qa.types import Answer, IndexReport
from qa.ui.render import (
    escape_text,
    example_questions,
    render_answer,
    render_error,
    render_report,
    render_status,
)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # per file, enforced by Gradio's upload route and again here
MAX_UPLOAD_FILES = 20
MAX_SOURCES = 10
ANY_OUTLET = "Any outlet"

Chat = list[dict[str, str]]
# One frame of a streamed turn: (the question box's new value, the chat, the answers so far).
Frame = tuple[str, Chat, list[Answer]]


def search_options(after: Any, before: Any, outlet: str | None, k: Any) -> dict[str, Any]:
    """Keyword arguments for `Archive.ask` from the filter widgets (validated on the server)."""
    try:
        k = int(k) if k not in (None, "") else None
    except (TypeError, ValueError):
        raise InvalidQueryError(f"The number of sources must be a whole number, not {k!r}.") from None
    if k is not None and not 1 <= k <= MAX_SOURCES:
        raise InvalidQueryError(f"The number of sources must be between 1 and {MAX_SOURCES}.")
    return {
        "k": k,
        "published_after": parse_day(after),
        "published_before": parse_day(before, end_of_day=True),
        "source": _outlet(outlet),
    }


def _outlet(value: Any) -> str | None:
    """The outlet filter: one outlet's name, or None for any."""
    if value in (None, "", ANY_OUTLET):
        return None
    if not isinstance(value, str):
        raise InvalidQueryError(f"The outlet must be one name, not {type(value).__name__}.")
    return value


def screen_uploads(files: Sequence[str] | None, upload_dir: Path) -> tuple[list[Path], list[str]]:
    """(files to ingest, one "name: reason; skipped" line per refused file).

    Only files inside `upload_dir` (where Gradio puts uploads) are taken, at most
    MAX_UPLOAD_FILES, with a suffix the readers know (ARTICLE_SUFFIXES) and at most MAX_UPLOAD_BYTES each.
    """
    paths: list[Path] = []
    refused: list[str] = []
    uploads = upload_dir.resolve()
    for name in files or []:
        path = Path(name).resolve()
        if not path.is_relative_to(uploads):  # Gradio checks this too; we delete these files
            refused.append(f"{path.name}: not an uploaded file; skipped")
        elif len(paths) == MAX_UPLOAD_FILES:
            refused.append(f"{path.name}: more than {MAX_UPLOAD_FILES} files at once; skipped")
        elif path.suffix.lower() not in ARTICLE_SUFFIXES:
            refused.append(f"{path.name}: not a {'/'.join(ARTICLE_SUFFIXES)} file; skipped")
        elif path.stat().st_size > MAX_UPLOAD_BYTES:
            refused.append(f"{path.name}: over the {MAX_UPLOAD_BYTES // 2**20} MB limit; skipped")
        else:
            paths.append(path)
    return paths, refused


def remove_uploads(files: Sequence[str] | None, upload_dir: Path) -> None:
    """Delete uploaded files, ingested or refused, and the folders Gradio made for them: the
    archive keeps its own copy of the text. Nothing outside `upload_dir` is touched."""
    uploads = upload_dir.resolve()
    for name in files or []:
        path = Path(name).resolve()
        if not path.is_relative_to(uploads) or path == uploads:
            continue
        path.unlink(missing_ok=True)
        folder = path.parent
        while folder != uploads and folder.is_relative_to(uploads) and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


class ChatHandlers:
    """The chat's handlers over one archive."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def status(self) -> str:
        return render_status(self.archive.stats())

    def outlets(self) -> list[str]:
        return [ANY_OUTLET, *self.archive.stats().sources]

    def examples(self) -> list[dict[str, str]]:
        return example_questions(self.archive.headlines(20))

    def respond(
        self, question: Any, history: Chat | None, answers: list[Answer] | None,
        after: Any, before: Any, outlet: str | None, k: Any,
    ) -> Iterator[Frame]:
        """One turn: the question shown, then the answer streamed sentence by sentence, then the
        whole answer with its source cards. `answers` are the turns so far (each an Answer to its
        question as searched: a follow-up carries their names, and the name an answer gave)."""
        history, answers = list(history or []), list(answers or [])
        try:
            question = check_length(question).strip()
        except InvalidQueryError as exc:
            yield "", [*history, {"role": "assistant", "content": render_error(str(exc))}], answers
            return
        if not question:
            yield "", history, answers
            return
        turn = len(answers)
        history.append({"role": "user", "content": escape_text(question)})
        history.append({"role": "assistant", "content": '<p class="qa-note">Searching the archive…</p>'})
        yield "", history, answers
        try:
            answer = self.archive.ask(question, previous=answers, **search_options(after, before, outlet, k))
        except QAError as exc:
            history[-1] = {"role": "assistant", "content": render_error(str(exc))}
            yield "", history, answers
            return
        # As searched: a follow-up with the last question's names, an acronym written out.
        note = answer.question if answer.question != question else None
        pieces = re.split(r"(?<=\])\s+", answer.text)
        for i in range(1, len(pieces)):
            shown = Answer(question=answer.question, text=" ".join(pieces[:i]), citations=answer.citations)
            partial = render_answer(shown, turn=turn, query=note, partial=True)
            history[-1] = {"role": "assistant", "content": partial}
            yield "", history, answers
        history[-1] = {"role": "assistant", "content": render_answer(answer, turn=turn, query=note)}
        yield "", history, [*answers, answer]

    def add_uploads(self, files: Sequence[str] | None, upload_dir: Path, progress: Progress) -> str:
        """Ingest the acceptable uploaded files, delete every taken upload, and report as HTML."""
        paths, refused = screen_uploads(files, upload_dir)
        try:
            report = self.archive.add(paths, progress=progress) if paths else IndexReport()
            return render_report(report, refused)
        except QAError as exc:
            return render_error(str(exc))
        finally:
            remove_uploads(files, upload_dir)

    def ask_json(
        self, question: Any, k: Any = None, published_after: Any = "", published_before: Any = "",
        source: str = "",
    ) -> dict[str, Any]:
        """The answer as JSON for the HTTP API; QAError for a bad question or filter."""
        options = search_options(published_after, published_before, source or None, k)
        return self.archive.ask(check_length(question), **options).to_dict()
