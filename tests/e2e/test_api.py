"""REST API, OpenAI-compatible endpoint, CORS and widget.js, through TestClient over the fake engine."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from assistant.core.errors import IndexNotBuilt
from assistant.core.settings import Settings
from assistant.core.types import Turn
from assistant.serve.api import ConversationStore, create_api
from assistant.serve.batch import run_batch
from assistant.serve.batch_files import read_questions
from assistant.serve.http_edge import same_origin
from tests.fake_engine import PUTUO_TEXT, FakeEngine

Q = "普陀2024年新增多少养老床位？"
BASE = "http://127.0.0.1:7860"  # a Host the server answers to (the default allowed hosts: bind address, loopback)
A = "根据《普陀区民政局2024年工作要点》，普陀区2024年计划新增养老床位200张。"


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def client(engine) -> TestClient:
    return TestClient(create_api(Settings(), engine), base_url=BASE, raise_server_exceptions=False)


def sse_events(text: str) -> list[str]:
    """The `data:` payloads of an SSE body, in order."""
    return [line[len("data: "):] for line in text.splitlines() if line.startswith("data: ")]


# ---------------------------------------------------------------- /api/ask


def test_ask_returns_the_answer_with_its_citation(client):
    r = client.post("/api/ask", json={"question": Q})
    assert r.status_code == 200
    body = r.json()
    assert body["value"] == 200.0 and body["unit"] == "张" and body["refused"] is False
    cit = body["citations"][0]
    assert cit["doc_title"] == "普陀区民政局2024年工作要点"
    start, end = cit["highlight"]
    assert cit["text"][start:end] == "200张"
    assert body["understood_as"] == "普陀区2024年新增养老床位"
    assert body["query"]["district"] == "普陀区"


def test_ask_refusal_is_a_200_with_refused_true(client):
    r = client.post("/api/ask", json={"question": "今天天气怎么样？"})
    assert r.status_code == 200
    assert r.json()["refused"] is True and r.json()["citations"] == []


def test_ask_passes_explicit_history(client, engine):
    client.post("/api/ask", json={"question": "那宝山2022年呢？", "history": [Q, "  "]})
    assert engine.asked[-1] == ("那宝山2022年呢？", [Q])


def test_conversation_id_keeps_turns_on_the_server(client, engine):
    client.post("/api/ask", json={"question": Q, "conversation_id": "c1"})
    r = client.post("/api/ask", json={"question": "那宝山2022年呢？", "conversation_id": "c1"})
    assert r.status_code == 200 and r.json()["conversation_id"] == "c1"
    question, history = engine.asked[-1]
    assert question == "那宝山2022年呢？"
    assert [t.question for t in history] == [Q]
    assert history[0].query.district == "普陀区"  # the understood slots travel with the turn
    # another conversation starts empty
    client.post("/api/ask", json={"question": Q, "conversation_id": "c2"})
    assert engine.asked[-1][1] == []


def test_explicit_history_wins_over_the_stored_conversation(client, engine):
    client.post("/api/ask", json={"question": Q, "conversation_id": "c1"})
    client.post("/api/ask", json={"question": "那宝山呢？", "conversation_id": "c1", "history": []})
    assert engine.asked[-1][1] == []


def test_conversation_store_is_bounded_lru():
    store = ConversationStore(max_conversations=2, max_turns=3)
    for i in range(5):
        store.add("a", Turn(question=f"q{i}"))
    assert [t.question for t in store.get("a")] == ["q2", "q3", "q4"]
    store.add("b", Turn(question="b"))
    store.get("a")  # touch a: b is now the least recently used
    store.add("c", Turn(question="c"))
    assert len(store) == 2 and store.get("b") == [] and store.get("a")


@pytest.mark.parametrize(
    "body, status, kind, words",
    [
        ({"question": ""}, 400, "bad_question", "问题是空的"),
        ({"question": "   "}, 400, "bad_question", "问题是空的"),
        ({"question": "养" * 2001}, 400, "bad_question", "2000字以内"),
        ({}, 422, "invalid_request", "缺少字段 question"),
        ({"question": 5}, 422, "invalid_request", "question"),
        ({"question": Q, "history": "not a list"}, 422, "invalid_request", "history"),
    ],
)
def test_ask_bad_input_is_a_clear_json_error(client, body, status, kind, words):
    r = client.post("/api/ask", json=body)
    assert r.status_code == status
    err = r.json()["error"]
    assert err["type"] == kind and words in err["message"]
    assert "Traceback" not in r.text


def test_question_of_exactly_the_limit_is_accepted(client):
    assert client.post("/api/ask", json={"question": "养老床位" + "啊" * 1996}).status_code == 200


def test_malformed_json_is_422_not_500(client):
    r = client.post("/api/ask", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["error"]["message"]


def test_index_not_built_is_503(engine, client, monkeypatch):
    def boom(*a, **k):
        raise IndexNotBuilt("还没有索引：请先运行 assistant index。")

    monkeypatch.setattr(engine, "ask_stream", boom)
    monkeypatch.setattr(engine, "documents", boom)
    r = client.post("/api/ask", json={"question": Q})
    assert r.status_code == 503 and r.json()["error"]["type"] == "index_not_built"
    assert client.get("/api/health").status_code == 503


def test_unexpected_engine_failure_is_a_500_without_stack_trace(engine, client, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(engine, "ask_stream", boom)
    r = client.post("/api/ask", json={"question": Q})
    assert r.status_code == 500
    assert r.json()["error"]["type"] == "internal_error"
    assert "secret internal detail" not in r.text and "Traceback" not in r.text


def test_unknown_route_is_json_404(client):
    r = client.get("/api/nothing")
    assert r.status_code == 404 and "/docs" in r.json()["error"]["message"]


# ---------------------------------------------------------------- search, health, docs


def test_search_returns_hits_with_three_scores(client):
    r = client.post("/api/search", json={"question": Q, "k": 3})
    assert r.status_code == 200
    hit = r.json()["hits"][0]
    assert hit["text"] == PUTUO_TEXT and hit["doc_title"] == "普陀区民政局2024年工作要点"
    assert (hit["keyword_score"], hit["vector_score"], hit["fused_score"]) == (12.5, 0.8, 0.9)
    assert hit["section"] == ["二、建设高品质普惠养老格局", "二是推动“普惠共享”多元养老新发展"]


@pytest.mark.parametrize("k", [0, 51, "many"])
def test_search_rejects_bad_k(client, k):
    assert client.post("/api/search", json={"question": Q, "k": k}).status_code == 422


def test_health(client):
    body = client.get("/api/health").json()
    assert body == {"status": "ok", "documents": 1, "chunks": 30, "facts": 80,
                    "embedder": "e5-small", "generator": "offline", "llm": {"generator": "offline"}}


def test_openapi_docs_list_every_route(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/search", "/api/health", "/v1/chat/completions", "/v1/models"} <= set(paths)


# ---------------------------------------------------------------- OpenAI-compatible


def test_models(client):
    body = client.get("/v1/models").json()
    assert body["object"] == "list" and body["data"][0]["id"] == "mz-assistant"


def test_chat_completion_non_streaming(client, engine):
    r = client.post("/v1/chat/completions", json={
        "model": "mz-assistant", "temperature": 0,
        "messages": [{"role": "system", "content": "你是助手"}, {"role": "user", "content": Q},
                     {"role": "assistant", "content": "200张"}, {"role": "user", "content": "那宝山呢？"}],
    })
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion"
    msg = body["choices"][0]["message"]
    assert msg == {"role": "assistant", "content": A}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["citations"][0]["doc_title"] == "普陀区民政局2024年工作要点"
    assert engine.asked[-1] == ("那宝山呢？", [Q])  # system and assistant messages are not history


def test_chat_completion_accepts_content_parts(client, engine):
    r = client.post("/v1/chat/completions", json={
        "messages": [{"role": "user", "content": [{"type": "text", "text": Q}]}]})
    assert r.status_code == 200 and engine.asked[-1][0] == Q


def test_chat_completion_streaming_sse(client):
    with client.stream("POST", "/v1/chat/completions",
                       json={"stream": True, "messages": [{"role": "user", "content": Q}]}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r.read().decode())
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert content == A
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == "stop"
    assert last["citations"][0]["highlight"] == [PUTUO_TEXT.index("200张"), PUTUO_TEXT.index("200张") + 4]
    assert len(chunks) >= 4  # role, at least two text pieces, the closing chunk


def test_streaming_corrects_a_stream_the_checked_answer_replaced(client, engine, monkeypatch):
    real = engine.ask_stream

    def unchecked_then_replaced(question, history=()):
        yield "普陀新增300张"  # what a generator streamed before the span check
        yield from (i for i in real(question, history) if not isinstance(i, str))

    monkeypatch.setattr(engine, "ask_stream", unchecked_then_replaced)
    with client.stream("POST", "/v1/chat/completions",
                       json={"stream": True, "messages": [{"role": "user", "content": Q}]}) as r:
        chunks = [json.loads(e) for e in sse_events(r.read().decode())[:-1]]
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert content == "普陀新增300张\n\n【以核对后的答案为准】" + A


@pytest.mark.parametrize(
    "messages, words",
    [
        ([{"role": "system", "content": "hi"}], "没有用户消息"),
        ([{"role": "user", "content": ""}], "问题是空的"),
        ([{"role": "user", "content": "养" * 2001}], "2000字以内"),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_chat_completion_bad_question_is_400_even_when_streaming(client, messages, words, stream):
    r = client.post("/v1/chat/completions", json={"stream": stream, "messages": messages})
    assert r.status_code == 400 and words in r.json()["error"]["message"]


def test_chat_completion_without_messages_is_422(client):
    r = client.post("/v1/chat/completions", json={"messages": []})
    assert r.status_code == 422 and "messages" in r.json()["error"]["message"]


# ---------------------------------------------------------------- widget and CORS


def test_widget_js_is_served_as_javascript(client):
    r = client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/javascript")
    assert "api/ask" in r.text and "attachShadow" in r.text


def test_widget_never_renders_server_text_as_html():
    from assistant.serve.api import STATIC_DIR

    js = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "document.write" not in js
    assert "http://" not in js.replace("http://www.w3.org/2000/svg", "").replace("http://HOST:PORT", "")


def test_same_origin_is_allowed(client):
    r = client.post("/api/ask", json={"question": Q}, headers={"Origin": BASE})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == BASE


def test_same_host_other_port_is_refused(client):
    r = client.get("/api/health", headers={"Origin": "http://127.0.0.1:8080"})
    assert r.status_code == 403 and r.json()["error"]["type"] == "origin_not_allowed"


def test_other_host_is_refused_with_instructions(client, engine):
    r = client.post("/api/ask", json={"question": Q}, headers={"Origin": "http://intranet.example"})
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["type"] == "origin_not_allowed"
    assert "ASSISTANT_ALLOWED_ORIGINS" in err["message"] and "http://intranet.example" in err["message"]
    assert engine.asked == []  # refused before reaching the engine


def test_other_host_preflight_is_refused(client):
    r = client.options("/api/ask", headers={"Origin": "http://intranet.example",
                                            "Access-Control-Request-Method": "POST"})
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers


def test_allowed_origin_from_settings_with_preflight(engine):
    api = create_api(Settings(allowed_origins=["http://intranet.example"]), engine)
    c = TestClient(api, base_url=BASE)
    pre = c.options("/api/ask", headers={"Origin": "http://intranet.example",
                                         "Access-Control-Request-Method": "POST",
                                         "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "http://intranet.example"
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert pre.headers["access-control-allow-headers"] == "content-type"
    r = c.post("/api/ask", json={"question": Q}, headers={"Origin": "http://intranet.example"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "http://intranet.example"
    assert c.get("/api/health", headers={"Origin": "http://evil.example"}).status_code == 403


def test_allowed_origins_from_environment(monkeypatch, engine):
    monkeypatch.setenv("ASSISTANT_ALLOWED_ORIGINS", '["http://oa.example:8000"]')
    c = TestClient(create_api(Settings(), engine), base_url=BASE)
    assert c.get("/api/health", headers={"Origin": "http://oa.example:8000"}).status_code == 200
    assert c.get("/api/health", headers={"Origin": "http://oa.example:8001"}).status_code == 403


def test_widget_script_itself_loads_from_any_page(client):
    assert client.get("/widget.js", headers={"Origin": "http://intranet.example"}).status_code == 200


@pytest.mark.parametrize(
    "origin, scheme, host, expected",
    [
        ("http://127.0.0.1:7860", "http", "127.0.0.1:7860", True),
        ("http://127.0.0.1:8080", "http", "127.0.0.1:7860", False),  # same host, other port
        ("http://127.0.0.1:9999", "http", "127.0.0.1:7860", False),
        ("https://127.0.0.1:7860", "http", "127.0.0.1:7860", False),  # other scheme
        ("http://localhost", "http", "localhost", True),
        ("http://localhost:80", "http", "localhost", True),  # default port written out
        ("https://oa.example", "https", "oa.example:443", True),
        ("http://localhost", "http", "localhost:7860", False),
        ("http://intranet.example", "http", "127.0.0.1:7860", False),
        ("null", "http", "127.0.0.1:7860", False),
        ("null", "http", "null", False),
        ("http://127.0.0.1.evil.example:7860", "http", "127.0.0.1:7860", False),
        ("http://[::1]:7860", "http", "[::1]:7860", True),
        ("http://[::1]:3000", "http", "[::1]:7860", False),
        ("http://user:pw@127.0.0.1:7860", "http", "127.0.0.1:7860", False),
    ],
)
def test_same_origin_needs_scheme_host_and_port(origin, scheme, host, expected):
    assert same_origin(origin, scheme, host) is expected


def test_ask_latency_over_the_fake_engine(engine, capsys):
    """Not a timed assertion: prints the API's own overhead (security edge included) for scale."""
    client = TestClient(create_api(Settings(rate_limit_per_minute=0), engine), base_url=BASE)
    client.post("/api/ask", json={"question": Q})
    n = 200
    t0 = time.perf_counter()
    for _ in range(n):
        assert client.post("/api/ask", json={"question": Q}).status_code == 200
    ms = (time.perf_counter() - t0) * 1000 / n
    with capsys.disabled():
        print(f"\n/api/ask over the fake engine: {ms:.2f} ms per request (TestClient, {n} requests)")


# ---------------------------------------------------------------- end to end with the real engine


@pytest.mark.slow
def test_end_to_end_with_the_real_engine(real_engine, tmp_path):
    """The real index and embedder behind the API and a batch file: cited figures, a follow-up by id."""
    settings, engine = real_engine.settings, real_engine
    c = TestClient(create_api(settings, engine), base_url=BASE)

    first = c.post("/api/ask", json={"question": Q, "conversation_id": "e2e"}).json()
    assert (first["value"], first["unit"], first["refused"]) == (200.0, "张", False)
    cit = first["citations"][0]
    assert cit["doc_title"] == "普陀区民政局2024年工作要点"
    assert cit["text"][cit["highlight"][0]:cit["highlight"][1]] == "200张"

    follow = c.post("/api/ask", json={"question": "那宝山2022年呢？", "conversation_id": "e2e"}).json()
    assert (follow["value"], follow["unit"]) == (760.0, "张")
    assert follow["citations"][0]["doc_title"] == "2022年宝山民政工作要点"

    health = c.get("/api/health").json()
    assert health["status"] == "ok" and health["documents"] == 5 and health["chunks"] > 0

    hits = c.post("/api/search", json={"question": Q, "k": 3}).json()["hits"]
    assert hits[0]["doc_title"] == "普陀区民政局2024年工作要点" and hits[0]["vector_score"] is not None

    with c.stream("POST", "/v1/chat/completions",
                  json={"stream": True, "messages": [{"role": "user", "content": Q}]}) as r:
        events = sse_events(r.read().decode())
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert "200张" in "".join(ch["choices"][0]["delta"].get("content", "") for ch in chunks)
    assert chunks[-1]["citations"][0]["doc_title"] == "普陀区民政局2024年工作要点"

    src = tmp_path / "in.jsonl"
    rows = [{"id": "a", "question": Q}, {"id": "b", "question": "那宝山2022年呢？", "history": [Q]}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    summary = run_batch(engine, read_questions(src), tmp_path / "out.jsonl")
    recs = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert summary.answered == 2 and [r["value"] for r in recs] == [200.0, 760.0]
