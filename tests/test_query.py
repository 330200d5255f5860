"""qa/query.py: the one parse of a question — follow-ups, dates, outlets, limits."""

from __future__ import annotations

import pytest

import qa
from qa import query


@pytest.mark.parametrize(
    ("question", "previous", "expected"),
    [
        ("And what did China decide?", ["What was agreed in Jinan?"], "And what did China decide? (Jinan)"),
        ("What about South Korea?", ["What was agreed in Jinan?"], "What about South Korea? (Jinan)"),
        ("Who attended it?", ["When did Jeong In-kyo visit Yantai City?"],
         "Who attended it? (Jeong In-kyo, Yantai City)"),
        ("And what did China decide?", ["And what did China decide? (Jinan)"],
         "And what did China decide? (Jinan)"),
        ("What was agreed in Jinan?", [], "What was agreed in Jinan?"),
        ("Where is Gullfoss?", ["What was agreed in Jinan?"], "Where is Gullfoss?"),
        ("And what about Jinan?", ["What was agreed in Jinan?"], "And what about Jinan?"),
        ("and then?", ["what happened?"], "and then?"),
        ("Why?", ["What was agreed in Jinan?"], "Why? (Jinan)"),
        # A question that names its own subject stands alone, whatever words it shares.
        ("Why was Sam Altman fired by the OpenAI board?", ["What did SoftBank and Cubic Telecom agree?"],
         "Why was Sam Altman fired by the OpenAI board?"),
        ("How tall is the Gullfoss waterfall and where is it?", ["What was agreed in Shandong?"],
         "How tall is the Gullfoss waterfall and where is it?"),
        ("Who leads it now?", ["Why was Sam Altman fired by the OpenAI board?"],
         "Who leads it now? (Sam Altman, OpenAI)"),
        ("What did the board decide?", ["Why was Sam Altman fired by the OpenAI board?"],
         "What did the board decide?"),
    ],
)
def test_follow_ups_borrow_names_from_the_previous_turn(
    question: str, previous: list[str], expected: str
) -> None:
    assert query.rewrite_follow_up(question, previous) == expected


def test_archive_ask_answers_a_follow_up_in_context(seed_archive: qa.Archive) -> None:
    answer = seed_archive.ask("And what did China decide?", previous=["What was agreed in Jinan?"])
    assert answer.question == "And what did China decide? (Jinan)"
    assert answer.citations and answer.citations[0].url.startswith("https://koreapro.org/")
    alone = seed_archive.ask("Where is Gullfoss?", previous=["What was agreed in Jinan?"])
    assert alone.question == "Where is Gullfoss?"
