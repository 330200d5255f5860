"""Question answering over news archives: ingest, index, retrieve, answer with citations.

    import qa
    archive = qa.Archive("my-index")
    archive.add(["articles/"])
    answer = archive.ask("What was agreed in Jinan?")
"""

from __future__ import annotations

from pathlib import Path

from qa.archive import Archive
from qa.config import Settings, default_index_dir
from qa.errors import (
    ArticleFileError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    InvalidQueryError,
    ModelError,
    QAError,
    SyncError,
)
from qa.llm import LLMConfig
from qa.types import (
    Answer,
    ArchiveStats,
    Article,
    Chunk,
    Citation,
    IndexReport,
    Passage,
    Problem,
    Source,
)

__all__ = [
    "Answer",
    "Archive",
    "ArchiveStats",
    "Article",
    "ArticleFileError",
    "Chunk",
    "Citation",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexReport",
    "InvalidQueryError",
    "LLMConfig",
    "ModelError",
    "Passage",
    "Problem",
    "QAError",
    "Settings",
    "Source",
    "SyncError",
    "default_index_dir",
    "retrieve",
]


def retrieve(question: str, k: int = 5, *, index_dir: str | Path | None = None) -> list[Passage]:
    """Retrieve passages from an existing index (QA_INDEX_DIR or ./qa-index by default)."""
    with Archive(index_dir or default_index_dir(), create=False) as archive:
        return archive.retrieve(question, k)
