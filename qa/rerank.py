"""Learned re-ranking: the candidates put in order by a model of their signals.

The candidates are the first fused ones and the other chunks of their first articles
(`qa.ranking._candidates`).

The fused score (`qa.ranking.fuse`) weighs each signal the same way for every question. Which
chunk holds a fact depends on how the signals combine: a chunk that matches one part of a
two-part question well and the whole question poorly, the second chunk of an article whose
first chunk ranks high, the first chunk of an article (its lede), the chunk near its article's
best. A gradient-boosted model of generic signals learns these combinations; with the sentence
vectors indexing stored, it also reads how closely one of a candidate's sentences says what each
part of the question asks, and how that compares with its article's other candidates
(`sentence_signals`). Its inputs name no article, outlet or word (how far
it carries over to other archives: docs/benchmarks.md). bench/train_reranker.py trained it on the
MultiHop-RAG dev questions (on our index of that corpus, with the label "this chunk holds a gold
fact"); it ships as LightGBM's text format in qa/models/reranker.txt.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import lightgbm
import numpy as np

from qa.catalog import Catalog
from qa.errors import ModelError

MODEL = Path(__file__).with_name("models") / "reranker.txt"

CHUNK_FEATURES = (
    "fused",  # the fused score
    "cosine",
    "lexical",
    "sentence",
    "outlet",  # of an outlet the question names
    "day",  # within a day of a day the question names
    "rank",  # log(1 + place in the fused list)
    "rank_in_article",  # log(1 + place among its article's candidates)
    "article_best",  # the best fused score of its article's candidates
    "article_rank",  # log(1 + place of its article, by first appearance)
    "article_candidates",  # log(1 + candidates of its article)
    "lede",  # the article's first chunk
    "position",  # log(1 + place in its article)
    "part_best",  # best sentence-BM25 match to one part of the question (each part divided by its best)
    "part_mean",  # mean of those matches over the parts
    "part_chunk",  # best chunk-BM25 match to one part
    "part_outlet",  # best match to a part, counted for a part an outlet is said to report only in its chunks
    "part_rank",  # log(1 + best place in the order of one part's matches)
    "parts",  # the question has two or more parts, or says what two or more outlets report
    "question_sentence",  # the whole question's best two-sentence BM25 in the chunk (divided by the best)
    "question_chunk",  # the whole question's chunk BM25 (divided by the best), outside the lists too
    "story",  # highest cosine to a chunk of another article among the first STORY_DEPTH candidates
    "story_outlet",  # the same, among those of another outlet only
    "from_article_best",  # log(1 + its distance in chunks from its article's best fused candidate)
)
# From the sentence vectors indexing stored (`sentence_signals`); missing where none are stored.
SENTENCE_FEATURES = (
    "sentence_part",  # best over the question's parts of a part's highest cosine to one of its sentences
    "sentence_part_mean",  # mean of those cosines over the parts
    "sentence_part_share",  # best over the parts of that cosine divided by the part's best
    "sentence_part_rank",  # log(1 + best place in the order of one part's cosines)
    "sentence_question",  # the whole question's highest cosine to one of its sentences
    "sentence_part_gap",  # its sentence_part less the best sentence_part among its article's candidates
    "sentence_part_in_article",  # log(1 + its place among its article's candidates by sentence_part)
)
FEATURES = CHUNK_FEATURES + SENTENCE_FEATURES

# How many of the first candidates the story signals compare each candidate with.
STORY_DEPTH = 20


def features(
    ids: np.ndarray,
    fused: np.ndarray,
    signals: Sequence[np.ndarray],
    catalog: Catalog,
    parts: np.ndarray,
    part_chunks: np.ndarray,
    part_outlets: np.ndarray,
    question: np.ndarray,
    vectors: np.ndarray,
    sentences: Sequence[np.ndarray],
    *,
    several: bool,
    outlets: np.ndarray | None = None,
) -> np.ndarray:
    """len(ids) x len(FEATURES): what the model reads of each fused candidate of one question.

    Args:
        ids: chunk ids, best fused first (already capped per article).
        fused: their fused scores.
        signals: their cosine, lexical, sentence, outlet and day `qa.ranking.Signals`.
        catalog: the generation's catalog (articles, outlets, positions).
        parts: len(parts) x len(ids), the sentence-BM25 of each part of the question in each id.
        part_chunks: the same with the chunk BM25.
        part_outlets: the outlet (index in `catalog.sources`) a part is said to be from, or -1.
        question: 2 x len(ids), the whole question's sentence-BM25 and chunk BM25 in each id.
        vectors: len(ids) x dimension, each id's chunk vector (`VectorIndex.vectors`).
        sentences: the `sentence_signals` of the ids.
        several: whether the question has two or more parts or outlet claims.
        outlets: each id's outlet, an index in `catalog.sources` (by default its source's; the
            sections of an outlet the question names by their shared name share one).
    """
    n = len(ids)
    rows = catalog.rows_of(ids)
    outlet = catalog.source[rows] if outlets is None else outlets
    article = catalog.article[rows]
    _, first, inverse, counts = np.unique(article, return_index=True, return_inverse=True, return_counts=True)
    within = places_within(fused, inverse)
    position = catalog.positions(rows)
    best_position = np.zeros(len(first), dtype=np.int64)
    best_position[inverse[within == 0]] = position[within == 0]
    columns = [
        fused, *signals, np.log1p(np.arange(n)), np.log1p(within), best_within(fused, inverse),
        np.log1p(places(-first.astype(float))[inverse]), np.log1p(counts[inverse]),
        position == 0, np.log1p(position),
    ]
    if several and len(parts):
        matches = _share_of_best(parts)
        outlet_matches = matches * np.where(
            part_outlets[:, None] >= 0, outlet[None, :] == part_outlets[:, None], True
        )
        part_place = best_place(outlet_matches)
        columns += [
            matches.max(axis=0), matches.mean(axis=0), _share_of_best(part_chunks).max(axis=0),
            outlet_matches.max(axis=0), np.log1p(part_place), np.ones(n),
        ]
    else:
        columns += [np.zeros(n)] * 6
    columns += list(_share_of_best(question))
    columns += story(vectors, article, outlet)
    columns.append(np.log1p(np.abs(position - best_position[inverse])))
    columns += sentences
    return np.column_stack(columns).astype(np.float64)


def sentence_signals(
    question: np.ndarray, units: np.ndarray, sentences: Sequence[np.ndarray | None], article: np.ndarray
) -> list[np.ndarray]:
    """How closely each candidate's sentences say what each part of the question asks: the
    `SENTENCE_FEATURES`, one column each.

    The chunk that states one report's fact often shares few words with the question, and its
    chunk vector is a blur of its other sentences; the sentence that states the fact is close
    to the part of the question that asks for it. Half the gold facts the re-ranked top 10
    missed were in another chunk of an article they list (docs/benchmarks.md), so each
    candidate is also measured against its article's other candidates.

    Args:
        question: the question's vector.
        units: one row per part of the question and claim of an outlet (may be none).
        sentences: per candidate, its statements' vectors (`qa.indexing.statement_vectors`), or
            None where they are not stored (missing to the model, as for an article published
            since the sentence stage last ran).
        article: per candidate, its article (any ids that tell articles apart).
    """
    n = len(sentences)
    if len(article) != n:
        raise ValueError(f"{len(article)} articles for {n} candidates")
    held = [(i, rows) for i, rows in enumerate(sentences) if rows is not None and len(rows)]
    best = np.full((len(units) + 1, n), np.nan)
    if held:
        starts = np.cumsum([0] + [len(rows) for _, rows in held[:-1]], dtype=np.int64)
        cosine = np.vstack([question[None, :], units]) @ np.concatenate([rows for _, rows in held]).T
        best[:, [i for i, _ in held]] = np.maximum.reduceat(cosine, starts, axis=1)
    by_part, whole = best[1:], best[0]
    if not len(units) or not held:
        return [np.full(n, np.nan)] * 4 + [whole] + [np.full(n, np.nan)] * 2
    found = ~np.isnan(whole)
    filled = np.where(found, by_part, -1.0)
    share = _share_of_best(filled)
    part = filled.max(axis=0)
    # Within its article, a candidate is measured only against the candidates whose sentences are stored.
    held_part = np.where(found, part, -np.inf)
    _, inverse = np.unique(article, return_inverse=True)
    columns = [part, filled.mean(axis=0), share.max(axis=0), np.log1p(best_place(filled))]
    in_article = [part - best_within(held_part, inverse), np.log1p(places_within(held_part, inverse))]
    masked = [np.where(found, c, np.nan) for c in (*columns, *in_article)]
    return [*masked[:4], whole, *masked[4:]]


def story(vectors: np.ndarray, article: np.ndarray, source: np.ndarray) -> list[np.ndarray]:
    """Each candidate's highest cosine to a chunk of another article among the first
    STORY_DEPTH candidates, and to one of another outlet's article (-1 where there is none).

    The reports a multi-hop question needs are several outlets' accounts of one story: a chunk
    that another outlet's strong candidate says much the same as is likely one of them, though
    it may share few words with the question.
    """
    top = slice(0, STORY_DEPTH)
    cosine = vectors @ vectors[top].T
    other = article[:, None] != article[None, top]
    other_outlet = other & ((source[:, None] != source[None, top]) | (source[:, None] < 0))
    return [np.where(other, cosine, -1.0).max(axis=1, initial=-1.0),
            np.where(other_outlet, cosine, -1.0).max(axis=1, initial=-1.0)]


def _share_of_best(scores: np.ndarray) -> np.ndarray:
    best = scores.max(axis=1, keepdims=True)
    return np.divide(scores, best, out=np.zeros_like(scores, dtype=float), where=best > 0)


def places(values: np.ndarray) -> np.ndarray:
    """The place of each value from the highest (0), ties in order."""
    order = np.argsort(-values, kind="stable")
    found = np.empty(len(values))
    found[order] = np.arange(len(values))
    return found


def best_within(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The highest value of each value's group (`groups` numbered from 0, as `np.unique`'s inverse)."""
    best = np.full(groups.max(initial=-1) + 1, -np.inf)
    np.maximum.at(best, groups, values)
    return best[groups]


def places_within(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each value's `places` within its group."""
    order = np.lexsort((-values, groups))  # by group, then highest first; ties in order
    start = np.searchsorted(groups[order], groups[order])
    found = np.empty(len(values))
    found[order] = np.arange(len(values)) - start
    return found


def best_place(per_part: np.ndarray) -> np.ndarray:
    """parts x candidates: each candidate's best place in the order of one part."""
    return np.min([places(row) for row in per_part], axis=0)


TRAINING = {
    "objective": "lambdarank",  # each question's candidates are one list to order
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 50,
    "deterministic": True,
    "num_threads": 1,
    "seed": 0,
    "verbose": -1,
}


def train(
    matrices: Sequence[np.ndarray],
    labels: Sequence[np.ndarray],
    names: Sequence[str],
    *,
    truncation: int,
    rounds: int = 300,
) -> lightgbm.Booster:
    """A LightGBM LambdaRank model of one list per question (its `matrices` row by row, labelled 1
    where the row holds a gold fact), ordering the first `truncation` of each list; the same data
    give the same model (one thread, fixed seed). bench/train_reranker.py and
    bench/train_sentences.py train the shipped models with it."""
    data = lightgbm.Dataset(
        np.vstack(matrices), np.concatenate(labels), feature_name=list(names), free_raw_data=False,
        group=[len(y) for y in labels],
    )
    params = TRAINING | {"lambdarank_truncation_level": truncation}
    return lightgbm.train(params, data, num_boost_round=rounds)


def load_model(path: Path, names: Sequence[str]) -> lightgbm.Booster:
    """The LightGBM model at `path`, which must read the features `names`, in that order (each
    file loaded once).

    Raises:
        ModelError: the file cannot be read, or is a model of other features (of another step,
            or of an older version of this one).
    """
    return _load(Path(path).expanduser().resolve(), tuple(names))


@cache
def _load(path: Path, names: tuple[str, ...]) -> lightgbm.Booster:
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    try:
        booster = lightgbm.Booster(model_file=str(path))
    except lightgbm.basic.LightGBMError as exc:
        raise ModelError(f"{path}: not a model file LightGBM can read ({exc})") from exc
    if tuple(booster.feature_name()) != names:
        raise ModelError(
            f"{path} reads the features {', '.join(booster.feature_name())}, not this step's "
            f"{', '.join(names)}: train one with the script that made the shipped model"
        )
    return booster


def model(path: Path = MODEL) -> lightgbm.Booster:
    """The re-ranking model at `path` (the shipped one by default; loaded once)."""
    return load_model(path, FEATURES)


def rerank(ids: np.ndarray, matrix: np.ndarray, booster: lightgbm.Booster | None = None) -> np.ndarray:
    """`ids` (fused order) with their `features` `matrix`, most likely to hold a fact of the
    question first (ties in fused order)."""
    return ids[scored_order(matrix, booster or model())]


def scored_order(matrix: np.ndarray, booster: lightgbm.Booster) -> np.ndarray:
    """The rows of `matrix`, highest `booster` score first (ties in order)."""
    if not len(matrix):
        return np.zeros(0, dtype=np.int64)
    return np.argsort(-np.asarray(booster.predict(matrix, num_threads=1)), kind="stable")
