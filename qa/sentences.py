"""What each sentence of an article is: a statement worth quoting, or page furniture.

An answer quotes the archive's own sentences, so a heading ("Sam Altman ousted as OpenAI's CEO"),
a promo line ("Watch This Story: …", "GO DEEPER …"), a table's row run into a line, a question,
a call to action ("Do you work at OpenAI? …"), a pasted tweet or its byline ("— OpenAI
(@OpenAI) November 22, 2023"), a photo caption or credit, what the article says of itself (its
revisions: "This post was updated after publication with a statement …"; its updates to come,
its plan, its lists' introductions, its credits, its greetings) and page debris ("Loading")
must never be one. These are pure functions of a sentence and the paragraph it stands in;
`sentence_kinds` labels every sentence of a text.
"""

from __future__ import annotations

import re
import threading
from enum import StrEnum
from functools import lru_cache

from cachetools import LRUCache, cached

from qa.chunking import TEXT_SIZE_CONTROL, paragraph_spans, sentence_spans
from qa.query import MONTHS, WEEKDAYS, AnswerKind, Deed
from qa.types import Spans

MIN_STATEMENT_CHARS = 20
MIN_STATEMENT_WORDS = 4
# A paragraph of at most this many words without closing punctuation is a heading.
HEADING_WORDS = 16


class SentenceKind(StrEnum):
    """What a sentence is; only a `STATEMENT` is worth quoting in an answer."""

    STATEMENT = "statement"
    HEADING = "heading"
    QUESTION = "question"
    PROMO = "promo"
    TABLE = "table"
    CALL_TO_ACTION = "call_to_action"
    EMBED = "embed"
    CAPTION = "caption"
    NOTE = "note"
    DEBRIS = "debris"
    FRAGMENT = "fragment"


_CLOSING = re.compile(r"[.!…:;]['\"’”)\]]*$|[.!?]['\"’”)\]]*\s*\[\d+\]$")
_QUESTION_END = re.compile(r"\?['\"’”)\]]*$")
# A quoted question inside a statement ("'Why?' he asked.") is fine; only a sentence that is
# itself a question is left out.
_PROMO = re.compile(
    r"^(watch|read|listen|see|related|more|also read|go deeper|follow|sign up|subscribe|click|"
    r"download|get the|don'?t miss|must read|recommended|trending|latest|live|up next|"
    r"this story|advertisement|sponsored|shop|buy now)\b[^.]{0,80}(:|»|›|→|$)"
    r"|\b(follow along|stay tuned|sign up (for|to)|subscribe (to|now)|click here|read more|"
    r"watch this story|read the full|for all the latest|keep up with|stay up to date|"
    r"download the app|our free app|after newsletter promotion|skip past newsletter|"
    r"is our way of (endorsing|recommending)|may earn (an? )?(affiliate )?commissions?|"
    r"(contains?|includes?) affil?iate links|I agree to receive)\b"
    r"|^follow (us\b|[^.]{0,60}\b(updates|deals|the latest|news|coverage|signings|developments)\b)",
    re.IGNORECASE,
)
_CALL_TO_ACTION = re.compile(
    r"\b(do you (work|have|know)|got a (tip|news tip|story)|have a (tip|news tip)|"
    r"(contact|reach|email|message|text) (us|me|the (author|reporter|writer))|"
    r"let us know|tell us (about|what)|send (us|me) (a|an|your)|signal at|securedrop|"
    r"you can (contact|reach) (us|me|the)|share your (story|thoughts))\b",
    re.IGNORECASE,
)
_EMBED = re.compile(
    r"pic\.twitter\.com/|https?://t\.co/|\(@\w{1,20}\)|^[—–-]\s*\S[^.]*\b(19|20)\d\d$"
    r"|\binstagram\.com/|\btiktok\.com/@|\bA post shared by\b|^View this post on",
    re.IGNORECASE,
)
_CAPTION = re.compile(
    r"\((?:[^()]*\b(?:Getty|AFP|AP|PA|Reuters|Shutterstock|Instagram|Twitter|X|Facebook|"
    r"EPA|Alamy|Image|Photo|Courtesy|Screenshot|via)\b[^()]*)\)\s*$"
    r"|\b(Credit|Photograph|Photo|Image|Images|Picture|Illustration)(s)?( credits?)?\s*:\s*\S"
    r"|^(Photo|Photograph|Image|Illustration|Video|GIF)s? by [^/]{1,60} / "
    r"|\b(Getty Images|Shutterstock|Image Credits?)\b\s*$"
    # The BBC's: "Image source, Getty Images Image caption, Ubisoft is perhaps best known as …"
    r"|^(Image|Media|Video) (source|caption), "
    r"|\b(?-i:Photo|Photograph|Image|Illustration|Screenshot|Video)s? (via|courtesy( of)?) "
    r"(?-i:[A-Z])[^!?]{0,60}$"
    # A video's caption behind its player's notice: "Please use Chrome browser for a more
    # accessible video player Manchester United boss Erik ten Hag speaks on …"
    r"|^Please use \w+ browser for a more accessible video player\b"
    # Sports wire photos' captions, dated and placed first: "Nov 5, 2023; Avondale, Arizona,
    # USA; NASCAR Cup Series driver Ross Chastain (1) celebrates …"
    r"|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}, (19|20)\d\d; "
    r"[^;,]{2,40}(, [^;,]{2,40}){1,2}; "
    # Wire photos' captions: "…, October 6, 2023, in this courtroom sketch."
    r"|\bin this (undated |courtroom |file |handout )?(sketch|photo|photograph|picture|image|"
    r"illustration|photo illustration|screenshot)"
    r"( (taken|made|dated|released|obtained|provided)\b[^!?]*)?[.]?$"
    # An agency's credit line before its caption: "via Getty LAS VEGAS, NEVADA – JUNE 29: Floyd
    # Mayweather Jr. attends …", "via Imago RECORD DATE NOT STATED Saul -Canelo- Alvarez …".
    r"|^(?-i:via [A-Z])\S*\s|\bRECORD DATE NOT STATED\b"
    r"|\b(?-i:[A-Z][A-Z.'-]+( [A-Z][A-Z.'-]+)*, [A-Z][A-Za-z.'-]+( [A-Z][A-Za-z.'-]+)* [–-] "
    r"(JANUARY|FEBRUARY|MARCH|APRIL|MAY|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER) "
    r"\d{1,2}): ",
    re.IGNORECASE,
)
# What the article says of itself, not of the news: its revisions ("This post was updated after
# publication with …", "An earlier version of this story misstated …"), its updates to come
# ("We'll be updating these rankings all week, so check back …"), its plan ("Below, we'll break
# down …", "In this article, we will discuss …"), its credits ("The Associated Press
# contributed to this report.") and its greetings. An "Update:" line that states news
# ("UPDATE: Douglas has been ruled OUT") is a statement, and so is "Here at Polygon, we have …".
_NOTE = re.compile(
    r"\b(this|the) (post|article|story|piece|report|list|guide)( has| had| was| is)?( been)? "
    r"(updated|corrected|amended|edited|revised|changed)\b"
    r"|\b(an earlier|a previous|the original|a prior) version of this (post|article|story|piece|report)\b"
    r"|^\W*updated\b.{0,40}?\bto (correct|reflect|add|include|clarify|specify|note|remove)\b"
    r"|\bwe('ve| have) (updated|corrected|revised) (this|the) (post|article|story|piece|list|guide)\b"
    r"|\bwe('ll| will| are going to)( be)? (update|updating|refresh|refreshing) (this|these|our|the) "
    r"([\w-]+ ){0,3}?(story|post|article|list|guide|page|piece|blog|rankings|roundup)\b"
    r"|^(?!.*[“\"]).*\b((so|and) check back|keep checking back|check back (often|regularly|later|for|to))\b"
    r"|^(below|in this (article|post|guide|piece|story|review|list)|here),? we('ll| will| are going to| have)"
    r"\b(?! (been|had|got)\b)"
    r"|\b(also )?contributed (reporting|to this (report|story|article)"
    r"|to (this|the) (story|report|article)['’]s)\b"
    r"|^additional reporting by\b"
    # What follows it, a list's introduction: "Here are the best Prime Day deals we could find.",
    # "… these are some of the biggest decisions made in Dubai …", unless it goes on past a colon
    # (not a toast: "Here's to …").
    r"|^\W*([^,;:.]{0,80}[,;—–]\s*)?(here(['’]s| is| are)(?! to\b)|below (is|are)|these are (some of )?the "
    r"(biggest|best|most|top|key|main|latest|major)\b)(?![^:]*:\W*\w.{20,})"
    # Where it was printed: "This story is part of the Good Weekend October 7 edition."
    r"|^this (story|article|piece) is part of (the|our)\b"
    # Its greetings: "Happy Friday, Polygon readers!", a newsletter's welcome ("Welcome back to
    # The Station, your central hub for …"), not "Welcome to Gag City, the pink metropolis …".
    r"|^(happy \w+|hi|hello|hey|howdy|good (morning|afternoon|evening)|greetings),? [^.!?]{0,30}"
    r"\b(readers|friends|folks|everyone|y'all|fans|subscribers)\W*$"
    r"|^(hey,? \w+,? (and )?)?welcome( back)? to (?-i:[A-Z])[^!?]*"
    r"\b(newsletter|guide|hub|roundup|recap|where we|weekly|in review)\b",
    re.IGNORECASE,
)
_DEBRIS = re.compile(
    r"^(loading|advertisement|ad|share|share this|tweet|email|print|comments?|close|menu|"
    r"skip to (main )?content|image|photo|video|audio|play|pause|getty images|"
    r"this content is not available.*|this embed.*|your browser.*|enable javascript.*)"
    r"\W*(\s|$)",
    re.IGNORECASE,
)
# A page's own controls, run together into a line: Nine's "Save articles for later Add articles
# to your saved list and come back to them any time.", "Got it Normal text size Larger text
# size Very large text size" and "See all 15 stories .".
_PAGE_CONTROLS = re.compile(
    rf"^(save articles for later\b|(got it )?{TEXT_SIZE_CONTROL}$|see all \d+ stories\W*$)", re.IGNORECASE
)
_LETTER = re.compile(r"[^\W\d_]")
# A table flattened into text, or names run together as a list: a box score ("1 2 3 4 F
# Cowboys 0 7 3 0 10 49ers 7 14 7 14 42"), a squad ("Pos Player Club Caps Goals GK Oliver
# Baumann Hoffenheim 0 0 …"), a fantasy line-up ("STARTS: Tyreek Hill, Jaylen Waddle, …"). None
# of the benchmark's 1,502 gold facts is one.
TABLE_WORDS = 10
_NUMBER = re.compile(r"[-+(]?\d[\d,.:%-]*\)?\*?")


def _table_row(text: str) -> bool:
    """Whether `text` is a table's row or a bare list of names: TABLE_WORDS words or more, of
    which fewer than one in seven words start lower-case (a sentence's verbs and articles do),
    holding four numbers or more, or with no closing punctuation."""
    words = text.split()
    if len(words) < TABLE_WORDS:
        return False
    lettered = [w for w in words if _LETTER.match(w)]
    lower = sum(w[0].islower() for w in lettered)
    numbers = sum(bool(_NUMBER.fullmatch(w)) for w in words)
    return 7 * lower < len(lettered) and (numbers >= 4 or not _CLOSING.search(text))


@lru_cache(maxsize=1 << 13)
def sentence_kind(sentence: str, paragraph: str | None = None) -> SentenceKind:
    """What `sentence` is, given the paragraph it stands in (the sentence itself when None).

    A paragraph that is a single short line without closing punctuation is a heading; so is a
    line in capitals ("WHY IT MATTERS"). Memoised: answers look at the same articles' sentences
    again and again, and a dozen patterns per sentence are a sixth of an answer's own time
    (this memo and `key_stems`'s, when full, hold under 30 MB on news).
    """
    text = " ".join(sentence.split())
    paragraph = " ".join((paragraph if paragraph is not None else sentence).split())
    if (_DEBRIS.match(text) and len(text.split()) <= 6) or _PAGE_CONTROLS.match(text):
        return SentenceKind.DEBRIS
    if _EMBED.search(text):
        return SentenceKind.EMBED
    if _CAPTION.search(text):
        return SentenceKind.CAPTION
    if _NOTE.search(text):
        return SentenceKind.NOTE
    if _CALL_TO_ACTION.search(text):
        return SentenceKind.CALL_TO_ACTION
    if _PROMO.search(text):
        return SentenceKind.PROMO
    letters = _LETTER.findall(text)
    if letters and all(c.isupper() for c in letters) and len(letters) > 3:
        return SentenceKind.HEADING
    alone = paragraph == text and not _CLOSING.search(text)
    if alone and (len(text.split()) <= HEADING_WORDS or _title_case(text)):
        return SentenceKind.QUESTION if _QUESTION_END.search(text) else SentenceKind.HEADING
    if _table_row(text):
        return SentenceKind.TABLE
    if _QUESTION_END.search(text):
        return SentenceKind.QUESTION
    if len(text) < MIN_STATEMENT_CHARS or len(text.split()) < MIN_STATEMENT_WORDS:
        return SentenceKind.FRAGMENT
    return SentenceKind.STATEMENT


def _title_case(text: str) -> bool:
    """Whether `text` is written as a headline, however long: every word of four letters or more
    capitalised and no figure ("Kyle Larson Believes NASCAR's Multi-Billion Dollar Media Rights
    Deal Is a Step in the Right Direction Despite Fans' Backlash", a link to another story)."""
    words = [w for w in text.split() if len(_LETTER.findall(w)) >= 4]
    return len(words) >= _TITLE_WORDS and not any(c.isdigit() for c in text) and all(
        w.lstrip("“\"‘'(")[:1].isupper() for w in words
    )


_TITLE_WORDS = 8


def sentence_kinds(text: str) -> list[tuple[int, int, SentenceKind]]:
    """(start, end, kind) of every sentence of `text` (`qa.chunking.sentence_spans`)."""
    paragraphs = paragraph_spans(text)
    out = []
    p = 0
    for start, end in sentence_spans(text):
        while p + 1 < len(paragraphs) and paragraphs[p][1] <= start:
            p += 1
        a, b = paragraphs[p] if paragraphs else (start, end)
        out.append((start, end, sentence_kind(text[start:end], text[a:b])))
    return out


def is_statement(kind: SentenceKind | str) -> bool:
    """Whether a sentence of this kind is worth quoting."""
    return kind == SentenceKind.STATEMENT


# A shop's price box, run into the sentences beside it on a deals page (The Verge's): the
# product's name and prices before its blurb ("Anker 511 Charger (30W) $ 16 $ 23 30 % off $ 16
# $ 16 $ 23 30 % off Anker’s 30W 511 Charger juices phones …", Engadget's "Headspace Headspace
# $35 $70 Save $35 Headspace has knocked …"), and its shops' buttons after a sentence's end
# ("… and non-damaging. $24 at Amazon$80 at Amazon (four-pack)"). A sentence that says a price
# ("… down to $140 at Amazon and Target.") holds neither.
_PRICE_BOX_HEAD = re.compile(
    r"^[^.!?]{1,120}?\s(\$ ?[\d,.]+\s+)+(\d+ ?% off|Save \$ ?[\d,.]+)\s+((\$ ?[\d,.]+|\d+ ?% off)\s+)*"
)
_PRICE_BOX_TAIL = re.compile(
    r"(?<=[.!?”\"')])(\s*\$ ?[\d,.]+ at [A-Z0-9][\w&'’.+-]*( [A-Z0-9][\w&'’.+-]*)*( \([^)]*\))?)+\s*$"
)


def without_price_box(text: str, start: int, end: int) -> tuple[int, int]:
    """(start, end) of the sentence `text[start:end]` without the price box run into it, if any
    (`_PRICE_BOX_HEAD`, `_PRICE_BOX_TAIL`); start == end when it is nothing else."""
    sentence = text[start:end]
    if "$" not in sentence:
        return start, end
    head = _PRICE_BOX_HEAD.match(sentence)
    tail = _PRICE_BOX_TAIL.search(sentence)
    a = start + (head.end() if head else 0)
    b = start + (tail.start() if tail else len(sentence))
    return (a, b) if a < b else (start, start)


# Which sentences `statement_spans` finds, as a number: bump it whenever a change here or in
# `qa.chunking.sentence_spans` finds other statements in some text. An index embeds each chunk's
# statements once (`qa.indexing.embed_sentences`); those of an older version are found again on
# its next run, and a chunk with a new statement is embedded again (`qa.indexing.restate_sentences`).
# tests/test_sentences.py pins what this version finds in the benchmark corpus.
STATEMENTS_VERSION = 4


# Texts whose statements are known: found, or read from the index (`remember_statement_spans`).
_KNOWN_SPANS: LRUCache[str, Spans] = LRUCache(maxsize=1 << 12)
_KNOWN_SPANS_LOCK = threading.Lock()


@cached(_KNOWN_SPANS, key=lambda text: text, lock=_KNOWN_SPANS_LOCK)
def statement_spans(text: str) -> Spans:
    """(start, end) of each sentence of `text` worth quoting (`is_statement`), without a shop's
    price box run into it (`without_price_box`), each judged within its paragraph. Memoised,
    with what indexing found put in the memo by `ask` (`remember_statement_spans`): an answer
    looks a passage's statements up for their stored vectors, then again as its candidates."""
    paragraphs = paragraph_spans(text)
    out = []
    for start, end in (without_price_box(text, a, b) for a, b in sentence_spans(text)):
        if start == end:
            continue
        sentence = text[start:end]
        paragraph = next((text[a:b] for a, b in paragraphs if a <= start < b), sentence)
        if is_statement(sentence_kind(sentence, paragraph)):
            out.append((start, end))
    return tuple(out)


def remember_statement_spans(text: str, spans: Spans) -> None:
    """Put in `statement_spans`'s memo what it finds in `text` under this STATEMENTS_VERSION (as an
    index stored it), so that it need not be found again."""
    with _KNOWN_SPANS_LOCK:
        _KNOWN_SPANS[text] = spans


# What a statement holds, for the kind of answer a question asks for (see `qa.answer`).
# A month's name or its abbreviation ("Jan.", "Sept"), from the one list of months.
_MONTH_WORDS = "(" + "|".join(dict.fromkeys([*MONTHS, *(m[:3] for m in MONTHS), "sept"])) + r")\.?"
_DATE_EXPRESSION = re.compile(
    rf"\b{_MONTH_WORDS}\s+\d{{1,2}}(st|nd|rd|th)?\b|\b\d{{1,2}}(st|nd|rd|th)?\s+{_MONTH_WORDS}\b"
    rf"|\b(in|since|until|by|from|of|early|late|mid-?)\s+{_MONTH_WORDS}\b|\b(19|20)\d\d\b"
    rf"|\b({'|'.join(WEEKDAYS)})\b"
    r"|\b(yesterday|today|tonight|last (week|month|year|night)|next (week|month|year))\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"dozens?|hundreds?|thousands?|millions?|billions?|half|quarter"
)
_QUANTITY = re.compile(
    rf"[$€£¥]\s?\d|\d[\d,.]*\s?(%|percent|per cent|million|billion|bn|m\b|k\b)"
    rf"|\b(?!(19|20)\d\d\b)\d[\d,.]*\b|\b({_NUMBER_WORDS})\b",
    re.IGNORECASE,
)
# An amount of money or a share: "$5 billion", "£56bn", "$US2.3b", "24.75 crore", "62%", "£19.5m".
_AMOUNT = re.compile(
    r"[$€£¥₹](US|A|AU|NZ|C)?\s?\d"
    r"|(?<![\d,.])\d[\d,.]*\s?(%|percent|per cent|million|billion|trillion|bn|crore|lakh)"
    r"|\b(dollars|euros|pounds|rupees|yen)\b",
    re.IGNORECASE,
)
_REASON = re.compile(
    r"\b(because|due to|owing to|as a result|result of|resulted from|after(?! all\b)|citing|cited|"
    r"in order to|so that|reasons?|led to|caused|blamed|in (the )?light of|in the wake of|"
    r"prompted|stemm(ed|ing|s) from|driven by|on the grounds|that'?s why|which is why|for (failing|violating|"
    r"breaching|not)|accus\w+|alleg\w+|breach\w*|violat\w+|concluded that|not consistently|"
    # A purpose is the reason for a move: "a move Musk said would help the company combat bots",
    # "in an effort to cut costs", "competition was to blame".
    r"to blame|(would|will|could|to|should) help|in (an|a) (effort|bid|attempt) to|"
    r"(aim(s|ed|ing)?|meant|designed|intended) to|to (combat|fight|stop|curb|prevent|tackle|deter|"
    r"counter|reduce|avoid|protect))\b",
    re.IGNORECASE,
)
_REPORTING = re.compile(
    r"\b(said|says|told|tells|argued|argues|wrote|writes|added|adds|stated|states|according to|"
    r"claimed|claims|insisted|explained|noted|warned|believes|described|admitted|asserted|"
    r"replied|responded|recalled|posted|tweeted|agreed|disagreed|called)\b|[“”\"]",
    re.IGNORECASE,
)
_DECISION = re.compile(
    r"\b(agree\w*|deals?|signed|signs|sign|approv\w+|decid\w+|decisions?|settle\w*|commit\w*|"
    r"accept\w*|consensus|pact|accord|memorand\w+|MOUs?|reached|clinched|struck|adopt\w+|voted|"
    r"ratif\w+|pledg\w+)\b",
    re.IGNORECASE,
)
_ROLE = re.compile(
    r"\b(CEO|CTO|CFO|COO|chief|chair\w*|president|founder|co-founder|director|commissioner|coach|"
    r"manager|head|minister|officer|executive|leader|secretary|governor|editor|spokes\w+|"
    r"professor|owner|boss|captain|producer|senator|judge|partner|general|named|appointed|hired|"
    r"successor|replac\w+)\b",
    re.IGNORECASE,
)

# "won", not "won't".
_WON = r"won(?!['’]t)"

# The sign of each deed a "who" question asks about (`qa.query.Deed`): a succession ("named …
# as Evason's successor", "… will be the new CEO"), a win, a goal ("a McTominay brace").
_DEED_SIGNS = {
    Deed.SUCCEEDED: re.compile(
        r"\b(replac\w*|succe(ed\w*|ssor|ssion)|t(ake|akes|ook|aking) over|nam(ed|ing)|appoint\w*|"
        r"hir(ed|es|ing)|tapped|promot(ed|es|ing)|takes? the helm|"
        r"new (CEO|chief|coach|manager|head|chair\w*|president|boss))\b",
        re.IGNORECASE,
    ),
    Deed.WON: re.compile(
        # A title won, not a competition's name: "the Rugby Championship", "the Champions League".
        rf"\b({_WON}|wins?|winning|winners?|beat|(?-i:champions?|championship|titles?)|victory|clinch\w*|"
        r"crowned)\b",
        re.IGNORECASE,
    ),
    Deed.SCORED: re.compile(
        r"\b(scor(ed|es|ing)|goals?|brace|hat-trick|header|netted)\b",
        re.IGNORECASE,
    ),
}

# A game's result: who won or lost, or the score ("UCLA topped Colorado 28-16", "the Raiders
# hang on to win 16-12", "Bengals 24, Bills 18"), for "How did the Vikings do against the
# Broncos?"; not "Grammy-winning", "lost some weight" or "aged 18-24".
_RESULT = re.compile(
    rf"\b({_WON}|wins|beat|beats|beaten|defeat(s|ed)?|topped|edged|routed|thrash(es|ed)|upset|eliminat(es|ed)|"
    r"lost to|loses to|fell to|drew with|tied with)\b"
    r"|\b(win|victory|loss|defeat|draw|rout|triumph)\s+(over|against|to|at|in|for)\b"
    r"|\b(win|won|winning|lose|lost|beat|by)\s+\d{1,3}\s?[-–]\s?\d{1,3}\b"
    r"|\b\d{1,3}\s?[-–]\s?\d{1,3}\s+(win|victory|loss|defeat|draw|rout|triumph|decision)\b"
    r"|\b(a|an)\s+\d{1,3}\s?[-–]\s?\d{1,3}\b|(?-i:[A-Z])\w+\s\d{1,2}\s?[-–]\s?\d{1,2}\b"
    r"|^(?-i:[A-Z])[\w.'’ ]*\s\d{1,3},\s(?-i:[A-Z])[\w.'’ ]*\s\d{1,3}$",
    re.IGNORECASE,
)

# A result told as what may come, with no result settled beside it: a preview's "Defeat against
# Galatasaray would again end United's campaign", "the Bears need to beat Carolina"; not "Coman
# sealed a 1-0 win, so United will finish bottom".
_MAY_COME = re.compile(r"\b(would|could|might|should|must|needs? to|if|unless|assuming)\b", re.IGNORECASE)
_SETTLED = re.compile(
    rf"\b({_WON}|defeated|topped|edged|routed|thrashed|lost to|fell to|drew with|tied with)\b"
    r"|\b\d{1,3}\s?[-–]\s?\d{1,3}\b",
    re.IGNORECASE,
)

# The sign of each kind of answer in a statement.
_SIGNS = {
    AnswerKind.WHEN: _DATE_EXPRESSION,
    AnswerKind.HOW_MANY: _QUANTITY,
    AnswerKind.WHY: _REASON,
    AnswerKind.SAID: _REPORTING,
    AnswerKind.AGREED: _DECISION,
    AnswerKind.WHO: _ROLE,
    AnswerKind.RESULT: _RESULT,
}


def sign_at(kind: AnswerKind, sentence: str) -> int | None:
    """Where the first sign of the answer a question of `kind` asks for starts (`holds`), or
    None: the reporting verb or quotation mark of "what did X say" (not the quotation marks
    around a title: the “Battle of the Sexes” match), nor a game's result told as what may
    come (`_MAY_COME`)."""
    sign = _SIGNS.get(kind)
    if kind == AnswerKind.SAID:
        sentence = _QUOTED_TITLE.sub(lambda m: " " * len(m.group()), sentence)
    if kind == AnswerKind.RESULT and _MAY_COME.search(sentence) and not _SETTLED.search(sentence):
        return None
    match = sign.search(sentence) if sign else None
    return match.start() if match else None


# A name in quotation marks, every word capitalised but the small ones: “Battle of the Sexes”.
_QUOTED_TITLE = re.compile(
    r"[“\"][A-Z0-9][\w’'&.-]*(\s+((of|the|and|a|an|in|on|for|to|at|with|is)\s+)*[A-Z0-9][\w’'&.-]*)+[,.]?[”\"]"
)


def states_amount(sentence: str) -> bool:
    """Whether the sentence states an amount of money or a share, the answer to "how much did X
    pay?" ("$4.3 billion", "62%"), not only a count ("seven charges")."""
    return _AMOUNT.search(sentence) is not None


def tells_deed(deed: Deed, sentence: str) -> bool:
    """Whether the sentence has the sign of `deed` ("Who scored twice …?": a goal, a brace)."""
    return _DEED_SIGNS[deed].search(sentence) is not None


def holds(kind: AnswerKind, sentence: str) -> bool:
    """Whether the sentence has the sign of the answer a question of `kind` asks for: when, a
    date, a month, a year or a weekday; how many, a number or an amount; why, a reason or a
    cause ("because", "citing", …); said, a reporting verb or a quotation; agreed, a decision or
    an agreement; who, someone's role ("chief executive", "was named …"); a game's result, a
    win, a loss or a score. Other kinds have no sign: False."""
    return sign_at(kind, sentence) is not None
