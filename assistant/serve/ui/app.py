"""The Gradio app: chat, batch files, knowledge base and evaluation tabs over one Engine.

Thin on purpose: every answer, hit and document list comes from the Engine; the tab modules only
render them (HTML-escaped, with the cited figure marked) and wire the events.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.core.settings import Settings
from assistant.serve.ui.batch_tab import batch_tab
from assistant.serve.ui.chat import chat_tab
from assistant.serve.ui.evaluation_tab import evaluation_tab
from assistant.serve.ui.knowledge import knowledge_tab
from assistant.serve.ui.page import CSS, head, i18n, theme

TITLE = "民政政策问答助手"


def launch_kwargs(settings: Settings) -> dict[str, Any]:
    """What `launch()` / `gr.mount_gradio_app()` need besides the Blocks (Gradio 6 moved theme/css there)."""
    return {"theme": theme(), "css": CSS, "head": head(), "i18n": i18n(),
            "allowed_paths": [str(settings.data_dir), str(settings.eval_dir)]}


def build_ui(settings: Settings, engine) -> gr.Blocks:
    """The whole Gradio app over one Engine; launch it or mount it with `launch_kwargs()`."""
    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_width=True) as demo:
        gr.HTML(
            f'<div id="mz-header"><h1>{TITLE}</h1>'
            "<p>依据上海市及各区民政局公开文件作答，每个数字都附原文出处；文件里没有的，会直接说明。</p></div>"
        )
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
