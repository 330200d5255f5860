"""Flat article JSON objects (`title`/`headline`, `body`/`content`/`text`, ...) to `Article`s."""

from __future__ import annotations

from typing import Any

from qa.sources.common import (
    RecordContext,
    SkipRecord,
    as_text,
    clean_body,
    clean_title,
    clean_url,
    first_words,
    host_of,
    names,
)
from qa.types import Article

TITLE_KEYS = ("title", "headline", "name")
TEXT_KEYS = ("body", "content", "text", "article_body", "articleBody", "article", "story")
URL_KEYS = ("url", "link", "canonical_url", "permalink")
PUBLISHED_KEYS = ("published_at", "published", "date", "pubDate", "pub_date", "datePublished", "created_at")
MODIFIED_KEYS = ("modified_at", "modified", "updated_at", "updated", "dateModified")
AUTHOR_KEYS = ("author", "authors", "byline", "creator")
CATEGORY_KEYS = ("category", "categories", "section", "tags", "keywords")
LANGUAGE_KEYS = ("language", "lang", "inLanguage")


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = record.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def is_flat_article(record: dict[str, Any]) -> bool:
    """Whether a JSON object carries an article body under one of the common names."""
    return any(isinstance(record.get(k), (str, dict)) for k in TEXT_KEYS)


def flat_article(record: dict[str, Any], ctx: RecordContext) -> Article:
    """Convert one flat article object.

    Raises:
        SkipRecord: the object has no article text.
    """
    text = clean_body(as_text(_first(record, TEXT_KEYS)))
    if not text:
        where = "cut off before its text" if ctx.partial else "has no body/content/text"
        raise SkipRecord(f"article {where}; skipped")
    url = clean_url(_first(record, URL_KEYS))
    title = clean_title(as_text(_first(record, TITLE_KEYS)))
    if not title:
        ctx.notes.append("empty title; used the text's first words")
        title = first_words(text)
    categories: list[str] = []
    for key in CATEGORY_KEYS:
        categories.extend(n for n in names(record.get(key)) if n not in categories)
    source = names(record.get("source") or record.get("site") or record.get("publisher"))
    language = as_text(_first(record, LANGUAGE_KEYS)) or None
    return ctx.article(
        record.get("id"),
        title=title,
        text=text,
        url=url,
        published=ctx.date(_first(record, PUBLISHED_KEYS), "published"),
        modified=ctx.date(_first(record, MODIFIED_KEYS), "modified"),
        authors=names(_first(record, AUTHOR_KEYS)),
        categories=tuple(categories),
        source=source[0] if source else host_of(url),
        language=language,
    )
