"""feedback.py: ratings round-trip through SQLite, with comments and citations."""

from __future__ import annotations

import csv
import io
import json

import pytest

from assistant.core.settings import get_settings
from assistant.core.types import Citation
from assistant.serve.feedback import (
    add_comment,
    count_feedback,
    db_path,
    export_feedback,
    list_feedback,
    recent_feedback,
    record_feedback,
    withdraw_feedback,
)

CIT = Citation(doc_id="d1", doc_title="普陀区民政局2024年工作要点", section="二、… › 二是…",
               text="计划新增200张养老床位", start=10, end=22, chunk_id="c1", highlight=(4, 8))


@pytest.fixture
def settings(tmp_path):
    return get_settings(data_dir=tmp_path / "data")


def test_database_is_created_on_first_use(settings):
    assert not db_path(settings).exists()
    assert recent_feedback(settings) == []
    assert db_path(settings).is_file()


def test_round_trip_keeps_every_field(settings):
    fid = record_feedback(settings, "普陀2024年新增多少养老床位？", "200张", 1, " 准确 ", [CIT])
    [fb] = recent_feedback(settings, 5)
    assert fb.id == fid
    assert (fb.question, fb.answer_text) == ("普陀2024年新增多少养老床位？", "200张")
    assert (fb.rating, fb.comment) == (1, "准确")
    assert fb.citations == (CIT,)  # highlight comes back as a tuple, equal to the original
    assert fb.created_at.endswith("+00:00")


def test_newest_first_and_limited(settings):
    ids = [record_feedback(settings, f"q{i}", "a", 1 if i % 2 else -1) for i in range(5)]
    got = recent_feedback(settings, 3)
    assert [f.id for f in got] == ids[::-1][:3]
    assert [f.rating for f in got] == [-1, 1, -1]


def test_comment_added_after_the_click(settings):
    fid = record_feedback(settings, "q", "a", -1)
    add_comment(settings, fid, "应为300张")
    assert recent_feedback(settings, 1)[0].comment == "应为300张"
    with pytest.raises(KeyError):
        add_comment(settings, fid + 100, "x")


@pytest.mark.parametrize("rating", [0, 2, -2])
def test_rating_must_be_plus_or_minus_one(settings, rating):
    with pytest.raises(ValueError):
        record_feedback(settings, "q", "a", rating)


def test_rating_the_same_answer_again_changes_its_one_record(settings):
    first = record_feedback(settings, "q", "a", 1, "", [CIT], answer_id="ans-1")
    again = record_feedback(settings, "q", "a", -1, "", [CIT], answer_id="ans-1")
    assert again == first
    [fb] = list_feedback(settings)
    assert (fb.rating, fb.answer_id) == (-1, "ans-1")
    assert count_feedback(settings) == {1: 0, -1: 1}


def test_a_changed_rating_keeps_the_comment_unless_a_new_one_comes(settings):
    fid = record_feedback(settings, "q", "a", -1, answer_id="ans-2")
    add_comment(settings, fid, "应为300张")
    record_feedback(settings, "q", "a", 1, answer_id="ans-2")
    assert list_feedback(settings)[0].comment == "应为300张"
    record_feedback(settings, "q", "a", -1, "出处不对", answer_id="ans-2")
    assert list_feedback(settings)[0].comment == "出处不对"


def test_different_answers_are_different_records_and_withdrawal_removes_one(settings):
    record_feedback(settings, "q1", "a", 1, answer_id="x")
    record_feedback(settings, "q2", "a", -1, answer_id="y", channel="widget")
    assert sorted(f.answer_id for f in list_feedback(settings)) == ["x", "y"]
    assert [f.question for f in list_feedback(settings, rating=-1)] == ["q2"]
    assert list_feedback(settings, rating=-1)[0].channel == "widget"
    assert withdraw_feedback(settings, "x") is True
    assert withdraw_feedback(settings, "x") is False
    assert [f.answer_id for f in list_feedback(settings)] == ["y"]


def test_list_is_last_changed_first_and_pages(settings):
    for i in range(4):
        record_feedback(settings, f"q{i}", "a", 1, answer_id=f"a{i}")
    record_feedback(settings, "q0", "a", -1, answer_id="a0")  # changed last: comes first
    assert [f.question for f in list_feedback(settings)][0] == "q0"
    assert len(list_feedback(settings, limit=2, offset=3)) == 1


def test_export_has_question_answer_sources_and_time(settings):
    record_feedback(settings, "普陀2024年新增多少养老床位？", "=200张", -1, "不对", [CIT], answer_id="e1")
    text = export_feedback(settings, "csv")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert rows[0]["问题"] == "普陀2024年新增多少养老床位？"
    assert rows[0]["答案"] == "'=200张"  # inert in Excel
    assert rows[0]["评价"].startswith("👎") and rows[0]["说明"] == "不对"
    assert "《普陀区民政局2024年工作要点》" in rows[0]["来源"] and "计划新增200张养老床位" in rows[0]["来源"]
    assert rows[0]["时间"].endswith("+00:00")
    [line] = export_feedback(settings, "jsonl").splitlines()
    assert json.loads(line)["答案"] == "=200张"
    with pytest.raises(ValueError):
        export_feedback(settings, "xls")


def test_an_older_database_gains_the_new_columns(settings):
    import sqlite3

    db_path(settings).parent.mkdir(parents=True)
    con = sqlite3.connect(db_path(settings))
    con.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL,"
                " question TEXT NOT NULL, answer_text TEXT NOT NULL, rating INTEGER NOT NULL,"
                " comment TEXT NOT NULL DEFAULT '', citations TEXT NOT NULL DEFAULT '[]')")
    con.execute("INSERT INTO feedback (created_at, question, answer_text, rating) VALUES ('t', 'old', 'a', 1)")
    con.commit()
    con.close()
    record_feedback(settings, "new", "a", -1, answer_id="n1")
    got = {f.question: f for f in list_feedback(settings)}
    assert got["old"].answer_id is None and got["old"].channel == "web"
    assert got["new"].answer_id == "n1"


def test_the_review_table_shows_sources_and_a_readable_time():
    from assistant.core.types import Citation
    from assistant.serve.feedback import Feedback
    from assistant.serve.ui.feedback_tab import FEEDBACK_HEADERS, feedback_table

    cit = Citation(doc_id="d", doc_title="普陀区民政局2024年工作要点", section="二、养老", text="新增200张养老床位", start=0, end=9)
    fb = Feedback(id=1, created_at="2026-12-02T14:22:43.627+00:00", question="普陀新增多少床位？", answer_text="200张",
                  rating=-1, comment="", citations=(cit,))
    row = dict(zip(FEEDBACK_HEADERS, feedback_table([fb])[0], strict=True))
    assert "《普陀区民政局2024年工作要点》" in row["来源"] and "新增200张" in row["来源"]
    assert "T" not in row["时间"] and row["时间"].startswith("2026-12-0")
