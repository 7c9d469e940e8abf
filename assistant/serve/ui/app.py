"""The Gradio apps: the readers' app (chat, batch, knowledge base, evaluation) and the admin app.

Thin on purpose: every answer, hit and document list comes from the Engine; the tab modules only
render them (HTML-escaped, with the cited figure marked) and wire the events. `mount_ui` puts the
readers' app at / and, when an admin credential is configured, the admin app at /admin/ behind it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from assistant.core.settings import Settings
from assistant.serve.auth import Authenticator, admin_configured, audit_path
from assistant.serve.feedback import db_path
from assistant.serve.guard import guarded
from assistant.serve.ui.batch_tab import batch_tab
from assistant.serve.ui.chat import chat_tab
from assistant.serve.ui.evaluation_tab import evaluation_tab
from assistant.serve.ui.feedback_tab import audit_tab, feedback_tab
from assistant.serve.ui.knowledge import knowledge_admin_tab, knowledge_tab
from assistant.serve.ui.page import CSS, head, i18n, theme

TITLE = "民政政策问答助手"
ADMIN_TITLE = "民政政策问答助手 · 管理"
DELETE_CACHE = (3600, 3600)  # every hour, files the app received or produced more than an hour ago go


def launch_kwargs(settings: Settings) -> dict[str, Any]:
    """What `launch()` / `gr.mount_gradio_app()` need besides the Blocks (Gradio 6 moved theme/css there).

    Allowed paths only let the app hand out what it produced (batch results, the evaluation chart);
    the feedback database, the audit log, the index and the corpus are blocked outright.
    """
    data = Path(settings.data_dir)
    return {"theme": theme(), "css": CSS, "head": head(), "i18n": i18n(),
            "allowed_paths": [str(data / "batch"), str(settings.eval_dir)],
            "blocked_paths": [str(db_path(settings)), str(audit_path(settings)), str(settings.index_dir),
                              str(settings.corpus_dir)]}


def _header(title: str, line: str) -> None:
    gr.HTML(f'<div id="mz-header"><h1>{title}</h1><p>{line}</p></div>')


def build_ui(settings: Settings, engine) -> gr.Blocks:
    """The readers' app over one Engine; launch it or mount it with `launch_kwargs()`."""
    engine = guarded(engine, settings)
    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_width=True, delete_cache=DELETE_CACHE) as demo:
        _header(TITLE, "依据上海市及各区民政局公开文件作答，每个数字都附原文出处；文件里没有的，会直接说明。")
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                restore_chat, chat_inputs, chat_outputs = chat_tab(settings, engine)
            with gr.Tab("批量问答", id="batch"):
                batch_tab(settings, engine)
            with gr.Tab("知识库", id="kb"):
                refresh_documents, doc_outputs = knowledge_tab(settings, engine)
            with gr.Tab("评估", id="eval"):
                load_report, report_outputs = evaluation_tab(settings)

        demo.load(restore_chat, chat_inputs, chat_outputs, api_visibility="private").then(
            fn=None, js="() => window.mzShowLatest && window.mzShowLatest()")
        demo.load(refresh_documents, None, doc_outputs, api_visibility="private")
        demo.load(load_report, None, report_outputs, api_visibility="private")
    return demo


def build_admin_ui(settings: Settings, engine) -> gr.Blocks:
    """The admin app: documents (upload, delete, rebuild), users' feedback, the admin actions log."""
    engine = guarded(engine, settings)
    with gr.Blocks(title=ADMIN_TITLE, analytics_enabled=False, fill_width=True, delete_cache=DELETE_CACHE) as demo:
        _header(ADMIN_TITLE, "这里的每一项操作都会记录操作人、时间和内容。问答页面在<a href='../'>首页</a>。")
        with gr.Tabs():
            with gr.Tab("知识库管理", id="kb"):
                refresh_documents, doc_outputs = knowledge_admin_tab(settings, engine)
            with gr.Tab("用户反馈", id="feedback"):
                load_feedback, feedback_outputs = feedback_tab(settings)
            with gr.Tab("操作记录", id="audit"):
                load_audit, audit_outputs = audit_tab(settings)
        demo.load(refresh_documents, None, doc_outputs, api_visibility="private")
        demo.load(load_feedback, None, feedback_outputs, api_visibility="private")
        demo.load(load_audit, None, audit_outputs, api_visibility="private")
    return demo


def mount_ui(app, settings: Settings, engine):
    """Mount the admin app at /admin (if anyone can administer) and the readers' app at / onto `app`.

    `gr.mount_gradio_app` does not mark the app as launched, and Gradio checks that an input file
    was uploaded by a client only for launched apps: it is marked here, so a server path sent as
    an "upload" is refused as under `launch()`.
    """
    common = {"footer_links": [], "show_error": False, "max_file_size": settings.max_upload_bytes, "server_name": settings.host,
              "server_port": settings.port, **launch_kwargs(settings)}
    apps = []
    if admin_configured(settings):
        admin = build_admin_ui(settings, engine)
        app = gr.mount_gradio_app(app, admin, path="/admin", auth_dependency=Authenticator(settings).gradio_admin,
                                  **common)
        apps.append(admin)
    # Gradio runs one event at a time per listener unless told otherwise: let chats run side by side.
    reader = build_ui(settings, engine).queue(default_concurrency_limit=settings.ui_concurrency)
    app = gr.mount_gradio_app(app, reader, path="/", **common)
    apps.append(reader)
    for blocks in apps:
        blocks.has_launched = True
    return app
