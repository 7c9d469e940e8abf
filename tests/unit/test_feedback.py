"""feedback.py: ratings stored in SQLite with comments and citations, read back from the file itself."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict

import pytest

from assistant.core.settings import get_settings
from assistant.core.types import Citation
from assistant.serve.feedback import add_comment, db_path, record_feedback

CIT = Citation(doc_id="d1", doc_title="普陀区民政局2024年工作要点", section="二、… › 二是…",
               text="计划新增200张养老床位", start=10, end=22, chunk_id="c1", highlight=(4, 8))


@pytest.fixture
def settings(tmp_path):
    return get_settings(data_dir=tmp_path / "data")


def stored(settings) -> list[dict]:
    """Every row of the feedback table, oldest first, as a reader of the database file sees it."""
    con = sqlite3.connect(db_path(settings))
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM feedback ORDER BY id")]
    finally:
        con.close()


def test_database_is_created_on_first_use(settings):
    assert not db_path(settings).exists()
    record_feedback(settings, "q", "a", 1)
    assert db_path(settings).is_file()


def test_round_trip_keeps_every_field(settings):
    fid = record_feedback(settings, "普陀2024年新增多少养老床位？", "200张", 1, " 准确 ", [CIT])
    [row] = stored(settings)
    assert row["id"] == fid
    assert (row["question"], row["answer_text"]) == ("普陀2024年新增多少养老床位？", "200张")
    assert (row["rating"], row["comment"]) == (1, "准确")
    [cit] = json.loads(row["citations"])
    assert Citation(**{**cit, "highlight": tuple(cit["highlight"])}) == CIT
    assert cit == json.loads(json.dumps(asdict(CIT)))
    assert row["created_at"].endswith("+00:00")


def test_ids_grow_in_the_order_ratings_arrive(settings):
    ids = [record_feedback(settings, f"q{i}", "a", 1 if i % 2 else -1) for i in range(5)]
    rows = stored(settings)
    assert [r["id"] for r in rows] == ids == sorted(ids)
    assert [r["rating"] for r in rows] == [-1, 1, -1, 1, -1]


def test_comment_added_after_the_click(settings):
    fid = record_feedback(settings, "q", "a", -1)
    add_comment(settings, fid, "应为300张")
    assert stored(settings)[0]["comment"] == "应为300张"
    with pytest.raises(KeyError):
        add_comment(settings, fid + 100, "x")


@pytest.mark.parametrize("rating", [0, 2, -2])
def test_rating_must_be_plus_or_minus_one(settings, rating):
    with pytest.raises(ValueError):
        record_feedback(settings, "q", "a", rating)
