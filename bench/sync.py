"""Live sync costs against a real WordPress (.ci/wordpress.sh; needs its Debian packages).

    python bench/sync.py [--posts 500] [--backend auto] [--rounds 8]

1. A site of POSTS real news articles (the MultiHop-RAG corpus, read from ../shared, inserted
   with wp_insert_post): its first sync, then an unchanged sync (time ratio, requests, bytes,
   and whether any post body was downloaded).
2. One post edited: the sync's time, and the time to embed that post's chunks and the sentences
   an answer may quote from them alone.
3. The same posts exported from the REST API to files and indexed with `qa index` (archive.add)
   into a fresh index: first-sync throughput against it.
4. A small generated site changed at random (edits, trashes, force deletes, new posts,
   unpublished posts) over ROUNDS rounds, each synced by a worker that is SIGKILLed at a random
   checkpoint or moment; then one last sync: the archive must equal a fresh sync of the site.
Prints one JSON object, then the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from embeddings.encoder import load_encoder
from qa.archive import Archive
from qa.chunking import embedding_text
from qa.config import Settings
from qa.indexing import chunk_statements, default_chunker
from qa.sync.http import Fetcher
from qa.sync.run import sync_source

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / ".ci" / "wordpress.sh"
WORKER = REPO / "tests" / "crash_worker.py"
CORPUS = REPO.parent / "shared" / "data" / "multihop-rag" / "corpus.json"
KILL_POINTS = ["fetched", "embedded_batch", "before_write", "before_rename", "after_rename",
               "before_commit", "after_commit", "synced_batch"]


class Site:
    def __init__(self, root: Path, posts: int) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/"
        self.env = {**os.environ, "WP_TMP": str(root), "N": str(posts), "PORT": str(port)}

    def script(self, command: str) -> None:
        subprocess.run(["bash", str(SCRIPT), command], env=self.env, check=True, capture_output=True)

    def php(self, code: str, **env: str) -> str:
        done = subprocess.run(["php", "-r", f'require getenv("WP_TMP")."/wp/wp-load.php"; {code}'],
                              env={**self.env, **env}, capture_output=True, text=True, check=True)
        return done.stdout


def load_corpus(site: Site, posts: int, root: Path) -> list[int]:
    articles = json.loads(CORPUS.read_text())[:posts]
    rows = [{
        "title": a["title"],
        "html": "".join(f"<p>{html.escape(p.strip())}</p>\n" for p in a["body"].split("\n") if p.strip()),
        "date": a["published_at"][:19].replace("T", " "),
        "category": a.get("category") or "News",
    } for a in articles]
    path = root / "rows.json"
    path.write_text(json.dumps(rows))
    out = site.php(
        '$ids = []; wp_defer_term_counting(true);'
        'foreach (json_decode(file_get_contents(getenv("ROWS")), true) as $r) {'
        ' $c = term_exists($r["category"], "category") ?: wp_insert_term($r["category"], "category");'
        ' $ids[] = wp_insert_post(["post_status" => "publish", "post_author" => 1,'
        '  "post_title" => $r["title"], "post_content" => $r["html"], "post_date_gmt" => $r["date"],'
        '  "post_date" => get_date_from_gmt($r["date"]), "post_category" => [(int)$c["term_id"]]], true); }'
        'wp_defer_term_counting(false); echo json_encode($ids);', ROWS=str(path))
    return json.loads(out)


class StageClock:
    """Seconds spent in each progress stage ("embed", "publish": FAISS file and catalog)."""

    def __init__(self) -> None:
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        self.first.setdefault(stage, now)
        self.last[stage] = now

    def seconds(self, stage: str) -> float:
        return self.last.get(stage, 0.0) - self.first.get(stage, 0.0)


def timed_sync(archive: Archive, url: str, clock: StageClock | None = None) -> tuple[float, object, Fetcher]:
    with Fetcher() as fetcher:
        started = time.perf_counter()
        report = sync_source(archive.store, lambda: archive.encoder, archive.settings, url, fetcher=fetcher,
                             progress=clock or StageClock())
        return time.perf_counter() - started, report, fetcher


def export(url: str, root: Path) -> list[Path]:
    """The site's posts as the REST API gives them (with _embed), one file per page of 100."""
    files = []
    with Fetcher() as fetcher:
        page, total = 1, 1
        while page <= total:
            response = fetcher.get(url + "wp-json/wp/v2/posts", params={
                "per_page": "100", "page": str(page), "_embed": "author,wp:term"})
            total = int(response.headers["x-wp-totalpages"])
            path = root / f"posts-{page}.json"
            path.write_bytes(response.content)
            files.append(path)
            page += 1
    return files


def synced_state(index_dir: Path) -> dict:
    conn = sqlite3.connect(f"file:{index_dir / 'archive.sqlite'}?mode=ro", uri=True)
    try:
        q = lambda sql: [tuple(r) for r in conn.execute(sql)]  # noqa: E731
        return {
            "articles": q("SELECT id, title, text, url, published, authors, categories, fingerprint "
                          "FROM articles ORDER BY id"),
            "chunks": q("SELECT article_id, ordinal, text FROM chunks ORDER BY article_id, ordinal"),
            "items": q("SELECT item, article_id, stamp FROM source_items ORDER BY item"),
        }
    finally:
        conn.close()


class Worker:
    """tests/crash_worker.py: loads the model once, forks a child per sync job."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen([sys.executable, str(WORKER)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1, env=env)
        assert json.loads(self.proc.stdout.readline()) == {"ready": True}

    def run(self, kill_after: float | None = None, **job: object) -> dict:
        self.proc.stdin.write(json.dumps(job) + "\n")
        pid = json.loads(self.proc.stdout.readline())["pid"]
        if kill_after is not None:
            time.sleep(kill_after)
            with contextlib.suppress(ProcessLookupError):  # it finished first
                os.kill(pid, signal.SIGKILL)
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.write(json.dumps({"cmd": "exit"}) + "\n")
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def random_changes(site: Site, rng: random.Random, count: int) -> list[str]:
    ids = json.loads(site.php('echo json_encode(get_posts(["numberposts" => -1, "post_status" => "publish",'
                              ' "fields" => "ids", "has_password" => false]));'))
    done = []
    for _ in range(count):
        op = rng.choice(["edit", "edit", "trash", "delete", "new", "new", "unpublish", "retitle"])
        post = rng.choice(ids)
        if op == "edit":
            site.php(f'wp_update_post(["ID" => {post}, "post_content" => "<p>Edited {rng.random()}: the '
                     f'council revised the plan.</p>"]);')
        elif op == "retitle":
            site.php(f'wp_update_post(["ID" => {post}, "post_title" => "Retitled {rng.randrange(10**6)}"]);')
        elif op == "trash":
            site.php(f"wp_trash_post({post});")
        elif op == "delete":
            site.php(f"wp_delete_post({post}, true);")
        elif op == "unpublish":
            site.php(f'wp_update_post(["ID" => {post}, "post_status" => "draft"]);')
        else:
            n = rng.randrange(10**6)
            post = int(site.php(f'echo wp_insert_post(["post_status" => "publish", "post_author" => 1, '
                                f'"post_title" => "Breaking {n}", "post_content" => "<p>Report {n} from the '
                                f'harbour.</p>"]);'))
        if op in ("trash", "delete", "unpublish"):
            ids.remove(post)
        elif op == "new":
            ids.append(post)
        done.append(op)
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--backend", default="auto", choices=["torch", "onnx", "auto"])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--quick", action="store_true", help="parts 1 and 2 only")
    args = parser.parse_args()
    encoder = load_encoder(backend=args.backend)
    encoder.encode([f"warm up the encoder's threads, text {i}" for i in range(64)])  # outside the timings
    settings = Settings()
    result: dict[str, object] = {"posts": args.posts, "backend": encoder.backend}
    root = Path(tempfile.mkdtemp(prefix="qa-bench-sync-"))
    site = Site(root / "wp", 0)
    small = Site(root / "wp-small", 60)
    try:
        site.script("up")
        ids = load_corpus(site, args.posts, root)
        with Archive(root / "synced", encoder=encoder, settings=settings) as archive:
            first_s, first, first_f = timed_sync(archive, site.url)
            result["first_sync"] = {"seconds": round(first_s, 2), "added": first.added,
                                    "chunks": first.chunks_embedded, "requests": first_f.requests,
                                    "bytes": first_f.bytes}
            same_s, same, same_f = timed_sync(archive, site.url)
            bodies = [u for u, _, _ in same_f.history if "_embed" in u or "include=" in u]
            result["unchanged_sync"] = {
                "seconds": round(same_s, 3), "ratio": round(same_s / first_s, 4),
                "requests": same_f.requests, "bytes": same_f.bytes, "body_requests": len(bodies),
                "unchanged": same.unchanged}
            post = ids[len(ids) // 2]
            site.php(f'$p = get_post({post}); wp_update_post(["ID" => {post}, "post_content" => '
                     '$p->post_content . "<p>Update: the figures were corrected on Tuesday.</p>"]);')
            clock = StageClock()
            one_s, one, _ = timed_sync(archive, site.url, clock)
            article = archive.store.article(f"{site.url[7:]}?p={post}")
            chunks = default_chunker(encoder, settings)(article)
            # Its chunks, and the sentences an answer may quote from them (`sentence_vectors`).
            statements = [s for c in chunks for s in chunk_statements(c.text)]
            if not settings.sentence_vectors:
                statements = []
            started = time.perf_counter()
            encoder.encode([embedding_text(article, c.text) for c in chunks])
            encoder.encode(list(dict.fromkeys(statements)))
            embed_s = time.perf_counter() - started
            stages = sum(clock.seconds(stage) for stage in ("embed", "publish", "sentences"))
            result["one_post_changed"] = {"seconds": round(one_s, 3), "updated": one.updated,
                                          "embedding_that_post_s": round(embed_s, 3),
                                          "beyond_embedding_s": round(one_s - embed_s, 3),
                                          "publish_s": round(clock.seconds("publish"), 3),
                                          "embed_stage_s": round(clock.seconds("embed"), 3),
                                          "sentences_stage_s": round(clock.seconds("sentences"), 3),
                                          "rest_s": round(one_s - stages, 3)}
        if args.quick:
            print(json.dumps(result))
            return
        (root / "export").mkdir()
        started = time.perf_counter()
        files = export(site.url, root / "export")
        export_s = time.perf_counter() - started
        with Archive(root / "indexed", encoder=encoder, settings=settings) as archive:
            started = time.perf_counter()
            indexed = archive.add(files)
            index_s = time.perf_counter() - started
        with Archive(root / "synced-again", encoder=encoder, settings=settings) as archive:
            again_s, again, _ = timed_sync(archive, site.url)
        result["throughput"] = {
            "first_sync_s": round(first_s, 2), "qa_index_s": round(index_s, 2),
            "first_sync_again_s": round(again_s, 2), "export_s": round(export_s, 2),
            "indexed_added": indexed.added, "synced_added": again.added,
            "sync_vs_index": round(((first_s + again_s) / 2) / index_s, 3)}
        site.script("down")

        small.script("up")
        rng = random.Random(args.seed)
        base = root / "random"
        encoder = load_encoder(backend="torch")  # the kill worker's backend
        with Archive(base, encoder=encoder, settings=settings) as archive:
            timed_sync(archive, small.url)
        worker = Worker()
        kills = 0
        ops: list[str] = []
        try:
            job = {"cmd": "sync", "url": small.url, "index_dir": str(base), "result": str(root / "r.json"),
                   "batch_posts": 4, "embed_batch": 4}
            for _ in range(args.rounds):
                ops += random_changes(small, rng, 4)
                if rng.random() < 0.5:
                    done = worker.run(**job, crash_at=rng.choice(KILL_POINTS), crash_nth=rng.randint(1, 2))
                else:
                    done = worker.run(**job, kill_after=rng.uniform(0.0, 1.5))
                kills += done["signal"] == signal.SIGKILL
                if rng.random() < 0.3:
                    worker.run(**job)
            assert worker.run(**job)["status"] == 0
        finally:
            worker.close()
        with Archive(root / "fresh", encoder=encoder, settings=settings) as archive:
            timed_sync(archive, small.url)
        result["random_sequence"] = {"rounds": args.rounds, "operations": len(ops), "kills": kills,
                                     "equals_fresh_sync": synced_state(base) == synced_state(root / "fresh")}
    finally:
        for s in (site, small):
            subprocess.run(["bash", str(SCRIPT), "down"], env=s.env, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(result))
    f, u = result["first_sync"], result["unchanged_sync"]
    o, t = result["one_post_changed"], result["throughput"]
    print(f"first sync of {f['added']} posts: {f['seconds']} s, {f['chunks']} chunks, "
          f"{f['requests']} requests, {f['bytes']:,} bytes")
    print(f"unchanged sync: {u['seconds']} s = {u['ratio']} of the first (goal <= 0.02), "
          f"{u['requests']} requests, {u['bytes']:,} bytes, {u['body_requests']} body requests")
    print(f"1 post changed: {o['seconds']} s, of which embedding that post {o['embedding_that_post_s']} s "
          f"(beyond it: {o['beyond_embedding_s']} s; goal <= 2 s); publishing (FAISS file, retrieval "
          f"catalog) {o['publish_s']} s; embedding its sentences {o['sentences_stage_s']} s; "
          f"listing, fetching and diffing {o['rest_s']} s")
    print(f"first sync {t['first_sync_s']} s and {t['first_sync_again_s']} s vs qa index on the exported "
          f"posts {t['qa_index_s']} s: ratio {t['sync_vs_index']} (goal within 1.10); downloading the "
          f"posts from the REST API alone (the export) took {t['export_s']} s")
    r = result["random_sequence"]
    print(f"random sequence: {r['operations']} operations in {r['rounds']} rounds, {r['kills']} syncs "
          f"killed; archive equals a fresh sync: {r['equals_fresh_sync']}")


if __name__ == "__main__":
    main()
