"""Learned choice of an answer's sentences for a question of several parts.

A question of several parts ("Who is the individual accused of X, who claimed Y, and is said
by Z to …?") needs one sentence from each report, and the sentence that states a report's fact
often shares few words with the question as a whole and says them in other words than its part.
The hand-weighted ranking of `qa.answer` finds the sentences most like the question; a
gradient-boosted model of generic signals of each sentence it embedded (its cosine to the
question and its match to each part, how much of the question's and of each part's key terms it
holds, where it stands in its article and among the passages, whether its passage was retrieved
or added for context) learns which of them state the facts the parts ask for. Its inputs name no
article, outlet or word.
bench/train_sentences.py trained it on the MultiHop-RAG dev questions (label: the sentence is,
or lies inside, a gold fact); it ships as LightGBM's text format in qa/models/sentences.txt.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import lightgbm
import numpy as np

from qa.rerank import best_place, load_model, places, places_within, scored_order

MODEL = Path(__file__).with_name("models") / "sentences.txt"

FEATURES = (
    "lexical",  # idf-weighted share of the question's key terms and phrases (`qa.answer._lexical_scores`)
    "fit",  # holds the kind of answer asked for (`qa.answer.fits_kind`)
    "part_best",  # best share of one part's key terms (`qa.answer.part_shares`)
    "part_mean",  # mean of those shares over the parts
    "passage",  # log(1 + place of its passage among the answer's passages)
    "article",  # log(1 + place of its article, by first passage)
    "position",  # log(1 + characters before it in its article)
    "length",  # log(1 + its characters)
    "context",  # its passage was added for context, not retrieved (score 0)
    "part_place",  # log(1 + best place by one part's share)
    "article_place",  # log(1 + place within its article by part_best)
    "lexical_place",  # log(1 + place by lexical)
    "parts",  # the question's parts
    "similarity",  # cosine to the question
    "rank",  # the hand-weighted rank (`qa.answer.Sentence.rank`)
    "clause",  # match to what the question says its outlet reported
    "match_best",  # best match to one part (cosine and key terms, `qa.answer.Sentence.matches`)
    "match_mean",  # mean match over the parts
    "rank_place",  # log(1 + place by rank)
    "similarity_place",  # log(1 + place within its article by similarity)
    "match_article_place",  # log(1 + place within its article by match_best)
    "match_place",  # log(1 + best place by one part's match)
)


def features(
    lexical: Sequence[float],
    fit: Sequence[float],
    shares: Sequence[Sequence[float]],
    passage: Sequence[int],
    article: Sequence[int],
    position: Sequence[int],
    length: Sequence[int],
    context: Sequence[bool],
    similarity: Sequence[float],
    rank: Sequence[float],
    clause: Sequence[float],
    matches: Sequence[Sequence[float]],
) -> np.ndarray:
    """len(lexical) x len(FEATURES): what the model reads of each embedded sentence; places are
    among these sentences, ties in the order given.

    Args:
        lexical, fit, similarity, rank, clause: each sentence's `qa.answer.Sentence` fields.
        shares, matches: its share of each part's key terms and its match to each part (empty
            for a question of no parts).
        passage, article: the place of its passage among the passages, and of its article.
        position, length: where it starts in its article, and its length (characters).
        context: whether its passage was added for context (not retrieved).
    """
    n = len(lexical)
    lex = np.asarray(lexical, dtype=float)
    ranks = np.asarray(rank, dtype=float)
    articles = np.asarray(article)
    parts = len(shares[0]) if n else 0
    share = _per_part(shares, n)
    match = _per_part(matches, n)
    sim = np.asarray(similarity, dtype=float)
    columns = [
        lex, np.asarray(fit, dtype=float), share.max(axis=1), share.mean(axis=1), np.log1p(passage),
        np.log1p(articles), np.log1p(position), np.log1p(length), np.asarray(context, dtype=float),
        np.log1p(best_place(share.T)), np.log1p(places_within(share.max(axis=1), articles)),
        np.log1p(places(lex)), np.full(n, parts),
        sim, ranks, np.asarray(clause, dtype=float), match.max(axis=1), match.mean(axis=1),
        np.log1p(places(ranks)), np.log1p(places_within(sim, articles)),
        np.log1p(places_within(match.max(axis=1), articles)), np.log1p(best_place(match.T)),
    ]
    return np.column_stack(columns).reshape(n, len(FEATURES)) if n else np.zeros((0, len(FEATURES)))


def _per_part(values: Sequence[Sequence[float]], n: int) -> np.ndarray:
    """n x parts (n x 1 of zeros for no parts)."""
    parts = len(values[0]) if n else 0
    return np.asarray(values, dtype=float).reshape(n, parts) if parts else np.zeros((n, 1))


def model(path: Path = MODEL) -> lightgbm.Booster:
    """The sentence model at `path` (the shipped one by default; loaded once)."""
    return load_model(path, FEATURES)


def order(matrix: np.ndarray, booster: lightgbm.Booster | None = None) -> np.ndarray:
    """The rows of `matrix` (`features`), most likely to state a fact the question asks for
    first (ties in order)."""
    return scored_order(matrix, booster or model())
