"""Answer generators: the offline answer as is (default), or an OpenAI-compatible LLM, checked.

A generator takes the offline answer (figure chosen and cited by `answering`) and yields
`Status` lines while it works, then the answer text in pieces, then one final `Answer`. Text is
yielded only once it has passed every check, so a stream never shows an unchecked figure and the
pieces always join to `final.text`. Look a generator up by name with `get_generator`.

What the LLM may do: for a figure, choose among the offline engine's candidate figures (their ids
and sentences are in the prompt) and word the answer; for other answers, reword them from the
cited passages. What it may not: add a figure, a name or a term the passages do not hold, leave
out the figure's place, year, qualifier or document, refuse, echo its prompt or stop short. Any of
these, and any failure of the endpoint, gives the offline answer with a note saying what happened.
"""

from __future__ import annotations

import string
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from assistant.answer import reply_check
from assistant.answer.llm_client import NOTE_BUSY, NOTE_CUT, NOTE_TIMEOUT, ChatClient, LLMFailure, Reply
from assistant.answer.verification import states_figure, unsupported_figures, unsupported_terms
from assistant.core.errors import ConfigError
from assistant.core.prompts import load_template, render_template
from assistant.core.settings import Settings
from assistant.core.types import Answer, Candidate, Citation, Status

STATUS_START = "正在请大模型核对并组织答案……"
STATUS_WAIT = "大模型仍在生成（已等{waited:.0f}秒，最多等{timeout:g}秒）……"
STATUS_EVERY = 2.0  # seconds between status lines while the LLM works

NOTE_FIGURES = "大模型回答中的数字（{figures}）无法在引用原文中找到，已改用离线答案"
NOTE_MISSING = "大模型回答没有给出检索到的数字{figure}，已改用离线答案"
NOTE_EMPTY = "大模型服务 {url} 返回了空回答，已给出离线答案"
NOTE_REFUSED = "大模型没有作答（回答“{text}”），而文件中找到了相关内容，已给出离线答案"
NOTE_ECHO = "大模型回答复述了提示词（“{label}”），已给出离线答案"
NOTE_NOTHING = "大模型回答只复述了问题，没有给出内容，已给出离线答案"
NOTE_TERMS = "大模型回答中的说法（{terms}）在引用原文中找不到，已改用离线答案"
NOTE_CONTEXT = "大模型回答没有写明数字{figure}所属的{missing}，已改用离线答案"
NOTE_NONE_FITS = "大模型认为候选数字都不回答这个问题，已给出离线答案，请核对原文"
NOTE_BAD_CHOICE = "大模型没有从候选数字中作出有效选择（{choice}），已给出离线答案"
NOTE_CHOSEN = "大模型在候选数字中选了{chosen}（离线检索首选为{offline}），数字及出处已与原文核对"
NOTE_BACKEND = "回答由大模型组织语言，数字和说法已与引用原文核对"


class Generator(Protocol):
    """Turns the offline answer into the reply: status lines, checked text pieces, the final `Answer`."""

    name: str

    def stream(self, question: str, offline: Answer, index: Any = None) -> Iterator[str | Status | Answer]:
        """Yield `Status` lines and text pieces, then exactly one final `Answer` (which front ends display)."""
        ...

    def health(self) -> dict[str, Any]:
        """What /api/health reports about this generator."""
        ...


def visible_notes(answer: Answer) -> list[str]:
    """The lines every front end shows under an answer: its notes, and who worded it when an LLM did."""
    lines = list(answer.notes)
    if answer.backend != "offline":
        lines.append(NOTE_BACKEND)
    return lines


# --- offline ----------------------------------------------------------------------------------

def _pieces(text: str, size: int = 16) -> Iterator[str]:
    for i in range(0, len(text), size):
        yield text[i:i + size]


class OfflineGenerator:
    """The offline answer unchanged: no LLM, no network."""

    name = "offline"

    def __init__(self, settings: Settings | None = None):
        pass

    def stream(self, question: str, offline: Answer, index: Any = None) -> Iterator[str | Status | Answer]:
        """Yield the offline text in a few pieces, then the offline `Answer` itself."""
        yield from _pieces(offline.text)
        yield offline

    def health(self) -> dict[str, Any]:
        return {"generator": self.name}


# --- OpenAI-compatible ------------------------------------------------------------------------

def format_passages(citations: tuple[Citation, ...], template: string.Template) -> str:
    """The cited passages, numbered, each with its document and section, for the user prompt."""
    return "\n\n".join(
        render_template(template, "passage.txt", n=i, doc_title=c.doc_title, section=c.section, text=c.text)
        for i, c in enumerate(citations, 1)
    )


def format_candidates(candidates: tuple[Candidate, ...], template: string.Template) -> str:
    """The candidate figures as F1, F2 …, each with its sentence and the figure marked 【】."""
    lines = []
    for i, cand in enumerate(candidates, 1):
        c = cand.citation
        a, b = c.highlight or (0, 0)
        sentence = f"{c.text[:a]}【{c.text[a:b]}】{c.text[b:]}" if c.highlight else c.text
        lines.append(render_template(template, "candidate.txt", id=f"F{i}", figure=cand.fact.as_written,
                                     doc_title=c.doc_title, section=c.section, sentence=sentence))
    return "\n\n".join(lines)


class OpenAIGenerator:
    """Asks an OpenAI-compatible chat endpoint to choose and word the answer, then checks the reply.

    A refused offline answer is returned as is without calling the LLM. Every failure (deadline,
    busy, connection, HTTP error, malformed, cut-short or unchecked reply) gives the offline answer
    with a note in `Answer.notes`; nothing is raised to the user.
    """

    name = "openai"

    def __init__(self, settings: Settings, stream: bool | None = None):
        if stream is not None:
            settings = settings.model_copy(update={"llm_stream": stream})
        self.client = ChatClient(settings)
        self.base_url, self.timeout = self.client.base_url, self.client.timeout
        self.max_candidates = max(1, settings.llm_candidates)
        prompts = Path(settings.prompts_dir)
        self.system = render_template(load_template(prompts, "system.txt"), "system.txt")
        self.user_template = load_template(prompts, "user.txt")
        self.passage_template = load_template(prompts, "passage.txt")
        self.choice_template = load_template(prompts, "user_choice.txt")
        self.candidate_template = load_template(prompts, "candidate.txt")
        own = (string.Template(self.system), self.user_template, self.choice_template)
        self.labels = reply_check.prompt_labels(own)  # wording a reply must not echo
        self.own_wording = "\n".join(t.template for t in own)  # wording a reply may use without a source

    def probe(self) -> dict[str, Any]:
        """Check once that the endpoint answers and knows the model (called at start)."""
        return self.client.probe().to_dict()

    def health(self) -> dict[str, Any]:
        return {"generator": self.name, **self.client.state.to_dict()}

    def messages(self, question: str, offline: Answer) -> list[dict[str, str]]:
        """The chat messages: the rules, then the question with its candidate figures or passages."""
        understood = offline.understood_as or question
        if offline.candidates:
            user = render_template(self.choice_template, "user_choice.txt", question=question,
                                   understood_as=understood, candidates=format_candidates(
                                       offline.candidates[:self.max_candidates], self.candidate_template))
        else:
            user = render_template(self.user_template, "user.txt", question=question, understood_as=understood,
                                   offline_answer=offline.text,
                                   passages=format_passages(offline.citations, self.passage_template))
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]

    def stream(self, question: str, offline: Answer, index: Any = None) -> Iterator[str | Status | Answer]:
        """Status lines while the LLM works (never past `llm_timeout`), then the checked answer."""
        if offline.refused or not offline.citations:
            yield from OfflineGenerator().stream(question, offline, index)  # nothing to ground an LLM on
            return
        messages = self.messages(question, offline)
        yield Status(STATUS_START)
        call = self.client.start(messages)
        t0 = time.monotonic()
        try:
            while True:
                try:
                    reply = call.result(min(call.budget.remaining(), STATUS_EVERY))
                    break
                except TimeoutError:
                    if call.budget.remaining() <= 0:
                        note = NOTE_TIMEOUT if call.started.is_set() else NOTE_BUSY
                        raise LLMFailure(note.format(url=self.base_url, timeout=self.timeout)) from None
                    yield Status(STATUS_WAIT.format(waited=time.monotonic() - t0, timeout=self.timeout))
            final = self.check(reply, offline, question)
        except LLMFailure as exc:
            final = _with_note(offline, str(exc))
        finally:
            call.cancel()  # on a deadline, or a consumer that went away: free the slot at the next bytes
        yield from _pieces(final.text)
        yield final

    def check(self, reply: Reply | str, offline: Answer, question: str | None = None) -> Answer:
        """The reply as the answer if it passes every check; else the offline answer with the note why."""
        if isinstance(reply, str):
            reply = Reply(reply, "stop")
        question = question or offline.question
        if reply.finish_reason != "stop":
            reason = f"finish_reason={reply.finish_reason}" if reply.finish_reason else "没有结束标记"
            return _with_note(offline, NOTE_CUT.format(url=self.base_url, reason=reason))
        text = reply.text.strip()
        if not text:
            return _with_note(offline, NOTE_EMPTY.format(url=self.base_url))
        chosen: Candidate | None = None
        if offline.candidates:
            chosen, text, note = self._choice(text, offline)
            if note:
                return _with_note(offline, note)
        citations = (chosen.citation,) if chosen else offline.citations
        note = self._problem(text, offline, question, citations, chosen)
        if note:
            return _with_note(offline, note)
        if chosen is None or chosen.fact.fact_id == offline.candidates[0].fact.fact_id:
            return replace(offline, text=text, backend=self.name)
        f = chosen.fact
        return replace(offline, text=text, backend=self.name, value=f.value, unit=f.unit, as_written=f.as_written,
                       citations=citations,
                       notes=(*offline.notes, NOTE_CHOSEN.format(chosen=f.as_written, offline=offline.as_written)))

    def _choice(self, text: str, offline: Answer) -> tuple[Candidate | None, str, str | None]:
        """(the candidate chosen, the answer text after its id, a note when the choice is unusable)."""
        shown = offline.candidates[:self.max_candidates]
        choice, body = reply_check.parse_choice(text)
        if choice == "无":
            return None, body, NOTE_NONE_FITS
        if choice is None:  # no id line: the one candidate whose figure the reply states, if exactly one
            stated = [c for c in shown if states_figure(text, c.fact.value, c.fact.unit)]
            if len(stated) != 1:
                return None, text, NOTE_BAD_CHOICE.format(choice="回答没有以候选编号开头")
            return stated[0], body, None
        n = int(choice[1:])
        if not 1 <= n <= len(shown):
            return None, body, NOTE_BAD_CHOICE.format(choice=f"没有候选{choice}")
        return shown[n - 1], body, None

    def _problem(self, text: str, offline: Answer, question: str, citations: tuple[Citation, ...],
                 chosen: Candidate | None) -> str | None:
        """The note for the first check the reply fails, or None when it passes them all."""
        checks: list[Callable[[], str | None]] = [
            lambda: _fmt(NOTE_ECHO, label=reply_check.echoed(text, self.labels)),
            lambda: NOTE_REFUSED.format(text=_clip(text)) if reply_check.refuses(text) else None,
            lambda: self._figures(text, offline, question, citations, chosen),
            lambda: _fmt(NOTE_TERMS, terms="、".join(unsupported_terms(text, self._supports(
                offline, question, citations)))),
            lambda: NOTE_NOTHING if chosen is None and offline.value is None and reply_check.says_nothing(
                text, question, [c.text for c in citations]) else None,  # a figure's checks say more
        ]
        return next((note for check in checks if (note := check())), None)

    def _figures(self, text: str, offline: Answer, question: str, citations: tuple[Citation, ...],
                 chosen: Candidate | None) -> str | None:
        asked = Citation(doc_id="", doc_title="", section="", text=question, start=0, end=0)
        bad = unsupported_figures(text, (*citations, asked), computations=(offline.text,))
        if bad:
            return NOTE_FIGURES.format(figures="、".join(bad))
        fact = chosen.fact if chosen else None
        value, unit, written = (fact.value, fact.unit, fact.as_written) if fact else (
            offline.value, offline.unit, offline.as_written)
        if value is not None and unit and (written or "") not in text and not states_figure(text, value, unit):
            return NOTE_MISSING.format(figure=written or "")
        if chosen is not None:
            place = offline.query.district if offline.query else None
            missing = reply_check.missing_context(text, chosen.fact, chosen.citation, place)
            if missing:
                return NOTE_CONTEXT.format(figure=chosen.fact.as_written, missing="、".join(missing))
        return None

    def _supports(self, offline: Answer, question: str, citations: tuple[Citation, ...]) -> list[str]:
        texts = [question, offline.text, offline.understood_as or "", self.own_wording]
        return texts + [t for c in citations for t in (c.text, c.doc_title, c.section)]


def _fmt(note: str, **values: str | None) -> str | None:
    """The note filled in, or None when a value is empty (the check found nothing)."""
    return note.format(**values) if all(values.values()) else None


def _clip(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def _with_note(answer: Answer, note: str) -> Answer:
    return replace(answer, notes=(*answer.notes, note))


# --- lookup -----------------------------------------------------------------------------------

GENERATORS: dict[str, Callable[[Settings], Generator]] = {"offline": OfflineGenerator, "openai": OpenAIGenerator}


def get_generator(settings: Settings) -> Generator:
    """The generator named by `settings.generator`; an unknown name lists the valid ones."""
    factory = GENERATORS.get(settings.generator)
    if factory is None:
        raise ConfigError(
            f"unknown answer generator {settings.generator!r}; set ASSISTANT_GENERATOR to one of: "
            f"{', '.join(GENERATORS)}"
        )
    return factory(settings)
