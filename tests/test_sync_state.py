"""How sources are recorded: the store's format-3 migration, one spelling per source URL,
and how a source's kind is told from its first answer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from qa.store import FORMAT_VERSION, Store
from qa.sync.run import xml_root
from qa.sync.state import normalize_url, url_key


def test_a_format_2_store_gains_the_source_tables(tmp_path: Path) -> None:
    Store(tmp_path / "index").close()
    with sqlite3.connect(tmp_path / "index" / "archive.sqlite") as db:
        db.executescript("DROP TABLE sentence_embeddings; DROP TABLE source_items; DROP TABLE sources; "
                         "ALTER TABLE articles DROP COLUMN published_offset; "
                         "ALTER TABLE articles DROP COLUMN modified_offset; "
                         "UPDATE meta SET value = '2' WHERE key = 'format_version';")
    store = Store(tmp_path / "index")
    assert store.meta("format_version") == str(FORMAT_VERSION) == "6"
    tables = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sources", "source_items"} <= tables
    assert store.synced_article_ids() == set() and store.integrity_problems() == []
    store.close()


@pytest.mark.parametrize(("given", "normal", "key"), [
    ("HTTP://Example.COM", "http://example.com/", "example.com/"),
    ("https://example.com:443/blog/", "https://example.com/blog/", "example.com/blog/"),
    ("http://127.0.0.1:8080/2023/01/post/#comments", "http://127.0.0.1:8080/2023/01/post/",
     "127.0.0.1:8080/2023/01/post/"),
    ("http://news.test/?feed=rss2", "http://news.test/?feed=rss2", "news.test/?feed=rss2"),
])
def test_one_spelling_per_source(given: str, normal: str, key: str) -> None:
    assert normalize_url(given) == normal
    assert url_key(given) == key


@pytest.mark.parametrize(("body", "root"), [
    (b'<?xml version="1.0"?>\n<?xml-stylesheet href="x.xsl"?><urlset xmlns="x"/>', b"urlset"),
    (b'\xef\xbb\xbf<!-- generator --><sitemapindex/>', b"sitemapindex"),
    (b'<rss version="2.0"><channel/></rss>', b"rss"),
    (b'<feed xmlns="http://www.w3.org/2005/Atom"/>', b"feed"),
    (b'<rdf:RDF xmlns:rdf="x"/>', b"RDF"),
    (b"<!doctype html><html><body>home</body></html>", b"html"),
    (b'{"namespaces": ["wp/v2"]}', None),
])
def test_a_source_kind_is_told_by_its_root_element(body: bytes, root: bytes | None) -> None:
    assert xml_root(body) == root
