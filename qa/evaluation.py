"""Retrieval evaluation on MultiHop-RAG-format questions, scored exactly as the benchmark scores it.

The benchmark (Tang & Yang 2024, `retrieval_evaluate.py`) calls a retrieved chunk relevant when
any gold fact of the question, with spaces and newlines removed, is a substring of the chunk's
text with spaces and newlines removed. Null queries (no evidence) are left out. Per question:

- Hits@K: a relevant chunk within the first K.
- MRR@10: 1/rank of the first relevant chunk within 10, else 0.
- MAP@10: at each rank i <= 10 whose chunk is relevant, the number of gold facts first found
  there divided by i, summed, then divided by min(number of gold facts, 10). This is the
  benchmark's own formula (not textbook average precision), kept so figures compare.

A multi-hop question is answered only when all of its evidence is found, which the benchmark's
rules do not ask. Two more measures, same relevance rule, over the distinct gold facts:

- All-evidence@10: every gold fact of the question is in some chunk of the first 10.
- Fact recall@10: the share of the question's gold facts found in the first 10.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa.errors import QAError
from qa.query import AnswerKind
from qa.types import Answer, Passage

NULL_QUERY = "null_query"

# Called as progress(done, total) after each question.
EvalProgress = Callable[[int, int], None]


class Retriever(Protocol):
    def retrieve(self, question: str, k: int | None = None) -> list[Passage]: ...


class Asker(Protocol):
    def ask(self, question: str) -> Answer: ...


@dataclass(frozen=True)
class EvalQuestion:
    """One benchmark question with its gold facts."""

    question: str
    question_type: str
    facts: tuple[str, ...]
    answer: str = ""


@dataclass(frozen=True)
class QuestionScore:
    """How one ranked list scored for one question."""

    hit_at_4: bool
    hit_at_10: bool
    reciprocal_rank: float
    average_precision: float
    first_relevant: int | None
    fact_recall: float = 0.0

    @property
    def all_evidence(self) -> bool:
        return self.fact_recall == 1.0


@dataclass(frozen=True)
class Metrics:
    """Averages over a set of questions."""

    questions: int
    hits_at_4: float
    hits_at_10: float
    mrr_at_10: float
    map_at_10: float
    all_evidence_at_10: float = 0.0
    fact_recall_at_10: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EvalReport:
    """Overall and per-question-type metrics of one run, with retrieval latency."""

    overall: Metrics
    by_type: dict[str, Metrics] = field(default_factory=dict)
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    k: int = 10

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_dict(),
            "by_type": {t: m.to_dict() for t, m in self.by_type.items()},
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p95_ms": self.latency_p95_ms,
            "k": self.k,
        }


def squeeze(text: str) -> str:
    """Text with spaces and newlines removed, as the benchmark compares it (tabs etc. are kept)."""
    return text.replace(" ", "").replace("\n", "")


def _question_records(path: Path, what: str) -> list[Any]:
    """The JSON array of a question file.

    Raises:
        QAError: the file cannot be read or is not a JSON array (`what` names what it should hold).
    """
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise QAError(f"Cannot read questions from {path}: {exc}; give a JSON array of {what}") from exc
    if not isinstance(records, list):
        raise QAError(f"{path} is not a JSON array of {what}")
    return records


def _has(record: object, key: str) -> bool:
    """Whether a question record holds `key`: the other kind of question file has its own key."""
    return isinstance(record, dict) and key in record


def load_questions(path: str | Path, *, include_null: bool = False) -> list[EvalQuestion]:
    """Questions of a MultiHop-RAG-format JSON file, null queries left out unless asked.

    Raises:
        QAError: the file cannot be read or is not a list of benchmark questions.
    """
    path = Path(path)
    records = _question_records(path, "questions (MultiHop-RAG format)")
    questions: list[EvalQuestion] = []
    for n, record in enumerate(records):
        try:
            question = EvalQuestion(
                question=str(record["query"]),
                question_type=str(record.get("question_type") or "unknown"),
                facts=tuple(str(e["fact"]) for e in record.get("evidence_list") or ()),
                answer=str(record.get("answer") or ""),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            hint = "; natural questions are scored with qa eval --answers" if _has(record, "question") else ""
            raise QAError(
                f"{path}: question {n} lacks {exc} (expected query, evidence_list[].fact){hint}"
            ) from exc
        if question.question_type == NULL_QUERY and not include_null:
            continue
        questions.append(question)
    return questions


def score_ranking(retrieved: Sequence[str], facts: Sequence[str]) -> QuestionScore:
    """Score one ranked list of chunk texts against a question's gold facts (the benchmark's rule)."""
    gold = [squeeze(f) for f in facts]
    found: list[str] = []
    first: int | None = None
    precision_sum = 0.0
    for rank, text in enumerate(retrieved[:10], start=1):
        chunk = squeeze(text)
        if not any(g in chunk for g in gold):
            continue
        if first is None:
            first = rank
        new = 0
        for g in gold:
            if g in chunk and g not in found:
                new += 1
                found.append(g)
        precision_sum += new / rank
    return QuestionScore(
        hit_at_4=first is not None and first <= 4,
        hit_at_10=first is not None,
        reciprocal_rank=1.0 / first if first else 0.0,
        average_precision=precision_sum / min(len(gold), 10) if gold else 0.0,
        first_relevant=first,
        fact_recall=len(found) / len(set(gold)) if gold else 0.0,
    )


# Where `where_missed` finds a gold fact the first 10 leave out.
LISTED = "another chunk of a listed article"
NOT_LISTED = "an article not listed"
NO_CANDIDATE = "no candidate"


def where_missed(
    order: Sequence[int], article: dict[int, int], text: dict[int, str], facts: Sequence[str]
) -> list[str]:
    """For each distinct gold fact of `facts` in no chunk of `order` (a ranking's first 10
    chunk ids, all of them candidates), where it is among the candidates the ranking chose from
    (`article`: candidate chunk id -> its article; `text`: candidate chunk id -> `squeeze`d
    text), by the benchmark's relevance rule: LISTED, when a chunk of an article `order` lists
    holds it (whether or not another article's does too); NOT_LISTED, when only other articles'
    candidates do; NO_CANDIDATE otherwise. Which of these dominate tells whether telling an
    article's chunks apart or finding more articles would find more of the evidence
    (bench/train_reranker.py prints them; bench/answers.py's `where_facts_went` does the like
    for an answer's passages and citations)."""
    listed = {article[c] for c in order}
    where = []
    for fact in dict.fromkeys(map(squeeze, facts)):
        if not fact or any(fact in text[c] for c in order):
            continue
        holders = {a for c, a in article.items() if fact in text[c]}
        where.append(LISTED if holders & listed else NOT_LISTED if holders else NO_CANDIDATE)
    return where


def summarize(scores: Sequence[QuestionScore]) -> Metrics:
    """Mean metrics over questions (all zero for none)."""
    n = len(scores)
    if not n:
        return Metrics(0, 0.0, 0.0, 0.0, 0.0)
    return Metrics(
        questions=n,
        hits_at_4=round(sum(s.hit_at_4 for s in scores) / n, 4),
        hits_at_10=round(sum(s.hit_at_10 for s in scores) / n, 4),
        mrr_at_10=round(sum(s.reciprocal_rank for s in scores) / n, 4),
        map_at_10=round(sum(s.average_precision for s in scores) / n, 4),
        all_evidence_at_10=round(sum(s.all_evidence for s in scores) / n, 4),
        fact_recall_at_10=round(sum(s.fact_recall for s in scores) / n, 4),
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; 0 for no values."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else 0.0


def report(
    questions: Sequence[EvalQuestion],
    rankings: Sequence[Sequence[str]],
    latencies_ms: Sequence[float] = (),
    k: int = 10,
) -> EvalReport:
    """Metrics of ranked chunk texts, one list per question, overall and per question type."""
    if len(questions) != len(rankings):
        raise ValueError(f"{len(questions)} questions but {len(rankings)} rankings")
    scores = [score_ranking(r, q.facts) for q, r in zip(questions, rankings, strict=True)]
    by_type: dict[str, list[QuestionScore]] = {}
    for q, s in zip(questions, scores, strict=True):
        by_type.setdefault(q.question_type, []).append(s)
    return EvalReport(
        overall=summarize(scores),
        by_type={t: summarize(by_type[t]) for t in sorted(by_type)},
        latency_p50_ms=round(percentile(latencies_ms, 50), 2),
        latency_p95_ms=round(percentile(latencies_ms, 95), 2),
        k=k,
    )


def evaluate(
    retriever: Retriever,
    questions: Sequence[EvalQuestion],
    *,
    k: int = 10,
    progress: EvalProgress | None = None,
) -> EvalReport:
    """Retrieve `k` passages for every question, time each call, and score the lists.

    Args:
        retriever: anything with `retrieve(question, k)`, normally an `Archive`.
        questions: from `load_questions`.
        k: passages per question; the metrics look at the first 10 at most.
        progress: called as progress(done, total) after each question.
    """
    if k < 1:
        raise ValueError(f"k must be positive, not {k}")
    if questions:
        retriever.retrieve(questions[0].question, k)  # warm-up: load the model and index untimed
    rankings: list[list[str]] = []
    latencies: list[float] = []
    for n, q in enumerate(questions, start=1):
        started = time.perf_counter()
        passages = retriever.retrieve(q.question, k)
        latencies.append((time.perf_counter() - started) * 1000)
        # The benchmark scores the chunk text itself, never the headline context around it.
        rankings.append([p.text for p in passages])
        if progress:
            progress(n, len(questions))
    return report(questions, rankings, latencies, k)


# Answers to natural questions: a person's question, the facts a right answer states and the
# article it must cite (bench/natural-questions.json), or an off-archive question to abstain on.
OFF_ARCHIVE = "off_archive"
_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)


@dataclass(frozen=True)
class NaturalQuestion:
    """A question as a person asks it. `expect` holds groups of alternatives: a right answer
    contains one alternative of every group and cites one of `cite_urls`. An `off_archive`
    question has no answer in the archive and should be abstained on."""

    question: str
    kind: str
    expect: tuple[tuple[str, ...], ...] = ()
    cite_urls: tuple[str, ...] = ()
    off_archive: bool = False


@dataclass(frozen=True)
class AnswerReport:
    """How answers scored: the share of questions answered right, overall and per kind, and the
    share of off-archive questions abstained on."""

    questions: int
    answered: float
    by_kind: dict[str, float]
    off_archive: int
    off_archive_abstained: float
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    misses: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_natural_questions(path: str | Path) -> list[NaturalQuestion]:
    """Questions of a natural-question file: a JSON list of {question, kind, expect, cite_url}
    or {question, off_archive: true}; `expect` is a list of strings or of lists of alternatives.

    Raises:
        QAError: the file cannot be read or a record lacks a field.
    """
    path = Path(path)
    records = _question_records(path, "natural questions")
    questions = []
    for n, record in enumerate(records):
        try:
            if record.get("off_archive"):
                questions.append(NaturalQuestion(str(record["question"]), OFF_ARCHIVE, off_archive=True))
                continue
            urls = record["cite_url"]
            questions.append(
                NaturalQuestion(
                    question=str(record["question"]),
                    kind=str(record.get("kind") or "unknown"),
                    expect=tuple(
                        (g,) if isinstance(g, str) else tuple(str(a) for a in g) for g in record["expect"]
                    ),
                    cite_urls=(urls,) if isinstance(urls, str) else tuple(str(u) for u in urls),
                )
            )
        except (KeyError, TypeError, AttributeError) as exc:
            hint = "; MultiHop-RAG questions are scored without --answers" if _has(record, "query") else ""
            raise QAError(
                f"{path}: question {n} lacks {exc} (expected question, expect, cite_url | off_archive){hint}"
            ) from exc
    return questions


def _plain(text: str) -> str:
    return _SPACES.sub(" ", text.translate(_QUOTES)).lower()


def answers_right(answer: Answer, question: NaturalQuestion) -> bool:
    """Whether `answer` states the expected facts (one alternative of each group, in its text,
    ignoring case, spacing and curly quotes) and cites an expected article (by URL, fragment
    dropped); a question of the kind "latest" must be led by one: older news below it is
    background, not the answer. An off-archive question is answered right by abstaining."""
    if question.off_archive:
        return answer.abstained
    if answer.abstained:
        return False
    text = _plain(answer.text)
    states = all(any(_plain(alt) in text for alt in group) for group in question.expect)
    urls = [_unfragmented(c.url or "") for c in answer.citations]
    cited = urls[:1] if question.kind == AnswerKind.LATEST else urls
    return states and any(_unfragmented(url) in cited for url in question.cite_urls)


def _unfragmented(url: str) -> str:
    """`url` without its fragment: a citation's links to the passage ("#:~:text=…"), and an
    article's own URL may carry one ("…/article-1001464023#utm_source=RSS")."""
    return url.split("#", 1)[0]


def evaluate_answers(
    asker: Asker, questions: Sequence[NaturalQuestion], *, progress: EvalProgress | None = None
) -> AnswerReport:
    """Ask every question, time each answer, and score them with `answers_right`."""
    if questions:
        asker.ask(questions[0].question)  # warm-up: load the model and index untimed
    right: list[bool] = []
    latencies: list[float] = []
    for n, q in enumerate(questions, start=1):
        started = time.perf_counter()
        answer = asker.ask(q.question)
        latencies.append((time.perf_counter() - started) * 1000)
        right.append(answers_right(answer, q))
        if progress:
            progress(n, len(questions))
    return answer_report(questions, right, latencies)


def answer_report(
    questions: Sequence[NaturalQuestion], right: Sequence[bool], latencies_ms: Sequence[float] = ()
) -> AnswerReport:
    """The shares of `right` answers: overall and per kind for archive questions, and the
    abstained share of off-archive ones."""
    def share(flags: list[bool]) -> float:
        return round(sum(flags) / len(flags), 4) if flags else 0.0

    kinds: dict[str, list[bool]] = {}
    for q, ok in zip(questions, right, strict=True):
        kinds.setdefault(q.kind, []).append(ok)
    off = kinds.pop(OFF_ARCHIVE, [])
    on = [ok for flags in kinds.values() for ok in flags]
    return AnswerReport(
        questions=len(on),
        answered=share(on),
        by_kind={kind: share(flags) for kind, flags in sorted(kinds.items())},
        off_archive=len(off),
        off_archive_abstained=share(off),
        latency_p50_ms=round(percentile(latencies_ms, 50), 2),
        latency_p95_ms=round(percentile(latencies_ms, 95), 2),
        misses=tuple(q.question for q, ok in zip(questions, right, strict=True) if not ok),
    )
