"""The store: incremental reindexing, generations, embeddings reuse, locking, repair, refusal."""

from __future__ import annotations

import json
import logging
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

import filelock
import numpy as np
import pytest
from conftest import shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qa
import qa.catalog
import qa.indexing
import qa.migrations
import qa.sentences
import qa.store
from embeddings.encoder import Encoder
from embeddings.index import file_sha256
from embeddings.onnx_encoder import RECIPE as ONNX_RECIPE
from qa.catalog import Catalog
from qa.cli import main as cli_main
from qa.indexing import (
    HeldInterrupts,
    chunk_and_embed,
    chunk_articles,
    default_chunker,
    diff_changes,
    read_files,
    writer_lock,
)
from qa.store import FORMAT_VERSION, Store

SMALL = qa.Settings(chunk_tokens=64, per_article=50)


def short_articles(n: int, chars: int = 300) -> list[dict]:
    """The first `n` articles of the shared MultiHop-RAG corpus, each cut to whole sentences
    within `chars` characters, so that embedding them is quick."""
    corpus = json.loads(shared_path("data", "multihop-rag", "corpus.json").read_text())
    out = []
    for record in corpus[:n]:
        body = record["body"][:chars]
        cut = body.rfind(". ")
        out.append(dict(record, body=body[: cut + 1] if cut > 0 else body))
    return out


def write_articles(path: Path, articles: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(articles))
    return path


def article_id(archive: qa.Archive, url: str) -> str:
    return archive.store.db.execute("SELECT id FROM articles WHERE url = ?", (url,)).fetchone()[0]


def file_stamp(index_dir: Path) -> dict[str, tuple[int, int]]:
    return {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns)
        for p in index_dir.iterdir()
        if not p.name.endswith("-shm")
    }


# -- incremental equals rebuild -------------------------------------------------------------------

SLOTS = 4


def _version(base: dict, version: int) -> dict:
    record = dict(base)
    if version == 1:
        record["body"] += "\n\nIn a later update, officials gave more details about the plans and the costs."
    elif version == 2:
        record["body"] = "Correction: " + record["body"]
    elif version == 3:
        record["updated"] = "2031-01-01T00:00:00Z"  # a new modified stamp only
    elif version == 4:
        record["published_at"] = "2030-06-01T00:00:00+00:00"  # metadata that reaches the header
    return record


def logical_state(archive: qa.Archive, questions: list[str]) -> dict:
    """A store's content without ids, timestamps or `modified`, plus full search results."""
    db = archive.store.db
    state = {
        "articles": sorted(db.execute(
            "SELECT id, title, text, url, published, authors, categories, source, content_hash, "
            "fingerprint, source_file FROM articles")),
        "chunks": sorted(db.execute('SELECT article_id, ordinal, start, "end", text, embed_key FROM chunks')),
        "fts": sorted(r[0] for r in db.execute("SELECT body FROM chunks_fts")),
        "search": [
            sorted((p.article_id, p.start, p.end, p.text) for p in archive.retrieve(q, k=100))
            for q in questions
        ],
        "scores": [
            [p.score for p in sorted(archive.retrieve(q, k=100), key=lambda p: (p.article_id, p.start))]
            for q in questions
        ],
    }
    with archive.store.read() as snapshot:
        ids, vectors = archive.store.live_vectors(snapshot, 384)
        keys = dict(snapshot.execute("SELECT id, embed_key FROM chunks"))
    state["vectors"] = {keys[int(i)]: v for i, v in zip(ids, vectors, strict=True)}
    return state


steps = st.lists(
    st.tuples(
        st.sampled_from(["prune", "remove"]),
        st.dictionaries(st.integers(0, SLOTS - 1), st.one_of(st.none(), st.integers(0, 4)), min_size=1),
    ),
    min_size=1,
    max_size=4,
)


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=steps)
def test_incremental_equals_rebuild(steps, encoder) -> None:
    bases = short_articles(SLOTS, chars=400)
    root = Path(tempfile.mkdtemp())
    corpus = root / "corpus"
    corpus.mkdir()
    try:
        with qa.Archive(root / "incremental", encoder=encoder, settings=SMALL) as archive:
            for mode, changes in steps:
                gone = [slot for slot, version in changes.items() if version is None]
                for slot, version in changes.items():
                    path = corpus / f"slot-{slot}.json"
                    if version is None:
                        path.unlink(missing_ok=True)
                    else:
                        write_articles(path, [_version(bases[slot], version)])
                if mode == "prune":
                    archive.add([corpus], prune=True)
                else:
                    urls = [bases[s]["url"] for s in gone]
                    stored = dict(archive.store.db.execute("SELECT url, id FROM articles"))
                    archive.remove([stored[u] for u in urls if u in stored])
                    touched = [corpus / f"slot-{s}.json" for s, v in changes.items() if v is not None]
                    if touched:
                        archive.add(touched)
            questions = ["What happened?", bases[0]["title"], "officials plans costs"]
            assert archive.store.integrity_problems() == []
            incremental = logical_state(archive, questions)
        with qa.Archive(root / "rebuild", encoder=encoder, settings=SMALL) as rebuilt:
            if any(corpus.iterdir()):
                rebuilt.add([corpus])
            assert rebuilt.store.integrity_problems() == []
            fresh = logical_state(rebuilt, questions)
        for key in ("articles", "chunks", "fts", "search"):
            assert incremental[key] == fresh[key], key
        # torch vectors move in the 7th decimal with their batch-mates' padding, and scores are
        # rounded to 6 decimals: equal up to that.
        for got, expected in zip(incremental["scores"], fresh["scores"], strict=True):
            assert got == pytest.approx(expected, abs=2e-6)
        assert incremental["vectors"].keys() == fresh["vectors"].keys()
        for key, vector in fresh["vectors"].items():
            np.testing.assert_allclose(incremental["vectors"][key], vector, atol=1e-5)
    finally:
        shutil.rmtree(root)


# -- what a reindex costs ------------------------------------------------------------------------


def test_unchanged_reindex_embeds_nothing_and_writes_nothing(archive: qa.Archive, tmp_path: Path) -> None:
    source = write_articles(tmp_path / "a" / "articles.json", short_articles(3))
    first = archive.add([source])
    before = file_stamp(archive.index_dir)
    again = archive.add([source])
    assert (again.unchanged, again.chunks_embedded, again.generation) == (3, 0, first.generation)
    assert file_stamp(archive.index_dir) == before


def test_new_modified_stamp_costs_nothing_but_new_date_reembeds(archive: qa.Archive, tmp_path: Path) -> None:
    base = short_articles(1)[0]
    source = tmp_path / "a" / "articles.json"
    first = archive.add([write_articles(source, [base])])
    stamp = archive.add([write_articles(source, [_version(base, 3)])])
    assert (stamp.unchanged, stamp.updated, stamp.chunks_embedded) == (1, 0, 0)
    assert stamp.generation == first.generation
    dated = archive.add([write_articles(source, [_version(base, 4)])])
    # The date is part of each chunk's embedded header: the article is updated and re-embedded.
    assert (dated.updated, dated.generation) == (1, first.generation + 1)
    assert dated.chunks_embedded == archive.stats().chunks


def test_changed_article_replaces_its_chunks_and_reuses_identical_ones(encoder, tmp_path: Path) -> None:
    base = short_articles(1, chars=600)[0]
    source = tmp_path / "a" / "articles.json"
    with qa.Archive(tmp_path / "index", encoder=encoder, settings=SMALL) as archive:
        archive.add([write_articles(source, [base])])
        old = set(archive.store.db.execute("SELECT text FROM chunks"))
        assert len(old) >= 3
        changed = archive.add([write_articles(source, [_version(base, 1)])])
        assert changed.updated == 1
        rows = archive.store.db.execute('SELECT text, start, "end" FROM chunks ORDER BY ordinal').fetchall()
        text = archive.store.article(article_id(archive, base["url"])).text
        assert all(text[start:end] == chunk for chunk, start, end in rows)
        assert "later update" in rows[-1][0]
        assert 0 < changed.chunks_embedded < len(rows)
        assert archive.store.integrity_problems() == []


def test_remove_prune_and_report(archive: qa.Archive, tmp_path: Path) -> None:
    articles = short_articles(4)
    one = write_articles(tmp_path / "src" / "one.json", articles[:2])
    two = write_articles(tmp_path / "src" / "two.json", articles[2:])
    first = archive.add([tmp_path / "src"])
    assert first.added == 4
    nothing = archive.remove(["no-such-article"])
    assert (nothing.removed, nothing.generation) == (0, first.generation)
    removed = archive.remove([article_id(archive, articles[0]["url"])])
    assert (removed.removed, archive.stats().articles) == (1, 3)
    # A broken file must not empty the archive: its stored articles are not pruned.
    two.write_text("{ this is not json")
    kept = archive.add([tmp_path / "src"], prune=True)
    assert (kept.removed, kept.added, archive.stats().articles) == (0, 1, 4)
    assert kept.problems
    two.unlink()
    pruned = archive.add([one], prune=True)
    assert (pruned.removed, pruned.unchanged, archive.stats().articles) == (2, 2, 2)
    assert archive.store.integrity_problems() == []


def test_a_post_of_another_site_replacing_a_stored_one_is_reported(
    archive: qa.Archive, tmp_path: Path
) -> None:
    def post(site: str, text: str) -> dict:
        return {
            "id": 7, "link": f"https://{site}/news/seven", "date_gmt": "2024-05-01T10:00:00",
            "title": {"rendered": f"News from {site}"}, "content": {"rendered": f"<p>{text}</p>"},
        }

    archive.add([write_articles(tmp_path / "a.json", [post("a.example", "The council voted.")])])
    same_site = archive.add([write_articles(tmp_path / "a.json", [post("a.example", "The council met.")])])
    assert (same_site.updated, same_site.problems) == (1, ())
    b_file = write_articles(tmp_path / "b.json", [post("b.example", "The mayor resigned.")])
    other_site = archive.add([b_file])
    assert other_site.updated == 1
    [problem] = other_site.problems
    assert (problem.file, problem.article_id) == (str(b_file), "7")
    assert "https://a.example/news/seven" in problem.reason and "another site" in problem.reason


def test_chunk_ids_only_grow(archive: qa.Archive, tmp_path: Path) -> None:
    articles = short_articles(3)
    archive.add([write_articles(tmp_path / "a.json", articles[:2])])
    top = archive.store.db.execute("SELECT max(id) FROM chunks").fetchone()[0]
    archive.remove([article_id(archive, articles[1]["url"])])
    archive.add([write_articles(tmp_path / "b.json", articles[2:])])
    new = archive.store.db.execute(
        "SELECT min(id) FROM chunks WHERE article_id = ?", (article_id(archive, articles[2]["url"]),)
    ).fetchone()[0]
    assert new > top


def test_removed_then_readded_costs_no_embedding_within_grace(
    archive: qa.Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qa.store, "EMBEDDING_GRACE_GENERATIONS", 2)
    articles = short_articles(3)
    a = write_articles(tmp_path / "a.json", articles[:1])
    toggles = [write_articles(tmp_path / f"t{i}.json", [articles[1 + i]]) for i in range(2)]
    archive.add([a, *toggles])
    a_id = article_id(archive, articles[0]["url"])
    archive.remove([a_id])
    readded = archive.add([a])
    assert (readded.added, readded.chunks_embedded, readded.sentences_embedded) == (1, 0, 0)
    db = archive.store.db
    keys = [r[0] for r in db.execute("SELECT embed_key FROM chunks WHERE article_id = ?", (a_id,))]
    archive.remove([a_id])  # generation g: a's embeddings unused since g
    for toggle in toggles:  # g+1, g+2: past the grace, they are deleted
        archive.remove([article_id(archive, json.loads(toggle.read_text())[0]["url"])])
    for table in ("embeddings", "sentence_embeddings"):  # with their sentences' vectors
        marks = ",".join("?" * len(keys))
        assert db.execute(f"SELECT count(*) FROM {table} WHERE key IN ({marks})", keys).fetchone()[0] == 0
    assert _count(archive, "sentence_embeddings") == _count(archive, "embeddings") > 0
    again = archive.add([a])
    assert again.chunks_embedded > 0 and again.sentences_embedded > 0
    assert archive.store.integrity_problems() == []


def _count(archive: qa.Archive, table: str) -> int:
    return archive.store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# -- sentence vectors ----------------------------------------------------------------------------


class _Recorder:
    """Records every text the (real) encoder is given."""

    def __init__(self, encoder: Encoder) -> None:
        self.encode = encoder.encode
        self.texts: list[str] = []

    def __call__(self, texts: list[str], **options: object) -> np.ndarray:
        self.texts += texts
        return self.encode(texts, **options)


def _statements(passages: list[qa.Passage]) -> set[str]:
    return {s for p in passages for s in qa.indexing.chunk_statements(p.text)}


def test_indexing_embeds_each_statement_and_answers_read_them(
    archive: qa.Archive, tmp_path: Path, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = archive.add([write_articles(tmp_path / "a.json", short_articles(4, chars=900))])
    rows = archive.store.db.execute(
        "SELECT c.text, s.digest, s.vectors FROM chunks c JOIN sentence_embeddings s ON s.key = c.embed_key"
    ).fetchall()
    assert len(rows) == report.chunks_embedded == archive.stats().chunks
    for text, digest, blob in rows:
        statements = qa.indexing.chunk_statements(text)
        assert digest == qa.indexing.sentences_digest(statements)
        stored = np.frombuffer(blob, dtype=np.float16).reshape(len(statements), encoder.dimension)
        np.testing.assert_allclose(stored, encoder.encode(statements), atol=2e-3)
    distinct = {s for text, _, _ in rows for s in qa.indexing.chunk_statements(text)}
    assert report.sentences_embedded == len(distinct)

    question = "What did Betashares agree to acquire?"
    recorder = _Recorder(encoder)
    monkeypatch.setattr(encoder, "encode", recorder)
    answer = archive.ask(question)
    quoted = _statements(archive.answer_passages(question))
    assert not answer.abstained and quoted
    assert not quoted.intersection(recorder.texts), "ask embedded sentences the index stores"

    # Without the stored vectors the same answer is found, by embedding the sentences.
    archive.store.db.execute("DELETE FROM sentence_embeddings")
    archive.sentence_vectors.clear()
    assert archive.ask(question).text == answer.text
    assert quoted.intersection(recorder.texts)


def test_stored_vectors_of_other_statements_are_not_used(
    archive: qa.Archive, tmp_path: Path, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk whose statements are no longer read as they were when it was indexed (a newer
    sentence splitter) has its sentences embedded again as the answer needs them."""
    archive.add([write_articles(tmp_path / "a.json", short_articles(2, chars=900))])
    archive.store.db.execute("UPDATE sentence_embeddings SET digest = 'another splitter'")
    recorder = _Recorder(encoder)
    monkeypatch.setattr(encoder, "encode", recorder)
    question = "What did Betashares agree to acquire?"
    archive.ask(question)
    assert _statements(archive.answer_passages(question)).intersection(recorder.texts)


def test_a_damaged_sentence_blob_is_not_used_and_is_reported(
    archive: qa.Archive, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    archive.add([write_articles(tmp_path / "a.json", short_articles(2, chars=900))])
    question = "What did Betashares agree to acquire?"
    answered = archive.ask(question).text
    archive.store.db.execute(
        "UPDATE sentence_embeddings SET vectors = substr(vectors, 2) WHERE length(vectors) > 0"
    )
    archive.sentence_vectors.clear()
    with caplog.at_level(logging.WARNING, logger="qa.store"):
        assert archive.ask(question).text == answered
    assert "are damaged; embedded as needed" in caplog.text
    damaged = archive.store.db.execute("SELECT count(*) FROM sentence_embeddings WHERE length(vectors) > 0")
    assert archive.store.integrity_problems() == [
        f"{damaged.fetchone()[0]} chunks' sentence vectors are not whole vectors"
    ]


class _Finder:
    """Records the texts whose statements `qa.sentences.statement_spans` looks for (not its memo)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.texts: list[str] = []
        real = qa.sentences.paragraph_spans  # where looking for a text's statements starts

        def recording(text: str):
            self.texts.append(text)
            return real(text)

        monkeypatch.setattr(qa.sentences, "paragraph_spans", recording)
        qa.sentences.statement_spans.cache_clear()


def test_indexing_stores_where_the_statements_are_and_ask_does_not_look_again(
    archive: qa.Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive.add([write_articles(tmp_path / "a.json", short_articles(4, chars=900))])
    rows = archive.store.db.execute(
        "SELECT c.text, s.spans FROM chunks c JOIN sentence_embeddings s ON s.key = c.embed_key"
    ).fetchall()
    assert rows
    assert all(qa.store.blob_spans(blob) == qa.sentences.statement_spans(text) for text, blob in rows)
    with archive.store.read() as db:  # read for an answer; the re-ranker reads the vectors alone
        ids = [r[0] for r in db.execute("SELECT id FROM chunks")]
        for_answer = archive.store.sentence_vectors(db, ids, archive.encoder.dimension, spans=True)
        for_ranking = archive.store.sentence_vectors(db, ids, archive.encoder.dimension)
    assert all(row.spans for row in for_answer.values())
    assert all(row.spans is None for row in for_ranking.values()) and for_ranking.keys() == for_answer.keys()

    question = "What did Betashares agree to acquire?"
    answered = archive.ask(question).text
    archive.sentence_vectors.clear()
    finder = _Finder(monkeypatch)
    assert archive.ask(question).text == answered
    passages = {p.text for p in archive.answer_passages(question)}
    assert passages and not passages.intersection(finder.texts)

    # Spans found by other statement rules than this version's are not trusted: they are found.
    archive.store.db.execute("UPDATE meta SET value = 'older' WHERE key = 'statements_version'")
    archive.sentence_vectors.clear()
    finder = _Finder(monkeypatch)
    assert archive.ask(question).text == answered
    assert passages <= set(finder.texts)


def test_a_format_5_index_gets_its_spans_on_its_next_run_without_embedding(
    tmp_path: Path, encoder: Encoder
) -> None:
    source = write_articles(tmp_path / "a.json", short_articles(3, chars=900))
    spans = "SELECT key, spans FROM sentence_embeddings ORDER BY key"
    with qa.Archive(tmp_path / "index", encoder=encoder) as archive:
        archive.add([source])
        stored = archive.store.db.execute(spans).fetchall()
        answered = archive.ask("What did Betashares agree to acquire?").text
    with sqlite3.connect(tmp_path / "index" / "archive.sqlite") as db:  # as format 5 wrote it
        db.executescript("ALTER TABLE sentence_embeddings DROP COLUMN spans; "
                         "UPDATE meta SET value = '5' WHERE key = 'format_version';")
    with qa.Archive(tmp_path / "index", encoder=encoder) as archive:
        assert archive.store.meta("format_version") == str(FORMAT_VERSION)
        assert {s for _, s in archive.store.db.execute(spans)} == {None}
        qa.sentences.statement_spans.cache_clear()
        assert archive.ask("What did Betashares agree to acquire?").text == answered
        stages: list[tuple[str, int, int]] = []
        again = archive.add([source], progress=lambda *stage: stages.append(stage))
        assert (again.chunks_embedded, again.sentences_embedded) == (0, 0)
        assert archive.store.db.execute(spans).fetchall() == stored
        assert ("spans", len(stored), len(stored)) in stages
        assert archive.ask("What did Betashares agree to acquire?").text == answered


def test_spans_that_do_not_match_their_vectors_are_not_used_and_are_reported(
    archive: qa.Archive, tmp_path: Path
) -> None:
    archive.add([write_articles(tmp_path / "a.json", short_articles(2, chars=900))])
    question = "What did Betashares agree to acquire?"
    answered = archive.ask(question).text
    archive.store.db.execute("UPDATE sentence_embeddings SET spans = substr(spans, 9) WHERE length(spans)")
    archive.sentence_vectors.clear()
    qa.sentences.statement_spans.cache_clear()
    assert archive.ask(question).text == answered
    cut = archive.store.db.execute("SELECT count(*) FROM sentence_embeddings WHERE length(vectors) > 0")
    assert archive.store.integrity_problems() == [
        f"{cut.fetchone()[0]} chunks' statement spans are not one per sentence vector"
    ]


def _stored_statements(archive: qa.Archive) -> dict[str, tuple[list[str], np.ndarray]]:
    """Embedding key -> (the statements stored for its chunk, their vectors)."""
    keys = archive.store.chunks_with_sentences()
    return {
        key: ([text[a:b] for a, b in row.spans or ()], row.vectors)
        for key, (text, row) in archive.store.stored_statements(keys, archive.encoder.dimension).items()
    }


def test_new_statement_rules_keep_the_vectors_of_the_statements_they_keep(
    archive: qa.Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change of the statement rules (`STATEMENTS_VERSION`) used to embed every sentence again:
    3.5 minutes on the benchmark archive for a rule that dropped 171 of its 46,000 statements."""
    source = write_articles(tmp_path / "a.json", short_articles(3, chars=600))
    first = archive.add([source])
    assert archive.store.meta("statements_version") == str(qa.sentences.STATEMENTS_VERSION)
    assert archive.add([source]).sentences_embedded == 0
    before = _stored_statements(archive)
    assert len(before) == archive.stats().chunks and first.sentences_embedded > 0

    # A new version that finds the same statements embeds none.
    monkeypatch.setattr(qa.indexing, "STATEMENTS_VERSION", qa.sentences.STATEMENTS_VERSION + 1)
    stages: list[tuple[str, int, int]] = []
    again = archive.add([source], progress=lambda *stage: stages.append(stage))
    assert (again.chunks_embedded, again.sentences_embedded) == (0, 0)
    assert ("statements", len(before), len(before)) in stages
    assert archive.store.meta("statements_version") == str(qa.sentences.STATEMENTS_VERSION + 1)
    assert _stored_statements(archive).keys() == before.keys()

    # Rules that drop each chunk's first statement keep the others' vectors, and embed none.
    real = qa.indexing.statement_spans
    monkeypatch.setattr(qa.indexing, "statement_spans", lambda text: real(text)[1:])
    monkeypatch.setattr(qa.indexing, "STATEMENTS_VERSION", qa.sentences.STATEMENTS_VERSION + 2)
    assert archive.add([source]).sentences_embedded == 0
    after = _stored_statements(archive)
    for key, (statements, vectors) in after.items():
        assert statements == before[key][0][1:]
        assert np.array_equal(vectors, before[key][1][1:])

    # Rules that find a new statement embed the chunks that have one.
    monkeypatch.setattr(qa.indexing, "statement_spans", lambda text: [(0, 30), *real(text)])
    monkeypatch.setattr(qa.indexing, "STATEMENTS_VERSION", qa.sentences.STATEMENTS_VERSION + 3)
    assert archive.add([source]).sentences_embedded == sum(len(s) + 1 for s, _ in before.values())
    for key, (statements, vectors) in _stored_statements(archive).items():
        assert statements[1:] == before[key][0]
        expected = archive.encoder.encode(statements).astype(np.float16).astype(np.float32)
        assert np.allclose(vectors, expected, atol=1e-3)
    assert _count(archive, "sentence_embeddings") == len(before)


def test_new_statement_rules_embed_again_the_chunks_whose_stored_statements_are_damaged(
    archive: qa.Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive.add([write_articles(tmp_path / "a.json", short_articles(3, chars=600))])
    before = _stored_statements(archive)
    first, second, *_ = before
    db = archive.store.db
    db.execute("UPDATE sentence_embeddings SET spans = substr(spans, 5) WHERE key = ?", (first,))
    db.execute("UPDATE sentence_embeddings SET vectors = substr(vectors, 3) WHERE key = ?", (second,))
    assert len(archive.store.integrity_problems()) == 2
    monkeypatch.setattr(qa.indexing, "STATEMENTS_VERSION", qa.sentences.STATEMENTS_VERSION + 1)
    again = archive.add([write_articles(tmp_path / "a.json", short_articles(3, chars=600))])
    assert again.sentences_embedded == len(before[first][0]) + len(before[second][0])
    assert archive.store.integrity_problems() == []
    after = _stored_statements(archive)
    assert {k: s for k, (s, _) in after.items()} == {k: s for k, (s, _) in before.items()}


def test_finding_statements_again_resumes_where_a_killed_run_stopped(
    archive: qa.Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_articles(tmp_path / "a.json", short_articles(3, chars=600))
    archive.add([source])
    before = _stored_statements(archive)
    real = qa.indexing.statement_spans
    monkeypatch.setattr(qa.indexing, "statement_spans", lambda text: real(text)[1:])
    monkeypatch.setattr(qa.indexing, "STATEMENTS_VERSION", qa.sentences.STATEMENTS_VERSION + 1)
    monkeypatch.setattr(qa.indexing, "SENTENCE_BATCH", 1)

    def killed(stage: str, done: int, total: int) -> None:
        if stage == "statements" and done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        archive.add([source], progress=killed)
    # The version is recorded only when every chunk is done: the next run finishes the work.
    assert archive.store.meta("statements_version") == str(qa.sentences.STATEMENTS_VERSION)
    assert archive.add([source]).sentences_embedded == 0
    assert archive.store.meta("statements_version") == str(qa.sentences.STATEMENTS_VERSION + 1)
    assert {k: s for k, (s, _) in _stored_statements(archive).items()} == {
        k: s[1:] for k, (s, _) in before.items()
    }


def test_an_index_without_sentence_vectors_gets_them_on_its_next_run(
    tmp_path: Path, encoder: Encoder
) -> None:
    source = write_articles(tmp_path / "a.json", short_articles(3, chars=600))
    without = qa.Settings(sentence_vectors=False)
    with qa.Archive(tmp_path / "index", encoder=encoder, settings=without) as archive:
        first = archive.add([source])
        assert (first.sentences_embedded, _count(archive, "sentence_embeddings")) == (0, 0)
        answered = archive.ask("What did Betashares agree to acquire?").text
    with qa.Archive(tmp_path / "index", encoder=encoder) as archive:
        again = archive.add([source])
        assert (again.unchanged, again.chunks_embedded, again.generation) == (3, 0, first.generation)
        assert again.sentences_embedded > 0
        assert _count(archive, "sentence_embeddings") == archive.stats().chunks
        assert archive.add([source]).sentences_embedded == 0
        assert archive.ask("What did Betashares agree to acquire?").text == answered


# -- files, locking ------------------------------------------------------------------------------


def test_chunking_beside_encoding_numbers_chunks_as_chunking_first_would(encoder, tmp_path: Path) -> None:
    source = write_articles(tmp_path / "a.json", short_articles(6, chars=600))
    store = Store(tmp_path / "index")
    chunker = default_chunker(encoder, SMALL)
    eager = diff_changes(store, SMALL, files=read_files([source], SMALL))
    eager.new_chunks = chunk_articles(store.next_chunk_id(), chunker, eager.upserts)
    pipelined = diff_changes(store, SMALL, files=read_files([source], SMALL))
    embedded = chunk_and_embed(store, encoder, pipelined, chunker)
    assert len(eager.new_chunks) > 6
    assert pipelined.new_chunks == eager.new_chunks
    assert embedded == len({n.embed_key for n in eager.new_chunks})
    assert store.missing_embeddings(n.embed_key for n in eager.new_chunks) == set()
    store.close()


@pytest.fixture
def python_ctrl_c():
    """Python's own Ctrl-C handler, as in a terminal (a CI runner may start tests with SIGINT ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_ctrl_c_inside_threading_code_is_held_until_it_is_safe(python_ctrl_c) -> None:
    condition = threading.Condition()
    inside: list = []
    with HeldInterrupts() as interrupts:
        with condition:
            condition.wait_for(lambda: inside.append(sys._getframe()) or True)
        interrupts.interrupted(signal.SIGINT, inside[0])  # held: it came inside Condition.wait_for
        assert interrupts.held
        with pytest.raises(KeyboardInterrupt):
            interrupts.check()
        interrupts.check()  # raised once
        with pytest.raises(KeyboardInterrupt):
            interrupts.interrupted(signal.SIGINT, sys._getframe())  # elsewhere: at once
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_ctrl_c_held_while_chunking_is_not_lost(python_ctrl_c, encoder, tmp_path: Path) -> None:
    source = write_articles(tmp_path / "a.json", short_articles(6, chars=600))
    store = Store(tmp_path / "index")
    chunker = default_chunker(encoder, SMALL)
    plan = diff_changes(store, SMALL, files=read_files([source], SMALL))

    def interrupting(article):
        if article is plan.upserts[2]:  # the main thread is waiting on this chunk, or embedding
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            time.sleep(0.2)
        return chunker(article)

    with pytest.raises(KeyboardInterrupt):
        chunk_and_embed(store, encoder, plan, interrupting)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    store.close()


def test_a_chunking_failure_stops_the_run_and_publishes_nothing(
    archive: qa.Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = archive.add([write_articles(tmp_path / "a.json", short_articles(2))])

    def broken_chunker(encoder, settings):
        def chunker(article):
            raise RuntimeError(f"cannot chunk {article.id}")

        return chunker

    monkeypatch.setattr(qa.indexing, "default_chunker", broken_chunker)
    with pytest.raises(RuntimeError, match="cannot chunk"):
        archive.add([write_articles(tmp_path / "b.json", short_articles(4)[2:])])
    assert archive.store.generation().id == first.generation
    assert archive.stats().articles == 2


def test_leftover_files_are_cleaned_and_two_generations_kept(archive: qa.Archive, tmp_path: Path) -> None:
    articles = short_articles(3)
    for i in range(3):
        archive.add([write_articles(tmp_path / f"{i}.json", articles[i : i + 1])])
    (archive.index_dir / "vectors-000099.faiss.tmp").write_bytes(b"half a file")
    (archive.index_dir / "vectors-000004.faiss").write_bytes(b"renamed, never published")
    (archive.index_dir / "catalog-000099.tmp").mkdir()
    (archive.index_dir / "catalog-000004").mkdir()
    archive.add([tmp_path / "0.json"])
    assert sorted(p.name for p in archive.index_dir.glob("vectors-*")) == [
        "vectors-000002.faiss", "vectors-000003.faiss",
    ]
    assert sorted(p.name for p in archive.index_dir.glob("catalog-*")) == ["catalog-000002", "catalog-000003"]


def test_a_second_writer_fails_at_once_or_waits(encoder, tmp_path: Path) -> None:
    source = write_articles(tmp_path / "a.json", short_articles(1))
    with qa.Archive(tmp_path / "index", encoder=encoder) as archive:
        archive.add([source])
        with writer_lock(archive.store, 0):
            started = time.perf_counter()
            with pytest.raises(qa.IndexLockedError, match="Another process is writing.*QA_LOCK_TIMEOUT"):
                archive.add([source])
            assert time.perf_counter() - started < 2
    patient = qa.Archive(tmp_path / "index", encoder=encoder, settings=qa.Settings(lock_timeout=30))
    holder = filelock.FileLock(str(patient.index_dir / "write.lock"), thread_local=False)
    holder.acquire()
    threading.Timer(0.5, holder.release).start()
    assert patient.add([source]).unchanged == 1
    patient.close()


def test_cli_index_prune_and_locked_message(
    encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr("qa.archive.load_encoder", lambda *args, **kwargs: encoder)
    articles = short_articles(3)
    write_articles(tmp_path / "src" / "one.json", articles[:1])
    write_articles(tmp_path / "src" / "two.json", articles[1:])
    index_dir = tmp_path / "index"

    def qa_cli(*args: str) -> int:
        monkeypatch.setattr(sys, "argv", ["qa", *args])
        with pytest.raises(SystemExit) as exit_:
            cli_main()
        return exit_.value.code or 0

    assert qa_cli("index", str(tmp_path / "src"), "--index-dir", str(index_dir)) == 0
    assert "3 added, 0 updated, 0 unchanged, 0 removed" in capsys.readouterr().out
    assert qa_cli("index", str(tmp_path / "src" / "one.json"), "--index-dir", str(index_dir), "--prune",
                  "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["unchanged"], report["removed"], report["chunks_embedded"]) == (1, 2, 0)
    with writer_lock(Store(index_dir), 0):
        assert qa_cli("index", str(tmp_path / "src"), "--index-dir", str(index_dir)) == 1
    assert "Another process is writing to the index" in capsys.readouterr().err


# -- damage, repair, refusal ---------------------------------------------------------------------


def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "flip":
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
    else:
        path.write_bytes(bytes(data[: len(data) // 2]))


@pytest.mark.parametrize("how", ["flip", "truncate"])
def test_damaged_faiss_file_is_rebuilt_from_sqlite_by_a_reader(
    how: str, encoder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = write_articles(tmp_path / "a.json", short_articles(3))
    with qa.Archive(tmp_path / "index", encoder=encoder) as archive:
        archive.add([source])
        expected = [p.chunk_id for p in archive.retrieve("What happened?")]
        generation = archive.store.generation()
    path = tmp_path / "index" / generation.faiss_file
    _damage(path, how)
    with qa.Archive(tmp_path / "index", encoder=encoder) as archive:
        assert archive.store.integrity_problems()
        with caplog.at_level(logging.WARNING, logger="qa.store"):
            assert [p.chunk_id for p in archive.retrieve("What happened?")] == expected
        assert "rebuilding it from" in caplog.text and "Repaired" in caplog.text
        assert archive.store.integrity_problems() == []
        assert file_sha256(path) == archive.store.generation().checksum


@pytest.mark.parametrize("how", ["flip", "truncate"])
def test_damaged_file_while_a_writer_runs_is_rebuilt_in_memory_then_repaired_by_the_writer(
    how: str, encoder, tmp_path: Path
) -> None:
    source = write_articles(tmp_path / "a.json", short_articles(2))
    with qa.Archive(tmp_path / "index", encoder=encoder) as archive:
        archive.add([source])
        path = archive.index_dir / archive.store.generation().faiss_file
        _damage(path, how)
        with writer_lock(archive.store, 0):
            assert archive.retrieve("What happened?")  # the file on disk stays as it is
            assert archive.store.integrity_problems()
        report = archive.add([source])  # nothing changed, but the writer checks the file
        assert report.unchanged == 2
        assert archive.store.integrity_problems() == []


def _scored(archive: qa.Archive) -> list[tuple[int, float]]:
    return [(p.chunk_id, round(p.score, 6)) for p in archive.retrieve("What happened to the company?", k=5)]


def test_a_reader_loads_the_catalog_published_with_its_generation(
    encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with qa.Archive(tmp_path / "index", encoder=encoder) as archive:
        archive.add([write_articles(tmp_path / "a.json", short_articles(3))])
        expected = _scored(archive)
        generation = archive.store.generation().id
    assert (tmp_path / "index" / f"catalog-{generation:06d}" / "manifest.json").is_file()

    def built_not_loaded(*args: object) -> None:
        raise AssertionError("the catalog was built by the reader")

    monkeypatch.setattr(qa.catalog.Catalog, "build", built_not_loaded)
    with qa.Archive(tmp_path / "index", encoder=encoder) as reader:
        assert _scored(reader) == expected


@pytest.mark.parametrize("how", ["flip", "truncate", "delete"])
def test_a_damaged_or_missing_catalog_is_built_from_sqlite(
    how: str, encoder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with qa.Archive(tmp_path / "index", encoder=encoder) as archive:
        archive.add([write_articles(tmp_path / "a.json", short_articles(3))])
        expected = _scored(archive)
        catalog = tmp_path / "index" / f"catalog-{archive.store.generation().id:06d}"
    if how == "delete":
        shutil.rmtree(catalog)
    else:
        _damage(catalog / "lexical" / "data.csc.index.npy", how)
    with qa.Archive(tmp_path / "index", encoder=encoder) as reader:
        with caplog.at_level(logging.WARNING, logger="qa.archive"):
            assert _scored(reader) == expected
        assert "building it from" in caplog.text


def test_the_writer_restores_a_missing_catalog_even_when_nothing_changed(
    encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_articles(tmp_path / "a.json", short_articles(2))
    with qa.Archive(tmp_path / "index", encoder=encoder) as archive:
        archive.add([source])
        expected = _scored(archive)
        catalog = archive.index_dir / f"catalog-{archive.store.generation().id:06d}"
        shutil.rmtree(catalog)
        assert archive.add([source]).unchanged == 2
    assert (catalog / "manifest.json").is_file()
    monkeypatch.setattr(qa.catalog.Catalog, "build", None)  # a reader that builds fails
    with qa.Archive(tmp_path / "index", encoder=encoder) as reader:
        assert _scored(reader) == expected


def test_a_publish_tokenizes_only_new_chunks_and_saves_what_a_full_build_gives(
    encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer updates the last generation's catalog: only the new chunks' texts are
    tokenized, and the catalog saved equals one built from every text in SQLite."""
    articles = short_articles(5)
    tokenized: list[str] = []
    of = qa.catalog._Counts.of

    def counted(texts: list[str], stemmer: object, terms: list[str]) -> qa.catalog._Counts:
        tokenized.extend(texts)
        return of(texts, stemmer, terms)

    with qa.Archive(tmp_path / "index", encoder=encoder) as archive:
        archive.add([write_articles(tmp_path / "a.json", articles[:4])])
        monkeypatch.setattr(qa.catalog._Counts, "of", staticmethod(counted))
        for change in (
            lambda: archive.add([write_articles(tmp_path / "b.json", articles[4:])]),
            lambda: archive.remove(article_id(archive, articles[1]["url"])),
        ):
            before = set(archive.store.chunk_ids(archive.store.db).tolist())
            tokenized.clear()
            change()
            changed = list(tokenized)
            store = archive.store
            with store.read() as db:
                saved = Catalog.load(store.files.checked_catalog(store.generation().id))
                built = Catalog.build(store.chunk_catalog(db))
                new = [store.db.execute("SELECT text FROM chunks WHERE id = ?", (i,)).fetchone()[0]
                       for i in sorted(set(store.chunk_ids(db).tolist()) - before)]
            assert all(any(t in chunk or chunk in t for chunk in new) for t in changed)
            assert bool(changed) == bool(new)
            assert saved.lexical is not None and built.lexical is not None
            terms = sorted(t for t in built.lexical._engine.vocab_dict if t)
            assert sorted(t for t in saved.lexical._engine.vocab_dict if t) == terms
            rows = np.arange(len(built.ids))
            np.testing.assert_array_equal(
                saved.lexical.term_weights(terms, rows), built.lexical.term_weights(terms, rows)
            )
            parts = [a["title"] for a in articles]
            assert saved.sentences is not None and built.sentences is not None
            np.testing.assert_array_equal(
                saved.sentences.part_scores(parts, built.ids), built.sentences.part_scores(parts, built.ids)
            )


def test_files_of_another_generation_are_detected_and_rebuilt(
    encoder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """catalog-000002 and vectors-000002.faiss replaced by generation 1's: readers still cite
    the newest articles, and the next `qa index` (nothing to add) repairs both files."""
    articles = short_articles(6)
    with qa.Archive(tmp_path / "index", encoder=encoder) as archive:
        archive.add([write_articles(tmp_path / "a.json", articles[:3])])
        archive.add([write_articles(tmp_path / "b.json", articles[3:])])
        assert archive.store.generation().id == 2
        expected = _scored(archive)
        newest = {p.article_id for p in archive.retrieve(articles[4]["title"], k=3)}
    index = tmp_path / "index"
    shutil.rmtree(index / "catalog-000002")
    shutil.copytree(index / "catalog-000001", index / "catalog-000002")
    shutil.copyfile(index / "vectors-000001.faiss", index / "vectors-000002.faiss")
    with qa.Archive(index, encoder=encoder) as reader, caplog.at_level(logging.WARNING):
        assert _scored(reader) == expected
        assert {p.article_id for p in reader.retrieve(articles[4]["title"], k=3)} == newest
    assert "holds other chunks than generation 2" in caplog.text
    with qa.Archive(index, encoder=encoder) as writer:
        assert writer.add([]).added == 0
        assert writer.store.integrity_problems() == []
    caplog.clear()
    with qa.Archive(index, encoder=encoder) as reader, caplog.at_level(logging.WARNING):
        assert _scored(reader) == expected
    assert caplog.text == ""


def test_a_database_that_went_back_a_generation_is_warned_about(
    encoder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The database as it was at generation 1 (what a -wal file cut short leaves) beside the files
    of generation 2: the next writer says so before it deletes them."""
    articles = short_articles(4)
    index = tmp_path / "index"
    with qa.Archive(index, encoder=encoder) as archive:
        archive.add([write_articles(tmp_path / "a.json", articles[:2])])
    shutil.copyfile(index / "archive.sqlite", tmp_path / "generation-1.sqlite")
    with qa.Archive(index, encoder=encoder) as archive:
        archive.add([write_articles(tmp_path / "b.json", articles[2:])])
    shutil.copyfile(tmp_path / "generation-1.sqlite", index / "archive.sqlite")
    with qa.Archive(index, encoder=encoder) as archive, caplog.at_level(logging.WARNING):
        assert archive.stats().generation == 1
        archive.add([])
        assert archive.store.integrity_problems() == []
    assert "holds files of generation 2 but its database ends at generation 1" in caplog.text
    caplog.clear()
    with qa.Archive(index, encoder=encoder) as archive, caplog.at_level(logging.WARNING):
        archive.add([])
    assert "holds files of generation" not in caplog.text


def test_another_model_or_dimension_is_refused_naming_both(seed_archive: qa.Archive, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(seed_archive.index_dir, index_dir)
    with sqlite3.connect(index_dir / "archive.sqlite") as db:
        db.execute("UPDATE meta SET value = 'other/mpnet' WHERE key = 'model'")
        db.execute("UPDATE meta SET value = '768' WHERE key = 'dimension'")
    archive = qa.Archive(index_dir, encoder=seed_archive.encoder)
    with pytest.raises(qa.IndexMismatchError) as error:
        archive.retrieve("Jinan")
    message = str(error.value)
    assert "other/mpnet" in message and "768" in message
    assert "all-MiniLM-L6-v2" in message and "384" in message and "qa index" in message
    archive.close()


@pytest.mark.parametrize("stored_backend", ["other", "onnx-int8-fused"])
def test_another_backend_is_refused_saying_how_to_open_it(
    seed_archive: qa.Archive, tmp_path: Path, stored_backend: str
) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(seed_archive.index_dir, index_dir)
    assert seed_archive.encoder.backend == "torch"  # so "other" is the ONNX export
    stored = ONNX_RECIPE if stored_backend == "other" else stored_backend
    with sqlite3.connect(index_dir / "archive.sqlite") as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'backend'", (stored,))
    archive = qa.Archive(index_dir, encoder=seed_archive.encoder)
    with pytest.raises(qa.IndexMismatchError) as error:
        archive.retrieve("Jinan")
    message = str(error.value)
    advice = "backend 'onnx'" if stored == ONNX_RECIPE else "an earlier ONNX export"
    assert stored in message and advice in message and "qa index" in message
    archive.close()


def test_future_format_is_refused(tmp_path: Path) -> None:
    Store(tmp_path / "index").close()
    with sqlite3.connect(tmp_path / "index" / "archive.sqlite") as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'format_version'", (str(FORMAT_VERSION + 1),))
    with pytest.raises(qa.IndexMismatchError, match="newer than this version"):
        Store(tmp_path / "index")


def test_format_1_is_upgraded_in_place(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    with sqlite3.connect(index_dir / "archive.sqlite") as db:
        qa.migrations.m001_initial(db)  # what qa wrote as format 1 (a migration is never edited)
        db.execute("INSERT INTO meta VALUES ('format_version', '1')")
    store = Store(index_dir)
    assert store.meta("format_version") == str(FORMAT_VERSION)
    assert store.generation() is None and store.integrity_problems() == []
    store.close()


def test_a_store_of_the_current_format_runs_a_new_migration(
    seed_archive: qa.Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store built by this code, opened by a version with one more migration: that one runs,
    in order, once, and the store keeps its articles and its generation."""
    index_dir = tmp_path / "index"
    shutil.copytree(seed_archive.index_dir, index_dir)
    before = Store(index_dir)
    expected = (before.generation(), before.article_states())
    before.close()
    ran = []

    def m999_notes(db: sqlite3.Connection) -> None:
        ran.append(db.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()[0])
        db.execute("ALTER TABLE articles ADD COLUMN notes TEXT")

    monkeypatch.setattr(qa.migrations, "MIGRATIONS", [*qa.migrations.MIGRATIONS, m999_notes])
    monkeypatch.setattr(qa.store, "FORMAT_VERSION", FORMAT_VERSION + 1)
    store = Store(index_dir)
    assert ran == [str(FORMAT_VERSION)]
    assert store.meta("format_version") == str(FORMAT_VERSION + 1)
    assert "notes" in {r[1] for r in store.db.execute("PRAGMA table_info(articles)")}
    assert (store.generation(), store.article_states()) == expected
    assert store.integrity_problems() == []
    store.close()
    Store(index_dir).close()
    assert ran == [str(FORMAT_VERSION)]


def test_no_pickle_anywhere_in_the_store(seed_archive: qa.Archive) -> None:
    for module in ("qa/store.py", "qa/indexing.py", "qa/catalog.py", "embeddings/index.py"):
        source = (Path(__file__).parents[1] / module).read_text()
        assert "import pickle" not in source and "pickle." not in source
        loads = source.split("np.load(")[1:]
        assert all("allow_pickle=False)" in call.split("\n")[0] for call in loads)
    for path in seed_archive.index_dir.glob("vectors-*.faiss"):
        assert path.read_bytes()[:4] == b"IxM2"  # FAISS's own format




def test_damaged_json_is_repaired_before_the_writer_lock_is_taken(
    archive: qa.Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Repair can be slow; other writers and uploads must not wait for it."""
    from qa.sources import jsonload

    held_during_repair = []
    repair = jsonload._repair

    def watched(text: str) -> object:
        probe = filelock.FileLock(str(archive.index_dir / qa.store.LOCK_NAME), timeout=0)
        try:
            probe.acquire()
        except filelock.Timeout:
            held_during_repair.append(True)
        else:
            probe.release()
            held_during_repair.append(False)
        return repair(text)

    monkeypatch.setattr(jsonload, "_repair", watched)
    damaged = tmp_path / "damaged.json"
    damaged.write_text('[{"title": "Harbour", "body": "The harbour was busy on Monday.",}]')
    report = archive.add([damaged])
    assert report.added == 1 and held_during_repair == [False]


def test_a_files_problems_are_reported_when_it_changes_not_on_every_re_add(
    archive: qa.Archive, seed_file: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_file, folder / "seed.txt")
    (folder / "photo.bin").write_bytes(b"\x89PNG")
    (folder / "NOTES").write_text("Notes about the ferry.")
    (folder / "README.md").write_text("# About this folder")

    def reasons(report: qa.IndexReport) -> list[str]:
        return sorted(f"{Path(p.file).name}: {p.reason.split(';')[0]}" for p in report.problems)

    skipped = [
        "NOTES: not read: a file without a suffix is not taken for an article (formats: .jsonl, .ndjson, "
        ".json, .html, .htm, .xhtml, .txt, .text, .md, .markdown)",
        "photo.bin: not read: .bin is not an article format (.jsonl, .ndjson, .json, .html, .htm, .xhtml, "
        ".txt, .text, .md, .markdown)",
    ]
    first = archive.add([folder])
    assert first.added == 1
    truncated = "seed.txt: recovered from a truncated file: kept the complete fields and paragraphs"
    assert reasons(first) == [*skipped, truncated]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = archive.add([folder])
    assert again.unchanged == 1 and reasons(again) == skipped
    assert "seed.txt" not in caplog.text
    (folder / "seed.txt").write_text((folder / "seed.txt").read_text().replace("Jinan", "Jinan City"))
    assert truncated in reasons(archive.add([folder]))
def test_a_sites_own_time_survives_the_store(tmp_path: Path, seed_file: Path, encoder: Encoder) -> None:
    """Dates are stored in UTC (they sort as text) with the site's offset: read back, the seed's
    date is 2024-08-21, the date Seoul readers see, not 2024-08-20 (UTC)."""
    with qa.Archive(tmp_path / "index", encoder=encoder) as archive:
        archive.add([seed_file])
        (article_id,) = list(archive.store.article_states())
        published = archive.store.article(article_id).published
        passage = archive.retrieve("What was agreed in Jinan?", 1)[0]
    assert published.isoformat() == "2024-08-21T08:00:29+09:00"
    assert passage.published == published and passage.published.date().isoformat() == "2024-08-21"
