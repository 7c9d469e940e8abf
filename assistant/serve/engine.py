"""The one object every front end talks to: `ask` and `search` over a loaded index.

Front ends (CLI, Gradio, REST, widget, batch, eval) call only `build_engine(settings)` and the
methods of `Engine`; none of them retrieves or formats on its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from assistant.answer.answering import answer_question
from assistant.answer.context import build_context
from assistant.answer.generation import get_generator
from assistant.answer.retrieval import search
from assistant.core.settings import Settings
from assistant.core.types import Answer, BuildReport, DocumentInfo, Hit, Status, Turn
from assistant.index.embedding import QueryCache, get_embedder
from assistant.index.store import build_index, ensure_index, load_index

log = logging.getLogger(__name__)


class Engine:
    """A loaded index plus the embedder and answer generator named in settings."""

    def __init__(self, settings: Settings, progress: Callable[[float, str], None] | None = None):
        self.settings = settings
        self.embedder = QueryCache(get_embedder(settings), settings.query_cache_size)
        ensure_index(settings, self.embedder, progress=progress)  # builds it when missing or stale
        self.index = load_index(settings, self.embedder)
        self.context = build_context(self.index, settings)
        self.generator = get_generator(settings)
        # Only rebuilds take it, one at a time: questions run side by side, each on the index and
        # context it started with; a rebuild swaps the new ones in with one assignment.
        self._rebuild_lock = threading.Lock()
        self._warn_if_llm_unusable()

    def _warn_if_llm_unusable(self) -> None:
        """At start: a configured LLM that cannot be reached or lacks the model is a warning, not silence."""
        probe = getattr(self.generator, "probe", None)
        if probe is None:
            return
        state = probe()
        if not state.get("reachable") or state.get("model_listed") is False:
            log.warning("警告：%s。在它恢复之前，所有回答都用离线答案（附说明）；/api/health 显示其状态。",
                        state.get("last_error") or f"大模型服务 {state.get('base_url')} 不可用")

    def health(self) -> dict:
        """The generator's state (for an LLM: reachable, model, last error)."""
        return self.generator.health()

    def search(self, text: str, k: int | None = None) -> list[Hit]:
        """Hybrid (dense + keyword) search; metadata in the question filters and boosts."""
        return search(self.index, self.embedder, text, k or self.settings.top_k)

    def ask(self, question: str, history: Sequence[Turn | str] = ()) -> Answer:
        """Answer one question of a conversation, with cited spans, or refuse."""
        answer: Answer | None = None
        for item in self.ask_stream(question, history):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def ask_stream(self, question: str, history: Sequence[Turn | str] = ()) -> Iterator[str | Status | Answer]:
        """Yield `Status` lines while an LLM works, checked pieces of the answer text, then the final `Answer`."""
        t0 = time.perf_counter()
        context = self.context  # the same one throughout, even if a rebuild swaps in another meanwhile
        offline = answer_question(context, self.embedder, question, history,
                                  max_chars=self.settings.max_question_chars)
        final = offline
        for item in self.generator.stream(question, offline, context.index):
            if isinstance(item, Answer):
                final = item
            else:
                yield item
        yield replace(final, latency_ms=round((time.perf_counter() - t0) * 1000, 1))

    def documents(self) -> list[DocumentInfo]:
        """The documents in the index with their metadata and chunk/fact counts."""
        return self.index.document_infos()

    def rebuild(self, progress: Callable[[float, str], None] | None = None) -> BuildReport:
        """Re-index the corpus folder (unchanged documents reuse their vectors) and reload."""
        with self._rebuild_lock:
            report = build_index(self.settings, self.embedder, progress=progress)
            index = load_index(self.settings, self.embedder)
            self.context = build_context(index, self.settings)
            self.index = index
        return report


def build_engine(settings: Settings, progress: Callable[[float, str], None] | None = None) -> Engine:
    """Load everything once (embedder, index, generator); builds the index if there is none."""
    return Engine(settings, progress)
