"""The learned re-ranking step (qa/rerank.py): its features, the shipped model, and its training script."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from conftest import copy_benchmark_slice

import qa
from embeddings.index import VectorIndex
from qa.archive import ChunkSentences
from qa.catalog import Catalog
from qa.evaluation import LISTED, NO_CANDIDATE, NOT_LISTED, load_questions, squeeze
from qa.indexing import chunk_statements
from qa.query import Filters, QueryHints
from qa.ranking import (
    Ranking,
    _candidates,
    candidate_features,
    rank_chunk_ids,
    rerank_candidates,
    reranked_units,
    signals,
    split_question,
    unit_spans,
    weigh,
)
from qa.rerank import (
    FEATURES,
    SENTENCE_FEATURES,
    features,
    model,
    places_within,
    rerank,
    sentence_signals,
    story,
)

ROOT = Path(__file__).resolve().parents[1]


def when(day: str) -> datetime:
    return datetime.fromisoformat(day + "T12:00:00+00:00")


TEXTS = {
    10: "The council met in Jinan on Monday.",
    11: "The council signed 20 memorandums on trade.",
    12: "Weather in Jinan was mild.",
    20: "The Verge reports the board fired the chief executive.",
    21: "The board later rehired him after staff protested.",
    30: "Fortune says investors lost money on the deal.",
}


@pytest.fixture
def catalog() -> Catalog:
    outlets = {1: "TechCrunch", 2: "The Verge", 3: "Fortune"}
    rows = [
        (c, f"a{c // 10}", outlets[c // 10], when("2023-10-04"), TEXTS[c], TEXTS[c]) for c in sorted(TEXTS)
    ]
    return Catalog.build(rows)


def unit_vectors(catalog: Catalog) -> VectorIndex:
    """A vector index of the catalog's chunks, each vector its own direction."""
    return VectorIndex.build(len(catalog.ids), catalog.ids, np.eye(len(catalog.ids)))


def test_features_describe_each_candidate_in_its_article(catalog: Catalog) -> None:
    pool = np.array([11, 20, 10, 30])
    fused = np.array([2.0, 1.5, 1.0, 0.5])
    plain = [np.zeros(4)] * 5
    none = np.zeros((0, 4))
    question = np.array([[0.0, 2.0, 4.0, 1.0], [3.0, 0.0, 6.0, 0.0]])
    matrix = features(
        pool, fused, plain, catalog, none, none, np.zeros(0), question, np.eye(4),
        [np.zeros(4)] * len(SENTENCE_FEATURES), several=False,
    )
    assert matrix.shape == (4, len(FEATURES))
    column = {name: matrix[:, n].tolist() for n, name in enumerate(FEATURES)}
    assert column["lede"] == [0, 1, 1, 1]  # 10, 20 and 30 open their articles, 11 is a1's second chunk
    assert column["position"] == [np.log1p(1), 0, 0, 0]
    assert column["rank_in_article"] == [0, 0, np.log1p(1), 0]  # 10 follows 11 within a1
    assert column["article_best"] == [2.0, 1.5, 2.0, 0.5]
    assert column["article_rank"] == [0, np.log1p(1), 0, np.log1p(2)]
    assert column["article_candidates"] == [np.log1p(2), np.log1p(1), np.log1p(2), np.log1p(1)]
    assert column["from_article_best"] == [0, 0, np.log1p(1), 0]  # 10 is a chunk before a1's best, 11
    assert column["parts"] == [0, 0, 0, 0] and column["part_best"] == [0, 0, 0, 0]
    assert column["question_sentence"] == [0, 0.5, 1, 0.25] and column["question_chunk"] == [0.5, 0, 1, 0]


def test_each_candidate_is_placed_by_its_distance_from_its_articles_best(catalog: Catalog) -> None:
    pool = np.array([20, 10, 12, 30, 21, 11])
    fused = np.array([3.0, 1.0, 2.5, 2.0, 0.5, 0.2])  # a1's best, 12, is not its first in the pool
    matrix = features(
        pool, fused, [np.zeros(6)] * 5, catalog, np.zeros((0, 6)), np.zeros((0, 6)), np.zeros(0),
        np.zeros((2, 6)), np.eye(6), [np.zeros(6)] * len(SENTENCE_FEATURES), several=False,
    )
    distance = matrix[:, FEATURES.index("from_article_best")]
    assert distance.tolist() == pytest.approx(np.log1p([0, 2, 0, 0, 1, 1]).tolist())


def test_places_within_a_group_follow_the_values_ties_in_order() -> None:
    values = np.array([1.0, 5.0, 3.0, 5.0, 2.0, 0.0, 7.0])
    groups = np.array([4, 1, 4, 1, 4, 9, 1])  # out of order, not adjacent
    assert places_within(values, groups).tolist() == [2, 1, 0, 2, 1, 0, 0]
    assert places_within(np.zeros(0), np.zeros(0, dtype=np.int64)).tolist() == []


def test_a_part_an_outlet_is_said_to_report_is_matched_only_in_that_outlets_chunks(catalog: Catalog) -> None:
    pool = np.array([20, 21, 30])
    parts = np.array([[4.0, 2.0, 1.0], [0.0, 1.0, 3.0]])  # the second part: "Fortune says ..."
    fortune = catalog.sources.index("Fortune")
    matrix = features(
        pool, np.ones(3), [np.zeros(3)] * 5, catalog, parts, parts, np.array([-1, fortune]), np.zeros((2, 3)),
        np.eye(3), [np.zeros(3)] * len(SENTENCE_FEATURES), several=True,
    )
    column = {name: matrix[:, n].tolist() for n, name in enumerate(FEATURES)}
    assert column["part_best"] == [1.0, 0.5, 1.0]
    assert column["part_mean"] == [0.5, (0.5 + 1 / 3) / 2, (0.25 + 1.0) / 2]
    assert column["part_outlet"] == [1.0, 0.5, 1.0]  # 21's third of part two is not Fortune's
    assert column["parts"] == [1, 1, 1]


def test_a_chunk_that_says_what_another_articles_candidate_says_is_marked_as_the_same_story(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = np.array([20, 30, 21, 10, 11])
    unit = np.array([[1.0, 0.0], [0.6, 0.8], [1.0, 0.0], [0.0, 1.0], [0.8, 0.6]])

    def column(name: str) -> list[float]:
        matrix = features(
            pool, np.ones(5), [np.zeros(5)] * 5, catalog, np.zeros((0, 5)), np.zeros((0, 5)),
            np.zeros(0), np.zeros((2, 5)), unit, [np.zeros(5)] * len(SENTENCE_FEATURES), several=False,
        )
        return matrix[:, FEATURES.index(name)].tolist()

    # 21 says what 20 says, but in the same article: each is closest to TechCrunch's 11 (0.8).
    assert column("story") == pytest.approx([0.8, 0.96, 0.8, 0.8, 0.96])
    assert column("story_outlet") == pytest.approx(column("story"))  # an outlet an article here
    # Only the first STORY_DEPTH candidates are witnesses.
    monkeypatch.setattr(qa.rerank, "STORY_DEPTH", 2)
    assert column("story") == pytest.approx([0.6, 0.6, 0.6, 0.8, 0.96])


def test_the_story_signals_leave_out_the_candidates_own_article_and_outlet() -> None:
    same = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    story_of, outlet_of = story(same, article=np.array([0, 0, 1]), source=np.array([5, 5, 5]))
    assert story_of.tolist() == [0.0, 0.0, 0.0]  # the twin is in the same article
    assert outlet_of.tolist() == [-1.0, -1.0, -1.0]  # one outlet: no other outlet's witness
    _, unknown = story(same, article=np.array([0, 1, 2]), source=np.array([-1, -1, 5]))
    assert unknown.tolist() == [1.0, 1.0, 0.0]  # a chunk of no known outlet is compared with every other


def test_the_sentence_signals_find_the_sentence_that_says_what_a_part_asks() -> None:
    question = np.array([1.0, 0.0, 0.0])
    parts = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    held: list[np.ndarray | None] = [
        np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),  # says part one, and the question
        np.array([[0.0, 0.6, 0.8]]),  # leans to part two
        np.array([[0.0, 0.0, 0.5]]),  # half of part two
        None,  # its sentences are not stored
        np.zeros((0, 3)),  # no statements
    ]
    article = np.array([7, 3, 3, 7, 3])  # the second and third candidates are of one article
    columns = [c.tolist() for c in sentence_signals(question, parts, held, article)]
    best, mean, share, place, whole, gap, in_article = columns
    assert best[:3] == pytest.approx([1.0, 0.8, 0.5]) and mean[:3] == pytest.approx([0.5, 0.7, 0.25])
    assert share[:3] == pytest.approx([1.0, 1.0, 0.625])  # 0.5 of part two's best, 0.8
    assert place[:3] == pytest.approx([0.0, 0.0, np.log1p(1)])  # second for part two
    assert whole[:3] == pytest.approx([1.0, 0.0, 0.0])
    assert gap[:3] == pytest.approx([0.0, 0.0, -0.3])  # 0.3 below the best of its article's
    assert in_article[:3] == pytest.approx([0.0, 0.0, np.log1p(1)])
    assert all(np.isnan(column[i]) for column in columns if column is not whole for i in (3, 4))
    assert np.isnan(whole[3]) and np.isnan(whole[4])
    alone = sentence_signals(question, np.zeros((0, 3)), held, article)  # a question of one part
    assert all(np.isnan(alone[n]).all() for n in (0, 1, 2, 3, 5, 6)) and alone[4].tolist()[:3] == whole[:3]
    assert len(columns) == len(alone) == len(SENTENCE_FEATURES)


def test_the_reranker_reads_the_sentence_vectors_indexing_stored(archive: qa.Archive, tmp_path: Path) -> None:
    body = "The council met in Jinan on Monday. It signed 20 memorandums on trade. The weather was mild."
    (tmp_path / "a.json").write_text(json.dumps([{"title": "Council meets", "body": body}]))
    assert archive.add([tmp_path / "a.json"]).sentences_embedded == 3
    question = "Where did the council meet, and how many memorandums were signed on trade?"
    with archive.store.read() as db:
        vectors, catalog = archive._vectors_for(db, archive.store.generation(db))
        units = reranked_units(question, catalog)
        query, source = archive.sentence_source(db, question, units)
        pool, matrix = rerank_candidates(
            vectors, catalog, query, question, per_article=6, filters=Filters(), sentences=source
        )
        without = rerank_candidates(vectors, catalog, query, question, per_article=6, filters=Filters())[1]
        (text,) = [row.text for row in archive.store.chunks(db, pool.tolist()).values()]
        assert source is not None and source.sentences(np.array([pool[0], 10**9]))[1] is None  # no such chunk
    assert len(units) == 2 and len(source.units) == 2
    assert np.array_equal(archive.sentence_vectors._cache[question], query[0])  # ask() finds it
    statements = archive.encoder.encode(chunk_statements(text))
    column = {name: matrix[0, n] for n, name in enumerate(FEATURES)}
    assert column["sentence_question"] == pytest.approx((statements @ query[0]).max(), abs=1e-2)
    assert column["sentence_part"] == pytest.approx((source.units @ statements.T).max(), abs=1e-2)
    assert np.isnan(without[0, FEATURES.index("sentence_question")])


def test_the_sentence_vectors_read_are_kept_up_to_a_size(archive: qa.Archive, tmp_path: Path) -> None:
    bodies = ["The council met in Jinan on Monday. It signed 20 memorandums.", "The team won the cup."]
    articles = [{"title": f"T{i}", "body": body} for i, body in enumerate(bodies)]
    (tmp_path / "a.json").write_text(json.dumps(articles))
    archive.add([tmp_path / "a.json"])
    dimension = archive.encoder.dimension
    kept = ChunkSentences(max_bytes=2 * dimension * 4)  # two sentences' vectors
    with archive.store.read() as db:
        ids = np.array([r[0] for r in db.execute("SELECT id FROM chunks ORDER BY id")])
        first, second, unknown = kept.read(archive.store, db, np.append(ids, 10**9), dimension)
        stored = archive.store.sentence_vectors(db, ids.tolist(), dimension)
    assert (len(first), len(second), unknown) == (2, 1, None)
    assert kept._bytes <= kept.max_bytes and list(kept._kept) == [ids[1]]  # the first made room
    # What is kept is not read again: an empty archive's store has none of these chunks.
    with qa.Archive(tmp_path / "empty", encoder=archive.encoder) as empty, empty.store.read() as db:
        again = kept.read(empty.store, db, ids, dimension)
    assert again[0] is None and np.array_equal(again[1], stored[ids[1]].vectors)


def test_each_unit_is_found_in_the_question() -> None:
    question = "Did TechCrunch report that Google was sued, while The Verge says Epic won?"
    assert unit_spans(question, ["Google was sued", "Epic won", "lawsuits"]) == [
        (27, 42), (65, 73), (0, len(question)),
    ]


def test_candidate_features_split_the_question_into_its_outlets_claims(catalog: Catalog) -> None:
    hints = QueryHints(sources=("The Verge", "Fortune"))
    dense = (np.array([20, 30, 11]), np.array([0.6, 0.5, 0.2]))
    lexical = (np.array([21, 30]), np.array([3.0, 1.5]))
    found = signals(dense, lexical, catalog, hints)
    order, fused = weigh(found)
    question = "Did The Verge report that the board rehired him, while Fortune says investors lost money?"
    score_of = dict(zip(order.tolist(), fused.tolist(), strict=True))
    split = split_question(question, hints)
    vectors = unit_vectors(catalog)
    matrix = candidate_features(
        order, question, split, hints, found, score_of, catalog, vectors,
        query_vector=np.ones((1, len(catalog.ids))), sentences=None,
    )
    column = {name: matrix[:, n] for n, name in enumerate(FEATURES)}
    assert (column["parts"] == 1).all() and (column["outlet"] == np.isin(order, [20, 21, 30])).all()
    # "investors lost money" is Fortune's claim: only Fortune's chunk matches it in full.
    assert column["part_outlet"][order.tolist().index(30)] == 1.0
    assert column["part_outlet"][order.tolist().index(21)] == 1.0  # "the board rehired him" is The Verge's


def test_the_other_chunks_of_the_first_articles_are_candidates_too(catalog: Catalog) -> None:
    a1, a2 = catalog.article_ids.index("a1"), catalog.article_ids.index("a2")
    assert catalog.ids[catalog.article_rows([a2, a1])].tolist() == [20, 21, 10, 11, 12]
    order = np.array([21, 30, 11])
    assert _candidates(order, catalog, 3, 6, Ranking(rerank_articles=2)).tolist() == [21, 30, 11, 20]
    assert _candidates(order, catalog, 3, 6, Ranking(rerank_articles=3)).tolist() == [21, 30, 11, 20, 10, 12]
    assert _candidates(order, catalog, 2, 6, Ranking(rerank_articles=0)).tolist() == [21, 30]
    # Outside the fused lists a chunk gets the lowest cosine and fused score, and no BM25.
    dense, lexical = (np.array([21, 30]), np.array([0.6, 0.4])), (np.array([21]), np.array([2.0]))
    found = signals(dense, lexical, catalog, QueryHints())
    question = "Did the board rehire him?"
    pool = np.array([21, 20])
    split = split_question(question, QueryHints())
    matrix = candidate_features(
        pool, question, split, QueryHints(), found, {21: 1.2, 30: 0.5}, catalog, unit_vectors(catalog),
        query_vector=np.ones((1, len(catalog.ids))), sentences=None,
    )
    column = {name: matrix[:, n].tolist() for n, name in enumerate(FEATURES)}
    assert column["fused"] == [1.2, 0.5] and column["cosine"] == [0.6, 0.4]
    assert column["lexical"] == [1.0, 0.0]
    assert column["question_chunk"][0] == 1.0  # "board", "rehire": chunk 21's words


def test_an_articles_other_chunks_can_be_picked_and_read_as_passages(catalog: Catalog) -> None:
    unit = np.array([[1.0, 0.0] if c == 10 else [0.0, 1.0] for c in catalog.ids])
    vectors = VectorIndex.build(2, catalog.ids, unit)
    narrow = Ranking(dense_depth=1, lexical_depth=1, sentence_depth=1, rerank_depth=1, rerank_articles=1)
    question = "Where did the council meet, and what trade memorandums did it sign?"  # two parts
    picked, score_of = rank_chunk_ids(
        vectors, catalog, unit[:1], question, k=3, per_article=6, filters=Filters(), ranking=narrow
    )
    # The fused lists held 10 (dense) and 11 (BM25); 12 is only their article's other chunk.
    assert sorted(picked) == [10, 11, 12]
    assert set(picked) <= set(score_of) and score_of[12] == min(score_of.values())


def test_the_shipped_model_reads_the_features_and_prefers_the_chunk_that_matches() -> None:
    booster = model()
    assert booster.num_feature() == len(FEATURES)
    assert booster.feature_name() == list(FEATURES)
    strong = dict.fromkeys(FEATURES, 0.0) | {
        "fused": 1.6, "cosine": 0.7, "lexical": 1.0, "sentence": 1.0, "article_best": 1.6, "lede": 1.0,
        "article_candidates": np.log1p(1),
    }
    weak = dict.fromkeys(FEATURES, 0.0) | {
        "fused": 0.3, "cosine": 0.2, "lexical": 0.1, "sentence": 0.0, "rank": np.log1p(1),
        "article_best": 0.3, "article_rank": np.log1p(1), "position": np.log1p(5),
        "article_candidates": np.log1p(1),
    }
    matrix = np.array([[weak[f] for f in FEATURES], [strong[f] for f in FEATURES]])
    assert rerank(np.array([7, 8]), matrix).tolist() == [8, 7]
    assert rerank(np.zeros(0, dtype=np.int64), np.zeros((0, len(FEATURES)))).tolist() == []


def test_retrieval_with_and_without_the_model_finds_the_report(archive: qa.Archive, tmp_path: Path) -> None:
    bodies = {
        "Council meets": "The council met in Jinan on Monday. " * 3,
        "Trade deals": "The council signed 20 memorandums on trade in Jinan.",
        "Football": "The team won the cup after extra time.",
    }
    articles = [{"title": title, "body": body} for title, body in bodies.items()]
    (tmp_path / "a.json").write_text(json.dumps(articles))
    archive.add([tmp_path / "a.json"])
    question = "How many memorandums were signed in Jinan, and who won the cup after extra time?"
    assert split_question(question, QueryHints()).several  # re-ranked
    assert {p.title for p in archive.retrieve(question, k=3)[:2]} == {"Trade deals", "Football"}
    archive.settings = dataclasses.replace(archive.settings, ranking=Ranking(rerank=False))
    assert {p.title for p in archive.retrieve(question, k=3)[:2]} == {"Trade deals", "Football"}


def run_training(
    script: str, tmp_path: Path, questions: Path, out: str, *args: str, seed: str | None = None
) -> str:
    """Run the training `script` on the index at tmp_path / "index", writing tmp_path / `out`
    (under the string-hashing `seed` when given): what it printed. It must succeed."""
    run = subprocess.run(
        [sys.executable, script, "--index-dir", str(tmp_path / "index"),
         "--questions", str(questions), "--out", str(tmp_path / out), *args],
        # this checkout's qa, installed or not
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **({"PYTHONHASHSEED": seed} if seed else {})},
        capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def groups(pattern: str, printed: str) -> tuple[str, ...]:
    """The groups of `pattern`'s first match in what a script `printed`, which must hold one."""
    match = re.search(pattern, printed)
    assert match, f"{pattern!r} not in:\n{printed}"
    return match.groups()


def train_twice(script: str, tmp_path: Path, slice_dir: Path) -> tuple[str, Path]:
    """Run the training `script` twice on a copy of the indexed benchmark slice, under two
    string-hashing seeds: what it printed, and the model it wrote, the same file both times."""
    questions = copy_benchmark_slice(slice_dir, tmp_path)
    # Two string-hashing seeds: the sets the scripts iterate must not change what they learn.
    runs = (("one.txt", "1"), ("two.txt", "2"))
    outputs = [run_training(script, tmp_path, questions, name, seed=seed) for name, seed in runs]
    assert (tmp_path / "one.txt").read_bytes() == (tmp_path / "two.txt").read_bytes()
    return outputs[0], tmp_path / "one.txt"


@pytest.mark.slow
def test_training_is_reproducible_and_estimates_unseen_questions(
    tmp_path: Path, benchmark_slice_dir: Path
) -> None:
    printed, trained = train_twice("bench/train_reranker.py", tmp_path, benchmark_slice_dir)
    assert "learned (5-fold)" in printed and "hand-weighted" in printed
    assert model(trained).num_feature() == len(FEATURES)
    several = int(groups(r"(\d+) of several parts", printed)[0])
    # Where the cross-validated top 10 miss: each fact and each question of several parts counted once.
    kinds = (LISTED, NOT_LISTED, NO_CANDIDATE)
    each = ", ".join(rf"(\d+) in {re.escape(k)}" for k in kinds)
    facts = groups(rf"gold facts missed (\d+): {each}", printed)
    assert int(facts[0]) == sum(map(int, facts[1:]))
    only = ", ".join(rf"{re.escape(k)} (\d+)" for k in kinds)
    counts = groups(rf"every gold fact found (\d+); missing only facts in {only}; in several (\d+)", printed)
    assert sum(map(int, counts)) == several
    assert int(counts[0]) < several  # the slice's questions are not all wholly found


@pytest.fixture(scope="module")
def fact_folds(tmp_path_factory: pytest.TempPathFactory, benchmark_slice_dir: Path) -> tuple[Path, Path, str]:
    """A folder holding a copy of the indexed benchmark slice, its questions file, and what
    bench/train_reranker.py --fold-by fact printed there (writing model.txt and folds/)."""
    folder = tmp_path_factory.mktemp("fact-folds")
    questions = copy_benchmark_slice(benchmark_slice_dir, folder)
    printed = run_training(
        "bench/train_reranker.py", folder, questions, "model.txt",
        "--fold-by", "fact", "--fold-models", str(folder / "folds"),
    )
    return folder, questions, printed


@pytest.mark.slow
def test_fact_folds_keep_the_questions_that_share_a_gold_fact_in_one_fold(
    fact_folds: tuple[Path, Path, str],
) -> None:
    folder, questions, printed = fact_folds
    fold = json.loads((folder / "folds" / "folds.json").read_text(encoding="utf-8"))
    folds_of: dict[str, list[int]] = {}
    for question in load_questions(questions):
        for fact in dict.fromkeys(map(squeeze, question.facts)):
            folds_of.setdefault(fact, []).append(fold[question.question])
    # The slice's questions share facts, or this would prove nothing.
    assert any(len(folds) > 1 for folds in folds_of.values())
    assert all(len(set(folds)) == 1 for folds in folds_of.values())
    assert len(set(fold.values())) >= 2
    assert "learned (5-fold by fact)" in printed


@pytest.mark.slow
def test_training_on_a_share_of_the_questions_changes_the_fold_models_not_the_written_one(
    fact_folds: tuple[Path, Path, str],
) -> None:
    folder, questions, printed_all = fact_folds
    printed = run_training(
        "bench/train_reranker.py", folder, questions, "half.txt",
        "--fold-by", "fact", "--train-share", "0.5", "--fold-models", str(folder / "half"),
    )
    kept, several = map(int, groups(r"\((\d+) of (\d+) of several parts, drawn once\)", printed))
    assert 0 < kept < several
    assert "(5-fold by fact, trained on 0.5 of the other folds' questions;" in printed
    # The folds' models learned from fewer questions; the written one from all of them.
    folds = sorted(p.name for p in (folder / "folds").glob("fold-*.txt"))
    assert folds and folds == sorted(p.name for p in (folder / "half").glob("fold-*.txt"))
    assert all((folder / "folds" / f).read_bytes() != (folder / "half" / f).read_bytes() for f in folds)
    assert (folder / "model.txt").read_bytes() == (folder / "half.txt").read_bytes()
    # A fact in no candidate is missed whatever the model: the candidates do not change.
    outside = r"(\d+) in no candidate"
    assert groups(outside, printed) == groups(outside, printed_all)
