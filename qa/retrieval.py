"""Hybrid retrieval: dense (FAISS) and lexical (FTS5 BM25) candidates, fused, capped per article."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from embeddings.index import VectorIndex
from qa.errors import InvalidQueryError
from qa.store import Store, StoredChunk
from qa.types import Passage

MAX_QUESTION_CHARS = 2000
CANDIDATES = 100
RRF_K = 60

_TERM = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_STOPWORDS = frozenset(STOPWORDS_EN)


@dataclass(frozen=True)
class Filters:
    """Restrictions on which articles a search may return."""

    published_after: datetime | None = None
    published_before: datetime | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        for name in ("published_after", "published_before"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise InvalidQueryError(f"{name} must be timezone-aware, got {value.isoformat()}")
        if self.published_after and self.published_before and self.published_after > self.published_before:
            raise InvalidQueryError("published_after is later than published_before")

    def __bool__(self) -> bool:
        return any((self.published_after, self.published_before, self.source))

    def admits(self, chunk: StoredChunk) -> bool:
        if self.source and (chunk.source or "").casefold() != self.source.casefold():
            return False
        if self.published_after and (chunk.published is None or chunk.published < self.published_after):
            return False
        if self.published_before and (chunk.published is None or chunk.published > self.published_before):
            return False
        return True


def check_question(question: str) -> str:
    """The stripped question; InvalidQueryError when empty or too long."""
    if not isinstance(question, str) or not question.strip():
        raise InvalidQueryError("The question is empty; type a question about the archive.")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidQueryError(
            f"The question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}."
        )
    return question.strip()


def query_terms(question: str) -> list[str]:
    """Content words of a question, lower-cased, stopwords dropped, in order, without repeats."""
    terms = [t.lower().replace("’", "'") for t in _TERM.findall(question)]
    return list(dict.fromkeys(t for t in terms if t not in _STOPWORDS and len(t) > 1))


def fts_match(terms: Sequence[str]) -> str | None:
    """An FTS5 MATCH expression that ORs the quoted terms (quoting neutralises FTS syntax)."""
    quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
    return " OR ".join(quoted) if quoted else None


def rank_candidates(
    store: Store,
    db: sqlite3.Connection,
    vectors: VectorIndex,
    query_vector: np.ndarray,
    question: str,
    *,
    k: int,
    per_article: int,
    filters: Filters,
) -> list[Passage]:
    """Fuse dense and lexical rankings with reciprocal rank fusion, inside one read snapshot."""
    depth = CANDIDATES if not filters else max(CANDIDATES, len(vectors))
    scores, ids = vectors.search(query_vector, depth)
    dense = [int(i) for i in ids[0] if i >= 0]
    match = fts_match(query_terms(question))
    lexical = [cid for cid, _ in store.lexical_search(db, match, depth)] if match else []

    fused: dict[int, float] = {}
    for ranking in (dense, lexical):
        for rank, chunk_id in enumerate(ranking):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    order = sorted(fused, key=lambda c: (-fused[c], c))
    rows = store.chunks(db, order)
    passages: list[Passage] = []
    per: dict[str, int] = {}
    for chunk_id in order:
        row = rows.get(chunk_id)
        if row is None or not filters.admits(row):
            continue
        if per.get(row.article_id, 0) >= per_article:
            continue
        per[row.article_id] = per.get(row.article_id, 0) + 1
        passages.append(to_passage(row, fused[chunk_id]))
        if len(passages) == k:
            break
    return passages


def to_passage(row: StoredChunk, score: float) -> Passage:
    return Passage(
        text=row.text, score=round(score, 6), chunk_id=row.chunk_id, article_id=row.article_id,
        title=row.title, url=row.url, published=row.published, source=row.source,
        start=row.start, end=row.end,
    )
