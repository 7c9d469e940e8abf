"""Users' thumbs up/down on answers, kept in a small SQLite file under the data folder."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from assistant.core.settings import Settings
from assistant.core.types import Citation

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer_text TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment TEXT NOT NULL DEFAULT '',
    citations TEXT NOT NULL DEFAULT '[]'
)
"""


def db_path(settings: Settings) -> Path:
    """Where the feedback database lives."""
    return Path(settings.data_dir) / "feedback.sqlite3"


@contextmanager
def _connect(settings: Settings) -> Iterator[sqlite3.Connection]:
    path = db_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=10)
    try:
        with con:  # commits on success, rolls back on error
            con.execute(_SCHEMA)
            yield con
    finally:
        con.close()


def record_feedback(
    settings: Settings,
    question: str,
    answer_text: str,
    rating: int,
    comment: str = "",
    citations: Sequence[Citation] = (),
) -> int:
    """Store one rating (+1 or -1) of an answer with an optional comment; returns its id."""
    if rating not in (1, -1):
        raise ValueError(f"rating must be +1 or -1, got {rating!r}")
    cits = json.dumps([asdict(c) for c in citations], ensure_ascii=False)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with _connect(settings) as con:
        cur = con.execute(
            "INSERT INTO feedback (created_at, question, answer_text, rating, comment, citations)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (now, question, answer_text, rating, (comment or "").strip(), cits),
        )
        return int(cur.lastrowid)


def add_comment(settings: Settings, feedback_id: int, comment: str) -> None:
    """Attach (or replace) the comment of a stored rating, for a comment typed after the click."""
    with _connect(settings) as con:
        cur = con.execute("UPDATE feedback SET comment = ? WHERE id = ?",
                          ((comment or "").strip(), feedback_id))
        if cur.rowcount == 0:
            raise KeyError(f"no feedback with id {feedback_id}")
