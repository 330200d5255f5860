"""Sentence-aware chunking within the embedding model's token limit, with the headline as context."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import blingfire

from qa.types import Article, Chunk

TokenCounter = Callable[[Sequence[str]], list[int]]

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_WORD = re.compile(r"\S+")
# blingfire ends a sentence at the "v." of a case's name ("the Epic v. Google trial"), and at a
# title before a name when a sentence starts with it ("… tag. Mr. Irrelevant is …" gives "Mr."
# alone): a lone lower-case "v." is "versus" in news, and these titles come before a name.
_NOT_AN_END = re.compile(
    r"(?:^|[\s(\"“‘'])(?:v|Mr|Mrs|Ms|Messrs|Dr|Prof|St|Mt|Ft|Sen|Rep|Gov|Gen|Lt|Col|Sgt|Capt|Rev)\.\s+$"
)


# A photo's credit, run into the sentence after it when a page's caption lost its line break:
# "Credit: Getty Prior had blasted the decision …", "Credit: AFL Photos / Getty Images The
# Bulldogs held …". The credit is a caption; the sentence after it is news.
_CREDIT = re.compile(r"\b(?:Credit|Photograph|Photo|Picture|Image)s?:[ \t]+")
# The words that end an agency's or a platform's credit ("Getty Images", "Reuters Pool", "Jason
# McDonald/Netflix"), and the pairs that do ("Amazon Prime", "Jim Dedmon-USA TODAY Sports"):
# "Prime" alone may open "Prime Minister Anthony Albanese said …".
_AGENCY_ENDS = frozenset({
    "Getty", "Images", "AFP", "AP", "AAP", "EPA", "PA", "Reuters", "Pool", "Bloomberg", "Businessweek",
    "iStock", "Shutterstock", "Alamy", "Photos", "Supplied", "Netflix", "Nine", "Twitter", "Instagram",
})  # fmt: skip
_AGENCY_PAIRS = frozenset({("Amazon", "Prime"), ("Apple", "TV+"), ("TODAY", "Sports")})
# Words that open a sentence, never a credit ("Credit: AAP In the historical part …").
_OPENERS = frozenset({
    "The", "These", "This", "That", "Those", "It", "It’s", "It's", "He", "He’s", "He's", "She", "She’s",
    "She's", "They", "We", "I", "In", "On", "At", "For", "By", "As", "After", "Before", "But", "And",
    "Earlier", "Later", "However", "Says", "A", "An", "My", "Our", "His", "Her", "Their", "Here", "There",
    "When", "While", "With", "Like",
})  # fmt: skip
_CREDIT_JOINS = frozenset({"/", "-", "–", "&", ",", "of", "the", "and", "via"})
_QUOTE_OPENS = "“\"‘'"
_LOWER_WORD = re.compile(r"\b[a-z]{2,}\b")


def _after_credit(line: str) -> int | None:
    """Where the sentence after a credit that opens `line` starts ("Getty Prior had …" -> 6),
    or None when `line` is nothing but the credit or the credit's end is unclear.

    The credit is the run of capitalised words (and "/", "of", "via" …) up to a quotation or a
    word that opens sentences (not right after a "/" or ",": "Monica Chin / The Verge" is one
    credit), or up to a lower-case word. Ended by a lower-case word, the run's last words are
    the sentence's subject, and the credit is the run's longest start that ends on an agency
    ("Getty Images Adelaide started" -> "Getty Images"); without an agency, a photographer's
    two names ("Eddie Jim Maynard initially baulked" -> "Eddie Jim"). What follows must read as
    a sentence: it holds a lower-case word."""
    words = list(_WORD.finditer(line))
    run: list[re.Match[str]] = []
    for word in words:
        token = word.group()
        joined = run and (run[-1].group() in _CREDIT_JOINS or run[-1].group()[-1] in ",/")
        if run and not joined and (token[0] in _QUOTE_OPENS or token.rstrip(",") in _OPENERS):
            return _sentence_at(line, word.start())
        if token[0].isupper() or token in _AGENCY_ENDS or token in _CREDIT_JOINS or "/" in token:
            run.append(word)
            continue
        if not run:
            return None
        agency = [m for m in range(len(run)) if _ends_agency(run, m)]
        if agency and agency[-1] + 1 < len(run):
            return _sentence_at(line, run[agency[-1] + 1].start())
        if agency and token[0].isdigit():
            return word.start()  # "Shutterstock 1) Music will …": a list's next item
        if not agency and len(run) >= 3 and all(w.group()[0].isupper() for w in run[:3]):
            return run[2].start()
        return None
    return None


def _ends_agency(run: Sequence[re.Match[str]], m: int) -> bool:
    """Whether the credit words `run[: m + 1]` end on an agency's or platform's name."""
    last = run[m].group().rstrip(",").split("/")[-1].split("-")[-1]
    before = run[m - 1].group().split("/")[-1].split("-")[-1] if m else ""
    return last in _AGENCY_ENDS or (before, last) in _AGENCY_PAIRS


def _sentence_at(line: str, start: int) -> int | None:
    """`start`, when what follows it in `line` reads as a sentence (holds a lower-case word)."""
    return start if _LOWER_WORD.search(line, start) else None


# An embed's placeholder, or a page's text-size control, run into the sentence after it:
# "Loading Traders widely expect …", "Got it Normal text size Larger text size Very large text
# size Tyler Mitchell was just 23 when …".
# Nine's text-size control, also debris standing alone (`qa.sentences`).
TEXT_SIZE_CONTROL = r"Normal text size\s+Larger text size\s+Very large text size"
_PLACEHOLDER = re.compile(rf"(?:Loading|Got it\s+{TEXT_SIZE_CONTROL})\s+(?=[A-Z“\"‘])")


def _credit_ends(text: str) -> list[int]:
    """Where a sentence starts right after a credit on the same line (`_after_credit`)."""
    starts = []
    for match in _CREDIT.finditer(text):
        line_end = text.find("\n", match.end())
        line = text[match.end() : len(text) if line_end < 0 else line_end]
        after = _after_credit(line)
        if after is not None:
            starts.append(match.end() + after)
    return starts


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty paragraph of `text`."""
    spans, start = [], 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in (_strip(text, a, b) for a, b in spans) if b > a]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, never crossing a paragraph break.

    blingfire splits the whole text in one call (per paragraph, its per-call cost was most of
    the time); every paragraph start is then a sentence start too.
    """
    paragraph_starts = {start for start, _ in paragraph_spans(text)}
    starts = {a for a in _sentence_starts(text) if not _NOT_AN_END.search(text[max(0, a - 10) : a])}
    starts.update(_credit_ends(text))
    starts.update(m.end() for a in paragraph_starts | starts if (m := _PLACEHOLDER.match(text, a)))
    bounds = sorted(paragraph_starts.union(starts)) + [len(text)]
    spans = [_strip(text, a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
    return [(a, b) for a, b in spans if b > a]


def _sentence_starts(text: str) -> list[int]:
    """Where blingfire's sentences start in `text`.

    blingfire's own offsets function maps bytes to characters in Python and is twenty times
    slower than its plain splitter, so each sentence's first word is found in the text instead.
    """
    starts, cursor = [], 0
    for sentence in blingfire.text_to_sentences(text).split("\n"):
        words = sentence.split()
        if not words:
            continue
        found = text.find(words[0], cursor)
        if found < 0:
            return [a for a, _ in blingfire.text_to_sentences_and_offsets(text)[1]]
        starts.append(found)
        cursor = _sentence_end(text, found, words)
    return starts


def _sentence_end(text: str, start: int, words: list[str]) -> int:
    """Where the sentence of `words` that starts at `start` ends in `text`.

    The next sentence is searched for from here, so this must not stop short: "…CEO Mira Murati.
    Murati was…" would otherwise find the next sentence's "Murati" inside this one. Most
    sentences are single-spaced; otherwise its last word is found after where it could first be.
    """
    joined = " ".join(words)
    if text.startswith(joined, start):
        return start + len(joined)
    last = text.find(words[-1], start + len(joined) - len(words[-1]))
    return start + len(joined) if last < 0 else last + len(words[-1])


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def context_header(article: Article) -> str:
    """What travels with every chunk of an article into the embedding and the lexical index."""
    parts = [article.title]
    byline = " · ".join(
        p for p in (article.source, article.published.date().isoformat() if article.published else None) if p
    )
    if byline:
        parts.append(byline)
    return "\n".join(p for p in parts if p)


def embedding_text(article: Article, chunk_text: str) -> str:
    """The text that is embedded and indexed for one chunk: context header, then the chunk."""
    header = context_header(article)
    return f"{header}\n{chunk_text}" if header else chunk_text


def chunk_article(
    article: Article,
    count_tokens: TokenCounter,
    *,
    max_tokens: int = 256,
    overlap: int = 1,
    context: bool = True,
    verify: bool = True,
) -> list[Chunk]:
    """Split an article into chunks of whole sentences.

    Each chunk's embedding text (context header + chunk) fits in `max_tokens` word pieces,
    special tokens included, so the model never truncates it. A sentence too long for one chunk
    is split between words. `overlap` sentences are repeated at the start of the next chunk.
    With `context=False` the chunk alone must fit (for measuring the headline context's worth).
    Chunks are sized by adding their sentences' counts; `verify` counts each whole embedding
    text again and splits any that is over. Only a tokenizer whose counts add up over
    whitespace (`Encoder.tokens_add_up`, e.g. BERT's WordPiece) can safely skip that.
    """
    text = article.text
    if not text.strip():
        return []
    header = context_header(article) if context else ""
    header_tokens = count_tokens([header])[0] if header else 2
    # Joining adds at most one word piece per boundary; keep a small margin for that.
    budget = max(16, max_tokens - header_tokens - 2)
    units, sizes = _units_within(text, sentence_spans(text), count_tokens, budget)
    costs = [max(0, n - 2) + 1 for n in sizes]

    chunks: list[Chunk] = []
    first = 0
    while first < len(units):
        last, used = first, costs[first]
        while last + 1 < len(units) and used + costs[last + 1] <= budget:
            last += 1
            used += costs[last]
        start, end = units[first][0], units[last][1]
        chunks.append(Chunk(article.id, len(chunks), text[start:end], start, end))
        if last + 1 >= len(units):
            break
        first = max(first + 1, last + 1 - overlap)
    return _verified(article, chunks, count_tokens, max_tokens, context) if verify else chunks


def _units_within(
    text: str, spans: list[tuple[int, int]], count_tokens: TokenCounter, budget: int
) -> tuple[list[tuple[int, int]], list[int]]:
    """Sentences, with any sentence over `budget` word pieces split between words, and the
    word pieces of each (special tokens included)."""
    sizes = count_tokens([text[a:b] for a, b in spans])
    units: list[tuple[int, int]] = []
    unit_sizes: list[int] = []
    for (start, end), size in zip(spans, sizes, strict=True):
        if size - 2 <= budget:
            units.append((start, end))
            unit_sizes.append(size)
            continue
        first_piece = len(units)
        words = [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]
        word_sizes = [n - 2 for n in count_tokens([text[a:b] for a, b in words])]
        piece_start, prev_end, used = words[0][0], words[0][1], 0
        for (w_start, w_end), n in zip(words, word_sizes, strict=True):
            if used and used + n > budget:
                units.append((piece_start, prev_end))
                piece_start, used = w_start, 0
            used += n
            prev_end = w_end
        units.append((piece_start, prev_end))
        unit_sizes.extend(count_tokens([text[a:b] for a, b in units[first_piece:]]))
    return units, unit_sizes


def _verified(
    article: Article, chunks: list[Chunk], count_tokens: TokenCounter, max_tokens: int, context: bool = True
) -> list[Chunk]:
    """Check every embedding text against the real tokenizer; split any chunk still too long."""
    sizes = count_tokens([embedding_text(article, c.text) if context else c.text for c in chunks])
    if all(n <= max_tokens for n in sizes):
        return chunks
    fixed: list[Chunk] = []
    for chunk, size in zip(chunks, sizes, strict=True):
        if size <= max_tokens:
            fixed.append(chunk)
            continue
        middle = chunk.start + _split_point(chunk.text)
        for a, b in ((chunk.start, middle), (middle, chunk.end)):
            a, b = _strip(article.text, a, b)
            part = Chunk(article.id, 0, article.text[a:b], a, b)
            fixed.extend(_verified(article, [part], count_tokens, max_tokens, context))
    return [Chunk(c.article_id, i, c.text, c.start, c.end) for i, c in enumerate(fixed)]


def _split_point(text: str) -> int:
    """A whitespace position near the middle of `text`."""
    middle = len(text) // 2
    right = text.find(" ", middle)
    left = text.rfind(" ", 0, middle)
    candidates = [p for p in (left, right) if p > 0]
    return min(candidates, key=lambda p: abs(p - middle)) if candidates else middle
