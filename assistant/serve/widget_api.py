"""The widget's public routes: a streamed answer (POST /api/ask/stream) and 👍/👎 (POST /api/feedback).

Both are anonymous and bounded: every field has a length limit, ratings are +1/-1, and a feedback
record is keyed by the answer id the server handed out, so rating again changes that one record.
"""

from __future__ import annotations

import itertools
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings
from assistant.core.types import Answer, Citation, Status, Turn
from assistant.serve.feedback import add_comment, record_feedback, withdraw_feedback
from assistant.serve.http_edge import INTERNAL_ERROR, check_question, error_body
from assistant.serve.suggestions import follow_ups

log = logging.getLogger(__name__)

ANSWER_ID = r"^[A-Za-z0-9_-]{8,64}$"
MAX_ANSWER_CHARS = 20_000
MAX_PASSAGE_CHARS = 5_000
MAX_CITATIONS = 20
MAX_COMMENT_CHARS = 1_000


def answer_json(answer: Answer, documents=()) -> dict[str, Any]:
    """An answer as the API sends it: its fields, a fresh `answer_id` for feedback, and follow-up questions."""
    return {**answer.to_dict(), "answer_id": uuid.uuid4().hex, "suggestions": follow_ups(answer, documents)}


class StreamRequest(BaseModel):
    """Body of POST /api/ask/stream: a question of a conversation the server keeps by id."""

    question: str
    conversation_id: str | None = Field(default=None, max_length=128)


class CitationIn(BaseModel):
    """A cited passage as the widget shows it, sent back with a rating."""

    doc_title: str = Field(max_length=300)
    section: str = Field(default="", max_length=1000)
    text: str = Field(max_length=MAX_PASSAGE_CHARS)


class FeedbackRequest(BaseModel):
    """Body of POST /api/feedback: a rating of one answer, or `rating: 0` to take it back."""

    answer_id: str = Field(pattern=ANSWER_ID)
    rating: Literal[1, -1, 0]
    question: str = Field(max_length=2_000)
    answer: str = Field(max_length=MAX_ANSWER_CHARS)
    citations: list[CitationIn] = Field(default_factory=list, max_length=MAX_CITATIONS)
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS)


def add_widget_routes(app: FastAPI, settings: Settings, engine, conversations) -> None:
    """Mount /api/ask/stream and /api/feedback on `app`; `conversations` is the API's ConversationStore."""

    @app.post("/api/ask/stream", tags=["问答"])
    def ask_stream(body: StreamRequest):
        """Server-sent events: `{"type": "delta", "text"}` pieces, then `{"type": "answer", "answer"}`."""
        question = check_question(body.question, settings)
        history = conversations.get(body.conversation_id) if body.conversation_id else []
        items = engine.ask_stream(question, history)
        first = next(items, None)  # a bad question fails here, as a proper 4xx, before the stream starts

        def remember(answer: Answer) -> None:
            if body.conversation_id:
                conversations.add(body.conversation_id,
                                  Turn(question=question, query=answer.query, answer_text=answer.text))

        return StreamingResponse(answer_events(first, items, remember, engine.documents()),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.post("/api/feedback", tags=["反馈"])
    def feedback(body: FeedbackRequest) -> dict[str, Any]:
        """Rate an answer 👍 (1) or 👎 (-1), or take the rating back (0); one record per answer id."""
        if body.rating == 0:
            return {"answer_id": body.answer_id, "removed": withdraw_feedback(settings, body.answer_id)}
        cits = [Citation(doc_id="", doc_title=c.doc_title, section=c.section, text=c.text, start=0,
                         end=len(c.text)) for c in body.citations]
        fid = record_feedback(settings, body.question, body.answer, body.rating, "", cits,
                              answer_id=body.answer_id, channel="widget")
        if body.comment.strip():
            add_comment(settings, fid, body.comment)
        return {"answer_id": body.answer_id, "rating": body.rating, "saved": True}


def answer_events(first, rest: Iterator, remember, documents=()) -> Iterator[str]:
    """The stream of one answer as SSE lines; an error after the headers went out is sent in-band."""

    def event(payload: dict[str, Any]) -> str:
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    final: Answer | None = None
    try:
        for item in itertools.chain([] if first is None else [first], rest):
            if isinstance(item, Answer):
                final = item
            elif isinstance(item, Status):  # an LLM is working: a line to show, not answer text
                yield event({"type": "status", "text": item.text})
            elif item:
                yield event({"type": "delta", "text": item})
    except Exception as exc:  # headers are sent: say what went wrong in the stream
        if not isinstance(exc, AssistantError):
            log.exception("unexpected error while streaming an answer")
        message = str(exc) if isinstance(exc, AssistantError) else INTERNAL_ERROR
        yield event({"type": "error", **error_body(type(exc).__name__, message)})
        return
    if final is None:
        yield event({"type": "error", **error_body("internal_error", INTERNAL_ERROR)})
        return
    remember(final)
    yield event({"type": "answer", "answer": answer_json(final, documents)})
