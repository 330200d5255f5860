"""Article pages fetched for feeds and sitemaps, read by the HTML page reader of qa.sources."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from qa.sources.common import content_hash
from qa.sources.pages import article_from_html
from qa.sync.http import Fetcher, SyncError
from qa.types import Article, Problem

# WordPress shows a password-protected post as this form, in its page and in its feed entry.
_PASSWORD_FORM = "post-password-form"
PROTECTED = "password-protected post: no text to read; skipped"


def is_password_form(html: str) -> bool:
    return _PASSWORD_FORM in html


def fetch_page(
    fetcher: Fetcher, url: str, article_id: str, source_url: str, *,
    title: str = "", published: datetime | None = None, date_notes: Sequence[str] = (),
) -> tuple[Article | None, list[Problem]]:
    """The article on the page at `url`, under `article_id`; None with the reason when the page
    cannot be fetched or has no article text. `title` and `published` (from the feed or
    sitemap) fill what the page itself does not say; `date_notes` (the problems of the date
    that gave `published`, such as one in the future) are reported when the page has no date
    of its own, the case where that date would have been used."""
    try:
        response = fetcher.get(url)
    except SyncError as exc:
        return None, [Problem(source_url, f"{exc}; will try again next sync", article_id)]
    if "html" not in response.headers.get("content-type", "text/html"):
        kind = response.headers.get("content-type", "").split(";")[0]
        return None, [Problem(source_url, f"{url} is {kind}, not an HTML page; skipped", article_id)]
    if is_password_form(response.text):
        return None, [Problem(source_url, PROTECTED, article_id)]
    articles, problems = article_from_html(response.text, url)
    problems = [dataclasses.replace(p, file=source_url, article_id=article_id) for p in problems]
    if not articles:
        return None, problems
    article = articles[0]
    if title and _generated(problems):  # the page has none: the feed's or sitemap's title it is
        problems = [p for p in problems if not _generated([p])]
    else:
        title = article.title
    if article.published is None:
        problems.extend(Problem(source_url, note, article_id) for note in date_notes)
    article = dataclasses.replace(
        article, id=article_id, title=title, url=article.url or response.url,
        published=article.published or published, source_file=source_url,
        content_hash=content_hash(title, article.text),
    )
    return article, problems


def _generated(problems: list[Problem]) -> bool:
    return any("no title" in p.reason for p in problems)
