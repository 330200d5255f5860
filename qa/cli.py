"""The `qa` command: index, ask, serve, eval — a thin shell over the Python API."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from qa.archive import Archive
from qa.config import AnswerWeights, Settings, default_index_dir, gradio_port_from_env
from qa.errors import IndexNotFoundError, InvalidQueryError, QAError
from qa.indexing import PROGRESS_LABELS
from qa.llm import LLMConfig
from qa.query import parse_day
from qa.sources import expand_paths
from qa.sync.schedule import SyncOutcome
from qa.types import Answer, IndexReport

app = typer.Typer(
    help="Question answering over news archives: index articles, ask questions, serve the chat.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Output is plain text: article text, titles and file names are untrusted and must print as
# they are, so neither console reads rich markup or emoji codes from what it prints.
err = Console(stderr=True, soft_wrap=True, markup=False, emoji=False, highlight=False)
out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: object) -> str:
    """`text` with control characters (terminal escape sequences among them) shown as `\\xNN`."""
    return _CONTROL_RE.sub(lambda m: repr(m.group())[1:-1].replace("\\\\", "\\"), str(text))


class PrintableFormatter(logging.Formatter):
    """Log lines name files and quote their content: control characters are shown, not sent."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


class ReportedProblems(logging.Filter):
    """Drops the warning logged for each problem (a record tagged `problem`): `qa index` and
    `qa sync` print them all in their report, and a problem shown twice (as a WARNING while
    reading, then in the report) reads as two."""

    LOGGERS = ("qa.indexing", "qa.sync.run")

    def filter(self, record: logging.LogRecord) -> bool:
        return not hasattr(record, "problem")

    @classmethod
    def install(cls) -> None:
        """Filter the problems of every logger that warns of them (the indexer's and the sync's),
        once however many commands run in this process."""
        for name in cls.LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(f, cls) for f in logger.filters):
                logger.addFilter(cls())


IndexDir = Annotated[
    Path | None,
    typer.Option("--index-dir", help="Index directory (default: $QA_INDEX_DIR or ./qa-index)."),
]
Model = Annotated[
    str | None,
    typer.Option("--model", help="Embedding model name or path (default: the bundled all-MiniLM-L6-v2)."),
]


def _settings(model: str | None) -> Settings:
    settings = Settings.from_env()
    return settings.replace(model=model) if model else settings


def open_archive(index_dir: Path | None, model: str | None = None, *, create: bool = False) -> Archive:
    return Archive(
        index_dir or default_index_dir(), settings=_settings(model), create=create, llm=LLMConfig.from_env()
    )


def open_filled_archive(index_dir: Path | None) -> Archive:
    """The archive to ask or evaluate; an index without articles (a first `qa index` interrupted,
    or every article removed) is an error rather than answers that all say "not in the archive"."""
    archive = open_archive(index_dir)
    if archive.stats().articles == 0:
        archive.close()
        raise IndexNotFoundError(
            f"The index at {archive.index_dir} holds no articles yet; run: qa index ARTICLES "
            f"--index-dir {archive.index_dir}"
        )
    return archive


class RichProgress:
    """Adapts the library's progress(stage, done, total) callback to a rich progress bar."""

    def __init__(self, progress: Progress | LineProgress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self._tasks:
            label = PROGRESS_LABELS.get(stage, stage)
            self._tasks[stage] = self._progress.add_task(label, total=total or None)
        self._progress.update(self._tasks[stage], completed=done, total=total or None)


@dataclass
class _LineTask:
    description: str
    total: float | None
    started: float
    done: float = 0
    printed: float | None = None  # when its last line was printed
    finished: bool = False


class LineProgress:
    """Progress as plain lines for a log file or a pipe (where a bar would print nothing until
    the end): a line when a stage starts, then at most one every `every` seconds, and one when
    it is done. Offers the part of rich's Progress the CLI uses."""

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self._tasks: list[_LineTask] = []

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: float | None = None) -> TaskID:
        self._tasks.append(_LineTask(description, total, time.monotonic()))
        return TaskID(len(self._tasks) - 1)

    def update(self, task_id: TaskID, *, completed: float | None = None, total: float | None = None) -> None:
        task = self._tasks[task_id]
        task.total = task.total if total is None else total
        task.done = task.done if completed is None else completed
        if task.finished:
            return
        now = time.monotonic()
        task.finished = bool(task.total) and task.done >= (task.total or 0)
        if task.printed is None or now - task.printed >= self.every or task.finished:
            elapsed = int(now - task.started)
            total_text = f"/{task.total:.0f}" if task.total else ""
            err.print(f"{task.description}: {task.done:.0f}{total_text} ({elapsed // 60}:{elapsed % 60:02d})")
            task.printed = now


def progress_bar() -> Progress | LineProgress:
    """A bar on a terminal; elsewhere (a file, a pipe) a line every few seconds."""
    if not err.is_terminal:
        return LineProgress()
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=False,
    )


def print_report(report: IndexReport) -> None:
    out.print(report.summary() + f" in {report.seconds:.1f} s")
    for problem in report.problems:
        post = f" (post {printable(problem.article_id)})" if problem.article_id else ""
        where = printable(problem.file) + post
        out.print(f"  problem: {where}: {printable(problem.reason)}")


def print_answer(answer: Answer) -> None:
    out.print(printable(answer.text))
    if answer.abstained and answer.leads:
        out.print("\nClosest articles (leads, not citations):")
        for lead in answer.leads:
            out.print(f"  - {printable(lead.title)} ({printable(lead.url or 'no link')})")
    for citation in answer.citations:
        date = citation.published.date().isoformat() if citation.published else "undated"
        out.print(f"\n[{citation.n}] {printable(citation.title)} — {printable(citation.source or '')} {date}")
        out.print(f"    {printable(citation.link or citation.url or '')}")
        out.print(f"    “{printable(citation.excerpt[citation.sentence_start:citation.sentence_end])}”")


@app.command()
def index(
    paths: Annotated[list[str], typer.Argument(help="Article files, folders or globs.")],
    index_dir: IndexDir = None,
    model: Model = None,
    prune: Annotated[bool, typer.Option(help="Remove stored articles absent from PATHS.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    engine: Annotated[
        str, typer.Option(help="local, or ray: read, chunk and encode on Ray (local Ray, or $RAY_ADDRESS).")
    ] = "local",
) -> None:
    """Add new and changed articles to the index (unchanged ones cost nothing)."""
    if engine not in ("local", "ray"):
        raise typer.BadParameter(f"--engine must be local or ray, not {engine!r}")
    expand_paths(paths)  # a missing path is reported before an index directory is created
    ReportedProblems.install()
    try:
        with open_archive(index_dir, model, create=True) as archive, progress_bar() as bar:
            report = archive.add(
                paths, prune=prune, progress=RichProgress(bar), engine=engine,
                ray_address=os.environ.get("RAY_ADDRESS") or None,
            )
    except KeyboardInterrupt:
        err.print("Interrupted: the index keeps its last complete state and the chunks embedded so far; "
                  "run the same command again to finish.")
        raise typer.Exit(130) from None
    if as_json:
        out.print_json(json.dumps(report.to_dict()))
    else:
        print_report(report)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    index_dir: IndexDir = None,
    k: Annotated[
        int | None,
        typer.Option("--k", min=1, help=f"Passages to answer from (default: {AnswerWeights().passages}, or "
                     "QA_K when larger, as in the chat)."),
    ] = None,
    after: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="Only articles published on or after this day.")
    ] = None,
    before: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="Only articles published on or before this day.")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            metavar="OUTLET",
            help="Only this outlet's articles: its name as listed, or short (CNBC for "
            "'Cnbc | World Business News Leader'; FOX News for every FOX News section).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Answer a question from the index, with cited excerpts."""
    published_after = _day_option("--after", after)
    published_before = _day_option("--before", before, end_of_day=True)
    with open_filled_archive(index_dir) as archive:
        answer = archive.ask(
            question, k=k, published_after=published_after, published_before=published_before, source=source
        )
    if as_json:
        out.print_json(json.dumps(answer.to_dict()))
    else:
        if answer.question != question.strip():  # as the chat notes it: rewritten, not stripped
            out.print(f"Searched for: {printable(answer.question)}\n")
        print_answer(answer)


def _day_option(option: str, value: str | None, *, end_of_day: bool = False) -> datetime | None:
    """A day given to `option`, read as the chat and its remote API read theirs."""
    try:
        return parse_day(value, end_of_day=end_of_day)
    except InvalidQueryError as exc:
        raise InvalidQueryError(f"{option}: {exc}") from None


def print_outcome(outcome: SyncOutcome) -> None:
    if outcome.error is not None:
        err.print(f"error: {printable(outcome.url)}: {printable(outcome.error)}", soft_wrap=True)
        return
    out.print(f"{printable(outcome.url)}: ", end="")
    assert outcome.report is not None
    print_report(outcome.report)


@app.command()
def sync(
    urls: Annotated[
        list[str] | None,
        typer.Argument(help="WordPress sites, RSS/Atom feeds or sitemaps (default: every recorded source)."),
    ] = None,
    index_dir: IndexDir = None,
    every: Annotated[
        str | None, typer.Option(help="Sync again at this interval (15m, 1h, 900) until interrupted.")
    ] = None,
    pages: Annotated[
        bool | None,
        typer.Option(
            "--pages/--no-pages",
            help="Also sync a WordPress site's pages (remembered; --no-pages removes the pages synced).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcomes as JSON.")] = False,
) -> None:
    """Bring the archive in step with news sites, feeds and sitemaps (only what changed is fetched)."""
    from qa.sync.schedule import parse_interval, sync_all

    try:
        interval = parse_interval(every) if every else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--every") from None
    ReportedProblems.install()
    with open_archive(index_dir, create=True) as archive:
        if not urls and not archive.sources():
            raise typer.BadParameter(f"no sources recorded in {archive.index_dir} yet; give a URL to sync")
        while True:
            outcomes = sync_all(archive, urls or (), pages=pages)
            if as_json:
                out.print_json(json.dumps([o.to_dict() for o in outcomes]))
            else:
                for outcome in outcomes:
                    print_outcome(outcome)
            if interval is None:
                break
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                return
    if any(o.error for o in outcomes):
        raise typer.Exit(1)


sources_app = typer.Typer(
    help="The synced sources: list them (last sync, counts, last error), or remove one.",
    invoke_without_command=True, no_args_is_help=False,
)
app.add_typer(sources_app, name="sources")


@sources_app.callback()
def sources(
    ctx: typer.Context,
    index_dir: IndexDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the sources as JSON.")] = False,
) -> None:
    """List the synced sources with their last sync, counts and last error."""
    if ctx.invoked_subcommand is not None:
        return
    with open_archive(index_dir) as archive:
        found = archive.sources()
    if as_json:
        out.print_json(json.dumps([s.to_dict() for s in found]))
        return
    if not found:
        out.print("No synced sources; add one with: qa sync URL")
    for s in found:
        when = s.last_sync.strftime("%Y-%m-%d %H:%M UTC") if s.last_sync else "never"
        out.print(f"{printable(s.url)}  {s.kind}{' +pages' if s.pages else ''}  {s.articles} articles, "
                  f"{s.skipped} skipped  last sync {when}")
        if s.last_error:
            out.print(f"  last error: {printable(s.last_error)}")


@sources_app.command("remove")
def sources_remove(
    url: Annotated[str, typer.Argument(help="The source's URL, as `qa sources` lists it.")],
    index_dir: IndexDir = None,
) -> None:
    """Remove a source and the articles only it lists."""
    with open_archive(index_dir) as archive:
        report = archive.remove_source(url)
    out.print(f"Removed {printable(url)}: {report.removed} articles removed")


@app.command("eval")
def eval_(
    dataset: Annotated[
        Path,
        typer.Argument(
            help="Questions in MultiHop-RAG format (query, question_type, evidence_list), or with "
            "--answers natural questions (question, kind, expect, cite_url | off_archive)."
        ),
    ],
    index_dir: IndexDir = None,
    k: Annotated[int, typer.Option("--k", min=1, help="Passages retrieved per question.")] = 10,
    answers: Annotated[
        bool, typer.Option("--answers", help="Score answers (facts stated, article cited), not retrieval.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Score retrieval on benchmark questions (Hits@4, Hits@10, MRR@10, MAP@10, all-evidence@10,
    fact recall@10 and latency), or with --answers the answers to natural questions."""
    if answers:
        _eval_answers(dataset, index_dir, as_json)
        return
    from qa.evaluation import evaluate, load_questions

    questions = load_questions(dataset)
    with open_filled_archive(index_dir) as archive, progress_bar() as bar:
        task = bar.add_task("Evaluating", total=len(questions))
        result = evaluate(
            archive, questions, k=k, progress=lambda done, total: bar.update(task, completed=done)
        )
    if as_json:
        out.print_json(json.dumps(result.to_dict()))
        return
    out.print(
        f"{'questions':<20} {'n':>5} {'Hits@4':>7} {'Hits@10':>8} {'MRR@10':>7} {'MAP@10':>7} "
        f"{'AllEv@10':>9} {'FactRec@10':>11}"
    )
    for name, m in [("all", result.overall), *result.by_type.items()]:
        out.print(
            f"{printable(name):<20} {m.questions:>5} {m.hits_at_4:>7.3f} {m.hits_at_10:>8.3f} "
            f"{m.mrr_at_10:>7.3f} {m.map_at_10:>7.3f} "
            f"{m.all_evidence_at_10:>9.3f} {m.fact_recall_at_10:>11.3f}"
        )
    out.print("AllEv@10: every gold fact in the top 10; FactRec@10: share of the gold facts in the top 10")
    out.print(f"retrieval latency: p50 {result.latency_p50_ms:.1f} ms, p95 {result.latency_p95_ms:.1f} ms")


def _eval_answers(dataset: Path, index_dir: Path | None, as_json: bool) -> None:
    """`qa eval --answers`: the share of natural questions answered right, per kind."""
    from qa.evaluation import evaluate_answers, load_natural_questions

    questions = load_natural_questions(dataset)
    with open_filled_archive(index_dir) as archive, progress_bar() as bar:
        task = bar.add_task("Asking", total=len(questions))
        result = evaluate_answers(
            archive, questions, progress=lambda done, total: bar.update(task, completed=done)
        )
    if as_json:
        out.print_json(json.dumps(result.to_dict()))
        return
    out.print(f"{'kind':<20} {'answered':>8}")
    for name, value in [("all", result.answered), *result.by_kind.items()]:
        out.print(f"{printable(name):<20} {value:>8.3f}")
    out.print(f"off-archive abstained {result.off_archive_abstained:.3f} of {result.off_archive}")
    out.print(f"ask latency: p50 {result.latency_p50_ms:.1f} ms, p95 {result.latency_p95_ms:.1f} ms")


@app.command()
def serve(
    index_dir: IndexDir = None,
    host: Annotated[
        str | None,
        typer.Option(
            help="Address to bind (default: $GRADIO_SERVER_NAME or 127.0.0.1); 0.0.0.0 exposes the chat."
        ),
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: $GRADIO_SERVER_PORT or 7860).")] = None,
    auth: Annotated[
        str | None,
        typer.Option(envvar="QA_AUTH", show_envvar=True, help="user:password required to use the chat."),
    ] = None,
    sync_every: Annotated[
        str | None,
        typer.Option(envvar="QA_SYNC_EVERY", show_envvar=True,
                     help="Sync every recorded source in the background at this interval (15m, 1h)."),
    ] = None,
) -> None:
    """Start the browser chat on the index (builds the sample archive on first start)."""
    gradio_port_from_env()  # checked before Gradio's import, which reads it (a bad one: a traceback)
    from qa.sync.schedule import parse_interval
    from qa.ui.serve import main as serve_chat
    from qa.ui.serve import parse_auth

    try:
        parse_auth(auth)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--auth") from None
    try:
        every = parse_interval(sync_every) if sync_every else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--sync-every") from None
    serve_chat(index_dir=index_dir or default_index_dir(), host=host, port=port, auth=auth, sync_every=every)


def main() -> None:
    """Entry point: QAError becomes one line on stderr and exit status 1."""
    # The CLI draws its own progress; the model library's weight-loading bar is noise on stderr.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    handler = logging.StreamHandler()
    handler.setFormatter(PrintableFormatter("%(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    try:
        app()
    except QAError as exc:
        err.print(f"error: {printable(exc)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
