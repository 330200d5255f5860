"""Saved HTML pages and plain text / Markdown files to `Article`s."""

from __future__ import annotations

from qa.types import Article, Problem


def article_from_html(text: str, path: str) -> tuple[list[Article], list[Problem]]:
    """An article from a saved HTML page."""
    return [], [Problem(path, "HTML pages are not read yet; skipped")]


def article_from_text(text: str, path: str) -> tuple[list[Article], list[Problem]]:
    """An article from a plain text or Markdown file."""
    return [], [Problem(path, "text files are not read yet; skipped")]
