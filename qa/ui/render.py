"""HTML for the chat: answers with numbered source cards, leads, status and upload reports.

Article strings (title, text, URL, outlet) are untrusted scraped content. Every one of them is
escaped for HTML *and* Markdown before it reaches the page, links are built here and only
http(s), and the Chatbot renders neither Markdown nor LaTeX: no article HTML is ever rendered.
These are pure functions of their arguments; tests call them without Gradio.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from qa.types import Answer, ArchiveStats, Citation, IndexReport

EXCERPT_CONTEXT = 220  # characters of context shown each side of a cited sentence

# Characters that mean something to Markdown, LaTeX or an HTML attribute: all become entities,
# so that `![x](http://…)` in an article is inert text whatever renders the string later.
_ENTITIES = {c: f"&#{ord(c)};" for c in "&<>\"'`*_[](){}!#|~$\\:"}
_ENTITY_RE = re.compile("[" + re.escape("".join(_ENTITIES)) + "]")
_CITE_RE = re.compile(r"\[(\d{1,2})\]")


# -- rendering: every article string goes through escape_text or safe_href --------------------


def escape_text(text: str | None) -> str:
    """Text as inert HTML: HTML-, Markdown- and LaTeX-significant characters become entities."""
    return _ENTITY_RE.sub(lambda m: _ENTITIES[m.group()], text or "")


def safe_href(url: str | None) -> str | None:
    """An http(s) URL escaped for an href attribute, or None for anything else (javascript:, data:…).

    Quotes, angle brackets and backticks are percent-encoded (they have no business in a URL and
    would matter to a lax HTML or Markdown parser); whitespace and control characters refuse the URL.
    """
    if not url or any(ord(c) < 33 or c == "\x7f" for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    url = re.sub(r"[\"'<>`\\]", lambda m: f"%{ord(m.group()):02X}", url)
    return html.escape(url, quote=True)


def _link(url: str | None, label_html: str, css_class: str) -> str:
    href = safe_href(url)
    if href is None:
        return f'<span class="{css_class}">{label_html}</span>'
    return (
        f'<a class="{css_class}" href="{href}" target="_blank" rel="noopener noreferrer nofollow">'
        f"{label_html}</a>"
    )


def _date(value: datetime | None) -> str:
    return value.date().isoformat() if value else "undated"


def excerpt_window(text: str, start: int, end: int, context: int = EXCERPT_CONTEXT) -> tuple[str, str, str]:
    """(before, sentence, after): the cited sentence with about `context` characters each side."""
    lo, hi = max(0, start - context), min(len(text), end + context)
    if lo > 0:
        space = text.find(" ", lo, start)
        lo = space + 1 if space != -1 else lo
    if hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space != -1 else hi
    before = ("… " if lo > 0 else "") + text[lo:start]
    after = text[end:hi] + (" …" if hi < len(text) else "")
    return before, text[start:end], after


def _escape_lines(text: str) -> str:
    """escape_text, with the article's paragraph breaks kept as line breaks."""
    return re.sub(r"\s*\n\s*", "<br>", escape_text(text))


def _answer_text_html(text: str, numbers: set[int], turn: int) -> str:
    """Answer text with each known [n] turned into a link to cited sentence n of this turn."""
    out, last = [], 0
    for match in _CITE_RE.finditer(text):
        n = int(match.group(1))
        if n not in numbers:
            continue
        out.append(escape_text(text[last : match.start()]))
        out.append(f'<a class="qa-cite" href="#qa-src-{turn}-{n}" title="Source {n}">&#91;{n}&#93;</a>')
        last = match.end()
    out.append(escape_text(text[last:]))
    return "".join(out)


def group_by_article(citations: Sequence[Citation]) -> list[list[Citation]]:
    """Citations grouped by the article they cite, in the order each article is first cited."""
    groups: dict[tuple[str, ...], list[Citation]] = {}
    for c in citations:
        key = (c.article_id,) if c.article_id else (c.title, c.url or "")
        groups.setdefault(key, []).append(c)
    return list(groups.values())


Mark = tuple[int, int, int]  # (start, end, n): cited sentence n at text[start:end]
Block = tuple[str, list[Mark]]
MIN_OVERLAP = 12  # characters two excerpts must share to be read as one stretch of the article


def _overlap(left: str, right: str) -> int:
    """The length of the longest end of `left` that begins `right` and ends where a word of
    `right` ends (0 under MIN_OVERLAP)."""
    for k in range(min(len(left), len(right)), MIN_OVERLAP - 1, -1):
        if left.endswith(right[:k]) and (k == len(right) or right[k].isspace()):
            return k
    return 0


def _shift(marks: Sequence[Mark], by: int) -> list[Mark]:
    return [(start + by, end + by, n) for start, end, n in marks]


def _join(a: Block, b: Block) -> Block | None:
    """`a` and `b` as one block when one excerpt holds the other or they overlap end to start
    (neighbouring chunks of an article share `chunk_overlap` sentences, and so can two excerpts
    of it); None when they do not, or when a sentence would carry two marks."""
    (text_a, marks_a), (text_b, marks_b) = a, b
    joined: Block | None = None
    if (at := text_a.find(text_b)) >= 0:
        joined = text_a, marks_a + _shift(marks_b, at)
    elif (at := text_b.find(text_a)) >= 0:
        joined = text_b, _shift(marks_a, at) + marks_b
    elif k := _overlap(text_a, text_b):
        joined = text_a + text_b[k:], marks_a + _shift(marks_b, len(text_a) - k)
    elif k := _overlap(text_b, text_a):
        joined = text_b + text_a[k:], _shift(marks_a, len(text_b) - k) + marks_b
    if joined is None:
        return None
    spans = sorted(joined[1])
    if any(end > start for (_, end, _), (start, _, _) in zip(spans, spans[1:], strict=False)):
        return None
    return joined


def _excerpts(citations: Sequence[Citation]) -> list[Block]:
    """(excerpt, [(start, end, n), ...]) blocks of one article in which no sentence shows twice:
    overlapping excerpts are joined into one, and a cited sentence found in an earlier excerpt
    is highlighted there rather than shown again."""
    blocks: list[Block] = []
    for c in citations:
        block: Block = (c.excerpt, [(c.sentence_start, c.sentence_end, c.n)])
        sentence = c.excerpt[c.sentence_start : c.sentence_end]
        for i, (text, marks) in enumerate(blocks):
            if joined := _join((text, marks), block):
                blocks[i] = joined
                break
            start = text.find(sentence)
            end = start + len(sentence)
            if sentence and start >= 0 and all(end <= a or start >= b for a, b, _ in marks):
                marks.append((start, end, c.n))
                break
        else:
            blocks.append(block)
    return _join_all(blocks)


def _join_all(blocks: list[Block]) -> list[Block]:
    """Blocks joined until no two overlap (a later excerpt can bridge two earlier ones)."""
    for i, j in itertools.combinations(range(len(blocks)), 2):
        if joined := _join(blocks[i], blocks[j]):
            return _join_all([*blocks[:i], joined, *blocks[i + 1 : j], *blocks[j + 1 :]])
    return blocks


def _excerpt_html(text: str, marks: Sequence[Mark], turn: int) -> str:
    """One excerpt with each cited sentence in a <mark> that [n] links to, and some context."""
    marks = sorted(marks)
    before, _, after = excerpt_window(text, marks[0][0], max(end for _, end, _ in marks))
    out, last = [_escape_lines(before)], marks[0][0]
    for start, end, n in marks:
        out.append(_escape_lines(text[last:start]))
        out.append(f'<mark id="qa-src-{turn}-{n}">{escape_text(text[start:end])}</mark>')
        last = end
    out.append(_escape_lines(after))
    return f'<blockquote class="qa-excerpt">{"".join(out)}</blockquote>'


def render_source(citations: Sequence[Citation], turn: int) -> str:
    """The source card of one article: its citation numbers, title (linked to the first cited
    sentence), outlet, date, and excerpts with every cited sentence highlighted."""
    first = citations[0]
    numbers = "".join(f'<span class="qa-n">{c.n}</span>' for c in citations)
    title = _link(first.link or first.url, escape_text(first.title), "qa-title")
    meta = escape_text(" · ".join(x for x in (first.source, _date(first.published)) if x))
    excerpts = "".join(_excerpt_html(text, marks, turn) for text, marks in _excerpts(citations))
    return (
        f'<div class="qa-source"><div class="qa-source-head">{numbers} {title}'
        f' <span class="qa-meta">{meta}</span></div>{excerpts}</div>'
    )


def render_answer(
    answer: Answer, *, turn: int = 0, query: str | None = None, partial: bool = False
) -> str:
    """The answer and its source cards (one per article), as HTML in which every article string is escaped.

    Args:
        turn: the conversation turn, to keep element ids unique across answers.
        query: the rewritten question actually searched, shown as a note when given.
        partial: render only the text so far (while streaming); sources come with the last frame.
    """
    parts = ['<div class="qa-answer">' if partial else '<div class="qa-answer qa-final">']
    if query:
        parts.append(f'<p class="qa-note">Searched for: {escape_text(query)}</p>')
    numbers = {c.n for c in answer.citations}
    # The notes that end the text are checked against the whole archive, not cited: set apart.
    notes, text = "\n".join(answer.notes), answer.text
    if notes and text.endswith(notes):
        text = text.removesuffix(notes).rstrip("\n")
    parts.append(f'<p class="qa-text">{_answer_text_html(text, numbers, turn)}</p>')
    if text != answer.text:
        checked = '<p class="qa-uncited" title="Checked against the whole archive">{}</p>'
        parts.extend(checked.format(escape_text(note)) for note in answer.notes)
    if answer.abstained and answer.leads and not partial:
        parts.append('<div class="qa-leads"><p>Closest articles (leads to check, not citations):</p><ul>')
        for lead in answer.leads:
            label = escape_text(lead.title)
            meta = escape_text(" · ".join(x for x in (lead.source, _date(lead.published)) if x))
            parts.append(f'<li>{_link(lead.url, label, "qa-title")} <span class="qa-meta">{meta}</span></li>')
        parts.append("</ul></div>")
    if answer.citations and not partial:
        parts.append('<div class="qa-sources">')
        parts.extend(render_source(group, turn) for group in group_by_article(answer.citations))
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


def render_error(message: str) -> str:
    return f'<div class="qa-answer qa-final"><p class="qa-error">{escape_text(message)}</p></div>'


def render_status(stats: ArchiveStats) -> str:
    """The index status line: articles, chunks, generation, last update."""
    updated = stats.updated.strftime("%Y-%m-%d %H:%M UTC") if stats.updated else "never"
    generation = stats.generation if stats.generation is not None else "none"
    text = (
        f"{stats.articles:,} articles · {stats.chunks:,} chunks · generation {generation} · "
        f"last update {updated}"
    )
    return f'<p class="qa-status">{escape_text(text)}</p>'


def render_report(report: IndexReport, refused: Sequence[str] = ()) -> str:
    """What an upload did: added / updated / unchanged / problems (file names only, escaped)."""
    counts = (
        f"{report.added} added · {report.updated} updated · {report.unchanged} unchanged · "
        f"{len(report.problems) + len(refused)} problem(s)"
    )
    items = [escape_text(r) for r in refused]
    for p in report.problems:
        where = Path(p.file).name + (f" (post {p.article_id})" if p.article_id else "")
        items.append(escape_text(f"{where}: {p.reason}"))
    problems = "".join(f"<li>{item}</li>" for item in items)
    return f'<div class="qa-report"><p>{escape_text(counts)}</p>' + (
        f"<ul>{problems}</ul></div>" if problems else "</div>"
    )



def example_questions(headlines: Sequence[str], limit: int = 4) -> list[dict[str, str]]:
    """Example messages for the empty chat, from the archive's newest real-looking headlines."""
    examples: list[dict[str, str]] = []
    for title in headlines:
        title = " ".join(title.split())
        # Skip stubs ("awdawd") and titles made from a body's first words ("… …").
        if len(title.split()) < 4 or title.endswith("…") or len(title) > 120:
            continue
        examples.append({"text": f"What does the archive say about “{title}”?", "display_text": title})
        if len(examples) == limit:
            break
    return examples
