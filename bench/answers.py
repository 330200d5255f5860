"""Benchmark: extractive answers on the MultiHop-RAG dev questions — evidence, abstention, latency.

    python bench/answers.py [--index-dir /tmp/mh-index] [--limit N] [--json out.json] [--natural-only]
                            [--cross-fitted DIR] [--extra-outlets N]

Builds the index of the 609-article corpus first when `--index-dir` holds none (a few minutes).
Then asks every dev question twice through `Archive.ask`: once with an empty sentence cache
(cold: every sentence embedded and analysed at query time) and once in sequence with the
caches kept (warm: what a running server sees). Prints a JSON record, then a short table.

Fact-level evidence (the rule behind `cites_gold`): write norm(x) for x with all whitespace
removed. A citation *cites a gold fact* when, for one of the question's gold `fact`s F and
the cited span S (`excerpt[sentence_start:sentence_end]`), norm(F) is a substring of norm(S)
or norm(S) is a substring of norm(F) (the fact and our sentence split differ slightly). An
answer *cites every gold fact* (`cites_all_gold`) when each distinct gold fact of the question
is cited by that rule: what a multi-hop question needs. An answer *cites every gold report*
(`cites_all_reports`) when it cites each distinct article a gold fact comes from (its URL), by
any sentence: the reports a reader needs, whichever of their sentences the benchmark chose. An
answer to a question that asks for a name opens with the name its reports share when most of
them do (`qa.answer.shared_name`): the share of the questions whose gold `answer` is not yes
or no (names, mostly; a date or a number for a few) it does so for, and of those answers the
share whose name is the gold answer (one holds the other as whole words, case aside), are
printed too. The
looser `excerpt_gold` also counts norm(F) as a substring of norm(excerpt), the cited span with
a sentence of context each side. `passages_gold` and `passages_all_gold` (ceilings) ask the
same of the retrieved passages the answer was drawn from. An abstained answer cites nothing.
"Where the gold facts went" counts each distinct gold fact an answer does not cite by where it
was lost (`where_facts_went`): outside the passages, or in them, in an article the answer cites
by another sentence or in one it leaves out, embedded (a sentence the choice passed over) or not.
Null questions are left out of these shares and used for abstention.

Natural questions (bench/natural-questions.json, written by reading the corpus): questions as
a person asks them, in twelve kinds (what was agreed, who, when, how many, why, what did X say,
the latest on a story, a month or an outlet, an outlet's reporting on a story, whether two
outlets both reported something only one of them has: the answer cites that one and says the
other's articles never mention it, which of two outlets reported first: the answer opens
with both reports' dates, and how a game ended: "How did the Vikings do against the
Broncos?"), each with the facts a right answer states and the articles
that state them. A question is *answered* when the answer's text contains one alternative of
each expected group and it cites one of those articles, first for "the latest on" a story
(`qa.evaluation.answers_right`; the same figures come from `qa eval
bench/natural-questions.json --answers`).
Off-archive questions look like news questions but the archive cannot answer them: the share
abstained on is reported. bench/natural-heldout.json holds batches of the same kinds that no rule
was tuned on (`--natural bench/natural-heldout.json`): measure a change on it before looking at
its answers, and only then, if ever, move it into the tuned set.

With `--extra-outlets N` every question is asked of a copy of the index (in a temporary
directory, removed after) with N more outlets, each publishing one short article about a council
budget that no question asks about: an archive built from many feeds, whose outlet names `ask`
reads for each question. The names share words ("Harbor Courier 3", "Metro Valley Herald 10"), as
real outlets' do.

Calibration: each question's `Evidence.confidence` is recorded, and a sweep shows, per
threshold, the abstention on null and answerable questions and the evidence share that is left.
Its `recommended` threshold is the lowest that meets both abstention goals (null >= 0.6,
answerable <= 0.1) with a margin of 0.05 each, so that it loses the fewest answers. The dev null
questions are abstained on for the unknown outlet they name whatever the threshold, so
`AnswerWeights.min_confidence` in qa/config.py is set higher, for the off-archive natural
questions (its docstring says why). The figures above the sweep use it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import qa
from qa.answer import (
    WEIGHTS,
    answer_from_evidence,
    finish_answer,
    gather_evidence,
    sentences_of,
    shared_name,
)
from qa.config import Settings
from qa.evaluation import AnswerReport, evaluate_answers, load_natural_questions
from qa.query import key_stems, stem
from qa.sentences import sentence_kind, statement_spans
from qa.store import LOCK_NAME

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "multihop-rag"
NATURAL = Path(__file__).resolve().parent / "natural-questions.json"
MAX_FALSE_ABSTENTION = 0.10
MIN_NULL_ABSTENTION = 0.60
CALIBRATION_MARGIN = 0.05
_SPACE = re.compile(r"\s+")


def norm(text: str) -> str:
    """The text with all whitespace removed (the benchmark's own matching rule)."""
    return _SPACE.sub("", text)


def cites_gold(answer: qa.Answer, facts: list[str]) -> bool:
    """Whether a cited span contains a gold fact or lies inside one (see the module docstring)."""
    spans = [norm(c.excerpt[c.sentence_start : c.sentence_end]) for c in answer.citations]
    return any(f in s or s in f for f in map(norm, facts) for s in spans if s and f)


def cites_all_gold(answer: qa.Answer, facts: list[str]) -> bool:
    """Whether every distinct gold fact is cited by the rule of `cites_gold` (False for none)."""
    return bool(facts) and all(cites_gold(answer, [f]) for f in dict.fromkeys(facts))


def cites_all_reports(answer: qa.Answer, evidence: list[dict[str, Any]]) -> bool:
    """Whether the answer cites every distinct article a gold fact comes from (its URL, or its
    title when the question file gives none), by any of its sentences (False for none)."""
    cited = {c.url for c in answer.citations} | {c.title for c in answer.citations}
    reports = {e.get("url") or e.get("title") for e in evidence}
    return bool(reports) and None not in reports and reports <= cited


def names_gold(name: str, gold: str) -> bool:
    """Whether `name` is the gold answer: one holds the other as whole words, case aside
    ("Bankman-Fried", "Sam Bankman-Fried"; not "Intel", "Intelligence")."""
    name, gold = f" {qa.query.fold(name)} ", f" {qa.query.fold(gold)} "
    return bool(name.strip() and gold.strip()) and (name in gold or gold in name)


def where_facts_went(
    answer: qa.Answer, facts: list[str], passages: list[qa.Passage], embedded: list[str]
) -> list[str]:
    """For each distinct gold fact, where the answer left it: "cited"; "not in passages"; or
    in the passages but not cited, in an article the answer cites by another sentence or not
    ("cited article" / "other article"), its sentence embedded (ranked, one the answer could
    have chosen) or not ("… embedded" / "… not embedded")."""
    cited_articles = {c.article_id for c in answer.citations}
    where = []
    for fact in dict.fromkeys(facts):
        f = norm(fact)
        holders = [p for p in passages if f and f in norm(p.text)]
        if cites_gold(answer, [fact]):
            where.append("cited")
        elif not holders:
            where.append("not in passages")
        else:
            article = "cited article" if holders[0].article_id in cited_articles else "other article"
            ranked = any(e and (e in f or f in e) for e in map(norm, embedded))
            where.append(f"{article}, {'embedded' if ranked else 'not embedded'}")
    return where


def excerpt_gold(answer: qa.Answer, facts: list[str]) -> bool:
    """Whether a cited excerpt (span with context) contains a gold fact, or `cites_gold`."""
    excerpts = [norm(c.excerpt) for c in answer.citations]
    return cites_gold(answer, facts) or any(norm(f) in e for f in facts for e in excerpts)


def open_index(index_dir: Path, corpus: Path) -> qa.Archive:
    """The archive at `index_dir`, built from `corpus` when it holds no articles yet."""
    archive = qa.Archive(index_dir)
    if archive.stats().articles == 0:
        print(f"building the index at {index_dir} from {corpus} (a few minutes)", file=sys.stderr)
        report = archive.add([corpus])
        print(report.summary(), file=sys.stderr)
    return archive


# Words the extra outlets' names are made of (`with_outlets`).
PLACES = ("Metro", "Valley", "Summit", "Harbor", "River", "Coast", "Capital", "Prairie", "Lake", "North")
PAPERS = ("Herald", "Times", "Gazette", "Courier", "Post", "Chronicle", "Tribune", "Ledger", "Record", "Star")


def extra_outlets(n: int) -> list[dict[str, str]]:
    """`n` articles, each from an outlet of its own ("Valley Times 1", "Metro Valley Herald 10",
    ...), about a district council's budget."""
    articles = []
    for i in range(n):
        place = PLACES[i % len(PLACES)]
        second = PLACES[(i // len(PLACES)) % len(PLACES)]
        paper = PAPERS[(i // len(PLACES) ** 2 + i) % len(PAPERS)]
        name = f"{place} {paper} {i}" if i % 2 else f"{place} {second} {paper} {i}"
        articles.append({
            "title": f"Council of district {i} approves its budget",
            "url": f"https://outlet{i}.example.org/council-budget",
            "source": name,
            "published_at": "2023-11-15T10:00:00+00:00",
            "body": f"The council of district {i} met on Tuesday to discuss the budget for roads and "
            "parks. Members voted to approve the plan.",
        })
    return articles


@contextlib.contextmanager
def with_outlets(archive: qa.Archive, n: int) -> Iterator[qa.Archive]:
    """A copy of `archive`'s index, in a temporary directory removed afterwards, with the `n`
    `extra_outlets` added; `archive` is closed first and copied under its writer lock, so that
    the copy is whole."""
    outlets = len(archive.stats().sources)
    with tempfile.TemporaryDirectory(prefix="qa-outlets-") as work:
        copy = Path(work) / "index"
        archive.close()
        with archive.store.writer_lock(timeout=60):
            shutil.copytree(
                archive.index_dir, copy, ignore=shutil.ignore_patterns(LOCK_NAME),
                copy_function=shutil.copyfile,  # writable, though the index may not be
            )
        articles = Path(work) / "outlets.json"
        articles.write_text(json.dumps(extra_outlets(n)), encoding="utf-8")
        with qa.Archive(copy, settings=archive.settings, encoder=archive.encoder) as extended:
            started = time.perf_counter()
            report = extended.add([articles])
            added = len(extended.stats().sources) - outlets
            print(f"{added} more outlets, one article each, indexed in {time.perf_counter() - started:.0f} "
                  f"s: {report.summary()}", file=sys.stderr)
            if added != n:
                raise SystemExit(f"--extra-outlets {n}: only {added} outlets were added ({report.summary()})")
            yield extended


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed_ask(archive: qa.Archive, question: str, *, cold: bool) -> tuple[qa.Answer, float]:
    if cold:
        archive.sentence_vectors.clear()
        # What is memoised of the texts, too.
        for memo in (stem, key_stems, sentence_kind, statement_spans, sentences_of):
            memo.cache_clear()
    started = time.perf_counter()
    answer = archive.ask(question)
    return answer, time.perf_counter() - started


def calibrate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Abstention at thresholds around the calibrated one, and the highest threshold at which at
    most MAX_FALSE_ABSTENTION of answerable questions abstain."""
    answerable = [r for r in rows if not r["null"]]
    nulls = [r for r in rows if r["null"]]
    ordered = sorted(r["confidence"] for r in answerable)
    edge = ordered[min(int(MAX_FALSE_ABSTENTION * len(ordered)), len(ordered) - 1)]
    sweep = {}
    thresholds = {round(0.6 + 0.02 * i, 2) for i in range(11)} | {WEIGHTS.min_confidence, round(edge, 4)}
    for threshold in sorted(thresholds):
        sweep[str(threshold)] = {
            "null_abstained": share(r["confidence"] < threshold for r in nulls),
            "answerable_abstained": share(r["confidence"] < threshold for r in answerable),
            "cites_gold": share(r["cites_gold_any"] and r["confidence"] >= threshold for r in answerable),
        }
    recommended = min(
        (
            float(t)
            for t, c in sweep.items()
            if c["null_abstained"] >= MIN_NULL_ABSTENTION + CALIBRATION_MARGIN
            and c["answerable_abstained"] <= MAX_FALSE_ABSTENTION - CALIBRATION_MARGIN
        ),
        default=None,
    )
    return {"edge": round(edge, 4), "recommended": recommended, "sweep": sweep}


def share(flags: Any) -> float:
    values = list(flags)
    return round(sum(values) / len(values), 4) if values else 0.0


def evaluate(
    archive: qa.Archive, queries: list[dict[str, Any]], settings_for: Callable[[str], Settings] | None = None
) -> list[dict[str, Any]]:
    """One row per question: latencies, confidence, abstention and evidence flags; each question
    asked with `settings_for(question)` when given (see `cross_fitted`)."""
    chosen = settings_for or (lambda _: archive.settings)
    rows = []
    archive.ask("warm up the model")
    cold = []
    for q in queries:
        archive.settings = chosen(q["query"])
        cold.append(timed_ask(archive, q["query"], cold=True)[1])
    archive.sentence_vectors.clear()
    for q, cold_seconds in zip(queries, cold, strict=True):
        archive.settings = settings = chosen(q["query"])
        answer, warm_seconds = timed_ask(archive, q["query"], cold=False)
        w = settings.answer
        asked = answer.question  # as searched: an acronym the archive never writes, written out
        passages = archive.answer_passages(asked)
        evidence = gather_evidence(
            asked, passages, archive.sentence_vectors, weights=w,
            unknown_names=archive.unknown_names(asked), boilerplate=archive.boilerplate(),
        )
        again = finish_answer(
            answer_from_evidence(evidence, max_sentences=settings.answer_sentences),
            archive.unmentioned(asked),
            archive.named_sides(asked),
            passages,
        )
        assert again.text == answer.text, "the bench must score what ask() answers"
        facts = [e["fact"] for e in q["evidence_list"]]
        gold = str(q.get("answer", ""))
        shared = None if answer.abstained or not evidence.learned else shared_name(evidence, answer.citations)
        unabstained = answer_from_evidence(evidence, min_confidence=float("-inf"))
        texts = [norm(p.text) for p in passages]
        in_passages = [any(norm(f) in t for t in texts) for f in facts]
        rows.append(
            {
                "query": q["query"],
                "type": q["question_type"],
                "null": q["question_type"] == "null_query",
                "cold_ms": round(cold_seconds * 1000, 2),
                "warm_ms": round(warm_seconds * 1000, 2),
                "confidence": evidence.confidence,
                "abstained": answer.abstained,
                "cites_gold": cites_gold(answer, facts),
                "cites_all_gold": cites_all_gold(answer, facts),
                "cites_all_reports": cites_all_reports(answer, q["evidence_list"]),
                "asks_name": gold.casefold() not in ("", "yes", "no"),
                "shared_name": shared and shared[0],
                "shared_name_right": bool(shared and names_gold(shared[0], gold)),
                "cites_gold_any": cites_gold(unabstained, facts),
                "excerpt_gold": excerpt_gold(answer, facts),
                "passages_gold": any(in_passages),
                "passages_all_gold": bool(facts) and all(in_passages),
                "sentences": len(answer.citations),
                "facts": where_facts_went(answer, facts, passages, [s.text for s in evidence.ranked]),
                "cited": [c.excerpt[c.sentence_start : c.sentence_end] for c in unabstained.citations],
            }
        )
    return rows


def cross_fitted(settings: Settings, folds_dir: Path) -> Callable[[str], Settings]:
    """Settings that answer each question with the re-ranker and the sentence model of the fold
    that left it out (written by `bench/train_reranker.py --fold-models DIR` and
    `bench/train_sentences.py --cross-fitted DIR`): figures for questions the models have not
    seen. A question of no fold (null questions, not trained on) gets the shipped models.

    Raises:
        SystemExit: a fold's model is missing (the shipped one was trained on every dev question).
    """
    folds = json.loads((folds_dir / "folds.json").read_text(encoding="utf-8"))
    scripts = {
        "fold": "train_reranker.py --fold-models", "sentences-fold": "train_sentences.py --cross-fitted"
    }
    for fold in sorted(set(folds.values())):
        for name, script in scripts.items():
            model = folds_dir / f"{name}-{fold}.txt"
            if not model.is_file():
                raise SystemExit(f"{model} is missing: run bench/{script} {folds_dir} first")

    def settings_for(question: str) -> Settings:
        if question not in folds:
            return settings
        fold = folds[question]
        ranking = dataclasses.replace(settings.ranking, rerank_model=str(folds_dir / f"fold-{fold}.txt"))
        sentences = str(folds_dir / f"sentences-fold-{fold}.txt")
        answer = dataclasses.replace(settings.answer, sentence_model=sentences)
        return dataclasses.replace(settings, ranking=ranking, answer=answer)

    return settings_for


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in rows if not r["null"]]
    nulls = [r for r in rows if r["null"]]
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in answerable:
        by_type[r["type"]].append(r)
    asking = [r for r in answerable if r["asks_name"]]
    cold = [r["cold_ms"] for r in rows]
    warm = [r["warm_ms"] for r in rows]
    return {
        "questions": len(rows),
        "answerable": len(answerable),
        "null": len(nulls),
        "threshold": WEIGHTS.min_confidence,
        "cites_gold": share(r["cites_gold"] for r in answerable),
        "excerpt_gold": share(r["excerpt_gold"] for r in answerable),
        "passages_gold": share(r["passages_gold"] for r in answerable),
        "passages_all_gold": share(r["passages_all_gold"] for r in answerable),
        "cites_gold_by_type": {t: share(r["cites_gold"] for r in rs) for t, rs in sorted(by_type.items())},
        "cites_all_gold": share(r["cites_all_gold"] for r in answerable),
        "cites_all_gold_by_type": {
            t: share(r["cites_all_gold"] for r in rs) for t, rs in sorted(by_type.items())
        },
        "cites_all_reports": share(r["cites_all_reports"] for r in answerable),
        "cites_all_reports_by_type": {
            t: share(r["cites_all_reports"] for r in rs) for t, rs in sorted(by_type.items())
        },
        "shared_name": share(bool(r["shared_name"]) for r in asking),
        "shared_name_right": share(r["shared_name_right"] for r in asking if r["shared_name"]),
        "null_abstained": share(r["abstained"] for r in nulls),
        "answerable_abstained": share(r["abstained"] for r in answerable),
        "mean_sentences": round(statistics.mean(r["sentences"] for r in answerable), 2),
        "facts": dict(sorted(Counter(w for r in answerable for w in r["facts"]).items())),
        "cold_ms": {"p50": percentile(cold, 0.5), "p95": percentile(cold, 0.95), "max": max(cold)},
        "warm_ms": {"p50": percentile(warm, 0.5), "p95": percentile(warm, 0.95), "max": max(warm)},
        "calibration": calibrate(rows) if nulls and answerable else {},
    }


def print_table(summary: dict[str, Any]) -> None:
    print(f"questions {summary['questions']} ({summary['answerable']} answerable, {summary['null']} null)")
    print(f"cites a gold fact (sentence)      {summary['cites_gold']:.3f}   goal >= 0.75")
    print(f"cites a gold fact (excerpt)       {summary['excerpt_gold']:.3f}")
    print(f"gold fact in the passages         {summary['passages_gold']:.3f}   (ceiling)")
    for kind, value in summary["cites_gold_by_type"].items():
        print(f"  {kind:<31} {value:.3f}")
    print(f"cites every gold fact (sentence)  {summary['cites_all_gold']:.3f}   goal >= 0.50")
    for kind, value in summary["cites_all_gold_by_type"].items():
        print(f"  {kind:<31} {value:.3f}")
    print(f"every gold fact in the passages   {summary['passages_all_gold']:.3f}   (ceiling)")
    print(f"cites every gold report (article) {summary['cites_all_reports']:.3f}")
    for kind, value in summary["cites_all_reports_by_type"].items():
        print(f"  {kind:<31} {value:.3f}")
    print(f"opens with the name its reports share {summary['shared_name']:.3f}   (questions asking a name)")
    print(f"  that name is the gold answer      {summary['shared_name_right']:.3f}")
    print("where the gold facts went (answerable questions, distinct facts):")
    for where, count in summary["facts"].items():
        print(f"  {where:<31} {count}")
    print(f"null abstained (threshold {summary['threshold']})  {summary['null_abstained']:.3f}   goal >= 0.6")
    print(f"answerable abstained              {summary['answerable_abstained']:.3f}   goal <= 0.1")
    for cache in ("cold", "warm"):
        ms = summary[f"{cache}_ms"]
        times = f"p50 {ms['p50']:.0f}  p95 {ms['p95']:.0f}  max {ms['max']:.0f}"
        print(f"ask ms, {cache} cache  {times}   goal p95 <= 150")
    if summary["calibration"]:
        print("threshold  null abstained  answerable abstained  cites a gold fact (sentence)")
        for threshold, c in summary["calibration"]["sweep"].items():
            mark = " <- AnswerWeights" if float(threshold) == summary["threshold"] else ""
            print(
                f"{threshold:<9}  {c['null_abstained']:<14.3f}  {c['answerable_abstained']:<20.3f}  "
                f"{c['cites_gold']:.3f}{mark}"
            )
        print(f"highest threshold with at most 10% answerable abstained: {summary['calibration']['edge']}")
        print(
            "recommended (lowest with null >= 0.65 and answerable <= 0.05 abstained): "
            f"{summary['calibration']['recommended']}"
        )


def print_natural(report: AnswerReport) -> None:
    print(f"natural questions {report.questions}: answered (facts + article cited)  {report.answered:.3f}")
    for kind, value in report.by_kind.items():
        print(f"  {kind:<31} {value:.3f}")
    print(f"off-archive abstained ({report.off_archive})      {report.off_archive_abstained:.3f}")
    print(f"ask ms  p50 {report.latency_p50_ms:.0f}  p95 {report.latency_p95_ms:.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, default=Path("/tmp/mh-index"), help="built when empty")
    parser.add_argument("--corpus", type=Path, default=DATA / "corpus.json")
    parser.add_argument("--queries", type=Path, default=DATA / "queries-dev.json")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--json", type=Path, default=None, help="also write the per-question rows here")
    parser.add_argument("--natural", type=Path, default=NATURAL, help="natural questions to score answers on")
    parser.add_argument("--natural-only", action="store_true", help="skip the MultiHop-RAG dev questions")
    parser.add_argument(
        "--cross-fitted", type=Path, default=None, metavar="DIR",
        help="answer each dev question with the re-ranking model that did not train on it "
        "(DIR from `bench/train_reranker.py --fold-models DIR`)",
    )
    parser.add_argument(
        "--extra-outlets", type=int, default=0, metavar="N",
        help="ask a copy of the index with N more outlets, one short article each (see above)",
    )
    args = parser.parse_args(argv)
    if args.extra_outlets < 0:
        parser.error(f"--extra-outlets {args.extra_outlets}: give how many outlets to add, 0 or more")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    queries = json.loads(args.queries.read_text(encoding="utf-8"))[: args.limit]
    natural_questions = load_natural_questions(args.natural)
    with contextlib.ExitStack() as stack:
        archive = stack.enter_context(open_index(args.index_dir, args.corpus))
        if args.extra_outlets:
            archive = stack.enter_context(with_outlets(archive, args.extra_outlets))
        stats = archive.stats()
        print(f"asking {stats.index_dir}: {stats.articles} articles, {len(stats.sources)} outlets",
              file=sys.stderr)
        settings_for = cross_fitted(archive.settings, args.cross_fitted) if args.cross_fitted else None
        natural = evaluate_answers(archive, natural_questions)
        rows = [] if args.natural_only else evaluate(archive, queries, settings_for)
    if rows:
        summary = summarise(rows) | {"extra_outlets": args.extra_outlets}
        if args.json:
            args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1), encoding="utf-8")
        print(json.dumps(summary))
        print_table(summary)
    print(json.dumps({"natural": natural.to_dict()}))
    print_natural(natural)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
