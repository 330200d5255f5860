"""Scale-out ingestion on Ray: read, clean, chunk and encode as a Ray Data pipeline.

The driver keeps what must stay single: the writer lock, the diff against the store, chunk ids,
committing embeddings in batches and publishing the generation, all through `qa.indexing`, so
the store a Ray run writes is the same as a single-process run's. Workers get file paths and
chunk texts, return articles with their chunks, and vectors: the chunks', then, once the
generation is published, those of each chunk's statements (`Settings.sentence_vectors`).

    qa index ARTICLES --engine ray                 # a local Ray started by the command
    RAY_ADDRESS=ray://head:10001 qa index ... --engine ray   # an existing cluster
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.encoder import Encoder, load_encoder
from embeddings.onnx_encoder import reopen_advice
from qa.config import Settings
from qa.errors import QAError
from qa.indexing import (
    EMBED_BATCH,
    SENTENCE_BATCH,
    Progress,
    chunk_articles,
    chunk_settings,
    default_chunker,
    diff_changes,
    no_progress,
    publish_changes,
    repair_files,
    sentences_todo,
    statement_vectors,
    writer_lock,
)
from qa.sources import SourceFile, expand_paths, read_file
from qa.store import SENTENCE_DTYPE, Store, StoredStatements, blob_spans, span_blob
from qa.types import Article, Chunk, IndexReport, Problem

log = logging.getLogger(__name__)



def _article_from_dict(data: dict[str, Any]) -> Article:
    times = {k: datetime.fromisoformat(data[k]) if data[k] else None for k in ("published", "modified")}
    return Article(
        **{**data, **times, "authors": tuple(data["authors"]), "categories": tuple(data["categories"])}
    )


class _ReadAndChunk:
    """A Ray actor: reads one file per row, cleans it, and chunks every article it holds."""

    def __init__(self, model: str, backend: str, settings: dict[str, Any]) -> None:
        self.settings = Settings(**settings)
        self.chunker = default_chunker(load_encoder(model, backend=backend), self.settings)

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        source = read_file(row["path"], max_file_bytes=self.settings.max_file_bytes)
        chunks = {a.id: [[c.ordinal, c.start, c.end] for c in self.chunker(a)] for a in source.articles}
        return {
            "path": source.path,
            "articles": json.dumps([a.to_dict() for a in source.articles]),
            "problems": json.dumps([p.to_dict() for p in source.problems]),
            "chunks": json.dumps(chunks),
        }


class _Encode:
    """A Ray actor holding one encoder: embeds a batch of texts."""

    def __init__(self, model: str, backend: str) -> None:
        # Ray runs one actor per core: each encodes on its own core.
        self.encoder = load_encoder(model, backend=backend, threads=1)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.encoder.encode([str(t) for t in batch["text"]])
        return {"key": batch["key"], "vector": vectors}


class _EncodeStatements:
    """A Ray actor holding one encoder: embeds the statements of a batch of chunk texts."""

    def __init__(self, model: str, backend: str) -> None:
        self.encoder = load_encoder(model, backend=backend, threads=1)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        done = statement_vectors([str(t) for t in batch["text"]], self.encoder.encode, self.encoder.dimension)
        rows = done.rows
        return {
            "key": batch["key"],
            "digest": np.array([r.digest for r in rows]),
            "vectors": np.array([r.vectors.astype(SENTENCE_DTYPE).tobytes() for r in rows], dtype=object),
            "spans": np.array([span_blob(r.spans) for r in rows], dtype=object),
            "embedded": np.array(done.embedded),
        }


def _connect(address: str | None, workers: int) -> Any:
    try:
        import ray
    except ImportError as exc:
        raise QAError("The Ray engine needs Ray; run: pip install 'newsdesk-qa[ray]'") from exc
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(address="local", num_cpus=workers, include_dashboard=False, log_to_driver=False)
    return ray


def reindex_on_ray(
    store: Store,
    encoder: Encoder,
    settings: Settings,
    *,
    paths: Iterable[str | Path],
    remove_ids: Sequence[str] = (),
    prune: bool = False,
    address: str | None = None,
    workers: int = 2,
    progress: Progress = no_progress,
) -> IndexReport:
    """`qa.indexing.reindex`, with reading, cleaning, chunking and encoding run on Ray.

    Args:
        address: an existing Ray cluster (as in RAY_ADDRESS); None starts a local Ray.
        workers: actors per stage (one per core or GPU of the cluster).
    """
    started = time.perf_counter()
    ray = _connect(address, workers)
    backend = "torch" if encoder.backend == "torch" else "onnx"
    store.check_model(
        encoder.name, encoder.backend, encoder.dimension, chunk_settings(settings), advice=reopen_advice
    )
    with writer_lock(store, settings.lock_timeout):
        store.clean_files()
        repair_files(store, encoder.dimension)
        files, chunk_spans = _read_and_chunk(ray, encoder.name, backend, settings, paths, workers, progress)

        fallback = default_chunker(encoder, settings)

        def chunker(article: Article) -> list[Chunk]:
            spans = chunk_spans.get(article.id)
            if spans is None:  # a stored article, re-chunked because the chunk settings changed
                return fallback(article)
            return [Chunk(article.id, o, article.text[a:b], a, b) for o, a, b in spans]

        plan = diff_changes(store, settings, files=files, remove_ids=remove_ids, prune=prune)
        plan.new_chunks = chunk_articles(store.next_chunk_id(), chunker, plan.upserts)
        embedded = _embed_on_ray(ray, store, encoder.name, backend, plan.new_chunks, workers, progress)
        generation = store.generation()
        if plan.changes or generation is None:
            generation = publish_changes(
                store,
                plan,
                model=encoder.name,
                dimension=encoder.dimension,
                settings=chunk_settings(settings),
                progress=progress,
            )
        sentences = (
            _embed_sentences_on_ray(ray, store, encoder.name, backend, encoder.dimension, workers, progress)
            if settings.sentence_vectors
            else 0
        )
    return plan.report(embedded=embedded, sentences=sentences, generation=generation, started=started)


def _read_and_chunk(
    ray: Any,
    model: str,
    backend: str,
    settings: Settings,
    paths: Iterable[str | Path],
    workers: int,
    progress: Progress,
) -> tuple[list[SourceFile], dict[str, list[list[int]]]]:
    files = expand_paths(paths)
    if not files:
        return [], {}
    dataset = ray.data.from_items([{"path": str(p)} for p in files]).map(
        _ReadAndChunk,
        fn_constructor_args=(model, backend, _settings_dict(settings)),
        compute=ray.data.ActorPoolStrategy(size=min(workers, len(files))),
    )
    read: list[SourceFile] = []
    spans: dict[str, list[list[int]]] = {}
    for row in dataset.iter_rows():
        articles = tuple(_article_from_dict(a) for a in json.loads(row["articles"]))
        problems = tuple(Problem(**p) for p in json.loads(row["problems"]))
        read.append(SourceFile(row["path"], articles, problems))
        spans.update(json.loads(row["chunks"]))
        progress("read", len(read), len(files))
    # Rows arrive in completion order; dedupe breaks ties by order, so restore the paths' order.
    position = {str(p): i for i, p in enumerate(files)}
    read.sort(key=lambda f: position.get(f.path, len(files)))
    return read, spans


def _through_actors(
    ray: Any,
    todo: Sequence[tuple[str, str]],
    actor: type,
    args: tuple[str, str],
    workers: int,
    batch_size: int,
    out_batch: int,
) -> Iterator[dict[str, np.ndarray]]:
    """`todo`'s (key, text) rows through a pool of `workers` `actor(*args)`, `batch_size` rows a
    call; the results in batches of `out_batch` rows as they come."""
    dataset = ray.data.from_items([{"key": k, "text": t} for k, t in todo]).map_batches(
        actor,
        fn_constructor_args=args,
        batch_size=batch_size,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=workers),
    )
    batches: Iterator[dict[str, np.ndarray]]
    batches = dataset.iter_batches(batch_size=out_batch, batch_format="numpy")
    return batches


def _embed_on_ray(
    ray: Any,
    store: Store,
    model: str,
    backend: str,
    new_chunks: Sequence[Any],
    workers: int,
    progress: Progress,
) -> int:
    missing = store.missing_embeddings(n.embed_key for n in new_chunks)
    todo = sorted({n.embed_key: n.lexical_text for n in new_chunks if n.embed_key in missing}.items())
    progress("embed", 0, len(todo))
    if not todo:
        return 0
    done = 0
    for batch in _through_actors(ray, todo, _Encode, (model, backend), workers, 64, EMBED_BATCH):
        store.save_embeddings([str(k) for k in batch["key"]], np.asarray(batch["vector"], dtype=np.float32))
        done += len(batch["key"])
        progress("embed", done, len(todo))
    return done


def _embed_sentences_on_ray(
    ray: Any, store: Store, model: str, backend: str, dimension: int, workers: int, progress: Progress
) -> int:
    """`qa.indexing.embed_sentences` with the encoding on Ray: each batch of SENTENCE_BATCH chunks
    is embedded by one actor and committed by the driver as it arrives."""
    todo = sentences_todo(store, dimension, progress)
    progress("sentences", 0, len(todo))
    if not todo:
        return 0
    done = embedded = 0
    for batch in _through_actors(
        ray, todo, _EncodeStatements, (model, backend), workers, SENTENCE_BATCH, SENTENCE_BATCH
    ):
        store.save_sentence_vectors(
            [
                (
                    str(key),
                    StoredStatements(
                        str(digest),
                        np.frombuffer(blob, dtype=SENTENCE_DTYPE).reshape(-1, dimension),
                        blob_spans(spans),
                    ),
                )
                for key, digest, blob, spans in zip(
                    batch["key"], batch["digest"], batch["vectors"], batch["spans"], strict=True
                )
            ]
        )
        embedded += int(np.sum(batch["embedded"]))
        done += len(batch["key"])
        progress("sentences", done, len(todo))
    return embedded


def _settings_dict(settings: Settings) -> dict[str, Any]:
    return {
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap,
        "max_file_bytes": settings.max_file_bytes,
    }
