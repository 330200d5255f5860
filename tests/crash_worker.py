"""A helper process for the crash and concurrency tests: loads the real model once, then forks.

Loading the model costs 10-20 s, so each test talks to one long-lived worker over stdin/stdout
(one JSON object per line) and the worker forks a child per job; a child can be SIGKILLed at
any moment at the cost of a fork. The parent never runs the model, FAISS or SQLite itself, so
no thread pool or open database is inherited across fork.

tqdm is the exception to mend: every tqdm bar, even a disabled one (sentence-transformers makes
one per `encode`), takes a lock that includes a multiprocessing semaphore, and forked children
share that semaphore. A child SIGKILLed while holding it leaves it held for good, and the next
child to encode waits forever (as does one forked while the parent's tqdm monitor thread held
the lock). So each child starts with a lock of its own. A job that still does not finish fails
the test after JOB_TIMEOUT seconds, with the child's stacks dumped to stderr, instead of hanging
the run.

Commands (each answered by {"pid": child} at once and {"pid", "status", "signal"} at the end):
    {"cmd": "reindex", "index_dir", "paths", "prune", "result", "crash_at", "crash_nth", "embed_batch",
     "sentence_batch"}
        runs qa.indexing.reindex; with crash_at, the child SIGKILLs itself at that crash point
        (the crash_nth time it is reached); writes the IndexReport as JSON to `result`.
    {"cmd": "sync", "index_dir", "url", "result", "crash_at", "crash_nth", "embed_batch", "batch_posts"}
        runs qa.sync.run.sync_source the same way (batch_posts: posts per published batch).
    {"cmd": "query_loop", "index_dir", "question", "k", "out", "stop"}
        queries until the file `stop` exists, one JSON line per query to `out`:
        {"ids": [...], "texts": [...]} or {"error": "..."}.
    {"cmd": "die_in_tqdm_lock"}
        SIGKILLs the child while it holds tqdm's lock, as a random kill mid-`encode` can.
    {"cmd": "exit"}
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import os
import queue
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["TOKENIZERS_PARALLELISM"] = "false"

from tqdm import tqdm

from embeddings.encoder import load_encoder

JOB_TIMEOUT = 300.0  # seconds; the longest job here takes well under a minute


def _checkpoint(job: dict):
    """A checkpoint function that SIGKILLs this process the crash_nth time crash_at is reached."""
    from qa import indexing

    if job.get("embed_batch"):
        indexing.EMBED_BATCH = int(job["embed_batch"])
    if job.get("sentence_batch"):
        indexing.SENTENCE_BATCH = int(job["sentence_batch"])
    seen = {"n": 0}

    def checkpoint(name: str) -> None:
        if name == job.get("crash_at"):
            seen["n"] += 1
            if seen["n"] == int(job.get("crash_nth") or 1):
                os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint


def _reindex(encoder: object, job: dict) -> None:
    from qa import indexing
    from qa.config import Settings
    from qa.store import Store

    checkpoint = _checkpoint(job)
    settings = Settings(**job.get("settings", {}))
    store = Store(job["index_dir"])
    report = indexing.reindex(
        store, encoder, settings, paths=job["paths"], prune=bool(job.get("prune")), checkpoint=checkpoint
    )
    store.close()
    Path(job["result"]).write_text(json.dumps(report.to_dict()))


def _sync(encoder: object, job: dict) -> None:
    from qa.config import Settings
    from qa.store import Store
    from qa.sync import wordpress
    from qa.sync.run import sync_source

    checkpoint = _checkpoint(job)
    if job.get("batch_posts"):
        wordpress.BATCH_POSTS = int(job["batch_posts"])
    store = Store(job["index_dir"])
    report = sync_source(store, lambda: encoder, Settings(), job["url"], checkpoint=checkpoint)
    store.close()
    Path(job["result"]).write_text(json.dumps(report.to_dict()))


def _query_loop(encoder: object, job: dict) -> None:
    from qa.archive import Archive
    from qa.config import Settings

    stop = Path(job["stop"])
    settings = Settings(**job.get("settings", {}))
    with Archive(job["index_dir"], encoder=encoder, settings=settings, create=False) as archive, open(
        job["out"], "w"
    ) as out:
        while not stop.exists():
            try:
                passages = archive.retrieve(job["question"], k=int(job["k"]))
                line = {"ids": [p.chunk_id for p in passages], "texts": [p.text for p in passages]}
            except Exception as exc:  # reported to the test, which fails on any
                line = {"error": "".join(traceback.format_exception(exc))}
            out.write(json.dumps(line) + "\n")
            out.flush()


def _die_in_tqdm_lock(encoder: object, job: dict) -> None:
    tqdm.get_lock().acquire()
    os.kill(os.getpid(), signal.SIGKILL)


def _child(encoder: object, job: dict) -> None:
    tqdm.set_lock(threading.RLock())  # not the semaphore shared with (possibly killed) siblings
    code = 0
    try:
        jobs = {"reindex": _reindex, "sync": _sync, "query_loop": _query_loop,
                "die_in_tqdm_lock": _die_in_tqdm_lock}
        jobs[job["cmd"]](encoder, job)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    # Import everything a child needs now, once, instead of in every child.
    import qa.archive  # noqa: F401
    import qa.indexing  # noqa: F401
    import qa.sync.run  # noqa: F401

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # Worker.finish asks a stuck child
    encoder = load_encoder(backend="torch")
    encoder.dimension  # noqa: B018 - loads the weights before forking (no forward pass)
    encoder.count_tokens(["warm up the tokenizer"])
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        if job["cmd"] == "exit":
            break
        pid = os.fork()
        if pid == 0:
            _child(encoder, job)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({
            "pid": pid,
            "status": os.waitstatus_to_exitcode(status),
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        }), flush=True)


def store_state(index_dir: Path) -> dict:
    """Everything that defines a store's published state, for exact comparisons (ids included;
    vectors separately, as arrays). Timestamps and the WAL's physical layout are left out."""
    import sqlite3

    import numpy as np

    conn = sqlite3.connect(f"file:{index_dir / 'archive.sqlite'}?mode=ro", uri=True)
    try:
        q = lambda sql: [tuple(r) for r in conn.execute(sql)]  # noqa: E731
        state = {
            "articles": q("SELECT id, title, text, url, published, authors, categories, source, language, "
                          "content_hash, partial, fingerprint FROM articles ORDER BY id"),
            "chunks": q('SELECT id, article_id, ordinal, start, "end", text, embed_key FROM chunks '
                        "ORDER BY id"),
            "fts": q("SELECT rowid, body FROM chunks_fts ORDER BY rowid"),
            "embedding_keys": q("SELECT key, orphaned FROM embeddings ORDER BY key"),
            "sentence_keys": q("SELECT key, digest, length(vectors) FROM sentence_embeddings ORDER BY key"),
            "generations": q("SELECT id, faiss_file, articles, chunks, model, dimension, settings "
                             "FROM generations ORDER BY id"),
            "meta": q("SELECT key, value FROM meta ORDER BY key"),
            "files": sorted(p.name for p in index_dir.iterdir() if p.name.startswith("vectors-")),
        }
        rows = conn.execute("SELECT key, vector FROM embeddings ORDER BY key").fetchall()
        state["vectors"] = np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows]) if rows else None
        blobs = [r[0] for r in conn.execute("SELECT vectors FROM sentence_embeddings ORDER BY key")]
        state["sentence_vectors"] = np.frombuffer(b"".join(blobs), dtype=np.float16).astype(np.float32)
    finally:
        conn.close()
    return state


def assert_same_state(got: dict, want: dict) -> None:
    """Equal states; embedding vectors equal up to float noise from other batch compositions."""
    import numpy as np

    for key in want:
        if key == "vectors":
            assert (got[key] is None) == (want[key] is None)
            if want[key] is not None:
                np.testing.assert_allclose(got[key], want[key], atol=1e-5)
        elif key == "sentence_vectors":
            np.testing.assert_allclose(got[key], want[key], atol=1e-3)  # float16
        else:
            assert got[key] == want[key], key


class Worker:
    """The tests' side: starts this script and sends it jobs."""

    def __init__(self) -> None:
        import subprocess

        self.proc = subprocess.Popen(
            [sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.pid = 0
        assert self._read() == {"ready": True}

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put("")

    def _read(self, timeout: float = JOB_TIMEOUT) -> dict | None:
        """The worker's next message; None if none came within `timeout` seconds."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if not line:
            raise RuntimeError(f"the crash worker died (exit status {self.proc.poll()})")
        return json.loads(line)

    def start(self, **job: object) -> int:
        """Start a job; return the child's pid."""
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.pid = int(self._read()["pid"])
        return self.pid

    def finish(self, timeout: float = JOB_TIMEOUT) -> dict:
        """Wait for the running job: {"status": exit status (negative: killed by that signal)}.

        A job still running after `timeout` seconds has its threads' stacks dumped to stderr,
        is killed, and fails the test."""
        outcome = self._read(timeout)
        if outcome is None:
            os.kill(self.pid, signal.SIGUSR1)
            time.sleep(2)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._read()
            raise AssertionError(f"job {self.pid} ran past {timeout:.0f} s; its stacks are in the captured"
                                 " stderr")
        return outcome

    def run(self, *, kill_after: float | None = None, **job: object) -> dict:
        """Run a job to its end, or SIGKILL it after `kill_after` seconds (if still running)."""
        pid = self.start(**job)
        if kill_after is not None:
            time.sleep(kill_after)
            with contextlib.suppress(ProcessLookupError):  # it finished first
                os.kill(pid, signal.SIGKILL)
        return self.finish()

    def close(self) -> None:
        self.proc.stdin.write(json.dumps({"cmd": "exit"}) + "\n")
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


if __name__ == "__main__":
    main()
