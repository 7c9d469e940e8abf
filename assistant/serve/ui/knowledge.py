"""The 知识库 tabs: the documents and a retrieval test for readers; upload, delete and rebuild for admins.

The reader's tab says, where the admin controls would be, whether there is an admin page to log in
to or the server is read-only. The admin tab lives in the admin app (/admin/, behind a login) and
logs every action to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings
from assistant.ingest.corpus import delete_document, list_files, save_upload, take_upload
from assistant.ingest.loading import SUPPORTED
from assistant.serve.auth import READ_ONLY_MESSAGE, admin_configured, audit
from assistant.serve.security import upload_folder
from assistant.serve.ui.common import file_path, ok, progress_fn, warn
from assistant.serve.ui.render import (
    DOC_HEADERS,
    HIT_HEADERS,
    HIT_TYPES,
    build_summary,
    documents_table,
    hits_table,
)

DOC_WIDTHS = ["20%", "17%", "12%", "11%", "7%", "9%", "7%", "7%", "5%", "5%"]


def admin_notice(settings: Settings) -> str:
    """What the reader sees where the admin controls would be."""
    if not admin_configured(settings):
        return READ_ONLY_MESSAGE
    return ("上传、删除文档、重建索引和查看用户反馈在[管理页面](admin/)进行，需要管理员登录"
            "（或经单位统一登录进入）。")


def knowledge_tab(settings: Settings, engine) -> tuple[Callable, list]:
    """The readers' knowledge-base tab; returns its refresh function and outputs for page load."""

    def refresh_documents():
        return documents_table(engine)

    docs = gr.Dataframe(headers=DOC_HEADERS, label="知识库文档", interactive=False, wrap=True,
                        elem_classes="mz-table", elem_id="mz-docs", value=lambda: documents_table(engine),
                        column_widths=DOC_WIDTHS)
    with gr.Row():
        gr.Markdown(admin_notice(settings), elem_id="mz-admin-notice")
        refresh_btn = gr.Button("刷新列表", scale=0, min_width=110)
    retrieval_test(settings, engine)
    refresh_btn.click(refresh_documents, None, [docs], api_name="documents")
    return refresh_documents, [docs]


def retrieval_test(settings: Settings, engine) -> None:
    """A sentence in, the chunks found with their keyword, vector and fused scores out."""

    def search(text: str, k: float):
        if not (text or "").strip():
            gr.Warning("请输入要检索的内容。", title="注意")
            return []
        try:
            return hits_table(engine.search(text.strip(), int(k)), text.strip())
        except AssistantError as e:
            gr.Warning(str(e), title="注意")
            return []

    gr.Markdown("### 检索测试\n输入一句话，查看检索到的分块及其关键词分、向量分和融合分；片段取自分块中检索词最集中的一段。")
    with gr.Row(equal_height=True):
        query = gr.Textbox(show_label=False, placeholder="例如：普陀 养老床位 2024", scale=7,
                           max_length=settings.max_question_chars)
        top_k = gr.Slider(1, 20, value=settings.top_k, step=1, label="返回条数", scale=2)
        search_btn = gr.Button("检索", scale=1, min_width=90)
    hits = gr.Dataframe(headers=HIT_HEADERS, datatype=HIT_TYPES, label="检索结果（片段取自匹配处，检索词已标出）",
                        interactive=False, wrap=True, column_widths=["6%", "15%", "15%", "8%", "8%", "8%", "40%"],
                        elem_classes="mz-table", elem_id="mz-hits")
    gr.on([search_btn.click, query.submit], search, [query, top_k], [hits], api_name="search")


def _who(request: gr.Request | None) -> tuple[str, str]:
    name = getattr(request, "username", None) or "unknown"
    client = getattr(getattr(request, "client", None), "host", "") or ""
    return name, client


def knowledge_admin_tab(settings: Settings, engine) -> tuple[Callable, list]:
    """The admins' knowledge-base tab: upload, delete, rebuild; returns its refresh function and outputs."""

    def refresh_documents():
        files = [p.name for p in list_files(settings)]  # what is on disk, indexed or not
        return documents_table(engine), gr.update(choices=files, value=None)

    def rebuild(request: gr.Request, progress=gr.Progress()):  # noqa: B008
        who, client = _who(request)
        try:
            report = engine.rebuild(progress_fn(progress))
        except AssistantError as e:
            audit(settings, who, client, "rebuild", str(e), ok=False)
            return (warn(str(e)), *refresh_documents())
        audit(settings, who, client, "rebuild")
        return (ok(build_summary(report)), *refresh_documents())

    def upload_documents(files, request: gr.Request, progress=gr.Progress()):  # noqa: B008
        if not files:
            return (warn("请先选择要上传的文件。"), *refresh_documents(), None)
        who, client = _who(request)
        saved, errors = [], []
        for f in files:
            path = file_path(f)
            try:
                saved.append(save_upload(settings, path.name, take_upload(path, upload_folder())).name)
            except AssistantError as e:
                errors.append(str(e))
                audit(settings, who, client, "upload", f"{path.name}: {e}", ok=False)
        lines = []
        if saved:
            lines.append(f"已添加：{'、'.join(saved)}。")
            try:
                lines.append(build_summary(engine.rebuild(progress_fn(progress))))
                audit(settings, who, client, "upload", "、".join(saved))
            except AssistantError as e:
                errors.append(str(e))
                audit(settings, who, client, "upload", f"{'、'.join(saved)}: {e}", ok=False)
        for e in errors:
            gr.Warning(e, title="注意")
        status = "\n\n".join([ok(x) for x in lines] + [f"⚠ {e}" for e in errors])
        return (status, *refresh_documents(), None)

    def remove_document(source: str | None, request: gr.Request, progress=gr.Progress()):  # noqa: B008
        if not source:
            return (warn("请先在下拉框中选择要删除的文档。"), *refresh_documents())
        who, client = _who(request)
        try:
            delete_document(settings, source)
            report = engine.rebuild(progress_fn(progress))
        except AssistantError as e:
            audit(settings, who, client, "delete", f"{source}: {e}", ok=False)
            return (warn(str(e)), *refresh_documents())
        audit(settings, who, client, "delete", source)
        return (ok(f"已删除：{source}。{build_summary(report)}"), *refresh_documents())

    kb_status = gr.Markdown(elem_classes="mz-status")
    docs = gr.Dataframe(headers=DOC_HEADERS, label="知识库文档", interactive=False, wrap=True,
                        elem_classes="mz-table", elem_id="mz-docs", value=lambda: documents_table(engine),
                        column_widths=DOC_WIDTHS)
    with gr.Row():
        with gr.Column(scale=3):
            uploads = gr.File(label=f"上传新文档（{' '.join(SUPPORTED)}）",
                              file_count="multiple", height=150)
            upload_btn = gr.Button("上传并更新索引", variant="primary")
        with gr.Column(scale=2):
            to_delete = gr.Dropdown(label="删除文档", choices=[], value=None)
            delete_btn = gr.Button("删除并更新索引", variant="stop")
            with gr.Row():
                refresh_btn = gr.Button("刷新列表")
                rebuild_btn = gr.Button("重建索引")

    refresh_btn.click(refresh_documents, None, [docs, to_delete], api_name="documents")
    rebuild_btn.click(rebuild, None, [kb_status, docs, to_delete], api_name="rebuild")
    upload_btn.click(upload_documents, [uploads], [kb_status, docs, to_delete, uploads],
                     api_name="upload_documents")
    delete_btn.click(remove_document, [to_delete], [kb_status, docs, to_delete],
                     api_name="delete_document")
    return refresh_documents, [docs, to_delete]
