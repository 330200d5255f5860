"""Decoded JSON values (objects, lists, wrappers, JSON Lines) to `Article`s and `Problem`s."""

from __future__ import annotations

from typing import Any

from qa.sources.common import RecordContext, SkipRecord
from qa.sources.flat import flat_article, is_flat_article
from qa.sources.jsonload import Loaded, load_json, load_jsonl
from qa.sources.wordpress import is_wordpress_post, wordpress_article
from qa.types import Article, Problem

_WRAPPER_KEYS = ("posts", "articles", "items", "data", "results", "documents", "entries")

Result = tuple[list[Article], list[Problem]]


def _records(value: Any) -> list[Any] | None:
    """The article records inside a decoded value, or None when it has the wrong shape."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        if is_wordpress_post(value) or is_flat_article(value):
            return [value]
        for key in _WRAPPER_KEYS:
            if isinstance(value.get(key), list):
                return value[key]
    return None


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        if "code" in value and "message" in value:
            return f"a WordPress error response ({value.get('code')}: {value.get('message')})"
        keys = ", ".join(list(map(str, value))[:5])
        return f"an object without article fields (keys: {keys})"
    kinds = {str: "string", int: "number", float: "number", bool: "boolean", list: "array"}
    return "null" if value is None else f"a JSON {kinds.get(type(value), type(value).__name__)}"


def _record_id(record: dict[str, Any]) -> str | None:
    raw = record.get("id")
    return str(raw) if isinstance(raw, (int, str)) and not isinstance(raw, bool) else None


def convert(record: Any, ctx: RecordContext, label: str) -> Result:
    """One record to an article (or a problem); `label` names it in reasons ("item 3", "line 7")."""
    if not isinstance(record, dict):
        return [], [Problem(ctx.path, f"{label} is {_shape(record)}, not an article object; skipped")]
    post_id = _record_id(record)
    try:
        if is_wordpress_post(record):
            article = wordpress_article(record, ctx)
        elif is_flat_article(record):
            article = flat_article(record, ctx)
        elif ctx.partial:
            raise SkipRecord("cut off by the truncation before its text; skipped")
        else:
            raise SkipRecord(f"{_shape(record)}; skipped")
    except SkipRecord as skip:
        where = "" if post_id else f"{label}: "
        return [], [Problem(ctx.path, f"{where}{skip}", post_id)]
    problems = [Problem(ctx.path, note, article.id) for note in ctx.notes]
    if ctx.partial:
        reason = "recovered from a truncated file: kept the complete fields and paragraphs; marked partial"
        problems.append(Problem(ctx.path, reason, article.id))
    return [article], problems


def _from_loaded(loaded: Loaded, path: str, *, line: int | None = None) -> Result:
    where = f"line {line}: " if line is not None else ""
    if loaded.value is None:
        return [], [Problem(path, f"{where}{loaded.note}")]
    problems = [Problem(path, f"{where}{loaded.note}")] if loaded.note else []
    records = _records(loaded.value)
    if records is None:
        reason = (
            f"{where}the JSON value is {_shape(loaded.value)}, not an article or a list of articles; skipped"
        )
        return [], [*problems, Problem(path, reason)]
    if not records:
        return [], [*problems, Problem(path, f"{where}an empty list: no articles")]
    articles: list[Article] = []
    for index, record in enumerate(records):
        partial = loaded.truncated and index == len(records) - 1
        ctx = RecordContext(path, index if line is None else line, partial=partial)
        label = f"line {line}" if line is not None else f"item {index}"
        got, more = convert(record, ctx, label)
        articles.extend(got)
        problems.extend(more)
    return articles, problems


def articles_from_json(text: str, path: str) -> Result:
    """Articles from one JSON document: a post, a flat article, a list of them, or a wrapper."""
    return _from_loaded(load_json(text), path)


def articles_from_jsonl(text: str, path: str) -> Result:
    """Articles from JSON Lines: each line a post or a flat article (or a list of them)."""
    articles: list[Article] = []
    problems: list[Problem] = []
    for number, loaded in load_jsonl(text):
        got, more = _from_loaded(loaded, path, line=number)
        articles.extend(got)
        problems.extend(more)
    return articles, problems
