"""Helpers shared by the readers: hashes, ids, dates, hosts, and the per-record context."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dateutil import parser as dateutil_parser

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
    """`parse_date(value)` without its problem, for machine-written dates (feeds, sitemaps, APIs)."""
    return parse_date(value)[0]


def parse_date(value: object, *, now: datetime | None = None) -> tuple[datetime | None, str | None]:
    """(UTC datetime or None, a problem worth reporting or None) from a date field.

    Reads ISO 8601 (any fraction length, "2023-11" as its first day), RFC 2822, epoch seconds or
    milliseconds (numbers or digit strings) and what people write ("Nov 27, 2023", "27 November
    2023", "27/11/2023", via python-dateutil). Naive values are taken as UTC (WordPress `*_gmt`
    fields are naive UTC). A numeric date whose day and month could be swapped ("03/04/2023") is
    read month first, and the problem says so; an impossible date ("2023-02-30"), one more than a
    day in the future, or text that is not a date gives None and a problem.
    """
    if isinstance(value, bool) or value is None:
        return None, None
    if isinstance(value, (int, float)):
        parsed, problem = _from_epoch(value), None
        if parsed is None:
            return None, f"date {value!r} is out of range; stored undated"
    elif isinstance(value, str):
        text = value.strip()
        if not text or _ZERO_DATE_RE.match(text):
            return None, None
        parsed, problem = _from_text(text)
        if parsed is None:
            return None, problem
    else:
        return None, f"date {_quoted(value)} is not text or a number; stored undated"
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    if parsed > (now or datetime.now(UTC)) + _FUTURE_SLACK:
        return None, f"date {_quoted(value)} is in the future ({parsed.date().isoformat()}); stored undated"
    return parsed, problem


_FUTURE_SLACK = timedelta(days=1)
_EPOCH_RE = re.compile(r"-?\d{9,14}(\.\d+)?")
_NUMERIC_DATE_RE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\b")
_HAS_YEAR_RE = re.compile(r"(?<!\d)\d{4}(?!\d)")
# Fills what a date leaves out ("2023-11" -> the 1st, no time -> midnight), never today's values.
_DEFAULT = datetime(2000, 1, 1)


def _quoted(value: object) -> str:
    text = str(value)
    return repr(text[:40] + ("…" if len(text) > 40 else ""))


def _from_epoch(value: float) -> datetime | None:
    """Epoch seconds, or milliseconds when the number is too large to be seconds of this era."""
    try:
        return datetime.fromtimestamp(value / 1000 if abs(value) >= 1e11 else value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _from_text(text: str) -> tuple[datetime | None, str | None]:
    if _EPOCH_RE.fullmatch(text):
        parsed = _from_epoch(float(text))
        return (parsed, None) if parsed else (None, f"date {_quoted(text)} is out of range; stored undated")
    iso = _FRACTION_RE.sub(r"\1", text, count=1)  # nanoseconds -> microseconds
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(iso), None
    except ValueError as error:
        if re.match(r"\d{4}-\d{2}-\d{2}", iso) and "out of range" in str(error):
            return None, f"date {_quoted(text)} is not a real date ({error}); stored undated"
    try:
        return parsedate_to_datetime(text), None
    except (TypeError, ValueError, IndexError):
        pass
    if not (_HAS_YEAR_RE.search(text) or _NUMERIC_DATE_RE.match(text)):
        return None, f"date {_quoted(text)} cannot be read as a date (no year); stored undated"
    try:
        parsed = dateutil_parser.parse(text, default=_DEFAULT, dayfirst=False)
    except (dateutil_parser.ParserError, ValueError, OverflowError) as error:
        reason = "is not a real date" if "out of range" in str(error) else "cannot be read as a date"
        return None, f"date {_quoted(text)} {reason}; stored undated"
    numeric = _NUMERIC_DATE_RE.match(text)
    if numeric and numeric.group(1) != numeric.group(2) and max(map(int, numeric.group(1, 2))) <= 12:
        return parsed, (
            f"date {_quoted(text)} could be day/month or month/day; read month first, as "
            f"{parsed.date().isoformat()}"
        )
    return parsed, None


def in_site_time(moment: datetime | None, wall: datetime | None) -> datetime | None:
    """`moment` (else `wall`) in the site's own time zone, the one its readers see.

    WordPress gives a post's time in UTC (`date_gmt`) and as the site's wall clock (`date`, read
    as if UTC): their difference is the site's UTC offset. A post published 2024-08-21 08:00 in
    Seoul is 2024-08-20 23:00 UTC; its date is the 21st. Without both, or with a difference no
    time zone has, the moment stays in UTC.
    """
    if moment is None or wall is None:
        return moment or wall
    offset = wall - moment
    if abs(offset) > timedelta(hours=14) or offset % timedelta(minutes=15):
        return moment
    return moment.astimezone(timezone(offset))


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

    def date(self, value: object, what: str) -> datetime | None:
        """`parse_date(value)`, its problem (if any) noted as being about the `what` date."""
        parsed, problem = parse_date(value)
        if problem:
            self.notes.append(f"{what} {problem}")
        return parsed

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
