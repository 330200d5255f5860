"""Reindexing: diff incoming articles against the store, embed only new chunk texts, publish a generation.

Stages, separable so that another engine (the Ray one) can drive them:

    diff_changes      read, clean, diff by fingerprint                              (no writes)
    chunk_articles    chunk what changed; assigns chunk ids (the Ray engine's way)  (no writes)
    chunk_and_embed   chunk on a background thread while the encoder embeds the chunk texts
                      the store has no vector for; commits each batch
    publish_changes   FAISS file: temp, fsync, rename; then one SQLite transaction publishes,
                      with the generation's retrieval catalog written durably before it commits

`reindex` runs diff_changes, chunk_and_embed and publish_changes under the single-writer lock.
A run killed anywhere leaves the previous generation intact; its committed embeddings are
reused by the next run, which also deletes its leftover files.

Crash points: `reindex(..., checkpoint=f)` calls f(name) at each name in CRASH_POINTS, in that
order ("embedded_batch" once per committed batch). The crash tests pass a function that kills
the process there; normal callers pass nothing.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import logging
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import NamedTuple

import filelock
import numpy as np

from embeddings.ann import right_sized
from embeddings.encoder import Encoder
from embeddings.index import VectorIndex, install_file
from embeddings.onnx_encoder import reopen_advice
from qa.catalog import Catalog
from qa.chunking import chunk_article, embedding_text
from qa.config import Settings
from qa.errors import IndexLockedError
from qa.generation_files import CatalogFileError, catalog_name, faiss_name
from qa.sentences import STATEMENTS_VERSION, statement_spans
from qa.sources import SourceFile, dedupe, read_sources
from qa.sources.common import host_of
from qa.store import Generation, NewChunk, Store, StoredStatements, article_fingerprint
from qa.types import Article, Chunk, IndexReport, Problem

log = logging.getLogger(__name__)

EMBED_BATCH = 256
SENTENCE_BATCH = 64  # chunks whose statements are embedded and committed together

# Called as progress(stage, done, total); the stages, and how a progress display names them:
PROGRESS_LABELS = {
    "read": "Reading files", "embed": "Embedding chunks", "publish": "Publishing",
    "spans": "Finding sentences", "statements": "Finding sentences by new rules",
    "sentences": "Embedding sentences",
}
Progress = Callable[[str, int, int], None]
Checkpoint = Callable[[str], None]
# Writes of the caller (a sync's source state) that must commit with the run's articles.
OnCommit = Callable[[sqlite3.Connection], None]
Chunker = Callable[[Article], list[Chunk]]

CRASH_POINTS = (
    "locked",  # lock taken, leftovers cleaned, nothing else done
    "embedded_batch",  # after each committed batch of embeddings
    "embedded",  # every new chunk text has its embedding in SQLite
    "before_write",  # the next FAISS index is built in memory
    "before_rename",  # vectors-<gen>.faiss.tmp written and fsynced
    "after_rename",  # vectors-<gen>.faiss in place, not yet published
    "before_commit",  # the publishing transaction holds every change, uncommitted; catalog-<gen>/ in place
    "after_commit",  # the generation is published
    "after_clean",  # superseded files deleted
    "sentences_batch",  # after each committed batch of sentence embeddings (published already)
)


def no_progress(stage: str, done: int, total: int) -> None:
    return None


def _no_checkpoint(name: str) -> None:
    return None


@contextmanager
def writer_lock(store: Store, timeout: float) -> Iterator[None]:
    """The single-writer lock of an index directory.

    Raises:
        IndexLockedError: another writer holds it longer than `timeout` seconds (0: at once).
    """
    store.require_writable()
    lock = store.writer_lock(timeout)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise IndexLockedError(
            f"Another process is writing to the index at {store.index_dir} (lock file "
            f"{lock.lock_file}); wait for it to finish and run this again, or let it wait: "
            f"QA_LOCK_TIMEOUT=SECONDS."
        ) from exc
    try:
        yield
    finally:
        lock.release()


def embed_key(text: str) -> str:
    """Embeddings are reused for identical embedding text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_settings(settings: Settings) -> dict[str, object]:
    """The settings that shape chunks; a store records them with every generation."""
    return {"chunk_tokens": settings.chunk_tokens, "chunk_overlap": settings.chunk_overlap}


@dataclass
class Plan:
    """What a run will change: the output of `diff_changes`, the input of the later stages."""

    upserts: list[Article] = field(default_factory=list)
    removals: list[str] = field(default_factory=list)
    new_chunks: list[NewChunk] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(self.upserts or self.removals)

    def report(self, *, embedded: int, sentences: int, generation: Generation, started: float) -> IndexReport:
        """The IndexReport of a run that carried out this plan (`started`: its perf_counter())."""
        return IndexReport(
            added=self.added,
            updated=self.updated,
            unchanged=self.unchanged,
            removed=len(self.removals),
            chunks_embedded=embedded,
            sentences_embedded=sentences,
            problems=tuple(self.problems),
            generation=generation.id,
            seconds=round(time.perf_counter() - started, 3),
        )


def diff_changes(
    store: Store,
    settings: Settings,
    *,
    files: Sequence[SourceFile],
    remove_ids: Sequence[str] = (),
    prune: bool = False,
) -> Plan:
    """Compare each article of the files read (`read_files`) with the stored one (no chunks yet).

    Unchanged (same fingerprint): nothing. Changed or new: upserted with fresh chunk ids.
    With `prune`, stored articles absent from the sources are removed, except those of a file
    that gave no article at all this time (unreadable or broken: a bad file must not empty the
    archive). When the chunking settings differ from the current generation's, every stored
    article is re-chunked from its stored text (embeddings are still reused per chunk text).
    """
    articles, problems = dedupe(files)
    stored = store.article_states()
    plan = Plan(problems=list(problems))
    incoming = {a.id for a in articles}
    for article in articles:
        old = stored.get(article.id)
        if old is not None and old.fingerprint == article_fingerprint(article):
            plan.unchanged += 1
        else:
            plan.upserts.append(article)
            plan.added += old is None
            plan.updated += old is not None
    plan.problems = _fresh_problems(plan.problems, files, {a.id for a in plan.upserts})
    plan.problems.extend(_replaced_across_sites(store, [a for a in plan.upserts if a.id in stored]))
    for problem in plan.problems:
        post = f" (post {problem.article_id})" if problem.article_id else ""
        log.warning("%s%s: %s", problem.file, post, problem.reason, extra={"problem": problem})
    removals = set(remove_ids) & set(stored)
    if prune:
        failed = {f.path for f in files if not f.articles and f.problems}
        kept = {i for i, s in stored.items() if i not in incoming and s.source_file in failed}
        for article_id in sorted(kept):
            log.warning("Not pruning article %s: its file %s gave no article this time",
                        article_id, stored[article_id].source_file)
        removals |= set(stored) - incoming - kept - store.synced_article_ids()  # sources remove their own
    plan.removals = sorted(removals - incoming)

    generation = store.generation()
    if generation is not None and generation.settings and generation.settings != chunk_settings(settings):
        log.warning("Chunking settings changed from %s to %s: re-chunking every article",
                    generation.settings, chunk_settings(settings))
        queued = {a.id for a in plan.upserts} | set(plan.removals)
        by_id = {a.id: a for a in articles}
        for article_id in sorted(set(stored) - queued):
            again = by_id.get(article_id) or store.article(article_id)
            if again is not None:
                plan.upserts.append(again)
                plan.updated += 1
                plan.unchanged -= article_id in incoming
    return plan


def read_files(
    paths: Iterable[str | Path], settings: Settings, progress: Progress = no_progress
) -> list[SourceFile]:
    """Read every source file (no store involved).

    Raises:
        ArticleFileError: a path does not exist or a glob matches nothing.
    """
    files = []
    for source_file in read_sources(paths, max_file_bytes=settings.max_file_bytes):
        files.append(source_file)
        progress("read", len(files), 0)
    return files


def _fresh_problems(
    problems: Sequence[Problem], files: Sequence[SourceFile], changed: set[str]
) -> list[Problem]:
    """The problems worth reporting this run: a file's are reported when it brings a change, not
    again on every re-add of the same content. Left out: those about an unchanged article, and
    all of a file's whose every article is unchanged. A file that gave no article is reported
    every time (nothing of it is in the store)."""
    unchanged = {a.id for f in files for a in f.articles if a.id not in changed}
    quiet = {f.path for f in files if f.articles and all(a.id in unchanged for a in f.articles)}
    return [p for p in problems if p.file not in quiet and p.article_id not in unchanged]


def _replaced_across_sites(store: Store, updates: Sequence[Article]) -> list[Problem]:
    """A problem for each update whose stored version has a URL on another site (the stored
    URLs are read for the updated articles only, not on every reindex for all)."""
    stored_urls = store.article_urls(a.id for a in updates)
    problems = []
    for article in updates:
        stored_url = stored_urls.get(article.id)
        stored_host, host = host_of(stored_url), host_of(article.url)
        if stored_host and host and stored_host != host:
            reason = (
                f"same id as the stored article {stored_url}, of another site; replaced it "
                "(posts of two sites that share an id need an index each)"
            )
            problems.append(Problem(article.source_file or "", reason, article.id))
    return problems


def default_chunker(encoder: Encoder, settings: Settings) -> Chunker:
    """Sentence-aware chunks within the model's token limit (qa.chunking)."""

    def chunker(article: Article) -> list[Chunk]:
        return chunk_article(
            article, encoder.count_tokens, max_tokens=min(settings.chunk_tokens, encoder.max_tokens),
            overlap=settings.chunk_overlap, verify=not encoder.tokens_add_up,
        )

    return chunker


def chunk_articles(first_id: int, chunker: Chunker, articles: Sequence[Article]) -> list[NewChunk]:
    """Chunks of `articles` with ids from `first_id` up, each with its embedding text and key."""
    new_chunks: list[NewChunk] = []
    for article in articles:
        new_chunks.extend(numbered(article, chunker(article), first_id + len(new_chunks)))
    return new_chunks


def numbered(article: Article, chunks: Sequence[Chunk], first_id: int) -> list[NewChunk]:
    """`chunks` of `article` with ids from `first_id` up, each with its embedding text and key."""
    new_chunks = []
    for i, chunk in enumerate(chunks):
        text = embedding_text(article, chunk.text)
        new_chunks.append(NewChunk(first_id + i, chunk, text, embed_key(text)))
    return new_chunks


_THREADING_CODE = (threading.__file__, str(Path(concurrent.futures.__file__).parent))


class HeldInterrupts:
    """Ctrl-C for a main thread that waits on a thread pool, raised where it is safe.

    Python raises KeyboardInterrupt between any two bytecodes. Raised inside threading's own code
    (a Condition re-taking its lock), it can leave the lock to be released twice, and the run ends
    in "RuntimeError: release unlocked lock" instead of the interrupt. While this is entered, a
    Ctrl-C that arrives inside threading or concurrent.futures is held until `check()` or the exit;
    one anywhere else (the encoder, the store) is raised at once. It changes nothing off the main
    thread, or where the program has its own SIGINT handler.
    """

    def __init__(self) -> None:
        self.held = False
        self._previous: Callable[[int, FrameType | None], object] | int | None = None

    def __enter__(self) -> HeldInterrupts:
        if threading.current_thread() is threading.main_thread() and (
            signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self.interrupted)
        return self

    def interrupted(self, signum: int, frame: FrameType | None) -> None:
        while frame is not None:
            if frame.f_code.co_filename.startswith(_THREADING_CODE):
                self.held = True
                return
            frame = frame.f_back
        raise KeyboardInterrupt

    def check(self) -> None:
        """Raise the Ctrl-C held since the last check, if one was."""
        if self.held:
            self.held = False
            raise KeyboardInterrupt

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        if kind is None:
            self.check()


def chunk_and_embed(
    store: Store,
    encoder: Encoder,
    plan: Plan,
    chunker: Chunker,
    *,
    progress: Progress = no_progress,
    checkpoint: Checkpoint = _no_checkpoint,
) -> int:
    """Chunk `plan.upserts` into `plan.new_chunks` and embed the texts the store has no vector for.

    Chunking (sentence splitting and token counting) runs on a background thread, articles in
    order, while the encoder embeds the chunks already made, so the encoder is rarely kept
    waiting. Every batch of EMBED_BATCH new vectors is committed as it is made. Returns how
    many texts were embedded. Progress counts texts; its total is known once chunking is done.
    """
    first_id = store.next_chunk_id()
    seen: set[str] = set()
    todo: list[tuple[str, str]] = []  # (embed key, text) the store lacks, not yet embedded
    embedded = 0
    total = 0

    def take(article: Article, chunks: list[Chunk]) -> None:
        new = numbered(article, chunks, first_id + len(plan.new_chunks))
        plan.new_chunks.extend(new)
        fresh = {n.embed_key: n.lexical_text for n in new if n.embed_key not in seen}
        seen.update(fresh)
        missing = store.missing_embeddings(fresh)
        todo.extend((key, text) for key, text in fresh.items() if key in missing)

    def embed(count: int) -> None:
        nonlocal embedded
        # Sorting by length keeps padding, and so wasted work, low inside each batch.
        todo.sort(key=lambda item: (len(item[1]), item[0]))
        batch = todo[:count]
        del todo[:count]
        store.save_embeddings([k for k, _ in batch], encoder.encode([t for _, t in batch]))
        embedded += len(batch)
        checkpoint("embedded_batch")
        progress("embed", embedded, total)

    progress("embed", 0, 0)
    with HeldInterrupts() as interrupts:
        pool = ThreadPoolExecutor(1, thread_name_prefix="qa-chunk")
        try:
            futures = [pool.submit(chunker, article) for article in plan.upserts]
            for done, (article, future) in enumerate(zip(plan.upserts, futures, strict=True), 1):
                take(article, future.result())
                interrupts.check()
                if done == len(futures) or futures[-1].done():  # the rest is chunked: take it all
                    for later, rest in zip(plan.upserts[done:], futures[done:], strict=True):
                        take(later, rest.result())
                    total = embedded + len(todo)
                    break
                while len(todo) >= EMBED_BATCH:
                    embed(EMBED_BATCH)
        finally:
            pool.shutdown(cancel_futures=True)
    while todo:
        embed(EMBED_BATCH)
    progress("embed", embedded, embedded)
    return embedded


def sentences_digest(texts: Sequence[str]) -> str:
    """What a chunk's stored sentence vectors were embedded from: the sha256 of its statements."""
    return hashlib.sha256("\x1f".join(texts).encode("utf-8")).hexdigest()


def chunk_statements(text: str) -> list[str]:
    """The sentences of a chunk's text that an answer may quote (`qa.sentences.statement_spans`)."""
    return [text[a:b] for a, b in statement_spans(text)]


class StatementVectors(NamedTuple):
    rows: list[StoredStatements]  # of each chunk text
    vectors: dict[str, np.ndarray]  # each statement's vector
    embedded: list[int]  # of each text, the statements embedded for it (not found before it)


def statement_vectors(
    texts: Sequence[str],
    encode: Callable[[list[str]], np.ndarray],
    dimension: int,
    known: Mapping[str, np.ndarray] | None = None,
) -> StatementVectors:
    """The statements of each chunk text found and embedded. A statement that two of the texts
    share, or that `known` holds, is embedded once."""
    known = known or {}
    spans = [statement_spans(text) for text in texts]
    statements = [[text[a:b] for a, b in s] for text, s in zip(texts, spans, strict=True)]
    fresh: dict[str, None] = {}  # the statements to embed, in order of first use
    embedded = []
    for ts in statements:
        new = [t for t in dict.fromkeys(ts) if t not in known and t not in fresh]
        fresh.update(dict.fromkeys(new))
        embedded.append(len(new))
    vectors = {t: known[t] for ts in statements for t in ts if t in known}
    vectors.update(zip(fresh, encode(list(fresh)) if fresh else [], strict=True))
    rows = [
        StoredStatements(
            sentences_digest(ts), np.array([vectors[t] for t in ts], np.float32).reshape(-1, dimension), where
        )
        for ts, where in zip(statements, spans, strict=True)
    ]
    return StatementVectors(rows, vectors, embedded)


def restate_sentences(store: Store, dimension: int, progress: Progress = no_progress) -> None:
    """When the stored statements were found by other statement rules than this version's
    (`qa.sentences.STATEMENTS_VERSION`), find each chunk's statements again. A chunk whose
    statements are all among those stored for it keeps their vectors; one that has a new
    statement, or whose stored statements cannot be told (saved without their spans, or
    damaged), loses them and is embedded again (`chunks_without_sentences`). A rule that only
    drops sentences embeds none. Each batch is committed as it is done, and the version is
    recorded last: a killed run finds the chunks it did unchanged."""
    version = str(STATEMENTS_VERSION)
    if store.meta("statements_version") == version:
        return
    log.info("The statement rules changed: finding every chunk's statements again")
    store.forget_unplaced_sentence_vectors()
    keys = store.chunks_with_sentences()
    progress("statements", 0, len(keys))
    for start in range(0, len(keys), SENTENCE_BATCH):
        kept, lost = [], []
        batch = store.stored_statements(keys[start : start + SENTENCE_BATCH], dimension)
        for key, (text, stored) in batch.items():
            spans = tuple(statement_spans(text))
            if spans == stored.spans:
                continue
            before = [text[a:b] for a, b in stored.spans or ()]
            statements = [text[a:b] for a, b in spans]
            if sentences_digest(before) == stored.digest:
                vectors = dict(zip(before, stored.vectors, strict=True))
                if all(t in vectors for t in statements):
                    rows = np.array([vectors[t] for t in statements], np.float32).reshape(-1, dimension)
                    kept.append((key, StoredStatements(sentences_digest(statements), rows, spans)))
                    continue
            lost.append(key)
        store.save_sentence_vectors(kept)
        store.forget_sentence_vectors(lost)
        progress("statements", min(start + SENTENCE_BATCH, len(keys)), len(keys))
    store.record_statements_version(version)


def sentences_todo(store: Store, dimension: int, progress: Progress = no_progress) -> list[tuple[str, str]]:
    """(embedding key, text) of each live chunk whose statements are to be embedded, once those
    stored by other statement rules are found again (`restate_sentences`). Where stored
    statements lack their spans (an index written before they were stored), they are found and
    stored."""
    restate_sentences(store, dimension, progress)
    unplaced = store.sentences_without_spans()
    if unplaced:
        progress("spans", 0, len(unplaced))
        for start in range(0, len(unplaced), SENTENCE_BATCH):
            batch = unplaced[start : start + SENTENCE_BATCH]
            store.save_statement_spans([(key, statement_spans(text)) for key, text in batch])
            progress("spans", start + len(batch), len(unplaced))
    return store.chunks_without_sentences()


def embed_sentences(
    store: Store,
    encoder: Encoder,
    *,
    progress: Progress = no_progress,
    checkpoint: Checkpoint = _no_checkpoint,
) -> int:
    """Embed the statements of every live chunk that has none stored, so that an answer reads
    its sentences' vectors instead of embedding them while the reader waits (`Archive.ask`).

    Each batch of SENTENCE_BATCH chunks is committed as it is made: a killed run keeps what it
    did, and the next run embeds the rest (an index written before this existed too). A
    sentence that two overlapping chunks share is embedded once. Those found by older statement
    rules (`qa.sentences.STATEMENTS_VERSION`) are found again first (`restate_sentences`), and
    only the chunks with a new statement embedded again. Returns how many sentences were
    embedded.
    """
    todo = sentences_todo(store, encoder.dimension, progress)
    progress("sentences", 0, len(todo))
    embedded = 0
    known: dict[str, np.ndarray] = {}  # the last batch's: its last chunk's sentence may recur
    for start in range(0, len(todo), SENTENCE_BATCH):
        batch = todo[start : start + SENTENCE_BATCH]
        done = statement_vectors([text for _, text in batch], encoder.encode, encoder.dimension, known)
        store.save_sentence_vectors([(key, row) for (key, _), row in zip(batch, done.rows, strict=True)])
        embedded += sum(done.embedded)
        known = done.vectors
        checkpoint("sentences_batch")
        progress("sentences", start + len(batch), len(todo))
    return embedded


def publish_changes(
    store: Store,
    plan: Plan,
    *,
    model: str,
    dimension: int,
    settings: dict[str, object],
    progress: Progress = no_progress,
    checkpoint: Checkpoint = _no_checkpoint,
    on_commit: OnCommit | None = None,
) -> Generation:
    """Write the next generation's FAISS file durably, then publish it in one transaction.

    Every embedding of `plan.new_chunks` must already be in the store (`chunk_and_embed`).
    `on_commit(db)` adds the caller's own writes to the publishing transaction.
    """
    progress("publish", 0, 1)
    generation = store.generation()
    previous = None
    if generation is None:
        index = VectorIndex(dimension)
    else:
        with store.read() as db:
            index = store.load_vectors(db, generation, dimension, writable=True)
            previous = load_catalog(store, db, generation)
    stale = store.chunk_ids_of(set(plan.removals) | {a.id for a in plan.upserts})
    if stale:
        index.remove(np.array(stale, dtype=np.int64))
    if plan.new_chunks:
        vectors = store.embeddings_for([n.embed_key for n in plan.new_chunks], dimension)
        index.add(np.array([n.chunk_id for n in plan.new_chunks], dtype=np.int64), vectors)
    index = right_sized(index)
    generation_id = store.next_generation_id()
    faiss_file = faiss_name(generation_id)
    path = store.index_dir / faiss_file
    checkpoint("before_write")
    tmp, checksum = index.write_temp(path)
    checkpoint("before_rename")
    install_file(tmp, path)
    checkpoint("after_rename")
    with store.write() as db:
        published = store.write_generation(
            db, generation_id=generation_id, upserts=plan.upserts, removals=plan.removals,
            new_chunks=plan.new_chunks, faiss_file=faiss_file, checksum=checksum,
            model=model, dimension=dimension, settings=settings,
        )
        # Built here, from the transaction's own view, so readers load it instead of building
        # it on their first query (minutes at a million chunks).
        save_catalog(store, db, generation_id, previous)
        if on_commit is not None:
            on_commit(db)
        checkpoint("before_commit")
    checkpoint("after_commit")
    store.clean_files()
    checkpoint("after_clean")
    progress("publish", 1, 1)
    return published


def repair_files(store: Store, dimension: int) -> None:
    """Under the writer lock: rebuild the current generation's FAISS file and catalog from
    SQLite when either is missing or damaged (no re-embedding)."""
    store.repair_current(dimension)
    generation = store.generation()
    if generation is None:
        return
    with store.read() as db:
        if load_catalog(store, db, generation) is None:
            save_catalog(store, db, generation.id)


def load_catalog(store: Store, db: sqlite3.Connection, generation: Generation) -> Catalog | None:
    """The catalog saved with `generation`, if it is intact and holds exactly the chunk ids of the
    snapshot `db` (a catalog of another generation, copied or restored over it, does not); else
    None, with a warning saying why."""
    try:
        catalog = Catalog.load(store.files.checked_catalog(generation.id))
    except CatalogFileError as exc:
        log.warning("%s; rebuilding it from %s", exc, store.db_path)
        return None
    if not np.array_equal(catalog.ids, store.chunk_ids(db)):
        log.warning(
            "%s holds other chunks than generation %d (a catalog of another generation?); "
            "rebuilding it from %s",
            store.index_dir / catalog_name(generation.id), generation.id, store.db_path,
        )
        return None
    return catalog


def save_catalog(
    store: Store, db: sqlite3.Connection, generation_id: int, previous: Catalog | None = None
) -> None:
    """Build the retrieval catalog of what `db` sees and install it as `generation_id`'s.

    With `previous`, the checked catalog of the generation `db` follows (`load_catalog`), only
    the texts of chunks it lacks are read and tokenized (`Catalog.build`): a small change costs
    in proportion to its size, not to the archive's.
    """
    if previous is not None and not previous.reusable(store.stats_counts(db)[1]):
        previous = None
    rows = store.chunk_catalog(db, known=None if previous is None else previous.ids)
    store.files.install_catalog(generation_id, Catalog.build(rows, previous).save)


def reindex(
    store: Store,
    encoder: Encoder,
    settings: Settings,
    *,
    paths: Iterable[str | Path] = (),
    files: Sequence[SourceFile] | None = None,
    remove_ids: Sequence[str] = (),
    prune: bool = False,
    progress: Progress = no_progress,
    checkpoint: Checkpoint = _no_checkpoint,
    on_commit: OnCommit | None = None,
) -> IndexReport:
    """Bring the store up to date with `paths` (or articles already read: `files`) and publish
    a new generation if anything changed.

    Unchanged articles cost nothing (no embedding, no write); changed ones have their chunks
    replaced; embeddings are committed in batches as they are computed, so a killed run loses
    at most one batch. `on_commit(db)` runs inside the transaction that ends the run (the one
    that publishes, or one of its own when nothing changed). `checkpoint` is for crash tests
    only (see CRASH_POINTS).

    Raises:
        IndexLockedError: another process is writing (after `settings.lock_timeout` seconds).
        IndexMismatchError: the store was built with another model or dimension.
    """
    started = time.perf_counter()
    dimension = encoder.dimension
    store.check_model(
        encoder.name, encoder.backend, dimension, chunk_settings(settings), advice=reopen_advice
    )
    # Files are read (and damaged JSON repaired) before the lock is taken: however slow that is,
    # other writers and uploads are not kept waiting.
    if files is None:
        files = read_files(paths, settings, progress)
    with writer_lock(store, settings.lock_timeout):
        store.check_newer_files()
        for name in store.clean_files():
            log.info("Deleted %s, left by an interrupted run", name)
        repair_files(store, dimension)
        checkpoint("locked")
        plan = diff_changes(
            store, settings, files=files, remove_ids=remove_ids, prune=prune
        )
        embedded = chunk_and_embed(
            store, encoder, plan, default_chunker(encoder, settings), progress=progress, checkpoint=checkpoint
        )
        checkpoint("embedded")
        generation = store.generation()
        if plan.changes or generation is None:
            generation = publish_changes(
                store, plan, model=encoder.name, dimension=dimension, settings=chunk_settings(settings),
                progress=progress, checkpoint=checkpoint, on_commit=on_commit,
            )
        elif on_commit is not None:
            with store.write() as db:
                on_commit(db)
        # After publishing: the new articles are searched at once, and answered from (their
        # sentences embedded while the reader waits) until this is done.
        sentences = 0
        if settings.sentence_vectors:
            sentences = embed_sentences(store, encoder, progress=progress, checkpoint=checkpoint)
    report = plan.report(embedded=embedded, sentences=sentences, generation=generation, started=started)
    log.info("%s", report.summary())
    return report
