"""Settings: one frozen dataclass with defaults. Environment variables are read by the CLI and app only."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_INDEX_DIR = "qa-index"
DEFAULT_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Settings:
    """How an archive ingests, embeds, retrieves and answers.

    Attributes:
        model: the embedding model: "all-MiniLM-L6-v2" (bundled, offline) or any
            sentence-transformers model name or local path.
        backend: "auto" (int8 ONNX for the bundled model when available, else torch), "torch" or "onnx".
        chunk_tokens: the most word pieces one embedding input may hold, headline context and
            special tokens included; chunks are sized so the model never truncates them.
        chunk_overlap: sentences repeated at the start of the next chunk.
        max_file_bytes: input files larger than this are reported and skipped.
        k: passages returned by `retrieve` by default.
        per_article: at most this many passages from one article in a result list (6: best
            Hits@10 and MRR@10 on the MultiHop-RAG dev questions among 1, 2, 3, 4, 6 and no cap).
        answer_sentences: sentences in an extractive answer.
        lock_timeout: seconds a writer waits for another writer's lock (0: fail at once).
    """

    model: str = DEFAULT_MODEL
    backend: str = "auto"
    chunk_tokens: int = 256
    chunk_overlap: int = 1
    max_file_bytes: int = 50 * 1024 * 1024
    k: int = 5
    per_article: int = 6
    answer_sentences: int = 3
    lock_timeout: float = 0.0

    def __post_init__(self) -> None:
        if self.backend not in ("auto", "torch", "onnx"):
            raise ValueError(f"backend must be 'auto', 'torch' or 'onnx', not {self.backend!r}")
        if not 32 <= self.chunk_tokens <= 8192:
            raise ValueError(f"chunk_tokens must be between 32 and 8192, not {self.chunk_tokens}")
        for name in ("chunk_overlap", "max_file_bytes", "k", "per_article", "answer_sentences"):
            if getattr(self, name) < (0 if name == "chunk_overlap" else 1):
                raise ValueError(f"{name} must be positive, not {getattr(self, name)}")

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Settings from QA_* environment variables (for the CLI and the app only)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"QA_{f.name.upper()}")
            if raw is not None:
                values[f.name] = type(getattr(cls(), f.name))(raw)
        return cls(**values)


def default_index_dir(environ: dict[str, str] | None = None) -> Path:
    """QA_INDEX_DIR, else ./qa-index."""
    env = os.environ if environ is None else environ
    return Path(env.get("QA_INDEX_DIR") or DEFAULT_INDEX_DIR)
