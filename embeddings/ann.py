"""Approximate search for large indexes: an inverted-file (IVF) index chosen by size, its recall measured.

Exact inner-product search (IndexFlatIP) scans every vector: about 1.5 ms per 10k vectors on one
core here, so it meets a 30 ms retrieval budget (query embedding included) up to a few tens of
thousands of chunks. Past `EXACT_MAX_VECTORS`, an IVF index scans only `nprobe` of its `nlist`
clusters. IVF (not HNSW) because chunks are removed on every reindex and FAISS's IVF supports
`remove_ids` while HNSW does not. `nprobe` is set by measurement (`tune_nprobe`) to reach a
recall@10 of at least 0.95 against exact search; the value is saved inside the FAISS file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import faiss
import numpy as np

from embeddings.index import VectorIndex

# Switch-over point: above this many vectors, exact search costs more than ~15 ms per query on
# one core of this class of machine (bench/scale.py measures it); IVF keeps it to a few ms.
EXACT_MAX_VECTORS = 50_000
TARGET_RECALL = 0.95
# k-means needs about 40 training points per centroid; more only costs time.
TRAIN_POINTS_PER_LIST = 64


def nlist_for(n: int) -> int:
    """Clusters for `n` vectors: about 2·sqrt(n), a power of two, at least 64."""
    return max(64, 2 ** round(math.log2(2 * math.sqrt(max(n, 1)))))


def build_ivf(
    dimension: int, ids: np.ndarray, vectors: np.ndarray, *, nlist: int | None = None, seed: int = 0
) -> faiss.IndexIVFFlat:
    """An IVF index over normalised vectors (inner product), trained on a sample of them."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    nlist = nlist or nlist_for(len(vectors))
    if len(vectors) < nlist:
        raise ValueError(f"{len(vectors)} vectors are too few to train {nlist} clusters")
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
    sample_size = min(len(vectors), nlist * TRAIN_POINTS_PER_LIST)
    sample = vectors[np.random.default_rng(seed).choice(len(vectors), sample_size, replace=False)]
    index.train(sample)
    index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
    return index


def recall_at(k: int, approximate: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of the exact top-k ids that the approximate top-k also holds."""
    hits = [
        len(set(a[:k]) & set(e[:k]) - {-1}) / max(1, len(set(e[:k]) - {-1}))
        for a, e in zip(approximate, exact, strict=True)
    ]
    return float(np.mean(hits)) if hits else 1.0


def tune_nprobe(
    index: faiss.IndexIVF,
    queries: np.ndarray,
    exact_ids: np.ndarray,
    *,
    k: int = 10,
    target: float = TARGET_RECALL,
    candidates: Sequence[int] = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256),
) -> tuple[int, float]:
    """The smallest nprobe whose recall@k against `exact_ids` reaches `target`; sets it on `index`."""
    recall = 0.0
    for nprobe in candidates:
        if nprobe > index.nlist:
            break
        index.nprobe = nprobe
        _, found = index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        recall = recall_at(k, found, exact_ids)
        if recall >= target:
            return nprobe, recall
    index.nprobe = min(index.nlist, candidates[-1])
    return index.nprobe, recall


def right_sized(index: VectorIndex, *, seed: int = 0) -> VectorIndex:
    """`index` as the kind its size calls for: exact up to EXACT_MAX_VECTORS, IVF above.

    An IVF index is retrained when the archive has grown to want four times its clusters, and
    turned back into exact search when it shrinks below half the switch-over point. nprobe is
    tuned on queries made like the bench's: stored vectors plus noise, renormalised.
    """
    n, nlist = len(index), index.nlist
    wants_ivf = n > EXACT_MAX_VECTORS
    if wants_ivf and (nlist == 0 or nlist_for(n) >= 4 * nlist):
        ids, vectors = index.contents()
        ivf = build_ivf(index.dimension, ids, vectors, seed=seed)
        rng = np.random.default_rng(seed)
        queries = vectors[rng.choice(n, min(n, 200), replace=False)].copy()
        queries += rng.standard_normal(queries.shape, dtype=np.float32) * (0.5 / math.sqrt(index.dimension))
        faiss.normalize_L2(queries)
        exact = faiss.IndexFlatIP(index.dimension)
        exact.add(vectors)
        _, rows = exact.search(queries, 10)
        tune_nprobe(ivf, queries, ids[rows])
        return VectorIndex(index.dimension, ivf)
    if nlist and n < EXACT_MAX_VECTORS // 2:
        ids, vectors = index.contents()
        return VectorIndex.build(index.dimension, ids, vectors)
    return index
