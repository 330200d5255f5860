"""What the store records about synced sources: one row per source, one per item it listed.

    sources       url (normalised), kind (wordpress | feed | sitemap), options and state (JSON:
                  the discovered API root, a feed's ETag ...), watermark (the newest modified
                  stamp committed, UTC ISO 8601), added, last sync / last success / last error,
                  the last run's summary
    source_items  (source, item) -> the article it gave (NULL: skipped, e.g. password-protected)
                  and its stamp (WordPress modified_gmt, a feed entry's date, a sitemap lastmod)

The tables are created by the store migration m003_sources (qa/migrations.py). Both change only
inside the transaction that publishes the articles they describe (or, when no
article changed, in a transaction of their own), so a sync killed at any moment resumes exactly.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from qa.types import Source


def now() -> str:
    return datetime.now(UTC).isoformat()


def normalize_url(url: str) -> str:
    """One spelling per source: lower-case scheme and host, no default port, no fragment, and
    a site root always ends with '/'."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def url_key(url: str) -> str:
    """A URL without its scheme, trailing slash of the host kept: the id of a synced page."""
    parts = urlsplit(normalize_url(url))
    return urlunsplit(("", parts.netloc, parts.path, parts.query, "")).lstrip("/")


@dataclass(frozen=True)
class Item:
    """What one listed item gave: its article id (None: skipped) and its change stamp."""

    article_id: str | None
    stamp: str | None


@dataclass
class SourceRow:
    """A source as the sync reads and updates it."""

    id: int | None
    url: str
    kind: str
    options: dict[str, object] = field(default_factory=dict)
    state: dict[str, object] = field(default_factory=dict)
    watermark: str | None = None


def find(db: sqlite3.Connection, url: str) -> SourceRow | None:
    row = db.execute(
        "SELECT id, url, kind, options, state, watermark FROM sources WHERE url = ?", (url,)
    ).fetchone()
    if row is None:
        return None
    return SourceRow(row[0], row[1], row[2], json.loads(row[3]), json.loads(row[4]), row[5])


def items(db: sqlite3.Connection, source_id: int | None) -> dict[str, Item]:
    if source_id is None:
        return {}
    rows = db.execute("SELECT item, article_id, stamp FROM source_items WHERE source_id = ?", (source_id,))
    return {r[0]: Item(r[1], r[2]) for r in rows}


def save_source(db: sqlite3.Connection, source: SourceRow) -> int:
    """Insert or update the source row (kind, options, state, watermark); returns its id."""
    if source.id is None:
        cursor = db.execute(
            "INSERT INTO sources (url, kind, options, state, watermark, added) VALUES (?, ?, ?, ?, ?, ?)",
            (source.url, source.kind, json.dumps(source.options), json.dumps(source.state),
             source.watermark, now()),
        )
        assert cursor.lastrowid is not None  # set by every INSERT into a rowid table
        source.id = cursor.lastrowid
    else:
        db.execute(
            "UPDATE sources SET kind = ?, options = ?, state = ?, watermark = ? WHERE id = ?",
            (source.kind, json.dumps(source.options), json.dumps(source.state), source.watermark, source.id),
        )
    return source.id


def save_items(db: sqlite3.Connection, source_id: int, changed: dict[str, Item], gone: Iterable[str]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO source_items (source_id, item, article_id, stamp) VALUES (?, ?, ?, ?)",
        [(source_id, key, item.article_id, item.stamp) for key, item in changed.items()],
    )
    db.executemany(
        "DELETE FROM source_items WHERE source_id = ? AND item = ?", [(source_id, key) for key in gone]
    )


def record_outcome(db: sqlite3.Connection, source_id: int, *, error: str | None, summary: str | None) -> None:
    """Stamp the end of a sync: success (error None) or the one-line error."""
    stamp = now()
    if error is None:
        db.execute(
            "UPDATE sources SET last_sync = ?, last_success = ?, last_error = NULL, last_summary = ? "
            "WHERE id = ?",
            (stamp, stamp, summary, source_id),
        )
    else:
        db.execute("UPDATE sources SET last_sync = ?, last_error = ? WHERE id = ?", (stamp, error, source_id))


def referenced_elsewhere(db: sqlite3.Connection, article_ids: Iterable[str], source_id: int,
                         items_of_source: Iterable[str]) -> set[str]:
    """Which of `article_ids` another source lists, or this source lists under an item other
    than `items_of_source` (those are the items being dropped or re-pointed)."""
    ids = sorted(set(article_ids))
    dropping = set(items_of_source)
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        batch = ids[i : i + 500]
        marks = ",".join("?" * len(batch))
        for source, item, article in db.execute(
            f"SELECT source_id, item, article_id FROM source_items WHERE article_id IN ({marks})", batch
        ):
            if source != source_id or item not in dropping:
                found.add(article)
    return found


def list_sources(db: sqlite3.Connection) -> list[Source]:
    rows = db.execute(
        "SELECT s.url, s.kind, s.watermark, s.added, s.last_sync, s.last_success, s.last_error, "
        "s.last_summary, s.options, "
        "(SELECT count(*) FROM source_items i WHERE i.source_id = s.id AND i.article_id IS NOT NULL), "
        "(SELECT count(*) FROM source_items i WHERE i.source_id = s.id AND i.article_id IS NULL) "
        "FROM sources s ORDER BY s.url"
    )
    return [
        Source(
            url=r[0], kind=r[1], articles=int(r[9]), skipped=int(r[10]), watermark=_time(r[2]),
            added=_time(r[3]), last_sync=_time(r[4]), last_success=_time(r[5]), last_error=r[6],
            last_summary=r[7], pages=bool(json.loads(r[8]).get("pages")),
        )
        for r in rows
    ]


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
