"""The `qa` command through its real entry point: help, index, ask, errors."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import qa
from qa.cli import ReportedProblems

COMMANDS = [["index"], ["ask"], ["serve"], ["sync"], ["sources"], ["sources", "remove"], ["eval"]]


def run_qa(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: list[str]) -> None:
    result = run_qa(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_missing_index_is_one_line_on_stderr(tmp_path: Path) -> None:
    result = run_qa("ask", "anything", "--index-dir", str(tmp_path / "none"))
    assert result.returncode == 1
    assert result.stderr.startswith("error: No index at")
    assert "Traceback" not in result.stderr


def test_asking_an_index_without_articles_is_one_line(tmp_path: Path) -> None:
    """An interrupted first `qa index` leaves an index with no article: asking it is an error
    naming the next step, not an answer that the archive does not seem to answer."""
    index_dir = tmp_path / "index"
    qa.Archive(index_dir).close()
    questions = tmp_path / "questions.json"
    questions.write_text(json.dumps([{"query": "Who?", "evidence_list": [{"fact": "Smith"}]}]))
    expected = f"error: The index at {index_dir} holds no articles yet; run: qa index ARTICLES --index-dir "
    expected += f"{index_dir}\n"
    for command in (["ask", "Who?"], ["eval", str(questions)]):
        result = run_qa(*command, "--index-dir", str(index_dir))
        assert (result.returncode, result.stderr) == (1, expected)


def test_a_bad_setting_in_the_environment_is_one_line(tmp_path: Path) -> None:
    result = run_qa("ask", "anything", "--index-dir", str(tmp_path / "none"), env={"QA_K": "five"})
    assert result.returncode == 1
    assert result.stderr == "error: QA_K='five' is not a whole number; fix it or unset it (default 5)\n"


def test_a_port_gradio_cannot_read_is_one_line_before_gradio_starts(tmp_path: Path) -> None:
    """Gradio reads GRADIO_SERVER_PORT as it is imported; a bad one used to be its traceback."""
    app_py = Path(__file__).resolve().parents[1] / "app.py"
    expected = "error: GRADIO_SERVER_PORT='abc' is not a whole number; fix it or unset it (default 7860)\n"
    env = {**os.environ, "GRADIO_SERVER_PORT": "abc", "QA_INDEX_DIR": str(tmp_path / "index")}
    served = subprocess.run([sys.executable, str(app_py)], capture_output=True, text=True, timeout=120,
                            env=env)
    assert (served.returncode, served.stderr) == (1, expected)
    served = run_qa("serve", "--port", "8123", env=env)
    assert (served.returncode, served.stderr) == (1, expected)
    assert not (tmp_path / "index").exists()


@pytest.mark.parametrize(("option", "value"), [("--after", "2024-13-01"), ("--before", "last week")])
def test_a_date_filter_that_is_not_a_date_is_one_line(tmp_path: Path, option: str, value: str) -> None:
    asked = run_qa("ask", "Who?", option, value, "--index-dir", str(tmp_path / "none"))
    expected = f"error: {option}: {value!r} is not a date; use YYYY-MM-DD.\n"
    assert (asked.returncode, asked.stderr) == (1, expected)


@pytest.mark.slow
def test_a_model_that_is_not_here_is_one_line(tmp_path: Path, seed_file: Path) -> None:
    index_dir = tmp_path / "index"
    result = run_qa("index", str(seed_file), "--model", "no-such-model", "--index-dir", str(index_dir))
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "error: Cannot load the embedding model 'no-such-model': no such directory, and not in the local "
        "Hugging Face cache (nothing is downloaded); give a local model directory, or the bundled "
        "'all-MiniLM-L6-v2'"
    )


@pytest.mark.slow
def test_serving_on_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_qa("serve", "--port", str(port), "--index-dir", str(tmp_path / "index"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"error: Cannot serve the chat on 127.0.0.1:{port}: the port is in use, or 127.0.0.1 is not an "
        "address of this machine; pass another --port (or GRADIO_SERVER_PORT) or --host"
    )


@pytest.mark.slow
def test_index_then_ask_json(tmp_path: Path, seed_file: Path) -> None:
    index_dir = tmp_path / "index"
    indexed = run_qa("index", str(seed_file), "--json", env={"QA_INDEX_DIR": str(index_dir)})
    assert indexed.returncode == 0, indexed.stderr
    report = json.loads(indexed.stdout)
    assert report["added"] == 1
    assert "truncated" in report["problems"][0]["reason"]

    asked = run_qa("ask", "What was agreed in Jinan?", "--json", env={"QA_INDEX_DIR": str(index_dir)})
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["citations"][0]["url"].startswith("https://koreapro.org/2024/08/")
    with qa.Archive(index_dir, create=False) as archive:  # the CLI answers as the API does by default
        assert answer == json.loads(json.dumps(archive.ask("What was agreed in Jinan?").to_dict()))
    refused = run_qa("ask", "What was agreed in Jinan?", "--k", "0", env={"QA_INDEX_DIR": str(index_dir)})
    assert refused.returncode == 2 and "--k" in refused.stderr

    # the filters of Archive.ask, the days read as the chat reads them
    env = {"QA_INDEX_DIR": str(index_dir)}
    window = ["--after", "2024-08-01", "--before", "2024-08-31", "--source", "koreapro.org"]
    within = run_qa("ask", "What was agreed in Jinan?", *window, "--json", env=env)
    assert within.returncode == 0, within.stderr
    assert json.loads(within.stdout) == answer
    for option, value, says in [("--after", "2024-09-01", "published on or after 2024-09-01"),
                                ("--before", "2024-08-19", "published on or before 2024-08-19"),
                                ("--source", "other.example", "from other.example")]:
        outside = run_qa("ask", "What was agreed in Jinan?", option, value, env=env)
        assert outside.returncode == 0, outside.stderr
        assert outside.stdout.startswith(f"No article in the archive is {says}: the filters exclude"), option

    found = "Jeong also visited the Korea-China Industrial Cooperation Park in Yantai City"
    questions = tmp_path / "questions.json"
    questions.write_text(
        json.dumps(
            [
                {
                    "query": "Where did the trade negotiator go after the Jinan meeting?",
                    "question_type": "inference_query",
                    "evidence_list": [{"fact": found}, {"fact": "A fact that is in no article."}],
                }
            ]
        )
    )
    scored = run_qa("eval", str(questions), "--json", env={"QA_INDEX_DIR": str(index_dir)})
    assert scored.returncode == 0, scored.stderr
    overall = json.loads(scored.stdout)["overall"]
    measured = (overall["hits_at_10"], overall["fact_recall_at_10"], overall["all_evidence_at_10"])
    assert measured == (1.0, 0.5, 0.0)
    table = run_qa("eval", str(questions), env={"QA_INDEX_DIR": str(index_dir)})
    assert "AllEv@10" in table.stdout and "FactRec@10" in table.stdout
    natural = tmp_path / "natural.json"
    url = (
        "https://koreapro.org/2024/08/rok-shandong-meeting-signals-seouls-intent-to-improve-ties-with-china/"
    )
    natural.write_text(
        json.dumps(
            [
                {
                    "question": "What was agreed in Jinan?",
                    "kind": "agreed",
                    "expect": [["20 memorandums"]],
                    "cite_url": url,
                },
                {"question": "Who won the 1930 World Cup?", "off_archive": True},
            ]
        ),
        encoding="utf-8",
    )
    scored = run_qa("eval", str(natural), "--answers", "--json", env={"QA_INDEX_DIR": str(index_dir)})
    assert scored.returncode == 0, scored.stderr
    result = json.loads(scored.stdout)
    assert (result["questions"], result["answered"], result["off_archive"]) == (1, 1.0, 1)


HOSTILE_BODY = (
    "The city council voted on the new bridge on Tuesday [/i] after a long debate. "
    "The bridge will cost forty million dollars and open in 2026. "
    "Councillor [red]Smith[/red] said the vote was close :thumbs_up:."
)
HOSTILE_TITLE = "Council [bold]x[/bold] vote on the new bridge"


@pytest.mark.slow
def test_markup_in_articles_titles_and_file_names_prints_literally(tmp_path: Path) -> None:
    """Untrusted text is never read as rich markup, emoji codes or terminal escapes: `qa index`,
    `qa ask` and `qa eval` print it as it is and exit 0."""
    folder = tmp_path / "[bold]in[red]"
    folder.mkdir()
    article = {
        "title": HOSTILE_TITLE, "body": HOSTILE_BODY, "url": "https://example.org/bridge",
        "published": "2024-03-05T10:00:00Z", "source": "Example [i]Times",
    }
    (folder / "[i]bridge[red].json").write_text(json.dumps(article))
    (folder / "[i]empty\x1b[31m.json").write_text(json.dumps({"title": "x", "body": ""}))
    env = {"QA_INDEX_DIR": str(tmp_path / "index"), "COLUMNS": "400"}

    indexed = run_qa("index", str(folder), env=env)
    assert indexed.returncode == 0, indexed.stderr
    assert "1 added" in indexed.stdout
    assert f"problem: {folder}/[i]empty\\x1b[31m.json: item 0:" in indexed.stdout
    assert "\x1b" not in indexed.stdout + indexed.stderr

    asked = run_qa("ask", "When did the council vote on the new bridge?", env=env)
    assert asked.returncode == 0, asked.stderr
    assert "on Tuesday [/i] after a long debate" in asked.stdout
    assert f"[1] {HOSTILE_TITLE} — Example [i]Times 2024-03-05" in asked.stdout

    questions = tmp_path / "questions.json"
    questions.write_text(json.dumps([{
        "query": "When did the council vote on the bridge?", "question_type": "[bold]kind[/bold]",
        "evidence_list": [{"fact": "on Tuesday [/i] after a long debate"}],
    }]))
    scored = run_qa("eval", str(questions), env=env)
    assert scored.returncode == 0, scored.stderr
    assert "[bold]kind[/bold]" in scored.stdout


@pytest.mark.slow
def test_ctrl_c_while_indexing_says_how_to_finish(tmp_path: Path) -> None:
    articles = tmp_path / "articles.jsonl"
    with articles.open("w") as out:
        for n in range(400):
            body = " ".join(f"Paragraph {p} of report {n} on the harbour and the budget." for p in range(40))
            article = {"title": f"Report {n}", "body": body, "url": f"https://example.org/{n}"}
            out.write(json.dumps(article) + "\n")
    # A shell starts background jobs (and a CI runner may start tests) with SIGINT ignored, and a
    # child inherits that; Ctrl-C reaches a program in a terminal with Python's handler in place.
    ignored = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "qa.cli", "index", str(articles), "--index-dir", str(tmp_path / "index")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
    finally:
        signal.signal(signal.SIGINT, ignored)
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("Embedding chunks:"):
            break
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == (
        "Interrupted: the index keeps its last complete state and the chunks embedded so far; "
        "run the same command again to finish."
    )


def test_without_a_terminal_index_prints_progress_lines(tmp_path: Path, seed_file: Path) -> None:
    indexed = run_qa("index", str(seed_file), "--index-dir", str(tmp_path / "index"))
    assert indexed.returncode == 0, indexed.stderr
    lines = indexed.stderr.splitlines()
    assert "━" not in indexed.stderr
    assert any(line.startswith("Reading files: 1 (") for line in lines), lines
    assert any(line.startswith("Embedding chunks: ") and "/" in line for line in lines), lines
    assert any(line.startswith("Publishing: 1/1 (") for line in lines), lines
    # each problem once, in the report, not also as a warning while reading
    assert indexed.stdout.count("recovered from a truncated file") == 1
    assert "WARNING" not in indexed.stderr and "truncated" not in indexed.stderr


def test_line_progress_prints_a_line_every_few_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a fake clock (named so): one line at the start, then one per `every` seconds, one at the end."""
    import qa.cli

    clock = iter(range(0, 1000))
    monkeypatch.setattr(qa.cli.time, "monotonic", lambda: float(next(clock)))
    printed: list[str] = []
    monkeypatch.setattr(qa.cli.err, "print", lambda line: printed.append(line))
    progress = qa.cli.LineProgress(every=5)
    task = progress.add_task("Embedding chunks", total=20)  # clock 0
    for done in range(1, 21):  # clock 1..20
        progress.update(task, completed=done)
    assert [line.split(" (")[0] for line in printed] == [
        "Embedding chunks: 1/20", "Embedding chunks: 6/20", "Embedding chunks: 11/20",
        "Embedding chunks: 16/20", "Embedding chunks: 20/20",
    ]


def test_problems_are_filtered_once_however_many_commands_run() -> None:
    ReportedProblems.install()
    ReportedProblems.install()
    problem = logging.LogRecord("qa.indexing", logging.WARNING, __file__, 1, "bad file", None, None)
    problem.problem = "bad file"
    other = logging.LogRecord("qa.indexing", logging.WARNING, __file__, 1, "slow disk", None, None)
    for name in ReportedProblems.LOGGERS:
        logger = logging.getLogger(name)
        assert sum(isinstance(f, ReportedProblems) for f in logger.filters) == 1
        assert not logger.filter(problem) and logger.filter(other)
