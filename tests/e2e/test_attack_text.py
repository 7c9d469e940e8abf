"""Attacks with text: lone surrogates, control characters, bad UTF-8, the frameworks' own errors, "1+1".

Holes 6 and 7 of issue 9 (a surrogate gave 500 and a reset connection; the 413 and the bad-UTF-8
400 were English; "1+1" was answered as found; an emptied facts.jsonl loaded without complaint).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from assistant.core.settings import get_settings
from tests.e2e.running import Q, chinese, make_settings, serve
from tests.fake_engine import PUTUO_TEXT
from tests.fakes import CharHashEmbedder

pytestmark = pytest.mark.e2e

SURROGATE = '"\\ud800普陀2024年新增多少养老床位？"'  # JSON text: a lone high surrogate, then the question


def raw(c: httpx.Client, path: str, body: bytes) -> httpx.Response:
    return c.post(path, content=body, headers={"content-type": "application/json"})


def test_a_lone_surrogate_is_a_chinese_400_not_a_reset_connection(readonly):
    _, engine, url = readonly
    asked = len(engine.asked)
    bodies = {
        "/api/ask": f'{{"question": {SURROGATE}}}',
        "/api/search": f'{{"question": {SURROGATE}}}',
        "/v1/chat/completions": f'{{"messages": [{{"role": "user", "content": {SURROGATE}}}]}}',
        "/gradio_api/call/chat": f'{{"data": [{SURROGATE}, []]}}',
        "/gradio_api/call/search": f'{{"data": [{SURROGATE}, 5]}}',
    }
    with httpx.Client(base_url=url) as c:  # one connection: it must survive every attack
        for path, body in bodies.items():
            r = raw(c, path, body.encode())
            assert r.status_code == 400, (path, r.status_code, r.text[:200])
            assert r.json()["error"]["type"] == "bad_text" and "乱码" in chinese(r)
        history = raw(c, "/api/ask", f'{{"question": "{Q}", "history": [{SURROGATE}]}}'.encode())
        assert history.status_code == 400
        key = raw(c, "/api/ask", f'{{"question": "{Q}", "conversation_id": {SURROGATE}}}'.encode())
        assert key.status_code == 400
        emoji = raw(c, "/api/ask", f'{{"question": "\\ud83d\\ude00{Q}"}}'.encode())  # a valid pair is fine
        assert emoji.status_code == 200
        assert c.post("/api/ask", json={"question": Q}).status_code == 200
    assert len(engine.asked) == asked + 2


def test_control_characters_are_removed_before_the_engine(readonly):
    _, engine, url = readonly
    with httpx.Client(base_url=url) as c:
        r = c.post("/api/ask", json={"question": "\x00普陀\x1b[31m2024年\u0085新增\r\n多少养老床位\x7f？",
                                     "history": ["\x07普陀\x00"]})
        assert r.status_code == 200 and "\x00" not in r.text
        only = c.post("/api/ask", json={"question": "\x00\x01\x02"})
        assert only.status_code == 400 and "控制字符" in chinese(only)
    question, history = engine.asked[-1]
    assert question == "普陀[31m2024年新增 多少养老床位？" and history == ["普陀"]


def test_bad_utf8_is_a_chinese_400(readonly):
    _, _, url = readonly
    with httpx.Client(base_url=url) as c:
        for path in ("/api/ask", "/v1/chat/completions", "/gradio_api/call/chat"):
            r = raw(c, path, b'{"question": "\xff\xfe", "data": ["\xc3"]}')
            assert r.status_code == 400 and "UTF-8" in chinese(r), path


def test_the_frameworks_own_errors_are_chinese(tmp_path):
    settings = make_settings(tmp_path, max_upload_bytes=2048, rate_limit_per_minute=0)
    with serve(settings) as url, httpx.Client(base_url=url) as c:
        cases = [
            c.get("/api/nope"), c.get("/gradio_api/nope"), c.get("/nope/deeper"),            # 404
            c.get("/api/ask"), c.put("/api/search", json={}),                                  # 405
            c.post("/api/ask", json={}), c.post("/api/ask", json={"question": 5}),             # 422
            raw(c, "/api/ask", b"{not json"), c.post("/api/search", json={"question": Q, "k": 0}),
            c.post("/gradio_api/upload", files={"files": ("big.csv", b"x" * 4096)}),           # 413 (Gradio)
            c.post("/gradio_api/call/nope", json={"data": []}),                                # Gradio's 404
            raw(c, "/gradio_api/queue/join", b'{"data": 1}'),                                  # Gradio's 422
        ]
        for r in cases:
            assert r.status_code in (400, 404, 405, 413, 422), (r.request.url, r.status_code)
            chinese(r)
        assert cases[9].status_code == 413 and "MB" in chinese(cases[9])


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """The real Engine (index, retrieval, answering) over a tiny corpus; only the embedder is a fake."""
    from assistant.serve import engine as engine_module

    root = tmp_path_factory.mktemp("real")
    mp = pytest.MonkeyPatch()
    mp.setattr(engine_module, "get_embedder", lambda settings: CharHashEmbedder(dim=32))
    settings = make_settings(root, rate_limit_per_minute=0)
    from assistant.serve.engine import build_engine

    engine = build_engine(settings)
    with serve(settings, engine) as url:
        yield settings, engine, url
    mp.undo()


@pytest.mark.parametrize("question", ["1+1", "=1+1", "2024-2022", "100%", "？？？"])
def test_a_question_without_any_word_is_refused(real, question):
    _, engine, url = real
    with httpx.Client(base_url=url) as c:
        r = c.post("/api/ask", json={"question": question})
        assert r.status_code == 400, r.text
        assert "没有文字" in chinese(r)
        v1 = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": question}]})
        assert v1.status_code == 400
        found = c.post("/api/ask", json={"question": "计划新增多少张养老床位？"})  # a real question still is
        assert found.status_code == 200 and found.json()["value"] == 200.0
    client = Client(url + "/", verbose=False)
    try:
        chat, *_ = client.predict(question, {"conversations": [], "current": None}, api_name="/chat")
    finally:
        client.close()
    assert "没有文字" in json.dumps(chat, ensure_ascii=False)


@pytest.mark.parametrize("question", ["GDP?", "Сколько коек?", "병상은 몇 개입니까"])
def test_a_question_in_another_writing_system_is_refused_not_answered(real, question):
    _, _, url = real
    with httpx.Client(base_url=url) as c:
        body = c.post("/api/ask", json={"question": question}).json()
    assert body["refused"] is True and body["value"] is None and body["citations"] == []
    assert "中文" in body["text"]


def test_a_damaged_index_is_rebuilt_at_start_and_says_why(tmp_path, monkeypatch, caplog):
    from assistant.core.errors import IndexNotBuilt
    from assistant.index.store import build_index, load_index, read_manifest
    from assistant.serve import engine as engine_module
    from assistant.serve.engine import build_engine

    embedder = CharHashEmbedder(dim=32)
    monkeypatch.setattr(engine_module, "get_embedder", lambda settings: embedder)  # the boundary the engine uses
    settings = make_settings(tmp_path, rate_limit_per_minute=0)
    (Path(settings.corpus_dir) / "2022-baoshan.txt").write_text(PUTUO_TEXT.replace("普陀", "宝山"), encoding="utf-8")
    build_index(settings, embedder)
    built = read_manifest(settings.index_dir)
    facts = built["facts"]
    assert facts > 0
    (Path(settings.index_dir) / "facts.jsonl").write_text("", encoding="utf-8")  # the damage of the issue

    with pytest.raises(IndexNotBuilt, match="facts.jsonl"):
        load_index(get_settings(index_dir=settings.index_dir), embedder)
    with caplog.at_level("WARNING"):
        engine = build_engine(settings)
    assert "facts.jsonl" in caplog.text and "重建" in caplog.text
    with serve(settings, engine) as url, httpx.Client(base_url=url) as c:
        health = c.get("/api/health").json()
    assert health["facts"] == facts and health["documents"] == built["documents"]
