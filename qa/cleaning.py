"""Cleaning: turn article HTML (or plain text) into paragraphs of clean text, like an editor would."""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings

import lxml.html
from bs4 import BeautifulSoup, Comment, MarkupResemblesLocatorWarning, NavigableString, Tag
from lxml import etree

log = logging.getLogger(__name__)

__all__ = ["clean_html", "clean_text", "looks_like_html", "normalize_text", "parse_html"]

# U+2029 PARAGRAPH SEPARATOR marks block boundaries in the text stream; input copies of it
# mean the same thing, so nothing is lost by reusing it.
_PARA = "\u2029"
_CAPTION = _PARA + "\x00caption\x00" + _PARA  # where a caption was; \x00 never survives normalize_text

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "caption",
        "center",
    ]
)
# Elements whose content is never article text.
_DROP_TAGS = tuple(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "video",
        "audio",
        "source",
        "track",
        "svg",
        "canvas",
        "form",
        "input",
        "button",
        "select",
        "textarea",
        "nav",
        "footer",
        "aside",
        "map",
        "head",
        "title",
        "meta",
        "link",
        "picture",
        "dialog",
    ]
)
_DROP_TAG_SET = frozenset(_DROP_TAGS)
# Class/id words (split on - and _) that mark embeds, galleries, share and related boxes, ads.
_JUNK_WORDS = frozenset(
    [
        "share",
        "sharing",
        "sharedaddy",
        "sharethis",
        "addtoany",
        "social",
        "related",
        "relatedposts",
        "yarpp",
        "gallery",
        "embed",
        "embedded",
        "tweet",
        "twitter",
        "instagram",
        "tiktok",
        "facebook",
        "fb",
        "youtube",
        "vimeo",
        "oembed",
        "newsletter",
        "subscribe",
        "subscription",
        "advert",
        "advertisement",
        "advertising",
        "ads",
        "ad",
        "adsbygoogle",
        "promo",
        "sponsored",
        "outbrain",
        "taboola",
        "breadcrumb",
        "breadcrumbs",
        "comments",
        "comment",
        "respond",
        "readmore",
        "sidebar",
        "widget",
        "cookie",
        "cookies",
        "popup",
        "modal",
        "byline",
        "navigation",
        "menu",
    ]
)
_JUNK_CLASSES = frozenset({"entry-meta", "post-meta", "read-more", "more-link", "screen-reader-text"})
_CAPTION_CLASSES = frozenset({"wp-caption-text", "wp-element-caption", "caption", "image-caption"})
_RELATED_RE = re.compile(
    r"^\s*(related( stories| articles| posts| coverage| content| reading)?|read more|read also|"
    r"also read|see also|more from|recommended( for you)?|you may also like|share this( article)?|"
    r"like this|more on this|further reading)\s*(:|\W*$)",
    re.IGNORECASE,
)
# Cross-promotion openers: removed when the short block they open carries a link.
_PROMO_RE = re.compile(
    r"^\s*(you (may|might|could) also (like|enjoy|be interested)|also read|read (more|also|next)|"
    r"related|see also|don'?t miss|recommended|more from|more on)\b",
    re.IGNORECASE,
)
# Lines that are page furniture, not article text: tag/category lists, share prompts, photo credits.
_FURNITURE_RE = re.compile(
    r"^(tags?|tagged( with| as)?|filed (under|in)|categor(y|ies)|posted in|share( this| on)?)\s*:"
    r"|^\W*(photo|image|picture|file photo|photograph|illustration|video)s?( by| credit)?\s*[:|]"
    r"|^\W*©|^\((photo|image)s?( by|:)[^)]*\)\W*$|^(sources?|links?|more|see also)\s*:?$",
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
# BeautifulSoup's tree building costs (elements x depth); real articles stay far below this.
# (libxml2 itself stops nesting at 255 levels, but BeautifulSoup's lxml feed interface does not.)
MAX_DEPTH = 64
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Runs of spaces, tabs and odd spaces (not line or paragraph breaks) and of zero-width
# characters, each to become one space. A lone plain space, the commonest match by far, is left
# out of the pattern: replacing it with itself took half the time of reading a news corpus.
_SPACE_RE = re.compile(r"[^\S\n\u2029 ][^\S\n\u2029]*| [^\S\n\u2029]+|[\u200b\u2060\ufeff]+")
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


def _flatten_deep(html: str) -> str:
    """Unwrap elements nested deeper than MAX_DEPTH (with lxml, linear time); drop non-text ones."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return html
    depth: dict[object, int] = {root: 0}
    too_deep = []
    for _, element in etree.iterwalk(root, events=("start",)):
        parent = element.getparent()
        level = depth[element] = (depth[parent] + 1) if parent is not None else 0
        if level > MAX_DEPTH:
            too_deep.append(element)
    if not too_deep and depth and max(depth.values()) < MAX_DEPTH:
        return html
    log.debug("flattening %d elements nested deeper than %d", len(too_deep), MAX_DEPTH)
    for element in reversed(too_deep):
        if not isinstance(element.tag, str) or element.tag in _DROP_TAGS:
            element.drop_tree()
        else:
            element.drop_tag()
    return lxml.html.tostring(root, encoding="unicode")


def parse_html(html: str) -> BeautifulSoup:
    """Parse HTML with BeautifulSoup + lxml, nesting bounded to MAX_DEPTH first."""
    if html.count("<") > MAX_DEPTH:
        html = _flatten_deep(html)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(html, "lxml")


def _is_junk(tag: Tag) -> bool:
    names = tag.get_attribute_list("class")
    ident = tag.get("id")
    values = [*names, *([ident] if isinstance(ident, str) else [])]
    for value in values:
        value = value.lower()
        if value in _JUNK_CLASSES:
            return True
        if _JUNK_WORDS.intersection(re.split(r"[-_]+", value)):
            return True
    return False


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w{3,}", text.lower()))


def _keep_caption(text: str, body_words: set[str]) -> bool:
    """Captions often carry news (who, where, when): keep one that adds a word the body lacks.

    Credits ("Photo: Reuters"), one-word stubs and captions that only repeat the body are dropped.
    """
    if len(text.split()) < 2 or _CREDIT_RE.search(text):
        return False
    return bool(_words(text) - body_words)


def _remove_related(strings: list[NavigableString]) -> None:
    # Start from the strings that open like "Related:" / "Read more" (few), not from every block:
    # asking every nested block for its text is quadratic in the nesting depth.
    for string in strings:
        if string.decomposed:
            continue
        block = string.find_parent(["p", "h2", "h3", "h4", "h5", "h6", "div", "li"])
        if block is None or block.decomposed:
            continue
        text = block.get_text(" ", strip=True)
        promo = _PROMO_RE.search(text) is not None and block.find("a") is not None
        if len(text) > 200 or not (promo or _RELATED_RE.search(text)):
            continue
        following = block.find_next_sibling()
        if block.name.startswith("h") and following is not None and following.name in ("ul", "ol"):
            following.decompose()
        block.decompose()


def _is_link_only(block: Tag) -> bool:
    links = block.find_all("a")
    if not links or any(len(a.get_text(" ").split()) > 8 for a in links):
        return False
    letters = re.sub(r"[\W_]+", "", block.get_text(""))
    return bool(letters) and letters == re.sub(r"[\W_]+", "", "".join(a.get_text("") for a in links))


def _remove_link_stubs(links: list[Tag]) -> None:
    """Drop paragraphs and whole lists made only of short links: navigation, "see also" lists."""
    blocks = {id(a.parent): a.parent for a in links if a.parent is not None}
    lists: dict[int, Tag] = {}
    for block in blocks.values():
        if block.decomposed or not _is_link_only(block):
            continue
        if block.name == "p":
            block.decompose()
        elif block.parent is not None and block.parent.name in ("ul", "ol"):
            lists[id(block.parent)] = block.parent
    for listing in lists.values():
        items = listing.find_all("li", recursive=False)
        if not listing.decomposed and len(items) >= 2 and all(_is_link_only(li) for li in items):
            listing.decompose()


def _is_caption(tag: Tag) -> bool:
    return tag.name == "figcaption" or bool(_CAPTION_CLASSES.intersection(tag.get("class") or []))


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
    soup = parse_html(html)
    # One walk over the tree (bs4's find_all is slow with many names); act on the lists after.
    drop: list[Tag | NavigableString] = []
    related: list[NavigableString] = []
    captions: list[Tag] = []
    blocks: list[Tag] = []
    links: list[Tag] = []
    for node in soup.descendants:
        if isinstance(node, Tag):
            if node.name in _DROP_TAG_SET or _is_junk(node):
                drop.append(node)
            elif _is_caption(node):
                captions.append(node)
            elif node.name in _BLOCK_TAGS:
                blocks.append(node)
            elif node.name == "a" and node.parent is not None and node.parent.name in ("p", "li"):
                links.append(node)
        elif isinstance(node, Comment):
            drop.append(node)
        elif isinstance(node, NavigableString) and (_RELATED_RE.search(node) or _PROMO_RE.search(node)):
            related.append(node)
    for node in drop:
        if isinstance(node, Tag):
            if not node.decomposed:
                node.decompose()
        else:
            node.extract()
    _remove_related(related)
    _remove_link_stubs(links)
    captions = [c for c in captions if not c.decomposed]
    caption_texts = [_paragraphs(c.get_text(" "), lines_are_paragraphs=False) for c in captions]
    for tag in captions:
        tag.replace_with(soup.new_string(_CAPTION))
    for tag in blocks:
        if not tag.decomposed:
            tag.insert(0, _PARA)
            tag.append(_PARA)
            had_blocks = True
    paragraphs = _paragraphs(soup.get_text(), lines_are_paragraphs=not had_blocks)
    paragraphs = [p for p in paragraphs if len(p) > 200 or not _FURNITURE_RE.search(p)]
    body_words = _words(" ".join(p for p in paragraphs if p != _CAPTION.strip(_PARA)))
    out: list[str] = []
    pending = iter(caption_texts)
    for para in paragraphs:
        if para != _CAPTION.strip(_PARA):
            out.append(para)
            continue
        text = " ".join(next(pending, []))
        if text and _keep_caption(text, body_words):
            out.append(text)
    return "\n\n".join(out)
