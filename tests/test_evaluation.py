"""The benchmark scorer on hand-made cases, the question loader, and the `qa eval` report shape."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import copy_benchmark_slice
from test_rerank import ROOT

import qa
from embeddings.index import file_sha256
from qa.errors import QAError
from qa.evaluation import (
    LISTED,
    NO_CANDIDATE,
    NOT_LISTED,
    EvalQuestion,
    NaturalQuestion,
    answer_report,
    answers_right,
    load_natural_questions,
    load_questions,
    percentile,
    report,
    score_ranking,
    squeeze,
    summarize,
    where_missed,
)
from qa.store import LOCK_NAME
from qa.types import Answer, Citation

FACT_A = "The Fed held rates at 5.25%."
FACT_B = "Shares of Nvidia rose 3 percent on Tuesday."


def test_squeeze_removes_spaces_and_newlines_only() -> None:
    assert squeeze("a b\nc\td") == "abc\td"


def test_relevance_ignores_spaces_and_line_breaks_but_not_case() -> None:
    chunk = "Markets were calm.\nThe Fed held\nrates at 5.25%. Then"
    assert score_ranking([chunk], [FACT_A]).hit_at_10
    assert not score_ranking([chunk.lower()], [FACT_A]).hit_at_10


def test_a_fact_split_across_chunks_is_not_found() -> None:
    assert not score_ranking(["The Fed held rates", "at 5.25%."], [FACT_A]).hit_at_10


def test_ranks_and_cutoffs() -> None:
    miss = "nothing relevant"
    score = score_ranking([miss, miss, miss, miss, FACT_A], [FACT_A])
    assert (score.hit_at_4, score.hit_at_10, score.first_relevant) == (False, True, 5)
    assert score.reciprocal_rank == pytest.approx(0.2)
    assert score_ranking([miss] * 3 + [FACT_A], [FACT_A]).hit_at_4
    beyond = score_ranking([miss] * 10 + [FACT_A], [FACT_A])
    assert (beyond.hit_at_10, beyond.reciprocal_rank, beyond.average_precision) == (False, 0.0, 0.0)


def test_map_counts_each_fact_once_and_divides_by_the_number_of_facts() -> None:
    # Rank 1 finds A (1/1), rank 2 repeats A (nothing new: 0/2), rank 3 finds B (1/3).
    score = score_ranking([FACT_A, FACT_A + " again", "x " + FACT_B], [FACT_A, FACT_B])
    assert score.average_precision == pytest.approx((1 / 1 + 0 / 2 + 1 / 3) / 2)
    # One chunk holding both facts counts two new facts at its rank.
    both = score_ranking(["y", FACT_A + " " + FACT_B], [FACT_A, FACT_B, "A third fact never found."])
    assert both.average_precision == pytest.approx((2 / 2) / 3)


def test_map_denominator_is_capped_at_ten_facts() -> None:
    facts = [f"Fact number {n} is here." for n in range(12)]
    score = score_ranking([facts[0]], facts)
    assert score.average_precision == pytest.approx(1 / 10)


def test_summarize_averages_over_questions() -> None:
    scores = [
        score_ranking([FACT_A], [FACT_A]),
        score_ranking(["x", FACT_B], [FACT_B]),
        score_ranking(["x"], [FACT_A]),
    ]
    m = summarize(scores)
    assert (m.questions, m.hits_at_4, m.hits_at_10) == (3, round(2 / 3, 4), round(2 / 3, 4))
    assert m.mrr_at_10 == round((1 + 0.5 + 0) / 3, 4)
    assert summarize([]).questions == 0


def test_report_splits_by_question_type_and_times() -> None:
    questions = [
        EvalQuestion("q1", "comparison_query", (FACT_A,)),
        EvalQuestion("q2", "temporal_query", (FACT_B,)),
    ]
    result = report(questions, [[FACT_A], ["miss"]], [10.0, 20.0, 30.0])
    assert result.overall.hits_at_10 == 0.5
    assert result.by_type["comparison_query"].hits_at_10 == 1.0
    assert result.by_type["temporal_query"].hits_at_10 == 0.0
    assert result.latency_p50_ms == 20.0
    assert json.loads(json.dumps(result.to_dict()))["by_type"]["temporal_query"]["questions"] == 1
    with pytest.raises(ValueError):
        report(questions, [[FACT_A]])


def test_percentile() -> None:
    assert percentile([], 95) == 0.0
    assert percentile([5.0], 95) == 5.0
    assert percentile(list(range(1, 101)), 50) == pytest.approx(50.5)


def test_load_questions_leaves_out_null_queries(tmp_path: Path) -> None:
    path = tmp_path / "q.json"
    path.write_text(
        json.dumps(
            [
                {
                    "query": "Who?",
                    "answer": "X",
                    "question_type": "inference_query",
                    "evidence_list": [{"fact": FACT_A, "source": "S"}],
                },
                {
                    "query": "None?",
                    "answer": "Insufficient information.",
                    "question_type": "null_query",
                    "evidence_list": [],
                },
            ]
        )
    )
    questions = load_questions(path)
    assert [q.question for q in questions] == ["Who?"]
    assert questions[0].facts == (FACT_A,)
    assert len(load_questions(path, include_null=True)) == 2


def test_load_questions_reports_bad_files(tmp_path: Path) -> None:
    with pytest.raises(QAError, match="Cannot read"):
        load_questions(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"question": "wrong key"}]))
    with pytest.raises(QAError, match="query"):
        load_questions(bad)
    bad.write_text(json.dumps({"query": "not a list"}))
    with pytest.raises(QAError, match="array of questions"):
        load_questions(bad)
    with pytest.raises(QAError, match="array of natural questions"):
        load_natural_questions(bad)
    with pytest.raises(QAError, match="Cannot read"):
        load_natural_questions(tmp_path / "missing.json")


def test_all_evidence_and_fact_recall_count_distinct_facts_in_the_first_ten() -> None:
    third = "A third fact never found."
    partial = score_ranking(["x " + FACT_B, FACT_A], [FACT_A, FACT_B, third])
    assert partial.fact_recall == pytest.approx(2 / 3)
    assert not partial.all_evidence
    complete = score_ranking([FACT_A, FACT_A, "y " + FACT_B], [FACT_A, FACT_B, FACT_A])
    assert (complete.fact_recall, complete.all_evidence) == (1.0, True)
    beyond = score_ranking(["miss"] * 10 + [FACT_B, FACT_A], [FACT_A, FACT_B])
    assert (beyond.fact_recall, beyond.all_evidence) == (0.0, False)
    m = summarize([partial, complete])
    assert (m.all_evidence_at_10, m.fact_recall_at_10) == (0.5, round((2 / 3 + 1) / 2, 4))


def test_a_missed_fact_is_placed_by_the_articles_the_ranking_lists() -> None:
    other, lost = "A fact of a third article.", "A fact in no candidate."
    facts = [FACT_A, FACT_B, other, FACT_B, lost]
    text = {
        1: "lede" + squeeze(FACT_A), 2: "filler", 3: "x" + squeeze(FACT_B),
        4: squeeze(other), 5: squeeze(lost),
    }
    # The candidates: chunks 2 and 3 are of one article, 4 of another; chunk 5 is no candidate.
    article = {1: 10, 2: 20, 3: 20, 4: 30}
    assert where_missed([1, 2], article, text, facts) == [LISTED, NOT_LISTED, NO_CANDIDATE]
    assert where_missed([1, 3], article, text, facts) == [NOT_LISTED, NO_CANDIDATE]
    assert where_missed([2, 4], article, text, facts) == [NOT_LISTED, LISTED, NO_CANDIDATE]
    # A fact a listed article holds is LISTED, though an article not listed holds it too.
    text[6], article[6] = squeeze(FACT_A), 30
    assert where_missed([2, 4], article, text, facts) == [LISTED, LISTED, NO_CANDIDATE]
    assert where_missed([1, 3], article, text, [*facts, " \n"]) == [NOT_LISTED, NO_CANDIDATE]  # no empty fact


# Answers to natural questions (qa eval --answers, bench/answers.py).


URL = "https://example.org/jinan"


def _answer(text: str, url: str | None = URL, *, abstained: bool = False) -> Answer:
    citation = Citation(
        n=1,
        title="t",
        url=url,
        published=None,
        excerpt=text,
        sentence_start=0,
        sentence_end=len(text),
        link=None,
        article_id="a",
    )
    return Answer(question="q", text=text, citations=() if abstained else (citation,), abstained=abstained)


def test_an_answer_is_right_when_it_states_every_group_and_cites_the_article() -> None:
    q = NaturalQuestion(
        "What was agreed in Jinan?", "agreed", (("20 memorandums", "20 MOUs"), ("Shandong",)), (URL,)
    )
    assert answers_right(_answer("Korea and Shandong signed 20  Memorandums of understanding [1]"), q)
    assert not answers_right(
        _answer("Korea and Shandong signed 20 memorandums [1]", "https://other.org/x"), q
    )
    assert not answers_right(_answer("Korea signed 20 memorandums [1]"), q)
    assert answers_right(_answer("Shandong’s 20 MOUs [1]", URL + "#:~:text=20"), q)
    assert not answers_right(_answer("Shandong 20 MOUs", abstained=True), q)


def test_an_expected_url_with_a_fragment_matches_its_citation() -> None:
    own = URL + "#utm_source=RSS"
    q = NaturalQuestion("What was agreed in Jinan?", "agreed", (("20 MOUs",),), (own,))
    assert answers_right(_answer("Shandong's 20 MOUs [1]", URL + "#:~:text=20"), q)
    assert not answers_right(_answer("Shandong's 20 MOUs [1]", "https://other.org/x#utm_source=RSS"), q)


def test_the_latest_news_is_right_only_when_an_expected_article_leads_the_answer() -> None:
    q = NaturalQuestion("What is the latest on the Jinan talks?", "latest", (("memorandums",),), (URL,))
    older = replace(_answer("Talks opened [1]", "https://example.org/older").citations[0], n=1)
    newest = replace(_answer("20 memorandums were signed [2]").citations[0], n=2)
    text = "Talks opened [1]\n20 memorandums were signed [2]"
    assert not answers_right(Answer(question="q", text=text, citations=(older, newest)), q)
    assert answers_right(Answer(question="q", text=text, citations=(newest, older)), q)
    # Any kind of question but "latest" may cite its article anywhere.
    other = replace(q, kind="agreed")
    assert answers_right(Answer(question="q", text=text, citations=(older, newest)), other)


def test_off_archive_questions_are_right_only_when_abstained() -> None:
    q = NaturalQuestion("Who won in 2031?", "off_archive", off_archive=True)
    assert answers_right(_answer("nothing", abstained=True), q)
    assert not answers_right(_answer("Someone won [1]"), q)


def test_loader_accepts_plain_strings_and_groups_and_refuses_a_record_without_expect(tmp_path: Path) -> None:
    path = tmp_path / "natural.json"
    path.write_text(
        json.dumps(
            [
                {"question": "Who?", "kind": "who", "expect": ["Smith", ["CEO", "chief"]], "cite_url": URL},
                {"question": "When on Mars?", "off_archive": True},
            ]
        ),
        encoding="utf-8",
    )
    who, off = load_natural_questions(path)
    assert who.expect == (("Smith",), ("CEO", "chief")) and who.cite_urls == (URL,)
    assert off.off_archive and off.kind == "off_archive"
    path.write_text(json.dumps([{"question": "Who?", "cite_url": URL}]), encoding="utf-8")
    with pytest.raises(QAError, match="question 0 lacks 'expect'"):
        load_natural_questions(path)


def test_answer_report_separates_off_archive_questions() -> None:
    qs = [
        NaturalQuestion("a", "who", (("x",),), (URL,)),
        NaturalQuestion("b", "who", (("x",),), (URL,)),
        NaturalQuestion("c", "when", (("x",),), (URL,)),
        NaturalQuestion("d", "off_archive", off_archive=True),
    ]
    result = answer_report(qs, [True, False, True, True])
    assert (result.questions, result.answered, result.by_kind) == (3, 0.6667, {"when": 1.0, "who": 0.5})
    assert (result.off_archive, result.off_archive_abstained, result.misses) == (1, 1.0, ("b",))


def test_the_natural_question_set_is_well_formed() -> None:
    bench = Path(__file__).resolve().parents[1] / "bench"
    questions = load_natural_questions(bench / "natural-questions.json")
    on = [q for q in questions if not q.off_archive]
    assert len(on) >= 80 and len(questions) - len(on) >= 16
    assert all(q.expect and q.cite_urls for q in on)
    assert len({q.question for q in questions}) == len(questions)
    # The held-out batches are never tuned on, and share no question with the tuned set.
    held_out = load_natural_questions(bench / "natural-heldout.json")
    assert len(held_out) >= 40 and all(q.expect and q.cite_urls for q in held_out if not q.off_archive)
    assert len({q.question for q in held_out}) == len(held_out)
    assert not {q.question for q in held_out} & {q.question for q in questions}


def test_a_question_file_of_the_other_kind_names_the_flag_that_reads_it(tmp_path: Path) -> None:
    natural, benchmark, notes = tmp_path / "natural.json", tmp_path / "benchmark.json", tmp_path / "notes.md"
    natural.write_text(json.dumps([{"question": "Who?", "expect": ["Smith"], "cite_url": URL}]))
    benchmark.write_text(json.dumps([{"query": "Who?", "evidence_list": [{"fact": "Smith"}]}]))
    notes.write_text("# not JSON")
    with pytest.raises(QAError, match=r"lacks 'query' .*; natural questions .* with qa eval --answers$"):
        load_questions(natural)
    with pytest.raises(QAError, match=r"lacks 'cite_url' .*; MultiHop-RAG questions .* without --answers$"):
        load_natural_questions(benchmark)
    with pytest.raises(QAError, match=r"^Cannot read questions from .*notes\.md: .*; give a JSON array of"):
        load_questions(notes)


def index_files(index: Path) -> dict[str, str]:
    """sha256 of each file of the index directory but SQLite's journal files and the lock."""
    return {
        f.name: file_sha256(f) for f in sorted(index.rglob("*"))
        if f.is_file() and f.name != LOCK_NAME and not f.name.endswith(("-wal", "-shm", "-journal"))
    }


@pytest.mark.slow
def test_the_answers_benchmark_asks_a_copy_of_the_index_with_more_outlets(
    tmp_path: Path, encoder, benchmark_slice_dir: Path
) -> None:
    questions = copy_benchmark_slice(benchmark_slice_dir, tmp_path)
    natural = tmp_path / "natural.json"
    natural.write_text(json.dumps([{
        "question": "What was agreed in Jinan?", "kind": "agreed", "expect": [["memorandums"]],
        "cite_url": ["https://example.com/jinan"],
    }]))
    with qa.Archive(tmp_path / "index", encoder=encoder) as archive:
        outlets = len(archive.stats().sources)
    files = index_files(tmp_path / "index")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    run = subprocess.run(
        [sys.executable, "bench/answers.py", "--index-dir", str(tmp_path / "index"), "--queries",
         str(questions), "--limit", "2", "--natural", str(natural), "--extra-outlets", "12"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(temporary)},
        capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, run.stderr
    assert "12 more outlets, one article each" in run.stderr
    # The questions were asked of the copy, in the temporary directory, which is gone after.
    assert f"{temporary}/qa-outlets-" in run.stderr and f"articles, {outlets + 12} outlets" in run.stderr
    assert not list(temporary.glob("qa-outlets-*"))
    assert "questions 2 (" in run.stdout and "natural questions 1:" in run.stdout
    assert re.search(r"cites every gold report \(article\) [01]\.\d{3}", run.stdout)
    assert re.search(r"opens with the name its reports share [01]\.\d{3}", run.stdout)
    assert index_files(tmp_path / "index") == files  # the index it was given is left as it was
