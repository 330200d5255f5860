"""The store's schema as a list of migrations, applied in order (after simonw/llm's
`embeddings_migrations.py`).

A store's format version is the number of migrations applied to it (`meta.format_version`): a new
store runs them all; a store of format N runs MIGRATIONS[N:]. A schema change is one new function
at the end of the list, never an edit of an earlier one (stores in the wild already ran it).
Each runs inside the caller's write transaction, one statement at a time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]

MIGRATIONS: list[Migration] = []


def migration(function: Migration) -> Migration:
    MIGRATIONS.append(function)
    return function


def _run(db: sqlite3.Connection, script: str) -> None:
    """A script's statements one by one (executescript would commit the open transaction)."""
    for statement in script.split(";\n"):
        if statement.strip():
            db.execute(statement)


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    _run(db, """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, url TEXT,
    published TEXT, modified TEXT, authors TEXT NOT NULL, categories TEXT NOT NULL,
    source TEXT, language TEXT, content_hash TEXT NOT NULL, source_file TEXT,
    partial INTEGER NOT NULL DEFAULT 0, indexed_at TEXT NOT NULL
);
CREATE INDEX articles_published ON articles (published);
CREATE INDEX articles_url ON articles (url);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles (id),
    ordinal INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    text TEXT NOT NULL, embed_key TEXT NOT NULL
);
CREATE INDEX chunks_article ON chunks (article_id);
CREATE TABLE embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE VIRTUAL TABLE chunks_fts USING fts5 (
    body, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE generations (
    id INTEGER PRIMARY KEY, created TEXT NOT NULL, faiss_file TEXT NOT NULL,
    checksum TEXT NOT NULL, articles INTEGER NOT NULL, chunks INTEGER NOT NULL
)
""")


@migration
def m002_fingerprints_grace_models(db: sqlite3.Connection) -> None:
    """Change fingerprints, the embeddings grace column, per-generation model records."""
    _run(db, """
ALTER TABLE articles ADD COLUMN fingerprint TEXT;
ALTER TABLE embeddings ADD COLUMN orphaned INTEGER;
CREATE INDEX embeddings_orphaned ON embeddings (orphaned) WHERE orphaned IS NOT NULL;
CREATE INDEX chunks_embed_key ON chunks (embed_key);
ALTER TABLE generations ADD COLUMN model TEXT;
ALTER TABLE generations ADD COLUMN dimension INTEGER;
ALTER TABLE generations ADD COLUMN settings TEXT
""")


@migration
def m003_sources(db: sqlite3.Connection) -> None:
    """Synced sources and the items each lists (qa/sync/state.py reads and writes them)."""
    _run(db, """
CREATE TABLE sources (
    id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}', state TEXT NOT NULL DEFAULT '{}', watermark TEXT,
    added TEXT NOT NULL, last_sync TEXT, last_success TEXT, last_error TEXT, last_summary TEXT
);
CREATE TABLE source_items (
    source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    item TEXT NOT NULL, article_id TEXT, stamp TEXT, PRIMARY KEY (source_id, item)
);
CREATE INDEX source_items_article ON source_items (article_id)
""")


@migration
def m004_site_offsets(db: sqlite3.Connection) -> None:
    """The UTC offset (minutes) a site published and modified an article in: dates are stored in
    UTC (they sort as text) and read back in the site's own time, the date its readers see."""
    _run(db, """
ALTER TABLE articles ADD COLUMN published_offset INTEGER;
ALTER TABLE articles ADD COLUMN modified_offset INTEGER
""")


def format_version(db: sqlite3.Connection) -> int | None:
    """The store's format version; None for an empty database."""
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
    if found is None:
        return None
    row = db.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()
    return int(row[0]) if row else None


def migrate(db: sqlite3.Connection) -> list[str]:
    """Inside a write transaction: apply the migrations `db` has not had. Returns their names."""
    applied = format_version(db) or 0
    names = []
    for function in MIGRATIONS[applied:]:
        function(db)
        names.append(function.__name__)
    db.execute(
        "INSERT OR REPLACE INTO meta VALUES ('format_version', ?)", (str(len(MIGRATIONS)),)
    )
    return names


@migration
def m005_sentence_embeddings(db: sqlite3.Connection) -> None:
    """Each chunk's statements embedded at index time (`Store.save_sentence_vectors`), so that
    answers need not embed them: keyed by the chunk's embedding key, with a digest of the
    statements' texts, as `qa.sentences.statement_spans` found them then."""
    _run(db, """
CREATE TABLE sentence_embeddings (key TEXT PRIMARY KEY, digest TEXT NOT NULL, vectors BLOB NOT NULL)
""")


@migration
def m006_statement_spans(db: sqlite3.Connection) -> None:
    """Where each chunk's embedded statements are in its text, (start, end) as little-endian
    uint32 pairs, so that an answer need not find them again (`qa.sentences.statement_spans`).
    NULL in the rows written before; the next indexing run fills them in."""
    _run(db, "ALTER TABLE sentence_embeddings ADD COLUMN spans BLOB")
