"""Answer generators: the offline answer as is (default), or an OpenAI-compatible LLM, span-checked.

A generator takes the offline answer (figure chosen and cited by `answering`) and yields the
reply text in pieces, then a final `Answer`. **The final `Answer` is authoritative**: the pieces
are a preview for streaming front ends, which must replace what they showed with `final.text`
(an LLM stream can break halfway, or its text can fail the figure check, and then the final
answer is the offline one with a note). Look a generator up by name with `get_generator`.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import httpx

from assistant.answer.verification import states_figure, unsupported_figures
from assistant.core.errors import ConfigError
from assistant.core.prompts import load_template, render_template
from assistant.core.settings import Settings
from assistant.core.types import Answer, Citation


class Generator(Protocol):
    """Turns the offline answer into the reply: text pieces first, then the final `Answer`."""

    name: str

    def stream(self, question: str, offline: Answer, index: Any = None) -> Iterator[str | Answer]:
        """Yield text pieces, then exactly one final `Answer` (which front ends display)."""
        ...


# --- offline ----------------------------------------------------------------------------------

def _pieces(text: str, size: int = 16) -> Iterator[str]:
    for i in range(0, len(text), size):
        yield text[i:i + size]


class OfflineGenerator:
    """The offline answer unchanged: no LLM, no network."""

    name = "offline"

    def __init__(self, settings: Settings | None = None):
        pass

    def stream(self, question: str, offline: Answer, index: Any = None) -> Iterator[str | Answer]:
        """Yield the offline text in a few pieces, then the offline `Answer` itself."""
        yield from _pieces(offline.text)
        yield offline


# --- OpenAI-compatible ------------------------------------------------------------------------

class LLMFailure(Exception):
    """The LLM call did not produce a usable reply; the message is the Chinese note for the user."""


NOTE_FIGURES = "大模型回答中的数字（{figures}）无法在引用原文中找到，已改用离线答案"
NOTE_MISSING = "大模型回答没有给出检索到的数字{figure}，已改用离线答案"
NOTE_EMPTY = "大模型服务 {url} 返回了空回答，已给出离线答案"
NOTE_TIMEOUT = "大模型服务 {url} 无响应（超时{timeout:g}秒），已给出离线答案"
NOTE_CONNECT = "无法连接大模型服务 {url}（{error}），已给出离线答案"
NOTE_HTTP = "大模型服务 {url} 返回错误（HTTP {status}），已给出离线答案"
NOTE_MALFORMED = "大模型服务 {url} 的回复格式无法识别，已给出离线答案"
NOTE_BROKEN = "大模型服务 {url} 的回复中途中断，已给出离线答案"


def format_passages(citations: tuple[Citation, ...], template: string.Template) -> str:
    """The cited passages, numbered, each with its document and section, for the user prompt."""
    return "\n\n".join(
        render_template(template, "passage.txt", n=i, doc_title=c.doc_title, section=c.section, text=c.text)
        for i, c in enumerate(citations, 1)
    )


class OpenAIGenerator:
    """Rewrites the offline answer with an OpenAI-compatible chat endpoint, then checks its figures.

    A refused offline answer is returned as is without calling the LLM. Every failure (timeout,
    connection, HTTP error, malformed or broken stream, unsupported figure) gives the offline
    answer with a note in `Answer.notes`; nothing is raised to the user. Pieces already yielded
    before a failure are superseded by the final `Answer` (front ends show `final.text`).
    """

    name = "openai"

    def __init__(self, settings: Settings, stream: bool = True):
        self.base_url = settings.llm_base_url.rstrip("/")
        self.model = settings.llm_model
        self.api_key = settings.llm_api_key
        self.timeout = float(settings.llm_timeout)
        self.use_stream = stream
        prompts = Path(settings.prompts_dir)
        self.system = render_template(load_template(prompts, "system.txt"), "system.txt")
        self.user_template = load_template(prompts, "user.txt")
        self.passage_template = load_template(prompts, "passage.txt")

    def messages(self, question: str, offline: Answer) -> list[dict[str, str]]:
        """The chat messages: the system rules and the question with its cited passages."""
        user = render_template(
            self.user_template, "user.txt",
            question=question,
            understood_as=offline.understood_as or question,
            figure=offline.as_written or "（无）",
            offline_answer=offline.text,
            passages=format_passages(offline.citations, self.passage_template),
        )
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]

    def stream(self, question: str, offline: Answer, index: Any = None) -> Iterator[str | Answer]:
        """Yield LLM deltas as they come, then the checked `Answer` (or the offline one with a note)."""
        if offline.refused or not offline.citations:
            yield from OfflineGenerator().stream(question, offline, index)  # nothing to ground an LLM on
            return
        pieces: list[str] = []
        try:
            deltas = self._stream_deltas if self.use_stream else self._complete
            for delta in deltas(self.messages(question, offline)):
                pieces.append(delta)
                yield delta
            text = "".join(pieces).strip()
            if not text:
                raise LLMFailure(NOTE_EMPTY.format(url=self.base_url))
        except LLMFailure as exc:
            yield _with_note(offline, str(exc))
            return
        yield self.check(text, offline)

    def check(self, text: str, offline: Answer) -> Answer:
        """The LLM's text as the answer if every figure in it is cited (and the offline figure stated)."""
        bad = unsupported_figures(text, offline.citations, computations=(offline.text,))
        if bad:
            return _with_note(offline, NOTE_FIGURES.format(figures="、".join(bad)))
        stated = offline.value is None or not offline.unit or states_figure(text, offline.value, offline.unit)
        if not stated:
            return _with_note(offline, NOTE_MISSING.format(figure=offline.as_written or ""))
        return replace(offline, text=text, backend=self.name)

    # transport ---------------------------------------------------------------------------------
    def _request(self, messages: list[dict[str, str]], stream: bool) -> tuple[str, dict[str, Any], dict]:
        url = f"{self.base_url}/chat/completions"
        headers = {"Authorization": f"Bearer {self.api_key}"}
        body = {"model": self.model, "messages": messages, "stream": stream, "temperature": 0}
        return url, headers, body

    def _client(self) -> httpx.Client:
        return httpx.Client(timeout=httpx.Timeout(self.timeout, connect=self.timeout))

    def _complete(self, messages: list[dict[str, str]]) -> Iterator[str]:
        url, headers, body = self._request(messages, stream=False)
        with self._failures(), self._client() as client:
            response = client.post(url, headers=headers, json=body)
            self._raise_for_status(response)
            try:
                content = response.json()["choices"][0]["message"]["content"]
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise LLMFailure(NOTE_MALFORMED.format(url=self.base_url)) from exc
            if not isinstance(content, str):
                raise LLMFailure(NOTE_MALFORMED.format(url=self.base_url))
        yield content

    def _stream_deltas(self, messages: list[dict[str, str]]) -> Iterator[str]:
        url, headers, body = self._request(messages, stream=True)
        with self._failures(), self._client() as client, client.stream(
            "POST", url, headers=headers, json=body
        ) as response:
            if response.status_code >= 400:
                response.read()
                self._raise_for_status(response)
            finished = False
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue  # blank separators, ": keep-alive" comments, "event:" lines
                payload = line[5:].strip()
                if payload == "[DONE]":
                    finished = True
                    break
                delta, finish = _parse_chunk(payload, self.base_url)
                if delta:
                    yield delta
                finished = finished or finish is not None
            if not finished:
                raise LLMFailure(NOTE_BROKEN.format(url=self.base_url))

    def _raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise LLMFailure(NOTE_HTTP.format(url=self.base_url, status=response.status_code))

    def _failures(self) -> _TransportFailures:
        return _TransportFailures(self.base_url, self.timeout)


def _parse_chunk(payload: str, url: str) -> tuple[str, str | None]:
    """(content delta, finish_reason) of one SSE `data:` payload of a chat-completion stream."""
    try:
        chunk = json.loads(payload)
        if "error" in chunk:
            raise LLMFailure(NOTE_MALFORMED.format(url=url))
        choices = chunk["choices"]
        if not choices:  # e.g. a trailing usage-only chunk
            return "", None
        choice = choices[0]
        content = (choice.get("delta") or {}).get("content") or ""
        if not isinstance(content, str):
            raise TypeError("content is not text")
        return content, choice.get("finish_reason")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise LLMFailure(NOTE_MALFORMED.format(url=url)) from exc


class _TransportFailures:
    """Context manager turning httpx errors into `LLMFailure` with the Chinese note."""

    def __init__(self, url: str, timeout: float):
        self.url, self.timeout = url, timeout

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        if exc is None or isinstance(exc, LLMFailure) or not isinstance(exc, Exception):
            return False
        if isinstance(exc, httpx.TimeoutException):
            raise LLMFailure(NOTE_TIMEOUT.format(url=self.url, timeout=self.timeout)) from exc
        if isinstance(exc, httpx.ConnectError):
            raise LLMFailure(NOTE_CONNECT.format(url=self.url, error=_short(exc))) from exc
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
            raise LLMFailure(NOTE_BROKEN.format(url=self.url)) from exc
        if isinstance(exc, (httpx.HTTPError, httpx.InvalidURL, UnicodeDecodeError)):
            raise LLMFailure(NOTE_CONNECT.format(url=self.url, error=_short(exc))) from exc
        return False


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 80 else text[:77] + "…"


def _with_note(answer: Answer, note: str) -> Answer:
    return replace(answer, notes=(*answer.notes, note))


# --- lookup -----------------------------------------------------------------------------------

GENERATORS: dict[str, type] = {"offline": OfflineGenerator, "openai": OpenAIGenerator}


def get_generator(settings: Settings) -> Generator:
    """The generator named by `settings.generator`; an unknown name lists the valid ones."""
    cls = GENERATORS.get(settings.generator)
    if cls is None:
        raise ConfigError(
            f"unknown answer generator {settings.generator!r}; set ASSISTANT_GENERATOR to one of: "
            f"{', '.join(GENERATORS)}"
        )
    return cls(settings)
