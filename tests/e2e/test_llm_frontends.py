"""Issue 11, defects 6–8: what the front ends show of an LLM answer, its notes and its state.

The front ends run for real over `LLMEngine`, which stands in for the index (its offline answer is
fixed) and runs the real OpenAI generator against the llama.cpp-like stand-in server.
"""

from __future__ import annotations

import csv
import json
import logging
import socket
import threading
import types
from collections.abc import Iterator, Sequence

import pytest
from fastapi.testclient import TestClient

from assistant.answer.generation import OpenAIGenerator
from assistant.core.types import Answer, Status, Turn
from assistant.serve.api import create_api
from assistant.serve.batch import BatchRow, run_batch
from assistant.serve.engine import Engine
from assistant.serve.openai_api import sse_chunks
from assistant.serve.ui.render import answer_html
from tests.fake_engine import FakeEngine
from tests.llm_cases import CHOICE_REPLY, GOOD_REPLY, OFFLINE, llm_settings

BAD_FIGURE = "F1\n根据《普陀区民政局2024年工作要点》，普陀区2024年计划新增养老床位300张。"
FALLBACK = "大模型回答中的数字（300张）无法在引用原文中找到，已改用离线答案"


class LLMEngine(FakeEngine):
    """The offline answer is fixed (OFFLINE); the generator is the real one."""

    def __init__(self, generator: OpenAIGenerator):
        super().__init__()
        self.generator = generator

    def ask_stream(self, question: str, history: Sequence[Turn | str] = ()) -> Iterator[str | Status | Answer]:
        yield from self.generator.stream(question, OFFLINE)

    def health(self) -> dict:
        return self.generator.health()


@pytest.fixture
def engine(openai_stub):
    return LLMEngine(OpenAIGenerator(llm_settings(openai_stub.base_url, llm_retries=0)))


@pytest.fixture
def client(engine):
    return TestClient(create_api(engine.settings, engine), base_url="http://127.0.0.1:7860",
                      raise_server_exceptions=False)


def _sse(lines: Iterator[str]) -> list[dict]:
    return [json.loads(x[6:]) for x in lines if x.startswith("data: {")]


def _content(events: list[dict]) -> str:
    return "".join(e["choices"][0]["delta"].get("content") or "" for e in events if "choices" in e)


# --- 6. notes and the backend are visible everywhere -------------------------------------------


def test_6_v1_content_carries_the_fallback_note(client, openai_stub):
    openai_stub.reply = BAD_FIGURE
    body = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": OFFLINE.question}]}).json()
    content = body["choices"][0]["message"]["content"]
    assert content.startswith(OFFLINE.text)
    assert FALLBACK in content


def test_6_v1_stream_deltas_carry_the_note_and_the_backend(client, openai_stub):
    openai_stub.reply = CHOICE_REPLY
    with client.stream("POST", "/v1/chat/completions", json={
            "stream": True, "messages": [{"role": "user", "content": OFFLINE.question}]}) as r:
        events = _sse(r.iter_lines())
    content = _content(events)
    assert content.startswith(GOOD_REPLY)
    assert "回答由大模型组织语言" in content
    assert events[-1]["answer"]["backend"] == "openai"


def test_6_api_ask_lists_the_notes_to_show(client, openai_stub):
    openai_stub.reply = BAD_FIGURE
    body = client.post("/api/ask", json={"question": OFFLINE.question}).json()
    assert body["visible_notes"] == [FALLBACK] and body["backend"] == "offline"


def test_6_batch_output_has_backend_and_notes_columns(engine, openai_stub, tmp_path):
    openai_stub.reply = BAD_FIGURE
    out = tmp_path / "out.csv"
    run_batch(engine, [BatchRow(id="1", question=OFFLINE.question)], out)
    openai_stub.reply = CHOICE_REPLY
    run_batch(engine, [BatchRow(id="2", question=OFFLINE.question)], out)
    with out.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [(r["回答方式"], r["回答说明"]) for r in rows] == [("离线检索", FALLBACK), ("大模型（已核对）", "")]


def test_6_chat_shows_who_worded_the_answer(engine, openai_stub):
    openai_stub.reply = CHOICE_REPLY
    final = engine.ask(OFFLINE.question)
    assert "回答由大模型组织语言" in answer_html(final, followup=False)


# --- 7. health reports the LLM's state; a warning at start --------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_7_health_reports_an_unreachable_llm():
    gen = OpenAIGenerator(llm_settings(f"http://127.0.0.1:{_closed_port()}/v1", llm_retries=0))
    gen.probe()
    body = TestClient(create_api(llm_settings("x"), LLMEngine(gen)),
                      base_url="http://127.0.0.1:7860").get("/api/health").json()
    assert body["status"] == "degraded"
    assert body["llm"]["reachable"] is False
    assert "无法连接" in body["llm"]["last_error"] and body["llm"]["model"] == "stub-model"


def test_7_health_reports_a_reachable_llm_and_its_model(client, engine):
    engine.generator.probe()
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    llm = body["llm"]
    assert (llm["generator"], llm["reachable"], llm["model_listed"], llm["last_error"]) == ("openai", True, True, None)


@pytest.mark.parametrize(("server", "model", "warning"), [
    ("closed", "stub-model", "无法连接大模型服务"),
    ("stub", "qwen-unknown", "没有模型 'qwen-unknown'（可用：stub-model）"),
    ("stub", "stub-model", None),
])
def test_7_start_warns_when_the_llm_is_unusable(caplog, openai_stub, server, model, warning):
    url = openai_stub.base_url if server == "stub" else f"http://127.0.0.1:{_closed_port()}/v1"
    engine = types.SimpleNamespace(generator=OpenAIGenerator(llm_settings(url, llm_model=model)))
    with caplog.at_level(logging.WARNING, logger="assistant.serve.engine"):
        Engine._warn_if_llm_unusable(engine)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    if warning is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warning in warnings[0] and "离线答案" in warnings[0], warnings


# --- 8. streams start at once and never show an unchecked figure -----------------------------------


def test_8_a_status_event_goes_out_before_the_llm_says_anything(engine, openai_stub):
    openai_stub.reply = CHOICE_REPLY
    openai_stub.release = threading.Event()  # the server holds its first token until the test says so
    items = engine.ask_stream(OFFLINE.question)
    first = next(items)
    events = sse_chunks(first, items, "chatcmpl-test", 0, "mz-assistant")
    role, status = json.loads(next(events)[6:]), json.loads(next(events)[6:])
    assert not openai_stub.release.is_set()  # both were sent while the LLM had not answered
    assert role["choices"][0]["delta"]["role"] == "assistant"
    assert status["status"] and status["choices"][0]["delta"]["content"] == ""
    openai_stub.release.set()
    rest = list(events)
    assert _content(_sse(rest)).startswith(GOOD_REPLY)


def test_8_an_unchecked_figure_never_reaches_the_stream(client, openai_stub):
    openai_stub.reply = BAD_FIGURE
    with client.stream("POST", "/v1/chat/completions", json={
            "stream": True, "messages": [{"role": "user", "content": OFFLINE.question}]}) as r:
        events = _sse(r.iter_lines())
    content = _content(events)
    assert "300张" not in content.replace(FALLBACK, "")  # only in the note that says it was rejected
    assert "以核对后的答案为准" not in content  # nothing had to be taken back
    assert content.startswith(OFFLINE.text)
