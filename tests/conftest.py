"""Shared fixtures: the real bundled model (loaded once per session), the shared data, small archives."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import qa  # noqa: E402
from embeddings.encoder import Encoder, load_encoder  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when the shared folder is not beside the repo."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (the shared folder must sit beside the repo)")
    return path


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The real bundled all-MiniLM-L6-v2, loaded once (torch backend: the reference)."""
    return load_encoder(backend="torch")


@pytest.fixture(scope="session")
def seed_file() -> Path:
    """The malformed seed article, as shipped in the package's sample archive."""
    return REPO / "qa" / "sample" / "000_e09ed9bce8e7f6d7.txt"


@pytest.fixture
def archive(tmp_path: Path, encoder: Encoder) -> qa.Archive:
    """An empty archive in a temporary directory, sharing the session's model."""
    with qa.Archive(tmp_path / "index", encoder=encoder) as a:
        yield a


@pytest.fixture(scope="session")
def seed_archive(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder, seed_file: Path) -> qa.Archive:
    """An archive holding only the seed article (read-only for tests)."""
    a = qa.Archive(tmp_path_factory.mktemp("seed") / "index", encoder=encoder)
    a.add([seed_file])
    return a


# -- the benchmark slice: real MultiHop-RAG articles and questions, indexed once per session --------

SLICE_ARTICLES = 60
SLICE_EVIDENCE_ARTICLES = 40


def benchmark_slice(corpus: list[dict], questions: list[dict]) -> tuple[list[dict], list[dict]]:
    """The articles the first dev questions need as evidence, plus distractors, and those questions."""
    by_url = {a["url"]: a for a in corpus}
    wanted: dict[str, None] = {}
    for q in questions:
        urls = [e["url"] for e in q["evidence_list"]]
        if q["question_type"] == "null_query" or any(u not in by_url for u in urls):
            continue
        if len(wanted) + len(set(urls) - set(wanted)) > SLICE_EVIDENCE_ARTICLES:
            break
        wanted.update(dict.fromkeys(urls))
    distractors = [a["url"] for a in sorted(corpus, key=lambda a: a["url"]) if a["url"] not in wanted]
    chosen = list(wanted) + distractors[: SLICE_ARTICLES - len(wanted)]
    kept = set(chosen)
    answerable = [
        q
        for q in questions
        if q["question_type"] != "null_query" and all(e["url"] in kept for e in q["evidence_list"])
    ]
    return [by_url[u] for u in chosen], answerable


def write_benchmark_slice(folder: Path) -> tuple[Path, Path]:
    """The benchmark slice's articles and answerable questions, written to `folder`."""
    root = shared_path("data", "multihop-rag")
    corpus = json.loads((root / "corpus.json").read_text(encoding="utf-8"))
    questions = json.loads((root / "queries-dev.json").read_text(encoding="utf-8"))
    articles, answerable = benchmark_slice(corpus, questions)
    assert len(articles) == SLICE_ARTICLES and len(answerable) >= 20
    (folder / "slice.json").write_text(json.dumps(articles))
    (folder / "questions.json").write_text(json.dumps(answerable))
    return folder / "slice.json", folder / "questions.json"


@pytest.fixture(scope="session")
def benchmark_slice_dir(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> Path:
    """A folder holding the benchmark slice (slice.json, questions.json) and its index (index/), built
    once: indexing it takes the real model a minute. Read-only for tests; `copy_benchmark_slice`
    gives a test its own."""
    folder = tmp_path_factory.mktemp("benchmark-slice")
    articles, _ = write_benchmark_slice(folder)
    with qa.Archive(folder / "index", encoder=encoder) as archive:
        archive.add([articles])
    return folder


def copy_benchmark_slice(slice_dir: Path, folder: Path) -> Path:
    """The indexed benchmark slice copied into `folder` (its index at folder / "index"): its
    questions file."""
    shutil.copytree(slice_dir / "index", folder / "index")
    return Path(shutil.copy(slice_dir / "questions.json", folder))
