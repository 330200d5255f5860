"""RSS and Atom feeds (feedparser): conditional GETs, entries with their full text or their page.

A feed answered `304 Not Modified` (ETag / Last-Modified) costs one empty response. An entry
that carries its text (`content:encoded`, Atom `content`) is read from the feed; one with only
a summary is read from its page (qa.sources.pages). An entry is re-read only when it changed
(its stamp hashes its title, link, dates, summary and content). Entries that drop off a feed
are not removed: feeds list only the latest items.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import feedparser

from qa.sources.common import (
    RecordContext,
    clean_body,
    clean_title,
    clean_url,
    content_hash,
    first_words,
    host_of,
    names,
)
from qa.sync.common import Batch, later
from qa.sync.http import Fetcher, SyncError
from qa.sync.pages import PROTECTED, fetch_page, is_password_form
from qa.sync.state import Item, SourceRow, url_key
from qa.types import Article, Problem


def _updated(entry: Any) -> str | None:
    # dict.get, not entry.get: feedparser 6 maps a missing `updated` to `published`, warning.
    return dict.get(entry, "updated")


def _stamp(entry: Any) -> str:
    fields = [entry.get(k) for k in ("title", "link", "id", "published", "summary")] + [_updated(entry)]
    fields.append([c.get("value") for c in entry.get("content") or []])
    return hashlib.sha256(json.dumps(fields, default=str).encode()).hexdigest()[:32]


def _dates(entry: Any, ctx: RecordContext) -> tuple[datetime | None, datetime | None]:
    """(published, modified) of an entry, checked as a file's dates are (a date in the future or
    not a date is a problem noted in `ctx`); an entry without `published` is dated by `updated`."""
    modified = ctx.date(_updated(entry), "modified")
    return ctx.date(entry.get("published"), "published") or modified, modified


def _entry_article(entry: Any, article_id: str, link: str, ctx: RecordContext) -> Article | None:
    html = "\n".join(c.get("value") or "" for c in entry.get("content") or [])
    text = clean_body(html) if html.strip() else ""
    if not text:
        return None
    title = clean_title(entry.get("title") or "")
    if not title:
        ctx.notes.append("empty title; used the text's first words")
        title = first_words(text)
    published, modified = _dates(entry, ctx)
    return Article(
        id=article_id, title=title, text=text, url=link, published=published, modified=modified,
        authors=names(entry.get("authors") or entry.get("author") or []),
        categories=names([t.get("term") for t in entry.get("tags") or [] if isinstance(t, dict)]),
        source=host_of(link), content_hash=content_hash(title, text), source_file=ctx.path,
    )


def sync_feed(fetcher: Fetcher, source: SourceRow, known: dict[str, Item]) -> Iterator[Batch]:
    """One batch: the feed's new and changed entries (nothing when it answers 304)."""
    headers = {}
    if source.state.get("etag"):
        headers["If-None-Match"] = str(source.state["etag"])
    if source.state.get("last_modified"):
        headers["If-Modified-Since"] = str(source.state["last_modified"])
    response = fetcher.get(source.url, headers=headers, ok=(200, 304))
    if response.status == 304:
        yield Batch(unchanged=len(known))
        return
    parsed = feedparser.parse(
        response.content,
        response_headers={"content-type": response.headers.get("content-type", "application/xml"),
                          "content-location": response.url},
    )
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        reason = parsed.get("bozo_exception")
        raise SyncError(f"{response.url} is not an RSS or Atom feed any more ({reason})")
    batch = Batch()
    failed = False
    for index, entry in enumerate(parsed.entries):
        link = clean_url(entry.get("link"))
        if not link:
            batch.problems.append(Problem(source.url, f"entry {entry.get('id') or entry.get('title')!r} "
                                          "has no http(s) link; skipped"))
            continue
        key, stamp = str(entry.get("id") or link), _stamp(entry)
        if key in known and known[key].stamp == stamp:
            batch.unchanged += 1
            continue
        article_id = url_key(link)
        if any(is_password_form(c.get("value") or "") for c in entry.get("content") or []):
            batch.problems.append(Problem(source.url, PROTECTED, article_id))
            batch.items[key] = Item(None, stamp)
            continue
        ctx = RecordContext(source.url, index)
        article = _entry_article(entry, article_id, link, ctx)
        problems: list[Problem] = []
        if article is None:
            dates = RecordContext(source.url, index)
            article, problems = fetch_page(fetcher, link, article_id, source.url,
                                           title=clean_title(entry.get("title") or ""),
                                           published=_dates(entry, dates)[0], date_notes=dates.notes)
        batch.problems.extend(Problem(source.url, note, article_id) for note in ctx.notes)
        batch.problems.extend(problems)
        if article is None and any("try again" in p.reason for p in problems):
            failed = True
            continue
        batch.items[key] = Item(article.id if article else None, stamp)
        if article is not None:
            batch.articles.append(article)
            moment = article.modified or article.published
            batch.watermark = later(batch.watermark, moment.isoformat() if moment else None)
    if not failed:  # otherwise the next sync must not be answered 304: the failed pages are retried
        batch.state = {k: v for k, v in (("etag", response.headers.get("etag")),
                                          ("last_modified", response.headers.get("last-modified"))) if v}
    batch.watermark = later(source.watermark, batch.watermark)
    yield batch
