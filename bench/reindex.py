"""Reindex costs: a full build, an unchanged reindex and a 1%-changed reindex of one corpus.

    python bench/reindex.py [--corpus ../shared/data/multihop-rag/corpus.json] [--backend torch]

The corpus is one JSON list of flat articles. The 1% case writes a copy with 1% of the articles
edited (a sentence appended) into a temporary directory. Prints one JSON object, then a table.
Targets (issue 4): unchanged <= 3% of the full build, 1% changed <= 5%.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from embeddings.encoder import load_encoder
from qa.config import Settings
from qa.indexing import reindex
from qa.store import Store
from qa.types import IndexReport

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "multihop-rag" / "corpus.json"


def _run(store: Store, encoder: object, settings: Settings, path: Path) -> tuple[float, IndexReport]:
    started = time.perf_counter()
    report = reindex(store, encoder, settings, paths=[path])
    return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--backend", default="torch", choices=["torch", "onnx", "auto"])
    parser.add_argument("--limit", type=int, default=0, help="use only the first N articles (0: all)")
    parser.add_argument("--changed", type=float, default=0.01, help="fraction of articles to edit")
    args = parser.parse_args()

    articles = json.loads(args.corpus.read_text())
    if args.limit:
        articles = articles[: args.limit]
    n_changed = max(1, round(len(articles) * args.changed))
    encoder = load_encoder(backend=args.backend)
    encoder.dimension  # noqa: B018 - load the model outside the timings
    settings = Settings()

    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        root = Path(tmp)
        original = root / "original" / "corpus.json"
        original.parent.mkdir()
        original.write_text(json.dumps(articles))
        edited = [dict(a) for a in articles]
        step = len(articles) // n_changed
        for a in edited[::step][:n_changed]:
            a["body"] += "\n\nThis article was updated with one more sentence."
        changed = root / "changed" / "corpus.json"
        changed.parent.mkdir()
        changed.write_text(json.dumps(edited))

        store = Store(root / "index")
        full_s, full = _run(store, encoder, settings, original)
        same_s, same = _run(store, encoder, settings, original)
        edit_s, edit = _run(store, encoder, settings, changed)
        chunks = store.stats_counts()[1]
        faiss_bytes = sum(p.stat().st_size for p in (root / "index").glob("vectors-*.faiss"))
        sqlite_bytes = sum(p.stat().st_size for p in (root / "index").glob("archive.sqlite*"))
        store.close()

    result = {
        "corpus": str(args.corpus),
        "articles": len(articles),
        "chunks": chunks,
        "backend": args.backend,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "full_build_s": round(full_s, 3),
        "unchanged_s": round(same_s, 3),
        "changed_s": round(edit_s, 3),
        "changed_articles": n_changed,
        "unchanged_ratio": round(same_s / full_s, 5),
        "changed_ratio": round(edit_s / full_s, 5),
        "embedded": {
            "full": full.chunks_embedded, "unchanged": same.chunks_embedded, "changed": edit.chunks_embedded,
        },
        "reports": {"full": full.summary(), "unchanged": same.summary(), "changed": edit.summary()},
        "store_bytes": {"sqlite": sqlite_bytes, "faiss_files": faiss_bytes},
    }
    print(json.dumps(result, indent=2))
    print()
    print(f"{'run':<22}{'seconds':>10}{'of full':>10}{'embedded':>10}   target")
    print(f"{'full build':<22}{full_s:>10.2f}{'100%':>10}{full.chunks_embedded:>10}")
    label = "unchanged reindex"
    print(f"{label:<22}{same_s:>10.2f}{same_s / full_s:>10.2%}{same.chunks_embedded:>10}   <= 3%")
    label = f"{n_changed} changed ({args.changed:.0%})"
    print(f"{label:<22}{edit_s:>10.2f}{edit_s / full_s:>10.2%}{edit.chunks_embedded:>10}   <= 5%")


if __name__ == "__main__":
    main()
