"""The chat's Sources panel: escaped, and "Sync now" only where the operator allowed it."""

from __future__ import annotations

from datetime import UTC, datetime

import qa
from qa.sync.schedule import BackgroundSync
from qa.ui.layout import build_app
from qa.ui.sources import render_sources


def _elem_ids(demo) -> set[str]:
    return {c.get("props", {}).get("elem_id") for c in demo.config["components"]}


def test_sources_render_as_text() -> None:
    hostile = qa.Source(
        url="http://evil.test/<script>alert(1)</script>", kind="feed", articles=3,
        last_sync=datetime(2026, 1, 2, 3, 4, tzinfo=UTC), last_error='<img src=x onerror="alert(2)">',
    )
    shown = render_sources([hostile], None)
    assert "<script>" not in shown and "<img" not in shown and "&#60;script&#62;" in shown
    assert "3 articles, last sync 2026-01-02 03&#58;04 UTC" in shown and "last error" in shown
    assert "No synced sources" in render_sources([], None)


def test_sync_now_only_with_controls(seed_archive: qa.Archive) -> None:
    sync = BackgroundSync(seed_archive, every=900)  # never started: nothing is fetched
    assert "qa-sync-now" in _elem_ids(build_app(seed_archive, sync=sync, sync_controls=True))
    assert "qa-sync-now" not in _elem_ids(build_app(seed_archive, sync=sync, sync_controls=False))
    assert "qa-sync-now" not in _elem_ids(build_app(seed_archive))
    assert "qa-sources-panel" in _elem_ids(build_app(seed_archive))
    assert "every 15 min" in render_sources([], sync)
