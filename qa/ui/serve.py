"""Serving the chat: `python app.py` and `qa serve` — credentials, exposure warning, first-start
sample archive, model warm-up, launch."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

from tqdm import tqdm

from qa.archive import Archive
from qa.config import Settings, default_index_dir, gradio_port_from_env
from qa.errors import QAError, ServeError
from qa.indexing import PROGRESS_LABELS
from qa.llm import LLMConfig
from qa.sync.schedule import BackgroundSync, parse_interval
from qa.ui.layout import build_app, launch

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def sample_archive_dir() -> Path:
    """The sample articles shipped inside the package."""
    return Path(str(resources.files("qa") / "sample"))


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
    """The library's progress(stage, done, total) callback as tqdm bars on stderr, when it is a terminal."""

    def __init__(self) -> None:
        self._bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        bar = self._bars.get(stage)
        if bar is None:
            label = PROGRESS_LABELS.get(stage, stage)
            # disable=None: bars only on a terminal; in a service's log they are \r and cursor codes
            bar = self._bars[stage] = tqdm(desc=label, total=total or None, file=sys.stderr, disable=None)
        bar.total = total or None
        bar.n = done
        bar.refresh()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _not_a_problem(record: logging.LogRecord) -> bool:
    """Drops the indexer's warning for each problem of a file (a record tagged `problem`)."""
    return not hasattr(record, "problem")


def ensure_index(index_dir: Path, *, say: Callable[[str], None] = _say) -> Archive:
    """Open the archive; on first start (no index directory, or an empty one), build it from the
    bundled sample articles (progress on stderr).

    An archive that exists but holds no article (a first `qa index` interrupted, every article
    removed) is served as it is: the sample must not mix into an archive of the user's own.
    """
    first_start = not index_dir.exists() or (index_dir.is_dir() and not any(index_dir.iterdir()))
    archive = Archive(index_dir, settings=Settings.from_env(), llm=LLMConfig.from_env())
    if first_start:
        say(f"Building the sample archive in {index_dir} (first start) …")
        bars = TerminalProgress()
        indexing_log = logging.getLogger("qa.indexing")
        indexing_log.addFilter(_not_a_problem)  # the sample's problems are expected; counted below
        try:
            report = archive.add([sample_archive_dir()], progress=bars)
        finally:
            bars.close()
            indexing_log.removeFilter(_not_a_problem)
        say(report.summary() + f" in {report.seconds:.1f} s (the sample files are messy on purpose: "
            "qa/sample/README.md)")
    return archive


def main(
    index_dir: str | Path | None = None,
    host: str | None = None,
    port: int | None = None,
    auth: str | None = None,
    sync_every: float | None = None,
) -> None:
    """Build the sample index on first start, load the model, and serve the chat.

    Unset arguments come from QA_INDEX_DIR, GRADIO_SERVER_NAME, GRADIO_SERVER_PORT and QA_AUTH;
    the chat binds to 127.0.0.1:7860 unless told otherwise. `sync_every` (seconds): sync every
    recorded source in the background at that interval; the chat's "Sync now" appears only
    when the chat is local or requires a password.

    Raises:
        ServeError: the port is in use, or the host is not an address of this machine.
        SettingsError: GRADIO_SERVER_PORT is not a port.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    host = host or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = port or gradio_port_from_env()
    credentials = parse_auth(auth if auth is not None else os.environ.get("QA_AUTH"))
    warning = exposure_warning(host, credentials)
    if warning:
        log.warning(warning)
    archive = ensure_index(Path(index_dir or default_index_dir()))
    archive.retrieve("warm up the model and the vector index", 1)  # so the first question is fast
    sync = BackgroundSync(archive, sync_every).start() if sync_every else None
    demo = build_app(archive, sync=sync, sync_controls=host in LOOPBACK_HOSTS or bool(credentials))
    try:
        launch(demo, host=host, port=port, auth=credentials, blocked_paths=[archive.index_dir])
    except OSError:  # Gradio's message (a traceback here) points at launch(), which a user never calls
        raise ServeError(
            f"Cannot serve the chat on {host}:{port}: the port is in use, or {host} is not an address "
            "of this machine; pass another --port (or GRADIO_SERVER_PORT) or --host"
        ) from None


def _parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="The archive's browser chat.")
    parser.add_argument("--index-dir", help="index directory [default: $QA_INDEX_DIR or ./qa-index]")
    parser.add_argument("--host", help="address to bind [default: $GRADIO_SERVER_NAME or 127.0.0.1]")
    parser.add_argument("--port", type=int, help="port [default: $GRADIO_SERVER_PORT or 7860]")
    parser.add_argument("--auth", help="user:password required to use the chat [default: $QA_AUTH]")
    parser.add_argument("--sync-every", default=os.environ.get("QA_SYNC_EVERY"),
                        help="sync the recorded sources in the background at this interval, e.g. 15m "
                             "[default: $QA_SYNC_EVERY]")
    return parser.parse_args(argv)


def run(argv: Sequence[str] | None = None) -> None:
    """`python app.py [--index-dir DIR] [--host H] [--port P] [--auth user:pass]`; errors exit
    with one line."""
    args = _parse_args(argv)
    try:
        parse_auth(args.auth if args.auth is not None else os.environ.get("QA_AUTH"))
    except ValueError as exc:
        sys.exit(f"error: {exc}")
    try:
        every = parse_interval(args.sync_every) if args.sync_every else None
    except ValueError as exc:
        sys.exit(f"error: --sync-every: {exc}")
    try:
        main(index_dir=args.index_dir, host=args.host, port=args.port, auth=args.auth, sync_every=every)
    except QAError as exc:
        sys.exit(f"error: {exc}")
