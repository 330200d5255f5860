"""The chat's "Sources" panel: the synced sources, their last sync and error, the background
sync's status, and (only where the operator allowed it) a "Sync now" button.

Sources are chosen by the operator (`qa sync URL`, the Python API, the server's settings), never
from the chat: the panel can only re-sync what is already recorded. Every string is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import gradio as gr

from qa.archive import Archive
from qa.sync.schedule import BackgroundSync
from qa.types import Source
from qa.ui.render import escape_text

REFRESH_SECONDS = 15


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def render_sync_status(sync: BackgroundSync | None) -> str:
    if sync is None:
        return "Sources are synced from the command line (qa sync)."
    minutes = sync.every / 60
    every = f"{minutes:g} min" if minutes < 120 else f"{minutes / 60:g} h"
    if sync.running:
        return f"Background sync every {every}: syncing now…"
    return f"Background sync every {every}: last run {_when(sync.last_run)}, next {_when(sync.next_run)}"


def render_sources(sources: Sequence[Source], sync: BackgroundSync | None) -> str:
    """The sources as an HTML list (URLs shown as text, not links) under the sync status."""
    parts = [f'<div class="qa-sources-panel"><p class="qa-note">{escape_text(render_sync_status(sync))}</p>']
    if not sources:
        parts.append('<p class="qa-note">No synced sources. Add one with: qa sync URL</p>')
    else:
        parts.append("<ul>")
        for s in sources:
            line = f"{s.url} ({s.kind}): {s.articles:,} articles, last sync {_when(s.last_sync)}"
            item = escape_text(line)
            if s.last_error:
                item += f'<br><span class="qa-error">last error: {escape_text(s.last_error)}</span>'
            parts.append(f"<li>{item}</li>")
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


def sources_panel(archive: Archive, sync: BackgroundSync | None, *, controls: bool) -> gr.HTML:
    """Build the panel inside the current Blocks column; returns its HTML component.

    `controls`: show "Sync now" (only with a background sync, and only when the server is
    local or requires a password).
    """

    def shown() -> str:
        return render_sources(archive.sources(), sync)

    with gr.Accordion("Sources", open=False):
        panel = gr.HTML(shown(), elem_id="qa-sources-panel")
        if controls and sync is not None:
            now = gr.Button("Sync now", size="sm", elem_id="qa-sync-now")

            def sync_now() -> str:
                sync.run_now()
                return shown()

            now.click(sync_now, None, panel, api_visibility="private", concurrency_limit=1)
        gr.Timer(REFRESH_SECONDS).tick(shown, None, panel, api_visibility="private", queue=False)
    return panel
