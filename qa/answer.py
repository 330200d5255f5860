"""Extractive answers: the retrieved sentences that best answer the question, each cited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import numpy as np

from embeddings.encoder import Encoder
from qa.chunking import sentence_spans
from qa.retrieval import query_terms
from qa.types import Answer, Citation, Passage

ABSTAIN_TEXT = "The archive does not seem to answer this."
# Below this cosine similarity between the question and its best sentence, there is no answer.
MIN_SIMILARITY = 0.35


@dataclass(frozen=True)
class _Sentence:
    passage: int
    start: int
    end: int
    text: str


def text_fragment_link(url: str | None, sentence: str) -> str | None:
    """The article URL with a `#:~:text=` fragment that scrolls a browser to `sentence`.

    Long sentences use the `start,end` form (a few words each side). '-', ',' and '&' are
    syntax inside a text fragment, so they are percent-encoded along with everything reserved.
    """
    if not url:
        return None
    words = sentence.split()

    def encode(part: str) -> str:
        return quote(part, safe="").replace("-", "%2D")

    if len(words) > 12:
        fragment = f"{encode(' '.join(words[:5]))},{encode(' '.join(words[-5:]))}"
    else:
        fragment = encode(" ".join(words))
    return f"{url.split('#', 1)[0]}#:~:text={fragment}"


def compose_answer(
    question: str,
    passages: Sequence[Passage],
    encoder: Encoder,
    *,
    max_sentences: int = 3,
) -> Answer:
    """Pick the best sentences of `passages`, cite each, or abstain when the evidence is weak."""
    sentences = [
        _Sentence(i, a, b, p.text[a:b]) for i, p in enumerate(passages) for a, b in sentence_spans(p.text)
    ]
    if not sentences:
        return Answer(question=question, text=ABSTAIN_TEXT, abstained=True, leads=tuple(passages))
    vectors = encoder.encode([question] + [s.text for s in sentences])
    similarity = vectors[1:] @ vectors[0]
    terms = set(query_terms(question))
    overlap = np.array(
        [len(terms & set(query_terms(s.text))) / max(1, len(terms)) for s in sentences], dtype=np.float32
    )
    prior = np.array([1.0 / (1 + s.passage) for s in sentences], dtype=np.float32)
    score = similarity + 0.3 * overlap + 0.05 * prior
    if float(similarity.max()) < MIN_SIMILARITY:
        return Answer(question=question, text=ABSTAIN_TEXT, abstained=True, leads=tuple(passages))

    chosen: list[int] = []
    for i in np.argsort(-score):
        if len(chosen) == max_sentences or score[i] < 0.6 * score[np.argmax(score)]:
            break
        if any(_near_duplicate(sentences[i].text, sentences[j].text) for j in chosen):
            continue
        chosen.append(int(i))
    chosen.sort(key=lambda i: (sentences[i].passage, sentences[i].start))

    citations, parts = [], []
    for n, i in enumerate(chosen, start=1):
        s = sentences[i]
        p = passages[s.passage]
        citations.append(
            Citation(
                n=n, title=p.title, url=p.url, published=p.published, excerpt=p.text,
                sentence_start=s.start, sentence_end=s.end, link=text_fragment_link(p.url, s.text),
                article_id=p.article_id, source=p.source,
            )
        )
        parts.append(f"{s.text} [{n}]")
    return Answer(question=question, text=" ".join(parts), citations=tuple(citations))


def _near_duplicate(a: str, b: str) -> bool:
    wa, wb = set(a.lower().split()), set(b.lower().split())
    return len(wa & wb) / max(1, min(len(wa), len(wb))) > 0.8
