"""qa/query.py: the one parse of a question — follow-ups, dates, outlets, limits."""

from __future__ import annotations

import pytest

import qa
from qa import query

JINAN = "What was agreed in Jinan?"
ALTMAN = "Why was Sam Altman fired by the OpenAI board?"
DECK = "What did Polygon think of the Steam Deck OLED?"
FILM = "What did the box office make of Beyoncé's concert film?"


@pytest.mark.parametrize(
    ("question", "previous", "expected"),
    [
        ("And what did China decide?", [JINAN], "And what did China decide? (Jinan)"),
        ("What about South Korea?", [JINAN], "What about South Korea? (Jinan)"),
        ("Who attended it?", ["When did Jeong In-kyo visit Yantai City?"],
         "Who attended it? (Jeong In-kyo, Yantai City)"),
        ("And what did China decide?", ["And what did China decide? (Jinan)"],  # a chain keeps its names
         "And what did China decide? (Jinan)"),
        ("Why?", [JINAN], "Why? (Jinan)"),
        ("Who scored?", ["What did Sporting News report about United against Chelsea?"],
         "Who scored? (Sporting News, United, Chelsea)"),
        ("Who leads it now?", [ALTMAN], "Who leads it now? (Sam Altman, OpenAI)"),
        # a question that names nothing asks about "the verdict" of what was asked before
        ("What was the verdict?", ["What happened at Sam Bankman-Fried's trial?"],
         "What was the verdict? (Sam Bankman-Fried)"),
        ("What did the board decide?", [ALTMAN], "What did the board decide? (Sam Altman, OpenAI)"),
        ("When was that?", ["Who criticised it? (COP28)"], "When was that? (COP28)"),
        ("Were there any injuries?", ["What happened at Gullfoss?"], "Were there any injuries? (Gullfoss)"),
        ("What did the company say back?", [ALTMAN], "What did the company say back? (Sam Altman, OpenAI)"),
        # Pointing back before naming a subject of its own, and "which one" of those asked about.
        ("How did it compare with Taylor Swift's?", [FILM],
         "How did it compare with Taylor Swift's? (Beyoncé)"),
        ("What did he say about Elon Musk?", [ALTMAN],
         "What did he say about Elon Musk? (Sam Altman, OpenAI)"),
        ("Which one came out first?", [FILM], "Which one came out first? (Beyoncé)"),
        # A question of no key term but its measure, and one naming only a title in capitals.
        ("By how much?", ["Who won the Rugby World Cup final?"], "By how much? (Rugby World Cup)"),
        ("Who was the MVP?", ["Which team won the World Series?"], "Who was the MVP? (World Series)"),
        # Him, her or them at the end is no one the question names.
        ("What did Rugby Australia say about him?", ["Who is the new Wallabies coach?"],
         "What did Rugby Australia say about him? (Wallabies)"),
        # "That" standing for what was asked, and a question asking only what someone said.
        ("How does that compare with Taylor Swift's?", [FILM],
         "How does that compare with Taylor Swift's? (Beyoncé)"),
        ("What did Apple say?", ["What did Meta propose about teens' app downloads?"],
         "What did Apple say? (Meta)"),
        ("What did prosecutors say?", ["What did Sam Bankman-Fried's lawyers say in their opening?"],
         "What did prosecutors say? (Sam Bankman-Fried)"),
        # Someone or something else than the last answer gave.
        ("Who else went for a record price?", ["Who did KKR buy at the IPL auction?"],
         "Who else went for a record price? (KKR, IPL)"),
        ("Who else scored against Chelsea?", ["Who scored for United?"],
         "Who else scored against Chelsea? (United)"),
        # A story of no name goes on by its words, and on through a chain.
        ("Who announced it?", ["What are shooting stars?"], "Who announced it? (shooting stars)"),
        ("When?", ["Who announced it? (shooting stars)"], "When? (shooting stars)"),
    ],
)
def test_follow_ups_borrow_names_from_the_previous_question(
    question: str, previous: list[str], expected: str
) -> None:
    assert query.is_follow_up(question)
    assert query.rewrite_follow_up(question, previous) == expected


@pytest.mark.parametrize(
    ("question", "previous"),
    [
        (JINAN, []),
        ("Where is Gullfoss?", [JINAN]),
        ("And what about Jinan?", [JINAN]),  # nothing left to add
        ("and then?", ["what happened?"]),  # no names to add
        # A question that names its own subject stands alone, whatever words it shares.
        (ALTMAN, ["What did SoftBank and Cubic Telecom agree?"]),
        ("How tall is the Gullfoss waterfall and where is it?", ["What was agreed in Shandong?"]),
        ("Is it true that OpenAI fired Sam Altman?", [FILM]),
        ("What did Taylor Swift say about her tour?", [FILM]),
        ("Did the report say that Taylor Swift's film made more?", [FILM]),
        ("Was that Google deal approved by the EU?", [FILM]),  # "that" before a noun
        ("Who is the CEO of that company, Nvidia?", [FILM]),
        ("When?", ["What is the latest news?"]),  # no story to carry
        ("Who won this year's Super Bowl?", [FILM]),
        ("How long did it take SpaceX to launch Starship?", [FILM]),
        ("Was it OpenAI's board that fired Sam Altman?", [FILM]),
        ("Why was Sam  Altman fired by his board?", [FILM]),
        ("What did the OpenAI board decide?", [JINAN]),
        # A question of its own subject, named or not, asked after another: "the" and "why"
        # point back only in a question of few terms, and "this year" points nowhere.
        ("How do dogs catch the mysterious respiratory illness?", [DECK]),
        ("Why did the stock market fall?", [DECK]),
        ("How many jobs were cut in tech layoffs this year?", [DECK]),
        ("Did analysts warn that layoffs would continue into next year?", [DECK]),
    ],
)
def test_other_questions_are_searched_as_asked(question: str, previous: list[str]) -> None:
    assert query.rewrite_follow_up(question, previous) == question


def test_a_follow_up_carries_the_name_the_last_answer_gave_first() -> None:
    scored = "Who scored for Manchester United against Chelsea?"
    him = "What did The Guardian say about him?"
    outlets = ["The Guardian"]
    assert query.rewrite_follow_up(him, [scored], outlets=outlets, answered="Scott McTominay") == (
        f"{him} (Scott McTominay, Manchester United, Chelsea)"
    )
    assert query.rewrite_follow_up(him, [scored], outlets=outlets) == f"{him} (Manchester United, Chelsea)"


def test_a_follow_up_carries_outlets_as_written_unless_it_names_its_own() -> None:
    outlets = ["TechCrunch", "The Verge", "Cnbc | World Business News Leader"]
    binance = "What did TechCrunch report about Binance's settlement?"
    cnbc = "And what did CNBC say?"
    # Asked of another outlet, the follow-up keeps the subject, not the outlet it replaces.
    assert query.rewrite_follow_up(cnbc, [binance], outlets=outlets) == f"{cnbc} (Binance)"
    assert query.rewrite_follow_up(cnbc, [binance]) == f"{cnbc} (TechCrunch, Binance)"  # no outlets known
    # An outlet is no subject of the question's own: "it" points back.
    order = "Did The Verge report it before TechCrunch?"
    assert not query.is_follow_up(order)
    assert query.is_follow_up(order, outlets)
    ai_act = "What was agreed in the EU AI Act negotiations?"
    searched = query.rewrite_follow_up(order, [ai_act], outlets=outlets)
    assert searched == f"{order} (EU AI Act)"
    # The outlets go on as written ("The Verge", not "Verge"), after the other names.
    assert query.rewrite_follow_up("What about Gemini?", [searched], outlets=outlets) == (
        "What about Gemini? (EU AI Act, The Verge, TechCrunch)"
    )
    # Asked only what another outlet said, the question is about the same subject.
    said = query.rewrite_follow_up("What did CNBC say?", [binance], outlets=outlets)
    assert said == "What did CNBC say? (Binance)"
    assert query.rewrite_follow_up("What did CNBC say about Gemini?", [binance], outlets=outlets) == (
        "What did CNBC say about Gemini?"
    )
    # A subject of no name goes on beside the outlet: "Why?" asks why the layoffs.
    layoffs = "What did TechCrunch report about the layoffs?"
    assert query.rewrite_follow_up("Why?", [layoffs], outlets=outlets) == "Why? (layoffs, TechCrunch)"
    unknown = query.rewrite_follow_up("What about Gemini?", [searched])
    assert unknown == "What about Gemini? (Verge, TechCrunch, EU AI Act)"


def test_a_follow_up_about_several_outlets_carries_those_of_its_story() -> None:
    """"Which of them reported first?" after a question on Polygon's review of the Steam Deck
    OLED and "And Engadget?" asks of both outlets, not only the last one named; a question
    before them on another story lends none."""
    outlets = ["Polygon", "Engadget", "TechCrunch"]
    chat = ["What did TechCrunch report about Flexport?", "What did Polygon think of the Steam Deck OLED?"]
    chat.append(query.rewrite_follow_up("And Engadget?", chat, outlets=outlets))
    assert chat[-1] == "And Engadget? (Steam Deck OLED)"
    assert query.rewrite_follow_up("Which of them reported first?", chat, outlets=outlets) == (
        "Which of them reported first? (Steam Deck OLED, Engadget or Polygon)"
    )
    assert query.rewrite_follow_up("Did they both like it?", chat, outlets=outlets) == (
        "Did they both like it? (Steam Deck OLED, Engadget and Polygon)"
    )
    # One outlet pointed back to is the last question's alone.
    assert query.rewrite_follow_up("When did it report?", chat, outlets=outlets) == (
        "When did it report? (Steam Deck OLED, Engadget)"
    )
    searched = "Which of them reported first? (Steam Deck OLED, Engadget or Polygon)"
    order = query.order_asked(searched, query.read_hints(searched, outlets))
    assert order is not None and {order.first, order.second} == {"Engadget", "Polygon"}


def test_archive_ask_answers_a_follow_up_in_context(seed_archive: qa.Archive) -> None:
    answer = seed_archive.ask("And what did China decide?", previous=[JINAN])
    assert answer.question == "And what did China decide? (Jinan)"
    assert answer.citations and answer.citations[0].url.startswith("https://koreapro.org/")
    alone = seed_archive.ask("Where is Gullfoss?", previous=[JINAN])
    assert alone.question == "Where is Gullfoss?"


@pytest.mark.parametrize(
    ("question", "outlets"),
    [
        ("Considering an article by The Verge and another by Search Engine Land on Danny Sullivan, "
         "which company did he join?", ["Verge", "Search Engine Land"]),
        ("Considering a CNBC article and a Forbes piece on Sweatcoin, what changed?", ["CNBC", "Forbes"]),
        ("Which executive, as reported by The Wall Street Journal, commented?", ["Wall Street Journal"]),
        ("Does 'The Guardian' article agree with the report in The Times of India?", ["Times of India"]),
        # not outlets: a date, a possessive, a product's review, a plain question
        ("Is the October 4 report consistent with the December 15 article?", []),
        ("What did Travis Kelce say about the NFL's coverage of Taylor Swift?", []),
        ("What does the Steam Deck OLED review say about the Apple Watch?", []),
        ("Who replaced Dean Evason as coach of the Minnesota Wild?", []),
    ],
)
def test_the_outlets_a_question_names_as_its_source(question: str, outlets: list[str]) -> None:
    assert query.named_outlets(question) == outlets


def test_the_outlets_a_question_names_are_found_among_a_thousand_and_in_each_archive_alone() -> None:
    question = "Did The Verge and TechCrunch both report on Nvidia?"
    many = [f"Outlet {n} - Local" for n in range(1000)] + ["The Verge", "TechCrunch"]
    assert query.read_hints(question, ("TechCrunch", "The Verge")).sources == ("TechCrunch", "The Verge")
    assert query.read_hints(question, many).sources == ("TechCrunch", "The Verge")
    # The names are read once per archive's outlets: another archive's are not taken for its own.
    assert query.read_hints(question, ("TechCrunch",)).sources == ("TechCrunch",)
    assert query.read_hints(question, [f"Outlet {n} - Local" for n in range(1000)]).sources == ()


def test_a_named_outlet_is_known_by_its_name_or_its_section() -> None:
    sources = ["BBC News - Technology", "The New York Times", "Cnbc | World Business News Leader"]
    assert query.outlet_known("BBC News", sources)
    assert query.outlet_known("New York Times", sources)
    assert query.outlet_known("CNBC", sources)
    assert query.outlet_known("CBS Sports", [*sources, "CBSSports.com"])
    # A feed's edition is left out: Globes' English feed is "Globes English | Israel Business Arena".
    globes = "Globes English | Israel Business Arena"
    assert query.read_hints("What did Globes say about the shekel?", [*sources, globes]).sources == (globes,)
    # "Online" is no edition: "Royal Mail" names no outlet.
    assert query.read_hints("Did Royal Mail raise stamp prices?", [*sources, "Mail Online"]).sources == ()
    assert not query.outlet_known("BBC Sport", sources)
    assert not query.outlet_known("Bloomberg", sources)


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("What is the latest on the EU's scrutiny of X?", "What is on the EU's scrutiny of X?"),
        ("What's the most recent news about Beeper Mini right now?", "What's news about Beeper Mini?"),
        # not a question about the latest: its words stay
        (
            "Why is the Hipgnosis board concerned about its latest valuation?",
            "Why is the Hipgnosis board concerned about its latest valuation?",
        ),
    ],
)
def test_the_topic_of_a_question_about_the_latest_leaves_out_its_recency(question: str, topic: str) -> None:
    assert query.topic_of(question) == topic


def test_a_possessive_ends_a_name() -> None:
    """ "Binance's Changpeng Zhao" names two: an article on Binance's plea may say only "Zhao"."""
    assert query.question_names("Did Binance's Changpeng Zhao plead guilty?") == ("Binance", "Changpeng Zhao")
    assert query.question_names("What did OpenAI’s board decide?") == ("OpenAI",)


def test_a_products_model_number_and_lower_case_first_letter_are_its_name() -> None:
    """ "And Engadget?" after a question on the Pixel 8 was searched with "Pixel", and cited
    Pixel Buds deals; "Is the iPhone 15 Pro any good?" named only "Pro"."""
    assert query.question_names("What did The Verge say about the Pixel 8?") == ("Verge", "Pixel 8")
    assert query.question_names("Is the iPhone 15 Pro any good?") == ("iPhone 15 Pro",)
    assert query.question_names("Did eBay cut jobs?") == ("eBay",)
    # A year, a count, a score and a day are no model number.
    assert query.question_names("Who won the World Cup 2023 final?") == ("World Cup",)
    assert query.question_names("What happened at OpenAI 3 weeks ago?") == ("OpenAI",)
    assert query.question_names("Did Man United beat Chelsea 2 1?") == ("Man United", "Chelsea")
    assert query.question_names("Lakers 110, Celtics 105: who starred?") == ("Lakers", "Celtics")
    assert query.question_names("On November 17 OpenAI fired Sam Altman; why?") == ("OpenAI", "Sam Altman")
    assert query.rewrite_follow_up("And Engadget?", ["What did The Verge say about the Pixel 8?"], outlets=[
        "The Verge", "Engadget"]) == "And Engadget? (Pixel 8)"


def test_a_title_in_capitals_is_no_name() -> None:
    """A side that had to mention "CEO" took The Verge's profile of Roblox's chief executive as
    its report on OpenAI's new one."""
    question = "Did TechCrunch report on OpenAI's new CEO before The Verge did?"
    assert query.question_names(question) == ("TechCrunch", "OpenAI", "Verge")
    assert query.question_names("What did CEO Sam Altman tell the Binance CFO?") == ("Sam Altman", "Binance")
    hints = query.QueryHints(("TechCrunch", "The Verge"), (), (), False)
    assert query.side_names(question, hints) == {"TechCrunch": ("OpenAI",), "The Verge": ("OpenAI",)}


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("Did Advanced Science News and Live Science both cover zinc-iodine batteries?", "zinc-iodine batteries"),  # noqa: E501
        ("Has The Verge written about the delivery robots?", "delivery robots"),
        ("Did TechCrunch and The Verge both report on layoffs in tech?", "layoffs in tech"),
        ("Did TechCrunch and The Verge both cover OpenAI?", None),  # a name: the sides' own
        ("Did TechCrunch and The Verge both cover it?", None),
        ("Which company did TechCrunch and The Verge both cover?", None),
        ("What is the latest on delivery robots?", None),  # no outlet named
    ],
)
def test_what_outlets_are_asked_to_have_covered_when_the_question_names_nothing_else(
    question: str, topic: str | None
) -> None:
    sources = ("Advanced Science News", "Live Science", "TechCrunch", "The Verge")
    assert query.coverage_topic(question, query.read_hints(question, sources)) == topic


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("Sam Altman", "Altman"),
        ("Bankman-Fried", "Bankman-Fried"),
        ("Beeper Mini", "Beeper"),
        ("iPhone 15 Pro", "iPhone"),
        ("Pixel 8", "Pixel"),
        ("Galaxy S24", "Galaxy"),
        ("Steam Deck OLED", "Deck"),
        ("Pro", "Pro"),
    ],
)
def test_a_name_is_mentioned_by_its_last_word_before_a_model_or_variant(name: str, word: str) -> None:
    """Engadget's Mac mini deal stood for its side on the Beeper Mini: "Mini" was the word looked for."""
    assert query.mention_word(name) == word


def test_an_imperative_opening_is_no_name() -> None:
    question = "Compare what Sporting News and The Guardian reported about Shohei Ohtani."
    assert query.question_names(question) == ("Sporting News", "Guardian", "Shohei Ohtani")
    assert query.question_names("Summarize how The Verge covered COP28.") == ("Verge", "COP28")


def test_a_requests_verb_is_no_key_term() -> None:
    """ "Compare what … said about the Cybertruck" led with a quote saying "… how it will compare
    to other pickups": the request's verb counted as what the question is about."""
    question = "Compare what Engadget and The Verge said about the Cybertruck."
    assert query.key_stems(question) == query.key_stems("Engadget and The Verge said about the Cybertruck")
    assert "cybertruck" in query.key_stems(question)


@pytest.mark.parametrize(
    ("question", "plain"),
    [
        ("What's the latest on the Chicago Bears?", "What is the latest on the Chicago Bears?"),
        ("Whats the latest on the Bears?", "What is the latest on the Bears?"),
        ("Who's the new CEO of Binance?", "Who is the new CEO of Binance?"),
        ("It's OpenAI's board", "OpenAI board"),
    ],
)
def test_a_contracted_question_word_is_no_key_term(question: str, plain: str) -> None:
    """ "What's the latest on the Chicago Bears?" kept "what" as a third of its story: a report
    naming the Chicago Bears covered two thirds of it, too little to be the latest."""
    assert query.key_stems(question) == query.key_stems(plain)


def test_a_phrase_is_two_key_words_written_one_after_the_other() -> None:
    phrases = query.key_phrases("Who won the Cup Series championship in 2023?")
    assert {("cup", "seri"), ("seri", "championship"), ("won", "cup")} <= phrases
    assert ("world", "cup") not in phrases
    assert ("won", "cup") not in query.key_phrases("India won the 2023 World Cup.")
    assert ("bank", "england") in query.key_phrases("What did the Bank of England decide?")


@pytest.mark.parametrize(
    ("text", "held", "absent"),
    [
        ("The European Union opened a formal proceeding against X.", {"eu", "european", "union"}, set()),
        ("The Bank of Japan held rates.", {"boj", "bj", "bank", "japan"}, {"tboj"}),
        ("The Securities and Exchange Commission sued Binance.", {"sec", "binance"}, set()),
        # one capitalised word is no name of several words
        ("Binance said no.", {"binance"}, {"b"}),
    ],
)
def test_a_name_written_out_holds_its_acronym(text: str, held: set[str], absent: set[str]) -> None:
    terms = query.story_terms(text)
    assert held <= terms and not absent & terms


def test_an_acronym_is_spelled_out_as_the_texts_write_its_name() -> None:
    texts = [
        "Google fakes an AI demo, Grand Theft Auto VI goes viral and Spotify cuts jobs",
        "The trailer for Grand Theft Auto VI broke records.",
        "Rockstar Games said Grand Theft Auto VI comes in 2025.",
    ]
    assert query.spelled_out("GTA", texts) == "Grand Theft Auto"
    assert query.spelled_out("GTA", texts[:1]) is None  # written out once: it may be chance
    bank = "Markets waited on the Bank of Japan, and the Bank of Japan held."
    assert query.spelled_out("BOJ", [bank]) == "Bank of Japan"
    # Only a whole name counts, not the words that open a sentence, nor a Roman numeral.
    assert query.spelled_out("NLRB", texts) is None
    assert query.spelled_out("GAV", texts) is None
    assert query.spelled_out("FTC", ["Following Tim Cook's keynote, shares rose."] * 3) is None
    assert query.spelled_out("TC", ["Apple's Tim Cook spoke, and then Tim Cook left."]) == "Tim Cook"
    assert query.spelled_out("III", ["He met Ian In Ireland. Ian In Ireland met him."] * 2) is None


@pytest.mark.parametrize(
    ("question", "months"),
    [
        ("What did The Verge report about the Apple Watch in October?", ((None, 10),)),
        ("What happened at OpenAI in November 2023?", ((2023, 11),)),
        ("How many people fled Nagorno-Karabakh in late September?", ((None, 9),)),
        # These reach past the month: its articles alone do not answer them.
        ("What did Apple announce before September?", ()),
        ("What has OpenAI done since November?", ()),
        ("How did coverage change between October and December?", ()),
        ("What happened to March Madness?", ()),
    ],
)
def test_the_months_that_bound_a_question(question: str, months: tuple[tuple[int | None, int], ...]) -> None:
    assert query.months_within(question) == months
