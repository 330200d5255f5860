"""The browser chat: `python app.py` (or `qa serve`). The chat itself lives in the `qa.ui` package."""

from qa.ui import build_app, launch, main, run

__all__ = ["build_app", "launch", "main"]

if __name__ == "__main__":
    run()
