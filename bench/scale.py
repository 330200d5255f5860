"""Search at scale: exact vs IVF vector search, and the whole `retrieve`, on up to 1M synthetic chunks.

The synthetic vectors keep real embedding statistics: each is a real chunk vector of the
MultiHop-RAG index plus Gaussian noise (norm --noise), renormalised; queries are the real dev
questions embedded by the same model. Prints JSON, then a table.

    python bench/scale.py --index-dir /tmp/mh-index --sizes 10000,50000,200000,1000000
    python bench/scale.py --index-dir /tmp/mh-index --sizes '' --retrieve-at 1000000

`--retrieve-at N` times the whole ranking of `Archive.retrieve` (query embedding, IVF search,
chunk and sentence BM25, fusion with outlet and date features, the per-article cap) over N
chunks: the index's chunks repeated, each copy a separate article, with noisy vectors as above.
The re-ranker's sentence signals pool the question's parts from its own pass, as
`Archive.retrieve` does, and read each candidate's sentence vectors from the index's SQLite (a
copy's from its original chunk), with nothing kept between questions (`Archive.chunk_sentences`
keeps them): those reads are look-ups in a table of the index's size, not of N chunks (a B-tree
a level or two shallower; a million chunks' sentence vectors would be about 5 GB).
It also times building the per-generation catalog (BM25 over the chunks and their sentences),
which the writer does once per published generation, saving and loading it (what a reader
does); the queries run on the loaded catalog. Then the same, filtered to the commonest outlet:
the second look `ask` takes for a named outlet that retrieval missed.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

from embeddings.ann import EXACT_MAX_VECTORS, build_ivf, tune_nprobe
from embeddings.encoder import Encoder, encode_spans, load_encoder
from embeddings.index import VectorIndex
from qa.catalog import Catalog
from qa.query import Filters
from qa.ranking import SentenceSource, rank_chunk_ids, reranked_units, unit_spans
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
    parser.add_argument(
        "--retrieve-at", type=int, default=0, help="also time the whole retrieve at N chunks"
    )
    parser.add_argument(
        "--outlets", type=int, default=0,
        help="with --retrieve-at: deal the copies' articles out to N more outlets (an archive of many "
        "feeds); by default each copy keeps its original's outlet",
    )
    args = parser.parse_args()
    if args.outlets and not args.retrieve_at or args.outlets < 0:
        parser.error(f"--outlets {args.outlets}: give a number of outlets (0 or more) with --retrieve-at")

    faiss.omp_set_num_threads(1)
    store = Store(args.index_dir, create=False)
    with store.read() as db:
        _, base = store.live_vectors(db, store.recorded_model()[2])
        # Sorted by chunk id, as live_vectors returns the vectors: row i is vector i.
        catalog_rows = sorted(store.chunk_catalog(db)) if args.retrieve_at else []
    questions = [q["query"] for q in json.loads(args.queries.read_text())][: args.query_count]
    # The whole retrieve embeds queries with the store's own backend; vector search alone with torch.
    backend = ("torch" if store.recorded_model()[1] == "torch" else "onnx") if args.retrieve_at else "torch"
    encoder = load_encoder(backend=backend)
    queries = encoder.encode(questions)

    full = None
    if args.retrieve_at:
        originals = np.array([row[0] for row in catalog_rows], dtype=np.int64)
        with store.read() as db:
            sentences = copied_sentences(store, db, originals, encoder.dimension)
            full = full_retrieve(
                args.retrieve_at, catalog_rows, base, questions, queries, encoder, args.noise, sentences,
                outlets=args.outlets,
            )
    rows = []
    for n in [int(s) for s in args.sizes.split(",") if s]:
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
                "retrieve": full,
            },
            indent=2,
        )
    )
    if full:
        print(
            f"\nretrieve at {full['chunks']} chunks of {full['outlets']} outlets: p50 {full['p50_ms']} ms, "
            f"p95 {full['p95_ms']} ms "
            f"(query embedding included); catalog built in {full['catalog_build_s']} s (saved in "
            f"{full['catalog_save_s']} s, loaded in {full['catalog_load_s']} s), IVF in "
            f"{full['ivf_build_s']} s (nprobe {full['ivf_nprobe']}, recall@10 {full['ivf_recall_at_10']}); "
            f"filtered to {full['filtered_to']}: p50 {full['filtered_p50_ms']} ms, "
            f"p95 {full['filtered_p95_ms']} ms"
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


def copied_sentences(
    store: Store, db: sqlite3.Connection, originals: np.ndarray, dimension: int
) -> Callable[[np.ndarray], list[np.ndarray | None]]:
    """The sentence look-up of the repeated chunks: chunk i's sentences are those of the index's
    chunk it copies (`originals[i % len(originals)]`), read from the index's store, never kept."""

    def sentences(chunk_ids: np.ndarray) -> list[np.ndarray | None]:
        copied = originals[chunk_ids % len(originals)].tolist()
        stored = store.sentence_vectors(db, copied, dimension)
        return [stored[c].vectors if c in stored else None for c in copied]

    return sentences


def full_retrieve(
    n: int,
    catalog_rows: list[tuple],
    base: np.ndarray,
    questions: list[str],
    queries: np.ndarray,
    encoder: Encoder,
    noise: float,
    sentences: Callable[[np.ndarray], list[np.ndarray | None]],
    *,
    outlets: int = 0,
) -> dict[str, object]:
    """Time the whole ranking of `Archive.retrieve` over `n` chunks (see the module docstring).
    With `outlets`, the copies' articles (not the originals) are dealt out in turn to that many
    more outlets, "Outlet 0" to "Outlet {outlets - 1}"."""
    rows = []
    copied: dict[str, int] = {}
    for i in range(n):
        chunk_id, article_id, source, published, lexical, text = catalog_rows[i % len(catalog_rows)]
        copy = f"{article_id}~{i // len(catalog_rows)}"
        if outlets and i >= len(catalog_rows):
            source = f"Outlet {copied.setdefault(copy, len(copied)) % outlets}"
        rows.append((i, copy, source, published, lexical, text))
    started = time.perf_counter()
    built = Catalog.build(rows)
    catalog_s = time.perf_counter() - started
    del rows
    # Queries run on the catalog as a reader gets it: saved by the writer, loaded (mapped).
    saved_in = Path(tempfile.mkdtemp(prefix="qa-catalog-"))
    started = time.perf_counter()
    built.save(saved_in)
    save_s = time.perf_counter() - started
    del built
    started = time.perf_counter()
    catalog = Catalog.load(saved_in)
    load_s = time.perf_counter() - started
    vectors = synthetic(base, n, noise)
    ids = np.arange(n, dtype=np.int64)
    started = time.perf_counter()
    ivf = build_ivf(vectors.shape[1], ids, vectors)
    ivf_s = time.perf_counter() - started
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, exact_ids = exact.search(queries, 10)
    del exact, vectors
    nprobe, recall = tune_nprobe(ivf, queries, exact_ids)
    index = VectorIndex(ivf.d, ivf)

    def timed(k: int, filters: Filters) -> list[float]:
        """Seconds per question of a retrieve, query embedding included."""
        seconds = []
        for question in questions:
            t = time.perf_counter()
            units = reranked_units(question, catalog)
            pooled = encode_spans(encoder, question, unit_spans(question, units))
            source = SentenceSource(pooled[1:], sentences) if units else None
            rank_chunk_ids(
                index, catalog, pooled[:1], question, k=k, per_article=6, filters=filters, sentences=source
            )
            seconds.append(time.perf_counter() - t)
        return seconds

    times = timed(5, Filters())
    # The second look `ask` takes for a named outlet that retrieval missed: a retrieve filtered
    # to one outlet (the commonest, which the filter admits most of).
    outlet = max(catalog.sources, key=lambda s: int(np.sum(catalog.source == catalog.sources.index(s))))
    filtered = timed(2, Filters(source=outlet))
    shutil.rmtree(saved_in)
    return {
        "chunks": n,
        "outlets": len(catalog.sources),
        "catalog_build_s": round(catalog_s, 1),
        "catalog_save_s": round(save_s, 1),
        "catalog_load_s": round(load_s, 1),
        "ivf_build_s": round(ivf_s, 1),
        "ivf_nprobe": nprobe,
        "ivf_recall_at_10": round(recall, 4),
        "p50_ms": round(float(np.percentile(times, 50)) * 1e3, 1),
        "p95_ms": round(float(np.percentile(times, 95)) * 1e3, 1),
        "filtered_to": outlet,
        "filtered_p50_ms": round(float(np.percentile(filtered, 50)) * 1e3, 1),
        "filtered_p95_ms": round(float(np.percentile(filtered, 95)) * 1e3, 1),
    }


if __name__ == "__main__":
    main()
