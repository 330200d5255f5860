"""The data types returned everywhere: frozen dataclasses with `to_dict()`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# (start, end) of sentences in a text: `qa.sentences.statement_spans` finds them, the store keeps them.
Spans = tuple[tuple[int, int], ...]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


class ToDict:
    """The `to_dict()` every result type has (a base for result types outside this module too)."""

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict (datetimes as ISO 8601 strings)."""
        return _jsonable(self)


@dataclass(frozen=True)
class Article(ToDict):
    """One cleaned news article.

    `text` is the cleaned body: paragraphs separated by a blank line. `content_hash` covers the
    title and the text, so a new `modified` stamp alone does not make an article "changed".
    """

    id: str
    title: str
    text: str
    url: str | None = None
    published: datetime | None = None
    modified: datetime | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    source: str | None = None
    language: str | None = None
    content_hash: str = ""
    source_file: str | None = None
    partial: bool = False


@dataclass(frozen=True)
class Chunk(ToDict):
    """A slice of an article's text: `article.text[start:end] == text`."""

    article_id: str
    ordinal: int
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Passage(ToDict):
    """A retrieved chunk with its article's metadata."""

    text: str
    score: float
    chunk_id: int
    article_id: str
    title: str
    url: str | None
    published: datetime | None
    source: str | None = None
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Citation(ToDict):
    """A numbered source of an answer; `excerpt[sentence_start:sentence_end]` is the cited sentence."""

    n: int
    title: str
    url: str | None
    published: datetime | None
    excerpt: str
    sentence_start: int
    sentence_end: int
    link: str | None
    article_id: str
    source: str | None = None


@dataclass(frozen=True)
class Answer(ToDict):
    """An answer: `text` carries [n] markers that refer to `citations`.

    When `abstained` is true the archive had no good evidence: `text` says so, `citations` is
    empty and `leads` lists the closest passages, for the reader to check by hand.

    `notes` are what `text` ends with that no sentence can be cited for, checked against the
    whole archive instead ("The Verge: no article in the archive mentions Sam Altman."), or
    an outlet asked about of which no article was found ("TechCrunch: no article found on
    Apple Watch.").
    """

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    abstained: bool = False
    leads: tuple[Passage, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem(ToDict):
    """Something in one input file that could not be read (fully)."""

    file: str
    reason: str
    article_id: str | None = None


@dataclass(frozen=True)
class IndexReport(ToDict):
    """What one `Archive.add` / `qa index` run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_embedded: int = 0
    problems: tuple[Problem, ...] = ()
    generation: int | None = None
    seconds: float = 0.0
    sentences_embedded: int = 0

    def summary(self) -> str:
        """One line of counts, as printed by `qa index`."""
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed, {self.chunks_embedded} chunks embedded, "
            f"{self.sentences_embedded} sentences embedded, {len(self.problems)} problem(s)"
        )


@dataclass(frozen=True)
class ArchiveStats(ToDict):
    """The size and identity of an archive."""

    articles: int
    chunks: int
    model: str
    dimension: int
    index_dir: str
    generation: int | None = None
    updated: datetime | None = None
    sources: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Source(ToDict):
    """A synced source (a WordPress site, a feed or a sitemap) as the store records it.

    `articles` counts the articles it gave that are in the archive, `skipped` the items it
    lists that gave none (password-protected posts, pages without text). `watermark` is the
    newest modification time committed from it (UTC); `last_error` is None after a success.
    """

    url: str
    kind: str
    articles: int = 0
    skipped: int = 0
    watermark: datetime | None = None
    added: datetime | None = None
    last_sync: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_summary: str | None = None
    pages: bool = False
