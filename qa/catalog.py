"""The retrieval catalog of one generation: per-chunk outlet, date and article arrays and the
BM25 indexes over chunks and their sentences. The writer builds and saves it when it publishes
a generation (qa/indexing.py); readers load it (qa/archive.py) and rank with it (qa/ranking.py).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from qa.chunking import sentence_spans
from qa.generation_files import CatalogFileError
from qa.query import WORD, bm25_tokens, english_stemmer, is_term, outlet_short_name, query_terms
from qa.store import CatalogRow

# bm25s sets its own logger to DEBUG when it is imported (above), which would print through any
# handler an application installs; put it back to the default threshold.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# Past this many chunks the per-sentence BM25 index is not built. It adds little (Hits@10 0.924
# -> 0.916 without it at 8k chunks, bench/retrieval.py) but costs the most: at 1M chunks it is
# about 8M sentences, most of the catalog's memory and build time and most of a query's time
# (bench/scale.py --retrieve-at).
SENTENCE_INDEX_MAX_CHUNKS = 200_000
# A sentence of at least BOILERPLATE_TERMS distinct terms, every one of them in a single
# sentence of at least BOILERPLATE_ARTICLES articles of its outlet, is that outlet's boilerplate
# (`Catalog.boilerplate`): "Engadget has been testing and reviewing consumer tech since 2004."
# Told from the sentence index, so an archive past SENTENCE_INDEX_MAX_CHUNKS has none.
BOILERPLATE_TERMS = 6
BOILERPLATE_ARTICLES = 3
BOILERPLATE_MEMO = 200_000  # sentences remembered per generation
_QUOTATION = re.compile("[“”\"]")
# BM25 parameters: a low length normalisation suits chunks of similar size (tuned on the dev set).
BM25_K1 = 0.6
BM25_B = 0.4
# Documents tokenized into one array of (document, term) pairs at a time: bounds the memory of
# counting them at a million chunks.
COUNT_BATCH = 20_000


# From this many scores on, `top_positive` first keeps those at least as high as a floor taken
# from one score in TOP_SAMPLE_STRIDE: a million-chunk archive matches most of its chunks on a
# long question, and partially sorting all of them took twice as long as scoring them. (Below
# it, the benchmark's 65,917 sentences among them, nothing is sampled.)
TOP_SAMPLE_MIN = 131_072
TOP_SAMPLE_STRIDE = 32


def top_positive(
    scores: np.ndarray, k: int, *, sample_from: int = TOP_SAMPLE_MIN, stride: int = TOP_SAMPLE_STRIDE
) -> np.ndarray:
    """The positions of the `k` highest positive `scores`, best first (tied scores in no set
    order).

    From `sample_from` scores on, only those at least as high as the floor of a sample (every
    `stride`-th score) are partially sorted, when `k` or more reach it; the scores chosen are
    the same."""
    candidates = None
    if k > 0 and len(scores) >= max(sample_from, 1):
        sample = scores[::stride]
        want = min(len(sample), 2 * -(-k // stride) + 2)  # about 2k scores expected above it
        floor = np.partition(sample, len(sample) - want)[len(sample) - want]
        if floor > 0:
            above = np.flatnonzero(scores >= floor)
            candidates = above if len(above) >= k else None
    if candidates is None:  # every positive score
        candidates = np.flatnonzero(scores > 0)
    k = min(k, len(candidates))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    best = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
    return best[np.argsort(-scores[best], kind="stable")]


class LexicalIndex:
    """BM25 over the chunks' lexical texts, in memory (bm25s), built once per generation.

    Chosen over SQLite's FTS5 bm25() on the MultiHop-RAG dev questions (bench/retrieval.py
    --engines): the same or better ranking and several times faster per query, since FTS5
    computes bm25() row by row for every chunk that matches any term of a long OR query.

    Besides bm25s's score matrix it keeps how often each term occurs in each document (`tf`,
    parallel to the matrix's entries), so that the next generation's index is computed from
    these counts plus those of its new documents: only new texts are tokenized (`updated`).
    """

    def __init__(
        self, ids: np.ndarray, engine: bm25s.BM25, stemmer: Any | None, tf: np.ndarray | None
    ) -> None:
        self.ids = ids
        self._engine = engine
        self._stemmer = stemmer
        self._tf = tf

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
        stemmer = english_stemmer() if stem else None
        counts = _Counts.of(texts, stemmer, [])
        return cls._scored(np.asarray(ids, dtype=np.int64), counts, stemmer, k1, b)

    def updated(
        self, ids: np.ndarray, new: Mapping[int, str], *, k1: float | None = None, b: float | None = None
    ) -> LexicalIndex:
        """The index of the documents of this one whose id is in `ids` and of the `new` ones
        (id -> text; ids this index does not hold). Only the new texts are tokenized; the
        result equals `build` on all the texts (the same terms, counts and scores to the bit;
        term ids may differ)."""
        keep = np.isin(self.ids, ids)
        keys = np.concatenate([self.ids[keep], np.fromiter(new, dtype=np.int64, count=len(new))])
        return self._merged(keep, list(new.values()), keys, np.sort(keys), k1, b)

    def _merged(
        self, keep: np.ndarray, texts: Sequence[str], keys: np.ndarray, ids: np.ndarray,
        k1: float | None = None, b: float | None = None,
    ) -> LexicalIndex:
        """This index's documents where `keep`, then `texts`, ordered by `keys` (stably), with `ids`."""
        counts = self._counts()
        added = _Counts.of(texts, self._stemmer, counts.terms)
        return self._scored(ids, counts.merged(keep, added, keys), self._stemmer, k1, b)

    @classmethod
    def _scored(
        cls, ids: np.ndarray, counts: _Counts, stemmer: Any | None, k1: float | None, b: float | None
    ) -> LexicalIndex:
        engine, tf = counts.bm25(BM25_K1 if k1 is None else k1, BM25_B if b is None else b)
        return cls(ids, engine, stemmer, tf)

    def _counts(self) -> _Counts:
        """This index's term counts, from its score matrix's layout and `tf`."""
        if self._tf is None:
            raise ValueError("this index was saved without its term counts")
        scores = self._engine.scores
        indptr = np.asarray(scores["indptr"])
        doc = np.asarray(scores["indices"], dtype=np.int32)
        tf = np.asarray(self._tf)
        vocabulary = self._engine.vocab_dict
        terms = [""] * (len(indptr) - 1)
        for term, n in vocabulary.items():
            if n < len(terms):  # bm25s's empty term "" comes last, with no postings
                terms[n] = term
        term = np.repeat(np.arange(len(terms), dtype=np.int32), np.diff(indptr))
        length = np.bincount(doc, weights=tf, minlength=len(self.ids)).astype(np.int64)
        return _Counts(terms, length, term, doc, tf)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def stemmed(self) -> bool:
        return self._stemmer is not None

    def knows(self, text: str) -> bool:
        """Whether every BM25 term of `text` occurs somewhere in the indexed texts."""
        vocabulary = self._engine.vocab_dict
        return all(t in vocabulary for t in bm25_tokens(text, self._stemmer))

    def save(self, directory: Path) -> None:
        """bm25s's own files (numpy arrays and JSON), the ids and the term counts, in a new `directory`."""
        directory.mkdir()
        self._engine.save(str(directory), show_progress=False)
        np.save(directory / "ids.npy", self.ids, allow_pickle=False)
        if self._tf is not None:
            np.save(directory / "tf.npy", self._tf, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path, *, stemmed: bool) -> LexicalIndex:
        """What `save` wrote; the score matrix is memory-mapped."""
        stemmer = english_stemmer() if stemmed else None
        if stemmed and stemmer is None:
            raise CatalogFileError(f"{directory} was built with PyStemmer, which is not installed")
        engine = bm25s.BM25.load(str(directory), mmap=True, show_progress=False)
        # Plain views of the mapped arrays: bm25s slices them per query term, and slicing a numpy
        # memmap costs several times more (0.36 ms of a question's two searches).
        engine.scores = {key: np.asarray(value) if isinstance(value, np.ndarray) else value
                         for key, value in engine.scores.items()}
        tf_file = directory / "tf.npy"
        tf = np.load(tf_file, mmap_mode="r", allow_pickle=False) if tf_file.exists() else None
        return cls(np.load(directory / "ids.npy", allow_pickle=False), engine, stemmer, tf)

    @property
    def updatable(self) -> bool:
        """Whether `updated` can reuse this index's counts (catalogs before it kept them cannot)."""
        return self._tf is not None

    def search(
        self, question: str, k: int, *, question_words: bool = True, admitted: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, BM25 scores), best first, of the `k` best chunks with a positive score;
        only among the rows `admitted` (a mask over `ids`) when given."""
        words = " ".join(query_terms(question, question_words=question_words))
        vocabulary = self._engine.vocab_dict
        terms = [t for t in bm25_tokens(words, self._stemmer) if t in vocabulary]
        if not terms:  # (bm25s refuses a query none of whose terms it knows when it knows none)
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        scores = self._engine.get_scores(terms)
        if admitted is not None:
            scores = np.where(admitted, scores, 0)
        best = top_positive(scores, k)
        return self.ids[best], scores[best].astype(np.float64)

    def rows_mentioning(self, text: str, *, min_terms: int = 1, at_least: int = 1) -> np.ndarray | None:
        """The rows (positions in `ids`) of the documents that hold every index term of `text`,
        read from the posting lists, rarest term first (exact, and as cheap as the rarest term
        is rare); none once fewer than `at_least` are left; None when `text` has fewer than
        `min_terms` content words to look for."""
        terms = self.tokens(text)
        if len(terms) < max(min_terms, 1):
            return None
        indptr, indices, _ = self._postings()
        spans = [self._span(indptr, term) for term in terms]
        none = np.zeros(0, dtype=np.int64)
        if any(span is None for span in spans):
            return none
        rows: np.ndarray | None = None
        for start, end in sorted((span for span in spans if span), key=lambda span: span[1] - span[0]):
            docs = np.asarray(indices[start:end], dtype=np.int64)
            rows = docs if rows is None else np.intersect1d(rows, docs, assume_unique=True)
            if len(rows) < at_least:
                return none
        return rows

    def _postings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The score matrix's indptr, indices and data (plain arrays, or views of memory-mapped
        ones: `load`)."""
        scores = self._engine.scores
        return scores["indptr"], scores["indices"], scores["data"]

    def _span(self, indptr: np.ndarray, term: str) -> tuple[int, int] | None:
        """Where `term`'s postings lie in the indices and data; None for a term the index lacks.
        bm25s keeps no end for its last term's postings (and refuses to search for it)."""
        t = self._engine.vocab_dict.get(term)
        if t is None or t + 1 >= len(indptr):
            return None
        return int(indptr[t]), int(indptr[t + 1])

    def tokens(self, text: str) -> list[str]:
        """The index's terms of `text`'s content words (question words dropped), once each."""
        words = " ".join(query_terms(text, question_words=True))
        return list(dict.fromkeys(bm25_tokens(words, self._stemmer)))

    def term_weights(self, terms: Sequence[str], rows: np.ndarray) -> np.ndarray:
        """len(terms) x len(rows): the BM25 weight of each term in the documents at positions
        `rows` (sorted) of the index. Per term, the shorter of its posting list and `rows` is
        looked up in the other by binary search, so the cost does not grow with the collection."""
        indptr, indices, data = self._postings()
        weights = np.zeros((len(terms), len(rows)))
        if not len(rows):
            return weights
        # A rare term's few postings are found among the rows (a name in a question is in tens
        # of sentences, the candidates' rows thousands); looking up rows needs them distinct.
        distinct = bool((rows[1:] > rows[:-1]).all())
        for n, term in enumerate(terms):
            span = self._span(indptr, term)
            if span is None or span[0] == span[1]:
                continue
            start, end = span
            docs = indices[start:end]
            if distinct and len(docs) < len(rows):
                at = np.minimum(np.searchsorted(rows, docs), len(rows) - 1)
                hit = rows[at] == docs
                weights[n, at[hit]] = data[start:end][hit]
            else:
                at = np.minimum(np.searchsorted(docs, rows), len(docs) - 1)
                hit = docs[at] == rows
                weights[n, hit] = data[start + at[hit]]
        return weights

    def part_scores(self, parts: Sequence[str], chunk_ids: np.ndarray) -> np.ndarray:
        """len(parts) x len(chunk_ids): the BM25 of each part in each chunk (0 for an id this
        index does not hold); the ids of the index must be sorted, as a catalog's are."""
        rows = np.searchsorted(self.ids, chunk_ids)
        known = (rows < len(self.ids)) & (self.ids[np.minimum(rows, len(self.ids) - 1)] == chunk_ids)
        positions = np.flatnonzero(known)
        positions = positions[np.argsort(rows[positions], kind="stable")]
        terms, columns = self.part_terms(parts)
        weights = self.term_weights(terms, rows[positions])
        out = np.zeros((len(parts), len(chunk_ids)))
        for n, own in enumerate(columns):
            out[n, positions] = weights[own].sum(axis=0)
        return out

    def part_terms(self, parts: Sequence[str]) -> tuple[list[str], list[list[int]]]:
        """Every term of `parts` once (parts share most terms: each is looked up once), and the
        positions of each part's terms in that list."""
        tokens = [self.tokens(part) for part in parts]
        terms = list(dict.fromkeys(t for ts in tokens for t in ts))
        column = {t: n for n, t in enumerate(terms)}
        return terms, [[column[t] for t in ts] for ts in tokens]


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
        sentences, chunk_of = _sentences(np.asarray(ids).tolist(), texts)
        return cls(LexicalIndex.build(np.arange(len(sentences)), sentences), chunk_of)

    def updated(self, ids: np.ndarray, new: Mapping[int, str]) -> SentenceIndex:
        """The index of the sentences of this one's chunks whose id is in `ids` and of the `new`
        chunks (id -> text); as `LexicalIndex.updated`, equal to `build` on all the texts."""
        keep = np.isin(self._chunk_of, ids)
        sentences, chunk_of = _sentences(list(new), list(new.values()))
        keys = np.concatenate([self._chunk_of[keep], chunk_of])
        index = self._index._merged(keep, sentences, keys, np.arange(len(keys)))
        return SentenceIndex(index, np.sort(keys, kind="stable"))

    @property
    def updatable(self) -> bool:
        return self._index.updatable

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

    @property
    def chunk_of(self) -> np.ndarray:
        """The chunk id of each sentence, in the index's order (sorted by chunk id)."""
        return self._chunk_of

    def rows_mentioning(self, text: str, *, min_terms: int = 1, at_least: int = 1) -> np.ndarray | None:
        """The sentences (rows) that hold every index term of `text`
        (`LexicalIndex.rows_mentioning`)."""
        return self._index.rows_mentioning(text, min_terms=min_terms, at_least=at_least)

    def part_scores(self, parts: Sequence[str], chunk_ids: np.ndarray) -> np.ndarray:
        """len(parts) x len(chunk_ids): for each part, the chunk's best BM25 over a window of two
        adjacent sentences, each term counted once per window (a fact often needs the sentence
        before it for its subject: "It was his decision, she said.")."""
        starts = np.searchsorted(self._chunk_of, chunk_ids)
        ends = np.searchsorted(self._chunk_of, chunk_ids, side="right")
        out = np.zeros((len(parts), len(chunk_ids)))
        if not (ends > starts).any():
            return out
        counts = ends - starts
        owner = np.repeat(np.arange(len(chunk_ids)), counts)
        # Each chunk's sentence rows, starts[i] .. ends[i] - 1, one after another.
        rows = np.arange(len(owner)) + np.repeat(starts - (np.cumsum(counts) - counts), counts)
        order = np.argsort(rows, kind="stable")  # posting lists are searched in row order
        terms, columns = self._index.part_terms(parts)
        weights = np.zeros((len(terms), len(rows)))
        weights[:, order] = self._index.term_weights(terms, rows[order])
        same_chunk_next = np.r_[owner[1:] == owner[:-1], False]
        windows = np.maximum(weights, np.where(same_chunk_next, np.roll(weights, -1, axis=1), 0.0))
        for n, own in enumerate(columns):
            if own:
                np.maximum.at(out[n], owner, windows[own].sum(axis=0))
        return out

    def search(
        self, question: str, k: int, *, question_words: bool = True, admitted: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, best sentence score) of the chunks holding the `k` best sentences, best
        first; only among the sentences `admitted` (a mask over the sentences) when given."""
        rows, scores = self._index.search(question, k, question_words=question_words, admitted=admitted)
        if not len(rows):
            return rows, scores
        chunks = self._chunk_of[rows]
        # Rows come best first, so the first time a chunk appears carries its best sentence.
        _, first = np.unique(chunks, return_index=True)
        first.sort()
        return chunks[first], scores[first]


def _sentences(ids: Sequence[int], texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The sentences of the chunks `ids` with `texts`, in order, and the chunk id of each."""
    sentences: list[str] = []
    chunk_of: list[int] = []
    for chunk_id, text in zip(ids, texts, strict=True):
        for start, end in sentence_spans(text):
            sentences.append(text[start:end])
            chunk_of.append(chunk_id)
    return sentences, np.array(chunk_of, dtype=np.int64)


@dataclass(frozen=True)
class _Counts:
    """How often each term occurs in each document of a BM25 index: what its scores are
    computed from, one entry per (term, document) pair that occurs, in any order."""

    terms: list[str]  # term id -> term
    length: np.ndarray  # tokens per document (int64)
    term: np.ndarray  # per (term, document) pair: the term's id
    doc: np.ndarray  # the document's row
    tf: np.ndarray  # how often the term occurs in the document

    @classmethod
    def of(cls, texts: Sequence[str], stemmer: Any | None, terms: Sequence[str]) -> _Counts:
        """The `bm25_tokens` counts of `texts`; term ids continue those of `terms` (new terms are
        appended). Each distinct word is looked at once (half the time of `bm25_tokens` per text
        on news), and the pairs are counted COUNT_BATCH documents at a time."""
        terms = list(terms)
        vocabulary = {t: n for n, t in enumerate(terms)}
        words: dict[str, int] = {}  # word -> its term's id, -1 for a word that is dropped

        def term_id(word: str) -> int:
            if not is_term(word):
                return -1
            stemmed = stemmer.stemWord(word) if stemmer is not None else word
            n = vocabulary.get(stemmed)
            if n is None:
                n = vocabulary[stemmed] = len(terms)
                terms.append(stemmed)
            return n

        lengths: list[int] = []
        pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # per batch: terms, documents, counts
        for start in range(0, len(texts), COUNT_BATCH):
            flat: list[int] = []
            for text in texts[start : start + COUNT_BATCH]:
                before = len(flat)
                for word in WORD.findall(text.casefold()):
                    t = words.get(word)
                    if t is None:
                        t = words[word] = term_id(word)
                    if t >= 0:
                        flat.append(t)
                lengths.append(len(flat) - before)
            docs = np.arange(start, len(lengths), dtype=np.int64)
            keys, counts = np.unique(
                np.repeat(docs, lengths[start:]) << 32 | np.array(flat, dtype=np.int64), return_counts=True
            )
            pairs.append(((keys & 0xFFFFFFFF).astype(np.int32), (keys >> 32).astype(np.int32), counts))
        empty = np.zeros(0, dtype=np.int32)
        term, doc, tf = (np.concatenate([empty, *(p[n] for p in pairs)]) for n in range(3))
        return cls(terms, np.array(lengths, dtype=np.int64), term, doc, tf)

    def merged(self, keep: np.ndarray, added: _Counts, keys: np.ndarray) -> _Counts:
        """The documents of these counts where `keep`, then those of `added` (whose terms extend
        these), reordered by `keys` (one per resulting document, sorted stably)."""
        order = np.argsort(keys, kind="stable")
        row = np.empty(len(keys), dtype=np.int64)
        row[order] = np.arange(len(keys))
        kept = int(keep.sum())
        old_row = np.full(len(self.length), -1, dtype=np.int64)
        old_row[keep] = row[:kept]
        pair_kept = keep[self.doc]
        return _Counts(
            added.terms,
            np.concatenate([self.length[keep], added.length])[order],
            np.concatenate([self.term[pair_kept], added.term]),
            np.concatenate([old_row[self.doc[pair_kept]], row[kept + added.doc]]).astype(np.int32),
            np.concatenate([self.tf[pair_kept], added.tf]),
        )

    def bm25(self, k1: float, b: float) -> tuple[bm25s.BM25, np.ndarray]:
        """A bm25s index (method "lucene") of these counts, and the counts in its matrix's order.

        The same arithmetic as bm25s's own `index`, vectorized: the same scores to the bit
        (tests/test_retrieval.py compares them). Terms no document holds any more are dropped.
        """
        n = len(self.length)
        df = np.bincount(self.term, minlength=len(self.terms))
        used = df > 0
        term = (np.cumsum(used) - 1).astype(np.int32)[self.term]
        terms = [t for t, u in zip(self.terms, used.tolist(), strict=True) if u]
        # idf with Python's math.log for each distinct document frequency, as bm25s computes it.
        dfs, which = np.unique(df[used], return_inverse=True)
        idf = np.array([math.log(1 + (n - d + 0.5) / (d + 0.5)) for d in dfs.tolist()])[which]
        average = self.length.mean() if self.length.any() else 1.0  # (no pairs to score otherwise)
        norm = k1 * ((1 - b) + b * self.length / average)
        tf = self.tf.astype(np.float64)
        scores = (idf.astype(np.float32)[term] * (tf / (norm[self.doc] + tf))).astype(np.float32)
        order = np.argsort(term.astype(np.int64) << 32 | self.doc)  # by term, then document (unique pairs)
        engine = bm25s.BM25(k1=k1, b=b, method="lucene")
        engine.scores = {
            "data": scores[order],
            "indices": self.doc[order].astype(np.int32),
            "indptr": np.concatenate([[0], np.cumsum(np.bincount(term, minlength=len(terms)))]).astype(
                np.int64
            ),
            "num_docs": n,
        }
        engine.vocab_dict = {t: i for i, t in enumerate([*terms, ""])}  # bm25s's empty term last
        engine.unique_token_ids_set = set(engine.vocab_dict.values())
        engine.nonoccurrence_array = None  # only bm25s's BM25L and BM25+ use one
        tf_counts = self.tf[order]
        return engine, tf_counts.astype(np.min_scalar_type(int(tf_counts.max(initial=0))))


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
    def build(cls, rows: Sequence[tuple[Any, ...]], previous: Catalog | None = None) -> Catalog:
        """From `CatalogRow`s (or tuples of that shape: the texts may be left out).

        When the rows carry texts, the BM25 indexes (chunks with their headline context, and
        single sentences of the chunk texts up to SENTENCE_INDEX_MAX_CHUNKS chunks) are built too.
        With `previous` (the catalog of the generation the rows follow, checked, and `reusable`),
        only the rows of chunks it does not hold need texts: the BM25 indexes keep its counts
        for the others and tokenize only the new texts, so that publishing a small change costs
        in proportion to it. The result is the same as without `previous`.
        """
        chunks = sorted((CatalogRow(*r) for r in rows), key=lambda r: r.chunk_id)
        ids = np.array([r.chunk_id for r in chunks], dtype=np.int64)
        if previous is not None and not previous.reusable(len(chunks)):
            raise ValueError("the previous catalog cannot be updated; build from every text")
        new = chunks if previous is None else [chunks[i] for i in np.flatnonzero(~np.isin(ids, previous.ids))]
        texts = bool(chunks) and all(r.lexical_text is not None and r.text is not None for r in new)
        lexical = sentences = None
        if texts and previous is not None and previous.lexical is not None:
            lexical = previous.lexical.updated(ids, {r.chunk_id: str(r.lexical_text) for r in new})
            if previous.sentences is not None and len(chunks) <= SENTENCE_INDEX_MAX_CHUNKS:
                sentences = previous.sentences.updated(ids, {r.chunk_id: str(r.text) for r in new})
        elif texts:
            lexical = LexicalIndex.build(ids, [str(r.lexical_text) for r in chunks])
            if len(chunks) <= SENTENCE_INDEX_MAX_CHUNKS:
                sentences = SentenceIndex.build(ids, [str(r.text) for r in chunks])
        articles = {a: n for n, a in enumerate(dict.fromkeys(r.article_id for r in chunks))}
        sources = {s: n for n, s in enumerate(dict.fromkeys(r.source for r in chunks if r.source))}
        return cls(
            ids=ids,
            article=np.array([articles[r.article_id] for r in chunks], dtype=np.int64),
            source=np.array([sources[r.source] if r.source else -1 for r in chunks], dtype=np.int64),
            day=np.array(
                [r.published.date().toordinal() if r.published else -1 for r in chunks], dtype=np.int64
            ),
            published=np.array(
                [r.published.timestamp() if r.published else np.nan for r in chunks], dtype=np.float64
            ),
            article_ids=tuple(articles),
            sources=tuple(sources),
            lexical=lexical,
            sentences=sentences,
        )

    def reusable(self, chunks: int) -> bool:
        """Whether `build` can update this catalog's BM25 indexes into those of `chunks` chunks:
        they were saved with their term counts, stemmed as now, and the sentence index is there
        if that many chunks get one."""
        if self.lexical is None or not self.lexical.updatable:
            return False
        if self.lexical.stemmed != (english_stemmer() is not None):
            return False
        return chunks > SENTENCE_INDEX_MAX_CHUNKS or (self.sentences is not None and self.sentences.updatable)

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

    def knows(self, text: str) -> bool:
        """Whether the archive mentions every term of `text` somewhere (True without a lexical index)."""
        return self.lexical is None or self.lexical.knows(text)

    def outlets_mentioning(self, text: str) -> frozenset[str] | None:
        """The outlets of the chunks that hold every BM25 term of `text` (with their headlines);
        None when that cannot be told: no lexical index, or no content word in `text`."""
        if self.lexical is None or (rows := self.lexical.rows_mentioning(text)) is None:
            return None
        mine = self.rows_of(self.lexical.ids[rows])
        return frozenset(self.sources[n] for n in np.unique(self.source[mine[mine >= 0]]) if n >= 0)

    def boilerplate(self, sentence: str, source: str | None) -> bool:
        """Whether `sentence` is its outlet `source`'s boilerplate: it has BOILERPLATE_TERMS or
        more terms and one sentence of each of BOILERPLATE_ARTICLES or more of the outlet's
        articles holds them all ("Engadget has been testing and reviewing consumer tech since
        2004.", a newsletter's sign-up line, "This helps support our journalism."), the articles
        of its other sections (`outlet_short_name`: "FOX News - Health", "FOX News - Lifestyle")
        counted too. What an outlet prints in article after article is its page, not its news;
        but a quotation is someone's words, however often an outlet repeats them. False without
        a sentence index or an outlet. Memoised (answers look at the same articles again and
        again)."""
        if self.sentences is None or source not in self.sources or _QUOTATION.search(sentence):
            return False
        key = (sentence, source)
        found = self._boilerplate_memo.get(key)
        if found is None:
            if len(self._boilerplate_memo) >= BOILERPLATE_MEMO:
                self._boilerplate_memo.clear()
            rows = self.sentences.rows_mentioning(
                sentence, min_terms=BOILERPLATE_TERMS, at_least=BOILERPLATE_ARTICLES
            )
            found = False
            if rows is not None and len(rows):
                mine = self._sentence_rows[rows]
                mine = mine[mine >= 0]
                mine = mine[self.source[mine] >= 0]
                mine = mine[self._outlet[self.source[mine]] == self._outlet[self.sources.index(source)]]
                found = len(np.unique(self.article[mine])) >= BOILERPLATE_ARTICLES
            self._boilerplate_memo[key] = found
        return found

    @cached_property
    def _boilerplate_memo(self) -> dict[tuple[str, str], bool]:
        return {}

    @cached_property
    def _outlet(self) -> np.ndarray:
        """Each source's outlet: the first source of its short name (`outlet_short_name`)."""
        first: dict[str, int] = {}
        outlets = [first.setdefault(outlet_short_name(s).casefold(), n) for n, s in enumerate(self.sources)]
        return np.array(outlets, dtype=np.int64)

    def rows_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Row index of each chunk id (-1 for ids not in this catalog)."""
        rows = np.searchsorted(self.ids, chunk_ids)
        rows = np.minimum(rows, len(self.ids) - 1)
        return np.where(self.ids[rows] == chunk_ids, rows, -1) if len(self.ids) else rows - 1

    def positions(self, rows: np.ndarray) -> np.ndarray:
        """Each row's place in its article: 0 for the article's first chunk (an article's chunks
        have consecutive ids, in text order)."""
        return rows - self._first_rows[self.article[rows]]

    def article_rows(self, articles: Sequence[int]) -> np.ndarray:
        """The rows of every chunk of `articles` (indexes into `article_ids`), article by article."""
        spans = [np.arange(self._first_rows[a], self._first_rows[a] + self._sizes[a]) for a in articles]
        rows = np.concatenate(spans) if spans else np.zeros(0, dtype=np.int64)
        owners = np.repeat(np.asarray(articles, dtype=np.int64), [len(s) for s in spans])
        return rows[self.article[rows] == owners]

    def lexical_admitted(self, admitted: np.ndarray) -> np.ndarray:
        """`admitted`, a mask over this catalog's rows, as a mask over its lexical index's rows
        (for `LexicalIndex.search`)."""
        return _read_through(self._lexical_rows, admitted)

    def sentences_admitted(self, admitted: np.ndarray) -> np.ndarray:
        """`admitted`, a mask over this catalog's rows, as a mask over its sentence index's
        sentences (for `SentenceIndex.search`)."""
        return _read_through(self._sentence_rows, admitted)

    @cached_property
    def _sentence_rows(self) -> np.ndarray:
        """This catalog's row of the chunk of each sentence of its sentence index (-1 for a
        chunk it lacks)."""
        if self.sentences is None:
            return np.zeros(0, dtype=np.int64)
        return self.rows_of(self.sentences.chunk_of)

    @cached_property
    def _lexical_rows(self) -> np.ndarray:
        """This catalog's row of each row of its lexical index (-1 for a chunk it lacks)."""
        return self.rows_of(self.lexical.ids) if self.lexical is not None else np.zeros(0, dtype=np.int64)

    @cached_property
    def _sizes(self) -> np.ndarray:
        return np.bincount(self.article, minlength=len(self.article_ids))

    @cached_property
    def _first_rows(self) -> np.ndarray:
        first = np.zeros(len(self.article_ids), dtype=np.int64)
        articles, rows = np.unique(self.article, return_index=True)
        first[articles] = rows
        return first

    @cached_property
    def newest_year(self) -> int | None:
        known = self.day[self.day > 0]
        return date.fromordinal(int(known.max())).year if len(known) else None


def _read_through(rows: np.ndarray, admitted: np.ndarray) -> np.ndarray:
    """`admitted`, a mask over a catalog's rows, read through `rows` (a catalog row for each
    entry of an index, -1 where the catalog lacks its chunk, which is never admitted)."""
    return (rows >= 0) & admitted[np.maximum(rows, 0)]
