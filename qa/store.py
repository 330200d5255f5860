"""The archive store: SQLite (WAL) as the source of truth plus one FAISS file per generation.

Layout of an index directory:
    archive.sqlite         articles, chunks, embeddings (float32 blobs), chunks_fts (FTS5, BM25),
                           generations (model, dimension, FAISS file, checksum, counts), meta
    vectors-<gen>.faiss    the FAISS index of generation <gen>: chunk ids -> vectors
    write.lock             held by the one process that writes

A generation is published by one SQLite transaction after its FAISS file is durable on disk;
readers run each query inside one read transaction, so they see one generation, never a mix.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from embeddings.index import IndexFileError, VectorIndex, file_sha256
from qa.errors import IndexMismatchError, IndexNotFoundError
from qa.types import Article, Chunk

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
DB_NAME = "archive.sqlite"
LOCK_NAME = "write.lock"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, url TEXT,
    published TEXT, modified TEXT, authors TEXT NOT NULL, categories TEXT NOT NULL,
    source TEXT, language TEXT, content_hash TEXT NOT NULL, source_file TEXT,
    partial INTEGER NOT NULL DEFAULT 0, indexed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_published ON articles (published);
CREATE INDEX IF NOT EXISTS articles_url ON articles (url);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles (id),
    ordinal INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    text TEXT NOT NULL, embed_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks (article_id);
CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5 (
    body, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS generations (
    id INTEGER PRIMARY KEY, created TEXT NOT NULL, faiss_file TEXT NOT NULL,
    checksum TEXT NOT NULL, articles INTEGER NOT NULL, chunks INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class Generation:
    """A published state of the archive."""

    id: int
    created: datetime
    faiss_file: str
    checksum: str
    articles: int
    chunks: int


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


@dataclass(frozen=True)
class NewChunk:
    """A chunk about to be written, with its preassigned id and embedding key."""

    chunk_id: int
    chunk: Chunk
    lexical_text: str
    embed_key: str


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Store:
    """One index directory. Thread-safe: each thread gets its own SQLite connection."""

    def __init__(self, index_dir: str | Path, *, create: bool = True) -> None:
        self.index_dir = Path(index_dir)
        self.db_path = self.index_dir / DB_NAME
        if not self.db_path.exists():
            if not create:
                raise IndexNotFoundError(
                    f"No index at {self.index_dir}; run: qa index ARTICLES --index-dir {self.index_dir}"
                )
            self.index_dir.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self.db.executescript(
            f"BEGIN IMMEDIATE; {_SCHEMA} INSERT OR IGNORE INTO meta VALUES "
            f"('format_version', '{FORMAT_VERSION}'); COMMIT;"
        )
        version = int(self.meta("format_version") or FORMAT_VERSION)
        if version > FORMAT_VERSION:
            raise IndexMismatchError(
                f"The index at {self.index_dir} has store format {version}, newer than this "
                f"version of qa understands ({FORMAT_VERSION}); upgrade qa to read it."
            )

    # -- connections and transactions -------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.db_path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

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
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- identity -------------------------------------------------------------------------

    def meta(self, key: str, db: sqlite3.Connection | None = None) -> str | None:
        row = (db or self.db).execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def check_model(self, model: str, backend: str, dimension: int, settings: dict[str, object]) -> None:
        """Record the model on first use; refuse a store built with another model or dimension."""
        with self.write() as db:
            stored_model = self.meta("model", db)
            if stored_model is None:
                db.executemany(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    [("model", model), ("backend", backend), ("dimension", str(dimension)),
                     ("settings", json.dumps(settings, sort_keys=True))],
                )
                return
            stored = (stored_model, self.meta("backend", db), int(self.meta("dimension", db) or 0))
        if stored != (model, backend, dimension):
            raise IndexMismatchError(
                f"The index at {self.index_dir} was built with model {stored[0]!r} "
                f"({stored[1]}, dimension {stored[2]}), not {model!r} ({backend}, dimension "
                f"{dimension}). Open it with that model, or rebuild: "
                f"qa index ARTICLES --index-dir NEW_DIR --model {model!r}"
            )

    def recorded_model(self) -> tuple[str, str, int] | None:
        """(model, backend, dimension) the store was built with, or None for a new store."""
        model = self.meta("model")
        if model is None:
            return None
        return model, self.meta("backend") or "torch", int(self.meta("dimension") or 0)

    def recorded_settings(self) -> dict[str, object]:
        return json.loads(self.meta("settings") or "{}")

    # -- reading ----------------------------------------------------------------------------

    def generation(self, db: sqlite3.Connection | None = None) -> Generation | None:
        row = (db or self.db).execute(
            "SELECT id, created, faiss_file, checksum, articles, chunks FROM generations ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return Generation(row[0], datetime.fromisoformat(row[1]), row[2], row[3], row[4], row[5])

    def article_hashes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT id, content_hash FROM articles"))

    def article(self, article_id: str, db: sqlite3.Connection | None = None) -> Article | None:
        row = (db or self.db).execute(
            "SELECT id, title, text, url, published, modified, authors, categories, source, "
            "language, content_hash, source_file, partial FROM articles WHERE id = ?",
            (article_id,),
        ).fetchone()
        if row is None:
            return None
        return Article(
            id=row[0], title=row[1], text=row[2], url=row[3], published=_parse_time(row[4]),
            modified=_parse_time(row[5]), authors=tuple(json.loads(row[6])),
            categories=tuple(json.loads(row[7])), source=row[8], language=row[9],
            content_hash=row[10], source_file=row[11], partial=bool(row[12]),
        )

    def chunks(self, db: sqlite3.Connection, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        """Chunk rows with article metadata, by id (ids not in this snapshot are absent)."""
        found: dict[int, StoredChunk] = {}
        for i in range(0, len(chunk_ids), 500):
            batch = [int(c) for c in chunk_ids[i : i + 500]]
            rows = db.execute(
                "SELECT c.id, c.article_id, c.ordinal, c.start, c.\"end\", c.text, a.title, a.url, "
                "a.published, a.source FROM chunks c JOIN articles a ON a.id = c.article_id "
                f"WHERE c.id IN ({','.join('?' * len(batch))})",
                batch,
            )
            for r in rows:
                found[r[0]] = StoredChunk(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], _parse_time(r[8]), r[9])
        return found

    def lexical_search(self, db: sqlite3.Connection, match: str, limit: int) -> list[tuple[int, float]]:
        """(chunk id, BM25 score, higher is better) for an FTS5 MATCH expression."""
        rows = db.execute(
            "SELECT rowid, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ? "
            "ORDER BY bm25(chunks_fts) LIMIT ?",
            (match, limit),
        )
        return [(int(r[0]), float(r[1])) for r in rows]

    def live_vectors(self, db: sqlite3.Connection) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, vectors) of every live chunk in this snapshot, from the embeddings table."""
        rows = db.execute(
            "SELECT c.id, e.vector FROM chunks c JOIN embeddings e ON e.key = c.embed_key ORDER BY c.id"
        ).fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        if not rows:
            return ids, np.zeros((0, 0), dtype=np.float32)
        return ids, np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])

    def load_vectors(self, db: sqlite3.Connection, generation: Generation, dimension: int) -> VectorIndex:
        """The FAISS index of a generation; rebuilt from SQLite when its file is missing or damaged."""
        path = self.index_dir / generation.faiss_file
        try:
            return VectorIndex.load(path, checksum=generation.checksum)
        except IndexFileError as exc:
            log.warning("%s; rebuilding it from %s (no re-embedding)", exc, self.db_path)
        ids, vectors = self.live_vectors(db)
        index = VectorIndex(dimension)
        index.add(ids, vectors.reshape(len(ids), dimension))
        return index

    def stats_counts(self, db: sqlite3.Connection | None = None) -> tuple[int, int]:
        db = db or self.db
        articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return int(articles), int(chunks)

    def sources(self) -> list[str]:
        rows = self.db.execute("SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY source")
        return [r[0] for r in rows]

    def titles(self, limit: int) -> list[str]:
        rows = self.db.execute("SELECT title FROM articles ORDER BY published DESC LIMIT ?", (limit,))
        return [r[0] for r in rows]

    # -- writing ----------------------------------------------------------------------------

    def missing_embeddings(self, keys: Iterable[str]) -> set[str]:
        keys = set(keys)
        have: set[str] = set()
        key_list = list(keys)
        for i in range(0, len(key_list), 500):
            batch = key_list[i : i + 500]
            rows = self.db.execute(
                f"SELECT key FROM embeddings WHERE key IN ({','.join('?' * len(batch))})", batch
            )
            have.update(r[0] for r in rows)
        return keys - have

    def save_embeddings(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Commit one batch of embeddings: kept even if the run is killed before it publishes."""
        with self.write() as db:
            db.executemany(
                "INSERT OR IGNORE INTO embeddings VALUES (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vectors)],
            )

    def embeddings_for(self, keys: Sequence[str]) -> np.ndarray:
        vectors = []
        for i in range(0, len(keys), 500):
            batch = list(keys[i : i + 500])
            rows = dict(
                self.db.execute(
                    f"SELECT key, vector FROM embeddings WHERE key IN ({','.join('?' * len(set(batch)))})",
                    list(dict.fromkeys(batch)),
                )
            )
            vectors.extend(np.frombuffer(rows[k], dtype=np.float32) for k in batch)
        return np.vstack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)

    def next_chunk_id(self) -> int:
        row = self.db.execute("SELECT max(id) FROM chunks").fetchone()
        stored = int(self.meta("next_chunk_id") or 1)
        return max(stored, (row[0] or 0) + 1)

    def chunk_ids_of(self, article_ids: Iterable[str]) -> list[int]:
        ids: list[int] = []
        article_list = list(article_ids)
        for i in range(0, len(article_list), 500):
            batch = article_list[i : i + 500]
            rows = self.db.execute(
                f"SELECT id FROM chunks WHERE article_id IN ({','.join('?' * len(batch))})", batch
            )
            ids.extend(r[0] for r in rows)
        return ids

    def publish(
        self,
        *,
        upserts: Sequence[Article],
        removals: Sequence[str],
        new_chunks: Sequence[NewChunk],
        faiss_file: str,
        checksum: str,
    ) -> Generation:
        """The commit point: one transaction replaces the changed articles and publishes a generation."""
        with self.write() as db:
            doomed = sorted(set(removals) | {a.id for a in upserts})
            for i in range(0, len(doomed), 500):
                batch = doomed[i : i + 500]
                marks = ",".join("?" * len(batch))
                db.execute(
                    f"DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE article_id IN ({marks}))",
                    batch,
                )
                db.execute(f"DELETE FROM chunks WHERE article_id IN ({marks})", batch)
                db.execute(f"DELETE FROM articles WHERE id IN ({marks})", batch)
            now = _now()
            db.executemany(
                "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, a.title, a.text, a.url, _iso(a.published), _iso(a.modified),
                     json.dumps(list(a.authors)), json.dumps(list(a.categories)), a.source,
                     a.language, a.content_hash, a.source_file, int(a.partial), now)
                    for a in upserts
                ],
            )
            db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
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
                db.execute("INSERT OR REPLACE INTO meta VALUES ('next_chunk_id', ?)", (str(top),))
            db.execute("DELETE FROM embeddings WHERE key NOT IN (SELECT embed_key FROM chunks)")
            articles, chunks = self.stats_counts(db)
            cursor = db.execute(
                "INSERT INTO generations (created, faiss_file, checksum, articles, chunks) VALUES (?, ?, ?, ?, ?)",
                (now, faiss_file, checksum, articles, chunks),
            )
            generation = Generation(int(cursor.lastrowid), datetime.fromisoformat(now), faiss_file, checksum, articles, chunks)
        return generation

    def next_generation_id(self) -> int:
        row = self.db.execute("SELECT max(id) FROM generations").fetchone()
        return (row[0] or 0) + 1

    def record_checksum(self, generation: Generation, checksum: str) -> None:
        """After a repair rewrote a generation's FAISS file."""
        with self.write() as db:
            db.execute("UPDATE generations SET checksum = ? WHERE id = ?", (checksum, generation.id))

    def clean_files(self, keep: int = 2) -> None:
        """Delete temporary files and FAISS files of unpublished or superseded generations.

        The newest `keep` published files stay: a reader that pinned the previous generation
        a moment ago can still open its file (and would rebuild it from SQLite if not).
        """
        rows = self.db.execute("SELECT faiss_file FROM generations ORDER BY id DESC LIMIT ?", (keep,))
        wanted = {r[0] for r in rows}
        for path in self.index_dir.glob("vectors-*.faiss*"):
            if path.name not in wanted:
                path.unlink(missing_ok=True)

    def integrity_problems(self) -> list[str]:
        """Empty when SQLite is sound and the current FAISS file matches the live chunks."""
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
            if generation is None:
                return problems + ([f"{len(live)} chunks but no generation"] if live else [])
            path = self.index_dir / generation.faiss_file
            if not path.is_file() or file_sha256(path) != generation.checksum:
                problems.append(f"{path.name} is missing or does not match its checksum")
            else:
                ids = set(VectorIndex.load(path).ids().tolist())
                if ids != live:
                    problems.append(f"FAISS holds {len(ids)} ids, SQLite {len(live)} live chunks")
        return problems
