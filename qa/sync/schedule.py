"""Syncing again and again: intervals such as "15m", every recorded source in turn, and a
background thread that keeps a served archive in step while its readers go on answering."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from qa.errors import QAError
from qa.types import IndexReport, ToDict

if TYPE_CHECKING:
    from qa.archive import Archive

log = logging.getLogger(__name__)

_INTERVAL_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_INTERVAL = 10.0


def parse_interval(text: str) -> float:
    """Seconds from "90", "90s", "15m", "1h" or "1d".

    Raises:
        ValueError: not such a duration, or under MIN_INTERVAL seconds (sites deserve a pause).
    """
    match = _INTERVAL_RE.match(text)
    if not match:
        raise ValueError(f"not an interval: {text!r}; give e.g. 15m, 1h or 900 (seconds)")
    seconds = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if seconds < MIN_INTERVAL:
        raise ValueError(f"interval {text!r} is under {MIN_INTERVAL:.0f} s; sync less often")
    return seconds


@dataclass(frozen=True)
class SyncOutcome(ToDict):
    """One source's sync: its report, or the one-line error that stopped it."""

    url: str
    report: IndexReport | None = None
    error: str | None = None


def sync_all(archive: Archive, urls: Sequence[str] = (), *, pages: bool | None = None) -> list[SyncOutcome]:
    """Sync `urls` (default: every recorded source) one after the other; a failing source is
    reported in its outcome and does not stop the others."""
    outcomes = []
    for url in urls or [s.url for s in archive.sources()]:
        try:
            outcomes.append(SyncOutcome(url, report=archive.sync(url, pages=pages)))
        except QAError as exc:
            log.info("sync of %s failed: %s", url, exc)
            outcomes.append(SyncOutcome(url, error=str(exc)))
    return outcomes


class BackgroundSync:
    """Syncs every recorded source now and then every `every` seconds, on a daemon thread.

    Readers are unaffected: each sync publishes a new generation that they pick up on their
    next question. `run_now()` asks for a sync without waiting for the interval.
    """

    def __init__(self, archive: Archive, every: float) -> None:
        if every <= 0:
            raise ValueError(f"every must be positive, not {every}")
        self.archive = archive
        self.every = every
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.running = False
        self.last_run: datetime | None = None
        self.next_run: datetime | None = None
        self.last_outcomes: list[SyncOutcome] = []

    def start(self) -> BackgroundSync:
        self._thread = threading.Thread(target=self._loop, name="qa-sync", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_now(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.running = True
            try:
                self.last_outcomes = sync_all(self.archive)
                for outcome in self.last_outcomes:
                    if outcome.error:
                        log.warning("sync of %s failed: %s", outcome.url, outcome.error)
            except Exception:  # a bug must not end the server's syncing silently
                log.exception("background sync failed")
            finally:
                self.running = False
                self.last_run = datetime.now(UTC)
            self.next_run = datetime.fromtimestamp(time.time() + self.every, UTC)
            self._wake.wait(self.every)
            self._wake.clear()
