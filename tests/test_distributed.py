"""The Ray engine writes the same store as the single-process path (local Ray, real model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import qa
from embeddings.encoder import load_encoder

pytest.importorskip("ray", reason="the Ray engine needs the ray extra: pip install -e '.[ray]'")

DATA = Path(__file__).resolve().parent / "data"


def sentence_contents(archive: qa.Archive) -> dict[str, tuple[str, np.ndarray, bytes]]:
    with archive.store.read() as db:
        rows = db.execute("SELECT key, digest, vectors, spans FROM sentence_embeddings").fetchall()
    return {k: (d, np.frombuffer(v, dtype=np.float16).astype(np.float32), s) for k, d, v, s in rows}


def store_contents(archive: qa.Archive) -> tuple[list[tuple], list[tuple], dict[str, np.ndarray]]:
    with archive.store.read() as db:
        articles = db.execute(
            "SELECT id, title, text, url, published, content_hash FROM articles ORDER BY id"
        ).fetchall()
        chunks = db.execute(
            'SELECT article_id, ordinal, start, "end", text, embed_key FROM chunks '
            "ORDER BY article_id, ordinal"
        ).fetchall()
        vectors = {
            k: np.frombuffer(v, dtype=np.float32) for k, v in db.execute("SELECT key, vector FROM embeddings")
        }
    return articles, chunks, vectors


@pytest.mark.slow
def test_ray_engine_writes_the_same_store(tmp_path: Path, seed_file: Path) -> None:
    ray = pytest.importorskip("ray")
    sources = [seed_file, DATA / "flat", DATA / "wordpress"]
    encoder = load_encoder(backend="onnx", cache_dir=tmp_path / "onnx-cache")
    settings = qa.Settings(backend="onnx")
    try:
        with qa.Archive(tmp_path / "ray", settings=settings, encoder=encoder) as on_ray:
            ray_report = on_ray.add(sources, engine="ray")
            ray_state = store_contents(on_ray)
            ray_sentences = sentence_contents(on_ray)
            assert on_ray.store.integrity_problems() == []
            answer = on_ray.ask("What was agreed in Jinan?")
    finally:
        ray.shutdown()
    with qa.Archive(tmp_path / "local", settings=settings, encoder=encoder) as local:
        local_report = local.add(sources)
        local_state = store_contents(local)
        local_sentences = sentence_contents(local)

    assert ray_report.added == local_report.added > 1
    assert ray_report.chunks_embedded == local_report.chunks_embedded
    assert [p.reason for p in ray_report.problems] == [p.reason for p in local_report.problems]
    assert ray_state[0] == local_state[0]
    assert ray_state[1] == local_state[1]
    assert ray_state[2].keys() == local_state[2].keys()
    for key, vector in local_state[2].items():
        assert float(vector @ ray_state[2][key]) > 0.9999
    # Each chunk's statements, embedded by the Ray actors as the local run embeds them.
    # (Ray embeds a sentence that two batches share once in each.)
    assert ray_report.sentences_embedded >= local_report.sentences_embedded > 0
    assert ray_sentences.keys() == local_sentences.keys() == set(local_state[2])
    for key, (digest, vectors, spans) in local_sentences.items():
        assert spans is not None and ray_sentences[key][0::2] == (digest, spans)
        np.testing.assert_allclose(ray_sentences[key][1], vectors, atol=2e-3)
    assert "20 memorandums of understanding" in answer.text
