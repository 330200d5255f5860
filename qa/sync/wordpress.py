"""WordPress sites through their REST API: find the API, list ids, fetch what changed.

One sync of a site:

1. the full id list of the published posts (`_fields=id`, 100 a page, paged by
   X-WP-TotalPages; the first sync asks for `id,modified_gmt` instead): ids that are new, and
   stored ids that vanished (trashed, deleted, unpublished, made private: the public list no
   longer has them; confirmed by a second look before anything is removed);
2. the posts modified after the watermark (`modified_after`, strictly greater than, given
   with an explicit UTC offset; WordPress compares it with the site-local `post_modified`,
   so the watermark is moved back by WATERMARK_MARGIN to cover clock changes and posts
   modified within the same second) with their `modified_gmt`; those whose stamp differs from
   the stored one changed;
3. the bodies of the new and changed posts, 100 a request (`include=`, with
   `_embed=author,wp:term` for author and term names), oldest modification first, committed
   in batches of BATCH_POSTS so the watermark only ever covers committed posts.

An unchanged site costs the id pages and one small request; no post body is downloaded.
Password-protected posts carry no text: they are recorded as skipped (and reported once).
`date_gmt`/`modified_gmt` carry no offset and are UTC; `date` is the site's local time.
Pages (`/wp/v2/pages`) are synced only when asked; turned off again, the pages synced go.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

from qa.sources.common import RecordContext, SkipRecord, parse_datetime
from qa.sources.wordpress import wordpress_article
from qa.sync.common import Batch, later, read_json
from qa.sync.http import Fetcher, Response, SyncError
from qa.sync.state import Item, SourceRow, url_key
from qa.types import Problem

PER_PAGE = 100
BATCH_POSTS = 500
WATERMARK_MARGIN = timedelta(hours=1)
API_REL = "https://api.w.org/"
# (REST route, item key prefix, the WordPress short link that names an item of that type)
TYPES = {"posts": ("post", "?p="), "pages": ("page", "?page_id=")}
_LINK_RE = re.compile(r"<([^>]+)>\s*;\s*rel=\"?([^\";]+)\"?")


def api_link(response: Response) -> str | None:
    """The REST API root a WordPress page announces in its `Link` header, if any."""
    for header in response.headers.get_list("link"):
        for target, rel in _LINK_RE.findall(header):
            if rel.strip() == API_REL:
                return urljoin(response.url, target)
    return None


def is_api_index(value: Any) -> bool:
    return isinstance(value, dict) and "wp/v2" in (value.get("namespaces") or [])


def discover(fetcher: Fetcher, url: str, first: Response) -> dict[str, object] | None:
    """The API root and home URL of the WordPress site at `url` (`first` is its GET), or None.

    Found through the `Link: <…/wp-json/>; rel="https://api.w.org/"` header, the URL being the
    API index itself, or `/wp-json/` under it.
    """
    candidates = [url] if _looks_json(first) else []
    link = api_link(first)
    if link:
        candidates.append(link)
    candidates.append(urljoin(url if url.endswith("/") else url + "/", "wp-json/"))
    for candidate in dict.fromkeys(candidates):
        try:
            response = first if candidate == url else fetcher.get(candidate)
        except SyncError:
            continue
        if not _looks_json(response):
            continue
        index = read_json(response)
        if is_api_index(index):
            home = index.get("home") or index.get("url") or url
            return {"api": response.url if candidate != url else url, "home": str(home)}
    return None


def _looks_json(response: Response) -> bool:
    return "json" in response.headers.get("content-type", "") or response.content[:1] in (b"{", b"[")


def endpoint(api: str, route: str) -> tuple[str, dict[str, str]]:
    """URL and query of a REST route under the API root (pretty `/wp-json/` or `?rest_route=`)."""
    if "rest_route=" in api:
        return api.split("?", 1)[0], {"rest_route": "/wp/v2/" + route}
    return urljoin(api if api.endswith("/") else api + "/", "wp/v2/" + route), {}


def _pages(fetcher: Fetcher, api: str, route: str, params: dict[str, str]) -> Iterator[list[dict]]:
    """Every page of a listing, paged by X-WP-TotalPages (a page past the end is a 400)."""
    url, base = endpoint(api, route)
    page, total = 1, 1
    while page <= total:
        response = fetcher.get(url, params={**base, **params, "per_page": str(PER_PAGE), "page": str(page)},
                               ok=(200, 400))
        value = read_json(response)
        if response.status == 400:
            if isinstance(value, dict) and value.get("code") == "rest_post_invalid_page_number":
                return  # the list shrank while we paged
            raise SyncError(f"{response.url} answered HTTP 400 ({str(value)[:200]})")
        if not isinstance(value, list):
            raise SyncError(f"{response.url} answered {type(value).__name__} where a list of posts belongs")
        yield [v for v in value if isinstance(v, dict)]
        try:
            total = int(response.headers.get("x-wp-totalpages", "1"))
        except ValueError:
            total = page
        page += 1


def _stamp(value: object) -> str | None:
    parsed = parse_datetime(value)
    return parsed.isoformat() if parsed else None


def sync_wordpress(fetcher: Fetcher, source: SourceRow, known: dict[str, Item]) -> Iterator[Batch]:
    """The batches that bring the archive in step with the site (see the module's doc)."""
    api, home = str(source.state["api"]), str(source.state["home"])
    site = url_key(home).rstrip("/")
    routes = ["posts", "pages"] if source.options.get("pages") else ["posts"]
    listed: dict[str, str | None] = {}  # item key -> modified stamp where known
    key_route: dict[str, tuple[str, int]] = {}
    for route in routes:
        prefix = TYPES[route][0]
        fields = "id" if source.watermark else "id,modified_gmt"
        for page in _pages(fetcher, api, route, {"_fields": fields, "orderby": "id", "order": "asc"}):
            for post in page:
                if isinstance(post.get("id"), int):
                    key = f"{prefix}:{post['id']}"
                    listed[key] = _stamp(post.get("modified_gmt"))
                    key_route[key] = (route, post["id"])
        since = parse_datetime(source.watermark) if source.watermark else None
        if since is not None:
            after = since - WATERMARK_MARGIN
            params = {"_fields": "id,modified_gmt", "modified_after": after.isoformat(),
                      "orderby": "modified", "order": "asc"}
            for page in _pages(fetcher, api, route, params):
                for post in page:
                    key = f"{prefix}:{post.get('id')}"
                    if key in listed:
                        listed[key] = _stamp(post.get("modified_gmt"))
    # Items of a type no longer synced (pages turned off) go; others missing from the list are
    # looked up once more before they go.
    synced = {TYPES[route][0] for route in routes}
    dropped = [k for k in known if k.split(":", 1)[0] not in synced]
    gone = dropped + _confirmed_gone(fetcher, api, [k for k in known if k not in listed and k not in dropped])
    todo = [k for k, stamp in listed.items() if k not in known or (stamp and stamp != known[k].stamp)]
    todo.sort(key=lambda k: (listed[k] or "", k))
    unchanged = len(listed) - len(todo)
    watermark = source.watermark
    if not todo:
        yield Batch(gone=gone, unchanged=unchanged, watermark=later(watermark, max(
            (s for s in listed.values() if s), default=None)))
        return
    for start in range(0, len(todo), BATCH_POSTS):
        batch = Batch(gone=gone if start == 0 else [], unchanged=unchanged if start == 0 else 0)
        keys = todo[start : start + BATCH_POSTS]
        for route in routes:
            ids = [key_route[k][1] for k in keys if key_route[k][0] == route]
            for i in range(0, len(ids), PER_PAGE):
                _fetch_bodies(fetcher, source, api, site, route, ids[i : i + PER_PAGE], batch)
        for item in batch.items.values():
            watermark = later(watermark, item.stamp)
        batch.watermark = watermark
        yield batch


def _confirmed_gone(fetcher: Fetcher, api: str, missing: list[str]) -> list[str]:
    """Of the stored items missing from the id list, those a second, direct look confirms gone
    (a post published or deleted while the list was paged shifts the later pages)."""
    still: set[str] = set()
    for route, (prefix, _) in TYPES.items():
        ids = [int(k.split(":", 1)[1]) for k in missing if k.startswith(prefix + ":")]
        for i in range(0, len(ids), PER_PAGE):
            url, base = endpoint(api, route)
            params = {**base, "_fields": "id", "include": ",".join(map(str, ids[i : i + PER_PAGE])),
                      "per_page": str(PER_PAGE)}
            value = read_json(fetcher.get(url, params=params))
            if isinstance(value, list):
                still.update(f"{prefix}:{v.get('id')}" for v in value if isinstance(v, dict))
    return [k for k in missing if k not in still]


def _fetch_bodies(
    fetcher: Fetcher, source: SourceRow, api: str, site: str, route: str, ids: list[int], batch: Batch
) -> None:
    prefix, short = TYPES[route]
    url, base = endpoint(api, route)
    params = {**base, "include": ",".join(map(str, ids)), "per_page": str(PER_PAGE),
              "_embed": "author,wp:term", "orderby": "include"}
    posts = read_json(fetcher.get(url, params=params))
    if not isinstance(posts, list):
        raise SyncError(f"{url} answered {type(posts).__name__} where a list of posts belongs")
    for post in posts:
        if not isinstance(post, dict) or not isinstance(post.get("id"), int):
            continue
        key = f"{prefix}:{post['id']}"
        article_id = f"{site}/{short}{post['id']}"
        stamp = _stamp(post.get("modified_gmt"))
        ctx = RecordContext(source.url, post["id"])
        try:
            article = wordpress_article(post, ctx)
        except SkipRecord as skip:
            batch.problems.append(Problem(source.url, str(skip), article_id))
            batch.items[key] = Item(None, stamp)
            continue
        batch.articles.append(dataclasses.replace(article, id=article_id))
        batch.problems.extend(Problem(source.url, note, article_id) for note in ctx.notes)
        batch.items[key] = Item(article_id, stamp)
