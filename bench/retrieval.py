"""Benchmark: retrieval variants on MultiHop-RAG, scored by the benchmark's own rule, fast enough to tune.

    python bench/retrieval.py [--corpus FILE] [--questions FILE] [--cache-dir DIR]
                              [--seed-index DIR] [--variants all|NAME,...] [--grid]

Chunks the corpus with the project's chunker for each chunking setting, embeds each distinct
embedding text once (vectors are cached in --cache-dir, and taken from an existing index's
SQLite when --seed-index is given), builds an in-memory FTS5 index with the store's tokenizer,
scores every question against every chunk once (dense cosine, BM25), and then evaluates the
ranking variants from those cached scores in milliseconds each: dense alone, BM25 alone, naive
RRF, weighted fusion, + headline context, + outlet/date features, + per-article cap. `--grid`
searches the fusion weights (tune on the dev questions only). Prints one JSON record per
variant, then a table.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.encoder import load_encoder
from qa.catalog import BM25_B, BM25_K1, Catalog, LexicalIndex, SentenceIndex
from qa.chunking import chunk_article, context_header
from qa.evaluation import load_questions, report
from qa.query import query_terms, read_hints
from qa.ranking import RANKING, Ranking, cap_per_article, fuse
from qa.sources import dedupe, read_sources

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "multihop-rag"


@dataclass
class Corpus:
    """Chunks of one chunking setting with everything retrieval needs, as parallel arrays."""

    texts: list[str]  # chunk text (what is scored)
    lexical: list[str]  # what goes into FTS5 (header + text, or text alone)
    embed: list[str]  # what is embedded
    article: np.ndarray  # article index per chunk
    sources: list[str | None]  # per article
    days: np.ndarray  # per article: published date as days since epoch (-1 unknown)
    vectors: np.ndarray | None = None


def load_articles(corpus: Path) -> list:
    articles, problems = dedupe(list(read_sources([corpus])))
    if problems:
        print(f"{len(problems)} problem(s) reading {corpus}", file=sys.stderr)
    return sorted(articles, key=lambda a: a.id)


def build_corpus(articles: list, encoder, *, tokens: int, overlap: int, header: bool, cache: Path) -> Corpus:
    key = f"chunks-{tokens}-{overlap}-{int(header)}.json"
    path = cache / key
    if path.exists():
        rows = json.loads(path.read_text())
    else:
        rows = []
        for n, a in enumerate(articles):
            for c in chunk_article(
                a, encoder.count_tokens, max_tokens=tokens, overlap=overlap, context=header
            ):
                rows.append([n, c.text])
        path.write_text(json.dumps(rows))
    texts = [r[1] for r in rows]
    heads = [context_header(a) if header else "" for a in articles]
    joined = [f"{heads[r[0]]}\n{r[1]}" if heads[r[0]] else r[1] for r in rows]
    days = np.array(
        [(a.published.date().toordinal() if a.published else -1) for a in articles], dtype=np.int64
    )
    return Corpus(texts, joined, joined, np.array([r[0] for r in rows]), [a.source for a in articles], days)


def embed_cached(
    texts: list[str], encoder, cache: Path, seed_index: Path | None, *, encode: bool = True
) -> np.ndarray | None:
    """Vectors for texts: cached, else from the seed index's SQLite, else encoded (None unless `encode`)."""
    store = cache / f"vectors-{getattr(encoder, 'backend', 'torch')}.sqlite"
    db = sqlite3.connect(store)
    db.execute("CREATE TABLE IF NOT EXISTS v (key TEXT PRIMARY KEY, vector BLOB)")
    keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    have = {k for (k,) in db.execute("SELECT key FROM v")}
    missing = [k for k in dict.fromkeys(keys) if k not in have]
    if missing and seed_index is not None and (seed_index / "archive.sqlite").exists():
        seed = sqlite3.connect(f"file:{seed_index / 'archive.sqlite'}?mode=ro", uri=True)
        for i in range(0, len(missing), 500):
            batch = missing[i : i + 500]
            rows = seed.execute(
                f"SELECT key, vector FROM embeddings WHERE key IN ({','.join('?' * len(batch))})", batch
            )
            db.executemany("INSERT OR IGNORE INTO v VALUES (?, ?)", list(rows))
        db.commit()
        have = {k for (k,) in db.execute("SELECT key FROM v")}
        missing = [k for k in missing if k not in have]
    if missing and not encode:
        print(f"{len(missing)} texts not embedded yet; skipping dense variants", file=sys.stderr)
        return None
    if missing:
        by_key = dict(zip(keys, texts, strict=True))
        todo = sorted(missing, key=lambda k: len(by_key[k]))
        print(f"embedding {len(todo)} texts", file=sys.stderr)
        for i in range(0, len(todo), 256):
            batch = todo[i : i + 256]
            vectors = encoder.encode([by_key[k] for k in batch], batch_size=32)
            db.executemany(
                "INSERT OR IGNORE INTO v VALUES (?, ?)",
                [(k, v.tobytes()) for k, v in zip(batch, vectors, strict=True)],
            )
            db.commit()
            print(f"  {i + len(batch)}/{len(todo)}", file=sys.stderr)
    found: dict[str, bytes] = {}
    unique = list(dict.fromkeys(keys))
    for i in range(0, len(unique), 500):
        batch = unique[i : i + 500]
        found.update(
            db.execute(f"SELECT key, vector FROM v WHERE key IN ({','.join('?' * len(batch))})", batch)
        )
    return np.vstack([np.frombuffer(found[k], dtype=np.float32) for k in keys])


def lexical_cached(
    corpus: Corpus, questions: list, cache: Path, tag: str, *, question_words: bool
) -> np.ndarray:
    path = cache / f"lexical-{tag}-{int(question_words)}-{len(questions)}.npy"
    if path.exists():
        return np.load(path)
    started = time.perf_counter()
    scores = lexical_scores(
        corpus,
        questions,
        lambda q: fts_match(query_terms(q, question_words=question_words)),
    )
    print(
        f"{tag}: lexical scoring {time.perf_counter() - started:.1f}s, {len(corpus.texts)} chunks",
        file=sys.stderr,
    )
    np.save(path, scores)
    return scores


def bm25s_cached(
    corpus: Corpus,
    questions: list,
    cache: Path,
    tag: str,
    *,
    stem: bool,
    k1: float | None = None,
    b: float | None = None,
) -> np.ndarray:
    """BM25 (bm25s, in memory) of every chunk for every question, with or without a stemmer."""
    k1 = BM25_K1 if k1 is None else k1
    b = BM25_B if b is None else b
    path = cache / f"bm25s-{tag}-{int(stem)}-{k1}-{b}-{len(questions)}.npy"
    if path.exists():
        return np.load(path)
    index = LexicalIndex.build(
        np.arange(len(corpus.lexical)), corpus.lexical, stem=stem, k1=k1, b=b
    )
    scores = np.zeros((len(questions), len(corpus.texts)), dtype=np.float32)
    for qi, q in enumerate(questions):
        ids, s = index.search(q.question, len(corpus.texts))
        scores[qi, ids] = s
    np.save(path, scores)
    return scores


def fts_match(terms: list[str]) -> str | None:
    """An FTS5 MATCH expression that ORs the quoted terms (quoting neutralises FTS syntax)."""
    quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
    return " OR ".join(quoted) if quoted else None


def lexical_scores(corpus: Corpus, questions: list, match_for) -> np.ndarray:
    """BM25 (FTS5, the store's tokenizer) of every chunk for every question; 0 when unmatched."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE f USING fts5 (body, tokenize = 'porter unicode61 remove_diacritics 2')")
    db.executemany(
        "INSERT INTO f (rowid, body) VALUES (?, ?)", [(i, t) for i, t in enumerate(corpus.lexical)]
    )
    scores = np.zeros((len(questions), len(corpus.texts)), dtype=np.float32)
    for qi, q in enumerate(questions):
        match = match_for(q.question)
        if not match:
            continue
        for rowid, s in db.execute("SELECT rowid, -bm25(f) FROM f WHERE f MATCH ?", (match,)):
            scores[qi, rowid] = s
    return scores


def top(matrix_row: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, scores) of the best `depth` positive entries of a row, best first (a search's answer)."""
    depth = min(depth, len(matrix_row))
    part = np.argpartition(-matrix_row, depth - 1)[:depth]
    part = part[np.argsort(-matrix_row[part], kind="stable")]
    return part.astype(np.int64), matrix_row[part].astype(np.float64)


def catalog_of(corpus: Corpus, articles: list) -> Catalog:
    rows = [
        (i, articles[a].id, articles[a].source, articles[a].published)
        for i, a in enumerate(corpus.article.tolist())
    ]
    return Catalog.build(rows)


def run(
    name: str,
    questions: list,
    corpus: Corpus,
    catalog: Catalog,
    dense: np.ndarray | None,
    lexical: np.ndarray | None,
    ranking: Ranking,
    *,
    per_article: int = 10,
    sentences: list | None = None,
) -> dict:
    """Rank every question through `fuse` exactly as `Archive.retrieve` does, and score it."""
    lists = []
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0))
    for qi, q in enumerate(questions):
        hints = read_hints(q.question, catalog.sources, default_year=catalog.newest_year)
        d = top(dense[qi], ranking.dense_depth) if dense is not None and ranking.dense else empty
        if lexical is not None and ranking.lexical:
            lrow = lexical[qi]
            l_ids, l_scores = top(lrow, min(ranking.lexical_depth, int((lrow > 0).sum())) or 1)
            keep = l_scores > 0
            lx = (l_ids[keep], l_scores[keep])
        else:
            lx = empty
        sent = sentences[qi] if sentences is not None and ranking.sentence else None
        ids, _ = fuse(d, lx, catalog, hints, ranking, sent)
        lists.append(cap_per_article(ids, catalog, k=10, per_article=per_article))
    rep = report(questions, [[corpus.texts[i] for i in ids] for ids in lists])
    record = {
        "variant": name,
        **rep.overall.to_dict(),
        "by_type": {t: m.to_dict() for t, m in rep.by_type.items()},
    }
    print(json.dumps(record), flush=True)
    return record


def grid(
    questions: list, corpus: Corpus, catalog: Catalog, dense, lex, sentences, tag: str
) -> list[dict]:
    """Search the fusion weights; the objective is MRR@10 + Hits@4 + Hits@10 (dev questions only)."""
    import itertools

    records = []
    for wd, wsent, ws, wt in itertools.product(
        (0.15, 0.25, 0.4), (0.15, 0.25, 0.4), (0.2, 0.3, 0.5), (0.2, 0.3)
    ):
        ranking = Ranking(dense=wd, sentence=wsent, source=ws, day=wt)
        name = f"grid d{wd} sent{wsent} src{ws} day{wt} {tag}"
        records.append(run(name, questions, corpus, catalog, dense, lex, ranking, sentences=sentences))
    best = max(records, key=lambda r: r["mrr_at_10"] + r["hits_at_4"] + r["hits_at_10"])
    print("best:", json.dumps(best), file=sys.stderr)
    return records


def sentence_lists(corpus: Corpus, questions: list, depth: int) -> list:
    """Per question: (chunk ids, best sentence BM25), as `Archive.retrieve` gets them."""
    index = SentenceIndex.build(np.arange(len(corpus.texts)), corpus.texts)
    return [index.search(q.question, depth) for q in questions]


def rrf(*matrices: np.ndarray, weights=None, c: int = 60, depth: int = 100) -> np.ndarray:
    """Reciprocal rank fusion of score matrices (the naive baseline)."""
    fused = np.zeros_like(matrices[0])
    weights = weights or [1.0] * len(matrices)
    for m, w in zip(matrices, weights, strict=True):
        order = np.argsort(-m, axis=1)[:, :depth]
        rows = np.arange(len(m))[:, None]
        fused[rows, order] += w / (c + 1 + np.arange(depth))[None, :]
    return fused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DATA / "corpus.json")
    parser.add_argument("--questions", type=Path, default=DATA / "queries-dev.json")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/qa-bench-retrieval"))
    parser.add_argument("--seed-index", type=Path, default=None)
    parser.add_argument("--overlaps", type=int, nargs="+", default=[1])
    parser.add_argument("--contexts", type=int, nargs="+", default=[0, 1], help="1: headline context on")
    parser.add_argument("--embed", action="store_true", help="embed chunk texts missing from the cache")
    parser.add_argument("--backend", default="auto", help="encoder backend, as the index was built")
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--engines", action="store_true", help="also compare FTS5 and bm25s settings")
    args = parser.parse_args(argv)
    args.cache_dir.mkdir(parents=True, exist_ok=True)

    encoder = load_encoder(backend=args.backend)
    articles = load_articles(args.corpus)
    questions = load_questions(args.questions)
    q_vectors = embed_cached([q.question for q in questions], encoder, args.cache_dir, None)
    records = []
    R = Ranking
    final = RANKING
    lexical_only = dataclasses.replace(final, dense=0.0)
    for overlap in args.overlaps:
        for header in map(bool, args.contexts):
            corpus = build_corpus(
                articles, encoder, tokens=256, overlap=overlap, header=header, cache=args.cache_dir
            )
            catalog = catalog_of(corpus, articles)
            tag = f"o{overlap}" + ("+ctx" if header else "")
            print(f"{tag}: {len(corpus.texts)} chunks", file=sys.stderr)
            if args.engines:
                for name, lex in {
                    "fts5": lexical_cached(corpus, questions, args.cache_dir, tag, question_words=False),
                    "fts5-qw": lexical_cached(corpus, questions, args.cache_dir, tag, question_words=True),
                    "bm25s k1=1.2 b=.75": bm25s_cached(
                        corpus, questions, args.cache_dir, tag, stem=False, k1=1.2, b=0.75
                    ),
                    "bm25s-stem k1=1.2 b=.75": bm25s_cached(
                        corpus, questions, args.cache_dir, tag, stem=True, k1=1.2, b=0.75
                    ),
                }.items():
                    records.append(
                        run(
                            f"{name} {tag}",
                            questions,
                            corpus,
                            catalog,
                            None,
                            lex,
                            R(dense=0, sentence=0, source=0, day=0, month=0, latest=0),
                        )
                    )
            lex = bm25s_cached(corpus, questions, args.cache_dir, tag, stem=True)
            sentences = sentence_lists(corpus, questions, final.sentence_depth)
            bare = R(dense=0, sentence=0, source=0, day=0, month=0, latest=0)
            records.append(run(f"bm25 {tag}", questions, corpus, catalog, None, lex, bare))
            records.append(
                run(
                    f"bm25+sentence {tag}",
                    questions,
                    corpus,
                    catalog,
                    None,
                    lex,
                    dataclasses.replace(bare, sentence=final.sentence),
                    sentences=sentences,
                )
            )
            records.append(
                run(
                    f"bm25+sentence+outlet/date {tag}",
                    questions,
                    corpus,
                    catalog,
                    None,
                    lex,
                    lexical_only,
                    sentences=sentences,
                )
            )
            corpus.vectors = embed_cached(
                corpus.embed, encoder, args.cache_dir, args.seed_index, encode=args.embed
            )
            if corpus.vectors is None:
                continue
            dense = q_vectors @ corpus.vectors.T
            records.append(
                run(
                    f"dense {tag}",
                    questions,
                    corpus,
                    catalog,
                    dense,
                    None,
                    R(lexical=0, sentence=0, source=0, day=0, month=0, latest=0),
                )
            )
            records.append(
                run(
                    f"rrf(dense, fts5) {tag}",
                    questions,
                    corpus,
                    catalog,
                    rrf(dense, lexical_cached(corpus, questions, args.cache_dir, tag, question_words=False)),
                    None,
                    R(dense=1, lexical=0, sentence=0, source=0, day=0, month=0, latest=0),
                )
            )
            records.append(
                run(
                    f"dense+bm25 {tag}",
                    questions,
                    corpus,
                    catalog,
                    dense,
                    lex,
                    dataclasses.replace(bare, dense=final.dense),
                )
            )
            records.append(
                run(
                    f"dense+bm25+sentence {tag}",
                    questions,
                    corpus,
                    catalog,
                    dense,
                    lex,
                    dataclasses.replace(bare, dense=final.dense, sentence=final.sentence),
                    sentences=sentences,
                )
            )
            for cap in (1, 2, 3, 10):
                records.append(
                    run(
                        f"default cap{cap} {tag}",
                        questions,
                        corpus,
                        catalog,
                        dense,
                        lex,
                        final,
                        per_article=cap,
                        sentences=sentences,
                    )
                )
            if args.grid:
                records.extend(grid(questions, corpus, catalog, dense, lex, sentences, tag))
    print(f"\n{'variant':<16} {'H@4':>6} {'H@10':>6} {'MRR':>6} {'MAP':>6}")
    for r in records:
        print(
            f"{r['variant']:<16} {r['hits_at_4']:>6.3f} {r['hits_at_10']:>6.3f} "
            f"{r['mrr_at_10']:>6.3f} {r['map_at_10']:>6.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
