"""REST API, OpenAI-compatible chat endpoint and the intranet widget, over one loaded Engine.

`create_api(settings, engine)` builds the FastAPI app; nothing happens at import time. The Gradio
app (ui.py) is mounted onto it by app.py.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.core.errors import (
    AssistantError,
    BackendUnavailable,
    BadQuestion,
    ConfigError,
    IndexMismatch,
    IndexNotBuilt,
)
from assistant.core.settings import Settings
from assistant.core.types import Answer, Hit, Turn

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
MODEL_ID = "mz-assistant"
MAX_CONVERSATIONS = 1000
MAX_TURNS = 20
CORS_PATHS = ("/api/", "/v1/")
INTERNAL_ERROR = "服务器内部出错，已记录日志：请稍后重试或联系管理员。"

# error class -> (HTTP status, error type)
ERROR_STATUS: dict[type[AssistantError], tuple[int, str]] = {
    BadQuestion: (400, "bad_question"),
    IndexNotBuilt: (503, "index_not_built"),
    IndexMismatch: (503, "index_mismatch"),
    BackendUnavailable: (503, "backend_unavailable"),
    ConfigError: (500, "config_error"),
}


# ---------------------------------------------------------------- request bodies


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


class ChatMessage(BaseModel):
    """One OpenAI chat message; content as a string or a list of text parts."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type", "text") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """Body of POST /v1/chat/completions (extra OpenAI parameters are accepted and ignored)."""

    model_config = ConfigDict(extra="allow")

    messages: list[ChatMessage] = Field(min_length=1)
    model: str | None = None
    stream: bool = False


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


# ---------------------------------------------------------------- helpers


def error_body(kind: str, message: str) -> dict[str, Any]:
    """The one JSON shape of every error: {"error": {"type", "message"}}."""
    return {"error": {"type": kind, "message": message}}


def check_question(question: str, settings: Settings) -> str:
    """Reject a question that is empty or longer than the limit, with a message saying what to do."""
    if not question or not question.strip():
        raise BadQuestion("问题是空的：请输入一个问题，例如“普陀2024年新增多少养老床位？”")
    if len(question) > settings.max_question_chars:
        raise BadQuestion(
            f"问题太长（{len(question)}字）：请把问题缩短到{settings.max_question_chars}字以内，一次只问一件事。"
        )
    return question


def hit_to_dict(hit: Hit) -> dict[str, Any]:
    """A search hit as JSON: the chunk's fields plus its keyword, vector and fused scores."""
    return {
        **hit.chunk.to_dict(),
        "section_str": hit.chunk.section_str,
        "rank": hit.rank,
        "keyword_score": hit.keyword_score,
        "vector_score": hit.dense_score,
        "fused_score": hit.score,
    }


def citations_json(answer: Answer) -> list[dict[str, Any]]:
    return answer.to_dict()["citations"]


def same_host(origin: str, host_header: str) -> bool:
    """True when the page's Origin names the host this server was reached at (any port)."""
    try:
        origin_host = urlsplit(origin).hostname
        server_host = urlsplit(f"//{host_header}").hostname
    except ValueError:
        return False
    return bool(origin_host) and origin_host == server_host


def origin_denied_message(origin: str) -> str:
    return (
        f"来自 {origin} 的网页无权调用本问答服务。如需在该网页嵌入问答窗口，请在服务器上设置环境变量 "
        f"ASSISTANT_ALLOWED_ORIGINS='[\"{origin}\"]'（多个地址用逗号分隔写在方括号内）后重启服务。"
    )


class OriginGuard:
    """CORS for /api and /v1: allowed origins from settings, else the same host only; preflight too."""

    def __init__(self, app, allowed_origins: list[str]):
        self.app = app
        self.allowed = {o.rstrip("/") for o in allowed_origins}

    def allows(self, origin: str, host: str) -> bool:
        return "*" in self.allowed or origin.rstrip("/") in self.allowed or same_host(origin, host)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(CORS_PATHS):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        cors = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        if not self.allows(origin, headers.get("host", "")):
            body = json.dumps(error_body("origin_not_allowed", origin_denied_message(origin)),
                              ensure_ascii=False).encode()
            # The CORS header lets the widget read (and show) why it was refused.
            extra = [] if preflight else cors
            await send({"type": "http.response.start", "status": 403, "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()), *extra]})
            await send({"type": "http.response.body", "body": body})
            return
        if preflight:
            req_headers = headers.get("access-control-request-headers", "content-type, authorization")
            await send({"type": "http.response.start", "status": 204, "headers": [
                *cors,
                (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
                (b"access-control-allow-headers", req_headers.encode("latin-1")),
                (b"access-control-max-age", b"600"),
            ]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *cors]}
            await send(message)

        await self.app(scope, receive, send_with_cors)


def validation_message(exc: RequestValidationError) -> str:
    """Pydantic errors as one Chinese line naming each field and what is wrong with it."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "请求体"
        if err.get("type") == "missing":
            parts.append(f"缺少字段 {loc}")
        elif err.get("type") == "json_invalid":
            parts.append("请求体不是合法的 JSON")
        else:
            parts.append(f"字段 {loc} 不对（{err.get('msg', '')}）")
    return "请求格式不对：" + "；".join(parts) + "。示例：{\"question\": \"普陀2024年新增多少养老床位？\"}"


# ---------------------------------------------------------------- the app


def create_api(settings: Settings, engine) -> FastAPI:
    """The FastAPI app: /api/ask, /api/search, /api/health, /v1/chat/completions, /v1/models, /widget.js."""
    app = FastAPI(
        title="民政政策问答 API",
        description="Questions over Shanghai civil-affairs policy documents, answered with cited spans.",
        version="0.1.0",
    )
    app.state.settings = settings
    app.state.engine = engine
    conversations = ConversationStore()
    app.state.conversations = conversations
    app.add_middleware(OriginGuard, allowed_origins=list(settings.allowed_origins))

    @app.exception_handler(AssistantError)
    async def _domain_error(request: Request, exc: AssistantError):
        status, kind = next(((s, k) for cls, (s, k) in ERROR_STATUS.items() if isinstance(exc, cls)),
                            (400, "bad_request"))
        return JSONResponse(error_body(kind, str(exc)), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return JSONResponse(error_body("invalid_request", validation_message(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        message = "没有这个地址：请查看 /docs 里的接口列表。" if exc.status_code == 404 else str(exc.detail)
        return JSONResponse(error_body("http_error", message), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse(error_body("internal_error", INTERNAL_ERROR), status_code=500)

    @app.post("/api/ask", tags=["问答"])
    def ask(body: AskRequest) -> dict[str, Any]:
        """Answer one question; with `conversation_id` and no `history`, the server keeps the turns."""
        question = check_question(body.question, settings)
        if body.history is not None:
            history: list[Turn | str] = [h for h in body.history if h and h.strip()][-MAX_TURNS:]
        elif body.conversation_id:
            history = list(conversations.get(body.conversation_id))
        else:
            history = []
        answer = engine.ask(question, history)
        if body.conversation_id:
            conversations.add(body.conversation_id,
                              Turn(question=question, query=answer.query, answer_text=answer.text))
        result = answer.to_dict()
        if body.conversation_id:
            result["conversation_id"] = body.conversation_id
        return result

    @app.post("/api/search", tags=["问答"])
    def search(body: SearchRequest) -> dict[str, Any]:
        """Hybrid search: the chunks found, with keyword, vector and fused scores."""
        question = check_question(body.question, settings)
        hits = engine.search(question, body.k)
        return {"question": question, "hits": [hit_to_dict(h) for h in hits]}

    @app.get("/api/health", tags=["服务"])
    def health() -> dict[str, Any]:
        """Whether the index is loaded, how big it is, and which embedder and generator run."""
        docs = engine.documents()
        return {
            "status": "ok",
            "documents": len(docs),
            "chunks": sum(d.chunks for d in docs),
            "facts": sum(d.facts for d in docs),
            "embedder": settings.embedder,
            "generator": settings.generator,
        }

    @app.get("/v1/models", tags=["OpenAI 兼容"])
    def models() -> dict[str, Any]:
        """The one model this server offers, in the OpenAI list format."""
        return {"object": "list",
                "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "mz-assistant"}]}

    @app.post("/v1/chat/completions", tags=["OpenAI 兼容"])
    def chat_completions(body: ChatRequest):
        """OpenAI-compatible chat: the last user message is the question, earlier ones the history."""
        user_texts = [m.text() for m in body.messages if m.role == "user"]
        if not user_texts:
            raise BadQuestion("messages 里没有用户消息：请至少发送一条 role 为 \"user\" 的消息。")
        question = check_question(user_texts[-1], settings)
        history = [t for t in user_texts[:-1] if t.strip()][-MAX_TURNS:]
        model = body.model or MODEL_ID
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if not body.stream:
            answer = engine.ask(question, history)
            return {
                "id": completion_id, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": len(question), "completion_tokens": len(answer.text),
                          "total_tokens": len(question) + len(answer.text)},
                "citations": citations_json(answer),
                "answer": answer.to_dict(),
            }
        items = engine.ask_stream(question, history)
        first = next(items, None)  # errors in the question surface here, as a proper 4xx, before streaming
        return StreamingResponse(
            sse_chunks(first, items, completion_id, created, model),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get("/widget.js", include_in_schema=False)
    def widget_js():
        """The intranet widget: one <script> tag on any page."""
        return FileResponse(STATIC_DIR / "widget.js", media_type="application/javascript; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})

    return app


def sse_chunks(first: str | Answer, rest: Iterator[str | Answer], completion_id: str, created: int,
               model: str) -> Iterator[str]:
    """OpenAI `chat.completion.chunk` events for an answer stream, ending with `data: [DONE]`."""

    def event(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        chunk = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    streamed = ""
    final: Answer | None = None
    try:
        for item in _chain(first, rest):
            if isinstance(item, Answer):
                final = item
            elif item:
                streamed += item
                yield event({"content": item})
    except Exception as exc:  # headers are sent: report in-band, as OpenAI servers do
        if isinstance(exc, AssistantError):
            kind, message = type(exc).__name__, str(exc)
        else:
            log.exception("unexpected error while streaming")
            kind, message = "internal_error", INTERNAL_ERROR
        yield f"data: {json.dumps(error_body(kind, message), ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"
        return
    if final is not None:
        if final.text.startswith(streamed):
            rest_text = final.text[len(streamed):]
        else:  # the checked answer replaced what was streamed: say so, never leave it uncorrected
            rest_text = "\n\n【以核对后的答案为准】" + final.text
        if rest_text:
            yield event({"content": rest_text})
        yield event({}, "stop", citations=citations_json(final), answer=final.to_dict())
    else:
        yield event({}, "stop", citations=[])
    yield "data: [DONE]\n\n"


def _chain(first: str | Answer | None, rest: Iterator[str | Answer]) -> Iterator[str | Answer]:
    if first is not None:
        yield first
    yield from rest
