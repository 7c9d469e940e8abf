"""Users' thumbs up/down on answers, one record per answer, kept in a small SQLite file under the data folder.

An answer is known by the id its front end gave it (`answer_id`): rating it again changes the
rating of that one record, it never adds a second. Listing and export are for the admin pages.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
# Columns added after the first release; an older database gets them on first use.
_ADDED_COLUMNS = {"answer_id": "TEXT", "updated_at": "TEXT", "channel": "TEXT NOT NULL DEFAULT 'web'"}
_COLUMNS = "id, created_at, question, answer_text, rating, comment, citations, answer_id, updated_at, channel"
EXPORT_FORMATS = ("csv", "jsonl")
RATING_ZH = {1: "👍 有用", -1: "👎 没用"}
EXPORT_HEADER = ["时间", "评价", "问题", "答案", "说明", "来源", "渠道", "首次评价时间", "编号"]


@dataclass(frozen=True)
class Feedback:
    """One stored rating of an answer."""

    id: int
    created_at: str  # ISO time, UTC, of the first rating
    question: str
    answer_text: str
    rating: int  # +1 or -1
    comment: str
    citations: tuple[Citation, ...]
    answer_id: str | None = None
    updated_at: str | None = None  # ISO time, UTC, of the last change
    channel: str = "web"  # web (the Gradio app) or widget


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
            have = {r[1] for r in con.execute("PRAGMA table_info(feedback)")}
            for name, kind in _ADDED_COLUMNS.items():
                if name not in have:
                    con.execute(f"ALTER TABLE feedback ADD COLUMN {name} {kind}")
            con.execute("CREATE UNIQUE INDEX IF NOT EXISTS feedback_answer ON feedback(answer_id)"
                        " WHERE answer_id IS NOT NULL")
            yield con
    finally:
        con.close()


_last_time: list[datetime] = []


def _now() -> str:
    """The time of a change, UTC, to the microsecond and never equal to the last one this process gave:
    “last changed first” must not depend on two changes falling in the same tick of the clock."""
    now = datetime.now(UTC)
    if _last_time and now <= _last_time[0]:
        now = _last_time[0] + timedelta(microseconds=1)
    _last_time[:] = [now]
    return now.isoformat(timespec="microseconds")


def record_feedback(
    settings: Settings,
    question: str,
    answer_text: str,
    rating: int,
    comment: str = "",
    citations: Sequence[Citation] = (),
    answer_id: str | None = None,
    channel: str = "web",
) -> int:
    """Store a rating (+1 or -1) of an answer; with `answer_id`, a second rating changes the first. Returns its id.

    A changed rating keeps the stored comment unless a new one is given.
    """
    if rating not in (1, -1):
        raise ValueError(f"rating must be +1 or -1, got {rating!r}")
    cits = json.dumps([asdict(c) for c in citations], ensure_ascii=False)
    now, comment = _now(), (comment or "").strip()
    with _connect(settings) as con:
        if answer_id is not None:
            row = con.execute("SELECT id FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone()
            if row is not None:
                con.execute("UPDATE feedback SET rating = ?, updated_at = ?,"
                            " comment = CASE WHEN ? = '' THEN comment ELSE ? END WHERE id = ?",
                            (rating, now, comment, comment, row[0]))
                return int(row[0])
        cur = con.execute(
            "INSERT INTO feedback (created_at, updated_at, question, answer_text, rating, comment, citations,"
            " answer_id, channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (now, now, question, answer_text, rating, comment, cits, answer_id, channel),
        )
        return int(cur.lastrowid)


def withdraw_feedback(settings: Settings, answer_id: str) -> bool:
    """Remove the rating of an answer (the user clicked their 👍 or 👎 again); False if there was none."""
    with _connect(settings) as con:
        return con.execute("DELETE FROM feedback WHERE answer_id = ?", (answer_id,)).rowcount > 0


def add_comment(settings: Settings, feedback_id: int, comment: str) -> None:
    """Attach (or replace) the comment of a stored rating, for a comment typed after the click."""
    with _connect(settings) as con:
        cur = con.execute("UPDATE feedback SET comment = ?, updated_at = ? WHERE id = ?",
                          ((comment or "").strip(), _now(), feedback_id))
        if cur.rowcount == 0:
            raise KeyError(f"no feedback with id {feedback_id}")


def _citation(d: dict) -> Citation:
    hl = d.get("highlight")
    return Citation(**{**d, "highlight": tuple(hl) if hl is not None else None})


def _feedback(r: tuple) -> Feedback:
    return Feedback(id=r[0], created_at=r[1], question=r[2], answer_text=r[3], rating=r[4], comment=r[5],
                    citations=tuple(_citation(c) for c in json.loads(r[6])), answer_id=r[7],
                    updated_at=r[8] or r[1], channel=r[9] or "web")


def list_feedback(settings: Settings, limit: int | None = 100, offset: int = 0,
                  rating: int | None = None) -> list[Feedback]:
    """Stored ratings, last changed first; `rating` (+1/-1) keeps only those; `limit=None` for all."""
    where, args = ("WHERE rating = ?", [rating]) if rating in (1, -1) else ("", [])
    with _connect(settings) as con:
        rows = con.execute(
            f"SELECT {_COLUMNS} FROM feedback {where} ORDER BY COALESCE(updated_at, created_at) DESC, id DESC"
            " LIMIT ? OFFSET ?", (*args, -1 if limit is None else limit, offset)).fetchall()
    return [_feedback(r) for r in rows]


def recent_feedback(settings: Settings, n: int = 20) -> list[Feedback]:
    """The n most recently given or changed ratings, newest first."""
    return list_feedback(settings, limit=n)


def count_feedback(settings: Settings) -> dict[int, int]:
    """How many answers were rated 👍 (+1) and 👎 (-1)."""
    with _connect(settings) as con:
        counts = dict(con.execute("SELECT rating, COUNT(*) FROM feedback GROUP BY rating").fetchall())
    return {1: counts.get(1, 0), -1: counts.get(-1, 0)}


def sources_text(citations: Sequence[Citation]) -> str:
    """The sources of an answer as plain text: [n]《title》 section, then the quoted passage."""
    return "\n".join(f"[{i}]《{c.doc_title}》{c.section or '正文'}：{c.text}" for i, c in enumerate(citations, 1))


def feedback_record(fb: Feedback) -> dict[str, Any]:
    """One rating as an export row: time, rating, question, answer, comment, sources."""
    return {"时间": fb.updated_at or fb.created_at, "评价": RATING_ZH[fb.rating], "问题": fb.question,
            "答案": fb.answer_text, "说明": fb.comment, "来源": sources_text(fb.citations),
            "渠道": fb.channel, "首次评价时间": fb.created_at, "编号": fb.id}


def export_feedback(settings: Settings, fmt: str = "csv", rating: int | None = None) -> str:
    """Every stored rating as CSV (with a BOM, so Excel reads the Chinese) or JSON lines."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"fmt must be one of {EXPORT_FORMATS}, got {fmt!r}")
    records = [feedback_record(fb) for fb in list_feedback(settings, limit=None, rating=rating)]
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_HEADER)
    writer.writeheader()
    for r in records:
        writer.writerow({k: _inert(v) for k, v in r.items()})
    return "\ufeff" + out.getvalue()


def _inert(value: Any) -> Any:
    """A cell Excel will not run as a formula."""
    return "'" + value if isinstance(value, str) and value.startswith(("=", "+", "-", "@")) else value
