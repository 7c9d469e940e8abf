"""The OpenAI-compatible endpoint: /v1/models and /v1/chat/completions (streaming and not)."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.answer.generation import visible_notes
from assistant.core.errors import AssistantError, BadQuestion
from assistant.core.settings import Settings
from assistant.core.types import Answer, Status
from assistant.serve.http_edge import INTERNAL_ERROR, check_question, error_body

log = logging.getLogger(__name__)

MODEL_ID = "mz-assistant"
MAX_TURNS = 20


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


def with_notes(answer: Answer) -> str:
    """The answer text with its notes (fallbacks, who worded it) below it: what /v1 clients display."""
    notes = visible_notes(answer)
    return answer.text + "".join(f"\n\n（{n}）" if i == 0 else f"\n（{n}）" for i, n in enumerate(notes))


def citations_json(answer: Answer) -> list[dict[str, Any]]:
    return answer.to_dict()["citations"]


def add_openai_routes(app: FastAPI, settings: Settings, engine) -> None:
    """Mount /v1/models and /v1/chat/completions on `app`."""
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
                "choices": [{"index": 0, "message": {"role": "assistant", "content": with_notes(answer)},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": len(question), "completion_tokens": len(with_notes(answer)),
                          "total_tokens": len(question) + len(with_notes(answer))},
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
            elif isinstance(item, Status):  # the LLM is working: say so, no text yet
                yield event({"content": ""}, status=item.text)
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
        rest_text += with_notes(final)[len(final.text):]
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
