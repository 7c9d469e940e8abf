"""The one client to an OpenAI-compatible chat endpoint: a total deadline, a concurrency limit, its state.

Built on the official `openai` package (its SSE parsing, retries and error types). What it adds
for a local server such as llama.cpp's:

- **a deadline for the whole reply** (waiting for a slot, connecting, first token, every token),
  which keep-alive comments (`: ping`) do not extend: the caller waits on `Call.result` until the
  deadline and no longer, and the transport ends the request at the next bytes after it;
- **at most `llm_max_concurrency` requests in flight** (a second request makes llama.cpp's server
  cut the first one short), later ones wait for a slot within their own deadline;
- **the reply with its `finish_reason`**, so a stream that ends with `[DONE]` and no reason is
  known to be cut short;
- **its state** (reachable, model, last error) for `/api/health`, and `probe()` for the start.

Every failure is an `LLMFailure` whose message is the Chinese note shown to the user.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

import httpx2

from assistant.core.settings import Settings

log = logging.getLogger(__name__)

NOTE_TIMEOUT = "大模型服务 {url} 在{timeout:g}秒内没有给出完整回答，已给出离线答案"
NOTE_BUSY = "大模型服务 {url} 正忙（{timeout:g}秒内没有轮到本问题），已给出离线答案"
NOTE_CONNECT = "无法连接大模型服务 {url}（{error}），已给出离线答案"
NOTE_HTTP = "大模型服务 {url} 返回错误（HTTP {status}），已给出离线答案"
NOTE_MALFORMED = "大模型服务 {url} 的回复格式无法识别，已给出离线答案"
NOTE_BROKEN = "大模型服务 {url} 的回复中途中断，已给出离线答案"
NOTE_CUT = "大模型服务 {url} 的回答没有正常结束（{reason}），可能不完整，已给出离线答案"
PROBE_TIMEOUT = 5.0  # seconds for the start-up check, at most


class LLMFailure(Exception):
    """The LLM call did not produce a usable reply; the message is the Chinese note for the user."""


@dataclass(frozen=True)
class Reply:
    """A whole reply: its text and why the server stopped (only "stop" means it is complete)."""

    text: str
    finish_reason: str | None
    model: str | None = None


@dataclass
class _Budget:
    """The deadline of one call, and whether its caller has given up; read by the transport."""

    deadline: float
    cancelled: threading.Event = field(default_factory=threading.Event)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("llm_budget", default=None)


class _DeadlineStream(httpx2.SyncByteStream):
    """A response body that stops at the first bytes after the deadline (a `: ping` does not extend it)."""

    def __init__(self, inner: httpx2.SyncByteStream, budget: _Budget, request: httpx2.Request):
        self.inner, self.budget, self.request = inner, budget, request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            if self.budget.cancelled.is_set() or self.budget.remaining() <= 0:
                raise httpx2.ReadTimeout("deadline passed", request=self.request)
            yield chunk

    def close(self) -> None:
        self.inner.close()


class _DeadlineTransport(httpx2.BaseTransport):
    """Refuses to start a request after its deadline and gives the body a deadline too."""

    def __init__(self) -> None:
        self.inner = httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        import openai  # only when an LLM endpoint is used: 0.6 s off every start

        budget = _BUDGET.get()
        if budget is not None and (budget.cancelled.is_set() or budget.remaining() <= 0):
            raise openai.APITimeoutError(request=request)  # an OpenAIError: not retried
        response = self.inner.handle_request(request)
        if budget is None:
            return response
        return httpx2.Response(status_code=response.status_code, headers=response.headers,
                               stream=_DeadlineStream(response.stream, budget, request),  # type: ignore[arg-type]
                               extensions=response.extensions)

    def close(self) -> None:
        self.inner.close()


@dataclass
class LLMState:
    """What /api/health reports about the LLM: reachable (None: not yet known), model, last error."""

    base_url: str
    model: str
    reachable: bool | None = None
    model_listed: bool | None = None  # whether the server's /models lists the configured model
    last_error: str | None = None
    last_error_at: float | None = None
    last_ok_at: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {"base_url": self.base_url, "model": self.model, "reachable": self.reachable,
                "model_listed": self.model_listed, "last_error": self.last_error,
                "last_error_at": self.last_error_at, "last_ok_at": self.last_ok_at}


class Call:
    """One request in flight, run in its own thread; `result` waits for it, never past the deadline."""

    def __init__(self, budget: _Budget):
        self.budget = budget
        self.future: Future[Reply] = Future()
        self.started = threading.Event()  # set once a slot was free and the request went out

    def result(self, timeout: float) -> Reply:
        """The reply; TimeoutError when it is not there within `timeout`; LLMFailure when it failed."""
        try:
            return self.future.result(timeout=max(0.0, timeout))
        except FutureTimeout as exc:
            raise TimeoutError from exc

    def cancel(self) -> None:
        """The caller gives up: the request ends at its next bytes and frees its slot."""
        self.budget.cancelled.set()


class ChatClient:
    """The configured endpoint, one connection pool for every call, `llm_max_concurrency` calls at once."""

    def __init__(self, settings: Settings):
        import openai  # only when an LLM endpoint is used: 0.6 s off every start

        self.base_url = settings.llm_base_url.rstrip("/")
        self.model = settings.llm_model
        self.timeout = float(settings.llm_timeout)
        self.stream = bool(settings.llm_stream)
        self.state = LLMState(self.base_url, self.model)
        self._slots = threading.BoundedSemaphore(max(1, int(settings.llm_max_concurrency)))
        self._lock = threading.Lock()
        self._http = httpx2.Client(transport=_DeadlineTransport())
        self._openai = openai.OpenAI(
            base_url=self.base_url, api_key=settings.llm_api_key or "EMPTY", http_client=self._http,
            max_retries=max(0, int(settings.llm_retries)),
            timeout=httpx2.Timeout(self.timeout, connect=min(self.timeout, PROBE_TIMEOUT)),
        )

    # --- calls ---------------------------------------------------------------------------------
    def start(self, messages: list[dict[str, str]]) -> Call:
        """Send the chat request in the background; the deadline (`llm_timeout`) starts now."""
        call = Call(_Budget(time.monotonic() + self.timeout))
        threading.Thread(target=self._run, args=(call, messages), daemon=True, name="llm-call").start()
        return call

    def _run(self, call: Call, messages: list[dict[str, str]]) -> None:
        if not self._slots.acquire(timeout=max(0.0, call.budget.remaining())):
            self._fail(call, LLMFailure(NOTE_BUSY.format(url=self.base_url, timeout=self.timeout)))
            return
        try:
            if call.budget.cancelled.is_set():
                return
            call.started.set()
            _BUDGET.set(call.budget)  # this thread's own context: read by the transport
            reply = self._request(messages, call.budget)
        except LLMFailure as exc:
            self._fail(call, exc)
        except Exception as exc:  # anything the package raises that is not mapped: still a failure
            log.exception("unexpected error from the LLM client")
            self._fail(call, LLMFailure(NOTE_CONNECT.format(url=self.base_url, error=_short(exc))))
        else:
            with self._lock:
                self.state.reachable, self.state.last_ok_at = True, time.time()
            call.future.set_result(reply)
        finally:
            self._slots.release()

    def _request(self, messages: list[dict[str, str]], budget: _Budget) -> Reply:
        import openai  # only when an LLM endpoint is used: 0.6 s off every start

        options = {"model": self.model, "messages": messages, "temperature": 0,
                   "timeout": httpx2.Timeout(max(0.1, budget.remaining()),
                                             connect=min(max(0.1, budget.remaining()), PROBE_TIMEOUT))}
        started = False
        try:
            if not self.stream:
                response = self._openai.chat.completions.create(**options)
                choice = response.choices[0]
                text = choice.message.content
                if not isinstance(text, str):
                    raise LLMFailure(NOTE_MALFORMED.format(url=self.base_url))
                return Reply(text, choice.finish_reason, response.model)
            pieces: list[str] = []
            finish: str | None = None
            model: str | None = None
            with self._openai.chat.completions.create(**options, stream=True) as chunks:
                for chunk in chunks:
                    started = True
                    model = model or chunk.model
                    for choice in chunk.choices or ():
                        if choice.delta and isinstance(choice.delta.content, str):
                            pieces.append(choice.delta.content)
                        finish = choice.finish_reason or finish
            return Reply("".join(pieces), finish, model)
        except openai.APITimeoutError as exc:
            raise LLMFailure(NOTE_TIMEOUT.format(url=self.base_url, timeout=self.timeout)) from exc
        except openai.APIStatusError as exc:
            raise LLMFailure(NOTE_HTTP.format(url=self.base_url, status=exc.status_code)) from exc
        except openai.APIConnectionError as exc:
            note = NOTE_BROKEN if started else NOTE_CONNECT
            raise LLMFailure(note.format(url=self.base_url, error=_short(exc.__cause__ or exc))) from exc
        except (openai.APIResponseValidationError, openai.APIError, ValueError, KeyError, IndexError,
                TypeError, AttributeError) as exc:
            raise LLMFailure(NOTE_MALFORMED.format(url=self.base_url)) from exc

    def _fail(self, call: Call, exc: LLMFailure) -> None:
        with self._lock:
            self.state.last_error, self.state.last_error_at = str(exc), time.time()
            if str(exc).startswith("无法连接"):
                self.state.reachable = False
        call.future.set_exception(exc)

    # --- state ---------------------------------------------------------------------------------
    def probe(self) -> LLMState:
        """Ask the server's `/models` once (a few seconds at most): is it there, does it know the model."""
        import openai  # only when an LLM endpoint is used: 0.6 s off every start

        budget = _Budget(time.monotonic() + min(self.timeout, PROBE_TIMEOUT))
        token = _BUDGET.set(budget)
        try:
            listed = [m.id for m in self._openai.models.list(timeout=min(self.timeout, PROBE_TIMEOUT))]
        except openai.APIStatusError as exc:
            # reachable, but no /models (some servers): the model cannot be checked
            error, reachable, model_listed = NOTE_HTTP.format(url=self.base_url, status=exc.status_code), True, None
        except Exception as exc:  # unreachable, timed out, not an OpenAI server
            error, reachable, model_listed = (
                f"无法连接大模型服务 {self.base_url}（{_short(exc.__cause__ or exc)}）", False, None)
        else:
            model_listed = self.model in listed
            reachable = True
            error = None if model_listed else (
                f"大模型服务 {self.base_url} 没有模型 {self.model!r}（可用：{'、'.join(listed) or '无'}）")
        finally:
            _BUDGET.reset(token)
        with self._lock:
            self.state.reachable, self.state.model_listed = reachable, model_listed
            if error:
                self.state.last_error, self.state.last_error_at = error, time.time()
        return self.state

    def close(self) -> None:
        self._http.close()


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 80 else text[:77] + "…"
