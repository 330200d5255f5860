"""Cleaning: turn article HTML (or plain text) into paragraphs of clean text, like an editor would."""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings

from bs4 import BeautifulSoup, Comment, MarkupResemblesLocatorWarning, Tag

log = logging.getLogger(__name__)

__all__ = ["clean_html", "clean_text", "looks_like_html", "normalize_text"]

# U+2029 PARAGRAPH SEPARATOR marks block boundaries in the text stream; input copies of it
# mean the same thing, so nothing is lost by reusing it.
_PARA = "\u2029"

_BLOCK_TAGS = frozenset(
    "address article aside blockquote body dd details div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot "
    "th thead tr ul caption center".split()
)
# Elements whose content is never article text.
_DROP_TAGS = (
    "script style noscript template iframe object embed video audio source track svg canvas "
    "form input button select textarea nav footer aside map head title meta link picture dialog"
).split()
# Class/id words (split on - and _) that mark embeds, galleries, share and related boxes, ads.
_JUNK_WORDS = frozenset(
    "share sharing sharedaddy sharethis addtoany social related relatedposts jp-relatedposts yarpp "
    "gallery embed embedded tweet twitter instagram tiktok facebook fb youtube vimeo oembed "
    "newsletter subscribe subscription advert advertisement advertising ads ad adsbygoogle promo "
    "sponsored outbrain taboola breadcrumb breadcrumbs comments comment respond readmore "
    "sidebar widget cookie cookies popup modal byline navigation menu".split()
)
_JUNK_CLASSES = frozenset({"entry-meta", "post-meta", "read-more", "more-link", "screen-reader-text"})
_CAPTION_CLASSES = frozenset({"wp-caption-text", "wp-element-caption", "caption", "image-caption"})
_RELATED_RE = re.compile(
    r"^\s*(related( stories| articles| posts| coverage| content| reading)?|read more|read also|"
    r"also read|see also|more from|recommended( for you)?|you may also like|share this( article)?|"
    r"like this|more on this|further reading)\s*(:|\W*$)",
    re.IGNORECASE,
)
_CREDIT_RE = re.compile(
    r"^\W*(photo|image|picture|file photo|photograph|credit|courtesy|source|illustration)s?"
    r"( by| credit| courtesy)?\s*[:|/-]|^\W*©|^\W*\(?(photo|image)s?( by)?\b.{0,60}\)?\s*$",
    re.IGNORECASE,
)
_BLOCK_CLOSE_RE = re.compile(
    r"</(?:p|div|h[1-6]|li|blockquote|pre|figure|figcaption|section|article|tr|dd|dt|header|ul|ol)"
    r"\s*>|<br\s*/?>|<hr\b[^>]*>",
    re.IGNORECASE,
)
# WordPress shortcodes: these carry no article text (or only media) and go with their content.
_SHORTCODE_DROP_RE = re.compile(
    r"\[(embed|video|audio|playlist|gallery|tweet|instagram|youtube|soundcloud|contact-form-7|"
    r"contact-form)\b[^\]]*\](?:(?:(?!\[/\1\]).)*\[/\1\])?",
    re.IGNORECASE | re.DOTALL,
)
# Wrappers whose content is kept: [caption] keeps its caption text as a paragraph.
_SHORTCODE_WRAP_RE = re.compile(
    r"\[/?(caption|wp_caption|vc_[\w-]+|et_pb_[\w-]+|fusion_[\w-]+|su_[\w-]+)\b[^\]]*\]", re.IGNORECASE
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE_RE = re.compile(r"[^\S\n\u2029]+|[\u200b\u2060\ufeff]+")
_HTML_HINT_RE = re.compile(
    r"</?(p|div|br|span|a|b|i|em|strong|h[1-6]|ul|ol|li|blockquote|figure|figcaption|img|script|"
    r"style|iframe|table|section|article)\b[^>]*>|&(#\d+|#x[0-9a-f]+|[a-z]+\d*);|<!--",
    re.IGNORECASE,
)


def normalize_text(text: str) -> str:
    """Fix text-level debris: lone surrogates, control characters, odd spaces; NFC."""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = _CONTROL_RE.sub(lambda m: "\n" if m.group() in "\x0b\x0c\x1c\x1d\x1e\x85" else " ", text)
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def looks_like_html(text: str) -> bool:
    """Whether a string carries HTML tags or entities (as opposed to plain text)."""
    return _HTML_HINT_RE.search(text) is not None


def _paragraphs(stream: str, *, lines_are_paragraphs: bool) -> list[str]:
    splitter = r"[\u2029\n]" if lines_are_paragraphs else r"\u2029|\n[^\S\n]*\n"
    out = []
    for piece in re.split(splitter, stream):
        para = _SPACE_RE.sub(" ", piece).replace("\n", " ")
        para = re.sub(r" {2,}", " ", para).strip()
        if para:
            out.append(para)
    return out


def clean_text(text: str) -> str:
    """Plain text to paragraphs: blank lines separate paragraphs; when there are none, lines do."""
    text = normalize_text(text).strip()
    lines_are_paragraphs = "\n" in text and re.search(r"\n[^\S\n]*\n", text) is None
    return "\n\n".join(_paragraphs(text, lines_are_paragraphs=lines_are_paragraphs))


def _is_junk(tag: Tag) -> bool:
    if tag.attrs is None:  # decomposed earlier in the same pass
        return False
    names = tag.get("class") or []
    if isinstance(names, str):
        names = names.split()
    ident = tag.get("id")
    values = [*names, *([ident] if isinstance(ident, str) else [])]
    for value in values:
        value = value.lower()
        if value in _JUNK_CLASSES:
            return True
        if _JUNK_WORDS.intersection(re.split(r"[-_]+", value)):
            return True
    return False


def _keep_caption(text: str, body: str) -> bool:
    """Captions often carry news (who, where, when); drop credits, stubs and repeats."""
    words = text.split()
    if len(words) < 4 or _CREDIT_RE.search(text):
        return False
    return text not in body


def _remove_related_blocks(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(["p", "h2", "h3", "h4", "h5", "h6", "div", "strong"]):
        if tag.attrs is None:
            continue
        text = tag.get_text(" ", strip=True)
        if len(text) > 200 or not _RELATED_RE.search(text):
            continue
        following = tag.find_next_sibling()
        if tag.name.startswith("h") and following is not None and following.name in ("ul", "ol"):
            following.decompose()
        tag.decompose()


def clean_html(html: str) -> str:
    """Clean article HTML into text.

    Keeps paragraphs, headings, list items and block quotes as paragraphs and the text of links;
    decodes entities; drops scripts, styles, embeds, galleries, share/related boxes, comments and
    WordPress shortcodes; keeps informative image captions as their own paragraph. Escaped markup
    (`&lt;script&gt;`) is article text and comes out as literal text.

    Returns:
        The paragraphs joined by exactly "\\n\\n", with no leading or trailing whitespace.
    """
    html = normalize_text(html)
    html = _SHORTCODE_DROP_RE.sub(" ", html)
    html = _SHORTCODE_WRAP_RE.sub(_PARA, html)
    had_blocks = _BLOCK_CLOSE_RE.search(html) is not None
    # Stray closing tags (opening tags stripped upstream) are dropped by the parser: keep their
    # paragraph break by writing a separator after every closing block tag.
    html = _BLOCK_CLOSE_RE.sub(lambda m: m.group() + _PARA, html)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(html, "lxml")
    for node in soup.find_all(string=lambda s: isinstance(s, Comment)):
        node.extract()
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.attrs is not None and _is_junk(tag):
            tag.decompose()
    _remove_related_blocks(soup)
    captions = [
        tag
        for tag in soup.find_all(True)
        if tag.name == "figcaption" or _CAPTION_CLASSES.intersection(tag.get("class") or [])
    ]
    caption_texts = [_paragraphs(c.get_text(" "), lines_are_paragraphs=False) for c in captions]
    for tag in captions:
        tag.replace_with(soup.new_string(_PARA + "\x00caption\x00" + _PARA))
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert(0, _PARA)
        tag.append(_PARA)
        had_blocks = True
    paragraphs = _paragraphs(soup.get_text(), lines_are_paragraphs=not had_blocks)
    body = "\n\n".join(p for p in paragraphs if p != "\x00caption\x00")
    out: list[str] = []
    pending = iter(caption_texts)
    for para in paragraphs:
        if para != "\x00caption\x00":
            out.append(para)
            continue
        text = " ".join(next(pending, []))
        if text and _keep_caption(text, body):
            out.append(text)
    return "\n\n".join(out)
