"""Saved HTML pages and plain text / Markdown files to `Article`s."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Tag

from qa.cleaning import clean_html, clean_text, normalize_text, parse_html
from qa.sources.common import (
    RecordContext,
    clean_title,
    clean_url,
    first_words,
    host_of,
    names,
)
from qa.types import Article, Problem

Result = tuple[list[Article], list[Problem]]

_BODY_SELECTORS = (
    "[itemprop=articleBody]",
    "article .entry-content",
    "article .post-content",
    ".article-body",
    ".article-content",
    ".story-body",
    "article",
    ".entry-content",
    ".post-content",
    "main",
    "[role=main]",
    "body",
)
_ARTICLE_TYPES = {"NewsArticle", "Article", "BlogPosting", "ReportageNews", "AnalysisNewsArticle", "WebPage"}
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)


def _meta(soup: BeautifulSoup, *keys: str) -> list[str]:
    values = []
    for tag in soup.find_all("meta"):
        key = tag.get("property") or tag.get("name") or tag.get("itemprop")
        content = tag.get("content")
        if isinstance(key, str) and key.lower() in keys and isinstance(content, str) and content.strip():
            values.append(content.strip())
    return values


def _json_ld(soup: BeautifulSoup) -> dict[str, Any]:
    """The first schema.org article object in the page's JSON-LD, or {}."""

    def walk(value: Any) -> Iterator[dict[str, Any]]:
        if isinstance(value, list):
            for item in value:
                yield from walk(item)
        elif isinstance(value, dict):
            yield value
            yield from walk(value.get("@graph"))

    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        try:
            data = json.loads(script.get_text(), strict=False)
        except (json.JSONDecodeError, RecursionError):
            continue
        for item in walk(data):
            kinds = item.get("@type")
            kinds = set(kinds) if isinstance(kinds, list) else {kinds}
            if kinds & _ARTICLE_TYPES and ("headline" in item or "datePublished" in item):
                return item
    return {}


def _first_text(*values: object) -> str:
    for value in values:
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _body(soup: BeautifulSoup) -> Tag | None:
    for selector in _BODY_SELECTORS:
        found = soup.select_one(selector)
        if found is not None and found.get_text(strip=True):
            return found
    return None


def article_from_html(text: str, path: str) -> Result:
    """An article from a saved HTML page: metadata from meta tags and JSON-LD, the body without chrome."""
    soup = parse_html(normalize_text(text))
    ld = _json_ld(soup)
    canonical = soup.find("link", rel="canonical")
    url = clean_url(canonical.get("href") if isinstance(canonical, Tag) else None) or clean_url(
        _first_text(_meta(soup, "og:url"), ld.get("url"))
    )
    h1 = soup.find("h1")
    page_title = soup.find("title")
    title = clean_title(
        _first_text(
            _meta(soup, "og:title", "twitter:title"),
            ld.get("headline"),
            h1.get_text(" ") if h1 else None,
            page_title.get_text(" ") if page_title else None,
        )
    )
    time_tag = soup.find("time", attrs={"datetime": True})
    ctx = RecordContext(path, 0)
    published = ctx.date(
        _first_text(
            _meta(
                soup, "article:published_time", "datepublished", "date", "pubdate", "publish-date", "dc.date"
            ),
            ld.get("datePublished"),
            time_tag.get("datetime") if isinstance(time_tag, Tag) else None,
        ),
        "published",
    )
    modified = ctx.date(
        _first_text(
            _meta(soup, "article:modified_time", "og:updated_time", "datemodified"), ld.get("dateModified")
        ),
        "modified",
    )
    authors = names([a for a in _meta(soup, "author", "article:author") if not clean_url(a)]) or names(
        ld.get("author")
    )
    categories = names(_meta(soup, "article:section", "article:tag"))
    publisher = ld.get("publisher")
    site = _first_text(
        _meta(soup, "og:site_name"), publisher.get("name") if isinstance(publisher, dict) else None
    )
    html_tag = soup.find("html")
    language = _first_text(html_tag.get("lang") if isinstance(html_tag, Tag) else None, ld.get("inLanguage"))
    body = _body(soup)
    if body is None:
        return [], [Problem(path, "HTML page without article text; skipped")]
    for tag in body.find_all(["header", "h1"]):
        if tag.attrs is not None and (tag.name == "header" or clean_title(tag.get_text(" ")) == title):
            tag.decompose()
    body_text = clean_html(body.decode_contents() if body.name != "body" else str(body))
    if not body_text:
        return [], [Problem(path, "HTML page without article text; skipped")]
    if not title:
        title = first_words(body_text)
        ctx.notes.append("no title in the page; used the text's first words")
    article = ctx.article(
        None,
        title=title,
        text=body_text,
        url=url,
        published=published,
        modified=modified,
        authors=authors,
        categories=categories,
        source=clean_title(site) or host_of(url),
        language=language or None,
    )
    return [article], [Problem(path, reason, article.id) for reason in ctx.notes]


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    fields = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t", "-")):
            fields[key.strip().lower()] = value.strip().strip("'\"")
    return fields, text[match.end() :]


def _markdown_to_text(text: str) -> str:
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"^[ \t]{0,3}(#{1,6}|>|[-*+]|\d+[.)])[ \t]+", "\n", text, flags=re.MULTILINE)
    text = re.sub(r"^[ \t]*([-*_][ \t]*){3,}$", "\n", text, flags=re.MULTILINE)  # rules
    return text


def _list_field(value: str) -> list[str]:
    return [v.strip().strip("'\"") for v in value.strip("[]").split(",") if v.strip()]


def article_from_text(text: str, path: str) -> Result:
    """An article from a plain text or Markdown file: the first line (or front matter) is the title."""
    fields, body = _front_matter(normalize_text(text).lstrip("\ufeff"))
    markdown = Path(path).suffix.lower() in (".md", ".markdown")
    title = clean_title(fields.get("title", ""))
    if not title:
        lines = body.strip().split("\n", 1)
        first = re.sub(r"^#{1,6}\s*", "", lines[0]).strip()
        rest = lines[1] if len(lines) > 1 else ""
        if markdown and re.match(r"^(=+|-+)\s*$", rest.split("\n", 1)[0]):  # setext heading
            rest = rest.split("\n", 1)[1] if "\n" in rest else ""
        if len(first) <= 300 and rest.strip():
            title, body = clean_title(first), rest
    body_text = clean_text(_markdown_to_text(body) if markdown else body)
    if not body_text:
        return [], [Problem(path, "text file without article text; skipped")]
    ctx = RecordContext(path, 0)
    if not title:
        title = first_words(body_text)
        ctx.notes.append("no title line; used the text's first words")
    url = clean_url(fields.get("url") or fields.get("link") or fields.get("canonical_url"))
    article = ctx.article(
        fields.get("id"),
        title=title,
        text=body_text,
        url=url,
        published=ctx.date(fields.get("date") or fields.get("published"), "published"),
        modified=ctx.date(fields.get("modified") or fields.get("updated"), "modified"),
        authors=names(_list_field(fields.get("author", fields.get("authors", "")))),
        categories=names(_list_field(fields.get("categories", "")) + _list_field(fields.get("tags", ""))),
        source=fields.get("source") or host_of(url),
        language=fields.get("lang") or fields.get("language") or None,
    )
    return [article], [Problem(path, note, article.id) for note in ctx.notes]
