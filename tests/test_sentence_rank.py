"""The learned choice of an answer's sentences (qa/sentence_rank.py): its features, the shipped
model, the questions it answers, and its training script."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from test_answer import BRIGHTLOOP, SPOTIFY_FACT, small_archive
from test_rerank import groups, run_training, train_twice

from embeddings.encoder import Encoder
from qa.answer import answered_by_model, gather_evidence, sentence_matrix
from qa.config import AnswerWeights
from qa.errors import ModelError
from qa.rerank import train
from qa.sentence_rank import FEATURES, features, model, order
from qa.types import Passage

ROOT = Path(__file__).resolve().parents[1]
BRIGHTLOOP_QUESTION = (
    "Which startup raised $40 million from Northwind Ventures, leased a warehouse near the Tagus "
    "river in Portugal, and hired a former Spotify engineer to lead its technology?"
)


def passage(article: str, source: str, text: str = "Text.") -> Passage:
    return Passage(text, 1.0, 1, article, article, url=None, published=None, source=source)


def test_features_place_each_sentence_among_the_others_and_within_its_article() -> None:
    matrix = features(
        lexical=[0.2, 0.9, 0.5], fit=[0.0, 0.3, 0.0], shares=[(0.1, 0.8), (0.7, 0.0), (0.1, 0.9)],
        passage=[0, 0, 3], article=[0, 0, 1], position=[0, 120, 40], length=[30, 60, 45],
        context=[False, False, True], similarity=[0.4, 0.6, 0.5], rank=[0.9, 1.4, 1.0],
        clause=[0.0, 0.0, 0.0], matches=[(0.2, 0.7), (0.6, 0.1), (0.3, 0.8)],
    )
    column = {name: matrix[:, n] for n, name in enumerate(FEATURES)}
    assert matrix.shape == (3, len(FEATURES))
    assert column["part_best"].tolist() == [0.8, 0.7, 0.9]
    assert column["lexical_place"].tolist() == pytest.approx(np.log1p([2, 0, 1]).tolist())
    # Within article 0 the first sentence matches a part best; the third is alone in article 1.
    assert column["article_place"].tolist() == pytest.approx(np.log1p([0, 1, 0]).tolist())
    # Each sentence's best place by one part's share: 1st by part 2, 1st by part 1, 1st by part 2 is taken.
    assert column["part_place"].tolist() == pytest.approx(np.log1p([1, 0, 0]).tolist())
    assert column["context"].tolist() == [0.0, 0.0, 1.0] and set(column["parts"].tolist()) == {2.0}
    assert column["rank_place"].tolist() == pytest.approx(np.log1p([2, 0, 1]).tolist())
    none = features([], [], [], [], [], [], [], [], [], [], [], [])
    assert none.shape == (0, len(FEATURES)) and order(none).tolist() == []


def test_a_question_of_no_parts_gets_zero_part_signals() -> None:
    matrix = features([0.5], [0.0], [()], [0], [0], [0], [10], [False], [0.3], [0.8], [0.0], [()])
    column = {name: matrix[0, n] for n, name in enumerate(FEATURES)}
    assert column["parts"] == 0 and column["part_best"] == 0 and column["match_best"] == 0


def test_the_shipped_model_reads_the_features_and_prefers_the_sentence_that_matches_a_part() -> None:
    booster = model()
    assert booster.feature_name() == list(FEATURES)
    common = {"passage": 0.0, "article": 0.0, "position": np.log1p(200), "length": np.log1p(120), "parts": 3}
    strong = dict.fromkeys(FEATURES, 0.0) | common | {
        "lexical": 0.5, "part_best": 0.9, "part_mean": 0.3, "similarity": 0.55, "rank": 1.2,
        "match_best": 1.0, "match_mean": 0.5,
    }
    weak = dict.fromkeys(FEATURES, 0.0) | common | {
        "lexical": 0.05, "similarity": 0.1, "rank": 0.2, "match_best": 0.1, "match_mean": 0.05,
        "part_place": np.log1p(20), "lexical_place": np.log1p(20), "rank_place": np.log1p(20),
        "match_place": np.log1p(20), "article_place": np.log1p(5), "similarity_place": np.log1p(5),
        "match_article_place": np.log1p(5),
    }
    matrix = np.array([[weak[f] for f in FEATURES], [strong[f] for f in FEATURES]])
    assert order(matrix).tolist() == [1, 0]


def test_a_model_of_other_features_or_no_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not this step's"):
        model(ROOT / "qa" / "models" / "reranker.txt")  # the re-ranker's 21 features
    # As many features as this step's, under other names (an older version of the step).
    rng = np.random.default_rng(0)
    renamed = [f"signal_{n}" for n in range(len(FEATURES))]
    matrices, labels = [rng.random((60, len(FEATURES)))], [(rng.random(60) > 0.8).astype(float)]
    train(matrices, labels, renamed, truncation=10, rounds=3).save_model(str(tmp_path / "old.txt"))
    with pytest.raises(ModelError, match="signal_0"):
        model(tmp_path / "old.txt")
    with pytest.raises(ModelError, match="no such model file"):
        model(tmp_path / "missing.txt")


def test_the_model_answers_questions_of_several_parts_or_outlets_only() -> None:
    passages = [passage("a", "TechCrunch"), passage("b", "The Verge")]
    assert answered_by_model(BRIGHTLOOP_QUESTION, passages)
    assert answered_by_model("Did both The Verge and TechCrunch report on the Courier X1 robot?", passages)
    assert not answered_by_model("How much did Brightloop raise?", passages)
    latest = "What is the latest on the Courier X1 from The Verge and TechCrunch?"
    assert not answered_by_model(latest, passages)


def test_evidence_carries_the_models_order_for_several_parts(tmp_path: Path, encoder: Encoder) -> None:
    archive = small_archive(tmp_path, BRIGHTLOOP, encoder)
    passages = archive.answer_passages(BRIGHTLOOP_QUESTION)
    learned = gather_evidence(BRIGHTLOOP_QUESTION, passages, archive.sentence_vectors)
    assert sorted(learned.learned, key=learned.ranked.index) == list(learned.ranked)
    assert sentence_matrix(learned).shape == (len(learned.ranked), len(FEATURES))
    # The model puts the third report's fact (few of the question's words) among the answer's.
    assert SPOTIFY_FACT in [s.text for s in learned.learned[: len(learned.parts) + 3]]
    off = replace(AnswerWeights(), learned=False)
    hand = gather_evidence(BRIGHTLOOP_QUESTION, passages, archive.sentence_vectors, weights=off)
    assert hand.learned == ()
    # The model chooses among more embedded sentences (`learned_budget`).
    assert len(learned.ranked) > len(hand.ranked)
    single = gather_evidence("How much did Brightloop raise?", passages, archive.sentence_vectors)
    assert single.learned == ()


@pytest.mark.slow
def test_training_is_reproducible_and_estimates_unseen_questions(
    tmp_path: Path, benchmark_slice_dir: Path
) -> None:
    printed, trained = train_twice("bench/train_sentences.py", tmp_path, benchmark_slice_dir)
    assert "every gold fact among the model's first sentences (5-fold, before" in printed
    assert model(trained).num_feature() == len(FEATURES)
    # A learning curve's point: the folds' models learn from fewer questions, the written one from all.
    share = run_training(
        "bench/train_sentences.py", tmp_path, tmp_path / "questions.json", "share.txt", "--train-share", "0.5"
    )
    drawn = r"trained on 0\.5 of the other folds' questions \((\d+) of (\d+), drawn once\)"
    kept, answered = map(int, groups(drawn, share))
    assert 0 < kept < answered
    assert groups(r"(\d+) answered by the model", share) == (str(answered),)
    assert (tmp_path / "share.txt").read_bytes() == trained.read_bytes()
    # The folds' models did learn from fewer questions: their estimate moved.
    estimate = r"\nall\s+(\d\.\d{3})  \("
    assert groups(estimate, share) != groups(estimate, printed), share
