"""Approximate search: an archive past the switch-over point gets an IVF index with measured recall."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from embeddings import ann
from embeddings.index import IndexFileError, VectorIndex


def clustered(n: int, dimension: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((50, dimension), dtype=np.float32)
    vectors = centres[rng.integers(0, 50, n)] + 0.3 * rng.standard_normal((n, dimension), dtype=np.float32)
    faiss.normalize_L2(vectors)
    return vectors


def test_exact_below_the_switch_over_point() -> None:
    vectors = clustered(500)
    index = VectorIndex.build(64, np.arange(500), vectors)
    assert ann.right_sized(index) is index
    assert index.nlist == 0


def test_ivf_above_it_keeps_every_id_and_recall(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(ann, "EXACT_MAX_VECTORS", 4000)
    vectors = clustered(12000)
    ids = np.arange(7, 12007)
    ivf = ann.right_sized(VectorIndex.build(64, ids, vectors))
    assert ivf.nlist >= 64
    stored_ids, stored = ivf.contents()
    order = np.argsort(stored_ids)
    assert np.array_equal(stored_ids[order], ids)
    assert np.allclose(stored[order], vectors)

    queries = clustered(100, seed=1)
    exact = VectorIndex.build(64, ids, vectors)
    _, exact_ids = exact.search(queries, 10)
    _, found = ivf.search(queries, 10)
    assert ann.recall_at(10, found, exact_ids) >= 0.9

    checksum = ivf.save(tmp_path / "ivf.faiss")
    loaded = VectorIndex.load(tmp_path / "ivf.faiss", checksum=checksum)
    assert loaded.nlist == ivf.nlist and len(loaded) == len(ivf)
    assert loaded.remove(ids[:100]) == 100
    loaded.add(np.array([1]), vectors[:1])
    assert loaded.search(vectors[:1], 1)[1][0][0] in (1, 7)
    # Vectors are looked up by id after adds and removes (the re-ranker reads its candidates').
    assert np.allclose(loaded.vectors(np.array([1, 12006, 500])), vectors[[0, 11999, 493]])
    with pytest.raises(KeyError):
        loaded.vectors(ids[:1])  # removed


def test_shrinking_returns_to_exact_search(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ann, "EXACT_MAX_VECTORS", 4000)
    vectors = clustered(9000)
    ivf = ann.right_sized(VectorIndex.build(64, np.arange(9000), vectors))
    ivf.remove(np.arange(8000))
    flat = ann.right_sized(ivf)
    assert flat.nlist == 0
    assert np.array_equal(np.sort(flat.ids()), np.arange(8000, 9000))


def test_tune_nprobe_reaches_the_target() -> None:
    vectors = clustered(8000)
    ids = np.arange(8000)
    ivf = ann.build_ivf(64, ids, vectors, nlist=64)
    queries = clustered(50, seed=2)
    exact = faiss.IndexFlatIP(64)
    exact.add(vectors)
    _, rows = exact.search(queries, 10)
    nprobe, recall = ann.tune_nprobe(ivf, queries, ids[rows], target=0.95)
    assert recall >= 0.95
    assert ivf.nprobe == nprobe


@pytest.mark.parametrize("approximate", [False, True], ids=["exact", "ivf"])
def test_a_mapped_index_searches_like_a_loaded_one_even_after_its_file_is_unlinked(
    approximate: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(ann, "EXACT_MAX_VECTORS", 4000 if approximate else 50_000)
    vectors = clustered(6000)
    index = ann.right_sized(VectorIndex.build(64, np.arange(6000), vectors))
    assert (index.nlist > 0) == approximate
    path = tmp_path / "vectors.faiss"
    checksum = index.save(path)
    loaded = VectorIndex.load(path, checksum=checksum)
    mapped = VectorIndex.load(path, checksum=checksum, mmap=True)
    path.unlink()
    queries = clustered(20, seed=3)
    for got, expected in zip(mapped.search(queries, 10), loaded.search(queries, 10), strict=True):
        assert np.array_equal(got, expected)
    assert mapped.nlist == loaded.nlist and len(mapped) == 6000
    assert np.array_equal(mapped.vectors(np.array([5999, 0, 17])), vectors[[5999, 0, 17]])


def test_a_damaged_file_is_refused_when_mapped_too(tmp_path: Path) -> None:
    path = tmp_path / "vectors.faiss"
    checksum = VectorIndex.build(64, np.arange(100), clustered(100)).save(path)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="checksum"):
        VectorIndex.load(path, checksum=checksum, mmap=True)
    path.write_bytes(bytes(data[:50]))
    with pytest.raises(IndexFileError, match="cannot be read by FAISS"):
        VectorIndex.load(path, mmap=True)
    with pytest.raises(IndexFileError, match="missing"):
        VectorIndex.load(tmp_path / "absent.faiss", mmap=True)


@pytest.mark.parametrize("approximate", [False, True])
def test_a_search_among_some_ids_equals_the_whole_search_filtered(
    approximate: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filtered retrieve scores only the admitted ids (FAISS's ID selector); what it finds is
    what ranking the whole index (every probed list, for IVF) and keeping those ids finds."""
    monkeypatch.setattr(ann, "EXACT_MAX_VECTORS", 4000)
    vectors = clustered(6000)
    ids = np.arange(6000) * 3 + 11  # ids are not rows
    index = VectorIndex.build(64, ids, vectors)
    if approximate:
        index = ann.right_sized(index)
        assert index.nlist
    among = np.random.default_rng(2).choice(ids, 300, replace=False)
    queries = clustered(20, seed=3)
    scores, found = index.search(queries, 25, among=among)
    all_scores, everything = index.search(queries, len(index))
    for row in range(len(queries)):
        kept = np.isin(everything[row], among) & (everything[row] >= 0)
        expected = everything[row][kept][:25]
        assert np.array_equal(found[row][: len(expected)], expected)
        assert np.allclose(scores[row][: len(expected)], all_scores[row][kept][:25])
        assert (found[row][len(expected) :] == -1).all()  # an IVF's unprobed lists stay unread
    assert index.search(queries, 25, among=np.zeros(0, dtype=np.int64))[1].shape == (20, 0)
    with pytest.raises(ValueError, match="negative"):
        index.search(queries, 5, among=np.array([-1, 11]))
