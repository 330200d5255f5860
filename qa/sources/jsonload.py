"""Decode JSON and JSON Lines, repairing malformed or truncated input with `json_repair`."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import json_repair

from qa.cleaning import looks_like_html

log = logging.getLogger(__name__)

# json_repair leaves `\/` undecoded once it is in repair mode; `\/` is only legal inside strings,
# so rewriting every unescaped `\/` to `/` beforehand is exact.
_ESCAPED_SLASH_RE = re.compile(r"(?<!\\)((?:\\\\)*)\\/")
_BLOCK_END_RE = re.compile(r"</(?:p|h[1-6]|li|blockquote|ul|ol|div|figure|pre|table)\s*>", re.IGNORECASE)


@dataclass
class Loaded:
    """One decoded JSON value: `value` is None when nothing could be recovered (see `note`)."""

    value: Any
    truncated: bool = False
    note: str | None = None


def complete_paragraphs(text: str) -> str:
    """The complete paragraphs of a string cut off at its end (HTML block ends or blank lines)."""
    cut = text.rfind("\n\n")
    if looks_like_html(text):
        for match in _BLOCK_END_RE.finditer(text):
            cut = max(cut, match.end())
    elif cut < 0:
        cut = text.rfind("\n")
    return text[:cut] if cut > 0 else ""


def _last_leaf(value: Any) -> tuple[Any, Any]:
    parent: Any = None
    key: Any = None
    node = value
    while isinstance(node, (dict, list)) and node:
        parent, key = node, (next(reversed(node)) if isinstance(node, dict) else len(node) - 1)
        node = parent[key]
    return parent, key


def _fix_cut_leaf(value: Any, text: str, error: json.JSONDecodeError) -> Any:
    """Keep the complete part of the value that the cut went through; drop it when none."""
    parent, key = _last_leaf(value)
    if parent is None:
        return value
    leaf = parent[key]
    if error.msg.startswith("Unterminated string"):
        before = text[: error.pos].rstrip()[-1:]
        is_value = before in (":", "[") or (before == "," and isinstance(parent, list))
        if is_value and isinstance(leaf, str):
            parent[key] = complete_paragraphs(leaf)
    elif text.rstrip()[-1:].isalnum() or text.rstrip()[-1:] in ".-+":
        # A cut number or literal (`12` of `1234`, `tr` of `true`) is not a complete field.
        del parent[key]
    return value


def load_json(text: str) -> Loaded:
    """Decode one JSON document; raw control characters in strings are accepted as they are."""
    try:
        return Loaded(json.loads(text, strict=False))
    except RecursionError:
        return Loaded(None, note="JSON nested too deeply to read; skipped")
    except json.JSONDecodeError as error:
        first_error = error
    if first_error.msg == "Extra data":
        value, _ = json.JSONDecoder(strict=False).raw_decode(text, _leading_space(text))
        return Loaded(value, note=f"extra data after the JSON value at char {first_error.pos}; ignored")
    stripped = text.rstrip()
    truncated = first_error.msg.startswith("Unterminated string") or first_error.pos >= len(stripped)
    try:
        value = json_repair.loads(_ESCAPED_SLASH_RE.sub(r"\1/", text), skip_json_loads=True)
    except RecursionError:
        return Loaded(None, note="JSON nested too deeply to read; skipped")
    except (ValueError, TypeError, IndexError) as error:  # json_repair's own failures
        log.debug("json_repair failed: %s", error)
        value = None
    if not isinstance(value, (dict, list)) or not value:
        return Loaded(
            None, note=f"not valid JSON ({_describe(first_error)}) and nothing recoverable; skipped"
        )
    if truncated:
        return Loaded(_fix_cut_leaf(value, text, first_error), truncated=True)
    return Loaded(value, note=f"malformed JSON ({_describe(first_error)}); repaired")


def _leading_space(text: str) -> int:
    return len(text) - len(text.lstrip())


def _describe(error: json.JSONDecodeError) -> str:
    return f"{error.msg} at line {error.lineno} column {error.colno}"


def load_jsonl(text: str) -> list[tuple[int, Loaded]]:
    """Decode JSON Lines: (line number, value) for each non-empty line."""
    out = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            out.append((number, load_json(line)))
    return out
