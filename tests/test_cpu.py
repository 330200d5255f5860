"""qa.cpu: numpy's BLAS on one thread while a question is answered, and only then."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import qa
import qa.archive
from qa.cpu import one_blas_thread


def blas_threads() -> set[int]:
    found = threadpool_info()
    return {i["num_threads"] for i in found if i["user_api"] == "blas" and "numpy" in i["filepath"]}


def test_blas_is_on_one_thread_until_the_last_question_ends() -> None:
    with threadpool_limits(2, user_api="blas"):
        first, second = one_blas_thread(), one_blas_thread()
        first.__enter__()
        second.__enter__()
        assert blas_threads() == {1}
        first.__exit__(None, None, None)  # the second question is still being answered
        assert blas_threads() == {1}
        second.__exit__(None, None, None)
        assert blas_threads() == {2}


def test_a_question_runs_with_one_blas_thread_and_leaves_it_as_it_was(
    seed_archive: qa.Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, set[int]] = {}

    def watched(name, function):
        def watching(*args, **kwargs):
            seen[name] = blas_threads()
            return function(*args, **kwargs)

        monkeypatch.setattr(qa.archive, name, watching)

    watched("rank_chunk_ids", qa.archive.rank_chunk_ids)
    watched("compose_answer", qa.archive.compose_answer)
    with threadpool_limits(2, user_api="blas"):
        seed_archive.ask("What was agreed in Jinan?")
        assert blas_threads() == {2}
    assert seen == {"rank_chunk_ids": {1}, "compose_answer": {1}}
