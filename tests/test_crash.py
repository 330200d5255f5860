"""Crash safety: reindexes killed with SIGKILL at random moments and at every named crash point.

After each kill the store must open, pass the integrity check, hold exactly the previous or the
new generation and answer queries; a rerun must reach exactly the state of an uninterrupted run,
reusing the embeddings the killed run committed.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from pathlib import Path

import pytest
from crash_worker import Worker, assert_same_state, store_state
from test_store import short_articles

import qa
from qa.indexing import CRASH_POINTS

pytestmark = pytest.mark.slow

EMBED_BATCH = 2
SENTENCE_BATCH = 2
RANDOM_KILLS = 30


@pytest.fixture(scope="module")
def worker() -> Worker:
    w = Worker()
    yield w
    w.close()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, encoder, worker: Worker) -> dict:
    """A base store of 8 short articles, and a target corpus: 2 changed, 1 gone, 3 new."""
    root = tmp_path_factory.mktemp("crash")
    articles = short_articles(11)
    base_file = root / "base" / "articles.json"
    base_file.parent.mkdir()
    base_file.write_text(json.dumps(articles[:8]))
    target = [dict(a) for a in articles[:8] if a is not articles[2]] + articles[8:]
    for a in target[:2]:
        a["body"] += "\n\nThis paragraph was added in an update."
    target_file = root / "target" / "articles.json"
    target_file.parent.mkdir()
    target_file.write_text(json.dumps(target))

    base = root / "base-index"
    with qa.Archive(base, encoder=encoder) as archive:
        archive.add([base_file])
    job = {
        "cmd": "reindex", "paths": [str(target_file)], "prune": True, "embed_batch": EMBED_BATCH,
        "sentence_batch": SENTENCE_BATCH,
    }
    reference = root / "reference"
    shutil.copytree(base, reference)
    started = time.perf_counter()
    assert worker.run(**job, index_dir=str(reference), result=str(root / "ref.json"))["status"] == 0
    seconds = time.perf_counter() - started
    # The first run also warms the worker up: the random kills are timed on the faster of two,
    # or most of them would land after the run on a busy machine.
    again = root / "again"
    shutil.copytree(base, again)
    started = time.perf_counter()
    assert worker.run(**job, index_dir=str(again), result=str(root / "again.json"))["status"] == 0
    seconds = min(seconds, time.perf_counter() - started)
    shutil.rmtree(again)
    report = json.loads((root / "ref.json").read_text())
    assert (report["added"], report["updated"], report["removed"]) == (3, 2, 1)
    return {
        "root": root, "base": base, "job": job, "seconds": seconds, "embedded": report["chunks_embedded"],
        "sentences": report["sentences_embedded"],
        "base_state": store_state(base), "reference_state": store_state(reference),
    }


def _check_after_kill(index_dir: Path, scenario: dict, encoder) -> None:
    with qa.Archive(index_dir, encoder=encoder, create=False) as archive:
        assert archive.store.integrity_problems() == []
        state = store_state(index_dir)
        published = [
            s for s in ("base_state", "reference_state")
            if (state["articles"], state["chunks"]) == (scenario[s]["articles"], scenario[s]["chunks"])
        ]
        assert published, "the killed store holds neither the previous nor the new generation"
        ids = {row[0] for row in state["articles"]}
        passages = archive.retrieve("What happened?", k=3)
        assert passages and {p.article_id for p in passages} <= ids


def _rerun(worker: Worker, index_dir: Path, scenario: dict) -> dict:
    result = index_dir.parent / (index_dir.name + ".json")
    outcome = worker.run(**scenario["job"], index_dir=str(index_dir), result=str(result))
    assert outcome["status"] == 0
    assert_same_state(store_state(index_dir), scenario["reference_state"])
    assert not list(index_dir.glob("*.tmp"))
    return json.loads(result.read_text())


def _fresh_copy(scenario: dict, name: str) -> Path:
    work = scenario["root"] / name
    shutil.copytree(scenario["base"], work)
    return work


@pytest.mark.parametrize(
    "point,nth",
    [(p, 1) for p in CRASH_POINTS if not p.endswith("_batch")]
    + [("embedded_batch", n) for n in (1, 2, 3)]
    + [("sentences_batch", n) for n in (1, 2)],
)
def test_crash_at_each_point_then_rerun(
    point: str, nth: int, scenario: dict, worker: Worker, encoder
) -> None:
    work = _fresh_copy(scenario, f"at-{point}-{nth}")
    outcome = worker.run(**scenario["job"], index_dir=str(work), result=str(work) + ".unused",
                         crash_at=point, crash_nth=nth)
    assert outcome["signal"] == 9, f"the run never reached {point} #{nth}"
    _check_after_kill(work, scenario, encoder)
    report = _rerun(worker, work, scenario)
    total = scenario["embedded"]
    committed = CRASH_POINTS.index(point) >= CRASH_POINTS.index("after_commit")
    if point == "embedded_batch":
        # Work done before the kill is kept: only the batches not yet committed are embedded.
        assert report["chunks_embedded"] == max(0, total - EMBED_BATCH * nth)
    elif point == "locked":
        assert report["chunks_embedded"] == total
    else:
        assert report["chunks_embedded"] == 0
    if committed:
        assert (report["added"], report["updated"], report["removed"]) == (0, 0, 0)
    else:
        assert (report["added"], report["updated"], report["removed"]) == (3, 2, 1)
    if point == "sentences_batch":
        # The sentences of the batches committed before the kill are not embedded again.
        assert report["sentences_embedded"] < scenario["sentences"]
    else:
        assert report["sentences_embedded"] == scenario["sentences"]


def test_a_child_killed_inside_tqdm_lock_does_not_stall_the_next(scenario: dict, worker: Worker) -> None:
    """Forked children share tqdm's lock; a random kill inside it (every `encode` takes it) once
    left it held, and the next run waited for it until CI's time ran out."""
    assert worker.run(cmd="die_in_tqdm_lock")["signal"] == 9
    work = _fresh_copy(scenario, "after-tqdm-kill")
    assert worker.run(**scenario["job"], index_dir=str(work), result=str(work) + ".json")["status"] == 0
    assert_same_state(store_state(work), scenario["reference_state"])


def test_random_sigkills_then_rerun(scenario: dict, worker: Worker, encoder) -> None:
    rng = random.Random(20240807)
    killed = 0
    for i in range(RANDOM_KILLS):
        work = _fresh_copy(scenario, f"random-{i}")
        delay = rng.uniform(0.0, scenario["seconds"] * 1.1)
        outcome = worker.run(**scenario["job"], index_dir=str(work), result=str(work) + ".unused",
                             kill_after=delay)
        killed += outcome["signal"] == 9
        _check_after_kill(work, scenario, encoder)
        report = _rerun(worker, work, scenario)
        assert report["chunks_embedded"] <= scenario["embedded"]
        shutil.rmtree(work)
    assert killed >= RANDOM_KILLS // 2, "most runs should have been killed mid-way"
