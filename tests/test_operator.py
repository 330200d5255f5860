"""Operator mistakes and hostile storage, on the real parts: a read-only bind mount, a full tmpfs,
a damaged SQLite file, directories that are not indexes. Each failure is one line naming the
next step; nothing is silently wrong.

The mounts need root (as in the CI container); elsewhere those tests skip, saying so.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import qa
from embeddings.encoder import Encoder
from qa.store import Store

FERRY = {
    "title": "Ferry resumes",
    "body": "The ferry to Velmora resumed service on Monday after a week of storms. It carried 212 people.",
    "url": "https://ex.org/ferry",
    "published": "2024-01-05T10:00:00Z",
}


def run_qa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args], capture_output=True, text=True, timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """The failure's error: one `error:` line holding `words`, last on stderr (after progress
    lines, if any), and no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == lines[-1:] and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _unmount(at: Path) -> None:
    """Unmount, lazily if something still holds a file there (so no mount outlives the test)."""
    if subprocess.run(["umount", str(at)], capture_output=True).returncode:
        subprocess.run(["umount", "-l", str(at)], check=True)


def _mount(*args: str) -> None:
    try:
        subprocess.run(["mount", *args], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount here (needs root): {exc}")


@contextmanager
def read_only_view(source: Path, at: Path) -> Iterator[Path]:
    """`source` seen read-only at `at` (a read-only bind mount: even root cannot write there)."""
    at.mkdir()
    _mount("--bind", str(source), str(at))
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(at)], check=True)
        yield at
    finally:
        _unmount(at)


@contextmanager
def small_disk(at: Path, size: str) -> Iterator[Path]:
    at.mkdir()
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(at))
    try:
        yield at
    finally:
        _unmount(at)


@pytest.fixture
def ferry_file(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "ferry.json"
    path.parent.mkdir()
    path.write_text(json.dumps([FERRY]))
    return path


@pytest.fixture
def ferry_index(tmp_path: Path, ferry_file: Path, encoder: Encoder) -> Path:
    with qa.Archive(tmp_path / "index", encoder=encoder) as archive:
        archive.add([ferry_file])
    return tmp_path / "index"


def test_a_read_only_index_can_be_asked_and_not_changed(
    ferry_index: Path, ferry_file: Path, tmp_path: Path, encoder: Encoder
) -> None:
    with read_only_view(ferry_index, tmp_path / "ro") as ro:
        assert not (ro / "archive.sqlite-shm").exists()  # so SQLite cannot share a -shm file
        with qa.Archive(ro, encoder=encoder, create=False) as archive:
            assert archive.store.read_only
            [passage] = archive.retrieve("When did the ferry resume?")
            assert passage.title == "Ferry resumes"
            with pytest.raises(qa.QAError, match="read-only.*copy it somewhere writable"):
                archive.add([ferry_file])
        asked = run_qa("ask", "When did the ferry resume?", "--index-dir", str(ro))
        assert asked.returncode == 0, asked.stderr
        assert "resumed service on Monday" in asked.stdout
        one_line_error(run_qa("index", str(ferry_file), "--index-dir", str(ro)), "read-only", str(ro))
        assert sorted(p.name for p in ro.iterdir()) == sorted(p.name for p in ferry_index.iterdir())


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_the_index_keeps_its_last_state(ferry_file: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_text(json.dumps([
        {"title": f"Report {i}", "body": f"Finding {i} of the survey is here. " * 300, "url": f"https://ex.org/{i}"}
        for i in range(60)
    ]))
    with small_disk(tmp_path / "disk", "700k") as disk:
        indexed = run_qa("index", str(ferry_file), "--index-dir", str(disk / "index"))
        assert indexed.returncode == 0, indexed.stderr
        one_line_error(run_qa("index", str(big), "--index-dir", str(disk / "index")), "disk", "full")
        asked = run_qa("ask", "When did the ferry resume?", "--index-dir", str(disk / "index"))
        assert asked.returncode == 0, asked.stderr
        assert "resumed service on Monday" in asked.stdout


def test_a_damaged_database_is_one_line(ferry_index: Path) -> None:
    db = ferry_index / "archive.sqlite"
    data = bytearray(db.read_bytes())
    data[100:4000] = bytes(3900)
    db.write_bytes(bytes(data))
    one_line_error(run_qa("ask", "When did the ferry resume?", "--index-dir", str(ferry_index)),
                   "cannot be read", "qa index ARTICLES --index-dir NEW_DIR")


def test_index_dir_mistakes_are_one_line_and_leave_nothing_behind(ferry_file: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("my notes")
    one_line_error(run_qa("index", str(ferry_file), "--index-dir", str(a_file)), "is a file")
    assert a_file.read_text() == "my notes"

    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "cat.jpg").write_bytes(b"\xff\xd8")
    one_line_error(run_qa("index", str(ferry_file), "--index-dir", str(photos)), "not an index", "cat.jpg")
    assert [p.name for p in photos.iterdir()] == ["cat.jpg"]

    one_line_error(run_qa("index", str(tmp_path / "missing.json"), "--index-dir", str(tmp_path / "new")),
                   "missing.json")
    assert not (tmp_path / "new").exists()


def test_an_empty_folder_becomes_an_index(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    Store(tmp_path / "empty").close()
    assert (tmp_path / "empty" / "archive.sqlite").is_file()


# -- bad questions and filters: one line, in the API, the chat and the CLI --------------------------


@pytest.mark.parametrize(
    ("question", "options", "message"),
    [
        ("When did the ferry resume?", {"published_after": 1e12}, "published_after must be a date"),
        ("When did the ferry resume?", {"source": ["ex.org", "other"]}, "source must be one outlet"),
        ("When did the ferry \ud800 resume?", {}, "invalid character (U+D800"),
    ],
)
def test_bad_questions_and_filters_are_invalid_query_errors(
    ferry_index: Path, encoder: Encoder, question: str, options: dict, message: str
) -> None:
    expected = pytest.raises(qa.InvalidQueryError, match=re.escape(message))
    with qa.Archive(ferry_index, encoder=encoder) as archive, expected:
        archive.ask(question, **options)


@pytest.mark.parametrize(
    ("question", "after", "outlet", "message"),
    [
        ("When did the ferry resume?", 1e12, None, "not a date in range"),
        ("When did the ferry resume?", "9999-12-31", None, "the filters exclude every article"),
        ("When did the ferry resume?", None, ["ex.org"], "outlet must be one name"),
        ("When did the ferry \ud800 resume?", None, None, "invalid character"),
    ],
)
def test_the_chat_shows_bad_filters_and_questions_as_a_message(
    ferry_index: Path, encoder: Encoder, question: str, after: object, outlet: object, message: str
) -> None:
    from qa.ui.handlers import ChatHandlers

    with qa.Archive(ferry_index, encoder=encoder) as archive:
        frames = list(ChatHandlers(archive).respond(question, [], [], after, None, outlet, 5))
    assert message in frames[-1][1][-1]["content"]


def test_a_filter_that_excludes_every_article_says_so(ferry_index: Path, encoder: Encoder) -> None:
    from datetime import UTC, datetime

    with qa.Archive(ferry_index, encoder=encoder) as archive:
        answer = archive.ask("When did the ferry resume?", published_after=datetime(2030, 1, 1, tzinfo=UTC))
        assert answer.abstained and answer.citations == ()
        assert answer.text.startswith("No article in the archive is published on or after 2030-01-01")
        assert "widen or clear them" in answer.text
        other = archive.ask("When did the ferry resume?", source="Nowhere Gazette")
        assert "from Nowhere Gazette: the filters exclude every article" in other.text
        kept = archive.ask("When did the ferry resume?", published_after=datetime(2020, 1, 1, tzinfo=UTC))
        assert kept.citations


def test_an_undecodable_byte_in_a_cli_question_is_one_line(ferry_index: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "qa.cli", "ask", b"When did the ferry \xff resume?",
         "--index-dir", str(ferry_index)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    one_line_error(result, "invalid character (U+DCFF")


def test_example_questions_come_only_from_real_articles(archive: qa.Archive) -> None:
    from qa.ui.handlers import ChatHandlers

    archive.add([Path(qa.__file__).parent / "sample"])
    headlines = archive.headlines(20)
    assert "The Beauties of Gullfoss" in headlines
    assert not {"This is a test post!", "awdawdawdwad", "This is a status"} & set(headlines)
    shown = [e["display_text"] for e in ChatHandlers(archive).examples()]
    assert shown and all(title in headlines for title in shown)


def test_uploads_are_removed_from_the_upload_folder(archive: qa.Archive, tmp_path: Path) -> None:
    from qa.indexing import no_progress
    from qa.ui.handlers import ChatHandlers

    uploads = tmp_path / "gradio"
    (uploads / "a1").mkdir(parents=True)
    (uploads / "b2").mkdir()
    taken = uploads / "a1" / "ferry.json"
    taken.write_text(json.dumps([FERRY]))
    refused = uploads / "b2" / "tool.exe"
    refused.write_bytes(b"MZ")
    outside = tmp_path / "mine.json"
    outside.write_text(json.dumps([FERRY]))
    shown = ChatHandlers(archive).add_uploads([str(taken), str(refused), str(outside)], uploads, no_progress)
    assert "1 added" in shown and "tool.exe" in shown and "not an uploaded file" in shown
    assert list(uploads.iterdir()) == [] and outside.is_file()


def test_the_launch_lines_hold_no_share_hint(archive: qa.Archive, capsys: pytest.CaptureFixture[str]) -> None:
    """Gradio's launch lines end with "To create a public link, set `share=True`", though
    sharing is off here; the chat prints its own line instead."""
    from qa.ui.layout import build_app, launch

    demo = build_app(archive)
    try:
        url = launch(demo, port=free_port(), prevent_thread_lock=True)
    finally:
        demo.close()
    printed = capsys.readouterr()
    assert f"* The chat is running at {url}" in printed.out
    assert "share=True" not in printed.out + printed.err


@pytest.mark.slow
def test_an_upload_onto_a_full_disk_is_a_message_in_the_chat(
    ferry_file: Path, tmp_path: Path, encoder: Encoder
) -> None:
    from qa.indexing import no_progress
    from qa.ui.handlers import ChatHandlers

    uploads = tmp_path / "gradio" / "h1"
    uploads.mkdir(parents=True)
    upload = uploads / "big.json"
    upload.write_text(json.dumps([
        {"title": f"Report {i}", "body": f"Finding {i} of the survey is here. " * 300, "url": f"https://ex.org/{i}"}
        for i in range(60)
    ]))
    with small_disk(tmp_path / "disk", "700k") as disk, qa.Archive(disk / "i", encoder=encoder) as archive:
        archive.add([ferry_file])
        shown = ChatHandlers(archive).add_uploads([str(upload)], tmp_path / "gradio", no_progress)
        assert "disk of the index" in shown and "is full" in shown, shown
        assert archive.retrieve("When did the ferry resume?")[0].title == "Ferry resumes"


def test_a_read_only_view_of_an_index_in_use_sees_its_latest_writes(
    ferry_index: Path, tmp_path: Path
) -> None:
    """While a writer has the database open (its -wal and -shm files exist), a reader through a
    read-only mount opens it mode=ro and sees the writes still in the -wal file."""
    writer = sqlite3.connect(ferry_index / "archive.sqlite", isolation_level=None)
    try:
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("INSERT OR REPLACE INTO meta VALUES ('probe', 'in the log')")
        assert (ferry_index / "archive.sqlite-shm").exists()
        with read_only_view(ferry_index, tmp_path / "ro") as ro:
            store = Store(ro, create=False)
            try:
                assert store.read_only and store.meta("probe") == "in the log"
                assert store.generation() is not None
            finally:
                store.close()
    finally:
        writer.close()
