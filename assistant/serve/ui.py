"""The Gradio app: chat, batch files, knowledge base and evaluation tabs over one Engine.

Thin on purpose: every answer, hit and document list comes from the Engine; this module only
renders them (HTML-escaped, with the cited figure marked) and wires the events.
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings
from assistant.core.types import Answer, BuildReport, Citation, Hit, Turn
from assistant.ingest.corpus import SUPPORTED_EXTENSIONS, delete_document, list_files, save_upload
from assistant.serve.feedback import add_comment, record_feedback

TITLE = "民政政策问答助手"
EXAMPLES = [
    "普陀2024年新增多少养老床位？",
    "那宝山2022年呢？",
    "长宁和宝山2022年一共新增多少养老床位？",
    "2022年哪个区新增养老床位最多？",
    "徐汇区2024年新增多少养老床位？",
]
BATCH_TYPES = [".xlsx", ".csv", ".jsonl"]
DOC_HEADERS = ["标题", "文件", "发文单位", "文号", "区域", "年份", "类型", "日期", "分块数", "数字数"]
HIT_HEADERS = ["排名", "文档", "章节", "关键词分", "向量分", "融合分", "片段"]

CSS = """
.gradio-container { max-width: 1200px !important; margin: 0 auto !important; width: 100% !important; }
#mz-header { padding: 2px 4px 0; }
#mz-header h1 { font-size: 1.5rem; font-weight: 700; margin: 0; }
#mz-header p { margin: 4px 0 0; color: var(--body-text-color-subdued); font-size: .95rem; }
.mz-src { border-left: 3px solid var(--color-accent); background: var(--background-fill-secondary);
  border-radius: 6px; padding: 8px 12px; margin: 6px 0; }
.mz-src-head { font-weight: 600; font-size: 15px; }
.mz-src-n { display: inline-block; min-width: 1.4em; color: var(--color-accent); }
.mz-src-sec { color: var(--body-text-color-subdued); font-size: 13px; margin-top: 2px; }
.mz-quote { margin: 6px 0 0; line-height: 1.75; font-size: 15px; }
.mz-quote mark, .mz-answer strong { background: #ffe58f; color: #1f1f1f; padding: 0 2px; border-radius: 3px;
  font-weight: 600; font-size: inherit; }
.mz-understood { color: var(--body-text-color-subdued); font-size: .9em; margin-top: 6px; }
.mz-note { color: var(--body-text-color-subdued); font-size: .9em; margin-top: 4px; }
.mz-meta { color: var(--body-text-color-subdued); font-size: .78em; margin-top: 6px; }
.mz-refused { border-left: 3px solid #d9822b; padding-left: 10px; }
.mz-status { min-height: 1.5em; }
.mz-table table, .mz-table td, .mz-table th, .mz-table span { font-family: var(--font) !important; }
footer { display: none !important; }
"""


def theme() -> gr.themes.Base:
    """A calm theme with system CJK fonts (nothing fetched from the internet)."""
    return gr.themes.Soft(
        primary_hue="blue",
        neutral_hue="slate",
        font=["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    )


def launch_kwargs(settings: Settings) -> dict[str, Any]:
    """What `launch()` / `gr.mount_gradio_app()` need besides the Blocks (Gradio 6 moved theme/css there)."""
    return {"theme": theme(), "css": CSS, "allowed_paths": [str(settings.data_dir), str(settings.eval_dir)]}


# ---------------------------------------------------------------- rendering (pure functions)

def _esc(text: str | None) -> str:
    return html.escape(text or "", quote=False)


def highlight_html(citation: Citation) -> str:
    """The quoted passage, HTML-escaped, with the cited figure in a <mark>."""
    text = citation.text
    if citation.highlight:
        a, b = citation.highlight
        if 0 <= a < b <= len(text):
            return f"{_esc(text[:a])}<mark>{_esc(text[a:b])}</mark>{_esc(text[b:])}"
    return _esc(text)


def citation_html(citation: Citation, n: int) -> str:
    """One source: document title, section path and the quoted passage."""
    section = _esc(citation.section) or "正文"
    return (
        f'<div class="mz-src"><div class="mz-src-head"><span class="mz-src-n">[{n}]</span>'
        f"《{_esc(citation.doc_title)}》</div>"
        f'<div class="mz-src-sec">{section}</div>'
        f'<div class="mz-quote">{highlight_html(citation)}</div></div>'
    )


def sources_html(citations: Sequence[Citation]) -> str:
    """All sources of an answer, numbered."""
    return "".join(citation_html(c, i) for i, c in enumerate(citations, 1))


def answer_html(answer: Answer, followup: bool) -> str:
    """The reply as the chat shows it: text, how a follow-up was understood, notes, timing."""
    body = _esc(answer.text)
    figure = _esc(answer.as_written)
    if figure and not answer.refused and figure in body:  # the figure the answer stands on, in bold
        body = body.replace(figure, f"<strong>{figure}</strong>", 1)
    body = body.replace("\n", "<br>")
    parts = [f'<div class="{"mz-refused" if answer.refused else "mz-answer"}">{body}</div>']
    if followup and answer.understood_as:
        parts.append(f'<div class="mz-understood">理解为：{_esc(answer.understood_as)}</div>')
    parts += [f'<div class="mz-note">{_esc(note)}</div>' for note in answer.notes]
    if answer.latency_ms is not None:
        ms = answer.latency_ms
        took = f"{ms:.0f} 毫秒" if ms < 1000 else f"{ms / 1000:.1f} 秒"
        parts.append(f'<div class="mz-meta">用时 {took}</div>')
    return "".join(parts)


def chat_messages(exchanges: Sequence[tuple[str, Answer]], pending: str | None = None,
                  partial: str | None = None) -> list[dict]:
    """The chatbot's messages for a session: each question, its answer and (folded) its sources."""
    messages: list[dict] = []
    for i, (question, answer) in enumerate(exchanges):
        messages.append({"role": "user", "content": question})
        messages.append({"role": "assistant", "content": answer_html(answer, followup=i > 0)})
        if answer.citations:
            title = "来源" if not answer.refused else "文件中相关的内容（并非直接答案）"
            messages.append({
                "role": "assistant",
                "content": sources_html(answer.citations),
                "metadata": {"title": f"{title} · {len(answer.citations)} 处"},
            })
    if pending is not None:
        messages.append({"role": "user", "content": pending})
        if partial:
            messages.append({"role": "assistant", "content": _esc(partial)})
    return messages


def exchange_at(exchanges: Sequence[tuple[str, Answer]], message_index: int) -> int | None:
    """Which exchange the chat message at `message_index` belongs to (None if out of range)."""
    seen = 0
    for i, (_, answer) in enumerate(exchanges):
        seen += 3 if answer.citations else 2
        if message_index < seen:
            return i
    return None


def documents_table(engine) -> list[list[Any]]:
    """The knowledge-base list: one row per indexed document."""
    rows = []
    for d in engine.documents():
        m = d.meta
        ys = sorted(m.years)
        consecutive = len(ys) > 2 and ys == list(range(ys[0], ys[-1] + 1))
        years = f"{ys[0]}–{ys[-1]}" if consecutive else "、".join(str(y) for y in ys)
        rows.append([m.title, d.source, m.issuer or "", m.doc_number or "", m.district or "", years,
                     m.doc_type or "", m.date or "", d.chunks, d.facts])
    return rows


def _clip(text: str, n: int = 180) -> str:
    return text if len(text) <= n else f"{text[:n]}…（共{len(text)}字）"


def _score(x: float | None) -> str:
    return "—" if x is None else f"{x:.4f}"


def hits_table(hits: Sequence[Hit]) -> list[list[Any]]:
    """Retrieval-test rows: where each chunk comes from and the scores that ranked it."""
    return [
        [h.rank or i, h.chunk.doc_title, h.chunk.section_str or "正文", _score(h.keyword_score),
         _score(h.dense_score), _score(h.score), _clip(h.chunk.text)]
        for i, h in enumerate(hits, 1)
    ]


def build_summary(report: BuildReport) -> str:
    """One Chinese line about an index build."""
    line = (f"索引已更新：{report.documents} 份文档，{report.chunks} 个分块，{report.facts} 个数字，"
            f"新计算向量 {report.embedded} 个，用时 {report.seconds:.1f} 秒。")
    if report.skipped:
        line += "\n\n未能收录：" + "；".join(report.skipped)
    return line


def _progress_fn(progress: gr.Progress):
    def say(frac: float, msg: str = "") -> None:
        progress(min(max(frac, 0.0), 1.0), desc=msg)
    return say


def _file_path(f: Any) -> Path:
    return Path(f if isinstance(f, (str, Path)) else getattr(f, "path", None) or f.name)


def _ok(msg: str) -> str:
    return f"✓ {msg}"


def _warn(msg: str) -> str:
    gr.Warning(msg)
    return f"⚠ {msg}"


# ---------------------------------------------------------------- the app

def build_ui(settings: Settings, engine) -> gr.Blocks:
    """The whole Gradio app over one Engine; launch it or mount it with `launch_kwargs()`."""

    def respond(message: str, exchanges: list):
        question = (message or "").strip()
        exchanges = list(exchanges or [])
        if not question:
            gr.Warning("请输入一个问题，例如“普陀2024年新增多少养老床位？”")
            yield chat_messages(exchanges), exchanges, message, gr.update()
            return
        history = [Turn(question=q, query=a.query, answer_text=a.text) for q, a in exchanges]
        yield chat_messages(exchanges, pending=question), exchanges, "", gr.update(visible=False)
        partial, final = "", None
        try:
            for item in engine.ask_stream(question, history):
                if isinstance(item, Answer):
                    final = item
                else:
                    partial += item
                    shown = chat_messages(exchanges, pending=question, partial=partial)
                    yield shown, exchanges, "", gr.update()
        except AssistantError as e:
            gr.Warning(str(e))
            final = Answer(question=question, text=str(e), refused=True, reason="error")
        if final is None:  # the engine promises a final Answer; show what came if it did not
            final = Answer(question=question, text=partial or "没有得到回答，请重试。", refused=True)
        exchanges.append((question, final))
        yield chat_messages(exchanges), exchanges, "", gr.update()

    def new_chat():
        return [], [], "", None, gr.update(visible=False), ""

    def on_like(exchanges: list, data: gr.LikeData):
        i = exchange_at(exchanges or [], data.index if isinstance(data.index, int) else data.index[0])
        if i is None or data.liked not in (True, False):
            return None, gr.update(visible=False), ""
        question, answer = exchanges[i]
        fid = record_feedback(settings, question, answer.text, 1 if data.liked else -1, "", answer.citations)
        gr.Info("谢谢反馈！如愿意，可在下方补充说明。")
        return fid, gr.update(visible=True), ""

    def on_comment(fid: int | None, comment: str):
        if fid is None or not (comment or "").strip():
            gr.Warning("请先点赞或点踩，再填写说明。" if fid is None else "说明是空的。")
            return gr.update(), comment
        add_comment(settings, fid, comment)
        gr.Info("说明已保存，谢谢！")
        return gr.update(visible=False), ""

    def run_batch_file(file, progress=gr.Progress()):  # noqa: B008 (Gradio idiom)
        from assistant.serve.batch import read_questions, run_batch

        if file is None:
            return _warn("请先上传问题文件（.xlsx / .csv / .jsonl）。"), None, gr.update(visible=False)
        path = _file_path(file)
        if path.suffix.lower() not in BATCH_TYPES:
            msg = f"不支持“{path.suffix or '无扩展名'}”格式：请上传 .xlsx、.csv 或 .jsonl 文件。"
            return _warn(msg), None, gr.update(visible=False)
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
            return _warn(str(e)), None, gr.update(visible=False)
        files = [str(out.with_suffix(".xlsx")), str(out)]
        preview = _preview(out.with_suffix(".xlsx"))
        return _ok(batch_summary(summary)), files, gr.update(value=preview, visible=preview is not None)

    def refresh_documents():
        files = [p.name for p in list_files(settings)]  # what is on disk, indexed or not
        return documents_table(engine), gr.update(choices=files, value=None)

    def rebuild(progress=gr.Progress()):  # noqa: B008
        try:
            report = engine.rebuild(_progress_fn(progress))
        except AssistantError as e:
            return (_warn(str(e)), *refresh_documents())
        return (_ok(build_summary(report)), *refresh_documents())

    def upload_documents(files, progress=gr.Progress()):  # noqa: B008
        if not files:
            return (_warn("请先选择要上传的文件。"), *refresh_documents(), None)
        saved, errors = [], []
        for f in files:
            path = _file_path(f)
            try:
                saved.append(save_upload(settings, path.name, path.read_bytes()).name)
            except AssistantError as e:
                errors.append(str(e))
        lines = []
        if saved:
            lines.append(f"已添加：{'、'.join(saved)}。")
            try:
                lines.append(build_summary(engine.rebuild(_progress_fn(progress))))
            except AssistantError as e:
                errors.append(str(e))
        for e in errors:
            gr.Warning(e)
        status = "\n\n".join([_ok(x) for x in lines] + [f"⚠ {e}" for e in errors])
        return (status, *refresh_documents(), None)

    def remove_document(source: str | None, progress=gr.Progress()):  # noqa: B008
        if not source:
            return (_warn("请先在下拉框中选择要删除的文档。"), *refresh_documents())
        try:
            delete_document(settings, source)
            report = engine.rebuild(_progress_fn(progress))
        except AssistantError as e:
            return (_warn(str(e)), *refresh_documents())
        return (_ok(f"已删除：{source}。{build_summary(report)}"), *refresh_documents())

    def search(text: str, k: float):
        if not (text or "").strip():
            gr.Warning("请输入要检索的内容。")
            return []
        try:
            return hits_table(engine.search(text.strip(), int(k)))
        except AssistantError as e:
            gr.Warning(str(e))
            return []

    def load_report():
        return evaluation_view(settings)

    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_width=True) as demo:
        gr.HTML(
            f'<div id="mz-header"><h1>{TITLE}</h1>'
            "<p>依据上海市及各区民政局公开文件作答，每个数字都附原文出处；文件里没有的，会直接说明。</p></div>"
        )
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                exchanges = gr.State([])
                feedback_id = gr.State(None)
                chatbot = gr.Chatbot(
                    show_label=False,
                    height="58vh",
                    min_height=320,
                    buttons=["copy", "copy_all"],
                    feedback_options=("Like", "Dislike"),
                    placeholder="**请输入问题**<br>例如：普陀2024年新增多少养老床位？可以接着追问“那宝山2022年呢？”",
                    elem_id="mz-chat",
                )
                with gr.Row(equal_height=True):
                    msg = gr.Textbox(
                        show_label=False,
                        placeholder="请输入问题，按回车发送",
                        submit_btn="发送",
                        scale=9,
                        autofocus=True,
                        max_length=settings.max_question_chars,
                    )
                    new_btn = gr.Button("新对话", scale=1, min_width=110)
                with gr.Row(visible=False) as comment_row:
                    comment = gr.Textbox(show_label=False, scale=8,
                                         placeholder="补充说明（可选）：哪里不对？正确的答案或出处是什么？")
                    comment_btn = gr.Button("提交说明", scale=1, min_width=110)
                examples = gr.Examples(EXAMPLES, inputs=msg, label="示例问题（点击即问）")

                chat_io = dict(fn=respond, inputs=[msg, exchanges],
                               outputs=[chatbot, exchanges, msg, comment_row])
                msg.submit(**chat_io, api_name="chat")
                examples.load_input_event.then(**chat_io, api_visibility="private")
                new_btn.click(new_chat, None, [chatbot, exchanges, msg, feedback_id, comment_row, comment],
                              api_visibility="private")
                chatbot.clear(new_chat, None, [chatbot, exchanges, msg, feedback_id, comment_row, comment],
                              api_visibility="private")
                chatbot.like(on_like, [exchanges], [feedback_id, comment_row, comment],
                             api_visibility="private")
                comment_btn.click(on_comment, [feedback_id, comment], [comment_row, comment],
                                  api_visibility="private")

            with gr.Tab("批量问答", id="batch"):
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

            with gr.Tab("知识库", id="kb"):
                kb_status = gr.Markdown(elem_classes="mz-status")
                docs = gr.Dataframe(headers=DOC_HEADERS, label="知识库文档", interactive=False, wrap=True,
                                    elem_classes="mz-table",
                                    value=lambda: documents_table(engine),
                                    column_widths=["20%", "17%", "12%", "11%", "7%", "9%", "7%", "7%", "5%",
                                                   "5%"])
                with gr.Row():
                    with gr.Column(scale=3):
                        uploads = gr.File(label=f"上传新文档（{' '.join(SUPPORTED_EXTENSIONS)}）",
                                          file_count="multiple", height=150)
                        upload_btn = gr.Button("上传并更新索引", variant="primary")
                    with gr.Column(scale=2):
                        to_delete = gr.Dropdown(label="删除文档", choices=[], value=None)
                        delete_btn = gr.Button("删除并更新索引", variant="stop")
                        with gr.Row():
                            refresh_btn = gr.Button("刷新列表")
                            rebuild_btn = gr.Button("重建索引")
                gr.Markdown("### 检索测试\n输入一句话，查看检索到的分块及其关键词分、向量分和融合分。")
                with gr.Row(equal_height=True):
                    query = gr.Textbox(show_label=False, placeholder="例如：普陀 养老床位 2024", scale=7)
                    top_k = gr.Slider(1, 20, value=settings.top_k, step=1, label="返回条数", scale=2)
                    search_btn = gr.Button("检索", scale=1, min_width=90)
                hits = gr.Dataframe(headers=HIT_HEADERS, label="检索结果", interactive=False, wrap=True,
                                    column_widths=["6%", "15%", "18%", "8%", "8%", "8%", "37%"],
                                    elem_classes="mz-table")

                refresh_btn.click(refresh_documents, None, [docs, to_delete], api_name="documents")
                rebuild_btn.click(rebuild, None, [kb_status, docs, to_delete], api_name="rebuild")
                upload_btn.click(upload_documents, [uploads], [kb_status, docs, to_delete, uploads],
                                 api_name="upload_documents")
                delete_btn.click(remove_document, [to_delete], [kb_status, docs, to_delete],
                                 api_name="delete_document")
                gr.on([search_btn.click, query.submit], search, [query, top_k], [hits], api_name="search")

            with gr.Tab("评估", id="eval"):
                report_md = gr.Markdown()
                report_img = gr.Image(label="评估图表", interactive=False, visible=False,
                                      buttons=["download", "fullscreen"])
                gr.Button("刷新报告", size="sm").click(load_report, None, [report_md, report_img],
                                                      api_name="evaluation")

        demo.load(refresh_documents, None, [docs, to_delete], api_visibility="private")
        demo.load(load_report, None, [report_md, report_img], api_visibility="private")
    return demo


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


def batch_summary(summary) -> str:
    """One Chinese line about a finished batch (a `BatchSummary`), without server paths."""
    line = (f"共 {summary.total} 条问题：找到答案 {summary.answered} 条，"
            f"文件中未找到 {summary.not_found} 条，出错 {summary.errors} 条；用时 {summary.seconds:.1f} 秒。")
    if summary.error_ids:
        more = "等" if len(summary.error_ids) > 20 else ""
        line += f"出错的序号：{'、'.join(summary.error_ids[:20])}{more}。"
    return line


def _preview(path: Path, n: int = 20):
    """The first rows of a result workbook for the preview table."""
    import pandas as pd

    try:
        return pd.read_excel(path, dtype=str).fillna("").head(n)
    except (OSError, ValueError):
        return None


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
