"""Chunking with the bundled model's real tokenizer: slices of the text, in order, within budget."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.chunking import chunk_article, embedding_text, paragraph_spans, sentence_spans
from qa.types import Article

WORDS = ["Jinan", "summit", "agreed", "memorandums", "of", "understanding", "the", "ministers",
         "Shandong-Korea", "cooperation", "2024", "officials", "said", "on", "Tuesday", "électricité",
         "supercalifragilisticexpialidocious", "—", "“quoted”", "U.S.", "$3.5bn"]  # fmt: skip

sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=40).map(lambda w: " ".join(w) + ".")
# One run-on "sentence" of several hundred words: longer than any chunk, so it must be split.
run_on = st.lists(st.sampled_from(WORDS), min_size=300, max_size=500).map(" ".join)
paragraph = st.one_of(st.lists(sentence, min_size=1, max_size=8).map(" ".join), run_on)
texts = st.lists(paragraph, min_size=1, max_size=6).map("\n\n".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=texts,
    max_tokens=st.sampled_from([64, 128, 256]),
    overlap=st.sampled_from([0, 1]),
    verify=st.booleans(),
)
def test_chunks_are_ordered_slices_within_the_token_budget_covering_every_word(
    encoder, text: str, max_tokens: int, overlap: int, verify: bool
) -> None:
    # Without `verify` this checks the claim behind skipping it: the bundled WordPiece
    # tokenizer's counts add up over whitespace, so summed sentence counts bound the chunk.
    assert encoder.tokens_add_up
    article = Article(id="1", title="Ministers meet in Jinan", text=text, source="Korea Pro")
    chunks = chunk_article(
        article, encoder.count_tokens, max_tokens=max_tokens, overlap=overlap, verify=verify
    )
    assert chunks
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
    assert max(encoder.count_tokens([embedding_text(article, c.text) for c in chunks])) <= max_tokens
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_overlap_repeats_the_last_sentence_of_the_previous_chunk(encoder) -> None:
    text = " ".join(f"Sentence number {i} says the ministers agreed on point {i}." for i in range(40))
    article = Article(id="1", title="Agreements", text=text)
    chunks = chunk_article(article, encoder.count_tokens, max_tokens=64, overlap=1)
    assert len(chunks) > 3
    for before, after in zip(chunks, chunks[1:], strict=False):
        last_sentence = before.text.rsplit(". ", 1)[-1]
        assert after.text.startswith(last_sentence)


@pytest.mark.parametrize("text", ["", "   \n\n  "])
def test_an_empty_article_has_no_chunks(encoder, text: str) -> None:
    assert chunk_article(Article(id="1", title="Empty", text=text), encoder.count_tokens) == []


def test_only_wordpiece_after_bert_pre_tokenisation_is_trusted_to_add_up() -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers

    from embeddings.encoder import bundled_model_dir, tokens_add_up

    assert tokens_add_up(Tokenizer.from_file(str(bundled_model_dir() / "tokenizer.json")))
    assert not tokens_add_up(Tokenizer(models.BPE()))
    metaspace = Tokenizer(models.WordPiece({"[UNK]": 0}, unk_token="[UNK]"))
    metaspace.pre_tokenizer = pre_tokenizers.Metaspace()
    assert not tokens_add_up(metaspace)


# Any text: words, every kind of whitespace and control character, CJK, accents, emoji.
any_text = st.lists(st.one_of(st.sampled_from(WORDS), st.characters(codec="utf-8")), max_size=60).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(any_text, max_size=6))
def test_word_cached_counts_equal_the_tokenizers_own(encoder, texts: list[str]) -> None:
    from tokenizers import Tokenizer

    from embeddings.encoder import bundled_model_dir

    tokenizer = Tokenizer.from_file(str(bundled_model_dir() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    expected = [len(e.ids) for e in tokenizer.encode_batch(texts)]
    assert encoder.count_tokens(texts) == expected
    assert encoder.count_tokens(texts) == expected  # every word now from the cache


@settings(max_examples=100, deadline=None)
@given(text=texts)
def test_sentences_never_cross_a_paragraph_break(text: str) -> None:
    spans = sentence_spans(text)
    starts = {a for a, _ in spans}
    for p_start, p_end in paragraph_spans(text):
        assert p_start in starts
        assert all(p_start <= a < b <= p_end for a, b in spans if p_start <= a < p_end)
    assert all(text[a:b].strip() == text[a:b] and b > a for a, b in spans)


@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_sentences_are_ordered_disjoint_and_cover_every_non_space_character(text: str) -> None:
    spans = sentence_spans(text)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:], strict=False))
    covered = "".join(text[a:b] for a, b in spans)
    assert "".join(covered.split()) == "".join(text.split())


_NAMES = st.sampled_from(["Murati", "Smith", "Jones", "Altman", "Teng", "Kelce"])
_WORDS = st.lists(
    st.sampled_from(["the", "board", "said", "was", "previously", "named", "it", "CTO"]), max_size=6
)


@settings(max_examples=200, deadline=None)
@given(
    before=_WORDS,
    first=st.sampled_from(["Mira", "John", "Ann"]),
    name=_NAMES,
    after=_WORDS,
    space=st.sampled_from([" ", "  ", "\n"]),
)
def test_a_sentence_ending_in_a_name_that_the_next_one_repeats_is_not_split_inside_the_name(
    before: list[str], first: str, name: str, after: list[str], space: str
) -> None:
    """ "…interim CEO Mira Murati. Murati was…" once split after "Mira": the next sentence's first
    word was looked for inside this sentence."""
    one = " ".join(["Police", "questioned", *before, first, name]) + "."
    two = " ".join([name, "denied", *after]) + "."
    text = f"{one}{space}{two} {name} left."
    spans = [text[a:b] for a, b in sentence_spans(text)]
    assert spans[0] == one
    assert spans[1].startswith(two)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "In the US v. Google case, Pichai testified. He said no.",
            ["In the US v. Google case, Pichai testified.", "He said no."],
        ),
        ("Epic v. Apple\n\nThe trial began.", ["Epic v. Apple", "The trial began."]),
        ("Bears vs. Vikings ended late. Minnesota won.", ["Bears vs. Vikings ended late.", "Minnesota won."]),
        ("It ended at 11 p.m. The Vikings won.", ["It ended at 11 p.m.", "The Vikings won."]),
        (
            "Purdy mocks his tag.\n\nMr. Irrelevant is the name of the last pick.",
            ["Purdy mocks his tag.", "Mr. Irrelevant is the name of the last pick."],
        ),
        (
            "The vote was 3-2. Sen. Warren dissented. (Dr. Fauci agreed.) They left for St. Louis.",
            [
                "The vote was 3-2.", "Sen. Warren dissented.", "(Dr. Fauci agreed.)",
                "They left for St. Louis.",
            ],
        ),
        ("Police arrived. Dr. Smith left.", ["Police arrived.", "Dr. Smith left."]),
        ("The company is Acme Inc. It makes rockets.", ["The company is Acme Inc.", "It makes rockets."]),
    ],
)
def test_a_case_name_or_a_title_before_a_name_is_one_sentence(text: str, expected: list[str]) -> None:
    """blingfire ended a sentence at "Epic v." and an answer quoted "… Image via Epic v."; it
    split "Mr." from the name it comes before when a sentence starts with it, and an answer
    quoted "Irrelevant is the nickname given to the final pick"."""
    assert [text[a:b] for a, b in sentence_spans(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Bartlett celebrates. Credit: Getty Prior had blasted the decision. He later backtracked.",
            [
                "Bartlett celebrates.",
                "Credit: Getty",
                "Prior had blasted the decision.",
                "He later backtracked.",
            ],
        ),
        (
            "Credit: AFL Photos / Getty Images The Bulldogs held on.",
            ["Credit: AFL Photos / Getty Images", "The Bulldogs held on."],
        ),
        ("Credit: Eddie Jim Maynard initially baulked.", ["Credit: Eddie Jim", "Maynard initially baulked."]),
        (
            "Credit: Jason McDonald/Netflix My top Netflix pick is Maestro (December 20).",
            ["Credit: Jason McDonald/Netflix", "My top Netflix pick is Maestro (December 20)."],
        ),
        (
            "Credit: Alex Ellinghausen “It would be concerning.”",
            ["Credit: Alex Ellinghausen", "“It would be concerning.”"],
        ),
        (
            "Credit: Courtesy of the artist and Jack Shainman Gallery",
            ["Credit: Courtesy of the artist and Jack Shainman Gallery"],
        ),
        (
            "Image: Mikel Arteta and Mauricio Pochettino will meet.",
            ["Image: Mikel Arteta and Mauricio Pochettino will meet."],
        ),
        (
            "Oil fell. Loading Traders expect a cut in March.\n\nLoading The S&P rose.",
            ["Oil fell.", "Loading", "Traders expect a cut in March.", "Loading", "The S&P rose."],
        ),
        ("Loading times are long.", ["Loading times are long."]),
        (
            "Got it Normal text size Larger text size Very large text size Tyler Mitchell was just 23.",
            ["Got it Normal text size Larger text size Very large text size", "Tyler Mitchell was just 23."],
        ),
        (
            "Credit: AAP Prime Minister Anthony Albanese said it.",
            ["Credit: AAP", "Prime Minister Anthony Albanese said it."],
        ),
        ("Image: Monica Chin / The Verge", ["Image: Monica Chin / The Verge"]),
        (
            "Photograph: Vincent Namatjira/Iwantja Arts, This Is No Fantasy",
            ["Photograph: Vincent Namatjira/Iwantja Arts, This Is No Fantasy"],
        ),
    ],
)
def test_a_credit_or_a_placeholder_run_into_the_next_sentence_is_split_from_it(
    text: str, expected: list[str]
) -> None:
    """Nine's pages lose the line break after a photo's credit and an embed's "Loading": "Credit:
    Getty Prior had blasted the decision …" was one sentence, a caption, and never quoted."""
    assert [text[a:b] for a, b in sentence_spans(text)] == expected
