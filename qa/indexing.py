"""Reindexing: diff incoming articles against the store, embed only new chunk texts, publish a generation."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import filelock
import numpy as np

from embeddings.encoder import Encoder
from embeddings.index import VectorIndex
from qa.chunking import chunk_article, embedding_text
from qa.config import Settings
from qa.errors import IndexLockedError
from qa.sources import dedupe, read_sources
from qa.store import LOCK_NAME, Generation, NewChunk, Store
from qa.types import Article, IndexReport, Problem

log = logging.getLogger(__name__)

EMBED_BATCH = 256

# Called as progress(stage, done, total); stages: "read", "embed", "publish".
Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


@contextmanager
def writer_lock(store: Store, timeout: float) -> Iterator[None]:
    """The single-writer lock of an index directory."""
    lock = filelock.FileLock(str(store.index_dir / LOCK_NAME), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise IndexLockedError(
            f"Another process is writing to the index at {store.index_dir} (lock file "
            f"{store.index_dir / LOCK_NAME}); wait for it to finish, then run this again."
        ) from exc
    try:
        yield
    finally:
        lock.release()


def embed_key(text: str) -> str:
    """Embeddings are reused for identical embedding text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class _Plan:
    upserts: list[Article] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removals: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _plan(store: Store, articles: Sequence[Article], *, prune: bool) -> _Plan:
    stored = store.article_hashes()
    plan = _Plan()
    for article in articles:
        old = stored.get(article.id)
        if old == article.content_hash:
            plan.unchanged += 1
        else:
            plan.upserts.append(article)
            plan.added += old is None
            plan.updated += old is not None
    if prune:
        seen = {a.id for a in articles}
        plan.removals = sorted(set(stored) - seen)
    return plan


def reindex(
    store: Store,
    encoder: Encoder,
    settings: Settings,
    *,
    paths: Iterable[str | Path] = (),
    remove_ids: Sequence[str] = (),
    prune: bool = False,
    progress: Progress = _no_progress,
) -> IndexReport:
    """Bring the store up to date with `paths` and publish a new generation if anything changed.

    Unchanged articles cost nothing; changed ones have their chunks replaced; embeddings are
    committed in batches as they are computed, so a killed run loses at most one batch.
    """
    started = time.perf_counter()
    with writer_lock(store, settings.lock_timeout):
        store.clean_files()
        files = []
        for source_file in read_sources(paths, max_file_bytes=settings.max_file_bytes):
            files.append(source_file)
            progress("read", len(files), 0)
        articles, problems = dedupe(files)
        plan = _plan(store, articles, prune=prune)
        plan.problems = problems
        stored_ids = set(store.article_hashes())
        removals = sorted(set(plan.removals) | (set(remove_ids) & stored_ids))

        new_chunks = _chunk_all(store, encoder, settings, plan.upserts)
        embedded = _embed_missing(store, encoder, new_chunks, progress)

        generation = store.generation()
        if not plan.upserts and not removals and generation is not None:
            report_generation = generation.id
        else:
            report_generation = _publish(store, encoder, plan.upserts, removals, new_chunks, progress).id
            store.clean_files()
    report = IndexReport(
        added=plan.added,
        updated=plan.updated,
        unchanged=plan.unchanged,
        removed=len(removals),
        chunks_embedded=embedded,
        problems=tuple(plan.problems),
        generation=report_generation,
        seconds=round(time.perf_counter() - started, 3),
    )
    log.info("%s", report.summary())
    return report


def _chunk_all(store: Store, encoder: Encoder, settings: Settings, articles: Sequence[Article]) -> list[NewChunk]:
    next_id = store.next_chunk_id()
    new_chunks: list[NewChunk] = []
    for article in articles:
        for chunk in chunk_article(
            article, encoder.count_tokens, max_tokens=min(settings.chunk_tokens, encoder.max_tokens),
            overlap=settings.chunk_overlap,
        ):
            text = embedding_text(article, chunk.text)
            new_chunks.append(NewChunk(next_id, chunk, text, embed_key(text)))
            next_id += 1
    return new_chunks


def _embed_missing(store: Store, encoder: Encoder, new_chunks: Sequence[NewChunk], progress: Progress) -> int:
    """Embed the chunk texts the store has no vector for; commit every batch."""
    missing = store.missing_embeddings(n.embed_key for n in new_chunks)
    todo = list({n.embed_key: n.lexical_text for n in new_chunks if n.embed_key in missing}.items())
    # Sorting by length keeps padding, and so wasted work, low inside each batch.
    todo.sort(key=lambda item: len(item[1]))
    progress("embed", 0, len(todo))
    for i in range(0, len(todo), EMBED_BATCH):
        batch = todo[i : i + EMBED_BATCH]
        vectors = encoder.encode([t for _, t in batch], batch_size=32)
        store.save_embeddings([k for k, _ in batch], vectors)
        progress("embed", i + len(batch), len(todo))
    return len(todo)


def _publish(
    store: Store,
    encoder: Encoder,
    upserts: Sequence[Article],
    removals: Sequence[str],
    new_chunks: Sequence[NewChunk],
    progress: Progress,
) -> Generation:
    progress("publish", 0, 1)
    generation = store.generation()
    dimension = encoder.dimension
    if generation is None:
        index = VectorIndex(dimension)
    else:
        with store.read() as db:
            index = store.load_vectors(db, generation, dimension)
    stale = store.chunk_ids_of(sorted(set(removals) | {a.id for a in upserts}))
    if stale:
        index.remove(np.array(stale, dtype=np.int64))
    if new_chunks:
        vectors = store.embeddings_for([n.embed_key for n in new_chunks])
        index.add(np.array([n.chunk_id for n in new_chunks], dtype=np.int64), vectors)
    faiss_file = f"vectors-{store.next_generation_id():06d}.faiss"
    checksum = index.save(store.index_dir / faiss_file)
    published = store.publish(
        upserts=upserts, removals=removals, new_chunks=new_chunks, faiss_file=faiss_file, checksum=checksum
    )
    progress("publish", 1, 1)
    return published
