"""The browser chat: `python app.py` (or `qa serve`). The chat itself lives in the `qa.ui` package."""

import sys

from qa.config import gradio_port_from_env
from qa.errors import SettingsError

if __name__ == "__main__":
    try:  # before Gradio is imported: it reads GRADIO_SERVER_PORT then, and fails with a traceback
        gradio_port_from_env()
    except SettingsError as exc:
        sys.exit(f"error: {exc}")

from qa.ui import build_app, launch, main, run  # noqa: E402 - after the check above

__all__ = ["build_app", "launch", "main"]

if __name__ == "__main__":
    run()
