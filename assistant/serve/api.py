"""REST API and the intranet widget over one loaded Engine; the OpenAI-compatible routes come from openai_api.

`create_api(settings, engine)` builds the FastAPI app; nothing happens at import time. The Gradio
app (serve/ui) is mounted onto it by app.py.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.answer.generation import visible_notes
from assistant.core.settings import Settings
from assistant.core.types import Turn
from assistant.serve.admin_api import add_admin_routes
from assistant.serve.guard import guarded
from assistant.serve.http_edge import check_question, install_error_handlers
from assistant.serve.openai_api import MAX_TURNS, add_openai_routes
from assistant.serve.security import install_security
from assistant.serve.widget_api import add_widget_routes, answer_json

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_CONVERSATIONS = 1000


class AskRequest(BaseModel):
    """Body of POST /api/ask."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"question": "普陀2024年新增多少养老床位？"}]})

    question: str = Field(description="The question, at most settings.max_question_chars characters")
    history: list[str] | None = Field(default=None, description="Earlier questions of the conversation")
    conversation_id: str | None = Field(
        default=None, max_length=128,
        description="Server keeps the turns of this conversation when no history is sent",
    )


class SearchRequest(BaseModel):
    """Body of POST /api/search."""

    question: str
    k: int | None = Field(default=None, ge=1, le=50)


# ---------------------------------------------------------------- conversations


class ConversationStore:
    """The turns of recent conversations, in memory, least recently used dropped first."""

    def __init__(self, max_conversations: int = MAX_CONVERSATIONS, max_turns: int = MAX_TURNS):
        self.max_conversations = max_conversations
        self.max_turns = max_turns
        self._turns: OrderedDict[str, list[Turn]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, conversation_id: str) -> list[Turn]:
        with self._lock:
            turns = self._turns.get(conversation_id)
            if turns is None:
                return []
            self._turns.move_to_end(conversation_id)
            return list(turns)

    def add(self, conversation_id: str, turn: Turn) -> None:
        with self._lock:
            turns = self._turns.setdefault(conversation_id, [])
            turns.append(turn)
            del turns[: -self.max_turns]
            self._turns.move_to_end(conversation_id)
            while len(self._turns) > self.max_conversations:
                self._turns.popitem(last=False)

    def __len__(self) -> int:
        return len(self._turns)


def create_api(settings: Settings, engine) -> FastAPI:
    """The FastAPI app: /api/ask, /api/search, /api/health, /v1/chat/completions, /v1/models, /widget.js,
    and the admin routes; the engine behind the request guard, the whole app behind the security edge."""
    engine = guarded(engine, settings)
    app = FastAPI(
        title="民政政策问答 API",
        description="Questions over Shanghai civil-affairs policy documents, answered with cited spans.",
        version="0.1.0",
    )
    app.state.settings = settings
    app.state.engine = engine
    conversations = ConversationStore()
    app.state.conversations = conversations
    install_security(app, settings)
    install_error_handlers(app)
    add_openai_routes(app, settings, engine)
    add_widget_routes(app, settings, engine, conversations)
    add_admin_routes(app, settings, engine)

    @app.post("/api/ask", tags=["问答"])
    def ask(body: AskRequest) -> dict[str, Any]:
        """Answer one question; with `conversation_id` and no `history`, the server keeps the turns."""
        question = check_question(body.question, settings)
        if body.history is not None:
            history: list[Turn | str] = list(body.history)  # the guard limits and cleans each item
        elif body.conversation_id:
            history = list(conversations.get(body.conversation_id))
        else:
            history = []
        answer = engine.ask(question, history)
        if body.conversation_id:
            conversations.add(body.conversation_id,
                              Turn(question=question, query=answer.query, answer_text=answer.text))
        result = answer_json(answer, engine.documents())
        result["visible_notes"] = visible_notes(answer)  # notes and who worded it, as every front end shows them
        if body.conversation_id:
            result["conversation_id"] = body.conversation_id
        return result

    @app.post("/api/search", tags=["问答"])
    def search(body: SearchRequest) -> dict[str, Any]:
        """Hybrid search: the chunks found, with keyword, vector and fused scores."""
        question = check_question(body.question, settings)
        hits = engine.search(question, body.k)
        return {"question": question, "hits": [h.to_dict() for h in hits]}

    @app.get("/api/health", tags=["服务"])
    def health() -> dict[str, Any]:
        """Whether the index is loaded, how big it is, which embedder and generator run, the LLM's state."""
        docs = engine.documents()
        llm = engine.health() if hasattr(engine, "health") else {"generator": settings.generator}
        return {
            "status": "degraded" if llm.get("reachable") is False else "ok",  # offline answers still work
            "llm": llm,
            "documents": len(docs),
            "chunks": sum(d.chunks for d in docs),
            "facts": sum(d.facts for d in docs),
            "embedder": settings.embedder,
            "generator": settings.generator,
        }

    @app.get("/widget.js", include_in_schema=False)
    def widget_js():
        """The intranet widget: one <script> tag on any page."""
        return FileResponse(STATIC_DIR / "widget.js", media_type="application/javascript; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})

    return app
