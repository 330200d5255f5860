"""Ingestion speed against the encoder's own: index the 609-article corpus, and encode the same texts raw.

Prints JSON and a table: ingest time until the articles are published (searchable), chunks/s,
raw `encode` chunks/s of the very same embedding texts in the same run (the physical limit),
their ratio, then the time spent embedding every quotable sentence after publishing
(`Settings.sentence_vectors`) and the whole run's time, retrieve/ask latency p50/p95 over the
dev questions, peak RSS, and index size on disk.

The raw encode runs once before and once after the ingest, and the ratio is taken against
their mean: on a shared machine the speed drifts over minutes, and bracketing cancels a steady
drift instead of crediting or charging it to the ingest.

    python bench/ingest.py                      # default backend (auto: int8 ONNX when available)
    python bench/ingest.py --backend torch --no-raw   # the torch path, for the speed-up ratio
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

import qa
from embeddings.encoder import load_encoder
from qa.indexing import chunk_articles, default_chunker
from qa.sources import dedupe, read_sources

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "data/multihop-rag/corpus.json"
QUERIES = SHARED / "data/multihop-rag/queries-dev.json"


def percentiles(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(float(np.percentile(times, 50)) * 1e3, 1),
        "p95_ms": round(float(np.percentile(times, 95)) * 1e3, 1),
    }


def timed(fn, questions: list[str]) -> list[float]:
    times = []
    for question in questions:
        t = time.perf_counter()
        fn(question)
        times.append(time.perf_counter() - t)
    return times


def embedding_texts(corpus: Path, encoder) -> list[str]:
    """The distinct texts an ingest of `corpus` embeds: chunked by the indexer's own code."""
    settings = qa.Settings()
    articles, _ = dedupe(read_sources([corpus], max_file_bytes=settings.max_file_bytes))
    chunks = chunk_articles(0, default_chunker(encoder, settings), articles)
    return list(dict.fromkeys(n.lexical_text for n in chunks))


def raw_encode_seconds(encoder, texts: list[str]) -> float:
    encoder.encode(["warm up"])
    started = time.perf_counter()
    encoder.encode(texts)
    return time.perf_counter() - started


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", default="auto", choices=["auto", "torch", "onnx"])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--questions", type=int, default=200, help="dev questions timed for latency")
    parser.add_argument("--keep", type=Path, help="keep the index here instead of a temp dir")
    parser.add_argument(
        "--no-raw", dest="raw", action="store_false", help="skip the raw encode (and the ratio)"
    )
    args = parser.parse_args()

    index_dir = args.keep or Path(tempfile.mkdtemp(prefix="qa-bench-")) / "index"
    if index_dir.exists():
        shutil.rmtree(index_dir)
    raw_encoder = load_encoder(backend=args.backend)
    texts = embedding_texts(args.corpus, raw_encoder) if args.raw else []
    raw_before = raw_encode_seconds(raw_encoder, texts) if args.raw else None

    encoder = load_encoder(backend=args.backend)  # its own caches start cold, as in a fresh process
    encoder.encode(["warm up the model before the clock starts"])
    archive = qa.Archive(index_dir, encoder=encoder)
    published: list[float] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "sentences" and not published:
            published.append(time.perf_counter())

    started = time.perf_counter()
    report = archive.add([args.corpus], progress=progress)
    total_s = time.perf_counter() - started
    ingest_s = (published[0] if published else time.perf_counter()) - started

    raw_s = None
    if args.raw:
        with archive.store.read() as db:
            stored = {r[0] for r in db.execute("SELECT body FROM chunks_fts")}
        if stored != set(texts):
            raise SystemExit("the chunks of the ingest differ from the raw encode's texts")
        raw_after = raw_encode_seconds(raw_encoder, texts)
        raw_s = (raw_before + raw_after) / 2

    questions = [q["query"] for q in json.loads(QUERIES.read_text())][: args.questions]
    retrieve_times = timed(lambda q: archive.retrieve(q, k=10), questions)
    ask_times = timed(archive.ask, questions)

    chunks = report.chunks_embedded
    result = {
        "backend": getattr(encoder, "backend", args.backend),
        "articles": report.added,
        "chunks": chunks,
        "ingest_s": round(ingest_s, 1),
        "ingest_chunks_per_s": round(chunks / ingest_s, 1),
        "raw_encode_s": round(raw_s, 1) if raw_s else None,
        "raw_encode_s_before_after": [round(raw_before, 1), round(raw_after, 1)] if raw_s else None,
        "raw_encode_chunks_per_s": round(len(texts) / raw_s, 1) if raw_s else None,
        "ingest_to_raw_ratio": round((chunks / ingest_s) / (len(texts) / raw_s), 3) if raw_s else None,
        "sentences": report.sentences_embedded,
        "sentences_s": round(total_s - ingest_s, 1),
        "total_s": round(total_s, 1),
        "retrieve": percentiles(retrieve_times),
        "ask": percentiles(ask_times),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "index_mb": round(dir_size(index_dir) / 2**20, 1),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=2))
    print(
        f"\n{result['backend']}: {chunks} chunks in {result['ingest_s']} s = "
        f"{result['ingest_chunks_per_s']} chunks/s; raw encode {result['raw_encode_chunks_per_s']} chunks/s; "
        f"ratio {result['ingest_to_raw_ratio']}\nthen {result['sentences']} sentences in "
        f"{result['sentences_s']} s: {result['total_s']} s in all\n"
        f"retrieve p50/p95 {result['retrieve']['p50_ms']}/"
        f"{result['retrieve']['p95_ms']} ms; "
        f"ask p50/p95 {result['ask']['p50_ms']}/{result['ask']['p95_ms']} ms; "
        f"peak RSS {result['peak_rss_mb']} MB; index {result['index_mb']} MB"
    )
    archive.close()
    if not args.keep:
        shutil.rmtree(index_dir.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
