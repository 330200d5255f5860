"""Readers under a publishing writer: threads and another process query while 20 generations land.

Every query must see one whole generation: all its hits are chunks of a single published
generation (each generation rewrites three articles, so its chunk ids identify it), no query
fails, and readers move on to new generations without reopening anything.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from crash_worker import Worker
from test_store import short_articles, write_articles

import qa

pytestmark = pytest.mark.slow

GENERATIONS = 20
QUESTION = "bulletin edition news"
SETTINGS = qa.Settings(per_article=1)
ARTICLES = 6  # 3 stable, 3 rewritten by every generation; one chunk each


def _corpus(edition: int) -> list[dict]:
    articles = short_articles(ARTICLES)
    for a in articles[3:]:
        a["body"] = f"Bulletin edition {edition}. " + a["body"]
    return articles


def _published(archive: qa.Archive) -> tuple[int, dict[int, str]]:
    with archive.store.read() as db:
        generation = archive.store.generation(db)
        return generation.id, dict(db.execute("SELECT id, text FROM chunks"))


def _generation_of(ids: list[int], texts: list[str], generations: dict[int, dict[int, str]]) -> int:
    """The one generation whose chunks are exactly these hits (all of its articles)."""
    assert len(ids) == ARTICLES, f"a query returned {len(ids)} hits, not {ARTICLES}: a mixed snapshot?"
    matches = [
        g for g, chunks in generations.items()
        if all(chunks.get(i) == t for i, t in zip(ids, texts, strict=True))
    ]
    assert len(matches) == 1, f"hits {ids} belong to no single generation"
    return matches[0]


def test_readers_see_whole_generations_while_twenty_are_published(encoder, tmp_path: Path) -> None:
    source = tmp_path / "src" / "articles.json"
    writer = qa.Archive(tmp_path / "index", encoder=encoder, settings=SETTINGS)
    writer.add([write_articles(source, _corpus(0))])
    generations = dict([_published(writer)])

    worker = Worker()
    stop_file, out_file = tmp_path / "stop", tmp_path / "other-process.jsonl"
    worker.start(cmd="query_loop", index_dir=str(tmp_path / "index"), question=QUESTION, k=ARTICLES,
                 out=str(out_file), stop=str(stop_file), settings={"per_article": 1})

    shared = qa.Archive(tmp_path / "index", encoder=encoder, settings=SETTINGS)
    own = qa.Archive(tmp_path / "index", encoder=encoder, settings=SETTINGS)
    stop = threading.Event()
    results: dict[str, list[tuple[list[int], list[str]]]] = {"shared-1": [], "shared-2": [], "own": []}
    errors: list[BaseException] = []

    def read(name: str, archive: qa.Archive) -> None:
        while not stop.is_set():
            try:
                passages = archive.retrieve(QUESTION, k=ARTICLES)
            except BaseException as exc:  # collected: the test fails on any
                errors.append(exc)
                return
            results[name].append(([p.chunk_id for p in passages], [p.text for p in passages]))

    threads = [
        threading.Thread(target=read, args=("shared-1", shared)),
        threading.Thread(target=read, args=("shared-2", shared)),
        threading.Thread(target=read, args=("own", own)),
    ]
    for t in threads:
        t.start()
    try:
        for edition in range(1, GENERATIONS + 1):
            report = writer.add([write_articles(source, _corpus(edition))])
            assert report.updated == 3
            generation, chunks = _published(writer)
            generations[generation] = chunks
            time.sleep(0.05)
        last = max(generations)
        # Every reader picks up the last generation without reopening anything.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            lines = out_file.read_text().splitlines() if out_file.exists() else []
            latest = json.loads(lines[-1]) if lines else {}
            done = "ids" in latest and _generation_of(latest["ids"], latest["texts"], generations) == last
            if done and all(r and _generation_of(*r[-1], generations) == last for r in results.values()):
                break
            time.sleep(0.2)
    finally:
        stop.set()
        stop_file.touch()
        for t in threads:
            t.join(timeout=120)
        outcome = worker.finish()
        worker.close()
    assert not errors, errors
    assert outcome["status"] == 0
    other = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert not [o["error"] for o in other if "error" in o]
    results["other process"] = [(o["ids"], o["texts"]) for o in other]
    for name, seen in results.items():
        pinned = [_generation_of(ids, texts, generations) for ids, texts in seen]
        assert pinned == sorted(pinned), f"{name} went back to an older generation"
        assert pinned[-1] == last, f"{name} never saw the last generation"
        assert len(set(pinned)) >= 2, f"{name} never saw a new generation"
    assert len(generations) == GENERATIONS + 1
    assert sorted(p.name for p in (tmp_path / "index").glob("vectors-*")) == [
        f"vectors-{last - 1:06d}.faiss", f"vectors-{last:06d}.faiss",
    ]
    assert writer.store.integrity_problems() == []
    for archive in (writer, shared, own):
        archive.close()
