"""The browser chat over `qa.Archive`: HTML rendering (render), handlers without Gradio
(handlers), the Gradio layout (layout) and serving it (serve). `python app.py` and `qa serve`
start it."""

from qa.ui.layout import build_app, launch
from qa.ui.serve import main, run

__all__ = ["build_app", "launch", "main", "run"]
