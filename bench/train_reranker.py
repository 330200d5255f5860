"""Train the re-ranking model of qa/rerank.py on benchmark questions with gold facts.

    python bench/train_reranker.py --index-dir /tmp/mh --out qa/models/reranker.txt   # the shipped one
    python bench/train_reranker.py --index-dir my-index --questions mine.json --out my-model.txt

The index must hold the corpus the questions were written on (`qa index
../shared/data/multihop-rag/corpus.json --index-dir /tmp/mh`). For each answerable question the
candidates `qa.ranking.rerank_candidates` re-ranks are labelled 1 when the chunk holds one of
the question's gold facts (the benchmark's relevance rule). Only questions of several parts
(`qa.ranking.QuestionSplit.several`) are re-ranked, so only they are learned from; the others keep the
hand-weighted ranking in the figures too. The script first estimates how
the model does on questions it has not seen (k-fold cross-validation: trained on the other
folds, measured on each), beside the hand-weighted ranking (`Ranking(rerank=False)`), then
trains on every question and writes LightGBM's text format to --out (give it to
`Ranking(rerank_model=...)`). Training is deterministic (one thread, fixed seed): the same index
and questions give the same file.

The folds deal the questions out in turn (`--fold-by question`). MultiHop-RAG's questions ask
about the same facts again and again (the 563 answerable dev questions name 519 distinct gold
facts 1,502 times; 76% of a question's facts are a fact of a question in another such fold),
and held-out questions written on the same articles will share them too: that estimate is the
one for new questions on this archive. `--fold-by fact` keeps the questions that share a gold
fact (directly or through others) in one fold, so that no fact a fold is measured on was
learned from: the estimate for an archive nobody wrote training questions on.

`--train-share SHARE` trains each fold's model on that share of the other folds' questions only
(drawn at random, seed 0; the written model still learns from all): run with 0.25, 0.5, 0.75 and
1, it shows how many more questions would help, such as writing more for an archive of your
own. Below the table, "where the learned order misses" sorts each gold fact the cross-validated
top 10 leave out by where it is: in another chunk of an article they list, in a candidate of an
article they do not list, or in no candidate; and the questions by which of these they miss.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import lightgbm
import numpy as np

from embeddings.index import set_search_threads
from qa import Archive
from qa.catalog import Catalog
from qa.config import Ranking
from qa.evaluation import (
    LISTED,
    NO_CANDIDATE,
    NOT_LISTED,
    EvalQuestion,
    QuestionScore,
    load_questions,
    score_ranking,
    squeeze,
    summarize,
    where_missed,
)
from qa.query import Filters, read_hints
from qa.ranking import SentenceSource, cap_per_article, rank_chunk_ids, rerank_candidates, split_question
from qa.rerank import FEATURES, MODEL, SENTENCE_FEATURES, rerank, sentence_signals, train

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "multihop-rag" / "queries-dev.json"
SENTENCE_COLUMNS = np.isin(FEATURES, SENTENCE_FEATURES)  # the matrix columns of `sentence_signals`
TRUNCATION = 20  # the first 20 of each question's candidates are ordered


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index-dir", required=True, type=Path)
    parser.add_argument("--questions", type=Path, default=DEV)
    parser.add_argument("--out", type=Path, required=True, help=f"the model file to write (shipped: {MODEL})")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--fold-by", choices=("question", "fact"), default="question",
        help="deal the questions out in turn, or keep those sharing a gold fact in one fold",
    )
    parser.add_argument(
        "--fold-models", type=Path, default=None,
        help="also write each fold's model and folds.json (question -> fold) here, for "
        "`bench/answers.py --cross-fitted` to answer each question with a model that never saw it",
    )
    parser.add_argument(
        "--score-without", type=float, default=0.0, metavar="SHARE",
        help="score the folds as if SHARE of the articles (drawn at random, seed 0) had no stored "
        "sentence vectors yet, as while the sentence stage catches up; the models learn from all",
    )
    parser.add_argument(
        "--train-share", type=float, default=1.0, metavar="SHARE",
        help="train each fold's model on SHARE of the other folds' questions (drawn at random, "
        "seed 0), to see how the estimate grows with the number of training questions; the fold "
        "models --fold-models writes are then these weaker ones",
    )
    args = parser.parse_args()
    if not 0 < args.train_share <= 1:
        parser.error(f"--train-share {args.train_share}: give a share of the questions, above 0, at most 1")
    if not 0 <= args.score_without <= 1:
        parser.error(f"--score-without {args.score_without}: give a share of the articles, from 0 to 1")

    archive = Archive(args.index_dir)
    questions = load_questions(args.questions)
    per_article = archive.settings.per_article
    set_search_threads(1)
    pools, matrices, scored, labels, texts, hand, several = [], [], [], [], [], [], []
    with archive.store.read() as db:
        vectors, catalog = archive._vectors_for(db, archive.store.generation(db))
        articles = np.unique(catalog.article)
        missing = round(args.score_without * len(articles))
        gone = np.random.default_rng(0).choice(articles, missing, replace=False)
        for question in questions:
            hints = read_hints(question.question, catalog.sources, default_year=catalog.newest_year)
            split = split_question(question.question, hints)
            units = split.units if split.several else []  # as `reranked_units` gives them
            query, sentences = archive.sentence_source(db, question.question, units)
            pool, matrix = rerank_candidates(
                vectors, catalog, query, question.question, per_article=per_article, filters=Filters(),
                sentences=sentences,
            )
            if len(gone) and sentences is not None:
                # Only the sentence signals change: the rest of the matrix stays as it is.
                without = matrix.copy()
                lost = without_vectors(sentences, catalog, gone).sentences(pool)
                without[:, SENTENCE_COLUMNS] = np.column_stack(
                    sentence_signals(
                        query.reshape(-1), sentences.units, lost, catalog.article[catalog.rows_of(pool)]
                    )
                )
                scored.append(without)
            else:
                scored.append(matrix)
            picked, _ = rank_chunk_ids(
                vectors, catalog, query, question.question, k=10, per_article=per_article,
                filters=Filters(), ranking=Ranking(rerank=False),
            )
            rows = archive.store.chunks(db, sorted({*pool.tolist(), *picked}))
            text = {c: squeeze(rows[c].text) for c in rows}
            gold = [squeeze(f) for f in question.facts]
            several.append(split.several)
            pools.append(pool)
            matrices.append(matrix)
            labels.append(np.array([any(g in text[c] for g in gold) for c in pool.tolist()], dtype=float))
            texts.append(text)
            hand.append(score_ranking([rows[c].text for c in picked], question.facts))

    if args.fold_by == "fact":
        fold, by = fact_folds(questions, args.folds), " by fact"
    else:
        fold, by = np.arange(len(questions)) % args.folds, ""
    learned = dict(enumerate(hand))
    missed: dict[int, list[str]] = {}
    kept = (np.random.default_rng(0).random(len(questions)) < args.train_share) & np.array(several)
    for k in range(args.folds):
        others = [i for i in range(len(questions)) if fold[i] != k and kept[i]]
        if not others:
            raise SystemExit(
                f"{args.questions}: fold {k} of {args.folds} leaves no question of several parts "
                f"in the other folds to train its model on (--fold-by {args.fold_by}, --train-share "
                f"{args.train_share}); give more questions, fewer --folds, a larger --train-share"
                + (", or --fold-by question" if args.fold_by == "fact" else "")
            )
        booster = _train(others, matrices, labels)
        if args.fold_models:
            args.fold_models.mkdir(parents=True, exist_ok=True)
            booster.save_model(str(args.fold_models / f"fold-{k}.txt"))
        for i in np.flatnonzero((fold == k) & np.array(several)):
            ranked = rerank(pools[i], scored[i], booster)
            order = cap_per_article(ranked, catalog, k=10, per_article=per_article)
            learned[i] = score_ranking([texts[i][c] for c in order], questions[i].facts)
            articles_of = catalog.article[catalog.rows_of(pools[i])].tolist()
            article = dict(zip(pools[i].tolist(), articles_of, strict=True))
            missed[int(i)] = where_missed(order, article, texts[i], questions[i].facts)

    print(f"{len(questions)} questions, {sum(several)} of several parts: {sum(len(p) for p in pools)} "
          f"candidates, {int(sum(y.sum() for y in labels))} hold a gold fact")
    if len(gone):
        print(f"scored with {len(gone)} of {len(articles)} articles' sentence vectors missing")
    trained_on = f"trained on {args.train_share:g} of the other folds' questions"
    if args.train_share < 1:
        print(f"each fold's model {trained_on} ({int(kept.sum())} of {sum(several)} of several parts, "
              "drawn once)")
    print(f"{'':24} {'Hits@4':>7} {'MRR@10':>7} {'AllEv@10':>9} {'FactRec@10':>11}")
    unseen = [learned[i] for i in range(len(questions))]
    for name, scores in (("hand-weighted", hand), (f"learned ({args.folds}-fold{by})", unseen)):
        by_kind: dict[str, list[QuestionScore]] = defaultdict(list)
        for question, score in zip(questions, scores, strict=True):
            by_kind[question.question_type].append(score)
        for label, group in [(name, scores), *((f"  {k}", g) for k, g in sorted(by_kind.items()))]:
            m = summarize(group)
            print(f"{label:24} {m.hits_at_4:7.3f} {m.mrr_at_10:7.3f} {m.all_evidence_at_10:9.3f} "
                  f"{m.fact_recall_at_10:11.3f}")

    share = f", {trained_on}" if args.train_share < 1 else ""
    print_missed(missed, f"{args.folds}-fold{by}{share}")

    if args.fold_models:
        folds = {q.question: int(f) for q, f in zip(questions, fold, strict=True)}
        (args.fold_models / "folds.json").write_text(json.dumps(folds, indent=1), encoding="utf-8")
    booster = _train([i for i in range(len(questions)) if several[i]], matrices, labels)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(args.out))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")


def print_missed(missed: dict[int, list[str]], how: str) -> None:
    """The facts and questions `where_missed` found missed, per kind of place."""
    facts = [w for where in missed.values() for w in where]
    kinds = (LISTED, NOT_LISTED, NO_CANDIDATE)
    print(f"where the learned order misses ({how}; {len(missed)} questions of several parts):")
    print(f"  gold facts missed {len(facts)}: " + ", ".join(f"{facts.count(k)} in {k}" for k in kinds))
    alone = {k: sum(1 for where in missed.values() if where and set(where) == {k}) for k in kinds}
    mixed = sum(1 for where in missed.values() if len(set(where)) > 1)
    found = sum(1 for where in missed.values() if not where)
    only = ", ".join(f"{k} {n}" for k, n in alone.items())
    print(f"  questions with every gold fact found {found}; missing only facts in {only}; in several {mixed}")


def without_vectors(source: SentenceSource, catalog: Catalog, gone: np.ndarray) -> SentenceSource:
    """`source` with no sentence vectors for the chunks of the articles `gone` (the catalog's
    article numbers), as for articles published since the sentence stage last ran."""

    def sentences(ids: np.ndarray) -> list[np.ndarray | None]:
        lost = np.isin(catalog.article[catalog.rows_of(ids)], gone).tolist()
        return [None if x else found for x, found in zip(lost, source.sentences(ids), strict=True)]

    return source._replace(sentences=sentences)


def fact_folds(questions: list[EvalQuestion], n: int) -> np.ndarray:
    """Each question's fold of `n`: the questions linked by a shared gold fact (whitespace
    aside) form a group, and each group, largest first, joins the fold with fewest questions."""
    group = list(range(len(questions)))

    def root(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    first: dict[str, int] = {}
    for i, question in enumerate(questions):
        for fact in map(squeeze, question.facts):
            group[root(i)] = root(first.setdefault(fact, i))
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(questions)):
        members[root(i)].append(i)
    fold = np.zeros(len(questions), dtype=int)
    sizes = [0] * n
    for held in sorted(members.values(), key=lambda g: (-len(g), g[0])):
        k = sizes.index(min(sizes))
        sizes[k] += len(held)
        fold[held] = k
    return fold


def _train(which: list[int], matrices: list[np.ndarray], labels: list[np.ndarray]) -> lightgbm.Booster:
    """A model of the questions `which`, each learned twice: with its sentence signals, and with
    them missing, as on an index without stored sentence vectors (`Settings.sentence_vectors`
    off). Learned only with them, the model ranked such an index far worse than the model
    without them (all-evidence@10 0.499 against 0.553, 5-fold); learned both ways, as well
    (0.549), at a small cost where they are stored. Articles published since the sentence stage
    last ran (it follows each publish) miss theirs among others that have them, a mix it does
    not learn from: scored so (`--score-without`), up to half the articles missing theirs cost
    nothing, and more fall to about the figure with none stored (docs/benchmarks.md)."""
    blind = [np.where(SENTENCE_COLUMNS, np.nan, matrices[i]) for i in which]
    return train(
        [matrices[i] for i in which] + blind, [labels[i] for i in which] * 2, FEATURES, truncation=TRUNCATION
    )


if __name__ == "__main__":
    main()
