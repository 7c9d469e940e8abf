"""A fake OpenAI-compatible server (stdlib only) for tests of the LLM generator and embedder.

Speaks `POST /v1/chat/completions` (streaming SSE and not) and `POST /v1/embeddings`
(deterministic unit vectors from a hash of each input). Behaviour is switchable between
requests by setting attributes:

    with OpenAIStub(reply="普陀区2024年计划新增养老床位200张。") as stub:
        settings = Settings(generator="openai", llm_base_url=stub.base_url)
        stub.delay = 3          # sleep before answering (trigger timeouts)
        stub.status = 500       # answer with an HTTP error
        stub.malformed = True   # answer with a body that is not JSON
        stub.drop_after = 2     # streaming: cut the connection after 2 content chunks
        len(stub.requests)      # every request seen, with its JSON body

Like llama.cpp's server (`llama_cpp.server`, `llama-server`):

        stub.ping_every = 0.1          # streaming: a `: ping` comment this often while it makes you wait
        stub.first_token_delay = 3     # streaming: headers at once, first token after 3 s (pinging)
        stub.release = threading.Event()  # streaming: no first token until the test sets it (pinging)
        stub.interrupt_after = 2       # streaming: `data: [DONE]` after 2 deltas, no finish_reason
        stub.single_slot = True        # a new request cuts the one in flight short the same way
        stub.finish_reason = "length"  # the reason the last chunk (or the response) gives; None: none
        stub.echo_prompt = True        # reply with the prompt's own user message
        stub.reply = lambda body: "…"  # a reply worked out from the request
        stub.max_in_flight             # most chat requests it served at the same time

As a pytest fixture: `from openai_stub import openai_stub` in a test module, then take `openai_stub`.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

DEFAULT_REPLY = "根据《普陀区民政局2024年工作要点》，普陀区2024年计划新增养老床位200张。"


@dataclass
class RecordedRequest:
    """One request the stub received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or the raw text when it was not JSON


def stub_embedding(text: str, dim: int) -> list[float]:
    """The stub's vector for `text`: deterministic, unit length, from a hash of the text."""
    seed = struct.unpack("<Q", hashlib.sha256(text.encode("utf-8")).digest()[:8])[0]
    rng = random.Random(seed)
    vec = [rng.gauss(0.0, 1.0) for _ in range(dim)]
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


@dataclass
class _Behaviour:
    reply: str | Callable[[dict], str] = DEFAULT_REPLY
    delay: float = 0.0  # seconds to wait before sending anything
    chunk_delay: float = 0.0  # streaming: seconds between chunks
    chunk_chars: int = 4  # streaming: characters per content delta
    status: int = 200
    malformed: bool = False
    raw_body: str | None = None  # sent verbatim (status 200) instead of a well-formed reply
    drop_after: int | None = None  # streaming: close the connection after this many deltas
    ping_every: float = 0.0  # streaming: seconds between `: ping` comments while waiting (0: none)
    first_token_delay: float = 0.0  # streaming: seconds between the headers and the first token
    release: threading.Event | None = None  # streaming: the first token waits until this is set
    interrupt_after: int | None = None  # streaming: `[DONE]` with no finish_reason after this many deltas
    single_slot: bool = False  # a newer chat request interrupts the one being streamed
    finish_reason: str | None = "stop"
    echo_prompt: bool = False
    embedding_dim: int = 8
    models: tuple[str, ...] = ("stub-model",)  # what GET /v1/models lists
    requests: list[RecordedRequest] = field(default_factory=list)


class OpenAIStub(_Behaviour):
    """The server and its switchable behaviour; start/stop it or use it as a context manager."""

    def __init__(self, reply: str = DEFAULT_REPLY, embedding_dim: int = 8, **behaviour: Any):
        super().__init__(reply=reply, embedding_dim=embedding_dim, **behaviour)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._ticket = 0  # number of the latest chat request (single_slot)
        self.in_flight = 0
        self.max_in_flight = 0

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> OpenAIStub:
        stub = self

        class Handler(_Handler):
            owner = stub

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OpenAIStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "stub not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """What goes into `llm_base_url`: http://127.0.0.1:PORT/v1."""
        return f"http://127.0.0.1:{self.port}/v1"

    def reset(self) -> None:
        """Back to a well-behaved server with the default reply; forget recorded requests."""
        fresh = _Behaviour()
        for name in ("reply", "delay", "chunk_delay", "chunk_chars", "status", "malformed", "raw_body",
                     "drop_after", "ping_every", "first_token_delay", "release", "interrupt_after",
                     "single_slot", "finish_reason", "echo_prompt"):
            setattr(self, name, getattr(fresh, name))
        self.requests.clear()
        self.max_in_flight = 0

    def chat_requests(self) -> list[RecordedRequest]:
        """The chat-completion requests received so far."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)

    def reply_for(self, body: dict) -> str:
        """The reply text for a chat request: the prompt's user message, a function of it, or fixed."""
        if self.echo_prompt:
            users = [m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user"]
            return str(users[-1]) if users else ""
        return self.reply(body) if callable(self.reply) else self.reply

    def _enter(self) -> int:
        with self._lock:
            self._ticket += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return self._ticket

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _superseded(self, ticket: int) -> bool:
        return self.single_slot and self._ticket != ticket

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the stub is stopping; True when it is stopping."""
        return seconds > 0 and self._stopping.wait(seconds)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        pass  # clients that time out and hang up are expected here


class _Handler(BaseHTTPRequestHandler):
    owner: OpenAIStub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        stub = self.owner
        stub._record(RecordedRequest("GET", self.path, {k.title(): v for k, v in self.headers.items()}, None))
        if stub._sleep(stub.delay):
            return
        if not self.path.rstrip("/").endswith("/models"):
            self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
        elif not self._error_or_raw():
            self._send(200, {"object": "list", "data": [{"id": m, "object": "model", "created": 0,
                                                         "owned_by": "stub"} for m in stub.models]})

    def do_POST(self) -> None:  # noqa: N802
        stub = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", errors="replace")
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw
        stub._record(RecordedRequest("POST", self.path, {k.title(): v for k, v in self.headers.items()}, body))

        if stub._sleep(stub.delay):
            return
        if self.path.rstrip("/").endswith("/chat/completions"):
            self._chat(body if isinstance(body, dict) else {})
        elif self.path.rstrip("/").endswith("/embeddings"):
            self._embeddings(body if isinstance(body, dict) else {})
        else:
            self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    # responses -------------------------------------------------------------------------------
    def _error_or_raw(self) -> bool:
        stub = self.owner
        if stub.status >= 400:
            self._send(stub.status, {"error": {"message": "stub failure", "type": "server_error"}})
            return True
        if stub.malformed:
            self._send_text(200, "{this is not json", "application/json")
            return True
        if stub.raw_body is not None:
            self._send_text(200, stub.raw_body, "application/json")
            return True
        return False

    def _chat(self, body: dict) -> None:
        stub = self.owner
        ticket = stub._enter()
        try:
            self._chat_reply(body, ticket)
        finally:
            stub._leave()

    def _chat_reply(self, body: dict, ticket: int) -> None:
        stub = self.owner
        model = body.get("model", "stub-model")
        reply = stub.reply_for(body)
        if body.get("stream"):
            self._chat_stream(model, reply, ticket)
            return
        if self._error_or_raw():
            return
        if stub._sleep(stub.first_token_delay):
            return
        self._send(200, {
            "id": "chatcmpl-stub",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                         "finish_reason": stub.finish_reason}],
            "usage": {"prompt_tokens": 10, "completion_tokens": len(reply), "total_tokens": 10},
        })

    def _chat_stream(self, model: str, reply: str, ticket: int) -> None:
        stub = self.owner
        if stub.status >= 400 or stub.raw_body is not None:
            self._error_or_raw()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def write(data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def event(payload: str) -> None:
            write(f"data: {payload}\n\n".encode())

        def wait(seconds: float, until: threading.Event | None = None) -> bool:
            """Wait (pinging like llama.cpp) for `seconds` or until `until` is set; False when stopping."""
            end = time.monotonic() + seconds
            while (until is not None and not until.is_set()) or time.monotonic() < end:
                step = stub.ping_every or 0.05
                if until is None:
                    step = min(step, max(0.0, end - time.monotonic()))
                if stub._stopping.wait(step):
                    return False
                if stub.ping_every:
                    write(b": ping\n\n")
            return True

        def done_without_reason() -> None:
            event("[DONE]")  # llama.cpp when a request is cut short: no finish_reason anywhere
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def chunk(delta: dict, finish: str | None = None) -> str:
            return json.dumps({
                "id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }, ensure_ascii=False)

        try:
            event(chunk({"role": "assistant", "content": ""}))
            if not wait(stub.first_token_delay, stub.release):
                return
            if stub.malformed:
                event("{this is not json")
            else:
                n = max(1, stub.chunk_chars)
                pieces = [reply[i:i + n] for i in range(0, len(reply), n)]
                for sent, piece in enumerate(pieces):
                    if stub._superseded(ticket) or (stub.interrupt_after is not None
                                                    and sent >= stub.interrupt_after):
                        done_without_reason()
                        return
                    if stub.drop_after is not None and sent >= stub.drop_after:
                        self.close_connection = True
                        self.wfile.flush()
                        # a truncated chunked body: the client sees the stream break
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    if not wait(stub.chunk_delay):
                        return
                    event(chunk({"content": piece}))
                if stub._superseded(ticket):
                    done_without_reason()
                    return
                if stub.finish_reason is not None:
                    event(chunk({}, finish=stub.finish_reason))
            event("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass  # the client hung up

    def _embeddings(self, body: dict) -> None:
        stub = self.owner
        if self._error_or_raw():
            return
        inputs = body.get("input", [])
        if isinstance(inputs, str):
            inputs = [inputs]
        dim = int(body.get("dimensions") or stub.embedding_dim)
        self._send(200, {
            "object": "list",
            "model": body.get("model", "stub-embedding"),
            "data": [{"object": "embedding", "index": i, "embedding": stub_embedding(str(t), dim)}
                     for i, t in enumerate(inputs)],
            "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)},
        })

    def _send(self, status: int, payload: dict) -> None:
        self._send_text(status, json.dumps(payload, ensure_ascii=False), "application/json")

    def _send_text(self, status: int, text: str, content_type: str) -> None:
        data = text.encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True


@pytest.fixture
def openai_stub():
    """A running stub server for one test; import this name into a test module to use it."""
    with OpenAIStub() as stub:
        yield stub
