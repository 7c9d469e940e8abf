"""The admin app's 用户反馈 and 操作记录 tabs: review and export users' ratings; what admins did."""

from __future__ import annotations

import shutil
import tempfile
import threading
from datetime import datetime
from pathlib import Path

import gradio as gr

from assistant.core.settings import Settings
from assistant.serve.auth import audit, read_audit
from assistant.serve.feedback import (
    RATING_ZH,
    Feedback,
    count_feedback,
    export_feedback,
    list_feedback,
    sources_text,
)

RATINGS = {"全部": None, "👍 有用": 1, "👎 没用": -1}
FEEDBACK_HEADERS = ["编号", "时间", "评价", "问题", "回答", "来源", "说明"]
AUDIT_HEADERS = ["时间（UTC）", "管理员", "来自", "操作", "内容", "结果"]
REVIEW_ROWS = 200
EXPORT_KEPT_SECONDS = 120


def _who(request: gr.Request | None) -> tuple[str, str]:
    name = getattr(request, "username", None) or "unknown"
    client = getattr(getattr(request, "client", None), "host", "") or ""
    return name, client


def _clip(text: str, n: int = 300) -> str:
    text = str(text or "")
    return text if len(text) <= n else text[:n] + "…"


def local_time(iso: str | None) -> str:
    """A stored UTC time as the server's local time, to the second (2026-12-02 14:22:43)."""
    try:
        return datetime.fromisoformat(str(iso)).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return str(iso or "")


def feedback_table(items: list[Feedback]) -> list[list]:
    """Review rows: id, local time, 👍/👎, question, answer and sources (clipped), comment."""
    return [[fb.id, local_time(fb.updated_at or fb.created_at), RATING_ZH.get(fb.rating, str(fb.rating)),
             _clip(fb.question), _clip(fb.answer_text), _clip(sources_text(fb.citations), 200), _clip(fb.comment)]
            for fb in items]


def audit_table(entries: list[dict]) -> list[list]:
    return [[e.get("at", ""), e.get("who", ""), e.get("client", ""), e.get("action", ""), _clip(e.get("detail", "")),
             "成功" if e.get("ok") else "失败"] for e in entries]


def feedback_tab(settings: Settings) -> tuple:
    """The feedback review tab inside the caller's `gr.Tab`; returns its load function and outputs."""

    def review(choice: str, request: gr.Request):
        rating = RATINGS.get(choice)
        who, client = _who(request)
        audit(settings, who, client, "feedback", f"review {choice}")
        items = list_feedback(settings, REVIEW_ROWS, 0, rating)
        counts = count_feedback(settings)
        total = counts[rating] if rating else sum(counts.values())
        return (f"共 {total} 条反馈（👍 {counts[1]}，👎 {counts[-1]}），显示最新的 {len(items)} 条。",
                feedback_table(items))

    def export(choice: str, request: gr.Request):
        rating = RATINGS.get(choice)
        who, client = _who(request)
        audit(settings, who, client, "feedback", f"export {choice}")
        folder = Path(tempfile.mkdtemp(prefix="mz-feedback-"))
        out = folder / "用户反馈.csv"
        out.write_text(export_feedback(settings, "csv", rating), encoding="utf-8")
        # Gradio copies the file into its cache as soon as this returns; the copy here is not kept.
        threading.Timer(EXPORT_KEPT_SECONDS, shutil.rmtree, (folder,), {"ignore_errors": True}).start()
        return str(out)

    with gr.Row(equal_height=True):
        choice = gr.Radio(list(RATINGS), value="全部", label="评价", scale=3)
        show_btn = gr.Button("查看", scale=1, min_width=90)
        export_btn = gr.Button("导出 CSV", scale=1, min_width=110)
    summary = gr.Markdown()
    table = gr.Dataframe(headers=FEEDBACK_HEADERS, interactive=False, wrap=True, elem_classes="mz-table",
                         column_widths=["6%", "13%", "6%", "25%", "35%", "15%"])
    download = gr.File(label="导出的文件", interactive=False)
    show_btn.click(review, [choice], [summary, table], api_name="feedback")
    export_btn.click(export, [choice], [download], api_name="export_feedback")
    def load(request: gr.Request):
        return review("全部", request)

    return load, [summary, table]


def audit_tab(settings: Settings) -> tuple:
    """The admin actions log, newest first; returns its load function and output."""

    def load():
        return audit_table(read_audit(settings, 200))

    table = gr.Dataframe(headers=AUDIT_HEADERS, interactive=False, wrap=True, elem_classes="mz-table")
    gr.Button("刷新", size="sm").click(load, None, [table], api_name="audit_log")
    return load, [table]
