"""Settings: one frozen dataclass with defaults. Environment variables are read by the CLI and app only."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import SettingsError

DEFAULT_INDEX_DIR = "qa-index"
DEFAULT_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Ranking:
    """How retrieval weighs dense and lexical evidence and the question's outlets and dates.

    Tuned on the MultiHop-RAG dev questions with bench/retrieval.py; see the README's table.

    Attributes:
        dense_depth, lexical_depth, sentence_depth: candidates taken from each list.
        dense, lexical, sentence: weights of the cosine, the chunk's BM25 and its best
            sentence's BM25 (each BM25 divided by the question's best).
        source, day, month, latest: bonuses for a named outlet, a named day (±1), a named month,
            and recency when the question asks for the latest.
        question_words: drop the words that frame a news question from the BM25 query.
        part, cover, cover_depth: the result list of a question of several parts
            (`qa.query.question_parts`, `qa.ranking.cover`): the weight of a chunk's best match
            to any one part, the weight of the parts it matches beyond the chunks listed before
            it, and how many fused candidates (after the per-article cap) are considered
            (100: all-evidence@10 0.487 -> 0.496 over 60).
        outlet_share: a question naming n >= 2 outlets lists at most ceil(outlet_share * k / n)
            passages of one named outlet while others are left (all-evidence@10 0.471 -> 0.487
            on the dev questions; 0.8, 1.2 and 1.5 did less).
        rerank, rerank_depth: put the first `rerank_depth` fused candidates (after the per-article
            cap) in order with the learned model of `qa.rerank` instead of the fused score and
            `part`/`cover`/`outlet_share`, which then serve only with `rerank` off.
        rerank_articles: the other chunks of the first this many articles among those candidates
            are re-ranked with them (`qa.ranking._candidates`).
        rerank_model: a model file bench/train_reranker.py wrote (trained on your own questions);
            None: the one shipped in qa/models.
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
    part: float = 0.6
    cover: float = 0.5
    cover_depth: int = 100
    outlet_share: float = 1.0
    rerank: bool = True
    rerank_depth: int = 100
    rerank_articles: int = 20
    rerank_model: str | None = None


@dataclass(frozen=True)
class AnswerWeights:
    """How an extractive answer scores, picks and cites sentences (qa/answer.py).

    Calibrated on the MultiHop-RAG dev questions with bench/answers.py.

    Attributes:
        passages: passages an answer draws sentences from when no `k` is given (at least).
        per_article: passages from one article for an answer (at least).
        embed_budget: sentences embedded per question after the lexical first pass: the
            query-time cost. A question of fewer than `few_terms` key terms embeds
            `few_terms_factor` times as many (the lexical pass has little to go on).
        min_confidence: abstain below this confidence (the best sentence's score). Every
            MultiHop-RAG dev null question names an outlet the archive does not hold and is
            abstained on for that (`Archive.unknown_names`), so the threshold serves the
            questions that name nothing unknown: at 0.69, 0.016 of the answerable dev questions
            abstain (0.021 at 0.70, 0.012 at 0.68; bench/answers.py --cross-fitted), and 0.78 of
            the off-archive natural questions (bench/natural-questions.json; two of them score
            0.687, so 0.68 would answer them).
        lexical: weight of a sentence's idf-weighted share of the question's key terms.
        focus: weight of its similarity to the question's focus (see `answer.focus_of`).
        prior, shortlist_prior: weights of the passage-rank prior 1/sqrt(1 + rank) in the score
            and in the lexical first pass.
        context_terms: how much a key term counts when found only in the title or outlet.
        phrase: for a question of several parts (`qa.answer.answered_by_model`), how much each
            two key terms that a sentence writes one after the other as the question does
            (`qa.query.key_phrases`) add to its lexical share, times the lighter term's weight: a
            claim's "background check process" in those words. Dev answers citing every gold
            fact, fold models retrained with it: 0.368 -> 0.382 (bench/answers.py
            --cross-fitted); with stop 35's fold models, 0.364 / 0.373 / 0.385 / 0.378 at 0 /
            0.25 / 0.5 / 1. A question of one part gets none: it writes its premise so, and what
            repeats it does not answer it (natural questions 0.856 -> 0.846 with phrases,
            off-archive abstained 0.778 -> 0.722).
        per_named: sentences for each outlet or date a question names: a comparison of two
            reports shows two from each side (fact-level evidence 0.70 with one, 0.75 with two).
        relative_floor: a sentence scoring below this share of the best one is not said.
        spread_floor: a question naming fewer than two outlets or dates takes one sentence from
            each article first, but only sentences scoring at least this share of the best: the
            leading article's second sentence beats another article's weak one ("Mr. Irrelevant
            is the nickname given to the final pick" after the lead, rather than an unrelated
            article's; natural questions 0.847 -> 0.857 with 0.7, 0.8 or 0.9; no dev answer
            changes).
        part_margin, part_floor, part_lexical, part_room: a question of several parts
            (`qa.query.question_parts`): a part that the chosen sentences leave open gets the
            sentence that matches it best, its cosine to the part plus `part_lexical` times its
            idf-weighted share of the part's key terms, when that match beats every chosen
            sentence's by `part_margin` and the sentence scores at least `part_floor` of the
            best one; such sentences may take the answer `part_room` past twice
            `answer_sentences`. A part is often one report's fact, far from the question as a
            whole. Dev, with `article_chunks`: answers citing every gold fact 0.263 matching by
            key terms alone (margin 0.2), 0.274 by meaning (margin 0.05; 0.272 at 0.1), 0.281
            with `part_room` 1 (0.284 with 2; 5.34 sentences per answer against 5.04).
        clause_shortlist, clause_lexical: a question naming several outlets says what each
            reported (`qa.query.outlet_clauses`); each outlet's `clause_shortlist` sentences
            that hold most of its claim's key terms are embedded, and its sentence of the best
            cosine to the claim plus `clause_lexical` times that share is said first, so that
            each side's report is cited (dev answers citing every gold fact 0.240 -> 0.254,
            comparisons 0.350 -> 0.383; citing one 0.792 -> 0.797).
        leads: articles offered as leads when the archive abstains.
        kind: added to a sentence's rank (never to the confidence) when it holds the kind of
            answer the question asks for (`qa.answer.fits_kind`) and its article mentions what
            the question names (`qa.answer.articles_about`); tuned on the natural questions
            (bench/natural-questions.json) and the MultiHop-RAG dev questions together: natural
            questions answered 0.724 / 0.770 / 0.793 / 0.793 / 0.793 at 0.05 / 0.1 / 0.25 / 0.3 /
            0.4, dev answers citing a gold fact 0.789 at 0.1 and 0.783 at 0.3 (before the
            per-outlet retrieval share; with it, 0.805 and 0.796 at 0.3).
        kind_shortlist: the lexically best this many sentences that hold the kind of answer
            asked for are embedded too, beyond `embed_budget` (the answer often names its
            subject only as "The company", so the lexical pass ranks it low).
        lede_chars: a sentence starting within this many characters of its article is its lede.
        lead_chunks: chunks next to the best article's passages added to an answer's passages.
        latest_articles, latest_floor, latest_coverage, latest_per_day: "the latest on X" starts
            from one article (`qa.answer.latest_article`), chosen among the best
            `latest_articles` articles (their best passage each): the best one, and those whose
            passage holds at least `latest_coverage` of X's key terms and scores at least
            `latest_floor` of the best. Of these, the one of the highest share of the best score
            plus `latest_per_day` for each day it is newer wins: within ten days of each
            other the better match may win, beyond it the newer one does. Its best passage joins
            the answer's passages with its lede's chunk and the chunk next to it. Natural
            "latest" questions (23 in bench/natural-questions.json, scored right only when an
            expected article leads the answer), the expected article chosen: 16 + 3 of the 19
            the rule was first set on and 4 written after, with 0.02-0.04 a day and a floor of
            0.75-0.8; 16 + 1 with 0.01 a day and a floor of 0.5-0.8 (the first setting); 0.01 a
            day and a floor of 0.9: 12 + 1.
        chunk_articles, article_chunks: for a question that names two or more outlets or has
            two or more parts, each of the best `chunk_articles` articles of the retrieved
            passages adds its `article_chunks` other chunks of the highest BM25 for the question
            (`Archive.answer_passages`): the chunk that states a report's fact is often not the
            one retrieval ranked. All gold facts of a dev question in the answer's passages 0.451
            -> 0.531 (0.510 with 3 articles, 0.538 with 6; the adjacent chunks instead: 0.483),
            answers citing every gold fact 0.259 -> 0.265 alone. Questions of one part and
            fewer than two outlets are left as they were: with them, natural questions answered
            fell 0.828 -> 0.793.
        direct_floor: when no chosen sentence holds the kind of answer asked for, the best one
            of the leading article that does is said first, if its rank is at least this share
            of the best.
        cover_shortlist, cover_room, cover_gain, cover_floor: a question of several parts asks
            for one fact from each of several reports, and the sentence that states one often
            shares few words with the question as a whole. The `cover_shortlist` sentences that
            cover the most of the idf-weighted key terms of the question's parts (greedily: each
            adds the most weight the ones before it leave out) are embedded too, and after the
            parts are answered up to `cover_room` sentences are added the same way, each adding
            at least `cover_gain` of that weight (terms in a chosen article's title count as
            covered) and scoring at least `cover_floor` of the best
            (`qa.answer._cover_question`). Dev: answers citing every gold fact 0.286 -> 0.307,
            citing one 0.812 -> 0.846, answerable abstained 0.021 -> 0.018, 5.35 -> 6.69
            sentences an answer (gain 0.1: 0.282; gain 0.03: 0.304 at 7.5 sentences; room 2 and
            8 embedded: 0.297); natural questions unchanged (rarely of several parts).
        learned, learned_budget, learned_most, sentence_model: a question of two or more parts
            or named outlets (but not "the latest on X", `qa.answer.answered_by_model`) has
            `learned_budget` sentences embedded, and is answered with those the learned model of
            `qa.sentence_rank` puts first: each named outlet's claim and each named side first,
            one for each part or side and `answer_sentences` more, at most `learned_most`
            (`qa.answer._learned_choice`). The choice above serves the other questions; every
            question's confidence is still its best embedded sentence's score. Dev, answered
            with models that never saw the question (bench/answers.py --cross-fitted): answers
            citing every gold fact 0.341 -> 0.377, citing one 0.869 -> 0.895, answerable
            abstained 0.025 -> 0.016, natural questions unchanged (0.828), cold ask p95 85 ms.
            Embedded sentences (measured before named sides came first): 8: 0.357, 16: 0.368,
            24: 0.373, 40: 0.369 (cold p95 79 / 83 / 90 / 102 ms). On a slower machine, the
            model retrained for each budget: 16: 0.369, 20: 0.378, 24: 0.377 (citing one 0.886 /
            0.893 / 0.895; cold p95 135 / 111-150 / 167-175 ms), so 20. `learned_per_article`:
            for a question naming two or more outlets or dates, the model's next best take at
            most this many sentences of one article, so that one side's report (a liveblog's
            six mentions of a pitcher) does not fill the answer. Dev (cross-fitted), no cap ->
            3: every gold fact cited 0.369 -> 0.368, a gold fact 0.893 -> 0.888, 6.39 -> 6.34
            sentences an answer, natural questions unchanged (0.828; capping every question
            cost one: an announcement that was a timeline's fourth sentence); 2 for every
            question: 0.337, 5.85 sentences; 1: 0.226, 3.80. `learned_min_similarity`: the
            model never takes a sentence whose cosine to the question is below this; it shares
            the question's words and says nothing of it ("… remove ads later, you can make a
            one-time payment to cover the difference" for "… how did TechCrunch cover it
            later?"). Dev (cross-fitted): 18 answers lose such a sentence, no figure moves; of
            the sentences the answers chose, none below 0.15 held a gold fact, 2 of 41 below
            0.2 did (0.2: every gold fact cited 0.369 -> 0.366). `sentence_model`: a model
            file bench/train_sentences.py wrote (trained on your own questions); None:
            the one shipped in qa/models.
        outlet_passages: for each outlet the question names that none of the retrieved
            passages is from, those of its own best this many passages that mention a name the
            question gives its side are added (a second retrieval, filtered to that outlet; not
            when `ask` is given a `source`). Dev (cross-fitted), 0 -> 2: every gold fact cited
            0.369 -> 0.371, every gold fact in the passages 0.586 -> 0.590; natural questions
            unchanged. (Without the mention check, 1: 0.371, 2: 0.373, but an outlet with
            nothing on the question had its nearest review quoted as its side.)
        bridge_chunks: for a question of two or more parts that asks for a name ("Which company,
            reported by TechCrunch to …, has also …?"), when the answer from the passages found
            names one, each part is searched again with the name, and this many chunks of the
            highest BM25 join the passages, each part's best in turn (`Archive.answer_passages`;
            0: never); the answer is composed from them all. The question never writes the
            name, so the report that tells its part under it may share few of its words. Dev
            (cross-fitted), 0 -> 6: every gold fact cited 0.369 -> 0.382 (inference questions
            0.250 -> 0.284), every gold fact in the passages 0.611 -> 0.645, natural questions
            unchanged (0.855), cold `ask` p95 102 -> 123 ms (such a question is answered twice);
            9: 0.380, 12: 0.384, 3 a part (about 14): 0.384 at 136 ms. Every question of several
            parts searched again part by part: 0.375 (comparisons and temporal questions lose).
    """

    passages: int = 8
    per_article: int = 3
    embed_budget: int = 8
    few_terms: int = 4
    few_terms_factor: int = 3
    min_confidence: float = 0.69
    lexical: float = 0.75
    focus: float = 0.5
    prior: float = 0.05
    shortlist_prior: float = 0.1
    context_terms: float = 0.5
    phrase: float = 0.5
    per_named: int = 2
    relative_floor: float = 0.6
    spread_floor: float = 0.7
    part_margin: float = 0.05
    part_floor: float = 0.3
    part_lexical: float = 0.5
    part_room: int = 1
    clause_shortlist: int = 6
    clause_lexical: float = 0.5
    leads: int = 3
    kind: float = 0.3
    kind_shortlist: int = 3
    lede_chars: int = 400
    lead_chunks: int = 1
    latest_articles: int = 20
    latest_floor: float = 0.75
    latest_coverage: float = 0.75
    latest_per_day: float = 0.025
    chunk_articles: int = 4
    article_chunks: int = 2
    direct_floor: float = 0.4
    cover_shortlist: int = 10
    cover_room: int = 3
    cover_gain: float = 0.05
    cover_floor: float = 0.4
    learned: bool = True
    learned_budget: int = 20
    learned_most: int = 8
    learned_per_article: int = 3
    learned_min_similarity: float = 0.15
    outlet_passages: int = 2
    bridge_chunks: int = 6
    sentence_model: str | None = None

    def __post_init__(self) -> None:
        for name in ("embed_budget", "learned_budget", "learned_most", "learned_per_article"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)}")
        for name in ("outlet_passages", "bridge_chunks"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, not {getattr(self, name)}")


@dataclass(frozen=True)
class Settings:
    """How an archive ingests, embeds, retrieves and answers.

    Attributes:
        model: the embedding model: "all-MiniLM-L6-v2" (bundled, offline) or any
            sentence-transformers model name or local path.
        backend: "auto" (int8 ONNX for the bundled model when available, else torch), "torch" or "onnx".
        chunk_tokens: the most word pieces one embedding input may hold, headline context and
            special tokens included; chunks are sized so the model never truncates them.
        chunk_overlap: sentences repeated at the start of the next chunk.
        max_file_bytes: input files larger than this are reported and skipped.
        k: passages returned by `retrieve` by default.
        per_article: at most this many passages from one article in a result list (6: best
            Hits@10 and MRR@10 on the MultiHop-RAG dev questions among 1, 2, 3, 4, 6 and no cap).
        answer_sentences: sentences in an extractive answer.
        lock_timeout: seconds a writer waits for another writer's lock (0: fail at once).
        sentence_vectors: embed every sentence an answer may quote when it is indexed, after the
            new articles are published, so that `ask` only reads their vectors (benchmark
            archive: cold p50 / p95 140 / 174 -> 66 / 92 ms). Indexing then takes about 1.8
            times as long (199 s against 110 s); without it, `ask` embeds the sentences it
            weighs while the reader waits, and the re-ranker goes without its sentence signals
            (`qa.rerank.SENTENCE_FEATURES`). An index written before this existed gets them on
            its next `qa index` run.
        ranking: retrieval's weights (`Ranking`).
        answer: extractive answers' weights (`AnswerWeights`).
    """

    model: str = DEFAULT_MODEL
    backend: str = "auto"
    chunk_tokens: int = 256
    chunk_overlap: int = 1
    max_file_bytes: int = 50 * 1024 * 1024
    k: int = 5
    per_article: int = 6
    answer_sentences: int = 3
    lock_timeout: float = 0.0
    sentence_vectors: bool = True
    ranking: Ranking = Ranking()
    answer: AnswerWeights = AnswerWeights()

    def __post_init__(self) -> None:
        if self.backend not in ("auto", "torch", "onnx"):
            raise ValueError(f"backend must be 'auto', 'torch' or 'onnx', not {self.backend!r}")
        if not 32 <= self.chunk_tokens <= 8192:
            raise ValueError(f"chunk_tokens must be between 32 and 8192, not {self.chunk_tokens}")
        for name in ("chunk_overlap", "max_file_bytes", "k", "per_article", "answer_sentences"):
            if getattr(self, name) < (0 if name == "chunk_overlap" else 1):
                raise ValueError(f"{name} must be positive, not {getattr(self, name)}")

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Settings from QA_* environment variables (for the CLI and the app only); the
        weights (`ranking`, `answer`) are set in code.

        Raises:
            SettingsError: a variable that does not hold a value of its setting (`QA_K=abc`,
                `QA_K=0`, `QA_BACKEND=gpu`), named in the message.
        """
        env = os.environ if environ is None else environ
        defaults = cls()
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            default = getattr(defaults, f.name)
            variable = f"QA_{f.name.upper()}"
            raw = env.get(variable)
            if raw is None or dataclasses.is_dataclass(default):
                continue
            next_step = f"fix it or unset it (default {default!r})"
            try:
                values[f.name] = _parse(type(default), raw)
            except ValueError:
                kind = {int: "a whole number", float: "a number", bool: "1 or 0"}.get(
                    type(default), type(default).__name__
                )
                raise SettingsError(f"{variable}={raw!r} is not {kind}; {next_step}") from None
            try:
                cls(**{f.name: values[f.name]})
            except ValueError as exc:
                raise SettingsError(f"{variable}={raw!r}: {exc}; {next_step}") from None
        return cls(**values)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _parse(kind: type, raw: str) -> Any:
    """`raw` as a value of `kind`; a flag is 1/true/yes/on or 0/false/no/off (`bool("0")` is True)."""
    if kind is not bool:
        return kind(raw)
    word = raw.strip().lower()
    if word not in _TRUE | _FALSE:
        raise ValueError(raw)
    return word in _TRUE


def default_index_dir(environ: dict[str, str] | None = None) -> Path:
    """QA_INDEX_DIR, else ./qa-index."""
    env = os.environ if environ is None else environ
    return Path(env.get("QA_INDEX_DIR") or DEFAULT_INDEX_DIR)


DEFAULT_PORT = 7860
# The whole numbers Gradio reads from the environment as it is imported (a bad value fails
# inside its import, as a traceback naming no variable): variable -> (least, most, default).
GRADIO_NUMBERS = {
    "GRADIO_SERVER_PORT": (1, 65535, DEFAULT_PORT),
    "GRADIO_NUM_PORTS": (1, None, 100),
    "GRADIO_NODE_NUM_PORTS": (1, None, 100),
}


def gradio_port_from_env(environ: dict[str, str] | None = None) -> int:
    """GRADIO_SERVER_PORT, else 7860; call it before Gradio is imported (the CLI and the app do).

    Raises:
        SettingsError: it, or another number Gradio reads on import (GRADIO_NUM_PORTS), is not
            a whole number in its range; the message names the variable.
    """
    env = os.environ if environ is None else environ
    values = {}
    for variable, (least, most, default) in GRADIO_NUMBERS.items():
        raw = env.get(variable)
        next_step = f"fix it or unset it (default {default})"
        try:
            values[variable] = default if raw is None else int(raw)
        except ValueError:
            raise SettingsError(f"{variable}={raw!r} is not a whole number; {next_step}") from None
        if values[variable] < least or (most is not None and values[variable] > most):
            span = f"between {least} and {most}" if most else f"at least {least}"
            raise SettingsError(f"{variable}={raw!r}: must be {span}; {next_step}")
    return values["GRADIO_SERVER_PORT"]
