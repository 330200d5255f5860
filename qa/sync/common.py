"""What a source reader hands the sync: batches of articles with the item records they update."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from qa.sync.http import Response, SyncError
from qa.sync.state import Item
from qa.types import Article, Problem


@dataclass
class Batch:
    """One committable step of a sync.

    `articles` are (re)indexed; `items` are recorded (an item whose article is None gave no
    article: its former article, if any, is removed); `gone` items vanished from the source
    (their articles are removed unless another item or source still lists them). `state` and
    `watermark` replace the source's when the batch commits (None: unchanged). `unchanged`
    counts listed items that needed no fetch.
    """

    articles: list[Article] = field(default_factory=list)
    items: dict[str, Item] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    state: dict[str, object] | None = None
    watermark: str | None = None
    unchanged: int = 0


def read_json(response: Response) -> Any:
    """The JSON body of a response that must be JSON.

    Raises:
        SyncError: the body is HTML, empty, truncated or otherwise not JSON.
    """
    try:
        return json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        kind = response.headers.get("content-type", "unknown type").split(";")[0]
        snippet = " ".join(response.text[:80].split())
        raise SyncError(
            f"{response.url} answered {len(response.content):,} bytes of {kind} that are not complete "
            f"JSON ({exc.__class__.__name__}: {snippet!r}...); the source is skipped this time, "
            "sync again later"
        ) from exc


def later(a: str | None, b: str | None) -> str | None:
    """The later of two UTC ISO 8601 stamps (either may be None)."""
    if a is None or b is None:
        return a or b
    return max(a, b)
