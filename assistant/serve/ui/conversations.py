"""Conversations as the browser keeps them (JSON in localStorage): pure functions to add, list and reopen.

The stored shape is plain JSON so a reload, or a server restart, gives the same chat back:
{"conversations": [{"id", "title", "updated", "exchanges": [{"question", "answer", "answer_id",
"rating"}]}], "current": id}. `answer` is `Answer.to_dict()`; `rating` is 1, -1 or 0.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from assistant.core.types import Answer, Citation, Query

MAX_CONVERSATIONS = 20  # oldest dropped first: localStorage holds a few MB per site
MAX_EXCHANGES = 30  # per conversation, oldest dropped first
TITLE_CHARS = 24


@dataclass(frozen=True)
class Exchange:
    """One question of a conversation and its answer, with the id its rating is stored under."""

    question: str
    answer: Answer
    answer_id: str
    rating: int = 0


def empty_store() -> dict[str, Any]:
    """What a browser holds before its first question."""
    return {"conversations": [], "current": None}


def _valid(store: Any) -> dict[str, Any]:
    if not isinstance(store, dict) or not isinstance(store.get("conversations"), list):
        return empty_store()
    return store


def _typed(cls, d: dict[str, Any]):
    """A frozen dataclass from its asdict(): unknown keys dropped (older or newer stored data), lists as tuples."""
    known = {f.name: f for f in fields(cls)}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in known})


def answer_from_dict(d: dict[str, Any]) -> Answer:
    """The inverse of `Answer.to_dict()` (citations and the query back as their types)."""
    cits = tuple(_typed(Citation, c) for c in d.get("citations") or ())
    q = d.get("query")
    query = _typed(Query, q) if isinstance(q, dict) else None
    return replace(_typed(Answer, {**d, "citations": [], "query": None}), citations=cits, query=query)


def conversation(store: Any, conv_id: str | None) -> dict[str, Any] | None:
    """The stored conversation with this id, or None."""
    return next((c for c in _valid(store)["conversations"] if c.get("id") == conv_id), None)


def exchanges(store: Any, conv_id: str | None) -> list[Exchange]:
    """The exchanges of a stored conversation, as value types; [] for an unknown id."""
    conv = conversation(store, conv_id)
    out = []
    for e in (conv or {}).get("exchanges", []):
        try:
            out.append(Exchange(e["question"], answer_from_dict(e["answer"]), e["answer_id"], e.get("rating", 0)))
        except (KeyError, TypeError):
            continue  # a damaged entry is skipped, the rest of the conversation stays readable
    return out


def add_exchange(store: Any, conv_id: str | None, question: str, answer: Answer) -> tuple[dict, str, Exchange]:
    """The store with one more exchange (a new conversation when conv_id is unknown); its id; the exchange."""
    store = _valid(store)
    convs = [c for c in store["conversations"] if isinstance(c, dict)]
    conv = next((c for c in convs if c.get("id") == conv_id), None)
    if conv is None:
        conv = {"id": uuid.uuid4().hex, "title": title_of(question), "exchanges": []}
    ex = Exchange(question, answer, uuid.uuid4().hex)
    record = {"question": question, "answer": answer.to_dict(), "answer_id": ex.answer_id, "rating": 0}
    conv = {**conv, "updated": datetime.now().isoformat(timespec="seconds"),
            "exchanges": [*conv["exchanges"], record][-MAX_EXCHANGES:]}
    others = [c for c in convs if c.get("id") != conv["id"]]
    return {"conversations": [conv, *others][:MAX_CONVERSATIONS], "current": conv["id"]}, conv["id"], ex


def set_rating(store: Any, answer_id: str, rating: int) -> dict[str, Any]:
    """The store with the rating of one answer changed (so a reload shows the thumbs as left)."""
    store = _valid(store)
    convs = []
    for c in store["conversations"]:
        exs = [{**e, "rating": rating} if e.get("answer_id") == answer_id else e for e in c.get("exchanges", [])]
        convs.append({**c, "exchanges": exs})
    return {**store, "conversations": convs}


def remove_conversation(store: Any, conv_id: str | None) -> dict[str, Any]:
    """The store without one conversation."""
    store = _valid(store)
    convs = [c for c in store["conversations"] if c.get("id") != conv_id]
    current = store.get("current") if store.get("current") != conv_id else None
    return {"conversations": convs, "current": current}


def choices(store: Any) -> list[tuple[str, str]]:
    """(label, id) of every stored conversation, most recent first, for the list to reopen them."""
    out = []
    for c in _valid(store)["conversations"]:
        when = (c.get("updated") or "")[5:16].replace("T", " ")
        n = len(c.get("exchanges", []))
        out.append((f"{c.get('title') or '对话'} · {n}问 · {when}", c.get("id")))
    return out


def title_of(question: str) -> str:
    """A conversation's title: its first question, cut short."""
    q = " ".join(question.split())
    return q if len(q) <= TITLE_CHARS else q[:TITLE_CHARS] + "…"
