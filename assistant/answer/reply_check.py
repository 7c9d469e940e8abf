"""Checks of an LLM's reply before it may replace the offline answer: pure functions over text.

A reply counts only when it is complete, says something, does not refuse or echo its prompt,
names the figure's place, year, qualifier and document, and states only what the cited passages
hold (figures by `verification.unsupported_figures`, terms by `verification.unsupported_terms`).
Each check returns what is wrong, so the note can say it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

from assistant.answer.matching import bigrams
from assistant.core.types import Citation, Fact
from assistant.text.lexicon import QUALIFIERS
from assistant.text.places import RELATIVE_WORDS, gazetteer, place_names, short_name

# How a chat model says it cannot answer (generic phrasing, not taken from any document).
_REFUSAL = re.compile(
    r"没有找到|未找到|找不到|查不到|无法回答|不能回答|无法确定|无法判断|无法得知|无从|没有提及|未提及|没有提到|"
    r"未提到|没有相关|无相关|未给出|没有给出|没有明确|未明确|不清楚|抱歉|对不起|无法提供|不包含|未包含|没有包含"
)
_PLACEHOLDER = re.compile(r"\$(?:\w+|\{\w+\})")
_CHOICE = re.compile(r"^\s*(?:选择|选|答案|候选)?\s*[:：]?\s*[【\[(（]?\s*(F\d+|无)\s*[】\])）]?\s*[:：。.，,]?\s*")
_TITLE = re.compile(r"《([^》]{2,60})》")
MIN_NEW_BIGRAMS = 2  # a reply must bring this many character pairs of the passages the question lacks


def refuses(text: str) -> bool:
    """Whether the reply says the passages do not answer (the offline engine found that they do)."""
    return bool(_REFUSAL.search(text))


def prompt_labels(templates: Sequence[string.Template]) -> list[str]:
    """The fixed wording of the prompt templates (labels such as 原文段落：), which a reply must not echo."""
    labels: list[str] = []
    for template in templates:
        for part in _PLACEHOLDER.split(template.template):
            for line in part.split("\n"):
                line = line.strip(" \t[]()（）《》，,")
                pieces = [line] if line.endswith("：") else re.split(r"[。；，：]", line)  # 问题： is a label
                labels += [p for p in pieces if len(p) >= (3 if p.endswith("：") else 4) and p not in labels]
    return labels


def echoed(text: str, labels: Sequence[str]) -> str | None:
    """The first prompt label the reply repeats, or None."""
    return next((label for label in labels if label in text), None)


def says_nothing(text: str, question: str, passages: Sequence[str]) -> bool:
    """Whether the reply brings nothing from the passages the question did not already say
    (“社区救助顾问是什么” → “社区救助顾问”)."""
    held = set().union(*(bigrams(p) for p in passages)) if passages else set()
    return len((bigrams(text) - bigrams(question)) & held) < MIN_NEW_BIGRAMS


def parse_choice(text: str) -> tuple[str | None, str]:
    """("F2", the answer) from a reply that starts with a candidate's id, ("无", …) for none, (None, text)."""
    m = _CHOICE.match(text)
    if not m:
        return None, text.strip()
    return m.group(1), text[m.end():].strip()


def names_document(text: str, title: str) -> bool:
    """Whether the reply names the cited document: its title, or a 《…》 that is part of it."""
    return title in text or any(t in title or title in t for t in _TITLE.findall(text))


def _place_names(fact: Fact, place: str | None) -> tuple[str, ...]:
    """The ways a reply may name the figure's place: its name, short name, or 全市/本区 for its level."""
    known = gazetteer().get(fact.place) if fact.place else None
    if known is not None:
        return (*place_names(known), *(w for w, level in RELATIVE_WORDS.items() if level == known.level))
    name = fact.district or place
    return (name, short_name(name)) if name else ()


def missing_context(text: str, fact: Fact, citation: Citation, place: str | None) -> list[str]:
    """What the reply leaves out of what its figure holds for: 地区, 年份, 限定（新增）, 文件名称."""
    missing = []
    body = _TITLE.sub("", text)  # the place and year in a document's title do not say what the figure holds for
    names = _place_names(fact, place)
    if names and not any(n in body for n in names):
        missing.append(f"地区（{names[0]}）")
    if fact.year and f"{fact.year}年" not in body and f"{fact.year % 100}年" not in body:
        missing.append(f"年份（{fact.year}年）")
    forms = QUALIFIERS.get(fact.qualifier or "", ())
    if forms and not any(f in body for f in forms):
        missing.append(f"限定（{fact.qualifier}）")
    if not names_document(text, citation.doc_title):
        missing.append(f"文件名称（《{citation.doc_title}》）")
    return missing
