"""Sitemaps (sitemaps.org, WordPress's wp-sitemap.xml, Google News sitemaps): the listed pages.

A sitemap index is followed to its sitemaps on the same site (WordPress's taxonomy and user
sitemaps list archive pages, not articles: skipped; its page sitemaps only when pages are
asked for). A listed URL is fetched when it is new, or when its `<lastmod>` changed (stock
WordPress sitemaps have none, so an edit there is not seen: sync the site itself for that).
A URL that vanishes from a complete sitemap is removed; a news sitemap lists only the last
days' articles, so nothing is removed for it.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from qa.sources.common import RecordContext, clean_url, parse_datetime
from qa.sync.common import Batch, later
from qa.sync.http import Fetcher, SyncError, site_of
from qa.sync.pages import fetch_page
from qa.sync.state import Item, SourceRow, url_key
from qa.types import Problem

BATCH_PAGES = 100
MAX_DEPTH = 3
_WP_NOT_ARTICLES = re.compile(r"wp-sitemap-(taxonomies|users)-")
_WP_PAGES = re.compile(r"wp-sitemap-posts-page-")


@dataclass
class Listing:
    urls: dict[str, tuple[str, str | None, str]] = field(default_factory=dict)  # key -> (loc, lastmod, title)
    date_notes: dict[str, list[str]] = field(default_factory=dict)  # key -> problems of its date
    problems: list[Problem] = field(default_factory=list)
    complete: bool = True
    news: bool = False


def _parse(content: bytes, url: str) -> etree._Element:
    if content[:2] == b"\x1f\x8b":
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError) as exc:
            raise SyncError(f"{url} is a damaged gzip file ({exc}); sync again later") from exc
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        return etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SyncError(f"{url} is not a complete XML sitemap ({exc}); sync again later") from exc


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child_text(element: etree._Element, *path: str) -> str | None:
    node = element
    for name in path:
        node = next((c for c in node if _local(c) == name), None)
        if node is None:
            return None
    return (node.text or "").strip() or None


def _walk(fetcher: Fetcher, url: str, listing: Listing, root_url: str, pages: bool, depth: int = 0) -> None:
    root = _parse(fetcher.get(url).content, url)
    if _local(root) == "sitemapindex":
        for entry in root:
            loc = clean_url(_child_text(entry, "loc"))
            if not loc or _WP_NOT_ARTICLES.search(loc) or (_WP_PAGES.search(loc) and not pages):
                continue
            if site_of(loc) != site_of(root_url) or depth >= MAX_DEPTH:
                reason = f"sitemap {loc} is off the site or nested too deep; skipped"
                listing.problems.append(Problem(root_url, reason))
                listing.complete = False
                continue
            try:
                _walk(fetcher, loc, listing, root_url, pages, depth + 1)
            except SyncError as exc:
                listing.problems.append(Problem(root_url, f"{exc}; nothing is removed this time"))
                listing.complete = False
        return
    if _local(root) != "urlset":
        raise SyncError(f"{url} is not a sitemap (its root element is <{_local(root)}>)")
    for entry in root:
        loc = clean_url(_child_text(entry, "loc"))
        if not loc:
            continue
        news_date = _child_text(entry, "news", "publication_date")
        listing.news |= news_date is not None or _child_text(entry, "news", "title") is not None
        dates = RecordContext(root_url, 0)
        lastmod = dates.date(_child_text(entry, "lastmod") or news_date, "sitemap")
        title = _child_text(entry, "news", "title") or ""
        listing.urls[url_key(loc)] = (loc, lastmod.isoformat() if lastmod else None, title)
        listing.date_notes[url_key(loc)] = dates.notes


def sync_sitemap(fetcher: Fetcher, source: SourceRow, known: dict[str, Item]) -> Iterator[Batch]:
    """Batches of up to BATCH_PAGES new or re-dated pages; the first also drops vanished ones."""
    listing = Listing()
    _walk(fetcher, source.url, listing, source.url, bool(source.options.get("pages")))
    gone = [k for k in known if k not in listing.urls] if listing.complete and not listing.news else []
    todo = [k for k, (_, lastmod, _) in listing.urls.items()
            if k not in known or (lastmod and lastmod != known[k].stamp)]
    unchanged = len(listing.urls) - len(todo)
    first = Batch(gone=gone, unchanged=unchanged, problems=listing.problems)
    watermark = source.watermark
    if not todo:
        yield first
        return
    for start in range(0, len(todo), BATCH_PAGES):
        batch = first if start == 0 else Batch()
        for key in todo[start : start + BATCH_PAGES]:
            loc, lastmod, title = listing.urls[key]
            article, problems = fetch_page(
                fetcher, loc, key, source.url, title=title,
                published=parse_datetime(lastmod) if listing.news else None,
                date_notes=listing.date_notes[key] if listing.news else (),
            )
            batch.problems.extend(problems)
            if article is None and any("try again" in p.reason for p in problems):
                continue
            batch.items[key] = Item(article.id if article else None, lastmod)
            if article is not None:
                batch.articles.append(article)
            watermark = later(watermark, lastmod)
        batch.watermark = watermark
        yield batch
