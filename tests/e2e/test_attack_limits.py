"""Attacks on the server's time: huge histories, floods, slow answers, bodies without a length.

Hole 5 of issue 9: 20 history items of 100,000 characters took 102 s of CPU; now every request's
work is bounded (item and total history size, body size, a time budget, a per-client rate).
"""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.e2e.running import Q, chinese, make_settings, serve
from tests.fake_engine import FakeEngine

pytestmark = pytest.mark.e2e

FOLLOW = "那宝山2022年呢？"


def test_twenty_huge_history_items_are_refused_at_once(readonly, capsys):
    _, engine, url = readonly
    asked = len(engine.asked)
    with httpx.Client(base_url=url, timeout=30) as c:
        t0 = time.perf_counter()
        big = c.post("/api/ask", json={"question": Q, "history": ["普陀" * 50_000] * 20})
        seconds = time.perf_counter() - t0
        assert big.status_code == 413 and "太大" in chinese(big)
        v1 = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "普陀" * 50_000}] * 20
                                                   + [{"role": "user", "content": Q}]})
        assert v1.status_code == 413
        for body_items in (["普陀" * 1_500] * 20, ["普陀养老床位", "普" * 2_001]):  # under the body limit
            r = c.post("/api/ask", json={"question": Q, "history": body_items})
            assert r.status_code == 400 and "对话历史" in chinese(r)
            messages = [{"role": "user", "content": t} for t in body_items] + [{"role": "user", "content": Q}]
            r = c.post("/v1/chat/completions", json={"messages": messages})
            assert r.status_code == 400 and "对话历史" in chinese(r)
        assert c.post("/api/ask", json={"question": Q}).status_code == 200  # and the server is still there
    assert len(engine.asked) == asked + 1
    with capsys.disabled():
        print(f"\n20 history items of 100,000 characters: refused in {seconds * 1000:.0f} ms")


def test_history_is_cut_to_the_item_and_size_limits(readonly):
    settings, engine, url = readonly
    history = [f"问题{i}：" + "普陀" * 900 for i in range(40)]  # 40 items of 1,804 characters
    with httpx.Client(base_url=url, timeout=30) as c:
        r = c.post("/api/ask", json={"question": FOLLOW, "history": history})
        assert r.status_code == 200, r.text
        m = c.post("/v1/chat/completions",
                   json={"messages": [{"role": "user", "content": t} for t in history] + [{"role": "user", "content": FOLLOW}]})
        assert m.status_code == 200, m.text
    for question, seen in engine.asked[-2:]:
        assert question == FOLLOW
        assert len(seen) <= settings.max_history_items
        assert sum(len(h) for h in seen) <= settings.max_history_chars
        assert seen[-1] == history[-1]  # the most recent turns are the ones kept


def test_a_body_without_a_length_is_cut_at_the_limit(readonly):
    _, _, url = readonly

    def chunks():
        yield b'{"question": "'
        for _ in range(300):
            yield b"x" * 4096
        yield b'"}'

    with httpx.Client(base_url=url, timeout=30) as c:
        r = c.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413 and "太大" in chinese(r)
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:  # a length no body will ever fill
        s.sendall(b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 99999999999\r\n\r\n{")
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply.split(b"\r\n\r\n", 1)[1]) < int(
                reply.lower().split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0]):
            reply += s.recv(65536)
    text = reply.decode("utf-8", "replace")
    assert text.startswith("HTTP/1.1 413") and "太大" in text


def test_a_flood_from_one_client_gets_429_in_chinese_and_others_are_served(tmp_path):
    settings = make_settings(tmp_path, rate_limit_per_minute=6, rate_limit_burst=3, trusted_proxies=["127.0.0.1"])
    with serve(settings) as url, httpx.Client(base_url=url) as c:
        flood = {"X-Forwarded-For": "10.0.0.66"}
        codes = [c.post("/api/ask", json={"question": Q}, headers=flood).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        for method, path, body in (("POST", "/api/ask", {"question": Q}), ("POST", "/api/search", {"question": Q}),
                                   ("POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": Q}]}),
                                   ("POST", "/gradio_api/call/chat", {"data": [Q, []]})):
            r = c.request(method, path, json=body, headers=flood)
            assert r.status_code == 429, path
            assert "请求太频繁" in chinese(r) and int(r.headers["retry-after"]) >= 1
        assert c.get("/api/health", headers=flood).status_code == 200  # only asking is limited
        other = c.post("/api/ask", json={"question": Q}, headers={"X-Forwarded-For": "10.0.0.67"})
        assert other.status_code == 200


class SlowEngine(FakeEngine):
    """Takes `seconds` for every answer: an LLM endpoint that hangs, or a question too big to finish."""

    seconds = 3.0

    def ask_stream(self, question, history=()):
        time.sleep(self.seconds)
        yield from super().ask_stream(question, history)

    def search(self, text, k=None):
        time.sleep(self.seconds)
        return super().search(text, k)


def test_a_request_over_its_time_budget_is_a_503_in_chinese(tmp_path):
    settings = make_settings(tmp_path, request_timeout=0.5, max_concurrent_answers=1, rate_limit_per_minute=0)
    with serve(settings, SlowEngine(settings)) as url, httpx.Client(base_url=url, timeout=30) as c:
        for path, body in (("/api/ask", {"question": Q}), ("/api/search", {"question": Q}),
                           ("/v1/chat/completions", {"messages": [{"role": "user", "content": Q}]}),
                           ("/v1/chat/completions", {"stream": True, "messages": [{"role": "user", "content": Q}]})):
            r = c.post(path, json=body)  # a stream too: its first piece is awaited before any header goes out
            assert r.status_code == 503, (path, r.status_code)
            assert r.json()["error"]["type"] == "too_busy" and "秒内没有完成" in chinese(r)


def test_anonymous_uploads_count_against_the_client_rate(tmp_path):
    """Anyone may upload to the public page's file inputs; a flood of uploads is stopped like a flood of asks."""
    settings = make_settings(tmp_path, rate_limit_per_minute=6, rate_limit_burst=2, trusted_proxies=["127.0.0.1"])
    with serve(settings) as url, httpx.Client(base_url=url) as c:
        flood = {"X-Forwarded-For": "10.0.0.70"}
        files = {"files": ("问题.csv", "问题\n普陀2024年新增多少养老床位？\n".encode(), "text/csv")}
        codes = [c.post("/gradio_api/upload", files=files, headers=flood).status_code for _ in range(3)]
        assert codes[:2] == [200, 200] and codes[2] == 429, codes
        r = c.post("/gradio_api/upload", files=files, headers=flood)
        assert "上传" in chinese(r) and int(r.headers["retry-after"]) >= 1
        other = c.post("/gradio_api/upload", files=files, headers={"X-Forwarded-For": "10.0.0.71"})
        assert other.status_code == 200
