"""Ranking: dense and BM25 candidates fused with the question's outlets and dates, capped per article.

`rank_chunk_ids` is the whole retrieval step of one question over one generation (its FAISS
index and its `Catalog`); `passages_of` turns those ids into `Passage`s. The weights are a
`Ranking` (qa/config.py), settable through `Settings.ranking`. A question of several parts
("Did X report A, while Y says B?") gets a list chosen to cover each part (`cover`), and one
that names several outlets gives each a share of the list.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import NamedTuple

import numpy as np

from embeddings.index import VectorIndex
from qa.catalog import Catalog
from qa.config import Ranking
from qa.query import Filters, QueryHints, outlet_clauses, question_parts, read_hints, topic_of
from qa.rerank import features, model, rerank, sentence_signals
from qa.store import Store, StoredChunk
from qa.types import Passage

RANKING = Ranking()


class SentenceSource(NamedTuple):
    """What the re-ranker's sentence signals (`qa.rerank.sentence_signals`) read: a vector per
    `QuestionSplit.units` of the question (`reranked_units`; `Archive.retrieve` pools them from
    the question's own pass, `embeddings.encoder.encode_spans`), and a look-up of each candidate
    chunk's sentence vectors as indexing stored them (None for a chunk with none stored). The
    look-up reads the snapshot it was made in (`Archive.sentence_source`): use it inside it."""

    units: np.ndarray
    sentences: Callable[[np.ndarray], list[np.ndarray | None]]


class Signals(NamedTuple):
    """What each candidate chunk (`ids`, sorted) has for a question, before weighing: its
    cosine (a chunk outside the dense list gets the list's lowest), its BM25 and its best
    sentence's BM25 (each divided by the best of the question, 0 outside the list), whether
    it is of a named outlet, within a day of a named day (dates in questions are local, ours
    UTC) or in a named month, and how recent it is in the candidates' span (latest questions)."""

    ids: np.ndarray
    cosine: np.ndarray
    lexical: np.ndarray
    sentence: np.ndarray
    outlet: np.ndarray
    day: np.ndarray
    month: np.ndarray
    recency: np.ndarray


def signals(
    dense: tuple[np.ndarray, np.ndarray],
    lexical: tuple[np.ndarray, np.ndarray],
    catalog: Catalog,
    hints: QueryHints,
    sentences: tuple[np.ndarray, np.ndarray] | None = None,
) -> Signals:
    """The `Signals` of every chunk in the dense, lexical and sentence lists (each (chunk ids,
    scores), best first)."""
    d_ids, d_scores = dense
    l_ids, l_scores = lexical
    s_ids, s_scores = sentences if sentences is not None else (np.zeros(0, dtype=np.int64), np.zeros(0))
    ids = np.unique(np.concatenate([d_ids, l_ids, s_ids]).astype(np.int64))
    floor = float(d_scores.min()) if len(d_scores) else 0.0
    cosine = np.full(len(ids), floor)
    cosine[np.searchsorted(ids, d_ids)] = d_scores
    lex = np.zeros(len(ids))
    if len(l_ids) and l_scores.max() > 0:
        lex[np.searchsorted(ids, l_ids)] = l_scores / l_scores.max()
    sent = np.zeros(len(ids))
    if len(s_ids) and s_scores.max() > 0:
        sent[np.searchsorted(ids, s_ids)] = s_scores / s_scores.max()
    rows = catalog.rows_of(ids)
    known = rows >= 0
    outlet = known & np.isin(catalog.source[rows], _named_outlets(catalog, hints))
    day = np.where(known, catalog.day[rows], -1)
    near = np.zeros(len(ids), dtype=bool)
    for wanted_day in hints.days:
        near |= (np.abs(day - wanted_day.toordinal()) <= 1) & (day > 0)
    months = {(y, m) for y, m in hints.months}
    in_month = np.zeros(len(ids), dtype=bool)
    if months:
        in_month = np.array([d > 0 and _month_of(int(d)) in months for d in day.tolist()], dtype=bool)
    recency = np.zeros(len(ids))
    if hints.latest and (day > 0).any():
        span = max(1, int(day.max() - day[day > 0].min()))
        recency = np.clip((day - day[day > 0].min()) / span, 0, 1)
    return Signals(ids, cosine, lex, sent, outlet, near, in_month, recency)


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

    The score is the weighted sum of the `Signals`: cosine, BM25 and best sentence's BM25,
    and bonuses for a named outlet, a named day, a named month, and recency when the question
    asks for the latest.
    """
    return weigh(signals(dense, lexical, catalog, hints, sentences), ranking)


def weigh(s: Signals, ranking: Ranking = RANKING) -> tuple[np.ndarray, np.ndarray]:
    """The ids of `s` and their fused scores (the `ranking`-weighted sum of the signals), best first."""
    score = (
        ranking.dense * s.cosine + ranking.lexical * s.lexical + ranking.sentence * s.sentence
        + ranking.source * s.outlet + ranking.day * s.day + ranking.month * s.month
        + ranking.latest * s.recency
    )
    order = np.argsort(-score, kind="stable")
    return s.ids[order], score[order]


def _named_outlets(catalog: Catalog, hints: QueryHints) -> list[int]:
    """The outlets the question names, as indexes into `catalog.sources`."""
    return [catalog.sources.index(s) for s in hints.sources if s in catalog.sources]


def _outlet_of_named(catalog: Catalog, hints: QueryHints) -> dict[int, int]:
    """Each named source's outlet (`QueryHints.outlet_of`), as the index in `catalog.sources` of
    the first named source of that outlet, keyed by its own index there."""
    first: dict[str, int] = {}
    for source in hints.sources:
        first.setdefault(hints.outlet_of(source), catalog.sources.index(source))
    return {catalog.sources.index(s): first[hints.outlet_of(s)] for s in hints.sources}


def _month_of(ordinal: int) -> tuple[int, int]:
    day = date.fromordinal(ordinal)
    return day.year, day.month


def cap_per_article(ids: np.ndarray, catalog: Catalog, *, k: int, per_article: int) -> list[int]:
    """The first `k` ids in order, at most `per_article` from one article (ids not in `catalog`
    left out)."""
    rows = catalog.rows_of(ids)
    picked: list[int] = []
    per: dict[int, int] = {}
    for chunk_id, row in zip(ids.tolist(), rows.tolist(), strict=True):
        if row < 0:
            continue
        article = int(catalog.article[row])
        if per.get(article, 0) >= per_article:
            continue
        per[article] = per.get(article, 0) + 1
        picked.append(chunk_id)
        if len(picked) == k:
            break
    return picked


def cover(
    ids: Sequence[int],
    scores: np.ndarray,
    parts: np.ndarray,
    *,
    k: int,
    ranking: Ranking = RANKING,
    groups: np.ndarray | None = None,
    quota: int = 0,
) -> list[int]:
    """The `k` of `ids` (fused candidates, best first) that together answer the most parts.

    Args:
        scores: the fused score of each id.
        parts: parts x ids, how well each id matches each part of the question (`part_scores`
            of the catalog's BM25 indexes); may have no rows.
        groups, quota: the outlet of each id when the question names it, else -1. Once `quota`
            ids of one named outlet are listed, the others of that outlet wait until no other
            id is left, so that one outlet's articles do not crowd out another's report.

    Each id's score gains `ranking.part` times its best match to any one part (each part's
    matches divided by its best). Then the list is filled greedily: first the best, then each
    time the id whose score plus `ranking.cover` times the mean over parts of what it matches
    beyond the best match listed so far is highest. So the report a second part asks about
    comes before a near copy of a listed passage.
    """
    if not len(ids):
        return []
    best = parts.max(axis=1, keepdims=True) if len(parts) else np.zeros((0, 1))
    matches = np.divide(parts, best, out=np.zeros_like(parts, dtype=float), where=best > 0)
    value = np.asarray(scores, dtype=float) + (ranking.part * matches.max(axis=0) if len(parts) else 0.0)
    value = value / max(float(np.abs(value).max()), 1e-9)
    covered = np.zeros(len(matches))
    free = np.ones(len(ids), dtype=bool)
    held = np.zeros(len(ids), dtype=bool)
    picked: list[int] = []
    for n in range(min(k, len(ids))):
        gain = value.copy()
        if n and len(matches):
            gain += ranking.cover * np.maximum(matches - covered[:, None], 0).mean(axis=0)
        blocked = ~free
        if (free & ~held).any():
            blocked |= held
        gain[blocked] = -np.inf
        chosen = int(np.argmax(gain))
        free[chosen] = False
        picked.append(int(ids[chosen]))
        if len(matches):
            covered = np.maximum(covered, matches[:, chosen])
        if groups is not None and quota and groups[chosen] >= 0:
            same = groups == groups[chosen]
            if int((same & ~free).sum()) >= quota:
                held |= same
    return picked


def passages_of(
    store: Store, db: sqlite3.Connection, picked: list[int], score_of: dict[int, float]
) -> list[Passage]:
    """The `Passage`s of the chunk ids `picked` (from `rank_chunk_ids`), read in the snapshot `db`."""
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
    sentences: SentenceSource | None = None,
) -> tuple[list[int], dict[int, float]]:
    """Dense and lexical candidates fused with the question's outlets and dates, capped per article,
    then, for a question of several parts (`QuestionSplit.several`), put in order by the re-ranking model
    (`qa.rerank`, unless `ranking.rerank` is off): the chunk ids picked, best first, and every
    candidate's fused score (the lowest for a chunk the re-ranker took from an article's other
    chunks).

    `vectors` and `catalog` belong to the same generation; `passages_of` reads the picked chunks.

    The catalog holds the BM25 indexes (only an empty catalog has none); the database is read
    only through `sentences`, for the re-ranker's sentence signals, which are missing without
    it (the model reads them as it reads an index without stored sentence vectors).
    """
    hints, found, order, score_of = _fused(vectors, catalog, query_vector, question, filters, ranking)
    split = split_question(question, hints)
    if ranking.rerank and catalog.lexical is not None and split.several:
        depth = max(k, ranking.rerank_depth)
        candidates = _candidates(order, catalog, depth, per_article, ranking)
        matrix = candidate_features(
            candidates, question, split, hints, found, score_of, catalog, vectors,
            query_vector=query_vector, sentences=sentences,
        )
        lowest = min(score_of.values(), default=0.0)
        score_of |= {c: lowest for c in candidates.tolist() if c not in score_of}
        booster = model(Path(ranking.rerank_model)) if ranking.rerank_model else None
        ranked = rerank(candidates, matrix, booster)
        return cap_per_article(ranked, catalog, k=k, per_article=per_article), score_of
    parts = split.parts if ranking.part or ranking.cover else []
    index = catalog.sentences if catalog.sentences is not None else catalog.lexical
    quota = _outlet_quota(hints, k, ranking)
    if (len(parts) < 2 and not quota) or index is None:
        return cap_per_article(order, catalog, k=k, per_article=per_article), score_of
    pool = cap_per_article(order, catalog, k=max(k, ranking.cover_depth), per_article=per_article)
    pool_ids = np.array(pool, dtype=np.int64)
    matches = index.part_scores(parts, pool_ids) if len(parts) >= 2 else np.zeros((0, len(pool)))
    groups = None
    if quota:
        # The sections of an outlet named by their shared name share its quota.
        outlet_of = _outlet_of_named(catalog, hints)
        outlet = catalog.source[catalog.rows_of(pool_ids)]
        groups = np.array([outlet_of.get(int(o), -1) for o in outlet], dtype=np.int64)
    scores = np.array([score_of[c] for c in pool])
    return cover(pool, scores, matches, k=k, ranking=ranking, groups=groups, quota=quota), score_of


def rerank_candidates(
    vectors: VectorIndex,
    catalog: Catalog,
    query_vector: np.ndarray,
    question: str,
    *,
    per_article: int,
    filters: Filters,
    ranking: Ranking = RANKING,
    sentences: SentenceSource | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The candidates `rank_chunk_ids` re-ranks (fused order, capped per article, `rerank_depth`
    of them) and their `qa.rerank.features`: what bench/train_reranker.py learns from."""
    hints, found, order, score_of = _fused(vectors, catalog, query_vector, question, filters, ranking)
    candidates = _candidates(order, catalog, ranking.rerank_depth, per_article, ranking)
    split = split_question(question, hints)
    matrix = candidate_features(
        candidates, question, split, hints, found, score_of, catalog, vectors,
        query_vector=query_vector, sentences=sentences,
    )
    return candidates, matrix


def _candidates(
    order: np.ndarray, catalog: Catalog, k: int, per_article: int, ranking: Ranking
) -> np.ndarray:
    """The first `k` fused ids (at most `per_article` of one article), then the other chunks of
    the first `ranking.rerank_articles` articles among them: the chunk of an article that states
    the fact a question asks for often shares few of its words (the article's best chunk for the
    question, its lede, carries them), so it ranks far below; among the dev questions all gold
    facts are in the first 100 fused for 0.753, and with the other chunks of their first 10
    articles for 0.901."""
    pool = np.array(cap_per_article(order, catalog, k=k, per_article=per_article), dtype=np.int64)
    articles = list(dict.fromkeys(catalog.article[catalog.rows_of(pool)].tolist()))[: ranking.rerank_articles]
    siblings = catalog.ids[catalog.article_rows(articles)]
    return np.concatenate([pool, siblings[~np.isin(siblings, pool)]])


class QuestionSplit(NamedTuple):
    """A question's parts (`question_parts`) and what it says each outlet it names reported
    (`outlet_clauses`): read once per question, by the re-ranker's decision, its features and
    the hand-weighted coverage."""

    parts: list[str]
    clauses: dict[str, str]

    @property
    def several(self) -> bool:
        """Two or more parts, or claims of outlets: the questions the re-ranker learned from (556
        of the 563 dev questions). A question of one part, as a person asks one ("What is the
        latest on X?"), keeps the hand-weighted ranking: re-ranked, the natural questions
        (bench/natural-questions.json) were answered less often (0.828 -> 0.770)."""
        return len(self.parts) >= 2 or bool(self.clauses)

    @property
    def units(self) -> list[str]:
        """The parts, then the outlets' claims (one for the sections of an outlet named by the
        name they share): what the re-ranker matches candidates to."""
        return self.parts + list(dict.fromkeys(self.clauses.values()))


def split_question(question: str, hints: QueryHints) -> QuestionSplit:
    """The `QuestionSplit` of `question`, whose outlets and dates are `hints`."""
    return QuestionSplit(question_parts(question, hints), outlet_clauses(question, hints))


def reranked_units(question: str, catalog: Catalog, ranking: Ranking = RANKING) -> list[str]:
    """The `QuestionSplit.units` whose vectors `rank_chunk_ids` reads from its `SentenceSource`
    (none for a question it does not re-rank)."""
    split = split_question(question, read_hints(question, catalog.sources, default_year=catalog.newest_year))
    if not (ranking.rerank and catalog.lexical is not None and split.several):
        return []
    return split.units


def unit_spans(question: str, units: Sequence[str]) -> list[tuple[int, int]]:
    """Where each of `units` is in `question`: its first place, or the whole question for one
    that is not a span of it."""
    spans = []
    for unit in units:
        start = question.find(unit)
        spans.append((start, start + len(unit)) if start >= 0 else (0, len(question)))
    return spans


def _fused(
    vectors: VectorIndex,
    catalog: Catalog,
    query_vector: np.ndarray,
    question: str,
    filters: Filters,
    ranking: Ranking,
) -> tuple[QueryHints, Signals, np.ndarray, dict[int, float]]:
    """The question's hints, its candidates' signals, their ids best fused first, and each one's
    fused score."""
    hints = read_hints(question, catalog.sources, default_year=catalog.newest_year)
    # Filtered, each list is the best admitted chunks, as deep as unfiltered: not every chunk
    # ranked, then those admitted kept (at a million chunks, that took most of a filtered retrieve).
    admitted = filters.mask(catalog) if filters else None
    among = catalog.ids[admitted] if admitted is not None else None
    scores, ids = vectors.search(query_vector, ranking.dense_depth, among=among)
    keep = ids[0] >= 0
    dense = (ids[0][keep].astype(np.int64), scores[0][keep].astype(np.float64))
    lexical = (np.zeros(0, dtype=np.int64), np.zeros(0))
    topic = topic_of(question)  # "the latest on X": X's words, not "latest updates" trackers
    if catalog.lexical is not None:
        lexical = catalog.lexical.search(
            topic, ranking.lexical_depth, question_words=ranking.question_words,
            admitted=catalog.lexical_admitted(admitted) if admitted is not None else None,
        )
    sentences = None
    if catalog.sentences is not None and ranking.sentence:
        sentences = catalog.sentences.search(
            topic, ranking.sentence_depth, question_words=ranking.question_words,
            admitted=catalog.sentences_admitted(admitted) if admitted is not None else None,
        )
    found = signals(dense, lexical, catalog, hints, sentences)
    order, fused = weigh(found, ranking)
    return hints, found, order, dict(zip(order.tolist(), fused.tolist(), strict=True))


def candidate_features(
    pool: np.ndarray,
    question: str,
    split: QuestionSplit,
    hints: QueryHints,
    found: Signals,
    score_of: dict[int, float],
    catalog: Catalog,
    vectors: VectorIndex,
    *,
    query_vector: np.ndarray,
    sentences: SentenceSource | None,
) -> np.ndarray:
    """The `qa.rerank.features` of the candidates `pool` of `question` (`_candidates`: those
    outside the fused lists get the lowest cosine and fused score, no BM25, and no named day,
    which only the fused lists' chunks are checked for). The question's parts are its `split`'s
    parts and what it says each named outlet reports (matched only in that outlet's chunks);
    the candidates' own vectors, from `vectors`, tell which say what another's article says,
    and their sentences' vectors, from `sentences` (with the parts' vectors), which say what a
    part asks (all missing without it)."""
    at = np.minimum(np.searchsorted(found.ids, pool), len(found.ids) - 1)
    known = found.ids[at] == pool if len(found.ids) else np.zeros(len(pool), dtype=bool)
    floor = float(found.cosine.min()) if len(found.ids) else 0.0
    lowest = min(score_of.values(), default=0.0)
    rows = catalog.rows_of(pool)
    outlet = np.isin(catalog.source[rows], _named_outlets(catalog, hints))
    parts, clauses = split
    units = split.units
    # The sections of an outlet named by the name they share are one outlet, of one claim.
    outlet_of = _outlet_of_named(catalog, hints)
    claimed: dict[str, int] = {}
    for source, claim in clauses.items():
        claimed.setdefault(claim, outlet_of[catalog.sources.index(source)])
    topic = topic_of(question)
    assert catalog.lexical is not None
    index = catalog.sentences if catalog.sentences is not None else catalog.lexical
    # The parts and the topic share most of their terms: one look-up each, in one call per index.
    windows = index.part_scores([*units, topic], pool)
    chunks = catalog.lexical.part_scores([*units, topic], pool)
    return features(
        pool,
        np.array([score_of.get(c, lowest) for c in pool.tolist()]),
        [
            np.where(known, found.cosine[at], floor), np.where(known, found.lexical[at], 0.0),
            np.where(known, found.sentence[at], 0.0), outlet, np.where(known, found.day[at], False),
        ],
        catalog,
        windows[:-1],
        chunks[:-1],
        np.array([-1] * len(parts) + list(claimed.values()), dtype=np.int64),
        np.vstack([windows[-1:], chunks[-1:]]),
        vectors.vectors(pool),
        _sentence_columns(query_vector, units, pool, catalog.article[rows], sentences),
        several=split.several,
        outlets=np.array([outlet_of.get(s, s) for s in catalog.source[rows].tolist()], dtype=np.int64),
    )


def _sentence_columns(
    query_vector: np.ndarray,
    units: list[str],
    pool: np.ndarray,
    article: np.ndarray,
    sentences: SentenceSource | None,
) -> list[np.ndarray]:
    """`qa.rerank.sentence_signals` of `pool` (of the articles `article`), all missing without a
    `SentenceSource`."""
    question = query_vector.reshape(-1)
    if sentences is None:
        return sentence_signals(question, np.zeros((0, question.size)), [None] * len(pool), article)
    if len(sentences.units) != len(units):
        raise ValueError(f"{len(sentences.units)} vectors for the question's {len(units)} parts and claims")
    return sentence_signals(question, sentences.units, sentences.sentences(pool), article)


def _outlet_quota(hints: QueryHints, k: int, ranking: Ranking) -> int:
    """The most of `k` places one outlet takes before the others of a question that names
    several have theirs (0: no quota)."""
    if len(hints.outlets) < 2 or not ranking.outlet_share:
        return 0
    return max(1, int(np.ceil(ranking.outlet_share * k / len(hints.outlets))))


def to_passage(row: StoredChunk, score: float) -> Passage:
    """The `Passage` of a stored chunk, with its fused score."""
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
