"""WordPress REST API posts (`/wp/v2/posts` objects) to `Article`s."""

from __future__ import annotations

import re
from typing import Any

from qa.cleaning import clean_text
from qa.sources.common import (
    RecordContext,
    SkipRecord,
    as_text,
    clean_body,
    clean_title,
    clean_url,
    first_words,
    host_of,
    in_site_time,
    names,
)
from qa.types import Article

_TERM_TAXONOMIES = ("category", "post_tag")


def is_wordpress_post(record: dict[str, Any]) -> bool:
    """Whether a JSON object looks like a WordPress REST post (rendered fields, or id+slug+link)."""
    for key in ("title", "content", "excerpt", "guid"):
        if isinstance(record.get(key), dict) and "rendered" in record[key]:
            return True
    return all(k in record for k in ("id", "slug", "link"))


def _embedded_names(record: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    embedded = record.get("_embedded")
    if not isinstance(embedded, dict):
        return (), ()
    authors = names([a for a in embedded.get("author") or [] if isinstance(a, dict)])
    terms: list[dict[str, Any]] = []
    for group in embedded.get("wp:term") or []:
        if isinstance(group, list):
            terms.extend(t for t in group if isinstance(t, dict) and t.get("taxonomy") in _TERM_TAXONOMIES)
    return authors, names(terms)


def _title(record: dict[str, Any], text: str, ctx: RecordContext) -> str:
    title = clean_title(as_text(record.get("title")))
    if title:
        return title
    excerpt = clean_body(as_text(record.get("excerpt")))
    slug = as_text(record.get("slug"))
    if excerpt:
        ctx.notes.append("empty title; used the excerpt's first words")
        return first_words(excerpt)
    if slug and not slug.isdigit():
        ctx.notes.append("empty title; used the slug")
        return clean_text(re.sub(r"[-_]+", " ", slug)).capitalize()
    ctx.notes.append("empty title; used the text's first words")
    return first_words(text)


def wordpress_article(record: dict[str, Any], ctx: RecordContext) -> Article:
    """Convert one WordPress post object.

    Raises:
        SkipRecord: the post has no article text (protected, empty, or cut off before it).
    """
    content = record.get("content")
    if isinstance(content, dict) and content.get("protected") and not as_text(content):
        raise SkipRecord("password-protected post without content; skipped")
    text = clean_body(as_text(content))
    if not text:
        where = "cut off before its text" if ctx.partial else "has no article text"
        raise SkipRecord(f"post {where}; skipped")
    url = clean_url(record.get("link")) or clean_url(as_text(record.get("guid")))
    title = _title(record, text, ctx)
    authors, categories = _embedded_names(record)
    published = in_site_time(
        ctx.date(record.get("date_gmt"), "published"), ctx.date(record.get("date"), "published")
    )
    modified = in_site_time(
        ctx.date(record.get("modified_gmt"), "modified"), ctx.date(record.get("modified"), "modified")
    )
    language = as_text(record.get("lang") or record.get("language")) or None
    return ctx.article(
        record.get("id"),
        title=title,
        text=text,
        url=url,
        published=published,
        modified=modified,
        authors=authors,
        categories=categories,
        source=host_of(url),
        language=language,
    )
