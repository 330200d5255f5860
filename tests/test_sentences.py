"""What each sentence is: statements are quoted, page furniture never (qa/sentences.py)."""

from __future__ import annotations

import hashlib
import json

import pytest
from conftest import shared_path
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.chunking import sentence_spans
from qa.query import AnswerKind
from qa.sentences import (
    STATEMENTS_VERSION,
    SentenceKind,
    holds,
    is_statement,
    sentence_kind,
    sentence_kinds,
    statement_spans,
)

# What `statement_spans` finds in the benchmark corpus's 609 bodies, for each STATEMENTS_VERSION.
STATEMENTS_DIGESTS = {
    1: "321eac59ac2a332c39d84b42c83cebfec47d753ff65c9e6a9d502d1628e0f0b9",
    2: "c38dd4e493e32bfbbcdc6aef3afca36e99da16ccc9fdc8d54e809a35ea99a485",
    3: "dbba265b5e706527cb16610b3f7cf934e0cbc290da754aabe5e51d8aeb5837fe",
    4: "21ae7a170f35ba2e003e67fd46dc174c22bfc2d50df1dee9c9e58f0e3425de8f",
}

K = SentenceKind


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("The board said Altman wasn't consistently candid in his communications.", K.STATEMENT),
        ("Sam Altman ousted as OpenAI's CEO", K.HEADING),
        ("WHY IT MATTERS", K.HEADING),
        ("Watch This Story: Every WWE Superstar Who Attacked Vince McMahon", K.PROMO),
        ("Follow along for all the latest news and regular updates from the trial.", K.PROMO),
        (
            "Stay tuned to the Guardian for further coverage of the 2023 World Series as it develops.",
            K.PROMO,
        ),
        ("GO DEEPER How Emma Hayes' winning ways at Chelsea can benefit USWNT on the field", K.PROMO),
        (
            "Polygon Recommends is our way of endorsing our favorite games, movies, TV shows, comics, "
            "tabletop books, and entertainment experiences.",
            K.PROMO,
        ),
        ("If you buy something using links in our stories, we may earn a commission.", K.PROMO),
        ("Follow Engadget for Black Friday tech deals.", K.PROMO),
        ("Follow for updates throughout the Bills-Bengals matchup.", K.PROMO),
        ("Follow him to the shore and get ready for a fight.", K.STATEMENT),
        ("Rather, it relies on affiliate commissions to generate revenue.", K.STATEMENT),
        ("Do you work at OpenAI and know more about Sam Altman's departure?", K.CALL_TO_ACTION),
        ("If you have a tip on a layoff, contact us here.", K.CALL_TO_ACTION),
        ("What is the Cybertruck?", K.QUESTION),
        ("How can Epic possibly have a case against Google when Apple already won?", K.QUESTION),
        ("— OpenAI (@OpenAI) November 22, 2023", K.EMBED),
        (
            "i loved my time at openai. pic.twitter.com/8x39P0ejOM — Sam Altman (@sama) November 17, 2023",
            K.EMBED,
        ),
        ("Kingsley Coman's goal ensured Manchester United were knocked out of Europe (PA)", K.CAPTION),
        ("Anker 3-in-1 MagSafe Wireless Charging Dock Photograph: Anker", K.CAPTION),
        (
            "Photo by Cherlynn Low / Engadget Apple Watch Ultra 2 $730 $799 Save $69 with coupon The "
            "Apple Watch Ultra 2 has hit a new low price of $730.",
            K.CAPTION,
        ),
        ("Photo by Amelia Holowaty Krales / The Verge", K.CAPTION),
        ("GIF by Amelia Holowaty Krales / The Verge", K.CAPTION),
        (
            "“Here is our official plan for communicating with Google about bypassing the Google Play "
            "Store: SAY NOTHING TILL IT SHIPS” Image via Epic v. Apple",
            K.CAPTION,
        ),
        ("A photo via Reuters shows the damage to the building.", K.STATEMENT),
        (
            "Sam Bankman-Fried listens as Gary Wang testifies at Federal Court in New York City, "
            "October 6, 2023, in this courtroom sketch.",
            K.CAPTION,
        ),
        ("Traders work on the floor of the exchange in this file photo taken on March 3, 2023.", K.CAPTION),
        (
            "USA Today via Reuters Nov 5, 2023; Avondale, Arizona, USA; NASCAR Cup Series driver Ross "
            "Chastain (1) celebrates his race victory following the Cup Series Championship race.",
            K.CAPTION,
        ),
        ("On Nov 5, 2023; the race was run; the title was decided.", K.STATEMENT),
        # An agency's credit line run into its caption, and a wire photo's dateline.
        (
            "via Getty LAS VEGAS, NEVADA – JUNE 29: Floyd Mayweather Jr. attends a game between the "
            "New York Liberty and the Las Vegas Aces at Michelob ULTRA Arena.",
            K.CAPTION,
        ),
        (
            "via Imago RECORD DATE NOT STATED Saul -Canelo- Alvarez MEX during the weigh-in ceremony "
            "prior to the Boxing fight against Jermell Charlo USA.",
            K.CAPTION,
        ),
        (
            "LOS ANGELES, CALIFORNIA – FEBRUARY 05: Austin Cindric, driver of the #2 Ford, drives during "
            "qualifying for the NASCAR Cup Series Busch Light Clash.",
            K.CAPTION,
        ),
        ("The deal was signed via Zoom on June 29: both sides confirmed it.", K.STATEMENT),
        ("Via Zoom, the two leaders agreed to meet again in LAS VEGAS, NEVADA in June.", K.STATEMENT),
        (
            "Please use Chrome browser for a more accessible video player Manchester United boss Erik "
            "ten Hag speaks on the improvement he's seen in goalkeeper Andre Onana",
            K.CAPTION,
        ),
        ("The sketch shows what the building will look like in this image.", K.CAPTION),
        ("In this photo, taken on Monday, the damage is clear to see.", K.STATEMENT),
        (
            "Editor’s note: This post was updated after publication with a statement provided by "
            "Google on Friday evening.",
            K.NOTE,
        ),
        ("(This story has been updated with a comment from Meta.)", K.NOTE),
        ("This story is part of the Good Weekend October 7 edition.", K.NOTE),
        ("Got it Normal text size Larger text size Very large text size", K.DEBRIS),
        ("Save articles for later Add articles to your saved list and come back to them any time.", K.DEBRIS),
        ("See all 15 stories .", K.DEBRIS),
        ("An earlier version of this story misstated that figure.", K.NOTE),
        ("Updated to correct the amount raised in 2021 to $180 million, not $140 million.", K.NOTE),
        ("Updated on Dec. 5, 2023, to add a comment from Meta.", K.NOTE),
        ("Updated figures show the amount raised in 2021 was $180 million.", K.STATEMENT),
        (
            "Kyle Larson Believes NASCAR's Multi-Billion Dollar Media Rights Deal Is a Step in the Right "
            "Direction Despite Fans' Backlash",
            K.HEADING,
        ),
        (
            "Kyle Larson believes NASCAR's media rights deal is a step in the right direction despite "
            "the backlash from fans",
            K.STATEMENT,
        ),
        (
            "We'll be updating these QB rankings throughout the week, so check back for the latest "
            "player movement and analysis.",
            K.NOTE,
        ),
        ("We'll update this guide periodically.", K.NOTE),
        (
            "Below, we'll give you the latest news on these ailing pass-catchers and break down how "
            "their injuries could affect the fantasy landscape.",
            K.NOTE,
        ),
        ("In this article, we will discuss the Philippine strategy for sustainable development.", K.NOTE),
        # A list's introduction says nothing itself, unless it goes on past a colon.
        ("Here are the best Prime Day deals we could find gathered in one place.", K.NOTE),
        (
            "Now that the dust has settled, these are some of the biggest decisions made in Dubai that "
            "could determine how we power our world in the future.",
            K.NOTE,
        ),
        ("Below is the full list of 49ers free agents for the 2024 offseason.", K.NOTE),
        (
            "These are the technical specs: an interior 16K x 16K spherical video surface, the "
            "highest-resolution LED screen in the world.",
            K.STATEMENT,
        ),
        ("These are the type of fights that interest me because Andrade is a great fighter.", K.STATEMENT),
        ("The venue is here and its screens are the biggest in the world.", K.STATEMENT),
        ("Here’s how the deal got done.", K.NOTE),
        ("Below is a live odds feed for the game.", K.NOTE),
        ("Here's to a calmer Christmas for every parent.", K.STATEMENT),
        ("Hereafter the council meets monthly in the town hall.", K.STATEMENT),
        ("The list below is short and easy to read.", K.STATEMENT),
        ("Here at Polygon, we have pretty eclectic collective tastes.", K.STATEMENT),
        ("Below, we have been told, lies the oldest vault in the city.", K.STATEMENT),
        ("It replied with an automated email reading: “Busy now, please check back later.”", K.STATEMENT),
        ("The Associated Press contributed to this report.", K.NOTE),
        ("Sydney Borchers and Brittany Kasko of Fox News Digital contributed reporting.", K.NOTE),
        ("Additional reporting by Zack Whittaker.", K.NOTE),
        ("She contributed $5 million to the campaign this report describes.", K.STATEMENT),
        ("Happy Friday, Polygon readers!", K.NOTE),
        ("Hi, friends!", K.NOTE),
        ("Welcome back to The Station, your central hub for all means of moving people.", K.NOTE),
        ("Welcome to Startups Weekly.", K.NOTE),
        ("Welcome to Gag City, the pink metropolis inhabited by stans and brands alike.", K.STATEMENT),
        ("Welcome to the top 25, Zach Charbonnet!", K.STATEMENT),
        ("Happy Salmon is selling for just $8.63 at Amazon.", K.STATEMENT),
        (
            'I agree to receive the "Pick Six Newsletter" and marketing communications, updates, '
            "special offers and other information from CBS Sports.",
            K.PROMO,
        ),
        ("UPDATE: Douglas (concussion) has been ruled OUT for Week 14.", K.STATEMENT),
        ("The report was published on Tuesday and cites three sources.", K.STATEMENT),
        (
            "Image source, Getty Images Image caption, Ubisoft is perhaps best known as the developer "
            "of Assassin's Creed",
            K.CAPTION,
        ),
        ("1 2 3 4 F Cowboys 0 7 3 0 10 49ers 7 14 7 14 42", K.TABLE),
        (
            "Pos Player Club Caps Goals GK Oliver Baumann Hoffenheim 0 0 GK Bernd Leno Fulham (ENG) 9 0 "
            "GK Marc-Andre ter Stegen Barcelona (SPA) 36 0",
            K.TABLE,
        ),
        (
            "STARTS: Tyreek Hill, Jaylen Waddle, Raheem Mostert, Tua Tagovailoa, Terry McLaurin "
            "(low-end WR2), De'Von Achane (low-end RB2), Dolphins DST",
            K.TABLE,
        ),
        # A list written as a sentence, and a score in one, are statements.
        (
            "England replacements: Theo Dan, Ellis Genge, Kyle Sinckler, Ollie Chessum, Billy "
            "Vunipola, Danny Care, George Ford, Ollie Lawrence.",
            K.STATEMENT,
        ),
        ("Eintracht Frankfurt pulverised Bayern Munich 5-1 with a three-goal first half.", K.STATEMENT),
        ("Loading", K.DEBRIS),
        ("Advertisement", K.DEBRIS),
        ("I wasn't.", K.FRAGMENT),
    ],
)
def test_a_sentence_standing_alone_is_what_it_looks_like(sentence: str, kind: SentenceKind) -> None:
    assert sentence_kind(sentence) == kind
    assert is_statement(sentence_kind(sentence)) == (kind == K.STATEMENT)


def test_a_short_line_is_a_heading_alone_but_a_statement_inside_a_paragraph() -> None:
    line = "Jim Harbaugh suspended for remainder of regular season"
    assert sentence_kind(line) == K.HEADING
    assert sentence_kind(line + ".", line + ". The Big Ten announced it on Friday.") == K.STATEMENT


def test_a_quoted_question_inside_a_statement_is_a_statement() -> None:
    assert (
        sentence_kind('"Why would we want to change it?" she replied, and the room fell silent.')
        == K.STATEMENT
    )


def test_a_price_box_run_into_a_deals_pages_sentences_is_left_out_of_them() -> None:
    text = (
        "Anker 511 Charger (30W) $ 16 $ 23 30 % off $ 16 $ 16 $ 23 30 % off Anker’s 30W 511 Charger "
        "juices phones quickly and is small enough to carry around. "
        "$16 at Amazon$80 at Amazon (four-pack)\n\n"
        "Headspace Headspace $35 $70 Save $35 Headspace has knocked 50 percent off its membership.\n\n"
        "The third-gen AirPods are back down to $140 at Amazon and Best Buy.\n\n"
        "$25 at Amazon$25 at Best Buy"
    )
    assert [text[a:b] for a, b in statement_spans(text)] == [
        "Anker’s 30W 511 Charger juices phones quickly and is small enough to carry around.",
        "Headspace has knocked 50 percent off its membership.",
        "The third-gen AirPods are back down to $140 at Amazon and Best Buy.",
    ]


def test_kinds_label_every_sentence_of_an_article_with_its_paragraph() -> None:
    text = (
        "Sam Altman ousted as OpenAI's CEO\n\n"
        "Sam Altman has been fired. The board said he was not consistently candid.\n\n"
        "— OpenAI (@OpenAI) November 22, 2023\n\nLoading"
    )
    kinds = sentence_kinds(text)
    assert [k for _, _, k in kinds] == [K.HEADING, K.STATEMENT, K.STATEMENT, K.EMBED, K.DEBRIS]
    assert [(a, b) for a, b, _ in kinds] == sentence_spans(text)


words = st.lists(
    st.sampled_from(["the", "board", "Altman", "said", "on", "Friday", "deal", "2023"]), max_size=12
)


@settings(max_examples=100, deadline=None)
@given(paragraphs=st.lists(words.map(lambda w: " ".join(w)), min_size=1, max_size=5))
def test_kinds_follow_the_sentence_spans_of_any_text(paragraphs: list[str]) -> None:
    text = "\n\n".join(p + "." for p in paragraphs)
    assert [(a, b) for a, b, _ in sentence_kinds(text)] == sentence_spans(text)


@pytest.mark.parametrize(
    ("kind", "yes", "no"),
    [
        (AnswerKind.WHEN, "The deal was approved on October 12, 2023.", "It was approved by regulators."),
        (AnswerKind.WHEN, "It opens in March.", "It opens soon."),
        (AnswerKind.WHEN, "It opened on Sept. 4 and closes on a Monday.", "It opened and closes."),
        (AnswerKind.HOW_MANY, "Binance agreed to pay $4.3 billion.", "The 2023 season was long."),
        (AnswerKind.HOW_MANY, "They signed 20 memorandums.", "They signed memorandums."),
        (
            AnswerKind.WHY,
            "He was fired because he was not consistently candid with the board.",
            "He was fired by the board on Friday.",
        ),
        (
            AnswerKind.WHY,
            "They backed a review of the program in light of the first World Cup pool exit.",
            "They backed a review of the program on Tuesday.",
        ),
        (AnswerKind.WHY, "The overhaul was prompted by a string of losses.", "The overhaul is large."),
        (
            AnswerKind.WHY,
            "X is charging users, a move Musk said would help the company combat bots and spam.",
            "X is charging users $1 a year in New Zealand and the Philippines.",
        ),
        (AnswerKind.WHY, "Competition from Twitter's rivals was to blame.", "Pebble shut down on Tuesday."),
        (AnswerKind.WHY, "The club cut prices in an effort to fill seats.", "The club cut prices by half."),
        (
            AnswerKind.WHY,
            "He resigned after the review found he had misled the board.",
            "After all, the company is known for its next day delivery.",
        ),
        (AnswerKind.SAID, "“We are shocked,” Brockman wrote.", "Brockman left the board."),
        (AnswerKind.SAID, "King called it “a tipping point”.", "King won the “Battle of the Sexes” match."),
        (AnswerKind.SAID, "“Absolutely.”", "King won the Battle of the Sexes."),
        (AnswerKind.AGREED, "The two sides agreed to a deal.", "The two sides met in Jinan."),
        (AnswerKind.WHO, "Richard Teng will be the exchange's new CEO.", "Richard Teng spoke."),
        (AnswerKind.RESULT, "UCLA topped Colorado 28-16 at the Rose Bowl.", "UCLA hosted Colorado at home."),
        (AnswerKind.RESULT, "Bengals 24, Bills 18", "Bengals and Bills meet on Sunday."),
        (AnswerKind.RESULT, "The Vikings suffered their first loss in five weeks.", "The Vikings punted."),
        (AnswerKind.RESULT, "The Raiders hang on to win 16-12.", "The Grammy-winning singer spoke."),
        (AnswerKind.RESULT, "Beaten by Denver, the Vikings fell to 6-5.", "He had lost some weight."),
        (AnswerKind.RESULT, "Eintracht pulverised Bayern Munich 5-1.", "Voters aged 18-24 turned out."),
        (AnswerKind.RESULT, "Detroit rolled to a 26-14 victory.", "The company lost $2 billion."),
        (
            AnswerKind.RESULT,
            "Coman sealed a 1-0 win, so United would finish bottom of the group.",
            "Defeat against Galatasaray would again end United's Champions League campaign.",
        ),
        (AnswerKind.RESULT, "The Bears won, as they had to.", "The Bears need to beat Carolina on Thursday."),
        (AnswerKind.RESULT, "Chicago beat Carolina 16-13.", "They won't go on unless they beat Carolina."),
    ],
)
def test_what_a_statement_holds_for_each_kind_of_answer(kind: AnswerKind, yes: str, no: str) -> None:
    assert holds(kind, yes)
    assert not holds(kind, no)


@pytest.mark.parametrize("kind", [AnswerKind.HAPPENED, AnswerKind.LATEST, AnswerKind.OTHER])
def test_kinds_without_a_sign_hold_in_no_sentence(kind: AnswerKind) -> None:
    assert not holds(kind, "On Monday the CEO said they agreed to pay $4 billion because of the deal.")


def test_the_statements_found_are_those_of_their_version() -> None:
    """Indexes store each chunk's statements embedded, by STATEMENTS_VERSION: a change that finds
    other statements must bump it, or stored indexes keep vectors of the old ones (which
    answers then embed again on every question)."""
    corpus = json.loads(shared_path("data", "multihop-rag", "corpus.json").read_text())
    digest = hashlib.sha256()
    for article in corpus:
        for start, end in statement_spans(article["body"]):
            digest.update(article["body"][start:end].encode() + b"\x1f")
    assert digest.hexdigest() == STATEMENTS_DIGESTS.get(STATEMENTS_VERSION), (
        "statement_spans finds other statements than STATEMENTS_VERSION "
        f"{STATEMENTS_VERSION} did: bump it in qa/sentences.py and record {digest.hexdigest()} here"
    )
