"""The widget's routes from outside: /api/ask/stream (SSE) and /api/feedback, through the real API app."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from assistant.core.settings import get_settings
from assistant.serve.api import create_api
from assistant.serve.feedback import list_feedback
from tests.fake_engine import FakeEngine

Q = "普陀2024年新增多少养老床位？"


@pytest.fixture
def app(tmp_path):
    settings = get_settings(data_dir=tmp_path / "data", eval_dir=tmp_path / "eval", corpus_dir=tmp_path)
    engine = FakeEngine(settings)
    return settings, engine, TestClient(create_api(settings, engine), base_url="http://127.0.0.1:7860")


def events(response) -> list[dict]:
    return [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]


def test_stream_sends_pieces_then_the_checked_answer_with_an_id_and_follow_ups(app):
    _, _, http = app
    r = http.post("/api/ask/stream", json={"question": Q})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    got = events(r)
    deltas = [e["text"] for e in got if e["type"] == "delta"]
    assert len(deltas) == 2 and "".join(deltas) == got[-1]["answer"]["text"]
    answer = got[-1]["answer"]
    assert got[-1]["type"] == "answer" and answer["as_written"] == "200张"
    assert answer["citations"][0]["doc_title"] == "普陀区民政局2024年工作要点"
    assert len(answer["answer_id"]) == 32
    assert "普陀区2024年改建多少认知障碍照护床位？" in answer["suggestions"]  # from the cited passage


def test_stream_keeps_the_conversation_by_id(app):
    _, engine, http = app
    http.post("/api/ask/stream", json={"question": Q, "conversation_id": "conv-1"})
    http.post("/api/ask/stream", json={"question": "那宝山2022年呢？", "conversation_id": "conv-1"})
    assert [t.question for t in engine.asked[1][1]] == [Q]
    assert engine.asked[1][1][0].query.district == "普陀区"


def test_stream_refuses_an_empty_question_before_streaming(app):
    _, _, http = app
    r = http.post("/api/ask/stream", json={"question": "  "})
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "bad_question"


def test_ask_gives_each_answer_its_own_id(app):
    _, _, http = app
    a, b = (http.post("/api/ask", json={"question": Q}).json() for _ in range(2))
    assert a["answer_id"] != b["answer_id"]
    assert isinstance(a["suggestions"], list)


def rating(answer_id="a1b2c3d4e5", value=1, **extra):
    return {"answer_id": answer_id, "rating": value, "question": Q, "answer": "200张",
            "citations": [{"doc_title": "普陀区民政局2024年工作要点", "section": "二、", "text": "新增200张"}],
            **extra}


def test_feedback_twice_on_one_answer_is_one_record_with_the_last_rating(app):
    settings, _, http = app
    assert http.post("/api/feedback", json=rating(value=1)).status_code == 200
    assert http.post("/api/feedback", json=rating(value=-1, comment="出处不对")).status_code == 200
    [fb] = list_feedback(settings)
    assert (fb.rating, fb.comment, fb.channel) == (-1, "出处不对", "widget")
    assert fb.citations[0].text == "新增200张"
    r = http.post("/api/feedback", json=rating(value=0))
    assert r.json()["removed"] is True and list_feedback(settings) == []


@pytest.mark.parametrize("body", [
    rating(answer_id="short"),
    rating(answer_id="../../etc/passwd"),
    rating(value=2),
    rating(answer="x" * 20_001),
    rating(comment="x" * 1_001),
    {**rating(), "citations": [{"doc_title": "t", "text": "x"}] * 21},
    {"answer_id": "a1b2c3d4e5", "rating": 1},
])
def test_feedback_rejects_what_is_out_of_bounds(app, body):
    settings, _, http = app
    r = http.post("/api/feedback", json=body)
    assert r.status_code == 422
    assert r.json()["error"]["type"] == "invalid_request"
    assert list_feedback(settings) == []


def test_feedback_from_a_page_not_allowed_is_refused(app):
    settings, _, http = app
    r = http.post("/api/feedback", json=rating(), headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert list_feedback(settings) == []


def test_the_stream_carries_status_lines_apart_from_the_answer_text():
    """With an LLM endpoint the engine yields status lines first: they are events of their own, never text."""
    import json as _json

    from assistant.core.types import Answer, Status
    from assistant.serve.widget_api import answer_events

    final = Answer(question="q", text="答案")
    lines = list(answer_events(None, iter([Status("正在请大模型组织回答……"), "答", "案", final]), lambda a: None))
    events = [_json.loads(line.removeprefix("data: ")) for line in lines]
    assert [e["type"] for e in events] == ["status", "delta", "delta", "answer"]
    assert events[0]["text"] == "正在请大模型组织回答……"
