"""`Archive`: the public face of one index directory — add, remove, retrieve, ask, stats."""

from __future__ import annotations

import functools
import itertools
import logging
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from embeddings.encoder import Encoder, EncoderError, encode_spans, load_encoder
from embeddings.index import VectorIndex, set_search_threads
from embeddings.onnx_encoder import reopen_advice
from qa.answer import (
    SentenceVectors,
    answered_name,
    asks_for_name,
    compose_answer,
    finish_answer,
    latest_article,
    mentions,
)
from qa.catalog import Catalog
from qa.config import Settings
from qa.cpu import one_blas_thread
from qa.errors import ModelError
from qa.indexing import (
    Progress,
    chunk_settings,
    load_catalog,
    no_progress,
    reindex,
    sentences_digest,
)
from qa.llm import LLMAnswerer, LLMConfig
from qa.query import (
    AnswerKind,
    Filters,
    asked_for,
    asks_about_named,
    asks_which_first,
    check_question,
    coverage_topic,
    key_phrases,
    key_stems,
    mention_word,
    named_outlets,
    outlet_known,
    outlet_sections,
    owner_of,
    question_names,
    question_parts,
    read_hints,
    rewrite_follow_up,
    side_names,
    spelled_out,
    topic_of,
)
from qa.ranking import SentenceSource, passages_of, rank_chunk_ids, reranked_units, unit_spans
from qa.sentences import STATEMENTS_VERSION, remember_statement_spans, statement_spans
from qa.store import Generation, Store, storage_errors
from qa.types import Answer, ArchiveStats, IndexReport, Passage, Source

log = logging.getLogger(__name__)

# An article shorter than this (a few sentences) is not offered as an example question.
HEADLINE_MIN_CHARS = 300
# Chunks read at a time when looking for a name written out (`Archive._writes_out`), and the
# most read for one pair of its words: past them, the name is taken as written (a big archive
# holding both words apart in so many chunks likely writes them together too).
PHRASE_BATCH = 64
PHRASE_CHUNKS = 1024
_ACRONYM = re.compile(r"[A-Z]{2,6}")
# What makes a place's name its adjective: "Japan" -> "Japanese", "India" -> "Indian".
_ADJECTIVAL = frozenset({"n", "an", "ian", "ese", "ern", "ish", "i", "ic"})
# Words of nationality, which describe the acronym they precede ("Chinese EV").
_NATIONALITIES = frozenset(
    {
        "american", "british", "chinese", "japanese", "korean", "indian", "russian", "ukrainian",
        "israeli", "palestinian", "french", "german", "italian", "spanish", "australian", "canadian",
        "mexican", "brazilian", "african", "asian", "european", "saudi", "iranian", "turkish", "dutch",
        "swiss", "swedish", "irish", "scottish", "welsh", "english", "polish", "greek",
    }
)  # fmt: skip
# An acronym written out when the archive never writes it: two letters match too much by chance.
_SPELLED = re.compile(r"[A-Z]{3,6}")
# An acronym written with dots ("U.S."), read as the question writes it ("US").
_DOTTED = re.compile(r"\b(?:[A-Z]\.){2,}")


def _writes_phrase(phrase: frozenset[tuple[str, str]], text: str) -> bool:
    """Whether `text` writes every pair of words of `phrase` one after the other (`key_phrases`)."""
    return phrase <= key_phrases(text)


def _undot(match: re.Match[str]) -> str:
    return match.group(0).replace(".", "")


@functools.lru_cache(maxsize=16)
def _outlet_words(sources: tuple[str, ...]) -> tuple[tuple[str, frozenset[str]], ...]:
    """Each outlet with the words of its name (`_name_words`), as `_without_run_of` reads them:
    made once per archive's outlets (with a thousand, trying each on every name of a
    question took 25 ms a question)."""
    return tuple((outlet, frozenset(_name_words(outlet))) for outlet in sources)


def _name_words(text: str) -> list[str]:
    """The words of `text`, lower-cased, as a name and an outlet's name are compared."""
    return re.findall(r"\w+", text.lower())


def _without_run_of(words: list[str], outlet: str) -> list[str]:
    """`words` without the longest run of them that is `outlet`'s name ("After TechCrunch" ->
    "After") or, of two or more, part of it ("After The Independent" -> "After", for "The
    Independent - Life and Style")."""
    plain = " ".join(_name_words(outlet))
    for size in range(len(words), 0, -1):
        for i in range(len(words) - size + 1):
            run = " ".join(_name_words(" ".join(words[i : i + size])))
            if run and (run == plain or (size > 1 and re.search(rf"\b{re.escape(run)}\b", plain))):
                return words[:i] + words[i + size :]
    return words

F = TypeVar("F", bound=Callable[..., Any])


def _on_one_blas_thread(method: F) -> F:
    """A question's work with numpy's BLAS on one thread (`qa.cpu`)."""

    @functools.wraps(method)
    def wrapper(self: Archive, *args: Any, **kwargs: Any) -> Any:
        with one_blas_thread():
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _storage_errors(method: F) -> F:
    """Disk full, a read-only index or a damaged database surface as one-line StorageErrors."""

    @functools.wraps(method)
    def wrapper(self: Archive, *args: Any, **kwargs: Any) -> Any:
        with storage_errors(self.index_dir):
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


# The questions whose pooled vectors `Archive.sentence_source` keeps.
POOLED_KEPT = 256
# What `ChunkSentences` keeps at most: every chunk of an archive of about 30,000 (8,300 take 70 MB).
SENTENCE_CACHE_BYTES = 256 << 20


class ChunkSentences:
    """Each chunk's statement vectors as indexing stored them (`Store.sentence_vectors`), read
    once and kept up to `max_bytes` (the least recently used dropped first): the re-ranker reads
    about 300 chunks' vectors a question (4-5 ms from SQLite), and an archive is asked about its
    current stories again and again. A chunk id is never reused and a chunk's text never
    changes, so what is kept stays the chunk's sentences; a chunk with none stored yet is looked
    up again next time."""

    def __init__(self, max_bytes: int = SENTENCE_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._kept: OrderedDict[int, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def read(
        self, store: Store, db: sqlite3.Connection, chunk_ids: np.ndarray, dimension: int
    ) -> list[np.ndarray | None]:
        """Per chunk id, its statements' vectors (float32), or None where none are stored."""
        ids = chunk_ids.tolist()
        with self._lock:
            found = {c: self._kept[c] for c in ids if c in self._kept}
            for c in found:
                self._kept.move_to_end(c)
        missing = [c for c in ids if c not in found]
        read = {c: row.vectors for c, row in store.sentence_vectors(db, missing, dimension).items()}
        with self._lock:
            for c, vectors in read.items():
                if c not in self._kept:
                    self._kept[c] = vectors
                    self._bytes += vectors.nbytes
            while self._bytes > self.max_bytes and self._kept:
                self._bytes -= self._kept.popitem(last=False)[1].nbytes
        found |= read
        return [found.get(c) for c in ids]


class Archive:
    """A searchable archive of news articles stored in one directory.

    Args:
        index_dir: the store's directory; created when absent (unless `create=False`).
        settings: model, chunking and answer settings; defaults suit the bundled model.
        encoder: an already loaded encoder to share (its model must match the store's).
        create: when False, a missing index raises `IndexNotFoundError`.
        llm: an OpenAI-compatible endpoint for generative answers (verified; extractive when None).

    Raises:
        IndexMismatchError: the store was built with another model, dimension or format.
    """

    def __init__(
        self,
        index_dir: str | Path,
        *,
        settings: Settings | None = None,
        encoder: Encoder | None = None,
        create: bool = True,
        llm: LLMConfig | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.llm = LLMAnswerer(llm) if llm is not None else None
        with storage_errors(Path(index_dir)):
            self.store = Store(index_dir, create=create)
        self.index_dir = self.store.index_dir
        self._given_encoder = encoder
        self._vectors: tuple[int, VectorIndex, Catalog] | None = None
        self._vectors_lock = threading.Lock()
        self._pooled: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()  # `sentence_source`
        self._pooled_lock = threading.Lock()
        # `_acronym_written_out` of the catalog it was read from, per acronym.
        self._written_out: tuple[Catalog | None, dict[str, str | None]] = (None, {})

    def __repr__(self) -> str:
        return f"Archive({str(self.index_dir)!r})"

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connections and let go of the mapped FAISS file."""
        self.store.close()
        self._vectors = None

    # -- the model ---------------------------------------------------------------------------

    @cached_property
    def encoder(self) -> Encoder:
        """The embedding model, loaded on first use and checked against the store's."""
        encoder = self._given_encoder
        if encoder is None:
            backend = self.settings.backend
            recorded = self.store.recorded_model()
            if backend == "auto" and recorded and recorded[0] == self.settings.model:
                backend = "torch" if recorded[1] == "torch" else "onnx"
            try:
                encoder = load_encoder(self.settings.model, backend=backend)
            except EncoderError as exc:
                raise ModelError(str(exc)) from exc
        try:
            dimension = encoder.dimension
        except EncoderError as exc:
            raise ModelError(str(exc)) from exc
        self.store.check_model(
            encoder.name,
            encoder.backend,
            dimension,
            chunk_settings(self.settings),
            advice=reopen_advice,
        )
        return encoder

    # -- writing -----------------------------------------------------------------------------

    @_storage_errors
    def add(
        self,
        paths: Iterable[str | Path] | str | Path,
        *,
        prune: bool = False,
        progress: Progress | None = None,
        engine: str = "local",
        ray_address: str | None = None,
    ) -> IndexReport:
        """Ingest files, directories or globs: new and changed articles are (re)indexed.

        Args:
            paths: article files (WordPress REST JSON, flat JSON/JSONL, HTML, text), folders, globs.
            prune: also remove stored articles that are absent from `paths`.
            progress: called as progress(stage, done, total) during long work.
            engine: "local" (this process) or "ray" (read, chunk and encode on Ray; needs the
                `ray` extra); both write the same store.
            ray_address: with engine="ray", an existing cluster; None starts a local Ray.

        Returns:
            An IndexReport; unreadable files are listed in `problems`, never raised.
        """
        self.store.require_writable()  # before the model loads
        if isinstance(paths, (str, Path)):
            paths = [paths]
        if engine not in ("local", "ray"):
            raise ValueError(f"engine must be 'local' or 'ray', not {engine!r}")
        if engine == "ray":
            from qa.distributed import reindex_on_ray

            return reindex_on_ray(
                self.store, self.encoder, self.settings, paths=list(paths), prune=prune,
                address=ray_address, progress=progress or no_progress,
            )
        return reindex(
            self.store, self.encoder, self.settings, paths=list(paths), prune=prune,
            progress=progress or no_progress,
        )

    @_storage_errors
    def remove(self, article_ids: Sequence[str] | str) -> IndexReport:
        """Delete articles by id; unknown ids are ignored."""
        self.store.require_writable()
        if isinstance(article_ids, str):
            article_ids = [article_ids]
        return reindex(self.store, self.encoder, self.settings, remove_ids=[str(a) for a in article_ids])

    # -- sources that stay in step --------------------------------------------------------

    def sync(self, url: str, *, pages: bool | None = None, progress: Progress | None = None) -> IndexReport:
        """Bring the archive in step with a WordPress site, an RSS/Atom feed or a sitemap.

        The first sync records `url` as a source; later ones fetch only what changed since
        (new, edited, trashed or deleted posts). Articles of other sources and of files are
        never touched. `pages`: also a WordPress site's pages (None: as recorded; off at first).

        Raises:
            SyncError: the site is down or answers nonsense; nothing in the archive changed,
                and the error is recorded as the source's last error.
            ValueError: `url` is not a http(s) URL.
        """
        from qa.sync.run import sync_source

        return sync_source(
            self.store, lambda: self.encoder, self.settings, url, pages=pages,
            progress=progress or no_progress,
        )

    def sources(self) -> list[Source]:
        """The synced sources with their last sync, counts and last error."""
        from qa.sync.state import list_sources

        return list_sources(self.store.db)

    def remove_source(self, url: str) -> IndexReport:
        """Forget a synced source and remove the articles that only it lists.

        Raises:
            SyncError: no such source is recorded.
        """
        from qa.sync.run import remove_source

        return remove_source(self.store, lambda: self.encoder, self.settings, url)

    # -- reading -----------------------------------------------------------------------------

    def _vectors_for(self, db: sqlite3.Connection, generation: Generation) -> tuple[VectorIndex, Catalog]:
        """The FAISS index and the chunk catalog of `generation`, loaded once per generation."""
        with self._vectors_lock:
            if self._vectors is None or self._vectors[0] != generation.id:
                vectors = self.store.load_vectors(db, generation, self.encoder.dimension)
                self._vectors = (generation.id, vectors, self._catalog(db, generation))
            return self._vectors[1], self._vectors[2]

    def _catalog(self, db: sqlite3.Connection, generation: Generation) -> Catalog:
        """The catalog the writer saved with `generation`, or one built from the snapshot `db`
        when it is missing (an index written before catalogs were saved) or damaged."""
        return load_catalog(self.store, db, generation) or Catalog.build(self.store.chunk_catalog(db))

    @_storage_errors
    @_on_one_blas_thread
    def retrieve(
        self,
        question: str,
        k: int | None = None,
        *,
        published_after: datetime | None = None,
        published_before: datetime | None = None,
        source: str | None = None,
        per_article: int | None = None,
    ) -> list[Passage]:
        """The passages that best match `question`, best first (at most `per_article` per article).

        Raises:
            InvalidQueryError: an empty or too long question, or naive/contradictory dates.
        """
        question = check_question(question)
        k = self.settings.k if k is None else k
        if k < 1:
            raise ValueError(f"k must be positive, not {k}")
        filters = Filters(published_after, published_before, source)
        set_search_threads(1)
        with self.store.read() as db:
            generation = self.store.generation(db)
            if generation is None:
                return []
            vectors, catalog = self._vectors_for(db, generation)
            units = reranked_units(question, catalog, self.settings.ranking)
            query_vector, sentences = self.sentence_source(db, question, units)
            picked, score_of = rank_chunk_ids(
                vectors, catalog, query_vector, question,
                k=k, per_article=per_article or self.settings.per_article, filters=filters,
                ranking=self.settings.ranking, sentences=sentences,
            )
            return passages_of(self.store, db, picked, score_of)

    def sentence_source(
        self, db: sqlite3.Connection, question: str, units: Sequence[str]
    ) -> tuple[np.ndarray, SentenceSource | None]:
        """The question's vector (1 x dimension; ask() finds it in `sentence_vectors`) and the
        re-ranker's `SentenceSource` in the snapshot `db`: the `units` (`qa.ranking.reranked_units`)
        pooled from the question's own pass (`encode_spans`, no encoding more), and the chunks'
        stored sentence vectors (`chunk_sentences`). None without units: the question is not
        re-ranked."""
        if not units:
            return self.sentence_vectors.encode([question]), None
        key = (question, *units)
        with self._pooled_lock:
            pooled = self._pooled.get(key)
        if pooled is None:  # ask() retrieves for one question up to four times
            pooled = encode_spans(self.encoder, question, unit_spans(question, units))
            with self._pooled_lock:
                self._pooled[key] = pooled
                while len(self._pooled) > POOLED_KEPT:
                    self._pooled.popitem(last=False)
        self.sentence_vectors.put([question], pooled[:1])
        dimension = pooled.shape[1]
        return pooled[:1], SentenceSource(
            pooled[1:], lambda ids: self.chunk_sentences.read(self.store, db, ids, dimension)
        )

    @_storage_errors
    @_on_one_blas_thread
    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        published_after: datetime | None = None,
        published_before: datetime | None = None,
        source: str | None = None,
        previous: Sequence[str | Answer] = (),
    ) -> Answer:
        """Answer from the archive's own sentences, each cited; abstain when evidence is weak.

        Args:
            k: the number of passages the answer draws sentences from (default `answer_k`),
                before the chunks `answer_passages` adds next to the best article's.
            previous: the conversation's earlier questions, oldest first, or their Answers (each
                stands for its question as searched). A question that depends on the last one
                ("And what did China decide?") is asked with that one's names added
                (`qa.query.rewrite_follow_up`), and, when the last is an Answer to a question
                asking for a name, first with the name it gave (`qa.answer.answered_name`:
                "What did The Guardian say about him?" after "Who scored …?"); the Answer's
                `question` is then the question as searched, as it is when an acronym the
                archive never writes is written out (`_spell_out`: "GTA VI" -> "Grand Theft
                Auto VI").

        Raises:
            InvalidQueryError: an empty or too long question, or naive/contradictory dates.
            ValueError: `k` below 1.
        """
        catalog = self._current_catalog() if previous else None
        known = catalog.sources if catalog is not None else ()
        asked = [p.question if isinstance(p, Answer) else p for p in previous]
        last = previous[-1] if previous else None
        answered = answered_name(last, known) if isinstance(last, Answer) else None
        question = rewrite_follow_up(check_question(question), asked, outlets=known, answered=answered)
        question, unknown = self._spell_out(
            question, published_after=published_after, published_before=published_before, source=source
        )
        sides = self.named_sides(question)
        # A named outlet with nothing on what the question names is said to have nothing.
        unmentioned = self._unmentioned(question, sides)
        passages, composed = self._answer_passages(
            question, sides, unmentioned if asks_about_named(question) else {}, unknown,
            k=k, published_after=published_after, published_before=published_before, source=source,
        )
        filters = Filters(published_after, published_before, source)
        if not passages and filters and self.store.generation() is not None:
            # Unless a named outlet has nothing on the question, which the note says.
            outlets = outlet_sections(question, sides).values()
            if not any(all(s in unmentioned for s in of) for of in outlets):
                return Answer(question=question, text=_excluded_everything(filters), abstained=True)
        answer = composed or self._compose(question, passages, unknown)
        answer = self.llm.answer(question, passages, answer) if self.llm else answer
        return finish_answer(answer, unmentioned, sides, passages)

    def _spell_out(
        self,
        question: str,
        *,
        published_after: datetime | None,
        published_before: datetime | None,
        source: str | None,
    ) -> tuple[str, list[str]]:
        """`question`, each acronym of 3-6 capitals in it that the archive never writes ("When
        is GTA VI coming out?") written out as the passages retrieved for it name it
        (`qa.query.spelled_out`: "Grand Theft Auto VI"), and its `unknown_names` then. People
        type the acronym; an archive may only ever write the name out."""
        unknown = self.unknown_names(question)
        catalog = self._current_catalog()
        words = {w for name in unknown for w in name.split()}
        acronyms = [w for w in sorted(words) if _SPELLED.fullmatch(w) and catalog and not catalog.knows(w)]
        if not acronyms:
            return question, unknown
        passages = self.retrieve(
            question, self.answer_k, published_after=published_after, published_before=published_before,
            source=source,
        )
        texts = [p.text for p in passages]
        for acronym in acronyms:
            name = spelled_out(acronym, texts)
            if name is not None:
                question = re.sub(rf"\b{acronym}\b", name, question)
        return question, self.unknown_names(question)

    @_on_one_blas_thread
    def answer_passages(
        self,
        question: str,
        *,
        k: int | None = None,
        published_after: datetime | None = None,
        published_before: datetime | None = None,
        source: str | None = None,
    ) -> list[Passage]:
        """The passages `ask` answers from: the retrieved ones, then the chunks next to the best
        article's passages (up to `settings.answer.lead_chunks`), so that an article that answers
        the question keeps its other sentences when other articles match its words better
        ("What was agreed in Jinan?": the meeting's chunk names Jinan, the next one the 20
        memorandums it produced). For "the latest on X" that article is the latest on X
        (`qa.answer.latest_article`, among the best `settings.answer.latest_articles`): its
        lede comes first, and its chunk that the question's words find best (a roundup tells
        of X in a chunk of its own) joins them. An outlet the question names that no retrieved
        passage is from adds its own best passages (`settings.answer.outlet_passages`): a
        comparison needs each side. Then, for a question that names two or more outlets or has
        two or more parts (`qa.query.question_parts`), the chunks `_matching_chunks` adds: such a
        question takes one fact from each of several reports, and the chunk of a report that
        retrieval ranked is often not the one that states the fact asked for. Last, for a
        question about what it names ("Did TechCrunch and The Verge both report …?",
        `qa.query.asks_about_named`), the passages of the named outlets that have nothing on it
        (`unmentioned`) are put aside: they are no evidence. Then, for a question of two or
        more parts that asks for a name ("Which company, reported by TechCrunch to …, has also
        …?"), the chunks `_bridged` finds with the name an answer from these passages gives,
        unless the answer from them all would abstain where that one did not. The sentence
        vectors indexing stored for the passages are put in `sentence_vectors`, for the answer
        to read."""
        sides = self.named_sides(question)
        aside = self._unmentioned(question, sides) if asks_about_named(question) else {}
        return self._answer_passages(
            question, sides, aside, self.unknown_names(question), k=k, published_after=published_after,
            published_before=published_before, source=source,
        )[0]

    def _answer_passages(
        self,
        question: str,
        sides: Mapping[str, Sequence[str]],
        aside: Mapping[str, Sequence[str]],
        unknown: Sequence[str],
        *,
        k: int | None,
        published_after: datetime | None,
        published_before: datetime | None,
        source: str | None,
    ) -> tuple[list[Passage], Answer | None]:
        """`answer_passages`, given the question's `named_sides`, the outlets in `aside` to put
        aside and its `unknown_names` (`ask` has read them already), and the answer composed
        from those passages on the way (`_compose`), if one was."""
        weights = self.settings.answer
        passages = self.retrieve(
            question, self.answer_k if k is None else k,
            published_after=published_after, published_before=published_before, source=source,
            per_article=max(self.settings.per_article, weights.per_article),
        )
        if not passages:
            return passages, None
        if source is None and weights.outlet_passages:
            # A named outlet that retrieval left out: its own best passages that mention a name
            # the question gives its side, after the others.
            # The sections of an outlet named by their shared name are searched as one.
            have_outlets = {p.source for p in passages}
            for outlet, sections in outlet_sections(question, sides).items():
                open_sections = [s for s in sections if s not in aside]
                if open_sections and not have_outlets & set(open_sections):
                    own = self.retrieve(
                        question, weights.outlet_passages * len(sections), published_after=published_after,
                        published_before=published_before, source=outlet,
                    )
                    own = [p for p in own if p.source in open_sections and mentions(p, sides[p.source])]
                    passages += own[: weights.outlet_passages]
        lead = passages[0].article_id
        kind = asked_for(question).kind
        latest = kind == AnswerKind.LATEST
        # What a report said, or the latest on X, is told first in its lede.
        from_lede = kind in (AnswerKind.LATEST, AnswerKind.HAPPENED)
        if latest:
            # "The latest on X": the latest of the best articles on X, from its lede. Its best
            # passage joins the others with its score, so that the answer finds it the same way.
            best = self.retrieve(
                question, weights.latest_articles, published_after=published_after,
                published_before=published_before, source=source, per_article=1,
            )
            lead = latest_article(question, best, weights) or lead
            have = {p.chunk_id for p in passages}
            passages += [p for p in best if p.article_id == lead and p.chunk_id not in have]
        have = {p.chunk_id for p in passages}
        with self.store.read() as db:
            ordered = self.store.article_chunk_ids(db, lead)
            near = {
                ordered[j]
                for i, chunk_id in enumerate(ordered) if chunk_id in have
                for j in (i - 1, i + 1) if 0 <= j < len(ordered)
            }
            wanted = ([ordered[0]] if from_lede and ordered else []) + sorted(near)
            # The lede comes on top of the chunks next to its passages.
            wanted = [c for c in dict.fromkeys(wanted) if c not in have][: weights.lead_chunks + from_lede]
            if latest and (generation := self.store.generation(db)) is not None:
                # A roundup found by its headline ("… as Spurs sink Everton") tells the story in
                # a chunk of its own, which the question's words find.
                _, catalog = self._vectors_for(db, generation)
                wanted += self._best_chunks(db, catalog, topic_of(question), lead, have.union(wanted), 1)
            wanted += self._matching_chunks(db, question, passages, have.union(wanted))
            added = passages_of(self.store, db, wanted, dict.fromkeys(wanted, 0.0))
            kept = [p for p in passages + added if p.source not in aside]
            self._recall_sentences(db, kept)
        filters = Filters(published_after, published_before, source)
        return self._bridged(question, kept, filters, aside, unknown)

    def _compose(self, question: str, passages: Sequence[Passage], unknown: Sequence[str]) -> Answer:
        """The extractive answer to `question` from `passages` (`qa.answer.compose_answer`)."""
        return compose_answer(
            question, passages, self.sentence_vectors, max_sentences=self.settings.answer_sentences,
            weights=self.settings.answer, unknown_names=unknown, boilerplate=self.boilerplate(),
        )

    def _bridged(
        self,
        question: str,
        passages: list[Passage],
        filters: Filters,
        aside: Mapping[str, Sequence[str]],
        unknown: Sequence[str],
    ) -> tuple[list[Passage], Answer | None]:
        """For a question that asks for a name and has two or more parts ("Which company,
        reported by TechCrunch to …, has also …?"), each part searched again with the name the
        answer from `passages` gives (`qa.answer.answered_name`): of the chunks `passages` lack,
        within `filters`, the `settings.answer.bridge_chunks` of the highest BM25, each part's
        best in turn (its best, then its second, …), and not of an outlet put `aside`. The
        question never writes the name, so a report that tells its part of the story under
        that name shares few words with the question.

        Returns the passages with those chunks and the answer from them all; or `passages` and
        their answer, if one was composed, when no chunk was found or when the answer from them
        all abstains where theirs did not (the chunks hold the question's terms too, which
        then weigh less)."""
        n = self.settings.answer.bridge_chunks
        # "Who reported first, A or B?" asks for an outlet, which the reports' dates tell.
        if n < 1 or not passages or not asks_for_name(question) or asks_which_first(question):
            return passages, None
        hints = read_hints(question, sorted({p.source for p in passages if p.source}))
        parts = question_parts(question, hints)
        if len(parts) < 2:
            return passages, None
        draft = self._compose(question, passages, unknown)
        with self.store.read() as db:
            generation = self.store.generation(db)
            if generation is None:
                return passages, draft
            _, catalog = self._vectors_for(db, generation)
            name = answered_name(draft, catalog.sources)
            if name is None or catalog.lexical is None:
                return passages, draft
            admitted = catalog.lexical_admitted(filters.mask(catalog)) if filters else None
            have = {p.chunk_id for p in passages}
            best = []
            for part in parts:
                ids, _ = catalog.lexical.search(f"{part} {name}", n + len(have), admitted=admitted)
                best.append([c for c in ids.tolist() if c not in have])
            # Each part's best in turn, then each one's second, …
            in_turn = (c for tier in itertools.zip_longest(*best) for c in tier if c is not None)
            wanted = list(dict.fromkeys(in_turn))[:n]
            found = passages_of(self.store, db, wanted, dict.fromkeys(wanted, 0.0))
            found = [p for p in found if p.source not in aside]
            self._recall_sentences(db, found)
        if not found:
            return passages, draft
        answer = self._compose(question, passages + found, unknown)
        if answer.abstained and not draft.abstained:
            return passages, draft
        return passages + found, answer

    def _recall_sentences(self, db: sqlite3.Connection, passages: Sequence[Passage]) -> None:
        """Put the passages' sentence vectors that indexing stored (`Settings.sentence_vectors`)
        in `sentence_vectors`, so that the answer does not embed them again. A chunk's vectors
        are used only if its statements are still the ones they were embedded from. Where they
        were stored by this version's statement rules, with their spans, the statements are
        not looked for again (`remember_statement_spans`): finding them is a tenth of an ask."""
        stored = self.store.sentence_vectors(
            db, [p.chunk_id for p in passages], self.encoder.dimension, spans=True
        )
        current = self.store.meta("statements_version", db) == str(STATEMENTS_VERSION)
        for p in passages:
            if (row := stored.get(p.chunk_id)) is None:
                continue
            spans = row.spans if current and row.spans is not None else statement_spans(p.text)
            statements = [p.text[a:b] for a, b in spans]
            if sentences_digest(statements) == row.digest and len(statements) == len(row.vectors):
                self.sentence_vectors.put(statements, row.vectors)
                remember_statement_spans(p.text, spans)

    def _matching_chunks(
        self, db: sqlite3.Connection, question: str, passages: Sequence[Passage], have: set[int]
    ) -> list[int]:
        """For each of the best `settings.answer.chunk_articles` articles of `passages`, the ids
        of its `settings.answer.article_chunks` chunks outside `have` of the highest positive
        BM25 for `question`, best first; none for a question that names fewer than two outlets
        and has fewer than two parts, or without a lexical index."""
        weights = self.settings.answer
        generation = self.store.generation(db)
        hints = read_hints(question, sorted({p.source for p in passages if p.source}))
        several = len(hints.outlets) >= 2 or len(question_parts(question, hints)) >= 2
        if weights.article_chunks < 1 or generation is None or not several:
            return []
        _, catalog = self._vectors_for(db, generation)
        if catalog.lexical is None:
            return []
        wanted: list[int] = []
        for article in list(dict.fromkeys(p.article_id for p in passages))[: weights.chunk_articles]:
            wanted += self._best_chunks(db, catalog, question, article, have, weights.article_chunks)
        return wanted

    def _best_chunks(
        self, db: sqlite3.Connection, catalog: Catalog, text: str, article: str, have: set[int], n: int
    ) -> list[int]:
        """The ids of `article`'s `n` chunks outside `have` of the highest positive BM25 for
        `text` (`part_scores`), best first."""
        ids = [c for c in self.store.article_chunk_ids(db, article) if c not in have]
        if catalog.lexical is None or not ids:
            return []
        others = np.array(ids, dtype=np.int64)
        scores = catalog.lexical.part_scores([text], others)[0]
        best = np.argsort(-scores, kind="stable")[:n]
        return [int(others[i]) for i in best if scores[i] > 0]

    def unknown_names(self, question: str) -> list[str]:
        """The names `question` mentions ("Vilnius", "Queen Margrethe", "Bank of Japan") that no
        article of the archive mentions (a name of several words written as one, `_writes_out`,
        or by one of its words on its own, `_goes_by_part`; every word must be in the index, but
        a first name may be written short or long, `_writes_short_form`),
        and the outlets it names as where something was reported ("a Bloomberg article") that
        the archive holds no article of: a question about them cannot be answered from it."""
        catalog = self._current_catalog()
        if catalog is None:
            return []

        def unknown(name: str) -> bool:
            if not catalog.knows(name):
                return not self._writes_short_form(catalog, name)
            # A name cut at a possessive may go on ("Belgium Women's National Football Team"):
            # its words need not be written together.
            cut = re.search(rf"\b{re.escape(name)}['’]s\b", question) is not None
            return not (
                cut or self._writes_out(catalog, name) or self._goes_by_part(catalog, name)
                or self._writes_short_form(catalog, name)
            )

        names = [name for name in question_names(question) if unknown(name)]
        outlets = [name for name in named_outlets(question) if not outlet_known(name, catalog.sources)]
        return list(dict.fromkeys(names + outlets))

    def _writes_out(self, catalog: Catalog, name: str) -> bool:
        """Whether a chunk's headline or text writes two words of the name `name` one after the
        other (`key_phrases`; "U.S." read as "US"): the archive holds "bank" and "Japan" but
        never "Bank of Japan". Words of an outlet's name are left out of it ("After The
        Independent"); True for a name of one word, and when the index cannot tell: no content
        word to look up, or more than `PHRASE_CHUNKS` chunks hold a pair's words."""
        words = _DOTTED.sub(_undot, name).split()
        written = set(_name_words(" ".join(words)))
        for outlet, its_words in _outlet_words(catalog.sources):
            if written & its_words:  # no run of the name is the outlet's otherwise
                words = _without_run_of(words, outlet)
        words = [w for w in words if key_stems(w)]
        pairs = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
        if not pairs or catalog.lexical is None:
            return True
        for pair in pairs:
            phrase = key_phrases(pair)
            # "U.S." is no "us" in the index: the chunks are found by the longer words.
            longer = " ".join(w for w in pair.split() if len(w) > 2)
            if not phrase or self._some_chunk(catalog, longer, functools.partial(_writes_phrase, phrase)):
                return True
        return False

    def _writes_short_form(self, catalog: Catalog, name: str) -> bool:
        """Whether the archive writes a person's name, a first name and a surname, with a short
        or long form of the first ("Sir Geoff Boycott" for Geoffrey Boycott, "Alexis Ohanian"
        for Alex Ohanian): the same surname after a first name of three letters or more that
        begins the other. A place's adjective is no short form ("Japan"/"Japanese",
        "India"/"Indian")."""
        words = name.split()
        if len(words) != 2 or not all(w[:1].isupper() and w.isalpha() for w in words):
            return False
        first, rest = words
        if len(first) < 3 or not catalog.knows(rest):
            return False
        written = re.compile(rf"\b({re.escape(first[:3])}[a-z]*)\s+{re.escape(rest)}\b")

        def short_or_long(text: str) -> bool:
            for m in written.finditer(text):
                shorter, longer = sorted((m.group(1), first), key=len)
                ending = longer[len(shorter) :]
                if ending and longer.startswith(shorter) and ending not in _ADJECTIVAL:
                    return True
            return False

        return self._some_chunk(catalog, rest, short_or_long, unknown=False)

    def _goes_by_part(self, catalog: Catalog, name: str) -> bool:
        """Whether the archive writes a name of capitalised words (no "of": not "Bank of Japan")
        by one of its words on its own: its last after "the" in a chunk that holds its other
        words ("the Cubs" for the Chicago Cubs; a surname takes no "the", so "said Smith" is no
        Jane Smith), or its first when that is an acronym, next to no other capitalised word ("a
        legal case against AOG in Britain's High Court" for AOG Technics; "Henry" is no acronym).
        Inside another name the word will not do ("Northwind Capital" is no Lumina Capital), and
        neither will a word the index cannot tell about (no content word, or more than
        `PHRASE_CHUNKS` chunks hold it)."""
        words = name.split()
        if len(words) < 2 or not all(w[:1].isupper() for w in words):
            return False
        last, first = words[-1], words[0]
        # "the Cubs", or "The Cubs" opening a sentence; not a title's "Ferry: The Series".
        after_the = re.compile(rf"(\bthe|(^|[.!?][”\"’']?\s+|\n\s*)The)\s+{re.escape(last)}\b")
        # The chunk holds the name's other words too: "the Series" of baseball's World Series is
        # no Japan Series. A nationality before an acronym only describes it ("Chinese EV maker
        # Leapmotor"); the Australian Open is no "the Open" of golf.
        plain = [w for w in words if w.lower() not in _NATIONALITIES]
        held = " ".join(plain if all(_ACRONYM.fullmatch(w) for w in plain) else words)
        if self._some_chunk(catalog, held, lambda t: bool(after_the.search(t)), unknown=False):
            return True
        if not _ACRONYM.fullmatch(first):
            return False
        capital = r"[A-Z][\w'’-]*"
        beside = re.compile(rf"{capital}\s+{re.escape(first)}\b|\b{re.escape(first)}\s+{capital}")
        mention = re.compile(rf"\b{re.escape(first)}\b")

        def alone(text: str) -> bool:
            spans = ((max(0, m.start() - 40), m.end() + 40) for m in mention.finditer(text))
            return any(not beside.search(text, a, b) for a, b in spans)

        return self._some_chunk(catalog, first, alone, unknown=False)

    def _some_chunk(
        self, catalog: Catalog, looked_for: str, test: Callable[[str], bool], *, unknown: bool = True
    ) -> bool:
        """Whether the headline or text of a chunk holding the words `looked_for` passes `test`
        ("U.S." read as "US"); `unknown` when the index cannot tell (no lexical index, no content
        word, or more than `PHRASE_CHUNKS` chunks hold them)."""
        lexical = catalog.lexical
        rows = lexical.rows_mentioning(looked_for) if lexical is not None else None
        if lexical is None or rows is None:
            return unknown
        ids = lexical.ids[rows].tolist()
        with self.store.read() as db:
            for start in range(0, min(len(ids), PHRASE_CHUNKS), PHRASE_BATCH):
                batch = ids[start : start + PHRASE_BATCH]
                for p in passages_of(self.store, db, batch, dict.fromkeys(batch, 0.0)):
                    if test(_DOTTED.sub(_undot, p.title)) or test(_DOTTED.sub(_undot, p.text)):
                        return True
        return unknown and len(ids) > PHRASE_CHUNKS

    def boilerplate(self) -> Callable[[str, Passage], bool]:
        """A test of whether a sentence of a passage is its outlet's boilerplate in the published
        generation (`qa.catalog.Catalog.boilerplate`: printed in article after article, "Engadget
        has been testing and reviewing consumer tech since 2004."): an answer never quotes one.
        A sentence that names what its article's headline names is the background of a running
        story ("Sam Bankman-Fried, the founder of failed cryptocurrency exchange FTX, is on trial
        for seven counts …", in each report of his trial), not boilerplate."""
        catalog = self._current_catalog()
        if catalog is None:
            return _no_boilerplate

        def boilerplate(sentence: str, passage: Passage) -> bool:
            return catalog.boilerplate(sentence, passage.source) and not _names_headline(sentence, passage)

        return boilerplate

    def unmentioned(self, question: str) -> dict[str, tuple[str, ...]]:
        """For a question that names outlets of the archive, each named source (each section of
        an outlet named by the name they share, `qa.query.outlet_sections`) none of whose
        articles mentions any name the question gives for its side
        (`qa.query.side_names`; a name by its `mention_word`), with those names: "Did TechCrunch and
        The Verge both report that Sam Altman was fired?" gives {"The Verge": ("Sam Altman",)}
        when no Verge article mentions Altman. Read from the whole archive's word index, not
        from the passages found; an outlet given no name, or a name without a word to look
        for, is left out. An acronym is also mentioned by the name the archive writes it out as
        (`_acronym_written_out`): Fortune's article on "the Federal Trade Commission" mentions the
        FTC. Where the question asks each named outlet the same (or names one), a name it writes
        as another's ("Beyoncé's Renaissance concert film", `qa.query.owner_of`) is mentioned
        only by an outlet that writes its owner too, anywhere in the archive: The Verge,
        whose one "Renaissance" is a board game's Renaissance Europe, gives {"The Verge":
        ("Beyoncé",)}."""
        return self._unmentioned(question, self.named_sides(question))

    def _unmentioned(self, question: str, sides: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        """`unmentioned`, given the question's `named_sides`."""
        catalog = self._current_catalog()
        if catalog is None:
            return {}

        def mentions(source: str, name: str) -> bool | None:
            outlets = catalog.outlets_mentioning(mention_word(name))
            if outlets is None or source in outlets:
                return outlets is not None
            whole = self._acronym_written_out(catalog, name) if _SPELLED.fullmatch(name) else None
            return whole is not None and source in (catalog.outlets_mentioning(whole) or ())

        # An owner counts where the question asks each outlet the same ("Did Fortune and The
        # Verge both report on Beyoncé's Renaissance concert film?"), not where it gives one its
        # own claim: "… while the Fox article discusses parents using Christmas as a bribe,
        # without mentioning any threat to the NBA's Christmas dominance?".
        owned = len(set(sides.values())) == 1
        owners = {n: owner_of(question, n) for names in sides.values() for n in names} if owned else {}

        def missing(source: str, name: str) -> str | None:
            """The name of `name`'s the outlet never writes: it, or its owner."""
            if mentions(source, name) is False:
                return name
            owner = owners.get(name)
            return owner if owner is not None and mentions(source, owner) is False else None

        found: dict[str, tuple[str, ...]] = {}
        for source, names in sides.items():
            never = [missing(source, name) for name in names]
            if names and all(never):
                found[source] = tuple(dict.fromkeys(n for n in never if n))
        return found

    def _acronym_written_out(self, catalog: Catalog, acronym: str) -> str | None:
        """The name that the archive's chunks writing `acronym` write it out as
        (`qa.query.spelled_out`: "Federal Trade Commission" for FTC), read from the first
        `PHRASE_BATCH` of them (once in a chunk that also writes the acronym is enough);
        None when they write none. Remembered for the catalog's generation."""
        read_from, known = self._written_out
        if read_from is not catalog:
            known = {}
            self._written_out = (catalog, known)
        if acronym in known:
            return known[acronym]
        rows = catalog.lexical.rows_mentioning(acronym) if catalog.lexical is not None else None
        name = None
        if catalog.lexical is not None and rows is not None:
            ids = catalog.lexical.ids[rows].tolist()[:PHRASE_BATCH]
            with self.store.read() as db:
                texts = [p.text for p in passages_of(self.store, db, ids, dict.fromkeys(ids, 0.0))]
            name = spelled_out(acronym, texts, least=1)
        known[acronym] = name
        return name

    def named_sides(self, question: str) -> dict[str, tuple[str, ...]]:
        """Each outlet of the archive that `question` names, with the names it gives that
        outlet's side (`qa.query.side_names`), in the order the question names them; where it
        names nothing else, what it asks whether they covered (`qa.query.coverage_topic`)."""
        catalog = self._current_catalog()
        if catalog is None:
            return {}
        hints = read_hints(question, catalog.sources)
        sides = side_names(question, hints)
        if sides and not any(sides.values()) and (topic := coverage_topic(question, hints)):
            return dict.fromkeys(sides, (topic,))
        return sides

    def _current_catalog(self) -> Catalog | None:
        """The catalog of the published generation; None before the first."""
        with self.store.read() as db:
            generation = self.store.generation(db)
            return None if generation is None else self._vectors_for(db, generation)[1]

    @property
    def answer_k(self) -> int:
        """Passages `ask` answers from by default; the chat and `qa ask` default to it too."""
        return max(self.settings.k, self.settings.answer.passages)

    @cached_property
    def sentence_vectors(self) -> SentenceVectors:
        """Sentence embeddings for answers, cached by text for the life of this Archive."""
        return SentenceVectors(self.encoder)

    @cached_property
    def chunk_sentences(self) -> ChunkSentences:
        """The stored sentence vectors the re-ranker has read, kept for the life of this Archive."""
        return ChunkSentences()

    @_storage_errors
    def headlines(self, limit: int = 5, *, min_chars: int = HEADLINE_MIN_CHARS) -> list[str]:
        """The titles of the most recently published articles, newest first (for example
        questions); only articles of at least `min_chars` characters of text, so that test
        posts and stubs ("This is a test post!") are never offered as examples."""
        if limit < 1:
            raise ValueError(f"limit must be positive, not {limit}")
        return self.store.titles(limit, min_chars=min_chars)

    @_storage_errors
    def stats(self) -> ArchiveStats:
        """Counts and identity of the archive."""
        recorded = self.store.recorded_model()
        with self.store.read() as db:
            generation = self.store.generation(db)
            articles, chunks = self.store.stats_counts(db)
        return ArchiveStats(
            articles=articles,
            chunks=chunks,
            model=recorded[0] if recorded else self.settings.model,
            dimension=recorded[2] if recorded else 0,
            index_dir=str(self.index_dir),
            generation=generation.id if generation else None,
            updated=generation.created if generation else None,
            sources=tuple(self.store.sources()),
        )


def _excluded_everything(filters: Filters) -> str:
    """The answer when the filters leave no article to search."""
    parts = []
    if filters.published_after:
        parts.append(f"published on or after {filters.published_after.date().isoformat()}")
    if filters.published_before:
        parts.append(f"published on or before {filters.published_before.date().isoformat()}")
    if filters.source:
        parts.append(f"from {filters.source}")
    return (
        f"No article in the archive is {' and '.join(parts)}: the filters exclude every article; "
        "widen or clear them."
    )


def _no_boilerplate(sentence: str, passage: Passage) -> bool:
    """An archive with no generation yet has no boilerplate."""
    return False


def _names_headline(sentence: str, passage: Passage) -> bool:
    """Whether `sentence` names something (other than its outlet) that its article's headline
    names, by the name's last word (`qa.query.mention_word`)."""
    headline = passage.title.casefold()
    outlet = key_stems(passage.source or "")
    names = [n for n in question_names(sentence) if key_stems(n) - outlet]
    return any(mention_word(n).casefold() in headline for n in names)
