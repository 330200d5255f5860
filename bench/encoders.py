"""Benchmark: chunks/s of the torch and int8 ONNX encoders on news text, and how well they agree.

    python bench/encoders.py [--limit 600] [--threads 1 2] [--cache-dir DIR]

Splits the bodies of the MultiHop-RAG corpus into ~200-word pieces (about 256 word pieces each),
encodes them with both backends and prints a JSON record, then a short table.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from embeddings.encoder import BUNDLED_MODEL, SentenceTransformerEncoder, bundled_model_dir
from embeddings.onnx_encoder import OnnxEncoder

CORPUS = Path("/work/shared/data/multihop-rag/corpus.json")
BATCH_SIZES = (1, 8, 32)  # 1 is the ONNX default: a text's vector then depends on it alone


def split_pieces(corpus: Path, *, words: int = 200, limit: int = 600) -> list[str]:
    """The first `limit` pieces of about `words` words from the article bodies."""
    pieces: list[str] = []
    for article in json.loads(corpus.read_text(encoding="utf-8")):
        tokens = article["body"].split()
        for start in range(0, len(tokens), words):
            pieces.append(" ".join(tokens[start : start + words]))
            if len(pieces) >= limit:
                return pieces
    return pieces


def timed(encode: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    """The vectors and the seconds taken."""
    started = time.perf_counter()
    vectors = encode()
    return vectors, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=600, help="pieces to encode (default 600)")
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=[os.cpu_count() or 1],
        help="ONNX texts encoded at once, one per core (the encoder's `threads`) to try",
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="where the int8 ONNX model is cached")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    pieces = split_pieces(args.corpus, limit=args.limit)
    torch_encoder = SentenceTransformerEncoder(BUNDLED_MODEL)
    tokens = torch_encoder.count_tokens(pieces)
    torch_encoder.encode(pieces[:8])  # warm-up: load the model
    reference, seconds = timed(lambda: torch_encoder.encode(pieces, batch_size=32))
    results: dict[str, object] = {
        "pieces": len(pieces),
        "mean_tokens": round(float(np.mean(tokens)), 1),
        "truncated": sum(n > torch_encoder.max_tokens for n in tokens),
        "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 1),
        "torch": {
            "batch_size": 32,
            "seconds": round(seconds, 2),
            "chunks_per_s": round(len(pieces) / seconds, 1),
        },
    }
    onnx_runs = []
    for threads in args.threads:
        encoder = OnnxEncoder(bundled_model_dir(), args.cache_dir, name=BUNDLED_MODEL, threads=threads)
        encoder.encode(pieces[:8])  # warm-up: export if needed, load the session
        for batch_size in BATCH_SIZES:
            vectors, seconds = timed(lambda: encoder.encode(pieces, batch_size=batch_size))  # noqa: B023
            cosine = np.sum(vectors * reference, axis=1)
            onnx_runs.append(
                {
                    "threads": threads,
                    "batch_size": batch_size,
                    "seconds": round(seconds, 2),
                    "chunks_per_s": round(len(pieces) / seconds, 1),
                    "cosine_mean": round(float(cosine.mean()), 4),
                    "cosine_min": round(float(cosine.min()), 4),
                }
            )
    results["onnx_int8"] = onnx_runs
    best = max(onnx_runs, key=lambda run: float(run["chunks_per_s"]))  # type: ignore[arg-type]
    results["onnx_int8_best"] = best
    print(json.dumps(results, indent=2))

    torch_rate = results["torch"]["chunks_per_s"]  # type: ignore[index]
    print(
        f"\n{'backend':<10} {'threads':>7} {'batch':>5} {'chunks/s':>9} {'speed-up':>8} "
        f"{'cos mean':>8} {'cos min':>8}"
    )
    print(f"{'torch':<10} {'-':>7} {32:>5} {torch_rate:>9} {1.0:>8.1f} {'':>8} {'':>8}")
    for run in onnx_runs:
        print(
            f"{'onnx':<10} {run['threads']:>7} {run['batch_size']:>5} {run['chunks_per_s']:>9} "
            f"{float(run['chunks_per_s']) / torch_rate:>8.1f} {run['cosine_mean']:>8} {run['cosine_min']:>8}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
