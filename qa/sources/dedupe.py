"""Duplicates across one batch: the same id keeps its newest version; one URL under two ids is reported."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from qa.types import Article, Problem

if TYPE_CHECKING:
    from qa.sources import SourceFile

_OLDEST = datetime.min.replace(tzinfo=UTC)


def _rank(article: Article) -> tuple[datetime, bool]:
    # Newest `modified` wins; on a tie a complete copy beats a partial one, then the later file.
    return (article.modified or article.published or _OLDEST, not article.partial)


def dedupe(files: Iterable[SourceFile]) -> tuple[list[Article], list[Problem]]:
    """All articles of a batch with duplicates resolved, and all problems (the files' and ours).

    The same id twice keeps the newest `modified` (reported); the same URL under two ids keeps
    both and is reported.
    """
    by_id: dict[str, Article] = {}
    problems: list[Problem] = []
    for source in files:
        problems.extend(source.problems)
        for article in source.articles:
            kept = by_id.get(article.id)
            if kept is None:
                by_id[article.id] = article
                continue
            newer, older = (article, kept) if _rank(article) >= _rank(kept) else (kept, article)
            by_id[article.id] = newer
            when = newer.modified.isoformat() if newer.modified else "no date"
            reason = f"duplicate id (also in {newer.source_file}); kept the version modified {when}"
            if older.url and newer.url and older.url != newer.url:
                reason += f"; the two copies have different URLs ({older.url} vs {newer.url})"
            problems.append(Problem(older.source_file or "", reason, older.id))
    by_url: dict[str, str] = {}
    for article in by_id.values():
        if not article.url:
            continue
        other = by_url.setdefault(article.url, article.id)
        if other != article.id:
            reason = f"same URL as post {other} ({article.url}); both kept"
            problems.append(Problem(article.source_file or "", reason, article.id))
    return list(by_id.values()), problems
