"""Vector search at scale: exact vs IVF latency and recall@10 on up to 1M synthetic chunk vectors.

The synthetic vectors keep real embedding statistics: each is a real chunk vector of the
MultiHop-RAG index plus Gaussian noise (norm --noise), renormalised; queries are the real dev
questions embedded by the same model. Prints JSON, then a table.

    python bench/scale.py --index-dir /tmp/mh-index --sizes 10000,50000,200000,1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import faiss
import numpy as np

from embeddings.ann import EXACT_MAX_VECTORS, build_ivf, tune_nprobe
from embeddings.encoder import load_encoder
from qa.store import Store

SHARED = Path(__file__).resolve().parents[2] / "shared"


def synthetic(base: np.ndarray, n: int, noise: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        block = base[np.arange(start, stop) % len(base)].copy()
        jitter = rng.standard_normal(block.shape, dtype=np.float32)
        jitter *= noise / np.linalg.norm(jitter, axis=1, keepdims=True)
        block += jitter
        faiss.normalize_L2(block)
        out[start:stop] = block
    return out


def latencies(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[float, float]:
    times = []
    for q in queries:
        t = time.perf_counter()
        index.search(q[None, :], k)
        times.append(time.perf_counter() - t)
    return float(np.percentile(times, 50) * 1e3), float(np.percentile(times, 95) * 1e3)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index-dir", type=Path, default=Path("/tmp/mh-index"))
    parser.add_argument("--queries", type=Path, default=SHARED / "data/multihop-rag/queries-dev.json")
    parser.add_argument("--sizes", default="10000,50000,200000,1000000")
    parser.add_argument("--noise", type=float, default=0.5)
    parser.add_argument("--query-count", type=int, default=200)
    args = parser.parse_args()

    faiss.omp_set_num_threads(1)
    store = Store(args.index_dir, create=False)
    with store.read() as db:
        _, base = store.live_vectors(db, store.recorded_model()[2])
    questions = [q["query"] for q in json.loads(args.queries.read_text())][: args.query_count]
    queries = load_encoder(backend="torch").encode(questions)

    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        vectors = synthetic(base, n, args.noise)
        ids = np.arange(n, dtype=np.int64)
        exact = faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.shape[1]))
        exact.add_with_ids(vectors, ids)
        _, exact_ids = exact.search(queries, 10)
        exact_p50, exact_p95 = latencies(exact, queries, 100)
        row = {"vectors": n, "exact_p50_ms": round(exact_p50, 2), "exact_p95_ms": round(exact_p95, 2)}
        if n > 4 * 64 * 64:
            t = time.perf_counter()
            ivf = build_ivf(vectors.shape[1], ids, vectors)
            build_s = time.perf_counter() - t
            nprobe, recall = tune_nprobe(ivf, queries, exact_ids)
            ivf_p50, ivf_p95 = latencies(ivf, queries, 100)
            row |= {
                "ivf_nlist": ivf.nlist,
                "ivf_nprobe": nprobe,
                "ivf_recall_at_10": round(recall, 4),
                "ivf_build_s": round(build_s, 1),
                "ivf_p50_ms": round(ivf_p50, 2),
                "ivf_p95_ms": round(ivf_p95, 2),
            }
        rows.append(row)
        del exact, vectors
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "exact_max_vectors": EXACT_MAX_VECTORS,
                "noise": args.noise,
                "peak_rss_mb": round(peak_mb),
                "rows": rows,
            },
            indent=2,
        )
    )
    print(
        f"\n{'vectors':>9} {'exact p50/p95 ms':>18} {'ivf nlist/nprobe':>17} {'recall@10':>9} "
        f"{'ivf p50/p95 ms':>15} {'build s':>8}"
    )
    for r in rows:
        print(
            f"{r['vectors']:>9} {r['exact_p50_ms']:>8.1f}/{r['exact_p95_ms']:<8.1f} "
            f"{str(r.get('ivf_nlist', '-')) + '/' + str(r.get('ivf_nprobe', '-')):>17} "
            f"{r.get('ivf_recall_at_10', float('nan')):>9.3f} "
            f"{r.get('ivf_p50_ms', float('nan')):>7.1f}/{r.get('ivf_p95_ms', float('nan')):<7.1f} "
            f"{r.get('ivf_build_s', float('nan')):>8}"
        )


if __name__ == "__main__":
    main()
