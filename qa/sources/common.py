"""Helpers shared by the readers: hashes, ids, dates, hosts, and the per-record context."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from qa.cleaning import clean_html, clean_text, looks_like_html, normalize_text
from qa.types import Article

_FRACTION_RE = re.compile(r"(\.\d{1,6})\d*")
_ZERO_DATE_RE = re.compile(r"^0000-00-00")


def content_hash(title: str, text: str) -> str:
    """The sha256 hex digest of `title + "\\n\\n" + text` (UTF-8)."""
    return hashlib.sha256(f"{title}\n\n{text}".encode()).hexdigest()


def stable_id(key: str) -> str:
    """A stable id for an article without one: 16 hex digits of sha256(key)."""
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:16]


def parse_datetime(value: object) -> datetime | None:
    """A timezone-aware UTC datetime from ISO 8601 (any fraction length), RFC 2822 or epoch seconds.

    Naive values are taken as UTC (WordPress `*_gmt` fields are naive UTC). Unparseable -> None.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or _ZERO_DATE_RE.match(text):
        return None
    iso = _FRACTION_RE.sub(r"\1", text, count=1)  # nanoseconds -> microseconds
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def host_of(url: str | None) -> str | None:
    """The host of a URL without `www.`, or None."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def clean_url(value: object) -> str | None:
    """An http(s) URL as a string, or None."""
    if not isinstance(value, str):
        return None
    url = normalize_text(value).strip().replace("\\/", "/")
    return url if re.match(r"https?://\S+$", url, re.IGNORECASE) else None


def clean_body(value: str) -> str:
    """Clean a body that may be HTML or plain text; plain text keeps its paragraphs."""
    return clean_html(value) if looks_like_html(value) else clean_text(value)


def clean_title(value: str) -> str:
    """A one-line title: entities decoded, tags dropped, whitespace collapsed."""
    text = clean_body(value) if value else ""
    return " ".join(text.split())


def first_words(text: str, n: int = 12) -> str:
    """The first `n` words of a text, with an ellipsis when cut."""
    words = text.split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


def as_text(value: object) -> str:
    """A string field, also from WordPress's `{"rendered": ...}` objects; anything else -> ""."""
    if isinstance(value, dict):
        value = value.get("rendered", value.get("raw"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) else ""


def names(value: object) -> tuple[str, ...]:
    """Names from a string, a list of strings, or a list of `{"name": ...}` objects."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str):
            name = clean_title(name)
            if name and name.lower() not in ("none", "null", "n/a", "unknown") and name not in out:
                out.append(name)
    return tuple(out)


class SkipRecord(Exception):
    """A record that gives no article; the message is the problem's reason."""


@dataclass
class RecordContext:
    """Where a record came from, and notes (problems) raised while converting it."""

    path: str
    index: int
    partial: bool = False
    notes: list[str] = field(default_factory=list)

    def fallback_id(self) -> str:
        # The resolved path, so that `a.json` and `./dir/../a.json` give the same id.
        return stable_id(f"{Path(self.path).resolve()}#{self.index}")

    def article(self, raw_id: object, *, title: str, text: str, url: str | None, **fields: Any) -> Article:
        """The `Article` of this record: every reader's one rule for ids and content hashes.

        Its id is the record's own (`raw_id`, a non-blank string or integer), else derived from
        its URL, else from its file and position (`fallback_id`)."""
        if isinstance(raw_id, (int, str)) and not isinstance(raw_id, bool) and str(raw_id).strip():
            article_id = str(raw_id).strip()
        else:
            article_id = stable_id(url) if url else self.fallback_id()
        return Article(
            id=article_id, title=title, text=text, url=url, content_hash=content_hash(title, text),
            source_file=self.path, partial=self.partial, **fields,
        )
