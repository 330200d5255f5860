"""One sync of one source: detect its kind, let its reader plan batches, publish each batch
with the source's new state in the same transaction."""

from __future__ import annotations

import gzip
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import filelock

from embeddings.encoder import Encoder
from qa.config import Settings
from qa.errors import IndexLockedError, QAError
from qa.indexing import Checkpoint, Progress, no_progress, reindex
from qa.sources import SourceFile
from qa.store import Store
from qa.sync import feeds, sitemaps, state, wordpress
from qa.sync.common import Batch
from qa.sync.http import Fetcher, SourceURLError, SyncError, check_url
from qa.sync.state import Item, SourceRow
from qa.types import IndexReport, Problem

log = logging.getLogger(__name__)

SYNC_LOCK = "sync.lock"
_ROOT_RE = re.compile(rb"<([A-Za-z][\w.-]*:)?([A-Za-z][\w.-]*)")
_SKIP_RE = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", re.DOTALL | re.IGNORECASE)
FEED_ROOTS = {b"rss", b"feed", b"RDF"}
SITEMAP_ROOTS = {b"urlset", b"sitemapindex"}

Reader = Callable[[Fetcher, SourceRow, dict[str, Item]], Iterator[Batch]]
READERS: dict[str, Reader] = {
    "wordpress": wordpress.sync_wordpress,
    "feed": feeds.sync_feed,
    "sitemap": sitemaps.sync_sitemap,
}


def _no_checkpoint(name: str) -> None:
    return None


def xml_root(content: bytes) -> bytes | None:
    """The local name of an XML document's root element (after any prolog), or None."""
    if content[:2] == b"\x1f\x8b":
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError):
            return None
    head = _SKIP_RE.sub(b"", content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n"))
    match = _ROOT_RE.match(head.lstrip())
    return match.group(2) if match else None


def detect(fetcher: Fetcher, url: str) -> SourceRow:
    """What kind of source `url` is: an RSS/Atom feed, a sitemap, or a WordPress site.

    Raises:
        SyncError: unreachable, or none of the three.
    """
    first = fetcher.get(url)
    root = xml_root(first.content)
    if root in FEED_ROOTS:
        return SourceRow(None, url, "feed")
    if root in SITEMAP_ROOTS:
        return SourceRow(None, url, "sitemap")
    found = wordpress.discover(fetcher, url, first)
    if found is not None:
        return SourceRow(None, url, "wordpress", state=found)
    raise SyncError(
        f"No WordPress REST API, RSS/Atom feed or sitemap at {url}; give the site's root URL, "
        "its feed or its sitemap"
    )


@contextmanager
def sync_lock(store: Store, timeout: float) -> Iterator[None]:
    """One sync at a time per index (a background sync and one from the shell never interleave)."""
    lock = filelock.FileLock(str(store.index_dir / SYNC_LOCK), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise IndexLockedError(
            f"Another sync is running on the index at {store.index_dir}; wait for it, or let "
            "this one wait: QA_LOCK_TIMEOUT=SECONDS."
        ) from exc
    try:
        yield
    finally:
        lock.release()


def sync_source(
    store: Store,
    encoder: Callable[[], Encoder],
    settings: Settings,
    url: str,
    *,
    pages: bool | None = None,
    fetcher: Fetcher | None = None,
    progress: Progress = no_progress,
    checkpoint: Checkpoint = _no_checkpoint,
) -> IndexReport:
    """Bring the archive in step with one source (recording it on first sync).

    `encoder` is called only when articles change (an unchanged source needs no model).
    `pages`: also sync a WordPress site's pages (None: as recorded, default False).

    Raises:
        SourceURLError: `url` is not http(s).
        SyncError: the source is down or answers nonsense; the archive is unchanged (batches
            committed before the failure stay), the error is recorded as the source's last error
            (as is any other QAError, such as IndexLockedError from a concurrent `qa index`).
    """
    url = state.normalize_url(check_url(url))
    started = time.perf_counter()
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher()
    with sync_lock(store, settings.lock_timeout):
        source = state.find(store.db, url)
        try:
            if source is None:
                source = detect(fetcher, url)
            if pages is not None:
                source.options["pages"] = pages
            report = _run(store, encoder, settings, source, fetcher, progress, checkpoint)
        except QAError as exc:  # down, nonsense, or the index locked by another writer
            if source is not None and source.id is not None:
                with store.write() as db:
                    state.record_outcome(db, source.id, error=str(exc), summary=None)
            raise
        finally:
            if own_fetcher:
                fetcher.close()
        report = _total([report], started)
        assert source.id is not None
        with store.write() as db:
            state.record_outcome(db, source.id, error=None, summary=report.summary())
    log.info("%s: %s", url, report.summary())
    return report


def _run(
    store: Store, encoder: Callable[[], Encoder], settings: Settings, source: SourceRow, fetcher: Fetcher,
    progress: Progress, checkpoint: Checkpoint,
) -> IndexReport:
    known = state.items(store.db, source.id)
    reports: list[IndexReport] = []
    for batch in READERS[source.kind](fetcher, source, known):
        checkpoint("fetched")
        reports.append(_commit(store, encoder, settings, source, known, batch, progress, checkpoint))
        checkpoint("synced_batch")
        known.update(batch.items)
        for key in batch.gone:
            known.pop(key, None)
    return _total(reports, time.perf_counter())


def _commit(
    store: Store, encoder: Callable[[], Encoder], settings: Settings, source: SourceRow,
    known: dict[str, Item], batch: Batch, progress: Progress, checkpoint: Checkpoint,
) -> IndexReport:
    """Publish one batch: its articles, the removals it implies and the source's new state."""
    for problem in batch.problems:  # tagged as the indexer's are: a caller printing the report drops them
        post = f" (post {problem.article_id})" if problem.article_id else ""
        log.warning("%s%s: %s", problem.file, post, problem.reason, extra={"problem": problem})
    dropped = {key: known[key].article_id for key in batch.gone if key in known}
    dropped.update({
        key: known[key].article_id for key, item in batch.items.items()
        if key in known and known[key].article_id != item.article_id
    })
    candidates = {a for a in dropped.values() if a} - {a.id for a in batch.articles}
    if candidates and source.id is not None:
        candidates -= state.referenced_elsewhere(store.db, candidates, source.id, dropped)
    new_state = dict(source.state if batch.state is None else batch.state)
    watermark = batch.watermark or source.watermark

    def on_commit(db: sqlite3.Connection) -> None:
        source.state, source.watermark = new_state, watermark
        source_id = state.save_source(db, source)
        state.save_items(db, source_id, batch.items, batch.gone)

    if batch.articles or candidates:
        report = reindex(
            store, encoder(), settings, files=[SourceFile(source.url, tuple(batch.articles), ())],
            remove_ids=sorted(candidates), progress=progress, checkpoint=checkpoint, on_commit=on_commit,
        )
    else:
        with store.write() as db:
            on_commit(db)
        report = IndexReport()
    return IndexReport(
        added=report.added, updated=report.updated, unchanged=report.unchanged + batch.unchanged,
        removed=report.removed, chunks_embedded=report.chunks_embedded,
        problems=(*batch.problems, *report.problems), generation=report.generation,
        sentences_embedded=report.sentences_embedded,
    )


def _total(reports: list[IndexReport], started: float) -> IndexReport:
    generations = [r.generation for r in reports if r.generation is not None]
    problems: list[Problem] = [p for r in reports for p in r.problems]
    return IndexReport(
        added=sum(r.added for r in reports), updated=sum(r.updated for r in reports),
        unchanged=sum(r.unchanged for r in reports), removed=sum(r.removed for r in reports),
        chunks_embedded=sum(r.chunks_embedded for r in reports), problems=tuple(problems),
        generation=generations[-1] if generations else None,
        seconds=round(time.perf_counter() - started, 3),
        sentences_embedded=sum(r.sentences_embedded for r in reports),
    )


def remove_source(
    store: Store, encoder: Callable[[], Encoder], settings: Settings, url: str
) -> IndexReport:
    """Forget a source and remove the articles only it lists, in one publishing transaction.

    Raises:
        SourceURLError: no source is recorded under `url`.
    """
    url = state.normalize_url(check_url(url))
    with sync_lock(store, settings.lock_timeout):
        source = state.find(store.db, url)
        if source is None or source.id is None:
            raise SourceURLError(f"No source {url} in {store.index_dir}; `qa sources` lists them")
        known = state.items(store.db, source.id)
        ids = {i.article_id for i in known.values() if i.article_id}
        ids -= state.referenced_elsewhere(store.db, ids, source.id, known)
        source_id = source.id

        def on_commit(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM source_items WHERE source_id = ?", (source_id,))
            db.execute("DELETE FROM sources WHERE id = ?", (source_id,))

        if ids:
            return reindex(store, encoder(), settings, remove_ids=sorted(ids), on_commit=on_commit)
        with store.write() as db:
            on_commit(db)
        return IndexReport()
