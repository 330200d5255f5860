"""Tests for qa.cleaning: what an editor keeps and removes, and laws that hold for any input."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.cleaning import clean_html, clean_text, looks_like_html


def test_paragraphs_headings_lists_and_quotes_become_paragraphs() -> None:
    html = (
        "<h2>Heading</h2><p>One <a href='/x'>linked</a> word.</p><ul><li>Item one</li><li>Item two</li></ul>"
        "<blockquote><p>Quoted.</p></blockquote>"
    )
    assert clean_html(html) == "Heading\n\nOne linked word.\n\nItem one\n\nItem two\n\nQuoted."


def test_entities_and_whitespace() -> None:
    assert (
        clean_html("<p>Fire &#038; Ice&#8217;s\n\t  <b>big</b>&nbsp;day</p>") == "Fire & Ice\u2019s big day"
    )


def test_inline_tags_do_not_split_or_glue_words() -> None:
    assert clean_html("<p>The <em>final</em> lane, <span>painted</span>.</p>") == "The final lane, painted."
    assert clean_html("<p>line one<br>line two</p>") == "line one\n\nline two"


def test_stray_closing_tags_from_stripped_markup_still_separate_paragraphs() -> None:
    html = "held the </span>Seventh Meeting</span></a> in Jinan.</span></p>\n WHY IT MATTERS</b></p>\n Next."
    assert clean_html(html) == "held the Seventh Meeting in Jinan.\n\nWHY IT MATTERS\n\nNext."


def test_plain_text_keeps_its_paragraphs() -> None:
    assert clean_html("First.\n\nSecond.") == "First.\n\nSecond."
    assert clean_text("Wrapped\nline.\n\nNext  para.") == "Wrapped line.\n\nNext para."
    assert clean_text("Line one.\nLine two.") == "Line one.\n\nLine two."
    assert clean_text("3 < 5 & 7 > 2") == "3 < 5 & 7 > 2"


@pytest.mark.parametrize(
    "junk",
    [
        "<script>var secret = 1;</script>",
        "<style>p { color: red }</style>",
        "<noscript>enable js</noscript>",
        "<template><p>tpl</p></template>",
        "<iframe src='https://www.youtube.com/embed/x'>yt</iframe>",
        "<blockquote class='twitter-tweet'><p>tweet text</p>&mdash; someone</blockquote>",
        "<blockquote class='instagram-media'><div><p>insta text</p></div></blockquote>",
        "<figure class='wp-block-embed is-type-video'>"
        "<div class='wp-block-embed__wrapper'>https://youtu.be/x</div></figure>",
        "<div class='gallery'><figure><img src='a.jpg'>"
        "<figcaption>gallery caption words here</figcaption></figure></div>",
        "<div class='sharedaddy'><h3>Share this:</h3><a>Twitter</a></div>",
        "<div id='jp-relatedposts'><h3>Related</h3><p>Other story</p></div>",
        "<p><strong>Related:</strong> <a href='/x'>Other story</a></p>",
        "<p>Read more: <a href='/y'>Another</a></p>",
        "<h3>Related posts</h3><ul><li>One</li><li>Two</li></ul>",
        "<!-- a comment -->",
        "<!--more-->",
        "[gallery ids='1,2,3']",
        "[embed]https://www.youtube.com/watch?v=x[/embed]",
    ],
)
def test_non_article_content_is_removed(junk: str) -> None:
    assert clean_html(f"<p>Before.</p>{junk}<p>After.</p>") == "Before.\n\nAfter."


def test_caption_shortcode_keeps_its_caption() -> None:
    html = (
        '<p>Before.</p>[caption id="attachment_5" align="alignnone" width="300"]<img src="x.jpg"> '
        "Protesters gather outside parliament on Monday[/caption]<p>After.</p>"
    )
    assert clean_html(html) == "Before.\n\nProtesters gather outside parliament on Monday\n\nAfter."


def test_captions_keep_news_and_drop_credits_stubs_and_repeats() -> None:
    def fig(caption: str) -> str:
        return f"<figure><img src='x.jpg'><figcaption>{caption}</figcaption></figure>"

    body = "<p>The mayor opened the new bridge on Tuesday.</p>"
    assert clean_html(body + fig("The mayor cuts the ribbon at the bridge on Tuesday")).endswith(
        "\n\nThe mayor cuts the ribbon at the bridge on Tuesday"
    )
    for caption in (
        "Photo: Reuters",
        "(Photo by Jane Doe/Getty Images)",
        "© AP",
        "bridge",
        "The mayor opened",
    ):
        assert clean_html(body + fig(caption)) == "The mayor opened the new bridge on Tuesday."
    old_style = (
        "<div class='wp-caption'><img src='x'>"
        "<p class='wp-caption-text'>Flood water fills the main square</p></div>"
    )
    assert clean_html(body + old_style).endswith("Flood water fills the main square")


def test_escaped_markup_is_article_text() -> None:
    text = clean_html("<p>The tag &lt;script&gt;alert(1)&lt;/script&gt; was shown.</p>")
    assert text == "The tag <script>alert(1)</script> was shown."


def test_empty_and_whitespace_input() -> None:
    assert clean_html("") == ""
    assert clean_html("  <p> </p>\n<div></div> ") == ""
    assert clean_text(" \n ") == ""


def test_control_characters_and_lone_surrogates() -> None:
    assert clean_html("<p>a\x00b\x1fc \ud800 d</p>") == "a b c \ufffd d"


def test_deep_nesting_is_bounded() -> None:
    deep = "<div>" * 3000 + "<script>var s = '<script';</script><p>text</p>" + "</div>" * 3000
    assert "<script" not in clean_html(deep)


def test_looks_like_html() -> None:
    assert looks_like_html("<p>x</p>") and looks_like_html("Fire &amp; ice")
    assert not looks_like_html("3 < 5 and 7 > 2") and not looks_like_html("AT&T")


# --- properties -------------------------------------------------------------------------------

_TAGS = [
    "p",
    "div",
    "span",
    "a",
    "b",
    "script",
    "style",
    "h2",
    "li",
    "ul",
    "blockquote",
    "figure",
    "figcaption",
]
_fragment = st.one_of(
    st.text(max_size=20),
    st.sampled_from(_TAGS).map(lambda t: f"<{t}>"),
    st.sampled_from(_TAGS).map(lambda t: f"</{t}>"),
    st.sampled_from(
        ["&amp;", "&lt;", "&#8217;", "&#x", "<!--", "-->", "<\\/p>", "[caption]", "[/caption]", "\n\n"]
    ),
)
_html = st.lists(_fragment, max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_html)
def test_cleaning_any_html_gives_tidy_paragraphs(html: str) -> None:
    text = clean_html(html)
    assert text == text.strip()
    assert "\n\n\n" not in text
    for para in text.split("\n\n") if text else []:
        assert para and para == para.strip() and "\n" not in para and "  " not in para
    assert "\u2029" not in text and "\x00" not in text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.text(max_size=30), st.text(max_size=30))
def test_script_elements_never_leak(before: str, inside: str, after: str) -> None:
    html = f"<p>{before}</p><script>{inside}<script{inside}</script><p>{after}</p>"
    text = clean_html(html)
    escaped = [s for s in (before, after) if "<script" in s.lower() or "&lt;script" in s.lower()]
    if not escaped:
        assert "<script" not in text.lower()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_plain_text_words_survive(text: str) -> None:
    cleaned = clean_text(text)
    assert re.sub(r"\s", "", cleaned) == re.sub(r"\s", "", clean_text(cleaned))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\x0c\xa0\u2003\u3000\u200b\ufeff\n\u2029ab", max_size=60))
def test_every_kind_of_space_run_becomes_one_space(text: str) -> None:
    cleaned = clean_text(text)
    for para in cleaned.split("\n\n") if cleaned else []:
        assert para == " ".join(para.split())
    assert cleaned.split() == re.sub("[\u200b\ufeff]", " ", text).split()
