"""Sources: read article files of every common shape into `Article`s, never failing the batch."""

from __future__ import annotations

import glob
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.errors import ArticleFileError
from qa.sources.common import content_hash
from qa.sources.dedupe import dedupe
from qa.sources.pages import article_from_html, article_from_text
from qa.sources.records import articles_from_json, articles_from_jsonl
from qa.types import Article, Problem

log = logging.getLogger(__name__)

__all__ = [
    "ARTICLE_SUFFIXES",
    "DEFAULT_MAX_FILE_BYTES",
    "READERS",
    "Reader",
    "SourceFile",
    "content_hash",
    "dedupe",
    "expand_paths",
    "read_file",
    "reader_for",
    "read_sources",
]

DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024
_NOT_ARTICLES_RE = re.compile(
    r"^(license|licence|copying|notice|readme|changelog|changes|authors|contributing|"
    r"code_of_conduct|security)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reader:
    """One source format: the suffixes that select it, and a content shape that selects it
    whatever the file is called (a `.txt` holding JSON is read as JSON)."""

    name: str
    suffixes: tuple[str, ...]
    read: Callable[[str, str], tuple[list[Article], list[Problem]]]  # (text, path)
    shape: re.Pattern[str] | None = None


# The one table of source formats, tried in order: a file goes to the first reader whose suffix
# or shape it has, else to the last. A new format is one entry here; the app's upload list and
# the folder walk read their suffixes from it.
READERS = (
    Reader("jsonl", (".jsonl", ".ndjson"), articles_from_jsonl),
    Reader("json", (".json",), articles_from_json, re.compile(r"^\s*(\{\s*[\"}]|\[\s*[\[{\]])")),
    Reader(
        "html", (".html", ".htm", ".xhtml"), article_from_html,
        re.compile(r"^\s*(<!doctype html|<html\b|<head\b|<body\b)", re.IGNORECASE),
    ),
    Reader("text", (".txt", ".text", ".md", ".markdown"), article_from_text),
)
ARTICLE_SUFFIXES = tuple(suffix for reader in READERS for suffix in reader.suffixes)


@dataclass(frozen=True)
class SourceFile:
    """What one input file gave: its articles and the problems met while reading it."""

    path: str
    articles: tuple[Article, ...]
    problems: tuple[Problem, ...]


def _is_article_file(path: Path) -> bool:
    return (
        path.suffix.lower() in ARTICLE_SUFFIXES
        and not path.name.startswith(".")
        and not _NOT_ARTICLES_RE.match(path.name)
    )


def _walk(directory: Path, skipped: list[Problem]) -> list[Path]:
    found = []
    for path in sorted(directory.rglob("*")):
        parts = path.relative_to(directory).parts
        if any(part.startswith(".") for part in parts) or not path.is_file():
            continue
        if _is_article_file(path):
            found.append(path)
        elif _NOT_ARTICLES_RE.match(path.name):
            log.debug("skipping %s: a project file (license, readme, ...)", path)
        else:
            skipped.append(Problem(str(path), _not_an_article_format(path)))
    return found


def _not_an_article_format(path: Path) -> str:
    formats = ", ".join(ARTICLE_SUFFIXES)
    if not path.suffix:
        return f"not read: a file without a suffix is not taken for an article (formats: {formats})"
    return f"not read: {path.suffix} is not an article format ({formats})"


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, directories recursively, and glob patterns, in order without repeats.

    Directories and globs yield article files only (by suffix; hidden files and LICENSE, README
    and the like are skipped, sorted); a file named explicitly is always read.

    Raises:
        ArticleFileError: a path does not exist or a glob matches nothing.
    """
    return _expand(paths, [])


def _expand(paths: Iterable[str | Path], skipped: list[Problem]) -> list[Path]:
    """`expand_paths`, adding to `skipped` a problem for each file a folder or glob held that is
    of no article format."""
    if isinstance(paths, (str, Path)):
        raise ValueError("expand_paths takes a list of paths, not a single path")
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = _walk(path, skipped)
            if not found:
                log.warning("%s: no article files in this directory", path)
        elif path.is_file():
            found = [path]
        elif glob.has_magic(str(raw)):
            matches = sorted(Path(p) for p in glob.glob(str(raw), recursive=True))
            if not matches:
                raise ArticleFileError(f"No files match {raw}; check the pattern")
            found = []
            for match in matches:
                if match.is_dir():
                    found.extend(_walk(match, skipped))
                elif _is_article_file(match):
                    found.append(match)
                elif not _NOT_ARTICLES_RE.match(match.name):
                    skipped.append(Problem(str(match), _not_an_article_format(match)))
        else:
            raise ArticleFileError(f"No such file or directory: {raw}; check the path")
        out.extend(found)
    return list(dict.fromkeys(out))


def _decode(data: bytes, name: str) -> tuple[str, list[Problem]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace"), []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as error:
        text = data.decode("utf-8", "replace")
        reason = f"invalid UTF-8 bytes (first at byte {error.start}) replaced with U+FFFD"
        return text, [Problem(name, reason)]


# Text files hold a few undecodable bytes or control characters at most; binary files and random
# bytes hold them everywhere (a third of random bytes decode to U+FFFD).
_NOT_TEXT_SHARE = 0.05
_NOT_TEXT_RE = re.compile(r"[\ufffd\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WORD_RE = re.compile(r"[^\W\d_]{2,}")


def _not_text(text: str, *, words: bool) -> str | None:
    """Why a decoded file is not text (mostly undecodable or control characters, or with `words`
    no words at all), or None. Structured formats report their own emptiness better."""
    sample = text[:1_000_000]
    bad = len(_NOT_TEXT_RE.findall(sample))
    if bad > len(sample) * _NOT_TEXT_SHARE:
        return f"not text: {bad / len(sample):.0%} of its characters are undecodable bytes or control codes"
    if words and not _WORD_RE.search(sample):
        return "not text: it holds no words"
    return None


def reader_for(path: Path, text: str) -> Reader:
    """The reader of a file: the first in READERS whose suffix or shape it has, else the last."""
    suffix = path.suffix.lower()
    for reader in READERS:
        if suffix in reader.suffixes or (reader.shape is not None and reader.shape.match(text)):
            return reader
    return READERS[-1]


def read_file(path: str | Path, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> SourceFile:
    """Read one file of any accepted shape.

    Never raises for bad content or an unreadable file: what went wrong is in `.problems`, one
    line per problem, and whatever could be recovered is in `.articles`. Nothing is logged here:
    the indexer logs the problems of the files it takes in as changes.
    """
    if max_file_bytes < 1:
        raise ValueError(f"max_file_bytes must be positive, not {max_file_bytes}")
    path = Path(path)
    name = str(path)
    try:
        size = path.stat().st_size
        if size > max_file_bytes:
            reason = f"file is {size:,} bytes, over the {max_file_bytes:,}-byte cap (max_file_bytes); skipped"
            return SourceFile(name, (), (Problem(name, reason),))
        with path.open("rb") as handle:
            data = handle.read(max_file_bytes + 1)
    except OSError as error:
        return SourceFile(name, (), (Problem(name, f"cannot read the file ({error.strerror}); skipped"),))
    if len(data) > max_file_bytes:  # grew since stat
        reason = f"file is over the {max_file_bytes:,}-byte cap (max_file_bytes); skipped"
        return SourceFile(name, (), (Problem(name, reason),))
    text, problems = _decode(data, name)
    if not text.strip():
        return SourceFile(name, (), (*problems, Problem(name, "empty file; skipped")))
    reader = reader_for(path, text)
    not_text = _not_text(text, words=reader.name == "text")
    if not_text:
        return SourceFile(name, (), (Problem(name, f"{not_text}; skipped"),))
    articles, more = reader.read(text, name)
    return SourceFile(name, tuple(articles), (*problems, *more))


def read_sources(
    paths: Iterable[str | Path], *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> Iterator[SourceFile]:
    """Expand the paths (raising `ArticleFileError` for a missing one) and read each file, lazily.

    A file a folder or glob held in no article format gives a SourceFile with no articles and
    one problem saying so."""
    skipped: list[Problem] = []
    for path in _expand(paths, skipped):
        yield read_file(path, max_file_bytes=max_file_bytes)
    for problem in skipped:
        yield SourceFile(problem.file, (), (problem,))
