"""The Gradio web app, one module per tab; `build_ui` assembles them."""

from assistant.serve.ui.app import build_admin_ui, build_ui, launch_kwargs, mount_ui
from assistant.serve.ui.render import (
    DOC_HEADERS,
    HIT_HEADERS,
    answer_html,
    batch_summary,
    chat_messages,
    citation_html,
    documents_table,
    exchange_at,
    highlight_html,
)

__all__ = ["DOC_HEADERS", "HIT_HEADERS", "answer_html", "batch_summary", "build_admin_ui", "build_ui",
           "chat_messages", "citation_html", "documents_table", "exchange_at", "highlight_html", "launch_kwargs",
           "mount_ui"]
