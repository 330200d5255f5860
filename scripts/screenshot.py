"""Regenerate docs/chat.png: the chat answering the seed question, in Chromium, over the sample archive.

    python scripts/screenshot.py [--output docs/chat.png] [--width 1280] [--height 900]

Builds a temporary index from the bundled sample articles, serves the app on a free loopback port,
asks "What was agreed in Jinan?" in headless Chromium (Debian's /usr/bin/chromium through
Playwright; never `playwright install`), and saves a screenshot of the answer.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

import app
import qa
from qa.ui.serve import sample_archive_dir

REPO = Path(__file__).resolve().parents[1]
QUESTION = "What was agreed in Jinan?"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


SCROLL_CHAT_TO_TOP = """
answer => {
  let s = answer.parentElement;
  while (s && !(s.scrollHeight > s.clientHeight && /(auto|scroll)/.test(getComputedStyle(s).overflowY))) {
    s = s.parentElement;
  }
  if (s) s.scrollTop = 0;
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def capture(url: str, output: Path, *, width: int, height: int, chromium: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
        page.goto(url)
        page.wait_for_selector("#qa-question textarea")  # not network idle: Gradio keeps a stream open
        box = page.locator("#qa-question textarea")
        box.fill(QUESTION)
        box.press("Enter")
        page.wait_for_selector("#qa-chat .qa-final", timeout=120_000)
        page.locator("#qa-question textarea").blur()
        page.wait_for_timeout(500)  # let the chat finish its own scrolling first
        # Show the conversation from its start: the question, the answer, then its sources.
        page.locator("#qa-chat .qa-final").first.evaluate(SCROLL_CHAT_TO_TOP)
        page.wait_for_timeout(300)
        output.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(output))
        browser.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "chat.png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qa-screenshot-") as tmp:
        archive = qa.Archive(Path(tmp) / "index")
        print("Indexing the sample archive …", file=sys.stderr)
        print(archive.add([sample_archive_dir()]).summary(), file=sys.stderr)
        demo = app.build_app(archive)
        url = app.launch(demo, port=free_port(), blocked_paths=[archive.index_dir], prevent_thread_lock=True,
                         quiet=True)
        try:
            capture(url, args.output, width=args.width, height=args.height, chromium=args.chromium)
        finally:
            demo.close()
            archive.close()
    print(f"Saved {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
