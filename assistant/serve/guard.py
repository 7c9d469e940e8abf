"""Bounded work per request: every question and history item cleaned and limited, and a time budget.

`guarded(engine, settings)` wraps the Engine every front end talks to (REST, /v1, the web app, the
widget), so no front end can pass it a megabyte of history, a lone surrogate or "1+1", and no
answer runs longer than `settings.request_timeout` or alongside more than
`settings.max_concurrent_answers` others.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from typing import Any, TypeVar

from assistant.core.errors import BadQuestion, TooBusy
from assistant.core.settings import Settings
from assistant.core.types import Answer, Hit, Turn
from assistant.text.scripts import has_letters_of, main_scripts

T = TypeVar("T")

# C0/C1 control characters (tab and newlines become spaces) and lone surrogates, which no
# tokenizer or JSON encoder accepts.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACE_CONTROL = re.compile(r"[\t\n\r]+")
SCRIPT_NAMES = {"Han": "中文", "Latin": "拉丁字母", "Cyrillic": "西里尔字母", "Hangul": "韩文",
                "Hiragana": "日文", "Katakana": "日文", "Arabic": "阿拉伯文"}
EXAMPLE = "例如“普陀2024年新增多少养老床位？”"
MAX_ANSWER_CHARS = 20_000  # of an earlier answer kept in a Turn (answers are far shorter)


def clean_text(text: str) -> str:
    """The text without control characters and lone surrogates; tabs and newlines become spaces."""
    return _CONTROL.sub("", _SPACE_CONTROL.sub(" ", text))


def check_question(question: Any, settings: Settings) -> str:
    """The cleaned question, or BadQuestion when it is empty or longer than the limit."""
    if not isinstance(question, str) or not question.strip():
        raise BadQuestion(f"问题是空的：请输入一个问题，{EXAMPLE}")
    limit = settings.max_question_chars
    if len(question) > limit * 4 + 10_000:  # do not even clean megabytes
        raise BadQuestion(f"问题太长（{len(question)}字）：请把问题缩短到{limit}字以内，一次只问一件事。")
    text = clean_text(question).strip()
    if not text:
        raise BadQuestion(f"问题里只有控制字符或乱码，没有文字：请重新输入问题，{EXAMPLE}")
    if len(text) > limit:
        raise BadQuestion(f"问题太长（{len(text)}字）：请把问题缩短到{limit}字以内，一次只问一件事。")
    return text


def check_language(question: str, scripts: frozenset[str]) -> str | None:
    """None when the question has a letter of the documents' scripts; else the refusal to send instead.

    A question without any letter ("1+1", "=1+1", "100%") is a BadQuestion, as one of punctuation only
    is; one in another writing system gets the refusal text (answered as refused, never looked up).
    """
    if has_letters_of(question, scripts):
        return None
    if not has_letters_of(question, frozenset()):
        raise BadQuestion(f"问题里没有文字，只有数字或符号：请用文字写出想问的内容，{EXAMPLE}")
    names = "、".join(sorted({SCRIPT_NAMES.get(s, s) for s in scripts}))
    return f"文件是用{names}写的，问题里没有{names}的词，无法在文件中查找：请用{names}提问，{EXAMPLE}"


def check_history(history: Sequence[Turn | str] | None, settings: Settings) -> list[Turn | str]:
    """Earlier turns, cleaned; an item longer than a question is refused, the oldest dropped past the limits."""
    items: list[Turn | str] = []
    for n, item in enumerate(history or (), 1):
        if isinstance(item, Turn):  # from the server's store or the browser's: a damaged one is left out
            if isinstance(item.question, str) and len(item.question) <= settings.max_question_chars:
                answer = item.answer_text if isinstance(item.answer_text, str) else None
                items.append(replace(item, answer_text=answer[:MAX_ANSWER_CHARS] if answer else answer))
            continue
        if not isinstance(item, str):
            raise BadQuestion(f"对话历史第{n}条不是文字：history 里每一条都应是一个问题（字符串）。")
        if len(item) > settings.max_question_chars:
            raise BadQuestion(f"对话历史第{n}条太长（{len(item)}字）：每条不能超过{settings.max_question_chars}字，"
                              "请只发送之前问过的问题。")
        text = clean_text(item).strip()
        if text:
            items.append(text)
    items = items[-settings.max_history_items:] if settings.max_history_items > 0 else []
    total = sum(len(_words(i)) for i in items)
    while items and total > settings.max_history_chars:
        total -= len(_words(items.pop(0)))
    return items


def _words(item: Turn | str) -> str:
    return item.question if isinstance(item, Turn) else item


def document_texts(engine) -> list[str]:
    """What the documents are written in: their text when the engine holds an index, else their titles."""
    docs = getattr(getattr(engine, "index", None), "documents", None)
    if isinstance(docs, dict) and docs:
        return [getattr(d, "text", "") for d in docs.values()]
    return [d.meta.title for d in engine.documents()]


class GuardedEngine:
    """The Engine with every question checked and every answer run in a bounded pool under a deadline."""

    def __init__(self, engine, settings: Settings):
        self.inner = engine
        self.settings = settings
        self._pool = ThreadPoolExecutor(max_workers=max(1, settings.max_concurrent_answers),
                                        thread_name_prefix="answer")
        self._scripts: tuple[int, frozenset[str]] = (0, frozenset())
        self._scripts_lock = threading.Lock()

    def __getattr__(self, name: str):  # documents, rebuild, index …: the engine's own
        return getattr(self.inner, name)

    def scripts(self) -> frozenset[str]:
        """The documents' scripts, worked out again only when the loaded index changes."""
        key = id(getattr(self.inner, "index", self.inner))
        with self._scripts_lock:
            if self._scripts[0] != key or not self._scripts[1]:
                self._scripts = (key, main_scripts(document_texts(self.inner)))
            return self._scripts[1]

    def check(self, question: Any, history: Sequence[Turn | str] | None = ()) -> tuple[str, list[Turn | str]]:
        """The question and history as the engine may see them, or BadQuestion."""
        return check_question(question, self.settings), check_history(history, self.settings)

    def ask(self, question: str, history: Sequence[Turn | str] = ()) -> Answer:
        text, turns = self.check(question, history)
        refusal = check_language(text, self.scripts())
        if refusal:
            return Answer(question=text, text=refusal, refused=True, reason="language")
        return self._bounded(lambda: self.inner.ask(text, turns))

    def search(self, text: str, k: int | None = None) -> list[Hit]:
        query = check_question(text, self.settings)
        check_language(query, frozenset())  # a query without any letter finds nothing worth showing
        return self._bounded(lambda: self.inner.search(query, k))

    def ask_stream(self, question: str, history: Sequence[Turn | str] = ()) -> Iterator[str | Answer]:
        text, turns = self.check(question, history)
        refusal = check_language(text, self.scripts())
        if refusal:
            return iter([refusal, Answer(question=text, text=refusal, refused=True, reason="language")])
        return self._stream(lambda: self.inner.ask_stream(text, turns))

    def _bounded(self, fn: Callable[[], T]) -> T:
        future = self._pool.submit(fn)
        try:
            return future.result(timeout=self.settings.request_timeout)
        except FutureTimeout:
            future.cancel()  # still waiting for a worker: it never runs
            raise TooBusy(self._timeout_message()) from None

    def _stream(self, make: Callable[[], Iterator[str | Answer]]) -> Iterator[str | Answer]:
        items: queue.Queue = queue.Queue()
        done = object()

        def produce() -> None:
            try:
                for item in make():
                    items.put((item, None))
            except BaseException as e:  # handed to the consumer, raised there
                items.put((None, e))
            items.put((done, None))

        future: Future = self._pool.submit(produce)
        deadline = time.monotonic() + self.settings.request_timeout
        while True:
            try:
                item, error = items.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                future.cancel()
                raise TooBusy(self._timeout_message()) from None
            if error is not None:
                raise error
            if item is done:
                return
            yield item

    def _timeout_message(self) -> str:
        return (f"服务器繁忙或这个问题要处理的内容太多，{self.settings.request_timeout:g} 秒内没有完成："
                "请稍后重试，或把问题问得更具体些。")


def guarded(engine, settings: Settings) -> GuardedEngine:
    """`engine` behind the request guard (once: an engine already guarded is returned as it is)."""
    return engine if isinstance(engine, GuardedEngine) else GuardedEngine(engine, settings)
