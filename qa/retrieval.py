"""Hybrid retrieval: dense (FAISS) and lexical (FTS5 BM25) candidates, fused, capped per article."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from embeddings.index import VectorIndex
from qa.chunking import sentence_spans
from qa.errors import InvalidQueryError
from qa.generation_files import CatalogFileError
from qa.store import Store, StoredChunk
from qa.types import Passage

# bm25s sets its own logger to DEBUG when it is imported (above), which would print through any
# handler an application installs; put it back to the default threshold.
logging.getLogger("bm25s").setLevel(logging.WARNING)

MAX_QUESTION_CHARS = 2000
# Past this many chunks the per-sentence BM25 index is not built. It adds little (Hits@10 0.924
# -> 0.916 without it at 8k chunks, bench/retrieval.py) but costs the most: at 1M chunks it is
# about 8M sentences, most of the catalog's memory and build time and most of a query's time
# (bench/scale.py --retrieve-at).
SENTENCE_INDEX_MAX_CHUNKS = 200_000

_TERM = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_STOPWORDS = frozenset(STOPWORDS_EN)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# BM25 parameters: a low length normalisation suits chunks of similar size (tuned on the dev set).
BM25_K1 = 0.6
BM25_B = 0.4
# Words that frame a question about news rather than name its subject: they match every chunk.
_QUESTION_WORDS = frozenset(
    """about above after again against all also am any article articles based been before being
    between both can could did do does during each either from had has have having he her here
    hers him his how i its me more most my neither nor only other our out over own report
    reported reports same she should so some than them those through under until up very we were
    what when where whether which while who whom why would you your according suggest suggests
    indicate indicates mention mentioned mentions published regarding""".split()  # noqa: SIM905
)
_MONTHS = "january february march april may june july august september october november december".split()  # noqa: SIM905
_DAY = re.compile(
    r"\b(" + "|".join(_MONTHS) + r")\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4}))?", re.IGNORECASE
)
_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r")(?:\s+of)?\s+(\d{4})\b", re.IGNORECASE)
_LATEST = re.compile(r"\b(latest|most recent(ly)?|newest)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Ranking:
    """How dense and lexical evidence and the question's outlets and dates are weighed.

    Tuned on the MultiHop-RAG dev questions with bench/retrieval.py; see the README's table.
    """

    dense_depth: int = 200
    lexical_depth: int = 200
    sentence_depth: int = 400
    dense: float = 0.4
    lexical: float = 1.0
    sentence: float = 0.25
    source: float = 0.5
    day: float = 0.3
    month: float = 0.1
    latest: float = 0.1
    question_words: bool = True


RANKING = Ranking()


@dataclass(frozen=True)
class QueryHints:
    """What a question says about where and when: named outlets, dates, months, recency."""

    sources: tuple[str, ...] = ()
    days: tuple[date, ...] = ()
    months: tuple[tuple[int, int], ...] = ()
    latest: bool = False


def read_hints(question: str, sources: Sequence[str], *, default_year: int | None = None) -> QueryHints:
    """The outlets (from `sources`, the archive's own) and dates a question names.

    "TechCrunch", "The Verge" are matched whole-word and case-insensitively, longest first, so
    "The Independent - Sports" wins over a shorter name inside it. "October 4, 2023" and
    "October 4" (year from `default_year`) are days; "November 2023" is a month.
    """
    folded = " " + _fold(question) + " "
    named: list[str] = []
    for source in sorted(sources, key=len, reverse=True):
        key = " " + _fold(source) + " "
        if key.strip() and key in folded:
            named.append(source)
            folded = folded.replace(key, " | ")
    days: list[date] = []
    for month, day, year in _DAY.findall(question):
        year_n = int(year) if year else default_year
        if year_n is None:
            continue
        try:
            days.append(date(year_n, _MONTHS.index(month.lower()) + 1, int(day)))
        except ValueError:
            continue
    months = [(int(y), _MONTHS.index(m.lower()) + 1) for m, y in _MONTH.findall(question)]
    return QueryHints(
        tuple(named), tuple(dict.fromkeys(days)), tuple(dict.fromkeys(months)), bool(_LATEST.search(question))
    )


def _fold(text: str) -> str:
    return " ".join(_TERM.findall(text.casefold().replace("’", "'")))


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

    def mask(self, catalog: Catalog) -> np.ndarray:
        """Which rows of `catalog` pass (by the day of publication, compared in UTC)."""
        keep = np.ones(len(catalog.ids), dtype=bool)
        if self.source:
            wanted = [n for n, s in enumerate(catalog.sources) if s.casefold() == self.source.casefold()]
            keep &= np.isin(catalog.source, wanted)
        if self.published_after or self.published_before:
            stamp = catalog.published
            if self.published_after:
                keep &= stamp >= self.published_after.timestamp()
            if self.published_before:
                keep &= stamp <= self.published_before.timestamp()
        return keep


def check_question(question: str) -> str:
    """The stripped question; InvalidQueryError when empty or too long."""
    if not isinstance(question, str) or not question.strip():
        raise InvalidQueryError("The question is empty; type a question about the archive.")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidQueryError(
            f"The question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}."
        )
    return question.strip()


def query_terms(question: str, *, question_words: bool = False) -> list[str]:
    """Content words of a question, lower-cased, stopwords dropped, in order, without repeats.

    With `question_words`, words that frame a news question ("article", "according", "does")
    are dropped too.
    """
    terms = [t.lower().replace("’", "'") for t in _TERM.findall(question)]
    drop = _STOPWORDS | _QUESTION_WORDS if question_words else _STOPWORDS
    return list(dict.fromkeys(t for t in terms if t not in drop and len(t) > 1))


def fts_match(terms: Sequence[str]) -> str | None:
    """An FTS5 MATCH expression that ORs the quoted terms (quoting neutralises FTS syntax)."""
    quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
    return " OR ".join(quoted) if quoted else None


class LexicalIndex:
    """BM25 over the chunks' lexical texts, in memory (bm25s), built once per generation.

    Measured against the store's FTS5 table on the MultiHop-RAG dev questions (bench/retrieval.py):
    the same or better ranking and several times faster per query, since FTS5 computes bm25() row
    by row for every chunk that matches any term of a long OR query.
    """

    def __init__(self, ids: np.ndarray, engine: bm25s.BM25, stemmer: object | None) -> None:
        self.ids = ids
        self._engine = engine
        self._stemmer = stemmer

    @classmethod
    def build(
        cls,
        ids: Sequence[int] | np.ndarray,
        texts: Sequence[str],
        *,
        stem: bool = True,
        k1: float | None = None,
        b: float | None = None,
    ) -> LexicalIndex:
        """Index `texts` (what each chunk id is found by: headline context and text)."""
        stemmer = _stemmer() if stem else None
        engine = bm25s.BM25(k1=BM25_K1 if k1 is None else k1, b=BM25_B if b is None else b)
        if len(texts):
            engine.index(_tokenized(texts, stemmer), show_progress=False)
        return cls(np.asarray(ids, dtype=np.int64), engine, stemmer)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def stemmed(self) -> bool:
        return self._stemmer is not None

    def save(self, directory: Path) -> None:
        """bm25s's own files (numpy arrays and JSON) and the ids, in a new `directory`."""
        directory.mkdir()
        self._engine.save(str(directory), show_progress=False)
        np.save(directory / "ids.npy", self.ids, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path, *, stemmed: bool) -> LexicalIndex:
        """What `save` wrote; the score matrix is memory-mapped."""
        stemmer = _stemmer() if stemmed else None
        if stemmed and stemmer is None:
            raise CatalogFileError(f"{directory} was built with PyStemmer, which is not installed")
        engine = bm25s.BM25.load(str(directory), mmap=True, show_progress=False)
        return cls(np.load(directory / "ids.npy", allow_pickle=False), engine, stemmer)

    def search(self, question: str, k: int, *, question_words: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, BM25 scores), best first, of the `k` best chunks with a positive score."""
        terms = _tokens(" ".join(query_terms(question, question_words=question_words)), self._stemmer)
        if not terms or not len(self.ids):
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        scores = self._engine.get_scores(terms)
        # Select among the documents that match at all: one pass over the scores, then a
        # partial sort of the (usually few) matches instead of the whole collection.
        matched = np.flatnonzero(scores > 0)
        k = min(k, len(matched))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        best = matched[np.argpartition(-scores[matched], k - 1)[:k]]
        best = best[np.argsort(-scores[best], kind="stable")]
        return self.ids[best], scores[best].astype(np.float64)


class SentenceIndex:
    """BM25 over single sentences of the chunks: a chunk scores by its best sentence.

    A news question usually paraphrases one or two sentences of an article; a chunk whose single
    sentence matches many of the question's terms beats one that matches them spread thinly
    (a cheap stand-in for term proximity). A sentence shared by two chunks (overlap) counts for both.
    """

    def __init__(self, index: LexicalIndex, chunk_of: np.ndarray) -> None:
        self._index = index
        self._chunk_of = chunk_of

    @classmethod
    def build(cls, ids: Sequence[int] | np.ndarray, texts: Sequence[str]) -> SentenceIndex:
        sentences: list[str] = []
        chunk_of: list[int] = []
        for chunk_id, text in zip(np.asarray(ids).tolist(), texts, strict=True):
            for start, end in sentence_spans(text):
                sentences.append(text[start:end])
                chunk_of.append(chunk_id)
        index = LexicalIndex.build(np.arange(len(sentences)), sentences)
        return cls(index, np.array(chunk_of, dtype=np.int64))

    def save(self, directory: Path) -> None:
        self._index.save(directory)
        np.save(directory / "chunk_of.npy", self._chunk_of, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path, *, stemmed: bool) -> SentenceIndex:
        index = LexicalIndex.load(directory, stemmed=stemmed)
        return cls(index, np.load(directory / "chunk_of.npy", allow_pickle=False))

    @property
    def stemmed(self) -> bool:
        return self._index.stemmed

    def search(self, question: str, k: int, *, question_words: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, best sentence score) of the chunks holding the `k` best sentences, best first."""
        rows, scores = self._index.search(question, k, question_words=question_words)
        if not len(rows):
            return rows, scores
        chunks = self._chunk_of[rows]
        # Rows come best first, so the first time a chunk appears carries its best sentence.
        _, first = np.unique(chunks, return_index=True)
        first.sort()
        return chunks[first], scores[first]


def _stemmer() -> object | None:
    """The Snowball English stemmer (PyStemmer), or None when it is not installed."""
    try:
        import Stemmer
    except ImportError:
        return None
    return Stemmer.Stemmer("english")


def _is_term(word: str) -> bool:
    """Whether a casefolded word counts for BM25, in questions and in the index alike."""
    return word not in _STOPWORDS and len(word) > 1


def _tokens(text: str, stemmer: object | None) -> list[str]:
    words = [w for w in _WORD.findall(text.casefold()) if _is_term(w)]
    return stemmer.stemWords(words) if stemmer is not None else words


def _tokenized(texts: Sequence[str], stemmer: object | None) -> bm25s.tokenization.Tokenized:
    """`_tokens` of every text, as term ids and their vocabulary; each distinct word is looked
    at once (half the time of `_tokens` per text on news)."""
    terms: dict[str, int] = {}  # word -> its term's id, -1 for a word that is dropped
    vocabulary: dict[str, int] = {}

    def term(word: str) -> int:
        if not _is_term(word):
            return -1
        stem = stemmer.stemWord(word) if stemmer is not None else word
        return vocabulary.setdefault(stem, len(vocabulary))

    ids = []
    for text in texts:
        row = []
        for word in _WORD.findall(text.casefold()):
            t = terms.get(word)
            if t is None:
                t = terms[word] = term(word)
            if t >= 0:
                row.append(t)
        ids.append(row)
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocabulary)


@dataclass(frozen=True)
class Catalog:
    """Per-chunk metadata of one generation, as arrays, for ranking without a database round trip.

    Row i describes chunk `ids[i]` (ids sorted): its article (an index into `article_ids`), its
    outlet (an index into `sources`, -1 none), its publication day (proleptic ordinal, -1 none)
    and time (POSIX seconds, NaN none).
    """

    ids: np.ndarray
    article: np.ndarray
    source: np.ndarray
    day: np.ndarray
    published: np.ndarray
    article_ids: tuple[str, ...]
    sources: tuple[str, ...]
    lexical: LexicalIndex | None = None
    sentences: SentenceIndex | None = None

    @classmethod
    def build(cls, rows: Sequence[tuple], *, lexical: bool = True) -> Catalog:
        """From (chunk id, article id, source, published[, lexical text, chunk text]) rows.

        With `lexical` and texts in the rows, the BM25 indexes (chunks with their headline
        context, and single sentences of the chunk texts up to SENTENCE_INDEX_MAX_CHUNKS chunks)
        are built too.
        """
        rows = sorted(rows, key=lambda r: r[0])
        texts = lexical and bool(rows) and len(rows[0]) > 5
        articles = {a: n for n, a in enumerate(dict.fromkeys(r[1] for r in rows))}
        sources = {s: n for n, s in enumerate(dict.fromkeys(r[2] for r in rows if r[2]))}
        return cls(
            ids=np.array([r[0] for r in rows], dtype=np.int64),
            article=np.array([articles[r[1]] for r in rows], dtype=np.int64),
            source=np.array([sources[r[2]] if r[2] else -1 for r in rows], dtype=np.int64),
            day=np.array([r[3].date().toordinal() if r[3] else -1 for r in rows], dtype=np.int64),
            published=np.array([r[3].timestamp() if r[3] else np.nan for r in rows], dtype=np.float64),
            article_ids=tuple(articles),
            sources=tuple(sources),
            lexical=LexicalIndex.build([r[0] for r in rows], [r[4] for r in rows]) if texts else None,
            sentences=(
                SentenceIndex.build([r[0] for r in rows], [r[5] for r in rows])
                if texts and len(rows) <= SENTENCE_INDEX_MAX_CHUNKS
                else None
            ),
        )

    def save(self, directory: Path) -> None:
        """Write the catalog into the empty `directory`: numpy arrays, JSON and bm25s's files."""
        np.savez(
            directory / "rows.npz", ids=self.ids, article=self.article, source=self.source,
            day=self.day, published=self.published,
        )
        stemmed = {}
        for name, index in (("lexical", self.lexical), ("sentences", self.sentences)):
            if index is not None:
                index.save(directory / name)
                stemmed[name] = index.stemmed
        names = {"article_ids": self.article_ids, "sources": self.sources, "stemmed": stemmed}
        (directory / "names.json").write_text(json.dumps(names), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> Catalog:
        """What `save` wrote (check it first: `Store.checked_catalog`).

        Raises:
            CatalogFileError: a file is unreadable, or the BM25 index needs PyStemmer.
        """
        try:
            names = json.loads((directory / "names.json").read_text(encoding="utf-8"))
            with np.load(directory / "rows.npz", allow_pickle=False) as rows:
                arrays = {name: rows[name] for name in ("ids", "article", "source", "day", "published")}
            stemmed = names["stemmed"]
            return cls(
                **arrays,
                article_ids=tuple(names["article_ids"]),
                sources=tuple(names["sources"]),
                lexical=LexicalIndex.load(directory / "lexical", stemmed=stemmed["lexical"])
                if "lexical" in stemmed else None,
                sentences=SentenceIndex.load(directory / "sentences", stemmed=stemmed["sentences"])
                if "sentences" in stemmed else None,
            )
        except (OSError, ValueError, KeyError) as exc:
            raise CatalogFileError(f"Cannot read the chunk catalog in {directory}: {exc}") from exc

    def rows_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Row index of each chunk id (-1 for ids not in this catalog)."""
        rows = np.searchsorted(self.ids, chunk_ids)
        rows = np.minimum(rows, len(self.ids) - 1)
        return np.where(self.ids[rows] == chunk_ids, rows, -1) if len(self.ids) else rows - 1

    @property
    def newest_year(self) -> int | None:
        known = self.day[self.day > 0]
        return date.fromordinal(int(known.max())).year if len(known) else None


def fuse(
    dense: tuple[np.ndarray, np.ndarray],
    lexical: tuple[np.ndarray, np.ndarray],
    catalog: Catalog,
    hints: QueryHints,
    ranking: Ranking = RANKING,
    sentences: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate chunk ids and fused scores, best first.

    Args:
        dense: (chunk ids, cosine similarities), best first, from the vector index.
        lexical: (chunk ids, BM25 scores), best first, from the lexical index.
        catalog: metadata of the chunks (outlet, date, article).
        hints: the outlets and dates the question names.
        sentences: (chunk ids, best single-sentence BM25), best first, or None.

    The score is a weighted sum: the cosine (a chunk outside the dense list gets the list's
    lowest), BM25 divided by the best BM25 of the question (0 outside the lexical list), the
    same for the best single sentence, and
    bonuses for a named outlet, a named day (±1: dates in questions are local, ours UTC), a
    named month, and recency when the question asks for the latest.
    """
    d_ids, d_scores = dense
    l_ids, l_scores = lexical
    s_ids, s_scores = sentences if sentences is not None else (np.zeros(0, dtype=np.int64), np.zeros(0))
    ids = np.unique(np.concatenate([d_ids, l_ids, s_ids]).astype(np.int64))
    if not len(ids):
        return ids, np.zeros(0)
    floor = float(d_scores.min()) if len(d_scores) else 0.0
    d = np.full(len(ids), floor)
    d[np.searchsorted(ids, d_ids)] = d_scores
    lex = np.zeros(len(ids))
    if len(l_ids) and l_scores.max() > 0:
        lex[np.searchsorted(ids, l_ids)] = l_scores / l_scores.max()
    sent = np.zeros(len(ids))
    if len(s_ids) and s_scores.max() > 0:
        sent[np.searchsorted(ids, s_ids)] = s_scores / s_scores.max()
    score = ranking.dense * d + ranking.lexical * lex + ranking.sentence * sent
    rows = catalog.rows_of(ids)
    known = rows >= 0
    if hints.sources and ranking.source:
        wanted = [catalog.sources.index(s) for s in hints.sources if s in catalog.sources]
        score += ranking.source * (known & np.isin(catalog.source[rows], wanted))
    day = np.where(known, catalog.day[rows], -1)
    if hints.days and ranking.day:
        near = np.zeros(len(ids), dtype=bool)
        for wanted_day in hints.days:
            near |= np.abs(day - wanted_day.toordinal()) <= 1
        score += ranking.day * (near & (day > 0))
    if hints.months and ranking.month:
        months = {(y, m) for y, m in hints.months}
        in_month = np.array([d > 0 and _month_of(int(d)) in months for d in day])
        score += ranking.month * in_month
    if hints.latest and ranking.latest and (day > 0).any():
        span = max(1, int(day.max() - day[day > 0].min()))
        score += ranking.latest * np.clip((day - day[day > 0].min()) / span, 0, 1)
    order = np.argsort(-score, kind="stable")
    return ids[order], score[order]


def _month_of(ordinal: int) -> tuple[int, int]:
    day = date.fromordinal(ordinal)
    return day.year, day.month


def cap_per_article(
    ids: np.ndarray, catalog: Catalog, *, k: int, per_article: int, admit: Callable[[int], bool] | None = None
) -> list[int]:
    """The first `k` ids in order, at most `per_article` from one article, each admitted by `admit`."""
    rows = catalog.rows_of(ids)
    picked: list[int] = []
    per: dict[int, int] = {}
    for chunk_id, row in zip(ids.tolist(), rows.tolist(), strict=True):
        if row < 0 or (admit is not None and not admit(chunk_id)):
            continue
        article = int(catalog.article[row])
        if per.get(article, 0) >= per_article:
            continue
        per[article] = per.get(article, 0) + 1
        picked.append(chunk_id)
        if len(picked) == k:
            break
    return picked


def rank_candidates(
    store: Store,
    db: sqlite3.Connection,
    vectors: VectorIndex,
    catalog: Catalog,
    query_vector: np.ndarray,
    question: str,
    *,
    k: int,
    per_article: int,
    filters: Filters,
    ranking: Ranking = RANKING,
) -> list[Passage]:
    """Dense and lexical candidates fused with the question's outlets and dates, capped per article.

    Runs inside one read snapshot `db`; `vectors` and `catalog` belong to the same generation.
    """

    def fts(match: str, depth: int) -> list[tuple[int, float]]:
        return store.lexical_search(db, match, depth)

    picked, score_of = rank_chunk_ids(
        vectors, catalog, query_vector, question, k=k, per_article=per_article, filters=filters,
        ranking=ranking, fts=fts,
    )
    rows = store.chunks(db, picked)
    return [to_passage(rows[c], score_of[c]) for c in picked if c in rows]


def rank_chunk_ids(
    vectors: VectorIndex,
    catalog: Catalog,
    query_vector: np.ndarray,
    question: str,
    *,
    k: int,
    per_article: int,
    filters: Filters,
    ranking: Ranking = RANKING,
    fts: Callable[[str, int], list[tuple[int, float]]] | None = None,
) -> tuple[list[int], dict[int, float]]:
    """The chunk ids `rank_candidates` returns, best first, and every candidate's fused score.

    Needs no database when the catalog holds its BM25 indexes; otherwise `fts(match, depth)`
    runs the lexical search in the store.
    """
    hints = read_hints(question, catalog.sources, default_year=catalog.newest_year)
    admitted = filters.mask(catalog) if filters else None
    dense_depth = len(vectors) if filters else ranking.dense_depth
    lexical_depth = len(catalog.ids) if filters else ranking.lexical_depth
    scores, ids = vectors.search(query_vector, dense_depth)
    keep = ids[0] >= 0
    dense = (ids[0][keep].astype(np.int64), scores[0][keep].astype(np.float64))
    if catalog.lexical is not None:
        lexical = catalog.lexical.search(question, lexical_depth, question_words=ranking.question_words)
    else:
        match = fts_match(query_terms(question, question_words=ranking.question_words))
        found = fts(match, lexical_depth) if match and fts is not None else []
        lexical = (
            np.array([c for c, _ in found], dtype=np.int64),
            np.array([s for _, s in found], dtype=float),
        )
    sentences = None
    if catalog.sentences is not None and ranking.sentence:
        depth = 50 * lexical_depth if filters else ranking.sentence_depth
        sentences = catalog.sentences.search(question, depth, question_words=ranking.question_words)
    if admitted is not None:
        dense = _restrict(dense, catalog, admitted)
        lexical = _restrict(lexical, catalog, admitted)
        sentences = _restrict(sentences, catalog, admitted) if sentences is not None else None
    order, fused = fuse(dense, lexical, catalog, hints, ranking, sentences)
    picked = cap_per_article(order, catalog, k=k, per_article=per_article)
    return picked, dict(zip(order.tolist(), fused.tolist(), strict=True))


def _restrict(
    ranked: tuple[np.ndarray, np.ndarray], catalog: Catalog, admitted: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    rows = catalog.rows_of(ranked[0])
    keep = (rows >= 0) & admitted[np.maximum(rows, 0)]
    return ranked[0][keep], ranked[1][keep]


def to_passage(row: StoredChunk, score: float) -> Passage:
    return Passage(
        text=row.text,
        score=round(score, 6),
        chunk_id=row.chunk_id,
        article_id=row.article_id,
        title=row.title,
        url=row.url,
        published=row.published,
        source=row.source,
        start=row.start,
        end=row.end,
    )
