"""The 评估 tab: the latest evaluation report and its chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from assistant.core.settings import Settings


def evaluation_tab(settings: Settings) -> tuple:
    """The evaluation tab inside the caller's `gr.Tab`; returns its load function and outputs for page load."""

    def load_report():
        return evaluation_view(settings)

    report_md = gr.Markdown()
    report_img = gr.Image(label="评估图表", interactive=False, visible=False,
                          buttons=["download", "fullscreen"])
    gr.Button("刷新报告", size="sm").click(load_report, None, [report_md, report_img],
                                          api_name="evaluation")
    return load_report, [report_md, report_img]


def evaluation_view(settings: Settings) -> tuple[str, Any]:
    """The evaluation report and its chart if `assistant eval` has written them, else how to get them."""
    folder = Path(settings.eval_dir)
    report = folder / "report.md"
    if not report.is_file():
        return ("还没有评估报告。在项目目录运行 `assistant eval`（或 `make eval`）即可生成，"
                "之后点击“刷新报告”。"), gr.update(visible=False, value=None)
    charts = sorted(folder.glob("report*.png")) or sorted(folder.glob("*.png"))
    image = gr.update(visible=True, value=str(charts[0])) if charts else gr.update(visible=False, value=None)
    return report.read_text(encoding="utf-8"), image
