"""Decode JSON and JSON Lines, repairing malformed or truncated input with `json_repair`."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import json_repair

from qa.cleaning import looks_like_html

log = logging.getLogger(__name__)

# json_repair leaves `\/` undecoded once it is in repair mode; `\/` is only legal inside strings,
# so rewriting every unescaped `\/` to `/` beforehand is exact.
_ESCAPED_SLASH_RE = re.compile(r"(?<!\\)((?:\\\\)*)\\/")
_BLOCK_END_RE = re.compile(r"</(?:p|h[1-6]|li|blockquote|ul|ol|div|figure|pre|table)\s*>", re.IGNORECASE)


# Repair runs at most this long; and not at all on a long text that breaks in its first 2 %
# (random text that happens to start like JSON), which no export damaged in transit looks like.
REPAIR_SECONDS = 20.0
PLAUSIBLE_MIN_CHARS = 64 * 1024
PLAUSIBLE_SHARE = 0.02
_REPAIR_CHILD = (
    "import json, sys, json_repair\n"
    "text = sys.stdin.buffer.read().decode('utf-8', 'surrogatepass')\n"
    "sys.setrecursionlimit(10000)\n"
    "value = json_repair.loads(text, skip_json_loads=True)\n"
    "sys.stdout.write(json.dumps(value))\n"
)


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
    if not truncated and len(text) > PLAUSIBLE_MIN_CHARS and first_error.pos < len(text) * PLAUSIBLE_SHARE:
        return Loaded(None, note=(
            f"not valid JSON ({_describe(first_error)}), broken too early to be a damaged export; "
            "not repaired, skipped"
        ))
    try:
        value = _repair(_ESCAPED_SLASH_RE.sub(r"\1/", text))
    except RecursionError:
        return Loaded(None, note="JSON nested too deeply to read; skipped")
    except subprocess.TimeoutExpired:
        return Loaded(None, note=(
            f"not valid JSON ({_describe(first_error)}) and repairing it took over "
            f"{REPAIR_SECONDS:.0f} s; skipped"
        ))
    if not isinstance(value, (dict, list)) or not value:
        return Loaded(
            None, note=f"not valid JSON ({_describe(first_error)}) and nothing recoverable; skipped"
        )
    if truncated:
        return Loaded(_fix_cut_leaf(value, text, first_error), truncated=True)
    return Loaded(value, note=f"malformed JSON ({_describe(first_error)}); repaired")


def _repair(text: str) -> Any:
    """json_repair's reading of `text`, or None. A long text is repaired in a child process,
    killed after REPAIR_SECONDS (json_repair's time grows faster than its input: 1 MB of garbage
    took 49 s); JSON both ways, no pickle.

    Raises:
        subprocess.TimeoutExpired: the repair took too long.
    """
    if len(text) <= PLAUSIBLE_MIN_CHARS:  # fast enough in-process (~0.1 s at worst)
        try:
            return json_repair.loads(text, skip_json_loads=True)
        except (ValueError, TypeError, IndexError) as error:  # json_repair's own failures
            log.debug("json_repair failed: %s", error)
            return None
    result = subprocess.run(
        [sys.executable, "-c", _REPAIR_CHILD], input=text.encode("utf-8", "surrogatepass"),
        capture_output=True, timeout=REPAIR_SECONDS, check=False,
    )
    if result.returncode:
        log.debug("json_repair failed: %s", result.stderr.decode("utf-8", "replace")[-500:])
        return None
    return json.loads(result.stdout)


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
