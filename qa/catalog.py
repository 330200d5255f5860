"""The retrieval catalog of one generation: per-chunk outlet, date and article arrays and the
BM25 indexes over chunks and their sentences. The writer builds and saves it when it publishes
a generation (qa/indexing.py); readers load it (qa/archive.py) and rank with it (qa/ranking.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from qa.chunking import sentence_spans
from qa.generation_files import CatalogFileError
from qa.query import WORD, bm25_tokens, english_stemmer, is_term, query_terms
from qa.store import CatalogRow

# bm25s sets its own logger to DEBUG when it is imported (above), which would print through any
# handler an application installs; put it back to the default threshold.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# Past this many chunks the per-sentence BM25 index is not built. It adds little (Hits@10 0.924
# -> 0.916 without it at 8k chunks, bench/retrieval.py) but costs the most: at 1M chunks it is
# about 8M sentences, most of the catalog's memory and build time and most of a query's time
# (bench/scale.py --retrieve-at).
SENTENCE_INDEX_MAX_CHUNKS = 200_000
# BM25 parameters: a low length normalisation suits chunks of similar size (tuned on the dev set).
BM25_K1 = 0.6
BM25_B = 0.4


class LexicalIndex:
    """BM25 over the chunks' lexical texts, in memory (bm25s), built once per generation.

    Chosen over SQLite's FTS5 bm25() on the MultiHop-RAG dev questions (bench/retrieval.py
    --engines): the same or better ranking and several times faster per query, since FTS5
    computes bm25() row by row for every chunk that matches any term of a long OR query.
    """

    def __init__(self, ids: np.ndarray, engine: bm25s.BM25, stemmer: Any | None) -> None:
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
        stemmer = english_stemmer() if stem else None
        engine = bm25s.BM25(k1=BM25_K1 if k1 is None else k1, b=BM25_B if b is None else b)
        if len(texts):
            engine.index(_tokenized(texts, stemmer), show_progress=False)
        return cls(np.asarray(ids, dtype=np.int64), engine, stemmer)

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
        """bm25s's own files (numpy arrays and JSON) and the ids, in a new `directory`."""
        directory.mkdir()
        self._engine.save(str(directory), show_progress=False)
        np.save(directory / "ids.npy", self.ids, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path, *, stemmed: bool) -> LexicalIndex:
        """What `save` wrote; the score matrix is memory-mapped."""
        stemmer = english_stemmer() if stemmed else None
        if stemmed and stemmer is None:
            raise CatalogFileError(f"{directory} was built with PyStemmer, which is not installed")
        engine = bm25s.BM25.load(str(directory), mmap=True, show_progress=False)
        return cls(np.load(directory / "ids.npy", allow_pickle=False), engine, stemmer)

    def search(self, question: str, k: int, *, question_words: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, BM25 scores), best first, of the `k` best chunks with a positive score."""
        terms = bm25_tokens(" ".join(query_terms(question, question_words=question_words)), self._stemmer)
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

    def tokens(self, text: str) -> list[str]:
        """The index's terms of `text`'s content words (question words dropped), once each."""
        words = " ".join(query_terms(text, question_words=True))
        return list(dict.fromkeys(bm25_tokens(words, self._stemmer)))

    def term_weights(self, terms: Sequence[str], rows: np.ndarray) -> np.ndarray:
        """len(terms) x len(rows): the BM25 weight of each term in the documents at positions
        `rows` (sorted) of the index; one binary search per term in its posting list, so the
        cost does not grow with the collection."""
        scores = self._engine.scores
        indptr, indices, data = scores["indptr"], scores["indices"], scores["data"]
        vocabulary = self._engine.vocab_dict
        weights = np.zeros((len(terms), len(rows)))
        for n, term in enumerate(terms):
            t = vocabulary.get(term)
            # bm25s keeps no end for its last term's postings (and refuses to search for it).
            if t is None or t + 1 >= len(indptr) or not len(rows):
                continue
            start, end = int(indptr[t]), int(indptr[t + 1])
            docs = np.asarray(indices[start:end])
            if not len(docs):
                continue
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
        out = np.zeros((len(parts), len(chunk_ids)))
        for n, part in enumerate(parts):
            out[n, positions] = self.term_weights(self.tokens(part), rows[positions]).sum(axis=0)
        return out


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

    def part_scores(self, parts: Sequence[str], chunk_ids: np.ndarray) -> np.ndarray:
        """len(parts) x len(chunk_ids): for each part, the chunk's best BM25 over a window of two
        adjacent sentences, each term counted once per window (a fact often needs the sentence
        before it for its subject: "It was his decision, she said.")."""
        starts = np.searchsorted(self._chunk_of, chunk_ids)
        ends = np.searchsorted(self._chunk_of, chunk_ids, side="right")
        out = np.zeros((len(parts), len(chunk_ids)))
        if not (ends > starts).any():
            return out
        rows = np.concatenate([np.arange(a, b) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)])
        owner = np.repeat(np.arange(len(chunk_ids)), ends - starts)
        order = np.argsort(rows, kind="stable")  # posting lists are searched in row order
        tokens = [self._index.tokens(p) for p in parts]
        terms = list(dict.fromkeys(t for ts in tokens for t in ts))
        weights = np.zeros((len(terms), len(rows)))
        weights[:, order] = self._index.term_weights(terms, rows[order])
        same_chunk_next = np.r_[owner[1:] == owner[:-1], False]
        windows = np.maximum(weights, np.where(same_chunk_next, np.roll(weights, -1, axis=1), 0.0))
        column = {t: n for n, t in enumerate(terms)}
        for n, ts in enumerate(tokens):
            if ts:
                np.maximum.at(out[n], owner, windows[[column[t] for t in ts]].sum(axis=0))
        return out

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


def _tokenized(texts: Sequence[str], stemmer: Any | None) -> bm25s.tokenization.Tokenized:
    """`bm25_tokens` of every text, as term ids and their vocabulary; each distinct word is looked
    at once (half the time of `bm25_tokens` per text on news)."""
    terms: dict[str, int] = {}  # word -> its term's id, -1 for a word that is dropped
    vocabulary: dict[str, int] = {}

    def term(word: str) -> int:
        if not is_term(word):
            return -1
        stemmed = stemmer.stemWord(word) if stemmer is not None else word
        return vocabulary.setdefault(stemmed, len(vocabulary))

    ids = []
    for text in texts:
        row = []
        for word in WORD.findall(text.casefold()):
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
    def build(cls, rows: Sequence[tuple[Any, ...]]) -> Catalog:
        """From `CatalogRow`s (or tuples of that shape: the texts may be left out).

        When the rows carry texts, the BM25 indexes (chunks with their headline context, and
        single sentences of the chunk texts up to SENTENCE_INDEX_MAX_CHUNKS chunks) are built too.
        """
        chunks = sorted((CatalogRow(*r) for r in rows), key=lambda r: r.chunk_id)
        ids = [r.chunk_id for r in chunks]
        texts = bool(chunks) and all(r.lexical_text is not None and r.text is not None for r in chunks)
        articles = {a: n for n, a in enumerate(dict.fromkeys(r.article_id for r in chunks))}
        sources = {s: n for n, s in enumerate(dict.fromkeys(r.source for r in chunks if r.source))}
        return cls(
            ids=np.array(ids, dtype=np.int64),
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
            lexical=LexicalIndex.build(ids, [str(r.lexical_text) for r in chunks]) if texts else None,
            sentences=(
                SentenceIndex.build(ids, [str(r.text) for r in chunks])
                if texts and len(chunks) <= SENTENCE_INDEX_MAX_CHUNKS
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

    def knows(self, text: str) -> bool:
        """Whether the archive mentions every term of `text` somewhere (True without a lexical index)."""
        return self.lexical is None or self.lexical.knows(text)

    def rows_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Row index of each chunk id (-1 for ids not in this catalog)."""
        rows = np.searchsorted(self.ids, chunk_ids)
        rows = np.minimum(rows, len(self.ids) - 1)
        return np.where(self.ids[rows] == chunk_ids, rows, -1) if len(self.ids) else rows - 1

    @property
    def newest_year(self) -> int | None:
        known = self.day[self.day > 0]
        return date.fromordinal(int(known.max())).year if len(known) else None


