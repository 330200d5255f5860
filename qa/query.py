"""The one place a question is read: its terms and stems, the outlets and dates it names,
filters on what it may find, its length limit, and follow-up questions made self-contained.

Retrieval (qa/ranking.py, the BM25 indexes in qa/catalog.py) and answers (qa/answer.py) both
read questions through this module, so they agree on words, stems, outlets and dates.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from qa.errors import InvalidQueryError

if TYPE_CHECKING:
    from qa.catalog import Catalog

MAX_QUESTION_CHARS = 2000

# A word: letters and digits. A term also keeps an inner apostrophe ("o'brien", "ceo’s").
WORD = re.compile(r"[^\W_]+", re.UNICODE)
TERM = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
STOPWORDS = frozenset(STOPWORDS_EN)
# Words that frame a question about news rather than name its subject: they match every chunk,
# so retrieval drops them from its BM25 query.
QUESTION_WORDS = frozenset(
    """about above after again against all also am any article articles based been before being
    between both can could did do does during each either from had has have having he her here
    hers him his how i its me more most my neither nor only other our out over own report
    reported reports same she should so some than them those through under until up very we were
    what when where whether which while who whom why would you your according suggest suggests
    indicate indicates mention mentioned mentions published regarding""".split()  # noqa: SIM905
)
# Words that shape a question but say nothing about its subject, left out of an answer's key
# terms (`key_stems`) and of a question's focus.
SHAPING_WORDS = frozenset(
    """what where when who whom whose which why how whether did does do done has have had been
    being were was is are be would could should can will may might also both between according
    article articles report reported reports reporting mentioned published while about regarding
    considering compare contrast summarize summarise""".split()  # noqa: SIM905
)
MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_NAMES = "|".join(MONTHS)
# "October 4", "October 4th", "October 4, 2023"
_DAY = re.compile(rf"\b({_MONTH_NAMES})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.IGNORECASE)
_LATEST = re.compile(r"\b(latest|most recent(ly)?|newest)\b", re.IGNORECASE)
# "The Verge's report" names The Verge: the possessive is left out before outlets are matched.
_POSSESSIVE = re.compile(r"(?<=[^\W_])['’]s\b")


_SURROGATE = re.compile("[\ud800-\udfff]")


def check_question(question: str) -> str:
    """The stripped question; InvalidQueryError when it is not text, empty or too long."""
    if not isinstance(question, str) or not question.strip():
        raise InvalidQueryError("The question is empty; type a question about the archive.")
    check_length(question)
    return question.strip()


def check_length(question: Any) -> str:
    """`question` unchanged; InvalidQueryError when it is not text, longer than MAX_QUESTION_CHARS,
    or holds a lone surrogate (no character: what undecodable bytes in a command line become)."""
    if not isinstance(question, str):
        raise InvalidQueryError("The question must be text.")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidQueryError(
            f"The question is {len(question):,} characters long; the limit is {MAX_QUESTION_CHARS:,}."
        )
    surrogate = _SURROGATE.search(question)
    if surrogate:
        raise InvalidQueryError(
            f"The question holds an invalid character (U+{ord(surrogate.group()):04X}, at "
            f"{surrogate.start()}); retype it as UTF-8 text."
        )
    return question


# -- terms and stems ----------------------------------------------------------------------------


def english_stemmer() -> Any | None:
    """The Snowball English stemmer (PyStemmer), or None when it is not installed."""
    try:
        import Stemmer
    except ImportError:
        return None
    return Stemmer.Stemmer("english")


def query_terms(question: str, *, question_words: bool = False) -> list[str]:
    """Content words of a question, lower-cased, stopwords dropped, in order, without repeats.

    With `question_words`, words that frame a news question ("article", "according", "does")
    are dropped too.
    """
    terms = [t.lower().replace("’", "'") for t in TERM.findall(question)]
    drop = STOPWORDS | QUESTION_WORDS if question_words else STOPWORDS
    return list(dict.fromkeys(t for t in terms if t not in drop and len(t) > 1))


def is_term(word: str) -> bool:
    """Whether a casefolded word counts for BM25, in questions and in the index alike."""
    return word not in STOPWORDS and len(word) > 1


def bm25_tokens(text: str, stemmer: Any | None) -> list[str]:
    """The BM25 terms of `text` (a question, or a text being indexed), stemmed by `stemmer`."""
    words = [w for w in WORD.findall(text.casefold()) if is_term(w)]
    return stemmer.stemWords(words) if stemmer is not None else words


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light suffix stripper for answers' term overlap: "agreed"/"agree", "talks"/"talk".

    Not the Snowball stemmer BM25 uses (`english_stemmer`): with Snowball here, bench/answers.py
    moved (answerable abstained 0.025 -> 0.030, natural questions 0.529 -> 0.517, cites every
    gold fact 0.181 -> 0.178), so answers keep this one until a change is measured to help.
    """
    word = word.lower().replace("’", "'").removesuffix("'s")
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=1 << 13)
def key_stems(text: str) -> frozenset[str]:
    """The stems of the content words of `text` (question words and news meta-words dropped).

    Memoised, like `stem`: an answer looks at each of its passages' sentences several times,
    and the same articles are asked about again and again (a sixth of a warm answer's time).
    """
    return frozenset(stem(t) for t in query_terms(text) if _CONTRACTED.sub("", t) not in _FRAMING)


# "What's" and "who's" frame a question as "what" and "who" do; "it's" is a stopword. "Up" is a
# particle, not a subject: "Ratcliffe's shake-up" is about Ratcliffe and a shake, "SIGN UP" a
# page's control. (So is "UP", though it may stand for Uttar Pradesh: telling the two apart
# moved a dev answer's confidence, and the benchmark's corpus never writes it.)
_CONTRACTED = re.compile(r"'(s|re|ll|ve|d|m)$")
_FRAMING = SHAPING_WORDS | STOPWORDS | {"whats", "whos", "up"}


@lru_cache(maxsize=1 << 13)
def key_phrases(text: str) -> frozenset[tuple[str, str]]:
    """Each two key stems (`key_stems`) that `text` writes one after the other, stopwords
    between them aside: "the Cup Series championship" -> ("cup", "seri"), ("seri",
    "championship"), which "2023 World Cup" does not hold. Memoised like `key_stems`."""
    words = (t.lower().replace("’", "'") for t in TERM.findall(text))
    stems = [stem(t) for t in words if is_term(t) and t not in SHAPING_WORDS]
    return frozenset(zip(stems, stems[1:], strict=False))


_NAME_RUN = re.compile(r"\b(?!The\b)[A-Z][a-z]+(?:\s+(?:of\s+|and\s+)?[A-Z][a-z]+)+")


@lru_cache(maxsize=1 << 13)
def story_terms(text: str) -> frozenset[str]:
    """`key_stems` of `text`, and the initials of each name of several capitalised words it
    writes out, with and without its "of" or "and" ("European Union" -> "eu", "Bank of Japan"
    -> "boj", "bj"): a report names in full what a question calls by its acronym. Memoised
    like `key_stems`."""
    initials = {i.lower() for run in _NAME_RUN.findall(text) for i in initials_of(run)}
    return key_stems(text) | initials


def initials_of(name: str) -> frozenset[str]:
    """The acronyms a name of several words may go by, with and without its "of" or "and":
    "Hipgnosis Songs Fund" -> "HSF", "Bank of Japan" -> "BOJ", "BJ"; none for a single word."""
    words = name.split()
    if len(words) < 2:
        return frozenset()
    return frozenset("".join(w[0] for w in words if keep(w)).upper() for keep in (str.isalpha, _capitalised))


def spelled_out(acronym: str, texts: Iterable[str], *, least: int = 2) -> str | None:
    """The name of capitalised words that `acronym` stands for (`initials_of`) and that `texts`
    (an article's text, not its title-cased headline) write whole at least `least` times, not
    at the start of a sentence, where a capitalised word need not be a name ("Following Tim
    Cook's keynote" is no FTC): "GTA" -> "Grand Theft Auto", the most frequent; None when they
    write none, or `acronym` is a Roman numeral ("III")."""
    if _ROMAN.fullmatch(acronym):
        return None
    counts: Counter[str] = Counter()
    for text in texts:
        for m in _NAME_RUN.finditer(text):
            opens = _OPENS_SENTENCE.search(text, 0, m.start())
            if not opens and acronym in initials_of(m.group()):
                counts[m.group()] += 1
    name, seen = counts.most_common(1)[0] if counts else (None, 0)
    return name if seen >= least else None


_ROMAN = re.compile(r"[IVXLCDM]+")
# The end of a sentence, or the text's start, right before a run of capitalised words: its first
# word may only open the sentence.
_OPENS_SENTENCE = re.compile(r"([.!?:…][”\"’']?|^|\n)\s*$")


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


# -- outlets and dates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryHints:
    """What a question says about where and when: named outlets, dates, months, recency.

    `sources` are the named outlets' sources; `shared` pairs each source named by a short name
    its sections share (`outlet_short_name`: "The Independent" for its Sports and Life and Style
    feeds) with that name. Such sections are one outlet of the question (`outlet_of`)."""

    sources: tuple[str, ...] = ()
    days: tuple[date, ...] = ()
    months: tuple[tuple[int, int], ...] = ()
    latest: bool = False
    shared: tuple[tuple[str, str], ...] = ()

    def outlet_of(self, source: str) -> str:
        """The outlet of the question that `source` is: the short name it was named by, else
        itself."""
        return dict(self.shared).get(source, source)

    @property
    def outlets(self) -> tuple[str, ...]:
        """The outlets the question names (`outlet_of` each of `sources`), once each."""
        return tuple(dict.fromkeys(map(self.outlet_of, self.sources)))


def read_hints(question: str, sources: Sequence[str], *, default_year: int | None = None) -> QueryHints:
    """The outlets (from `sources`, the archive's own) and dates a question names.

    "TechCrunch", "The Verge" are matched whole-word and case-insensitively, longest first, so
    "The Independent - Sports" wins over a shorter name inside it; "The Verge's report" names
    The Verge, and "The Independent", written so, each of its sections (`QueryHints.shared`).
    "October 4, 2023" and "October 4" (year from `default_year`) are days; "November 2023" and
    "in November" (year from `default_year`) are months.
    """
    return _read_hints(question, tuple(sources), default_year)


# Memoised: one retrieve reads a question's hints twice (for the re-ranker's units, then for
# ranking), and `ask` retrieves up to four times.
@lru_cache(maxsize=1 << 10)
def _read_hints(question: str, sources: tuple[str, ...], default_year: int | None) -> QueryHints:
    folded = " " + fold(_POSSESSIVE.sub("", question)) + " "
    named: list[str] = []
    shared: list[tuple[str, str]] = []
    for of, form, key in _outlet_names(sources):
        if key.strip() and key in folded and _written_as_name(question, form, shared=len(of) > 1):
            named += [s for s in of if s not in named]
            shared += [(s, form) for s in of if len(of) > 1]
            folded = folded.replace(key, " | ")
    # A month without a year ("in November") is in `default_year`, as a day without one is.
    dated = ((year or default_year, month) for year, month in _months_asked(question))
    months = [(year, month) for year, month in dated if year is not None]
    return QueryHints(
        tuple(named), tuple(named_days(question, default_year)), tuple(dict.fromkeys(months)),
        bool(_LATEST.search(question)), tuple(shared),
    )


def outlet_sections(question: str, sources: Iterable[str]) -> dict[str, list[str]]:
    """The named `sources` (a question's sides) by the outlet of the question each is
    (`QueryHints.outlet_of`): the sections of one named by the name they share, together."""
    sources = list(dict.fromkeys(sources))
    hints = read_hints(question, sorted(sources))
    grouped: dict[str, list[str]] = {}
    for source in sources:
        grouped.setdefault(hints.outlet_of(source), []).append(source)
    return grouped


def outlet_short_name(source: str) -> str:
    """An outlet's name without the section or tag line its feed adds: "Cnbc | World Business
    News Leader" is CNBC, "BBC News - Technology" BBC News, "Live Science: The Most Interesting
    Articles" Live Science (the name itself when it has none)."""
    return re.split(r"\s*[|:]\s+|\s+[-–—]\s+", source)[0]


# A web address's ending, which people leave off a site's name ("CBSSports.com" is CBSSports).
_DOMAIN = re.compile(r"\.(?:com|org|net|co\.uk|com\.au|co|io|news)$", re.IGNORECASE)
# Where a run-together name's next word starts: "TechCrunch", "CBSSports".
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# A feed's language edition after the site's name, which people leave out: "Globes English",
# "Al Jazeera English" ("Mail Online" keeps its "Online": "Royal Mail" names no outlet).
_EDITION = re.compile(r"\s+(?:English|Arabic|Hindi|Urdu|Spanish|Español|French|Français|German|Deutsch)$")


def _aliases(name: str) -> tuple[str, ...]:
    """The other ways people write a site's name `name`: without its web address's ending,
    and with its run-together words apart ("CBSSports.com" is also "CBSSports" and "CBS
    Sports"; "TechCrunch" "Tech Crunch"); without its edition ("Globes English" is "Globes").
    A name of several words keeps its own spacing; one that is a plain word without its ending
    ("Space.com", "news.com.au") keeps the ending."""
    if (edition := _EDITION.sub("", name)) != name:
        return (edition,)
    bare = _DOMAIN.sub("", name)
    if bare != name and not any(c.isupper() for c in bare[1:]):
        return ()  # "Space.com" is no "space", "news.com.au" no "news"
    if " " in bare:
        return (bare,) if bare != name else ()
    return tuple(dict.fromkeys(form for form in (bare, _CAMEL.sub(" ", bare)) if form != name))


def outlet_forms(source: str) -> tuple[str, ...]:
    """The names a source goes by: its whole name, then its short name when that differs,
    then their `_aliases`."""
    forms = tuple(dict.fromkeys((source, outlet_short_name(source))))
    return tuple(dict.fromkeys(forms + tuple(a for form in forms for a in _aliases(form))))


@lru_cache(maxsize=16)
def _outlet_names(sources: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], str, str], ...]:
    """(the sources a name stands for, the name as a question may write it, the name folded
    and spaced for a whole-word look-up), longest name first: each source by its whole name,
    and by its short name (`outlet_short_name`) unless that is another source's whole name;
    the short name of several sections ("FOX News") stands for each of them; each name also by
    its `_aliases` that no other name is. Made once per
    archive's outlets, not per question (with a thousand outlets, reading a question's hints
    took 9 ms so)."""
    whole = {fold(s) for s in sources}
    sections: dict[str, tuple[str, list[str]]] = {}
    for s in sources:
        if (short := outlet_short_name(s)) != s and fold(short) not in whole:
            sections.setdefault(fold(short), (short, []))[1].append(s)
    names = [((s,), s) for s in sources] + [(tuple(of), short) for short, of in sections.values()]
    taken = whole | {fold(form) for _, form in names}
    names += [(of, alias) for of, form in list(names) for alias in _aliases(form) if fold(alias) not in taken]
    names.sort(key=lambda pair: len(pair[1]), reverse=True)
    return tuple((of, form, " " + fold(form) + " ") for of, form in names)


def _named_at(question: str, source: str) -> re.Match[str] | None:
    """Where `question` writes the outlet `source`: its whole name, else its short name
    (`outlet_short_name`, as `read_hints` reads it); None when it writes neither."""
    for form in outlet_forms(source):
        words = TERM.findall(form)
        found = re.search(_spelled(words), question, re.IGNORECASE) if words else None
        if found:
            return found
    return None


def _apart(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """`spans` in order, the longest where two overlap."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(set(spans), key=lambda span: (span[0], -span[1])):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end))
    return kept


def _names_a_report(question: str, span: tuple[int, int]) -> bool:
    """Whether the outlet written at `span` is written as a name and stands for one of its
    reports: "the TechCrunch report on X", "TechCrunch's article", "TechCrunch reported"; not
    "TechCrunch's rivals", "Fortune 500 firms" or "the time she won"."""
    written = question[span[0] : span[1]]
    return any(c.isupper() for c in written) and bool(_A_REPORT.match(question, span[1]))


_A_REPORT = re.compile(
    r"(['’]s)?\s+(report|article|story|piece|coverage|post|review|reported|wrote|published|covered|"
    r"ran|said)\b",
    re.IGNORECASE,
)


def _named_spans(question: str, source: str) -> list[tuple[int, int]]:
    """Each place `question` writes the outlet `source`, by each name it goes by
    (`outlet_forms`); overlapping where two names are written at one place (`_apart`)."""
    return [
        m.span() for form in outlet_forms(source) if (words := TERM.findall(form))
        for m in re.finditer(_spelled(words), question, re.IGNORECASE)
    ]


def _spelled(words: Sequence[str]) -> str:
    """A pattern for the words of an outlet's name, whole, with any spacing or punctuation
    between them ("CBSSports.com" is found in "per cbssports com")."""
    return r"\b" + r"\W+".join(map(re.escape, words)) + r"\b"


def _typed_lower(question: str) -> bool:
    """Whether `question` capitalises no word after its first: typed in lower case, so that
    capitals tell no name from a word."""
    return not any(w[:1].isupper() for w in TERM.findall(question)[1:])


# What frames a word as the outlet a question read something in: "according to X", "X's
# report", "did X say".
_SOURCE_BEFORE = re.compile(r"\b(according to|reported by|published by|written by)\s+$", re.IGNORECASE)
_SOURCE_AFTER = re.compile(r"^('s)?\s+(article|report|story|piece|coverage|review)s?\b", re.IGNORECASE)
_ASKED_BEFORE = re.compile(r"\b(did|does|do|has|have)\s+$", re.IGNORECASE)
_REPORTED_AFTER = re.compile(
    r"^\s+(say|said|report|reported|write|wrote|written|cover|covered|claim|claimed|publish|published|"
    r"describe|described)\b",
    re.IGNORECASE,
)


def _written_as_name(question: str, source: str, *, shared: bool = False) -> bool:
    """Whether `question` writes `source` as a name somewhere: each capitalised word of it but
    "The" capitalised there too, when the question capitalises any word after its first. "…
    rivals GPT-4" names no outlet Rivals, nor "at the age of 16" The Age; "What did the verge
    say?", typed in lower case, names The Verge. A name with a word capitalised past its first
    letter (TechCrunch, CNBC) is no ordinary word: "what did techcrunch say about Nvidia?"
    names TechCrunch. So does one framed as where something was read ("what did engadget say
    about the Apple Watch?", "according to the verge, …", "the age's report"), unlike "on the
    verge of" or "what do Nvidia's rivals say". A short name several sections `shared` ("The
    Independent") typed in lower case names them only so framed: "the independent commission"
    is no outlet."""
    words = TERM.findall(source.replace("’", "'"))
    if (_typed_lower(question) and not shared) or any(any(c.isupper() for c in w[1:]) for w in words):
        return True
    text = question.replace("’", "'")
    for found in re.finditer(_spelled(words), text, re.IGNORECASE):
        written = zip(TERM.findall(found.group()), words, strict=True)
        if all(w[:1].isupper() or not s[:1].isupper() or s == "The" for w, s in written):
            return True
        before, after = text[: found.start()], text[found.end() :]
        if _SOURCE_BEFORE.search(before) or _SOURCE_AFTER.match(after):
            return True
        if _ASKED_BEFORE.search(before) and _REPORTED_AFTER.match(after):
            return True
    return False


def named_days(question: str, default_year: int | None = None) -> list[date]:
    """The days a question names, in order, once each: "October 4, 2023", "October 4th" (in
    `default_year`; left out when that is None). Impossible dates are left out."""
    days: list[date] = []
    for month, day, year in _DAY.findall(question):
        year_n = int(year) if year else default_year
        if year_n is None:
            continue
        try:
            days.append(date(year_n, MONTHS.index(month.lower()) + 1, int(day)))
        except ValueError:
            continue
    return list(dict.fromkeys(days))


# An outlet a question names as the place of a report: "an article from The Verge", "a Bloomberg
# piece", "reported by Reuters", "another by Search Engine Land".
_OUTLET_WORD = r"[A-Z0-9][\w.&'’]*"
_OUTLET = rf"['‘\"“]?(?:The\s+)?{_OUTLET_WORD}(?:(?:\s+(?:of|-|\||&)\s+|\s+){_OUTLET_WORD}){{0,5}}['’\"”]?"
_REPORT = (
    r"(?:articles?|reports?|pieces?|analysis|review|story|interview|column|editorial|op-ed|"
    r"coverage|blog post|feature|podcast|newsletter)"
)
_NAMED_OUTLETS = (
    re.compile(rf"\b(?:{_REPORT}|another|one)\s+(?:published\s+)?(?:from|by|in)\s+(?:the\s+)?({_OUTLET})"),
    # "a Bloomberg piece", not "the Apple Watch review" (products have reviews and interviews)
    # nor "the NFL's coverage" (a possessive is rarely an outlet).
    re.compile(
        rf"\b(?:a|an|the|one|another|both|two)\s+(?:[a-z]+\s+)?({_OUTLET})\s+"
        r"(?:articles?|reports?|pieces?|story|column|editorial|op-ed)\b"
    ),
    re.compile(rf"\b(?:reported by|published by)\s+(?:the\s+)?({_OUTLET})"),
)


def named_outlets(question: str) -> list[str]:
    """The outlets a question names as where something was reported ("an article from The
    Verge", "a Bloomberg piece", "reported by Reuters"), without quotes or a leading "The";
    a date ("the October 4 report") is no outlet."""
    found: list[str] = []
    for pattern in _NAMED_OUTLETS:
        for match in pattern.finditer(question):
            name = match.group(1).strip("'‘’\"“” ")
            name = re.sub(r"^The\s+", "", name)
            first = name.split()[0].lower() if name else ""
            dated = first[:1].isdigit() or first in MONTHS
            if name and not dated and not name.endswith(("'s", "’s")) and name not in found:
                found.append(name)
    return found


def outlet_known(name: str, sources: Sequence[str]) -> bool:
    """Whether the outlet `name` is one of `sources` (whole words, case-insensitively, either
    way round: "BBC News" is "BBC News - Technology", "New York Times" is "The New York Times")."""
    key = f" {fold(name)} "
    for source in sources:
        for form in outlet_forms(source):
            folded = f" {fold(form)} "
            if folded.strip() and (key in folded or folded in key):
                return True
    return False


# Where a question of several parts turns from one thing to find to the next.
_PART_BREAK = re.compile(
    r"[,;:?!\"“”()]|\b(?:while|whereas|but|and|or|after|before|then|which|that|who|despite|"
    r"compared|according|also)\b",
    re.IGNORECASE,
)


def question_parts(question: str, hints: QueryHints) -> list[str]:
    """The parts of a question that each ask for one fact, with the outlets and days it names
    left out (they say where to look, not what): "Does TechCrunch report that X, while The
    Verge says Y?" -> [X, Y], cut at punctuation and connectives. A part of fewer than two
    content words is dropped. A MultiHop-RAG question asks for about one gold fact per part."""
    return list(_question_parts(question, hints))


# Memoised as `_read_hints` is (retrieval and the answer both split a question).
@lru_cache(maxsize=1 << 10)
def _question_parts(question: str, hints: QueryHints) -> tuple[str, ...]:
    text = question
    for source in hints.sources:
        while found := _named_at(text, source):
            text = f"{text[: found.start()]},{text[found.end() :]}"
    text = _DAY.sub(",", text)
    parts = [p.strip() for p in _PART_BREAK.split(text)]
    return tuple(p for p in parts if len(query_terms(p, question_words=True)) >= 2)


def outlet_clauses(question: str, hints: QueryHints, *, least: int = 2) -> dict[str, str]:
    """What a question that names two or more outlets says each of them reported: the words
    after each outlet's name up to the next ("Does the Sporting News article suggest X, while
    Essentially Sports indicates Y?" -> {"Sporting News": "article suggest X, while",
    "Essentially Sports": "indicates Y?"}), or before it, up to the previous one, when the
    question states its first claim before naming any outlet ("… shocking according to Fortune,
    and … a theory as reported by TechCrunch?"). A claim of fewer than `least` content words is
    none ("Did both A and B report X?" makes one claim of both); {} when fewer than two remain.
    The sections of an outlet named by their shared name (`QueryHints.shared`) each have its
    claim, and count as one."""
    return dict(_outlet_clauses(question, hints, least))


@lru_cache(maxsize=1 << 10)
def _outlet_clauses(question: str, hints: QueryHints, least: int) -> tuple[tuple[str, str], ...]:
    at: dict[tuple[int, int], list[str]] = {}
    for source in hints.sources:
        if found := _named_at(question, source):
            at.setdefault(found.span(), []).append(source)
    spots = sorted(at)
    if len(spots) < 2:
        return ()
    claims_first = len(query_terms(question[: spots[0][0]], question_words=True)) >= 3
    clauses, claims = {}, 0
    for n, (start, end) in enumerate(spots):
        if claims_first:
            clause = question[spots[n - 1][1] if n else 0 : start]
        else:
            clause = question[end : spots[n + 1][0] if n + 1 < len(spots) else len(question)]
        if len(query_terms(clause, question_words=True)) >= least:
            clauses.update(dict.fromkeys(at[start, end], clause))
            claims += 1
    return tuple(clauses.items()) if claims >= 2 else ()


# A question on which of two outlets reported first: "Did A report X before B reported Y?",
# "Was X reported by A after B …?" (the word of order just before the second outlet's name);
# "Was A's report published before or after B's?"; "Which outlet reported X first, A or B?", "Who
# was first to report X?", "Which came first, A's report or B's?", "Between A's report on X and
# B's on Y, which was published later?" (not "Which team, reported by A and B, lost for the
# first time?", nor "Which company, according to A and B, was first to report earnings?").
ORDER_WORD = re.compile(
    r"\b(before or after|after or before|before|after|earlier than|later than|prior to|ahead of)\b",
    re.IGNORECASE,
)
_TO_OUTLET = re.compile(r"\W*((the|an?|its)\s+)?(([\w'’-]+\s+){0,2}(by|from|in|of)\s+)?\W*$", re.IGNORECASE)
_ASKS_YES_NO = re.compile(r"^\W*(did|was|were|has|had|is|does|do)\b", re.IGNORECASE)
_BETWEEN_PART = r"between\b[^?]*?,\s*"  # "Between A's report on X and B's on Y, …"
_BETWEEN = re.compile(rf"^\W*{_BETWEEN_PART}", re.IGNORECASE)
_ASKS_WHICH = re.compile(
    rf"^\W*({_BETWEEN_PART})?(who|which\s+(outlet|publication|news\s+outlet|newspaper|site|one|report|of|came|reported|covered|"
    r"published|wrote|was)s?)\b",
    re.IGNORECASE,
)
_REPORTED = r"(reported|covered|published|wrote)"
_FIRST = re.compile(
    rf"\b{_REPORTED}\s+((on|about)\s+)?(it|this|that|the\s+news)?\s*(first|earlier|sooner|later)\b|\bfirst\s+"
    rf"to\s+(report|cover|publish|write)\b|\bcame\s+(first|earlier|later)\b|\b{_REPORTED}\b[^?,;:]*\b(first|"
    rf"earlier|sooner)\s*[,?:;]",
    re.IGNORECASE,
)
# Two outlets written as the alternatives of "which": "A or B", "of A and B", or after "between".
_ALTERNATIVES = re.compile(r".*\bor\b.*|\s+and\s+", re.IGNORECASE | re.DOTALL)
_NEGATED = re.compile(r"\b(not|never|fail(ed|s)?\s+to)\b|n['’]t\b", re.IGNORECASE)


def asks_which_first(question: str) -> bool:
    """Whether `question` asks which or who reported first, or later (`order_asked` asks this of
    two named outlets): "Which outlet reported first on X …?", "Who was first to report X …?"."""
    return bool(_ASKS_WHICH.match(question) and _FIRST.search(question))


@dataclass(frozen=True)
class OrderAsked:
    """What a question asks of the order of two reports: whether the outlet it names first
    (`first`, an outlet of the question: `QueryHints.outlet_of`) reported before or after the
    other (`second`), or (`which` True) which of them reported first. `first` and `second` are
    one outlet when the question asks about two of its reports ("Was the TechCrunch report on X
    published before the TechCrunch report on Y?"). `names` are the two as the question writes
    them ("CNBC" for "Cnbc | World Business News Leader"), or by their short names
    (`outlet_short_name`) where it writes one with no capital."""

    first: str
    second: str
    which: bool
    names: tuple[str, str]


def order_asked(question: str, hints: QueryHints) -> OrderAsked | None:
    """The order of reports `question` asks about (`OrderAsked`), for a question that names two
    outlets (`hints.outlets`), or one outlet twice, and asks yes or no with one "before" /
    "after" just before the second name ("… before Fortune reported …", "… after a report by
    TechCrunch", "… before the TechCrunch report on Y"), or asks which or who reported first
    (`asks_which_first`) of two outlets as alternatives ("A or B", "of A and B"); None for any
    other, and for a negated one ("Did A fail to report X after B …?")."""
    spots: dict[str, list[tuple[int, int]]] = {}
    for source in hints.sources:
        spots.setdefault(hints.outlet_of(source), []).extend(_named_spans(question, source))
    # Each place once, by its longest name; the sections of an outlet are one outlet: "FOX
    # News" written once is one place.
    spots = {outlet: _apart(spans) for outlet, spans in spots.items() if spans}
    if len(hints.outlets) != len(spots) or _NEGATED.search(question):
        return None
    if len(spots) == 2:
        (first, first_at), (second, second_at) = sorted(
            ((outlet, spans[0]) for outlet, spans in spots.items()), key=lambda kv: kv[1]
        )
    elif len(spots) == 1 and len(at := next(iter(spots.values()))) == 2 and all(
        _names_a_report(question, span) for span in at
    ):
        first = second = next(iter(spots))
        first_at, second_at = at
    else:
        return None
    (_, first_end), (second_start, _) = first_at, second_at
    names = (_written(question, first_at, first), _written(question, second_at, second))
    words = list(ORDER_WORD.finditer(question))
    if not words:
        alternatives = _ALTERNATIVES.fullmatch(question, first_end, second_start) or _BETWEEN.match(question)
        which = first != second and asks_which_first(question) and alternatives
        return OrderAsked(first, second, True, names) if which else None
    if len(words) != 1 or not _ASKS_YES_NO.match(question):
        return None
    word = words[0]
    if word.start() < first_end or not _TO_OUTLET.fullmatch(question, word.end(), second_start):
        return None
    return OrderAsked(first, second, False, names)


def _written(question: str, span: tuple[int, int], outlet: str) -> str:
    """The outlet as `question` writes it at `span`, when that has a capital; else its short name."""
    written = question[span[0] : span[1]]
    return written if any(ch.isupper() for ch in written) else outlet_short_name(outlet)


def outlet_stems(hints: QueryHints) -> frozenset[str]:
    """The key stems of every name the outlets of `hints` go by (`outlet_forms`: "CBS Sports" is
    CBSSports.com)."""
    return key_stems(" ".join(form for outlet in hints.outlets for form in outlet_forms(outlet)))


def other_names(text: str, hints: QueryHints) -> tuple[str, ...]:
    """The names `text` mentions (`question_names`) other than the outlets of `hints`, by any
    name they go by (`outlet_stems`)."""
    outlets = outlet_stems(hints)
    return tuple(n for n in question_names(text) if not key_stems(n) <= outlets)


# What ends a product's name after the product itself: a model number or a variant ("iPhone 15
# Pro", "Beeper Mini", "Steam Deck OLED", "Galaxy S24"). Many other things are a "mini" or "pro".
_MODEL_WORD = re.compile(
    r"\w*\d\w*|[a-z]|mini|pro|max|plus|ultra|lite|air|se|oled|xl|fe|edition|series|gen(eration)?",
    re.IGNORECASE,
)


def mention_word(name: str) -> str:
    """The word by which a text mentions `name`: its last, "Altman" for "Sam Altman" (not "Sam",
    which Sam Bankman-Fried's trial also holds), "Bankman-Fried" where "Sam" is left out; for a
    product, its last word before the model and variant ("Beeper" for "Beeper Mini", "Pixel"
    for "Pixel 8", where a Mac mini deal or a pixel count would do for the last). A subject of
    common words (`coverage_topic`: "zinc-iodine batteries") is mentioned by all of them."""
    if name == name.lower():
        return name
    words = name.split()
    while len(words) > 1 and is_model_word(words[-1]):
        words.pop()
    return words[-1]


def is_model_word(word: str) -> bool:
    """Whether `word` names a product's model or variant after its name ("15", "Pro", "OLED")."""
    return _MODEL_WORD.fullmatch(word) is not None


# What a question asks outlets to have covered: "… both cover zinc-iodine batteries?"
_COVERED = re.compile(
    r"\b(?:cover(?:ed)?|report(?:ed)? (?:on|about)|wr(?:ite|ote|itten) about|mention(?:ed)?|"
    r"discuss(?:ed)?)\s+(?:the\s+|a\s+|an\s+)?(?P<topic>[^?!.]+)",
    re.IGNORECASE,
)


def coverage_topic(question: str, hints: QueryHints) -> str | None:
    """What a question that names outlets and nothing else asks whether they covered: "Did
    Advanced Science News and Live Science both cover zinc-iodine batteries?" -> "zinc-iodine
    batteries"; None for a question that names something (its names are the sides') or asks
    nothing of the kind."""
    if not hints.sources or other_names(question, hints) or not asks_about_named(question):
        return None
    found = _COVERED.search(question)
    topic = " ".join(found.group("topic").split()) if found else ""
    return topic if key_stems(topic) and topic == topic.lower() else None


def side_names(question: str, hints: QueryHints) -> dict[str, tuple[str, ...]]:
    """For each outlet a question names (`hints.sources`), the names it gives for that outlet's
    side (`other_names`): those of what it says that outlet reported (`outlet_clauses`: "… a
    trial reported by TechCrunch and a former Jane Street colleague as detailed by Fortune"
    gives Fortune Jane Street and TechCrunch none), else every name of the question ("Did
    TechCrunch and The Verge both report that Sam Altman was fired?": Sam Altman, both). In the
    order the question names the outlets. A name written as the owner of the next ("Google's
    Gemini") only says whose it is: the side is the owned name's, Gemini's, so that an outlet
    that wrote of Google but never of Gemini has nothing on it."""
    whole = other_names(question, hints)
    clauses = outlet_clauses(question, hints)
    if not clauses:
        # A claim of one word is its own when each outlet's is a name: "Between the Guardian's
        # report on Galatasaray and Sky Sports' coverage of Arteta, …".
        short = outlet_clauses(question, hints, least=1)
        clauses = short if short and all(other_names(c, hints) for c in short.values()) else {}
    place = {s: found.start() if (found := _named_at(question, s)) else -1 for s in hints.sources}
    named = sorted(hints.sources, key=place.__getitem__)
    sides = {s: _clause_names(clauses[s], hints, whole) if s in clauses else whole for s in named}
    return {s: _owned(question, names) for s, names in sides.items()}


def _owned(question: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """`names` without those `question` writes as the owner of another of them ("Google" in
    "Google's Gemini")."""
    owners = {owner_of(question, m, names) for m in names}
    return tuple(n for n in names if n not in owners)


def owner_of(question: str, name: str, names: Sequence[str] | None = None) -> str | None:
    """The name among `names` (default: the question's, `question_names`) that `question`
    writes as the owner of `name`: "Beyoncé" for "Renaissance" in "Beyoncé's Renaissance
    concert film", "Google" for "Gemini" in "Google's Gemini". None when none is."""
    return next(
        (
            n for n in (question_names(question) if names is None else names)
            if n != name and re.search(rf"\b{re.escape(n)}['’]s\s+{re.escape(name)}\b", question)
        ),
        None,
    )


# A claim that names nothing and says "it" is about what the question named before it: "What
# did The Verge report about the Apple Watch ban, and how did TechCrunch cover it?"
_REFERS_BACK = re.compile(r"\b(it|them|the same)\b", re.IGNORECASE)


def _clause_names(clause: str, hints: QueryHints, whole: tuple[str, ...]) -> tuple[str, ...]:
    """The names an outlet's claim gives its side: its own, or where it names nothing and refers
    back ("cover it"), the question's."""
    return other_names(clause, hints) or (whole if _REFERS_BACK.search(clause) else ())


# A question that opens like this asks about what it names: yes or no, or what was said of it.
_ABOUT_NAMED = re.compile(
    r"^\W*(did|do|does|is|are|was|were|has|have|had|can|could|will|would|should|compare|contrast|"
    r"summari[sz]e|(how|what|when|where|why) (did|do|does|has|have)|what happened)\b",
    re.IGNORECASE,
)


def asks_about_named(question: str) -> bool:
    """Whether `question` asks about what it names: yes or no ("Did TechCrunch and The Verge
    both report that …?") or what was said of it, when or why ("What did TechCrunch and Polygon
    report about Nvidia?", "When did Fortune and TechCrunch report on Binance's settlement?",
    "What happened to Sam Altman according to The Verge?", "Compare …") or which reported it
    first ("Which reported first on Pebble shutting down, TechCrunch or The Verge?":
    `asks_which_first`), rather than for something it describes ("Which company, reported by …,
    …?", "Between the report … and …"), whose names are clues that different reports hold."""
    return bool(_ABOUT_NAMED.match(question)) or asks_which_first(question)


def fold(text: str) -> str:
    """`text` as casefolded terms joined by single spaces, for whole-word matching of names."""
    return " ".join(TERM.findall(text.casefold().replace("’", "'")))


# -- filters --------------------------------------------------------------------------------------


def parse_day(value: Any, *, end_of_day: bool = False) -> datetime | None:
    """A day filter as an aware UTC datetime: the start of the day, or with `end_of_day` its last
    microsecond (so "before 2024-08-31" keeps that day). From the chat's date pickers, the remote
    API and `qa ask --after/--before`: an ISO date string, a timestamp or a datetime.

    Raises:
        InvalidQueryError: not a date ("use YYYY-MM-DD"), or out of range.
    """
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            day = datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise InvalidQueryError(f"{value!r} is not a date in range; use YYYY-MM-DD.") from None
    elif isinstance(value, datetime):
        day = value
    else:
        text = str(value).strip()[:40]
        try:
            day = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidQueryError(f"{text!r} is not a date; use YYYY-MM-DD.") from None
    if day.tzinfo is None:
        day = day.replace(tzinfo=UTC)
    day = day.replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        return day + timedelta(days=1, microseconds=-1) if end_of_day else day
    except OverflowError:
        raise InvalidQueryError(f"{day.date().isoformat()} is too far ahead; use YYYY-MM-DD.") from None


@dataclass(frozen=True)
class Filters:
    """Restrictions on which articles a search may return: published in a span of days, and
    from one `source`, by its whole name or, when no source has that name, by its short name
    (`outlet_short_name`: "CNBC"; "FOX News" for each of its sections), case-insensitively."""

    published_after: datetime | None = None
    published_before: datetime | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        for name in ("published_after", "published_before"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, datetime):
                raise InvalidQueryError(
                    f"{name} must be a date and time, not {type(value).__name__} {str(value)[:40]!r}"
                )
            if value is not None and value.tzinfo is None:
                raise InvalidQueryError(f"{name} must be timezone-aware, got {value.isoformat()}")
        if self.source is not None and not isinstance(self.source, str):
            raise InvalidQueryError(f"source must be one outlet's name, not {type(self.source).__name__}")
        if self.published_after and self.published_before and self.published_after > self.published_before:
            raise InvalidQueryError("published_after is later than published_before")

    def __bool__(self) -> bool:
        return any((self.published_after, self.published_before, self.source))

    def mask(self, catalog: Catalog) -> np.ndarray:
        """Which rows of `catalog` pass (by the day of publication, compared in UTC)."""
        keep = np.ones(len(catalog.ids), dtype=bool)
        if self.source:
            # The outlet's whole name; else every source of that short name ("CNBC"; "FOX News":
            # its Health, Lifestyle and Entertainment feeds).
            asked = self.source.casefold()
            wanted = [n for n, s in enumerate(catalog.sources) if s.casefold() == asked] or [
                n for n, s in enumerate(catalog.sources) if outlet_short_name(s).casefold() == asked
            ]
            keep &= np.isin(catalog.source, wanted)
        if self.published_after or self.published_before:
            stamp = catalog.published
            if self.published_after:
                keep &= stamp >= self.published_after.timestamp()
            if self.published_before:
                keep &= stamp <= self.published_before.timestamp()
        return keep


# -- follow-up questions --------------------------------------------------------------------------

# A question that opens like this continues the previous one, whatever it names itself.
_CONTINUES = re.compile(r"^\s*(and|but|also|so|then|plus|what about|how about|what else)\b", re.IGNORECASE)
# A question that opens like this and names nothing asks about the previous one ("Why?").
_ASKS_BACK = re.compile(r"^\s*(why|how come)\b", re.IGNORECASE)
# Words that point back to something named before ("Who else went for a record price?").
_ANAPHORS = frozenset(
    """it its they them their theirs this these those he him his she her there such former latter
    same else""".split()  # noqa: SIM905
)
# Words that point back when they come before the question's own names: "How did it compare
# with Taylor Swift's?" asks of what was asked before; "… and where is it?" of its own name.
_POINTERS = frozenset("it its they them their this these he him his she her else".split())  # noqa: SIM905
# A person named as the object at a question's end is not its subject: "What did Rugby
# Australia say about him?" (it would say "himself" of itself); "it" may be either.
_OBJECT_END = re.compile(r"\b(him|her|them)\W*$", re.IGNORECASE)
# "It" that stands for no thing: "Is it true that …?".
_EMPTY_IT = re.compile(
    r"\b(is|was|isn't|wasn't|will|would|could)\s+it\s+(true|possible|likely|unlikely|known|clear|"
    r"expected|reported|said|confirmed|right|fair|the\s+case)\b",
    re.IGNORECASE,
)
# What an "it" that stands for no thing leads to: "… did it take SpaceX to launch …", "Does it
# matter that …", "Why is it that …".
_IT_STANDS_FOR = re.compile(r"\bit\b.*\b(to|that)\b", re.IGNORECASE)
# "Which one came out first?": of the things asked about before.
_WHICH_ONE = re.compile(r"\b(which|this|that|either|neither|the\s+other)\s+ones?\b", re.IGNORECASE)
# "That" points back only as the question's last word ("When was that?", "Who said that?"); elsewhere
# it is mostly a conjunction ("Did TechCrunch report that layoffs would go on?").
_THAT_LAST = re.compile(r"\bthat\W*$", re.IGNORECASE)
# Words of pointing that point to now, not to an earlier question: "this year".
_NOT_POINTING = re.compile(
    r"\b(this|these)\s+(year|month|week|weekend|season|morning|afternoon|evening|quarter|summer|winter|"
    r"spring|autumn|fall)s?\b",
    re.IGNORECASE,
)
# A question of more key terms than this that points back only by "the" or "why" asks about
# its own subject: "How do dogs catch the mysterious respiratory illness?".
FEW_TERMS = 2
# Words that point back to several things named before: "Which of them reported first?".
_SEVERAL = frozenset("they them their theirs both each either neither".split())  # noqa: SIM905
# A name's word starts with a capital, or with one lower-case letter before one ("iPhone",
# "eBay").
_NAME_WORD = r"(?:[A-Z]|[a-z][A-Z])[\w’'.-]*"
# Between a name's words: one "of", "the", "de" or "and", or a surname's particles ("Erik ten
# Hag", "Ursula von der Leyen", "Mohammed bin Salman").
_PARTICLES = r"van|von|der|den|ten|ter|da|di|du|del|bin"
_NAME = re.compile(
    rf"\b{_NAME_WORD}(?:\s+(?:of|the|de|and)?\s*{_NAME_WORD}|\s+(?:(?:{_PARTICLES})\s+){{1,2}}{_NAME_WORD})*"
)
# A product's model number after its name, where the question ends or a variant follows ("Pixel
# 8?", "iPhone 15 Pro"): not a count ("OpenAI 3 weeks ago"), a score ("Chelsea 2 1", "Lakers
# 110, …") or a day ("November 17", "Dec. 6").
_MODEL_NUMBER = re.compile(
    r"\s+\d{1,2}[A-Za-z]?(?=\s*(?:[?!]|\.?\s*$)|\s+(?:Pro|Max|Plus|Ultra|Mini|Lite|XL|OLED|SE|FE)\b)"
)
# The words of a day, whole or cut short, lower-case: "november", "dec", "sept", "mon".
DAY_WORDS = frozenset([*MONTHS, *(m[:3] for m in MONTHS), "sept", *WEEKDAYS, *(d[:3] for d in WEEKDAYS)])
# The next word of a name, after its model number: "iPhone 15 | Pro".
_NEXT_NAME_WORD = re.compile(rf"\s+{_NAME_WORD}")
# Capitalised words that open a question without being names ("What", "Tell", "The").
# A title in capitals is no one's name: "OpenAI's new CEO" names OpenAI, and a side that must
# mention "CEO" would take any article about any chief executive.
_TITLES = frozenset("ceo cfo cto coo cmo cio cso cpo vp svp evp mvp".split())  # noqa: SIM905
_NOT_NAMES = STOPWORDS | SHAPING_WORDS | _TITLES | frozenset(
    "tell show give list explain describe please outline recap".split()  # noqa: SIM905
)


def names_in(text: str) -> list[str]:
    """Capitalised names in a question ("Jinan", "South Korea"), question words left out."""
    found: list[str] = []
    at = 0
    while match := _NAME.search(text, at):
        end = match.end()
        number = _MODEL_NUMBER.match(text, end)
        if number and match.group().split()[-1].lower().strip(".") not in DAY_WORDS:
            variant = _NEXT_NAME_WORD.match(text, number.end())
            end = variant.end() if variant else number.end()
        at = end
        words = text[match.start() : end].strip(".'’-").split()
        while words and words[0].lower() in _NOT_NAMES:
            words = words[1:]
        name = re.sub(r"['’]s$", "", " ".join(words))  # "Sam Bankman-Fried's trial"
        if name and name.lower() not in _NOT_NAMES and name not in found:
            found.append(name)
    return found


def is_follow_up(question: str, outlets: Sequence[str] = ()) -> bool:
    """Whether `question` depends on the previous one of a conversation.

    It does when it opens by continuing ("And what did China decide?", "What about Seoul?"), or
    when it names no subject of its own and points back ("Who attended it?", "Why?", "What was
    the verdict?": the verdict of what was asked before; "the", "why" and a last "say" point
    back only in a question of `FEW_TERMS` key terms or fewer besides what was said, as in "What
    did prosecutors say?", not in "How do dogs catch the mysterious respiratory illness?"; "that"
    as its last word; nor "this" in "this year").
    A question that names its own subject stands alone: "Why was Sam Altman fired by the OpenAI
    board?", "How tall is the Gullfoss waterfall and where is it?"; unless it points back before
    its first name ("How did it compare with Taylor Swift's?", "How does that compare …", not
    "Was that Google deal approved?": `_points_before`), ends with him, her or them ("What did
    Rugby Australia say about him?"), or asks only what the ones it names said ("What did Apple
    say?", not "What did CNBC say about Gemini?": `_says_only`). An outlet among `outlets` (the
    archive's sources) that it names is no subject: "Did The Verge report it before TechCrunch?"
    points back, as does one that asks only what an outlet said ("What did Fortune say?"). Nor
    has a question of two words or fewer a subject, or one of no key term: "Who scored?", "What
    happened?", "By how much?".
    """
    return _points_back(question, _outlets_aside(question, outlets)[0])


def _points_back(question: str, bare: str) -> bool:
    """`is_follow_up`, given `question` with its outlets cut out (`bare`)."""
    if _CONTINUES.match(question):
        return True
    if names := names_in(bare):
        return _points_before(bare, names[0]) or bool(_OBJECT_END.search(bare)) or _says_only(bare, names)
    terms = TERM.findall(question.replace("’", "'"))
    words = {w.lower() for w in TERM.findall(_NOT_POINTING.sub(" ", question.replace("’", "'")))}
    few = len(key_stems(bare) - _SAYING) <= FEW_TERMS
    anaphor = bool(words & _ANAPHORS) or bool(_THAT_LAST.search(question) or _WHICH_ONE.search(question))
    # A question of few terms points back by "the", by how it asks ("Why?"), or by asking only
    # what someone said: "What did prosecutors say?" after a question on Sam Bankman-Fried.
    asks_back = "the" in words or bool(_ASKS_BACK.match(question) or _SAYS_LAST.search(bare))
    points_back = anaphor or (few and asks_back)
    return points_back or len(terms) <= 2 or key_stems(_MEASURE.sub(" ", bare)) <= _SAYING


def _says_only(bare: str, names: Sequence[str]) -> bool:
    """Whether `bare` asks only what the ones it names said, of no subject of its own: "What
    did Apple say?" after a question on Meta's plan for teens' app downloads asks about that
    plan; "What did CNBC say about Gemini?" asks about Gemini."""
    own = key_stems(bare) - frozenset().union(*(key_stems(n) for n in names))
    return bool(own) and own <= _SAYING and _SAYS_LAST.search(bare) is not None


def _points_before(bare: str, name: str) -> bool:
    """Whether `bare` points back before it writes its first own `name`: "How did it compare
    with Taylor Swift's?", "How does that compare …" (`_THAT_POINTS`), "What did he say about
    Elon Musk?"; not "Who won this year's Super Bowl?", nor by an "it" that stands for no thing:
    "Is it true that …?", "How long did it take SpaceX to …?", "Was it OpenAI's board that …?"."""
    text = " ".join(bare.replace("’", "'").split())
    head = _NOT_POINTING.sub(" ", _EMPTY_IT.sub(" ", text[: text.find(name)]))
    pointers = {w.lower() for w in TERM.findall(head)} & _POINTERS
    if pointers == {"it"} and _IT_STANDS_FOR.search(text):
        return False
    that = _THAT_POINTS.search(text)
    return bool(pointers) or (that is not None and that.start() < text.find(name))


# "That" standing for what was asked before, after a verb or a preposition and before a verb
# or the question's end: "How does that compare with Taylor Swift's?", "Was that before
# Apple's?"; not "that" before a noun, "Was that Google deal approved?", "Who is the CEO of that
# company, Nvidia?", nor "Did the report say that …".
_THAT_POINTS = re.compile(
    r"\b(does|did|do|is|was|are|were|will|would|could|about|with|of|after|before|than)\s+that"
    r"(?=\s*[?,.!]|\s*$|\s+(compare|mean|affect|change|happen|differ|stack|relate|work|go|went|come|came|"
    r"matter|end|sound|look|fit|leave|left|make|made|turn|play|fare|do|did|before|after|when|than)"
    r"(s|es|d|ed|ing)?\b)",
    re.IGNORECASE,
)


# A question's words asking for a measure, no subject of its own: "By how much?".
_MEASURE = re.compile(r"\bhow\s+(much|many|long|far|often|old|big)\b", re.IGNORECASE)
# What a question asks an outlet when it asks only what the outlet said, and a question that
# ends on it: "What did Apple say?", not "… say about Gemini?".
_SAYING_WORDS = "say said write wrote cover covered think thought tell told claim claimed".split()  # noqa: SIM905
_SAYING = frozenset(map(stem, _SAYING_WORDS))
_SAYS_LAST = re.compile(rf"\b({'|'.join(_SAYING_WORDS)})\W*$", re.IGNORECASE)


def rewrite_follow_up(
    question: str,
    previous: Sequence[str],
    *,
    max_names: int = 4,
    outlets: Sequence[str] = (),
    answered: str | None = None,
) -> str:
    """A follow-up question made self-contained with the names of the previous one, without an LLM.

    "And what did China decide?" after "What was agreed in Jinan?" becomes
    "And what did China decide? (Jinan)". A question that does not depend on the previous one
    (see `is_follow_up`) is returned unchanged, stripped.

    Args:
        previous: the conversation's earlier questions, oldest first (as they were searched,
            so that a chain of follow-ups keeps its names).
        outlets: the archive's sources. The outlets the previous question names are carried
            as it writes them ("The Verge", not "Verge"), after its other names, unless the
            follow-up names an outlet of its own: "And what did CNBC say?" after "What did
            TechCrunch report about Binance?" asks CNBC alone.
        answered: the name the answer to the last of `previous` gave (`qa.answer.answered_name`:
            "Scott McTominay" for "Who scored for Manchester United against Chelsea?"), carried
            first: "What did The Guardian say about him?" asks about him.
    """
    question = question.strip()
    if not previous or not question:
        return question
    bare, own = _outlets_aside(question, outlets)
    if not _points_back(question, bare):
        return question
    present = question.casefold()
    before, named = _outlets_aside(previous[-1], outlets)
    several = not own and len(named) < 2 and bool(_SEVERAL & {w.lower() for w in TERM.findall(question)})
    if several:
        named = _story_outlets(previous, outlets, names_in(before), named)
    # A story of no name is carried by its words: "Who announced it?" after "What are shooting
    # stars?" asks who announced shooting stars, "Why?" after "What did TechCrunch report
    # about the layoffs?" why the layoffs.
    names = names_in(before)
    topic = [] if names else _topic_words(before)
    carried = dict.fromkeys([*([answered] if answered else []), *names, *topic, *([] if own else named)])
    context = [n for n in carried if n.casefold() not in present][:max_names]
    if several and len(together := [n for n in context if n in named]) > 1:
        # Written as the alternatives they are: "(Steam Deck OLED, Engadget or Polygon)".
        joined = f" {'or' if _ASKS_WHICH.match(question) else 'and'} ".join(together)
        context = [n for n in context if n not in named] + [joined]
    return f"{question} ({', '.join(context)})" if context else question


def _topic_words(text: str) -> list[str]:
    """The words of `text` (a question that names nothing) that say what it asks about, in its
    order, as one phrase ("shooting stars"); what an earlier rewrite carried, when `text` was
    one ("Who announced it? (shooting stars)"); none when it asks only what happened or what
    was said."""
    if carried := _CARRIED.search(text):
        return [carried.group(1)]
    subject = key_stems(text) - _SAYING - _NO_EVENT_STEMS - _VAGUE_STEMS
    words = [w for w in TERM.findall(text) if stem(w.lower()) in subject]
    return [" ".join(dict.fromkeys(words))] if words else []


# The context an earlier rewrite added to a question, and words that say nothing of a story.
_CARRIED = re.compile(r"\(([^()]+)\)\s*$")
_VAGUE_STEMS = key_stems("true news story report article thing things")


def _story_outlets(
    previous: Sequence[str], outlets: Sequence[str], names: Sequence[str], named: list[str]
) -> list[str]:
    """The outlets `named` by the last of `previous`, then those its story's earlier questions
    named, latest first: the questions before it that share one of its `names`, back to the
    first that does not. "Which of them reported first?" after "What did Polygon think of the
    Steam Deck OLED?" and "And Engadget? (Steam Deck OLED)" asks of both outlets."""
    found = {n.casefold(): n for n in named}
    story = set(names)
    for earlier in reversed(previous[:-1]):
        bare, its_outlets = _outlets_aside(earlier, outlets)
        if not story & set(names_in(bare)):
            break
        for outlet in its_outlets:
            found.setdefault(outlet.casefold(), outlet)
    return list(found.values())


def _outlets_aside(text: str, outlets: Sequence[str]) -> tuple[str, list[str]]:
    """`text` with each outlet of `outlets` it names (`read_hints`) cut out, and those outlets
    as it writes them, in its order."""
    if not outlets:
        return text, []
    hints = read_hints(text, outlets)
    spans = sorted({found.span() for source in hints.sources if (found := _named_at(text, source))})
    named = list(dict.fromkeys(text[a:b] for a, b in spans))
    for a, b in reversed(spans):
        text = f"{text[:a]},{text[b:]}"
    return text, named


# -- what kind of answer the question asks for ---------------------------------------------------


class AnswerKind(StrEnum):
    """The kind of answer a question asks for."""

    WHO = "who"
    WHEN = "when"
    HOW_MANY = "how_many"
    WHY = "why"
    SAID = "said"
    AGREED = "agreed"
    LATEST = "latest"
    HAPPENED = "happened"
    RESULT = "result"
    OTHER = "other"


class Deed(StrEnum):
    """What "who did it" asks who did, when it is one a report tells by more than a role: who
    replaced someone, who won, who scored."""

    SUCCEEDED = "succeeded"
    WON = "won"
    SCORED = "scored"


@dataclass(frozen=True)
class AskedFor:
    """What a question asks for: the kind of answer, the speaker of "what did X say", the
    names it mentions, the months it names without a day ((year or None, month)), and for
    "who", whether the answer is someone it does not name ("Who replaced Dean Evason?", not
    "Who is Richard Teng?") and the deed it asks who did (`Deed`); for "how much", whether it
    asks for an amount (of money, or a share), not a count; for "when", the key stems of what
    it asks the date of ("proposed" in "When was the EU AI Act first proposed?"); for what was
    agreed, the words of who it asks to have agreed ("jury" in "What did the jury decide …?")."""

    kind: AnswerKind
    speaker: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    months: tuple[tuple[int | None, int], ...] = ()
    someone_else: bool = False
    deed: Deed | None = None
    amount: bool = False
    event: frozenset[str] = frozenset()
    decider: tuple[str, ...] = ()


# Who takes part in a contest, as "which …" asks for them: "Which team won the Rugby World Cup?"
# asks who won, as "Who won …?" does.
_CONTENDER = (
    r"(team|club|side|country|nation|player|driver|rider|golfer|boxer|fighter|horse|school|college)s?"
)
_AUXILIARY = r"(will\s+|has\s+|have\s+)?"
_WON = r"(won|wins?|beat)\b"
_SCORED = r"scor(ed|es|e)\b"

# The deed a "who" question asks about: a succession anywhere in it ("Who did Bumble name to
# replace …?"), a win or a goal by the verb right after "who" (and an auxiliary).
_DEEDS = (
    (Deed.SUCCEEDED, re.compile(r"\b(replac\w*|succeed\w*|successor|t(ake|ook|aking)\s+over)\b", re.I)),
    (Deed.WON, re.compile(rf"^\W*(who|which {_CONTENDER})\s+{_AUXILIARY}{_WON}", re.IGNORECASE)),
    (Deed.SCORED, re.compile(rf"^\W*(who|which {_CONTENDER})\s+{_AUXILIARY}{_SCORED}", re.IGNORECASE)),
)


# First match wins. Frames are looked for near the start of the question: a long descriptive
# question ("Which company, according to …, agreed to …") asks for something else.
_KINDS = (
    (AnswerKind.WHEN, re.compile(r"^\W*(when\b|(on |in )?what (date|day|year|month|time)\b)", re.IGNORECASE)),
    (
        AnswerKind.HOW_MANY,
        re.compile(
            r"\bhow (many|much|big|large|long|old|far|tall|high|often)\b|"
            r"\bwhat (share|percentage|proportion|number|amount|price|fee)\b",
            re.IGNORECASE,
        ),
    ),
    (
        AnswerKind.WHY,
        re.compile(r"^\W*why\b|\bwhat (caused|led to|prompted)\b|\breasons? (for|why)\b", re.IGNORECASE),
    ),
    (
        AnswerKind.SAID,
        re.compile(
            r"\b(what|how) (did|does|do|has|have) (?P<who>.+?) (say|said|argue|tell|claim|think|write|"
            r"respond|react|reply|mean|describe|call)\b",
            re.IGNORECASE,
        ),
    ),
    (
        AnswerKind.AGREED,
        re.compile(
            r"^\W*(what|which)\b.{0,50}\b(agree[sd]?|agreement|decided?|decision|deal|signed|settle[sd]?|"
            r"approved?|pledged?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        AnswerKind.LATEST,
        re.compile(
            r"^\W*(what|what's|whats|any|tell|give|how|where|is|are|has|have)\b.{0,40}"
            r"\b(latest|most recent|newest|so far|currently|current status|now)\b",
            re.IGNORECASE,
        ),
    ),
    (
        AnswerKind.RESULT,
        re.compile(
            # Of a game between named sides, not of a case, a vote or a company's quarter: "How
            # did Apple perform against analysts' expectations?", "Did Nvidia beat estimates?".
            r"^(?!.*\b(case|lawsuit|suit|trial|vote|election|investigation|probe|hearing|appeal|ruling|"
            r"deal|talks|earnings|estimates|expectations|market|box office|polls?|sales)\b)"
            r"(\W*how did .+? (do|fare|play|get on|perform)\b.*\b(against|vs?\.?|versus)\s+(the\s+)?"
            r"(?-i:[A-Z])"
            r"|\W*what (was|were|is) the (final )?(score\W*$|(score|result|outcome)\b.*\b(vs?\.?|versus|"
            r"played|game|match|fight|bout)\b)"
            r"|\W*did\s+(the\s+)?(?:(?-i:[A-Z])[\w.'’-]*\s+){1,4}(beat|defeat|lose to|draw with|tie with)\s+"
            r"(the\s+)?(?-i:[A-Z]))",
            re.IGNORECASE,
        ),
    ),
    (
        AnswerKind.WHO,
        re.compile(
            rf"^\W*(who|whom|whose)\b|^\W*which {_CONTENDER}\s+{_AUXILIARY}({_WON}|{_SCORED})", re.IGNORECASE
        ),
    ),
    (
        AnswerKind.HAPPENED,
        re.compile(
            r"\bwhat (happened|has happened|is happening|went on)\b"
            r"|\bwhat (did|does|has|have) .+ report(ed)?\b",
            re.IGNORECASE,
        ),
    ),
)
# Who a question of what was agreed asks to have agreed: "What did the jury decide …?"
_DECIDED_BY = re.compile(
    r"\bwhat( \w+)? (did|does|do|has|have|will|would) (?P<who>.+?) "
    r"((have|has|had|need|needs|want|wants|try|tried) to )?(agree|decide|approve|sign|settle|pledge)\b",
    re.IGNORECASE,
)
# A month without a day: "in November", "November 2023" (not "November 4", "November 4th").
_MONTH_ONLY = re.compile(
    rf"\b({_MONTH_NAMES})\b(?!\s+\d{{1,2}}(?:st|nd|rd|th)?\b)(?:\s+(?:of\s+)?(\d{{4}})\b)?", re.IGNORECASE
)
# Words that put a month without a year in time: "in October", "between October and November".
_BEFORE_MONTH = re.compile(
    r"\b(in|since|until|till|from|between|during|by|through|to|and|or|of|early|late|mid|last|this|next|"
    r"before|after)\W+$",
    re.IGNORECASE,
)
# Words that open or close a run of capitalised words without being part of the name.
_NOT_IN_NAMES = _NOT_NAMES | frozenset(WEEKDAYS) | frozenset(MONTHS)


# The words of "the latest on X" that ask for recency and say nothing about X.
_RECENCY = re.compile(
    r"\b(the )?(latest|most recent(ly)?|newest|recent(ly)?|so far|currently|current status|right now|now)\b",
    re.IGNORECASE,
)


def topic_of(question: str) -> str:
    """A question about the latest news without its words of recency ("What is the latest on
    the EU's scrutiny of X?" -> "What is on the EU's scrutiny of X?"): a sentence that says
    "the latest updates" is not about X for it. Other questions are returned whole ("Why is
    the board concerned about its latest valuation?" keeps "latest")."""
    if asked_for(question).kind != AnswerKind.LATEST:
        return question
    return re.sub(r"\s+([?.!,])", r"\1", " ".join(_RECENCY.sub(" ", question).split()))


@lru_cache(maxsize=1 << 10)  # retrieval and the answer each ask it several times per question
def asked_for(question: str) -> AskedFor:
    """What `question` asks for (`AskedFor`): the first kind whose frame it has, else OTHER."""
    kind, speaker = AnswerKind.OTHER, ()
    for candidate, pattern in _KINDS:
        match = pattern.search(question)
        if match:
            kind = candidate
            if candidate == AnswerKind.SAID:
                speaker = tuple(w for w in WORD.findall(match.group("who")) if w[:1].isupper())
            break
    names = question_names(question)
    identity = _IDENTITY.match(question)
    someone_else = kind == AnswerKind.WHO and not (identity and identity.group("who") in names)
    deed = None
    if kind == AnswerKind.WHO:
        deed = next((d for d, pattern in _DEEDS if pattern.search(question)), None)
    amount = kind == AnswerKind.HOW_MANY and _HOW_MUCH.search(question) is not None
    event: frozenset[str] = frozenset()
    if kind == AnswerKind.WHEN:
        event = key_stems(question).difference(*(key_stems(n) for n in names), _NO_EVENT_STEMS)
    decider: tuple[str, ...] = ()
    if kind == AnswerKind.AGREED and (acted := _DECIDED_BY.search(question)):
        decider = tuple(w for w in WORD.findall(acted.group("who")) if w.lower() not in STOPWORDS)
    return AskedFor(kind, speaker, names, _months_asked(question), someone_else, deed, amount, event, decider)


# "When was X first proposed?" asks when it was proposed; "When did it happen?" names no event.
_NO_EVENT_STEMS = key_stems("first second last latest happen happened occur occurred")


# "How much did X pay / raise / offer?" asks for an amount of money; "How much snow fell?" does not.
_HOW_MUCH = re.compile(
    r"\bhow much\b.*\b(pay|paid|cost|costs|raise|raised|offer|offered|spend|spent|overspend|overspent|put|"
    r"putting|earn|earned|make|made|"
    r"lose|lost|invest|invested|sell|sold|charge|charged|fine|fined|worth|revenue|money|funding|price|"
    r"valuation|budget|salary|bid|compensation|damages|settlement)\b",
    re.IGNORECASE,
)


# "Who is Richard Teng?": the question asks who a person it names is.
_IDENTITY = re.compile(r"^\W*who\s+(?:is|was|are|were)\s+(?P<who>[^?]+?)\W*$", re.IGNORECASE)


def _months_asked(question: str) -> tuple[tuple[int | None, int], ...]:
    """(year or None, month) of each month a question names without a day: with a year, or
    written as a month (capitalised, unless nothing in the question is) after a word that puts
    it in time ("in October", "between October and November"). "How may the ban affect Apple?"
    and "the March for Life" name none."""
    lower = _typed_lower(question)
    months: dict[tuple[int | None, int], None] = {}
    for key, written, before in _month_mentions(question):
        if key[0] is not None or ((written[:1].isupper() or lower) and _BEFORE_MONTH.search(before)):
            months[key] = None
    return tuple(months)


def _month_mentions(question: str) -> list[tuple[tuple[int | None, int], str, str]]:
    """Each month `question` names without a day: (year or None, month), the month as written,
    and the question before it."""
    mentions = []
    for found in _MONTH_ONLY.finditer(question):
        month, year = found.groups()
        key = (int(year) if year else None, MONTHS.index(month.lower()) + 1)
        mentions.append((key, month, question[: found.start()]))
    return mentions


def months_within(question: str) -> tuple[tuple[int | None, int], ...]:
    """The months of `AskedFor.months` that bound what the question asks about: "in October",
    "during March", "October 2023"; not "since October", "before September" or "between October
    and December", which reach past them."""
    asked = set(_months_asked(question))
    months: dict[tuple[int | None, int], None] = {}
    for key, _, before in _month_mentions(question):
        bounded = key[0] is not None or _WITHIN_MONTH.search(before)
        if key in asked and bounded and not _PAST_MONTH.search(before):
            months[key] = None
    return tuple(months)


_WITHIN_MONTH = re.compile(r"\b(in|during|early|late|mid)\W+$", re.IGNORECASE)
_PAST_MONTH = re.compile(
    r"\b(since|until|till|before|after|by|from|between|through|to|and|or)\W+((early|late|mid)\W+)?$",
    re.IGNORECASE,
)


def question_names(question: str) -> tuple[str, ...]:
    """The names a question mentions (`names_in`), each on its own ("TechCrunch and The Age"
    is two, "Binance's Changpeng Zhao" too), without a leading "The", possessives, months and
    weekdays; a run that starts with a digit (a date, "2023-10-04T20") is no name."""
    names: list[str] = []
    for run in names_in(question):
        for part in re.split(r"\s+(?:and|&)\s+|(?<=\w)'s\s+", run.replace("’", "'")):
            words = part.split()
            while words and words[0].lower().strip(".'") in _NOT_IN_NAMES:
                words = words[1:]
            while words and words[-1].lower().strip(".'") in _NOT_IN_NAMES:
                words = words[:-1]
            name = " ".join(words).removesuffix("'s").strip(".'")
            if name[:1].isalpha() and name not in names:
                names.append(name)
    return tuple(names)
