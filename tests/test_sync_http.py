"""HTTP faults a real WordPress does not produce, on a small scripted server on 127.0.0.1:
429 with Retry-After, 503, slow and truncated answers, redirects, HTML or cut JSON where JSON
belongs. Every scripted route answers a bounded list of responses, and the tests count requests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import qa
from qa.sync.http import Fetcher, HttpSettings, SourceURLError, SyncError, check_url, retry_after
from qa.sync.run import sync_source
from qa.sync.schedule import BackgroundSync, parse_interval
from qa.sync.state import url_key


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    cut: bool = False  # announce the full length, send a tenth, close


class Server:
    """Answers each path with its scripted replies in turn (the last one repeats); a request
    with `include=` in its query is answered from the route `PATH#include` when there is one."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path, _, query = self.path.partition("?")
                if "include=" in query and path + "#include" in server.routes:
                    path += "#include"
                server.hits[path] = server.hits.get(path, 0) + 1
                replies = server.routes.get(path) or [Reply(404, b"not found")]
                reply = replies[min(server.hits[path], len(replies)) - 1]
                time.sleep(reply.delay)
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body[: len(reply.body) // 10] if reply.cut else reply.body)
                if reply.cut:
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


def fetcher(sleeps: list[float], **settings: float) -> Fetcher:
    options = {"attempts": 3, "backoff": 0.5, "timeout": 2.0, **settings}
    return Fetcher(HttpSettings(**options), sleep=sleeps.append)


def test_429_waits_as_long_as_retry_after_says(server: Server) -> None:
    server.routes["/a"] = [Reply(429, headers={"Retry-After": "7"}), Reply(200, b"ok")]
    sleeps: list[float] = []
    with fetcher(sleeps) as f:
        assert f.get(server.url + "/a").content == b"ok"
    assert sleeps == [7.0] and server.hits["/a"] == 2


def test_503_is_retried_with_backoff_then_names_the_site(server: Server) -> None:
    server.routes["/a"] = [Reply(503)]
    sleeps: list[float] = []
    with fetcher(sleeps) as f, pytest.raises(SyncError, match=r"Cannot sync from 127\.0\.0\.1:\d+: HTTP 503"):
        f.get(server.url + "/a")
    assert server.hits["/a"] == 3 and sleeps == [0.5, 1.0]


def test_a_retry_after_beyond_the_cap_fails_at_once(server: Server) -> None:
    server.routes["/a"] = [Reply(429, headers={"Retry-After": "3600"})]
    with fetcher([]) as f, pytest.raises(SyncError, match="asks to wait 3600 s"):
        f.get(server.url + "/a")
    assert server.hits["/a"] == 1


def test_retry_after_as_an_http_date() -> None:
    assert retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480.0) == 30.0
    assert retry_after("soon") is None


def test_a_slow_answer_times_out_and_is_retried(server: Server) -> None:
    server.routes["/slow"] = [Reply(200, b"late", delay=1.0), Reply(200, b"fast")]
    with fetcher([], timeout=0.3) as f:
        assert f.get(server.url + "/slow").content == b"fast"
    assert server.hits["/slow"] == 2


def test_a_truncated_body_is_retried_then_reported(server: Server) -> None:
    body = json.dumps([{"id": i} for i in range(100)]).encode()
    server.routes["/cut"] = [Reply(200, body, cut=True), Reply(200, body)]
    with fetcher([]) as f:
        assert json.loads(f.get(server.url + "/cut").content)[-1] == {"id": 99}
    server.routes["/always"] = [Reply(200, body, cut=True)]
    with fetcher([]) as f, pytest.raises(SyncError, match="cut before the whole answer"):
        f.get(server.url + "/always")
    assert server.hits["/always"] == 3


def test_redirects_are_followed_only_within_the_site(server: Server) -> None:
    server.routes["/old"] = [Reply(301, headers={"Location": "/new"})]
    server.routes["/new"] = [Reply(200, b"here")]
    port = server.url.rsplit(":", 1)[1]
    server.routes["/away"] = [Reply(302, headers={"Location": f"http://localhost:{port}/new"})]
    server.routes["/file"] = [Reply(302, headers={"Location": "file:///etc/passwd"})]
    with fetcher([]) as f:
        response = f.get(server.url + "/old")
        assert (response.content, response.url) == (b"here", server.url + "/new")
        with pytest.raises(SyncError, match="redirects to another site"):
            f.get(server.url + "/away")
        with pytest.raises(SyncError, match="redirects to another site"):
            f.get(server.url + "/file")
    assert server.hits.get("/new") == 1


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/feed", "javascript:alert(1)", "example.com"]
)
def test_only_http_urls_are_fetched(url: str, archive: qa.Archive) -> None:
    with pytest.raises(SourceURLError, match="Not a http"):
        check_url(url)
    with pytest.raises(ValueError, match="Not a http"):
        archive.sync(url)
    assert archive.sources() == []


def test_a_site_that_is_down_is_a_qaerror_naming_it(archive: qa.Archive) -> None:
    with pytest.raises(qa.QAError, match=r"127\.0\.0\.1:9: connection refused"), fetcher([]) as f:
        sync_source(
            archive.store, lambda: archive.encoder, archive.settings, "http://127.0.0.1:9/", fetcher=f
        )
    assert archive.sources() == [] and archive.stats().articles == 0


def _fake_wordpress(server: Server, posts: list[dict]) -> None:
    index = {"name": "Fake", "home": server.url, "url": server.url, "namespaces": ["wp/v2"]}
    link = f'<{server.url}/wp-json/>; rel="https://api.w.org/"'
    as_json = {"Content-Type": "application/json", "X-WP-TotalPages": "1"}
    server.routes["/"] = [Reply(200, b"<html>home</html>", {"Content-Type": "text/html", "Link": link})]
    server.routes["/wp-json/"] = [Reply(200, json.dumps(index).encode(), as_json)]
    server.routes["/wp-json/wp/v2/posts"] = [Reply(200, json.dumps(posts).encode(), as_json)]


def _post(i: int, modified: str) -> dict:
    return {"id": i, "link": f"http://fake.test/{i}/", "date_gmt": "2024-05-01T10:00:00",
            "modified_gmt": modified, "title": {"rendered": f"Fake post {i}"},
            "content": {"rendered": f"<p>The body of fake post number {i}.</p>", "protected": False}}


@pytest.mark.parametrize("bad", ["html", "truncated"])
def test_html_or_cut_json_is_a_problem_of_that_source_only(
    server: Server, archive: qa.Archive, bad: str
) -> None:
    _fake_wordpress(server, [_post(1, "2024-05-01T10:00:00"), _post(2, "2024-05-01T10:00:00")])
    with fetcher([]) as f:
        sync_source(archive.store, lambda: archive.encoder, archive.settings, server.url, fetcher=f)
    assert archive.stats().articles == 2
    before = archive.stats().generation
    body = b"<!doctype html><p>Maintenance</p>" if bad == "html" else json.dumps(
        [_post(3, "2024-06-01T10:00:00")]).encode()[:-40]
    server.routes["/wp-json/wp/v2/posts"] = [Reply(200, body, {"Content-Type": "application/json"})]
    with fetcher([]) as f, pytest.raises(SyncError, match="not complete JSON"):
        sync_source(archive.store, lambda: archive.encoder, archive.settings, server.url, fetcher=f)
    assert (archive.stats().articles, archive.stats().generation) == (2, before)
    (source,) = archive.sources()
    assert "not complete JSON" in source.last_error and source.articles == 2


@pytest.mark.slow
def test_the_cli_syncs_lists_and_removes_sources(server: Server, tmp_path) -> None:
    from test_cli import run_qa

    _fake_wordpress(server, [_post(1, "2024-05-01T10:00:00"), _post(2, "2024-05-02T10:00:00")])
    index = ["--index-dir", str(tmp_path / "index")]
    synced = run_qa("sync", server.url, "--json", *index)
    assert synced.returncode == 0, synced.stderr
    (outcome,) = json.loads(synced.stdout)
    assert outcome["url"] == server.url and outcome["report"]["added"] == 2 and outcome["error"] is None

    down = run_qa("sync", "http://127.0.0.1:9/", *index)
    assert down.returncode == 1 and "Traceback" not in down.stderr
    last_line = down.stderr.strip().splitlines()[-1]
    assert last_line.startswith("error: http://127.0.0.1:9/: Cannot sync from 127.0.0.1:9")

    listed = run_qa("sources", "--json", *index)
    (source,) = json.loads(listed.stdout)
    assert (source["kind"], source["articles"], source["last_error"]) == ("wordpress", 2, None)
    assert "2 articles, 0 skipped" in run_qa("sources", *index).stdout

    removed = run_qa("sources", "remove", server.url, *index)
    assert removed.returncode == 0 and "2 articles removed" in removed.stdout
    assert "No synced sources" in run_qa("sources", *index).stdout
    again = run_qa("sources", "remove", server.url, *index)
    assert again.returncode == 1 and again.stderr.startswith("error: No source")


@pytest.mark.parametrize(
    ("text", "seconds"), [("15m", 900), ("1h", 3600), ("90", 90), ("2.5m", 150), ("1d", 86400)]
)
def test_intervals(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["5s", "soon", "15 minutes", "-1m", ""])
def test_bad_intervals(text: str) -> None:
    with pytest.raises(ValueError, match="interval"):
        parse_interval(text)


def test_a_background_sync_publishes_while_readers_answer(server: Server, archive: qa.Archive) -> None:
    _fake_wordpress(server, [_post(1, "2024-05-01T10:00:00")])
    archive.sync(server.url)
    _fake_wordpress(server, [_post(1, "2024-05-01T10:00:00"), _post(2, "2024-05-02T10:00:00")])
    background = BackgroundSync(archive, every=3600).start()
    try:
        deadline = time.monotonic() + 120
        while archive.stats().articles < 2 and time.monotonic() < deadline:
            assert archive.retrieve("fake post", k=1)  # readers keep answering meanwhile
        assert archive.stats().articles == 2
    finally:
        background.stop(timeout=60)
    (outcome,) = background.last_outcomes
    assert outcome.report.added == 1 and background.last_run is not None and not background.running


def test_a_post_missing_from_a_shifted_id_list_is_looked_up_before_removal(
    server: Server, archive: qa.Archive
) -> None:
    first, second = _post(1, "2024-05-01T10:00:00"), _post(2, "2024-05-01T11:00:00")
    _fake_wordpress(server, [first, second])
    archive.sync(server.url)
    # A post published or deleted while the list was paged shifts the pages: post 2 is missing
    # from the list, but asking for it by id finds it. Only a second look that misses it removes it.
    _fake_wordpress(server, [first])
    server.routes["/wp-json/wp/v2/posts#include"] = [Reply(200, json.dumps([{"id": 2}]).encode(),
                                                            {"Content-Type": "application/json"})]
    assert archive.sync(server.url).removed == 0 and archive.stats().articles == 2
    server.routes["/wp-json/wp/v2/posts#include"] = [Reply(200, b"[]", {"Content-Type": "application/json"})]
    assert archive.sync(server.url).removed == 1 and archive.stats().articles == 1


def _feed(server: Server, items: list[str]) -> str:
    """An RSS 2.0 feed at /feed of `items` (each an <item> body) on the scripted server."""
    body = ('<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>Scripted</title><link>{server.url}/</link>"
            + "".join(f"<item>{item}</item>" for item in items) + "</channel></rss>")
    server.routes["/feed"] = [Reply(200, body.encode(), {"Content-Type": "application/rss+xml"})]
    return server.url + "/feed"


def _item(n: int, *, title: str | None = None, date: str = "Wed, 01 May 2024 10:00:00 GMT") -> str:
    title_tag = "" if title is None else f"<title>{title}</title>"
    return (f"{title_tag}<link>http://fake.test/{n}/</link><guid isPermaLink='false'>fake-{n}</guid>"
            f"<pubDate>{date}</pubDate>"
            f"<content:encoded><![CDATA[<p>The body of scripted entry number {n} about harbour cranes.</p>"
            "]]></content:encoded>")


@pytest.mark.slow
def test_the_cli_prints_each_sync_problem_once(server: Server, tmp_path) -> None:
    from test_cli import run_qa

    linkless = '<title>Linkless</title><guid isPermaLink="false">no-link</guid>'
    url = _feed(server, [_item(1, title="Cranes"), linkless])
    synced = run_qa("sync", url, "--index-dir", str(tmp_path / "index"))
    assert synced.returncode == 0, synced.stderr
    assert "1 added" in synced.stdout, synced.stdout
    # in the report, not also as a WARNING while syncing
    assert (synced.stdout + synced.stderr).count("has no http(s) link") == 1, (synced.stdout, synced.stderr)
    assert "WARNING" not in synced.stderr


def _page(server: Server, path: str, html: str) -> str:
    server.routes[path] = [Reply(200, html.encode(), {"Content-Type": "text/html; charset=utf-8"})]
    return server.url + path


def test_feed_entries_far_in_the_future_or_untitled_are_kept_with_a_problem(
    server: Server, archive: qa.Archive
) -> None:
    """Entries are checked as a file's records are: a date in the future is stored undated and
    said so; an untitled entry takes its text's first words as title, and says so."""
    page = _page(server, "/summary-only", "<html><body><article><p>A page without title or date, "
                 "about the dredging of the old harbour.</p></article></body></html>")
    summary_only = (f"<title>Dredging</title><link>{page}</link><guid isPermaLink='false'>s</guid>"
                    "<pubDate>Thu, 01 Jan 2099 10:00:00 GMT</pubDate><description>Short.</description>")
    url = _feed(server, [_item(1, title="Cranes"), _item(2, title="Tomorrow's cranes",
                                                         date="Thu, 01 Jan 2099 10:00:00 GMT"),
                         _item(3), summary_only])
    report = archive.sync(url)
    assert report.added == 4
    reasons = {(p.article_id, p.reason) for p in report.problems}
    future = "published date 'Thu, 01 Jan 2099 10:00:00 GMT' is in the future (2099-01-01); stored undated"
    assert reasons == {
        ("fake.test/2/", future), ("fake.test/3/", "empty title; used the text's first words"),
        (url_key(page), future),
    }
    stored = archive.store.article
    assert stored("fake.test/2/").published is None and stored("fake.test/1/").published is not None
    assert stored("fake.test/3/").title == "The body of scripted entry number 3 about harbour cranes."
    assert (stored(url_key(page)).title, stored(url_key(page)).published) == ("Dredging", None)


def test_news_sitemap_and_wordpress_dates_in_the_future_are_problems(
    server: Server, archive: qa.Archive
) -> None:
    page = _page(server, "/undated", "<html><head><title>Quay</title></head><body><article><p>An undated "
                 "page about the new quay wall.</p></article></body></html>")
    sitemap = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
               'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
               f"<url><loc>{page}</loc><news:news><news:publication_date>2099-03-01T08:00:00Z"
               "</news:publication_date><news:title>Quay</news:title></news:news></url></urlset>")
    server.routes["/news.xml"] = [Reply(200, sitemap.encode(), {"Content-Type": "application/xml"})]
    report = archive.sync(server.url + "/news.xml")
    assert [(p.article_id, p.reason) for p in report.problems] == [(url_key(page), (
        "sitemap date '2099-03-01T08:00:00Z' is in the future (2099-03-01); stored undated"))]
    assert archive.store.article(url_key(page)).published is None

    future = {**_post(1, "2024-05-01T10:00:00"), "date_gmt": "2099-05-01T10:00:00"}
    _fake_wordpress(server, [future])
    report = archive.sync(server.url)
    assert [p.reason for p in report.problems] == [
        "published date '2099-05-01T10:00:00' is in the future (2099-05-01); stored undated"]
