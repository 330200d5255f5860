"""Live sync against a real WordPress (Debian's package, MariaDB, PHP's server; .ci/wordpress.sh).

Each test starts its own small site (about 2 s), changes it as an editor would (from PHP), syncs
and checks the archive against what a reader of the site sees, and against a fresh sync.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from wordpress_site import WordPressSite, require_wordpress

import qa
from qa.sync.http import Fetcher, HttpSettings, SyncError
from qa.sync.run import sync_source
from qa.sync.state import url_key

pytestmark = pytest.mark.slow  # each test starts a WordPress (2-5 s) and loads the model

FAST = HttpSettings(attempts=2, backoff=0.1, timeout=10.0)
POSTS = 12


def running_site(root: Path) -> Iterator[WordPressSite]:
    """A site of POSTS posts under `root`, up for the test and taken down after it."""
    require_wordpress()
    wp = WordPressSite(root, POSTS).up()
    yield wp
    wp.down()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[WordPressSite]:
    yield from running_site(tmp_path / "wp")


@pytest.fixture
def other_site(tmp_path: Path) -> Iterator[WordPressSite]:
    yield from running_site(tmp_path / "wp2")


def sync(archive: qa.Archive, url: str, fetcher: Fetcher | None = None) -> qa.IndexReport:
    with fetcher or Fetcher(FAST) as f:
        return sync_source(archive.store, lambda: archive.encoder, archive.settings, url, fetcher=f)


def key(site: WordPressSite, post_id: int) -> str:
    return f"127.0.0.1:{site.port}/?p={post_id}"


def article_ids(archive: qa.Archive) -> set[str]:
    return {r[0] for r in archive.store.db.execute("SELECT id FROM articles")}


def synced_state(index_dir: Path) -> dict:
    """The articles and the source records of an index, for comparing two syncs."""
    conn = sqlite3.connect(f"file:{index_dir / 'archive.sqlite'}?mode=ro", uri=True)
    try:
        q = lambda sql: [tuple(r) for r in conn.execute(sql)]  # noqa: E731
        return {
            "articles": q("SELECT id, title, text, url, published, authors, categories, source, fingerprint "
                          "FROM articles ORDER BY id"),
            "chunks": q("SELECT article_id, ordinal, text FROM chunks ORDER BY article_id, ordinal"),
            "items": q("SELECT s.url, i.item, i.article_id, i.stamp FROM source_items i "
                       "JOIN sources s ON s.id = i.source_id ORDER BY s.url, i.item"),
            "sources": q("SELECT url, kind, watermark FROM sources ORDER BY url"),
        }
    finally:
        conn.close()


def fresh_sync_state(tmp_path: Path, encoder, *urls: str) -> dict:
    fresh = tmp_path / f"fresh-{len(list(tmp_path.glob('fresh-*')))}"
    with qa.Archive(fresh, encoder=encoder) as archive:
        for url in urls:
            sync(archive, url)
    return synced_state(fresh)


def test_first_sync_keeps_what_a_reader_sees(site: WordPressSite, archive: qa.Archive) -> None:
    report = sync(archive, site.url)
    public = site.public_ids()
    ids = site.ids
    assert len(public) == POSTS - 2  # the script trashed one and deleted one
    assert (report.added, report.updated, report.removed) == (len(public), 0, 0)
    assert article_ids(archive) == {key(site, i) for i in public}
    for hidden in ("draft", "private", "future", "pending", "trashed", "deleted", "protected"):
        assert key(site, ids[hidden]) not in article_ids(archive), hidden
    (problem,) = report.problems
    assert problem.article_id == key(site, ids["protected"]) and "password-protected" in problem.reason

    first = archive.store.article(key(site, ids["first"]))
    # post 1: 2023-01-01 08:00 UTC + 6 h; date_gmt is UTC although the site runs on Berlin time
    assert first.published == datetime(2023, 1, 1, 14, 0, tzinfo=UTC)
    # ... and it is kept in the site's time (its `date`), which readers and citations show.
    assert first.published.isoformat() == "2023-01-01T15:00:00+01:00"
    assert first.title == "Post 1: “quotes” & ümlauts"
    assert first.authors == ("Alice Author",) and set(first.categories) == {"Tech", "tag1", "all"}
    assert first.url == f"{site.url}2023/01/post-1-quotes-umlauts/"
    assert archive.store.article(key(site, ids["updated"])).title == "Post 4 (edited)"

    (source,) = archive.sources()
    assert (source.url, source.kind) == (site.url, "wordpress")
    assert (source.articles, source.skipped) == (len(public), 1)
    assert source.last_error is None and source.watermark is not None

    passage = archive.retrieve("Intro 7 Caption 7", k=1)[0]
    assert passage.article_id.startswith(f"127.0.0.1:{site.port}/?p=")
    assert passage.published is not None and passage.published.utcoffset() == timedelta(hours=1)  # Berlin
    assert archive.remove([passage.article_id]).removed == 1


def test_an_unchanged_site_costs_a_few_small_requests(site: WordPressSite, archive: qa.Archive) -> None:
    sync(archive, site.url)
    generation = archive.stats().generation
    with Fetcher(FAST) as f:
        report = sync(archive, site.url, f)
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, POSTS - 1)
    assert archive.stats().generation == generation
    assert f.requests == 2 and not any("_embed" in url or "include=" in url for url, _, _ in f.history)
    assert f.bytes < 2000


def test_edits_trash_deletes_and_new_posts(
    site: WordPressSite, archive: qa.Archive, encoder, tmp_path: Path
) -> None:
    sync(archive, site.url)
    ids = site.ids
    first, last = ids["first"], ids["last"]
    site.edit(first, post_content="<p>The council agreed a new budget for the harbour.</p>")
    site.edit(first + 4, post_title="A corrected headline")
    site.php(f"wp_trash_post({first + 5});")
    site.php(f"wp_delete_post({first + 6}, true);")
    site.php(f"wp_update_post(['ID' => {first + 7}, 'post_status' => 'private']);")
    site.php(f"wp_update_post(['ID' => {ids['protected']}, 'post_password' => '']);")
    site.php(f"wp_publish_post({ids['draft']});")
    new = site.new_post("Ferry service resumes", "<p>The ferry to the island runs again from Monday.</p>")
    report = sync(archive, site.url)
    assert (report.added, report.updated, report.removed) == (3, 2, 3)
    # The sync's report counts the sentences embedded after publishing (the ferry's, the council's).
    assert report.sentences_embedded >= 2
    assert f"{report.sentences_embedded} sentences embedded" in archive.sources()[0].last_summary
    assert article_ids(archive) == {key(site, i) for i in site.public_ids()}
    assert key(site, new) in article_ids(archive) and key(site, last) in article_ids(archive)
    assert "harbour" in archive.store.article(key(site, first)).text
    assert archive.retrieve("ferry to the island", k=1)[0].article_id == key(site, new)
    assert archive.sources()[0].skipped == 0
    assert synced_state(archive.index_dir) == fresh_sync_state(tmp_path, encoder, site.url)


def test_two_sites_with_the_same_post_ids_are_both_kept(
    site: WordPressSite, other_site: WordPressSite, archive: qa.Archive, seed_file: Path
) -> None:
    archive.add([seed_file])
    files = article_ids(archive)
    sync(archive, site.url)
    sync(archive, other_site.url)
    post = site.ids["first"]
    assert site.ids == other_site.ids
    assert {key(site, post), key(other_site, post)} <= article_ids(archive)
    assert len(article_ids(archive)) == len(files) + 2 * len(site.public_ids())

    other_site.php(f"wp_delete_post({post}, true);")
    report = sync(archive, other_site.url)
    assert report.removed == 1
    assert key(site, post) in article_ids(archive) and key(other_site, post) not in article_ids(archive)
    assert files <= article_ids(archive)
    assert archive.add([seed_file], prune=True).removed == 0  # pruning files leaves synced articles alone
    assert archive.remove_source(site.url).removed == len(site.public_ids())
    assert article_ids(archive) == files | {key(other_site, i) for i in other_site.public_ids()}
    assert [s.url for s in archive.sources()] == [other_site.url]


def test_pages_only_when_asked(site: WordPressSite, archive: qa.Archive, tmp_path: Path) -> None:
    page = site.new_post("About the newsroom", "<p>The newsroom has twelve reporters.</p>", post_type="page")
    page_id = f"127.0.0.1:{site.port}/?page_id={page}"
    assert sync(archive, site.url).added == len(site.public_ids())
    assert page_id not in article_ids(archive)
    report = archive.sync(site.url, pages=True)
    pages = int(site.php('echo count(get_pages());'))  # ours and WordPress's "Sample Page"
    assert report.added == pages == 2 and page_id in article_ids(archive) and archive.sources()[0].pages
    site.php(f"wp_delete_post({page}, true);")
    assert archive.sync(site.url).removed == 1  # pages stay on, as recorded
    assert page_id not in article_ids(archive)
    # Turned off, the pages synced so far leave the archive (WordPress's "Sample Page" is still up).
    sample = f"127.0.0.1:{site.port}/?page_id={site.php('echo get_pages()[0]->ID;')}"
    assert sample in article_ids(archive)
    report = archive.sync(site.url, pages=False)
    assert (report.removed, report.added, report.updated) == (1, 0, 0) and not archive.sources()[0].pages
    assert article_ids(archive) == {key(site, i) for i in site.public_ids()}
    assert archive.sync(site.url).removed == 0
    fresh, synced = fresh_sync_state(tmp_path, archive.encoder, site.url), synced_state(archive.index_dir)
    assert (synced["articles"], synced["items"]) == (fresh["articles"], fresh["items"])


class StopsTheSite(Fetcher):
    """A fetcher that shuts the whole site down (web server and database) after `after` requests."""

    def __init__(self, site: WordPressSite, after: int) -> None:
        super().__init__(FAST)
        self.site, self.after = site, after

    def get(self, url: str, **kwargs: object):
        if self.requests == self.after:
            self.site.down()
        return super().get(url, **kwargs)


def test_a_site_stopped_mid_sync_changes_nothing(
    site: WordPressSite, archive: qa.Archive, encoder, tmp_path: Path
) -> None:
    sync(archive, site.url)
    before = synced_state(archive.index_dir)
    site.edit(site.ids["first"], post_title="Edited while the sync ran")
    new = site.new_post("Late news", "<p>Filed just before the outage.</p>")
    with pytest.raises(SyncError, match=rf"127\.0\.0\.1:{site.port}") as caught:
        sync(archive, site.url, StopsTheSite(site, after=2))  # after the id list and the changes list
    assert isinstance(caught.value, qa.QAError)
    assert synced_state(archive.index_dir) == before
    assert f"127.0.0.1:{site.port}" in archive.sources()[0].last_error
    site.up()
    report = sync(archive, site.url)
    assert (report.added, report.updated) == (1, 1) and key(site, new) in article_ids(archive)
    assert archive.sources()[0].last_error is None
    assert synced_state(archive.index_dir) == fresh_sync_state(tmp_path, encoder, site.url)


def test_a_feed_answers_304_when_nothing_changed(site: WordPressSite, archive: qa.Archive) -> None:
    feed = site.url + "feed/"
    with Fetcher(FAST) as f:
        report = sync(archive, feed, f)
    assert report.added == 9 and [s for _, s, _ in f.history] == [200, 200]  # detection, then the feed
    assert "password-protected" in report.problems[0].reason  # the 10th item: "Protected: Secret"
    with Fetcher(FAST) as f:
        report = sync(archive, feed, f)
    assert [s for _, s, _ in f.history] == [304] and report.unchanged == 10 and report.added == 0
    site.edit(site.ids["last"], post_content="<p>A correction to the last post.</p>")
    report = sync(archive, feed)
    assert (report.added, report.updated) == (0, 1)
    (source,) = archive.sources()
    assert (source.kind, source.articles, source.skipped) == ("feed", 9, 1)


def test_a_summary_only_feed_reads_each_article_page(site: WordPressSite, archive: qa.Archive) -> None:
    site.php('update_option("rss_use_excerpt", 1);')
    with Fetcher(FAST) as f:
        report = sync(archive, site.url + "?feed=rss2", f)
    pages = [u for u, _, _ in f.history if "/2023/" in u]
    assert report.added == 9 and len(pages) == 9
    article = archive.store.article(f"127.0.0.1:{site.port}/2023/01/post-12-quotes-umlauts/")
    assert article.text.startswith("Intro 12.") and "Caption 12" in article.text
    assert "Copyright" not in article.text and "By Bob" not in article.text  # the page's chrome


def test_a_sitemap_fetches_new_pages_and_drops_vanished_ones(
    site: WordPressSite, archive: qa.Archive
) -> None:
    sitemap = site.url + "wp-sitemap.xml"
    report = sync(archive, sitemap)
    public = site.public_ids()
    assert report.added == len(public) and archive.sources()[0].skipped == 1  # the protected post
    with Fetcher(FAST) as f:
        report = sync(archive, sitemap, f)
    assert report.unchanged == len(public) + 1 and all("sitemap" in u for u, _, _ in f.history)
    site.php(f"wp_delete_post({site.ids['first']}, true);")
    new = site.new_post("Harbour reopens", "<p>The harbour reopened after repairs.</p>")
    with Fetcher(FAST) as f:
        report = sync(archive, sitemap, f)
    assert (report.added, report.removed) == (1, 1)
    (page,) = [u for u, _, _ in f.history if "sitemap" not in u]  # only the new post's page
    assert page.endswith("/harbour-reopens/") and key(site, new) not in article_ids(archive)
    assert archive.store.article(url_key(page)).text == "The harbour reopened after repairs."


@pytest.mark.slow
def test_a_sync_killed_anywhere_resumes_to_the_same_archive(
    site: WordPressSite, encoder, tmp_path: Path
) -> None:
    from crash_worker import Worker

    base = tmp_path / "base"
    with qa.Archive(base, encoder=encoder) as archive:
        sync(archive, site.url)
    ids = site.ids
    site.edit(ids["first"], post_content="<p>An edit to the first post.</p>")
    site.php(f"wp_trash_post({ids['first'] + 4});")
    for n in range(7):
        site.new_post(f"New post {n}", f"<p>News item number {n} arrived after the first sync.</p>")
    worker = Worker()
    try:
        job = {"cmd": "sync", "url": site.url, "batch_posts": 3, "embed_batch": 2}
        reference = tmp_path / "reference"
        shutil.copytree(base, reference)
        done = worker.run(**job, index_dir=str(reference), result=str(tmp_path / "ref.json"))
        assert done["status"] == 0
        assert json.loads((tmp_path / "ref.json").read_text())["added"] == 7
        want = synced_state(reference)
        kills = [("fetched", 1), ("fetched", 2), ("embedded_batch", 2), ("before_commit", 1),
                 ("after_commit", 2), ("synced_batch", 1), ("synced_batch", 3)]
        for crash_at, nth in kills:
            target = tmp_path / f"killed-{crash_at}-{nth}"
            shutil.copytree(base, target)
            result = str(target) + ".json"
            killed = worker.run(
                **job, index_dir=str(target), result=result, crash_at=crash_at, crash_nth=nth
            )
            assert killed["signal"] == 9, (crash_at, nth)
            with qa.Archive(target, encoder=encoder, create=False) as archive:
                assert archive.store.integrity_problems() == []
            assert worker.run(**job, index_dir=str(target), result=result)["status"] == 0
            assert synced_state(target) == want, (crash_at, nth)
    finally:
        worker.close()
