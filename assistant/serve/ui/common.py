"""Small helpers the tabs share: status lines with a toast, Gradio progress, uploaded file paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr


def progress_fn(progress: gr.Progress):
    def say(frac: float, msg: str = "") -> None:
        progress(min(max(frac, 0.0), 1.0), desc=msg)
    return say


def file_path(f: Any) -> Path:
    return Path(f if isinstance(f, (str, Path)) else getattr(f, "path", None) or f.name)


def ok(msg: str) -> str:
    return f"✓ {msg}"


def warn(msg: str) -> str:
    gr.Warning(msg, title="注意")
    return f"⚠ {msg}"
