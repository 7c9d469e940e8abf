"""The fake OpenAI server the generator and embedder tests rely on speaks the API as described."""

from __future__ import annotations

import json

import httpx

from tests.openai_stub import OpenAIStub, stub_embedding


def test_chat_completion_and_request_log():
    with OpenAIStub(reply="你好") as stub:
        r = httpx.post(f"{stub.base_url}/chat/completions", json={"model": "m", "messages": []})
        assert r.json()["choices"][0]["message"]["content"] == "你好"
        assert [q.body["model"] for q in stub.chat_requests()] == ["m"]


def test_streaming_sends_deltas_then_done():
    with OpenAIStub(reply="普陀区新增200张", chunk_chars=3) as stub, httpx.stream(
        "POST", f"{stub.base_url}/chat/completions", json={"model": "m", "messages": [], "stream": True}
    ) as r:
        lines = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(x) for x in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == "普陀区新增200张"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_embeddings_are_deterministic_unit_vectors_of_the_configured_dimension():
    with OpenAIStub(embedding_dim=16) as stub:
        r = httpx.post(f"{stub.base_url}/embeddings", json={"model": "e", "input": ["养老床位", "低保"]})
        data = r.json()["data"]
    assert [d["index"] for d in data] == [0, 1]
    assert data[0]["embedding"] == stub_embedding("养老床位", 16)
    assert data[0]["embedding"] != data[1]["embedding"]
    assert abs(sum(v * v for v in data[0]["embedding"]) - 1.0) < 1e-9


def test_http_error_and_reset():
    with OpenAIStub(status=500) as stub:
        assert httpx.post(f"{stub.base_url}/chat/completions", json={}).status_code == 500
        stub.reset()
        assert stub.requests == []
        assert httpx.post(f"{stub.base_url}/chat/completions", json={}).status_code == 200
