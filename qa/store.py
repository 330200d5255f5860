"""The archive store: SQLite (WAL) as the source of truth plus one FAISS file per generation.

Layout of an index directory:
    archive.sqlite         articles, chunks, embeddings (float32 blobs, keyed by sha256 of the
                           embedded text), sentence_embeddings (each chunk's statements,
                           float16, keyed as its embedding, with where they are in its text),
                           chunks_fts (FTS5: each chunk's
                           lexical text, which the catalog's BM25 indexes are built from),
                           generations (model, dimension, chunking settings, FAISS file,
                           checksum, counts), meta (format version)
    vectors-<gen>.faiss    the FAISS index of generation <gen>: chunk ids -> vectors (derived)
    catalog-<gen>/         what retrieval keeps in memory for generation <gen>: per-chunk outlet,
                           date and article arrays and the BM25 indexes (derived; manifest.json
                           lists each file's sha256)
    write.lock             held by the one process that writes

A generation is published by one SQLite transaction after its FAISS file is durable on disk;
readers run each query inside one read transaction, so they see one generation, never a mix.
The FAISS file is only a cache of the `embeddings` rows of the live chunks: a missing or
damaged file is rebuilt from SQLite without re-embedding. Nothing is pickled.

The schema and its upgrades: qa/migrations.py. The generation files: qa/generation_files.py.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

import filelock
import numpy as np

from embeddings.index import IndexFileError, VectorIndex, file_sha256
from qa.errors import IndexMismatchError, IndexNotFoundError, StorageError
from qa.generation_files import GenerationFiles, catalog_name
from qa.migrations import MIGRATIONS, format_version, migrate
from qa.types import Article, Chunk, Spans

log = logging.getLogger(__name__)

FORMAT_VERSION = len(MIGRATIONS)
DB_NAME = "archive.sqlite"
LOCK_NAME = "write.lock"
# Embeddings no live chunk uses are kept this many generations, so that removing an article and
# adding it back (or a run that was killed, then rerun with other input) costs no re-embedding.
EMBEDDING_GRACE_GENERATIONS = 10
# How sentence vectors are stored: half the bytes of float32, and the answers' cosines barely move
# (one dev answer of 563 changed).
SENTENCE_DTYPE = np.dtype(np.float16)
# How the statements' (start, end) in their chunk's text are stored.
SPAN_DTYPE = np.dtype("<u4")
# Published FAISS files kept on disk: the current one and the one before it, which a reader
# that pinned the previous generation a moment ago may still be opening.
KEEP_FILES = 2
REBUILD_BATCH = 50_000

_GENERATION_COLUMNS = "id, created, faiss_file, checksum, articles, chunks, model, dimension, settings"
_ARTICLE_COLUMNS = (
    "id, title, text, url, published, modified, authors, categories, source, language, "
    "content_hash, source_file, partial, indexed_at, fingerprint, published_offset, modified_offset"
)
_CHUNK_COLUMNS = 'id, article_id, ordinal, start, "end", text, embed_key'

@dataclass(frozen=True)
class Generation:
    """A published state of the archive."""

    id: int
    created: datetime
    faiss_file: str
    checksum: str
    articles: int
    chunks: int
    model: str | None = None
    dimension: int | None = None
    settings: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredChunk:
    """A chunk row joined with its article's metadata."""

    chunk_id: int
    article_id: str
    ordinal: int
    start: int
    end: int
    text: str
    title: str
    url: str | None
    published: datetime | None
    source: str | None


class CatalogRow(NamedTuple):
    """One live chunk as retrieval's catalog needs it (qa/catalog.py); the texts, from which
    its BM25 indexes are built, may be left out where only the metadata matters."""

    chunk_id: int
    article_id: str
    source: str | None
    published: datetime | None
    lexical_text: str | None = None  # headline context and text: what BM25 finds the chunk by
    text: str | None = None  # the chunk's text, split into sentences for the sentence index


@dataclass(frozen=True)
class NewChunk:
    """A chunk about to be written, with its preassigned id and embedding key."""

    chunk_id: int
    chunk: Chunk
    lexical_text: str
    embed_key: str


@dataclass(frozen=True)
class StoredState:
    """What the planner needs to know about a stored article."""

    fingerprint: str | None
    source_file: str | None


def article_fingerprint(article: Article) -> str:
    """What makes an article "changed": its text and title (content hash) and the metadata that
    reaches chunks, their embeddings or filters. `modified`, `source_file` and `indexed_at` are
    left out: a new modified stamp on the same text costs nothing."""
    fields = [
        article.content_hash, article.url, _iso(article.published), list(article.authors),
        list(article.categories), article.source, article.language, article.partial,
    ]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _parse_time(value: str | None, offset: int | None = None) -> datetime | None:
    """A stored UTC time, in the site's own time when its UTC `offset` (minutes) is known."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment.astimezone(timezone(timedelta(minutes=offset))) if offset is not None else moment


def _offset(value: datetime | None) -> int | None:
    """The UTC offset of `value` in minutes (None for no time)."""
    delta = value.utcoffset() if value is not None else None
    return int(delta.total_seconds() // 60) if delta is not None else None


def _now() -> str:
    return datetime.now(UTC).isoformat()


class StoredStatements(NamedTuple):
    """A chunk's statements as indexing found and embedded them (`qa.indexing.statement_vectors`)."""

    digest: str  # of their texts (`qa.indexing.sentences_digest`)
    vectors: np.ndarray  # one row each
    spans: Spans | None  # each one's (start, end) in the chunk's text; None where not stored


def span_blob(spans: Spans | None) -> bytes | None:
    """How `spans` are stored (NULL for None)."""
    return None if spans is None else np.asarray(spans, dtype=SPAN_DTYPE).reshape(-1, 2).tobytes()


def blob_spans(blob: bytes) -> Spans:
    """The spans `span_blob` stored."""
    return tuple((a, b) for a, b in np.frombuffer(blob, dtype=SPAN_DTYPE).reshape(-1, 2).tolist())


def _decoded(digest: str, blob: bytes, places: bytes | None, dimension: int) -> StoredStatements | None:
    """A chunk's stored statements (vectors as float32); None when `blob` is not whole vectors of
    `dimension`. Spans of another length than one pair per vector are None."""
    if len(blob) % (SENTENCE_DTYPE.itemsize * dimension):
        return None
    vectors = np.frombuffer(blob, dtype=SENTENCE_DTYPE).astype(np.float32).reshape(-1, dimension)
    if places is None or len(places) != 2 * SPAN_DTYPE.itemsize * len(vectors):
        return StoredStatements(digest, vectors, None)
    return StoredStatements(digest, vectors, blob_spans(places))


def _batches(items: Sequence[object], size: int = 500) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def _marks(batch: Sequence[object]) -> str:
    return ",".join("?" * len(batch))


def _rows(db: sqlite3.Connection, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
    """A cursor whose rows are read by column name (the connection's other cursors are untouched)."""
    cursor = db.cursor()
    cursor.row_factory = sqlite3.Row
    return cursor.execute(sql, params)


def _generation(row: sqlite3.Row) -> Generation:
    return Generation(
        id=int(row["id"]), created=datetime.fromisoformat(row["created"]), faiss_file=row["faiss_file"],
        checksum=row["checksum"], articles=int(row["articles"]), chunks=int(row["chunks"]),
        model=row["model"], dimension=int(row["dimension"]) if row["dimension"] is not None else None,
        settings=json.loads(row["settings"] or "{}"),
    )


_FULL = (errno.ENOSPC, errno.EDQUOT)
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def storage_error(exc: BaseException, index_dir: Path) -> StorageError | None:
    """The one-line error of an expected failure of the index's storage (disk full, read-only,
    a damaged database), or None for anything else (a bug, which keeps its traceback)."""
    message = str(exc).lower()
    if isinstance(exc, OSError) and exc.errno in _FULL or "database or disk is full" in message or (
        isinstance(exc, RuntimeError) and "no space left on device" in message
    ):
        return StorageError(
            f"The disk of the index at {index_dir} is full; free some space and run this again "
            "(the index still holds its last complete state)"
        )
    if isinstance(exc, OSError) and exc.errno in _READ_ONLY or "readonly database" in message:
        return StorageError(
            f"Cannot write to the index at {index_dir} ({exc}); it can be asked, not changed: "
            "make it writable, or copy it somewhere writable and index there"
        )
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError) or (
        "disk i/o error" in message or "unable to open database" in message
    ):
        return StorageError(
            f"The database of the index at {index_dir} cannot be read ({exc}); rebuild the index "
            f"into a new directory: qa index ARTICLES --index-dir NEW_DIR"
        )
    return None


@contextmanager
def storage_errors(index_dir: Path) -> Iterator[None]:
    """Raise expected storage failures inside as one-line `StorageError`s."""
    try:
        yield
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        error = storage_error(exc, index_dir)
        if error is None:
            raise
        raise error from exc


class Store:
    """One index directory. Thread-safe: each thread gets its own SQLite connection.

    Opening never writes to an existing store of the current format: readers take no locks.

    Raises:
        IndexNotFoundError: no store in `index_dir` and `create` is false.
        IndexMismatchError: the store was written by a newer version of qa (format version).
    """

    def __init__(self, index_dir: str | Path, *, create: bool = True) -> None:
        self.index_dir = Path(index_dir)
        self.db_path = self.index_dir / DB_NAME
        if self.index_dir.exists() and not self.index_dir.is_dir():
            raise StorageError(
                f"The index directory {self.index_dir} is a file; give --index-dir a new or index directory"
            )
        if not self.db_path.exists():
            if not create:
                raise IndexNotFoundError(
                    f"No index at {self.index_dir}; run: qa index ARTICLES --index-dir {self.index_dir}"
                )
            others = sorted(p.name for p in self.index_dir.glob("*") if p.suffix != ".lock")
            if others:
                raise StorageError(
                    f"{self.index_dir} is not an index and holds other files ({', '.join(others[:3])}"
                    f"{', ...' if len(others) > 3 else ''}); give --index-dir a new or empty directory"
                )
            self.index_dir.mkdir(parents=True, exist_ok=True)
        # On read-only media (or a read-only mount) the store is opened to read only.
        self.read_only = not os.access(self.index_dir, os.W_OK) or (
            self.db_path.exists() and not os.access(self.db_path, os.W_OK)
        )
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self.files = GenerationFiles(self.index_dir)
        version = format_version(self.db)
        if self.read_only and (version is None or version < FORMAT_VERSION):
            raise StorageError(
                f"The index at {self.index_dir} is read-only and of store format {version}, older than "
                f"this version's {FORMAT_VERSION}; open it once where it is writable to upgrade it"
            )
        if version is None or version < FORMAT_VERSION:
            with self.write() as db:
                version = format_version(db)
                names = migrate(db)
            if version is not None and names:
                log.warning("Upgraded the index at %s from store format %d to %d (%s)",
                            self.index_dir, version, FORMAT_VERSION, ", ".join(names))
            version = format_version(self.db)
        if version is not None and version > FORMAT_VERSION:
            raise IndexMismatchError(
                f"The index at {self.index_dir} has store format {version}, newer than this "
                f"version of qa understands ({FORMAT_VERSION}); upgrade qa to read it."
            )

    # -- connections and transactions -------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (autocommit mode: transactions are explicit)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            if not self.read_only:
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def _connect(self) -> sqlite3.Connection:
        """A connection; on a read-only directory, one that never writes (not even the -shm file).

        SQLite reads a WAL database read-only through its -shm file; without one (no process has
        the database open, so its log was checkpointed away) the file is opened as immutable.
        """
        if not self.read_only:
            return sqlite3.connect(self.db_path, timeout=60, isolation_level=None, check_same_thread=False)
        wal, shm = (self.db_path.with_name(DB_NAME + suffix) for suffix in ("-wal", "-shm"))
        if shm.exists():
            mode = "mode=ro"
        elif wal.exists() and wal.stat().st_size:
            raise StorageError(
                f"The index at {self.index_dir} is read-only and its last writes are still in "
                f"{wal.name}; open it once where it is writable (or copy it) to read it"
            )
        else:
            mode = "immutable=1"
        uri = f"{self.db_path.resolve().as_uri()}?{mode}"
        return sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None, check_same_thread=False)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the same snapshot (one generation)."""
        db = self.db
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, committed on success and rolled back on error."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection."""
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    def require_writable(self) -> None:
        """Raises StorageError when the store was opened read-only."""
        if self.read_only:
            raise StorageError(
                f"The index at {self.index_dir} is read-only: it can be asked, not changed; to add "
                f"articles, copy it somewhere writable (cp -r {self.index_dir} NEW_DIR) and index there"
            )

    def writer_lock(self, timeout: float) -> filelock.BaseFileLock:
        """The single-writer lock of this directory (an OS lock: released if the holder dies)."""
        return filelock.FileLock(str(self.index_dir / LOCK_NAME), timeout=timeout)

    # -- identity -------------------------------------------------------------------------

    def meta(self, key: str, db: sqlite3.Connection | None = None) -> str | None:
        row = (db or self.db).execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def check_model(
        self,
        model: str,
        backend: str,
        dimension: int,
        settings: dict[str, object],
        *,
        advice: Callable[[str, str, str], str] = lambda stored_model, stored_backend, model: "Rebuild it",
    ) -> None:
        """Record the model on first use; refuse a store built with another model or dimension.

        `advice(stored_model, stored_backend, model)` words how such a store can still be
        opened (the encoder side knows its backends' names; the store does not)."""
        stored_model = self.meta("model")
        if stored_model is None:
            with self.write() as db:
                if self.meta("model", db) is None:
                    db.executemany(
                        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                        [("model", model), ("backend", backend), ("dimension", str(dimension)),
                         ("settings", json.dumps(settings, sort_keys=True))],
                    )
                    return
        stored = self.recorded_model()
        if stored != (model, backend, dimension):
            assert stored is not None
            raise IndexMismatchError(
                f"The index at {self.index_dir} was built with model {stored[0]!r} "
                f"({stored[1]}, dimension {stored[2]}), not {model!r} ({backend}, dimension "
                f"{dimension}). {advice(stored[0], stored[1], model)}: "
                f"qa index ARTICLES --index-dir NEW_DIR --model {model!r}"
            )

    def recorded_model(self) -> tuple[str, str, int] | None:
        """(model, backend, dimension) the store was built with, or None for a new store."""
        model = self.meta("model")
        if model is None:
            return None
        return model, self.meta("backend") or "torch", int(self.meta("dimension") or 0)

    # -- reading ----------------------------------------------------------------------------

    def generation(self, db: sqlite3.Connection | None = None) -> Generation | None:
        """The newest published generation (in `db`'s snapshot when given)."""
        row = _rows(
            db or self.db, f"SELECT {_GENERATION_COLUMNS} FROM generations ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return _generation(row) if row else None

    def article_states(self) -> dict[str, StoredState]:
        rows = _rows(self.db, "SELECT id, fingerprint, source_file FROM articles")
        return {r["id"]: StoredState(r["fingerprint"], r["source_file"]) for r in rows}

    def article_urls(self, article_ids: Iterable[str]) -> dict[str, str]:
        """The stored URL of each of `article_ids` that has one."""
        urls: dict[str, str] = {}
        for batch in _batches(sorted(set(article_ids))):
            rows = self.db.execute(
                f"SELECT id, url FROM articles WHERE url IS NOT NULL AND id IN ({_marks(batch)})", batch
            )
            urls.update(rows)
        return urls

    def article(self, article_id: str, db: sqlite3.Connection | None = None) -> Article | None:
        sql = f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id = ?"
        row = _rows(db or self.db, sql, (article_id,)).fetchone()
        if row is None:
            return None
        return Article(
            id=row["id"], title=row["title"], text=row["text"], url=row["url"],
            published=_parse_time(row["published"], row["published_offset"]),
            modified=_parse_time(row["modified"], row["modified_offset"]),
            authors=tuple(json.loads(row["authors"])), categories=tuple(json.loads(row["categories"])),
            source=row["source"], language=row["language"], content_hash=row["content_hash"],
            source_file=row["source_file"], partial=bool(row["partial"]),
        )

    def chunks(self, db: sqlite3.Connection, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        """Chunk rows with article metadata, by id (ids not in this snapshot are absent)."""
        found: dict[int, StoredChunk] = {}
        for batch in _batches([int(c) for c in chunk_ids]):
            rows = _rows(
                db,
                "SELECT c.id, c.article_id, c.ordinal, c.start, c.\"end\", c.text, a.title, a.url, "
                "a.published, a.published_offset, a.source FROM chunks c "
                "JOIN articles a ON a.id = c.article_id "
                f"WHERE c.id IN ({_marks(batch)})",
                batch,
            )
            for r in rows:
                found[r["id"]] = StoredChunk(
                    chunk_id=r["id"], article_id=r["article_id"], ordinal=r["ordinal"], start=r["start"],
                    end=r["end"], text=r["text"], title=r["title"], url=r["url"],
                    published=_parse_time(r["published"], r["published_offset"]), source=r["source"],
                )
        return found

    def chunk_catalog(self, db: sqlite3.Connection, *, known: np.ndarray | None = None) -> list[CatalogRow]:
        """Every live chunk of the snapshot `db`, as retrieval's catalog needs it.

        What retrieval keeps in memory per generation: outlet and date features, and its BM25
        index. The texts are left out for the chunk ids in `known` (those of the previous
        catalog, which the new one takes over: `Catalog.build`).
        """
        if known is None:
            rows = _rows(
                db,
                "SELECT c.id, c.article_id, a.source, a.published, a.published_offset, f.body, c.text "
                "FROM chunks c JOIN articles a ON a.id = c.article_id JOIN chunks_fts f ON f.rowid = c.id",
            )
            return [
                CatalogRow(
                    int(r["id"]), r["article_id"], r["source"],
                    _parse_time(r["published"], r["published_offset"]), r["body"], r["text"],
                )
                for r in rows
            ]
        rows = _rows(
            db,
            "SELECT c.id, c.article_id, a.source, a.published, a.published_offset "
            "FROM chunks c JOIN articles a ON a.id = c.article_id",
        )
        chunks = [
            CatalogRow(
                int(r["id"]), r["article_id"], r["source"], _parse_time(r["published"], r["published_offset"])
            )
            for r in rows
        ]
        ids = np.array([c.chunk_id for c in chunks], dtype=np.int64)
        texts: dict[int, tuple[str, str]] = {}
        for batch in _batches(ids[~np.isin(ids, known)].tolist()):
            found = db.execute(
                "SELECT c.id, f.body, c.text FROM chunks c JOIN chunks_fts f ON f.rowid = c.id "
                f"WHERE c.id IN ({_marks(batch)})",
                batch,
            )
            texts.update((r[0], (r[1], r[2])) for r in found)
        return [c._replace(lexical_text=texts[c.chunk_id][0], text=texts[c.chunk_id][1])
                if c.chunk_id in texts else c for c in chunks]

    def chunk_ids(self, db: sqlite3.Connection) -> np.ndarray:
        """The ids of the snapshot's live chunks, sorted (int64)."""
        rows = db.execute("SELECT id FROM chunks ORDER BY id").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def live_vectors(self, db: sqlite3.Connection, dimension: int) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, vectors) of every live chunk in this snapshot, from the embeddings table."""
        rows = db.execute(
            "SELECT c.id, e.vector FROM chunks c JOIN embeddings e ON e.key = c.embed_key ORDER BY c.id"
        ).fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
        return ids, vectors.reshape(len(ids), dimension)

    def rebuild_vectors(self, db: sqlite3.Connection, dimension: int) -> VectorIndex:
        """The FAISS index of the snapshot's live chunks, from SQLite alone (no re-embedding).

        Streams in batches, so memory stays near the size of the index itself."""
        index = VectorIndex(dimension)
        cursor = db.execute(
            "SELECT c.id, e.vector FROM chunks c JOIN embeddings e ON e.key = c.embed_key ORDER BY c.id"
        )
        while rows := cursor.fetchmany(REBUILD_BATCH):
            vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            index.add(ids, vectors.reshape(len(rows), dimension))
        return index

    def load_vectors(
        self, db: sqlite3.Connection, generation: Generation, dimension: int, *, writable: bool = False
    ) -> VectorIndex:
        """The FAISS index of `generation`, pinned by the read transaction `db`.

        Readers get the file memory-mapped (read-only); a writer that changes the index asks
        for a `writable` copy in memory.

        A missing, truncated or altered file is rebuilt in memory from this snapshot with a
        warning, so the query never fails; the file on disk is repaired too when no writer holds
        the lock (otherwise the running writer's next generation replaces it anyway).
        """
        path = self.index_dir / generation.faiss_file
        try:
            return VectorIndex.load(path, checksum=generation.checksum, mmap=not writable)
        except IndexFileError as exc:
            log.warning("%s; rebuilding it from %s (no re-embedding)", exc, self.db_path)
        index = self.rebuild_vectors(db, dimension)
        self._try_repair(generation, index)
        return index

    def _try_repair(self, generation: Generation, index: VectorIndex) -> None:
        if self.read_only:
            return
        lock = self.writer_lock(timeout=0)
        try:
            lock.acquire()
        except filelock.Timeout:
            return
        try:
            # A separate connection: the caller's is inside its read transaction.
            conn = sqlite3.connect(self.db_path, timeout=60, isolation_level=None)
            try:
                newest = conn.execute("SELECT max(id) FROM generations").fetchone()[0]
                if newest == generation.id:
                    checksum = self.files.write_vectors(index, generation.faiss_file)
                    conn.execute(
                        "UPDATE generations SET checksum = ? WHERE id = ?", (checksum, generation.id)
                    )
                    log.warning("Repaired %s from SQLite", generation.faiss_file)
            finally:
                conn.close()
        finally:
            lock.release()

    def repair_current(self, dimension: int) -> bool:
        """Check the current generation's file and rewrite it from SQLite if it is missing or
        does not match its checksum. Call only while holding the writer lock. True if repaired."""
        generation = self.generation()
        if generation is None:
            return False
        path = self.index_dir / generation.faiss_file
        if path.is_file() and file_sha256(path) == generation.checksum:
            return False
        log.warning("%s is missing or does not match its checksum; rebuilding it from %s (no re-embedding)",
                    path, self.db_path)
        with self.read() as db:
            index = self.rebuild_vectors(db, dimension)
        self.record_checksum(generation, self.files.write_vectors(index, generation.faiss_file))
        return True

    def stats_counts(self, db: sqlite3.Connection | None = None) -> tuple[int, int]:
        db = db or self.db
        articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return int(articles), int(chunks)

    def sources(self) -> list[str]:
        rows = self.db.execute(
            "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY source"
        )
        return [r[0] for r in rows]

    def synced_article_ids(self) -> set[str]:
        """Articles that a synced source lists: file pruning leaves them to their source."""
        rows = self.db.execute("SELECT DISTINCT article_id FROM source_items WHERE article_id IS NOT NULL")
        return {r[0] for r in rows}

    def titles(self, limit: int, *, min_chars: int = 0) -> list[str]:
        """The titles of the newest articles whose text has at least `min_chars` characters."""
        rows = self.db.execute(
            "SELECT title FROM articles WHERE length(text) >= ? ORDER BY published DESC LIMIT ?",
            (min_chars, limit),
        )
        return [r[0] for r in rows]

    # -- writing (the writer lock must be held) ---------------------------------------------

    def missing_embeddings(self, keys: Iterable[str]) -> set[str]:
        keys = set(keys)
        have: set[str] = set()
        for batch in _batches(sorted(keys)):
            rows = self.db.execute(f"SELECT key FROM embeddings WHERE key IN ({_marks(batch)})", batch)
            have.update(r[0] for r in rows)
        return keys - have

    def save_embeddings(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Commit one batch of embeddings: kept even if the run is killed before it publishes.

        They count as unreferenced since the current generation until a publish uses them, so
        they survive EMBEDDING_GRACE_GENERATIONS publishes that do not.
        """
        with self.write() as db:
            current = db.execute("SELECT coalesce(max(id), 0) FROM generations").fetchone()[0]
            db.executemany(
                "INSERT OR IGNORE INTO embeddings (key, vector, orphaned) VALUES (?, ?, ?)",
                [
                    (k, np.asarray(v, dtype=np.float32).tobytes(), current)
                    for k, v in zip(keys, vectors, strict=True)
                ],
            )

    def embeddings_for(self, keys: Sequence[str], dimension: int) -> np.ndarray:
        """Vectors for `keys` (in order, repeats allowed); every key must be stored."""
        found: dict[str, bytes] = {}
        for batch in _batches(sorted(set(keys))):
            marks = _marks(batch)
            rows = self.db.execute(f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", batch)
            found.update(rows)
        vectors = np.frombuffer(b"".join(found[k] for k in keys), dtype=np.float32)
        return vectors.reshape(len(keys), dimension)

    def chunks_without_sentences(self) -> list[tuple[str, str]]:
        """(embedding key, text) of each live chunk text whose statements are not embedded, in
        order of chunk id (an article's chunks one after another). Every run asks, so the
        search reads only the keys (two covering indexes: 4 ms at 8k chunks) and then the texts
        of the chunks it found."""
        missing = self.db.execute(
            "SELECT c.id FROM chunks c "
            "WHERE NOT EXISTS (SELECT 1 FROM sentence_embeddings s WHERE s.key = c.embed_key) ORDER BY c.id"
        ).fetchall()
        found: dict[str, str] = {}
        for batch in _batches([r[0] for r in missing]):
            marks = _marks(batch)
            rows = self.db.execute(f"SELECT id, embed_key, text FROM chunks WHERE id IN ({marks})", batch)
            found.update((key, text) for _, key, text in sorted(rows))
        return list(found.items())

    def forget_unplaced_sentence_vectors(self) -> None:
        """Before stored statements found by other statement rules are found again
        (`qa.indexing.restate_sentences`): delete those saved without their spans, whose texts
        cannot be told, and those of no live chunk, which would not be looked at."""
        with self.write() as db:
            db.execute(
                "DELETE FROM sentence_embeddings WHERE spans IS NULL "
                "OR NOT EXISTS (SELECT 1 FROM chunks c WHERE c.embed_key = sentence_embeddings.key)"
            )

    def chunks_with_sentences(self) -> list[str]:
        """The embedding keys of the live chunk texts whose statements are stored, in order of
        chunk id."""
        rows = self.db.execute(
            "SELECT c.embed_key FROM chunks c JOIN sentence_embeddings s ON s.key = c.embed_key ORDER BY c.id"
        )
        return list(dict.fromkeys(r[0] for r in rows))

    def stored_statements(
        self, keys: Sequence[str], dimension: int
    ) -> dict[str, tuple[str, StoredStatements]]:
        """Embedding key -> (chunk text, its statements as stored, with their spans), for those of
        `keys` that have them (as `sentence_vectors` reads them, damaged vectors as none)."""
        found: dict[str, tuple[str, StoredStatements]] = {}
        for batch in _batches(sorted(set(keys))):
            rows = self.db.execute(
                "SELECT s.key, c.text, s.digest, s.vectors, s.spans FROM sentence_embeddings s "
                f"JOIN chunks c ON c.embed_key = s.key WHERE s.key IN ({_marks(batch)})",
                batch,
            )
            for key, text, digest, blob, places in rows:
                # Damaged vectors are none: the statements do not match them.
                none = StoredStatements(digest, np.empty((0, dimension), np.float32), None)
                found[key] = (text, _decoded(digest, blob, places, dimension) or none)
        return found

    def forget_sentence_vectors(self, keys: Sequence[str]) -> None:
        """Commit the deletion of the stored statements of `keys`: they are embedded again."""
        with self.write() as db:
            for batch in _batches(list(keys)):
                db.execute(f"DELETE FROM sentence_embeddings WHERE key IN ({_marks(batch)})", batch)

    def record_statements_version(self, version: str) -> None:
        """Record that every stored statement was found by the statement rules of `version`."""
        with self.write() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('statements_version', ?)", (version,))

    def save_sentence_vectors(self, rows: Sequence[tuple[str, StoredStatements]]) -> None:
        """Commit one batch of (chunk embedding key, its statements as indexing found them)."""
        with self.write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO sentence_embeddings (key, digest, vectors, spans) "
                "VALUES (?, ?, ?, ?)",
                [
                    (key, s.digest, np.asarray(s.vectors, dtype=SENTENCE_DTYPE).tobytes(), span_blob(s.spans))
                    for key, s in rows
                ],
            )

    def sentences_without_spans(self) -> list[tuple[str, str]]:
        """(embedding key, text) of each live chunk text whose stored statements were saved
        without where they are (by a version before the store's format 6), in order of chunk id."""
        rows = self.db.execute(
            "SELECT c.embed_key, c.text FROM chunks c JOIN sentence_embeddings s ON s.key = c.embed_key "
            "WHERE s.spans IS NULL ORDER BY c.id"
        )
        return list(dict(rows).items())

    def save_statement_spans(self, rows: Sequence[tuple[str, Spans]]) -> None:
        """Commit where the stored statements of each (chunk embedding key, spans) are."""
        with self.write() as db:
            db.executemany(
                "UPDATE sentence_embeddings SET spans = ? WHERE key = ?",
                [(span_blob(spans), key) for key, spans in rows],
            )

    def sentence_vectors(
        self, db: sqlite3.Connection, chunk_ids: Sequence[int], dimension: int, *, spans: bool = False
    ) -> dict[int, StoredStatements]:
        """chunk id -> its statements as indexing stored them (vectors as float32), for the chunks
        that have them (a blob of another length than whole vectors of `dimension` is left out,
        with a warning: the answer embeds those sentences instead; `integrity_problems` reports
        it). Their spans are read only when `spans` is set (the re-ranker, which reads about 300
        chunks' vectors a question, needs none: decoding them took 0.9 ms); spans of another
        length than one pair per vector are None."""
        found: dict[int, StoredStatements] = {}
        spans_column = "s.spans" if spans else "NULL"
        for batch in _batches(sorted(set(chunk_ids))):
            rows = db.execute(
                f"SELECT c.id, s.digest, s.vectors, {spans_column} FROM chunks c JOIN sentence_embeddings s "
                f"ON s.key = c.embed_key WHERE c.id IN ({_marks(batch)})",
                batch,
            )
            for chunk_id, digest, blob, places in rows:
                if (row := _decoded(digest, blob, places, dimension)) is None:
                    log.warning("Sentence vectors of chunk %d are damaged; embedded as needed", chunk_id)
                    continue
                found[chunk_id] = row
        return found

    def next_chunk_id(self) -> int:
        """Chunk ids only grow: an id is never reused, even after its chunk was deleted."""
        row = self.db.execute("SELECT max(id) FROM chunks").fetchone()
        stored = int(self.meta("next_chunk_id") or 1)
        return max(stored, (row[0] or 0) + 1)

    def next_generation_id(self) -> int:
        row = self.db.execute("SELECT max(id) FROM generations").fetchone()
        return (row[0] or 0) + 1

    def article_chunk_ids(self, db: sqlite3.Connection, article_id: str) -> list[int]:
        """The ids of an article's chunks in the snapshot `db`, in reading order."""
        rows = db.execute("SELECT id FROM chunks WHERE article_id = ? ORDER BY ordinal", (article_id,))
        return [int(r[0]) for r in rows]

    def chunk_ids_of(self, article_ids: Iterable[str]) -> list[int]:
        ids: list[int] = []
        for batch in _batches(sorted(set(article_ids))):
            rows = self.db.execute(f"SELECT id FROM chunks WHERE article_id IN ({_marks(batch)})", batch)
            ids.extend(r[0] for r in rows)
        return sorted(ids)

    def write_generation(
        self,
        db: sqlite3.Connection,
        *,
        generation_id: int,
        upserts: Sequence[Article],
        removals: Sequence[str],
        new_chunks: Sequence[NewChunk],
        faiss_file: str,
        checksum: str,
        model: str,
        dimension: int,
        settings: dict[str, object],
    ) -> Generation:
        """Inside the caller's write transaction `db` (its commit is the publish): replace the
        changed articles, their chunks and FTS rows, age unreferenced embeddings, and record the
        generation."""
        doomed = sorted(set(removals) | {a.id for a in upserts})
        old_keys: set[str] = set()
        for batch in _batches(doomed):
            marks = _marks(batch)
            old_keys.update(
                r[0]
                for r in db.execute(
                    f"SELECT DISTINCT embed_key FROM chunks WHERE article_id IN ({marks})", batch
                )
            )
            db.execute(
                "DELETE FROM chunks_fts WHERE rowid IN "
                f"(SELECT id FROM chunks WHERE article_id IN ({marks}))",
                batch,
            )
            db.execute(f"DELETE FROM chunks WHERE article_id IN ({marks})", batch)
            db.execute(f"DELETE FROM articles WHERE id IN ({marks})", batch)
        now = _now()
        db.executemany(
            f"INSERT INTO articles ({_ARTICLE_COLUMNS}) VALUES ({_marks(range(17))})",
            [
                (a.id, a.title, a.text, a.url, _iso(a.published), _iso(a.modified),
                 json.dumps(list(a.authors)), json.dumps(list(a.categories)), a.source,
                 a.language, a.content_hash, a.source_file, int(a.partial), now, article_fingerprint(a),
                 _offset(a.published), _offset(a.modified))
                for a in upserts
            ],
        )
        db.executemany(
            f"INSERT INTO chunks ({_CHUNK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (n.chunk_id, n.chunk.article_id, n.chunk.ordinal, n.chunk.start, n.chunk.end,
                 n.chunk.text, n.embed_key)
                for n in new_chunks
            ],
        )
        db.executemany(
            "INSERT INTO chunks_fts (rowid, body) VALUES (?, ?)",
            [(n.chunk_id, n.lexical_text) for n in new_chunks],
        )
        if new_chunks:
            top = max(n.chunk_id for n in new_chunks) + 1
            top = max(top, self.next_chunk_id())
            db.execute("INSERT OR REPLACE INTO meta VALUES ('next_chunk_id', ?)", (str(top),))
        # Embeddings grace: used ones are live (NULL); ones that just lost their last chunk are
        # stamped with this generation; ones unused for EMBEDDING_GRACE_GENERATIONS are deleted.
        new_keys = sorted({n.embed_key for n in new_chunks})
        for batch in _batches(new_keys):
            db.execute(f"UPDATE embeddings SET orphaned = NULL WHERE key IN ({_marks(batch)})", batch)
        for batch in _batches(sorted(old_keys - set(new_keys))):
            db.execute(
                f"UPDATE embeddings SET orphaned = ? WHERE key IN ({_marks(batch)}) "
                "AND NOT EXISTS (SELECT 1 FROM chunks WHERE embed_key = embeddings.key)",
                [generation_id, *batch],
            )
        expired = [
            r[0]
            for r in db.execute(
                "SELECT key FROM embeddings WHERE orphaned IS NOT NULL AND orphaned <= ? "
                "AND NOT EXISTS (SELECT 1 FROM chunks WHERE embed_key = embeddings.key)",
                (generation_id - EMBEDDING_GRACE_GENERATIONS,),
            )
        ]
        for batch in _batches(expired):
            for table in ("embeddings", "sentence_embeddings"):
                db.execute(f"DELETE FROM {table} WHERE key IN ({_marks(batch)})", batch)
        settings_json = json.dumps(settings, sort_keys=True)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('settings', ?)", (settings_json,))
        articles, chunks = self.stats_counts(db)
        db.execute(
            f"INSERT INTO generations ({_GENERATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (generation_id, now, faiss_file, checksum, articles, chunks, model, dimension, settings_json),
        )
        return Generation(
            generation_id, datetime.fromisoformat(now), faiss_file, checksum, articles, chunks,
            model, dimension, dict(settings),
        )

    def record_checksum(self, generation: Generation, checksum: str) -> None:
        """After a repair rewrote a generation's FAISS file."""
        with self.write() as db:
            db.execute("UPDATE generations SET checksum = ? WHERE id = ?", (checksum, generation.id))

    def clean_files(self, keep: int = KEEP_FILES) -> list[str]:
        """Delete temporary files, and FAISS files and catalogs of unpublished or superseded generations.

        The newest `keep` published ones stay: a reader that pinned the previous generation a
        moment ago can still open its files. A reader that already mapped or loaded a deleted
        file is unaffected (POSIX unlink; files are never rewritten in place), and one that
        finds it gone rebuilds it from its SQLite snapshot. Returns the names deleted.
        """
        rows = _rows(self.db, "SELECT id, faiss_file FROM generations ORDER BY id DESC LIMIT ?", (keep,))
        return self.files.clean(name for r in rows for name in (r["faiss_file"], catalog_name(r["id"])))

    def check_newer_files(self) -> str | None:
        """A warning when FAISS or catalog files of a newer generation than the database's newest
        exist: the database lost its last commits (its -wal file cut short or deleted) and went
        back a generation, or a writer was killed just before publishing. Logged and returned."""
        newest_file = self.files.newest_generation()
        generation = self.generation()
        newest = generation.id if generation else 0
        if newest_file is None or newest_file <= newest:
            return None
        message = (
            f"The index at {self.index_dir} holds files of generation {newest_file} but its database "
            f"ends at generation {newest}: its last writes were lost (archive.sqlite-wal cut short or "
            "deleted?) or a writer was killed just before publishing. Articles added since are "
            "missing; run qa index on them again."
        )
        log.warning("%s", message)
        return message

    # -- checking ---------------------------------------------------------------------------

    def integrity_problems(self) -> list[str]:
        """Empty when SQLite is sound and the current generation is complete and consistent:
        FTS rows == chunks == FAISS ids, every live chunk has its embedding and the FAISS file
        holds exactly those vectors and matches its checksum, counts match, chunks slice their
        article's text, chunk ids stay below next_chunk_id."""
        problems: list[str] = []
        with self.read() as db:
            result = db.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                problems.append(f"sqlite integrity_check: {result}")
            generation = self.generation(db)
            live = {r[0] for r in db.execute("SELECT id FROM chunks")}
            fts = {r[0] for r in db.execute("SELECT rowid FROM chunks_fts")}
            if fts != live:
                problems.append(f"chunks_fts has {len(fts)} rows for {len(live)} chunks")
            missing = db.execute(
                "SELECT count(*) FROM chunks c LEFT JOIN embeddings e ON e.key = c.embed_key "
                "WHERE e.key IS NULL OR e.orphaned IS NOT NULL"
            ).fetchone()[0]
            if missing:
                problems.append(f"{missing} live chunks lack a live embedding")
            dimension = int(self.meta("dimension", db) or 0)
            damaged = db.execute(
                "SELECT count(*) FROM sentence_embeddings WHERE length(vectors) % ? != 0",
                (SENTENCE_DTYPE.itemsize * dimension,),
            ).fetchone()[0] if dimension else 0
            if damaged:
                problems.append(f"{damaged} chunks' sentence vectors are not whole vectors")
            unmatched = db.execute(
                "SELECT count(*) FROM sentence_embeddings WHERE spans IS NOT NULL "
                "AND length(vectors) % ? = 0 AND length(spans) * ? != length(vectors) * ?",
                (width := SENTENCE_DTYPE.itemsize * dimension, width, 2 * SPAN_DTYPE.itemsize),
            ).fetchone()[0] if dimension else 0
            if unmatched:
                problems.append(f"{unmatched} chunks' statement spans are not one per sentence vector")
            orphans = db.execute(
                "SELECT count(*) FROM chunks c LEFT JOIN articles a ON a.id = c.article_id WHERE a.id IS NULL"
            ).fetchone()[0]
            if orphans:
                problems.append(f"{orphans} chunks belong to no article")
            for cid, text, start, end, body in db.execute(
                "SELECT c.id, c.text, c.start, c.\"end\", a.text "
                "FROM chunks c JOIN articles a ON a.id = c.article_id"
            ):
                if body[start:end] != text:
                    problems.append(f"chunk {cid} does not slice its article's text")
                    break
            if live and max(live) >= self.next_chunk_id():
                problems.append("next_chunk_id is not above every chunk id")
            if generation is None:
                return problems + ([f"{len(live)} chunks but no generation"] if live else [])
            if (generation.articles, generation.chunks) != self.stats_counts(db):
                problems.append(f"generation {generation.id} records other counts than the tables hold")
            path = self.index_dir / generation.faiss_file
            try:
                index = VectorIndex.load(path, checksum=generation.checksum)
            except IndexFileError as exc:
                return problems + [str(exc)]
            ids = index.ids()
            if set(ids.tolist()) != live or len(ids) != len(live):
                problems.append(f"FAISS holds {len(ids)} ids, SQLite {len(live)} live chunks")
            else:
                ordered, expected = self.live_vectors(db, index.dimension)
                if not np.array_equal(index.vectors(ordered), expected):
                    problems.append("FAISS vectors differ from the embeddings in SQLite")
        return problems

