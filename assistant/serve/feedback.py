"""Users' thumbs up/down on answers, kept in a small SQLite file under the data folder."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
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


@dataclass(frozen=True)
class Feedback:
    """One stored rating of an answer."""

    id: int
    created_at: str  # ISO time, UTC
    question: str
    answer_text: str
    rating: int  # +1 or -1
    comment: str
    citations: tuple[Citation, ...]


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


def _citation(d: dict) -> Citation:
    hl = d.get("highlight")
    return Citation(**{**d, "highlight": tuple(hl) if hl is not None else None})


def recent_feedback(settings: Settings, n: int = 20) -> list[Feedback]:
    """The n most recent ratings, newest first."""
    with _connect(settings) as con:
        rows = con.execute(
            "SELECT id, created_at, question, answer_text, rating, comment, citations"
            " FROM feedback ORDER BY id DESC LIMIT ?",
            (n,),
        ).fetchall()
    return [
        Feedback(id=r[0], created_at=r[1], question=r[2], answer_text=r[3], rating=r[4], comment=r[5],
                 citations=tuple(_citation(c) for c in json.loads(r[6])))
        for r in rows
    ]
