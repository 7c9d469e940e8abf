"""feedback.py: ratings round-trip through SQLite, with comments and citations."""

from __future__ import annotations

import pytest

from assistant.core.settings import get_settings
from assistant.core.types import Citation
from assistant.serve.feedback import add_comment, db_path, recent_feedback, record_feedback

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
