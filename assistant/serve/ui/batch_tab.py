"""The 批量问答 tab: a file of questions in, an .xlsx and a .jsonl of answers out."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import gradio as gr
import pandas as pd

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings
from assistant.core.types import Answer, Turn
from assistant.serve.batch import run_batch
from assistant.serve.batch_files import read_questions
from assistant.serve.ui.common import file_path, ok, warn
from assistant.serve.ui.render import batch_summary

BATCH_TYPES = [".xlsx", ".csv", ".jsonl"]


def batch_tab(settings: Settings, engine) -> None:
    """The batch tab's components and events, inside the caller's `gr.Tab`."""

    def run_batch_file(file, progress=gr.Progress()):  # noqa: B008 (Gradio idiom)
        if file is None:
            return warn("请先上传问题文件（.xlsx / .csv / .jsonl）。"), None, gr.update(visible=False)
        path = file_path(file)
        if path.suffix.lower() not in BATCH_TYPES:
            msg = f"不支持“{path.suffix or '无扩展名'}”格式：请上传 .xlsx、.csv 或 .jsonl 文件。"
            return warn(msg), None, gr.update(visible=False)
        try:
            rows = read_questions(path, max_rows=settings.max_batch_rows,
                                  max_chars=settings.max_question_chars)
            out_dir = Path(settings.data_dir) / "batch"
            out_dir.mkdir(parents=True, exist_ok=True)
            out = out_dir / f"{path.stem}-结果-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
            cached = _AnswerOnce(engine)

            def say(done: int, total: int) -> None:
                progress(done / max(total, 1), desc=f"已完成 {done}/{total} 题")

            summary = run_batch(cached, rows, out, say, resume=False)
            run_batch(cached, rows, out.with_suffix(".xlsx"), resume=False)  # replays the same answers
        except AssistantError as e:
            return warn(str(e)), None, gr.update(visible=False)
        files = [str(out.with_suffix(".xlsx")), str(out)]
        preview = _preview(out.with_suffix(".xlsx"))
        return ok(batch_summary(summary)), files, gr.update(value=preview, visible=preview is not None)

    gr.Markdown(
        "上传一个问题文件，逐条作答后生成 **Excel** 和 **JSONL** 结果文件。\n\n"
        "- 支持 `.xlsx`、`.csv`、`.jsonl`；"
        "问题放在名为“问题”（或 `question`）的列，没有该列时取第一列。\n"
        f"- 每个文件最多 {settings.max_batch_rows} 条问题。"
    )
    with gr.Row():
        with gr.Column(scale=1):
            batch_in = gr.File(label="问题文件（.xlsx / .csv / .jsonl）", file_count="single",
                               height=180)
            batch_btn = gr.Button("开始批量问答", variant="primary")
        with gr.Column(scale=1):
            batch_status = gr.Markdown(elem_classes="mz-status")
            batch_out = gr.File(label="下载结果", file_count="multiple", interactive=False,
                                height=170)
    batch_preview = gr.Dataframe(label="结果预览（前20条）", interactive=False, wrap=True,
                                 visible=False, elem_classes="mz-table")
    batch_btn.click(run_batch_file, [batch_in], [batch_status, batch_out, batch_preview],
                    api_name="batch")


class _AnswerOnce:
    """The engine, asked once per question: one batch run can then be written to two files."""

    def __init__(self, engine):
        self.engine = engine
        self.answers: dict[tuple, Answer] = {}

    def ask(self, question: str, history: Sequence[Turn | str] = ()) -> Answer:
        key = (question, tuple(str(h) for h in history))
        if key not in self.answers:
            self.answers[key] = self.engine.ask(question, history)
        return self.answers[key]



def _preview(path: Path, n: int = 20):
    """The first rows of a result workbook for the preview table."""
    try:
        return pd.read_excel(path, dtype=str).fillna("").head(n)
    except (OSError, ValueError):
        return None

