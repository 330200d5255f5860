"""The pinned public API: names, types, and the seed question end to end on the real parts."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

import qa

SEED_URL = (
    "https://koreapro.org/2024/08/rok-shandong-meeting-signals-seouls-intent-to-improve-ties-with-china/"
)


def test_public_names_are_pinned() -> None:
    assert qa.__all__ == [
        "Answer",
        "Archive",
        "ArchiveStats",
        "Article",
        "ArticleFileError",
        "Chunk",
        "Citation",
        "IndexLockedError",
        "IndexMismatchError",
        "IndexNotFoundError",
        "IndexReport",
        "InvalidQueryError",
        "LLMConfig",
        "ModelError",
        "Passage",
        "Problem",
        "QAError",
        "Settings",
        "Source",
        "SyncError",
        "default_index_dir",
        "retrieve",
    ]
    for name in qa.__all__:
        assert hasattr(qa, name), name


@pytest.mark.parametrize(
    "cls", [qa.Passage, qa.Answer, qa.Citation, qa.IndexReport, qa.ArchiveStats, qa.Article, qa.Source]
)
def test_result_types_are_frozen_dataclasses(cls: type) -> None:
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen
    assert hasattr(cls, "to_dict")


def test_seed_question_is_answered_with_a_citation(seed_archive: qa.Archive) -> None:
    answer = seed_archive.ask("What was agreed in Jinan?")
    assert not answer.abstained
    assert "20 memorandums of understanding" in answer.text
    assert "[1]" in answer.text
    assert answer.citations
    assert any(c.url == SEED_URL for c in answer.citations)
    for c in answer.citations:
        assert c.title == "ROK-Shandong meeting signals Seoul\u2019s intent to improve ties with China"
        assert c.published is not None and c.published.tzinfo is not None
        assert c.excerpt[c.sentence_start : c.sentence_end] in answer.text
    json.dumps(answer.to_dict())


def test_retrieve_returns_passages_best_first(seed_archive: qa.Archive) -> None:
    passages = seed_archive.retrieve("What was agreed in Jinan?", k=5)
    assert passages and all(isinstance(p, qa.Passage) for p in passages)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    top = passages[0]
    assert top.article_id == "2206214"
    assert top.url == SEED_URL
    # Aware, in the site's own time (Seoul): the date its readers see, the same instant as UTC.
    assert top.published is not None and top.published.utcoffset() == timedelta(hours=9)
    assert top.published == datetime(2024, 8, 20, 23, 0, 29, tzinfo=UTC)
    assert top.published.date().isoformat() == "2024-08-21"
    assert "Jinan" in top.text


def test_stats_describe_the_archive(seed_archive: qa.Archive) -> None:
    stats = seed_archive.stats()
    assert (stats.articles, stats.model, stats.dimension) == (1, "all-MiniLM-L6-v2", 384)
    assert stats.chunks >= 1
    assert stats.index_dir == str(seed_archive.index_dir)


def test_add_is_incremental_and_remove_deletes(archive: qa.Archive, seed_file) -> None:
    first = archive.add([seed_file])
    assert (first.added, first.updated, first.unchanged) == (1, 0, 0)
    assert first.chunks_embedded >= 1
    again = archive.add([seed_file])
    assert (again.added, again.unchanged, again.chunks_embedded) == (0, 1, 0)
    assert again.generation == first.generation
    removed = archive.remove(["2206214"])
    assert removed.removed == 1
    assert archive.stats().articles == 0
    assert archive.retrieve("Jinan") == []
    assert archive.store.integrity_problems() == []


def test_module_level_retrieve(seed_archive: qa.Archive) -> None:
    passages = qa.retrieve("What was agreed in Jinan?", k=2, index_dir=seed_archive.index_dir)
    assert passages[0].article_id == "2206214"


def test_missing_index_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(qa.IndexNotFoundError, match="qa index"):
        qa.retrieve("anything", index_dir=tmp_path / "nowhere")


@pytest.mark.parametrize("question", ["", "   ", "x" * 2001])
def test_bad_questions_are_rejected(seed_archive: qa.Archive, question: str) -> None:
    with pytest.raises(qa.InvalidQueryError):
        seed_archive.retrieve(question)


def test_a_number_of_passages_below_one_is_refused(seed_archive: qa.Archive) -> None:
    for k in (0, -1):
        with pytest.raises(ValueError, match="k must be positive"):
            seed_archive.ask("What was agreed in Jinan?", k=k)
        with pytest.raises(ValueError, match="k must be positive"):
            seed_archive.retrieve("What was agreed in Jinan?", k=k)


def test_another_model_is_refused(seed_archive: qa.Archive) -> None:
    other = qa.Archive(seed_archive.index_dir, settings=qa.Settings(model="/no/such/model"))
    with pytest.raises(qa.QAError):
        other.retrieve("Jinan")
