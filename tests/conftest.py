"""Shared fixtures: the real bundled model (loaded once per session), the shared data, small archives."""

from __future__ import annotations

import os
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
