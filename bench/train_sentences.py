"""Train the sentence model of qa/sentence_rank.py on benchmark questions with gold facts.

    python bench/train_reranker.py --index-dir /tmp/mh --fold-models F --out qa/models/reranker.txt
    python bench/train_sentences.py --index-dir /tmp/mh --cross-fitted F --out qa/models/sentences.txt

The index must hold the corpus the questions were written on. Each answerable question that
the model answers (`qa.answer.answered_by_model`: two or more parts or named outlets) is asked
for its answer's passages (`Archive.answer_passages`); with `--cross-fitted DIR` (the fold
models `bench/train_reranker.py --fold-models DIR` wrote) each question's passages come from
the re-ranking model that never saw it, as they would for a question nobody trained on. Each
sentence the answer step embeds (`qa.answer.gather_evidence`, `qa.answer.sentence_matrix`) is
labelled 1 when it is, or lies inside, one of the question's gold facts (the rule of
bench/answers.py's "cites a gold fact").

The script first estimates how the model does on questions it has not seen (k-fold, the folds
of DIR/folds.json when given): the share of questions whose model's first sentences (one per
part and `answer_sentences` more, at most `learned_most`) hold every gold fact. With `--cross-fitted`
it writes each fold's model to DIR/sentences-fold-K.txt, so that `bench/answers.py
--cross-fitted DIR` answers each question with models that never saw it. Then it trains on
every question and writes LightGBM's text format to --out (give it to
`AnswerWeights(sentence_model=...)`). Training is deterministic: the same index, questions and
folds give the same file.

`--train-share SHARE` trains each fold's model on that share of the other folds' questions only
(drawn at random, seed 0; the written model still learns from all, and with `--cross-fitted`
the fold models written are these weaker ones): run with 0.25, 0.5, 0.75 and 1, it shows how
the estimate grows with the number of training questions, as bench/train_reranker.py's does.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import lightgbm
import numpy as np

from embeddings.index import set_search_threads
from qa import Archive
from qa.answer import answered_by_model, gather_evidence, sentence_matrix
from qa.evaluation import load_questions
from qa.rerank import train
from qa.sentence_rank import FEATURES, MODEL, order

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "multihop-rag" / "queries-dev.json"
TRUNCATION = 40  # the first 40 of each question's sentences are ordered
_SPACE = re.compile(r"\s+")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index-dir", required=True, type=Path)
    parser.add_argument("--questions", type=Path, default=DEV)
    parser.add_argument("--out", type=Path, required=True, help=f"the model file to write (shipped: {MODEL})")
    parser.add_argument("--folds", type=int, default=5, help="without --cross-fitted")
    parser.add_argument(
        "--cross-fitted", type=Path, default=None, metavar="DIR",
        help="answer each question from the passages of the re-ranking model that did not train on "
        "it (DIR from `bench/train_reranker.py --fold-models DIR`), and write the sentence fold "
        "models there too",
    )
    parser.add_argument(
        "--train-share", type=float, default=1.0, metavar="SHARE",
        help="train each fold's model on SHARE of the other folds' questions (drawn at random, "
        "seed 0), to see how the estimate grows with the number of training questions; with "
        "--cross-fitted DIR the sentence fold models written there are then these weaker ones "
        "(give it a copy of DIR)",
    )
    args = parser.parse_args()
    if not 0 < args.train_share <= 1:
        parser.error(f"--train-share {args.train_share}: give a share of the questions, above 0, at most 1")

    archive = Archive(args.index_dir)
    base = archive.settings
    questions = load_questions(args.questions)
    folds: dict[str, int] = {}
    if args.cross_fitted:
        folds = json.loads((args.cross_fitted / "folds.json").read_text(encoding="utf-8"))
    # The sentences embedded for a question the model answers; their features, not the shipped model's choice.
    weights = dataclasses.replace(base.answer, learned=False)
    set_search_threads(1)
    matrices, labels, covers, wanted, fold, kinds = [], [], [], [], [], []
    for n, question in enumerate(questions):
        k = folds.get(question.question, n % args.folds)
        ranking, answer = base.ranking, base.answer
        if args.cross_fitted:
            ranking = dataclasses.replace(ranking, rerank_model=str(args.cross_fitted / f"fold-{k}.txt"))
            # The passages of a question asking a name hold what a search with the name an answer
            # gives finds (`Archive.answer_passages`): that answer, too, from a model that never
            # saw the question, when the fold has one.
            drafter = args.cross_fitted / f"sentences-fold-{k}.txt"
            if drafter.is_file():
                answer = dataclasses.replace(answer, sentence_model=str(drafter))
        archive.settings = dataclasses.replace(base, ranking=ranking, answer=answer)
        passages = archive.answer_passages(question.question)
        if not passages or not answered_by_model(question.question, passages):
            continue
        evidence = gather_evidence(
            question.question, passages, archive.sentence_vectors, weights=weights,
            embed_budget=weights.learned_budget, unknown_names=archive.unknown_names(question.question),
            boilerplate=archive.boilerplate(),
        )
        facts = [f for f in dict.fromkeys(_squeeze(f) for f in question.facts) if f]
        if not evidence.ranked or not facts:
            continue
        texts = [_squeeze(s.text) for s in evidence.ranked]
        cover = np.array([[bool(t) and (t in f or f in t) for f in facts] for t in texts], dtype=bool)
        matrices.append(sentence_matrix(evidence))
        labels.append(cover.any(axis=1).astype(float))
        covers.append(cover)
        wanted.append(min(len(evidence.parts) + base.answer_sentences, base.answer.learned_most))
        fold.append(k)
        kinds.append(question.question_type)
    archive.settings = base

    fold_of = np.array(fold)
    if len(set(fold)) < 2:
        raise SystemExit(
            f"{args.questions}: {len(matrices)} questions of several parts with gold facts, in "
            f"{len(set(fold))} fold(s); training and its estimate need such questions in two folds or more"
        )
    kept = np.random.default_rng(0).random(len(matrices)) < args.train_share
    every: dict[str, list[bool]] = defaultdict(list)
    for k in sorted(set(fold)):
        others = np.flatnonzero((fold_of != k) & kept)
        if not others.size:
            raise SystemExit(
                f"{args.questions}: fold {k} has no question in the other folds to train its model on "
                f"(--train-share {args.train_share}); give more questions or a larger --train-share"
            )
        booster = _train(others, matrices, labels)
        if args.cross_fitted:
            booster.save_model(str(args.cross_fitted / f"sentences-fold-{k}.txt"))
        for i in np.flatnonzero(fold_of == k):
            first = order(matrices[i], booster)[: wanted[i]]
            held = bool(covers[i][first].any(axis=0).all())
            every["all"].append(held)
            every[f"  {kinds[i]}"].append(held)
    print(f"{len(questions)} questions, {len(matrices)} answered by the model: "
          f"{sum(len(y) for y in labels)} sentences, {int(sum(y.sum() for y in labels))} state a gold fact")
    trained_on = ""
    if args.train_share < 1:
        trained_on = (f", each fold's model trained on {args.train_share:g} of the other folds' "
                      f"questions ({int(kept.sum())} of {len(matrices)}, drawn once)")
    print(f"every gold fact among the model's first sentences ({len(set(fold))}-fold{trained_on}, "
          "before the answer's choice):")
    for name, held in sorted(every.items(), key=lambda item: item[0] != "all"):
        print(f"{name:24} {np.mean(held):.3f}  ({len(held)})")

    booster = _train(np.arange(len(matrices)), matrices, labels)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(args.out))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")


def _squeeze(text: str) -> str:
    """The text without whitespace (the benchmark's matching rule)."""
    return _SPACE.sub("", text)


def _train(which: np.ndarray, matrices: list[np.ndarray], labels: list[np.ndarray]) -> lightgbm.Booster:
    return train([matrices[i] for i in which], [labels[i] for i in which], FEATURES, truncation=TRUNCATION)


if __name__ == "__main__":
    main()
