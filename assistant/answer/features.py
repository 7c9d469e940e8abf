"""What says whether a figure answers a question: general signals, each a number in [0, 1] or {0, 1}.

Pure functions. The signals are those any reader uses: how much of the question's wording stands in
the figure's own stretch of text (between its neighbours), its clause, its sentence and its section;
whether its unit is the one asked for; whether it is a change (增长4.5%) when the question asks for a
level or the reverse; where retrieval ranked its passage; whether its qualifier agrees. How much each
counts is not decided here: `scoring.py` holds weights fitted on questions over several corpora.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer.matching import bigrams, unit_matches, weighted_coverage
from assistant.core.types import Fact, Query
from assistant.text.numbers import UNITS

CLAUSE_MARKS = "，；。：！？\n"
_FIGURE = re.compile(r"\d+(?:\.\d+)?")
# Words that make a figure a change rather than a level (general Chinese, not lifted from a document).
_CHANGE_BEFORE = re.compile(r"(?:增长|增加|下降|减少|提高|降低|上升|回落|上涨|下跌|扩大|缩小|增|降|涨|减)(?:了)?(?:约|近|超|逾)?$")
_CHANGE_ASKED = re.compile(r"增长|增加了?多少|减少|下降|提高了|降低了|上升|回落|涨了|降了|跌了|增幅|增速|降幅|"
                           r"比上年|比去年|同比|比[^，。？]{0,8}(多|少)了?多少|多了多少|少了多少|变化")
_RATE_ASKED = re.compile(r"率|比例|占比|比重|百分之|百分比|%|几成|增幅|增速|降幅|增长了?多少|下降了?多少")
_RESPECTIVE = "分别"
_UNITS = sorted((*UNITS, "%"), key=len, reverse=True)

FEATURES = (
    "own", "clause", "sentence", "section", "before",
    "rank", "dense",
    "unit_match", "unit_conflict",
    "pct_asked", "pct_not_asked",
    "change_asked", "change_not_asked", "level_when_change_asked",
    "year_written", "qualifier_match", "qualifier_conflict",
    "first_in_sentence", "chinese_numeral",
)


@dataclass(frozen=True)
class Asked:
    """What the question asks, read once per question: content bigrams and the kind of figure."""

    content: frozenset[str]
    unit: str | None  # the unit the wording asks in, None when it names none
    rate: bool  # asks for a share, rate or change in %
    change: bool  # asks how much something changed
    qualifier: str | None
    year: int | None


def asked_of(query: Query, content_text: str, unit: str | None) -> Asked:
    """The question's side of the signals."""
    return Asked(content=frozenset(bigrams(content_text)), unit=unit, rate=bool(_RATE_ASKED.search(query.text)),
                 change=bool(_CHANGE_ASKED.search(query.text)), qualifier=query.qualifier, year=query.year)


def span_of(text: str, start: int, end: int, marks: str = CLAUSE_MARKS) -> tuple[int, int]:
    """The stretch around [start, end) bounded by any of `marks` (exclusive)."""
    a = max(text.rfind(m, 0, start) for m in marks) + 1
    ends = [i for i in (text.find(m, end) for m in marks) if i >= 0]
    return a, (min(ends) + 1 if ends else len(text))


def own_stretch(text: str, start: int, end: int) -> str:
    """The figure's own words: its clause, cut at the figures before and after it, so that in
    “新增助餐点12个，完成30个睦邻点改造” 12个 owns 新增助餐点 and 30个 owns 睦邻点改造. A list read with
    分别 (A、B、C分别增长1%、2%、3%) gives each figure its own item."""
    c0, c1 = span_of(text, start, end)
    clause = text[c0:c1]
    s, e = start - c0, end - c0
    if _RESPECTIVE in clause[:s]:
        item = _respective_item(clause, s)
        if item:
            return item + clause[s:e]
    before = [m.end() for m in _FIGURE.finditer(clause, 0, s) if m.end() <= s]
    after = [m.start() for m in _FIGURE.finditer(clause, e)]
    left = _past_unit(clause, before[-1]) if before else 0
    right = after[0] if after else len(clause)
    return clause[min(left, s):right]


def _past_unit(text: str, pos: int) -> int:
    """The offset after the multiplier and unit written at `pos` (the previous figure's, not ours)."""
    if text[pos:pos + 1] in ("万", "亿"):
        pos += 1
    for unit in _UNITS:
        if text.startswith(unit, pos):
            return pos + len(unit)
    return pos


def _respective_item(clause: str, pos: int) -> str | None:
    """In “A、B和C分别…x、y、z”, the item of the figure at `pos`."""
    k = clause.find(_RESPECTIVE)
    items = [i for i in re.split(r"[、和及与]", clause[:k]) if i]
    figures = [m.start() for m in _FIGURE.finditer(clause, k)]
    if pos not in figures or len(items) != len(figures):
        return None
    return items[figures.index(pos)]


def features(fact: Fact, doc_text: str, section: str, asked: Asked, idf: dict[str, float],
             rank: int | None, dense: float | None, first_in_sentence: bool) -> dict[str, float]:
    """The signals for one candidate figure."""
    c0, c1 = span_of(doc_text, fact.start, fact.end)
    sentence = doc_text[fact.sentence_start:fact.sentence_end]
    own = own_stretch(doc_text, fact.start, fact.end)
    before = doc_text[max(c0, fact.start - 12):fact.start]
    cov = lambda t: weighted_coverage(set(asked.content), bigrams(t), idf)  # noqa: E731
    pct = fact.unit in ("%", "个百分点", "‰")
    change = bool(_CHANGE_BEFORE.search(doc_text[max(c0, fact.start - 6):fact.start]))
    unit_known = asked.unit is not None
    unit_ok = unit_known and unit_matches(asked.unit, fact.unit)
    year_written = bool(asked.year) and str(asked.year) in sentence
    q_qual = asked.qualifier
    qualifiers = set(fact.qualifiers) | ({fact.qualifier} if fact.qualifier else set())
    return {
        "own": cov(own),
        "clause": cov(doc_text[c0:c1]),
        "sentence": cov(sentence),
        "section": cov(section),
        "before": cov(before),
        "rank": 1.0 / rank if rank else 0.0,
        "dense": max(dense or 0.0, 0.0),
        "unit_match": float(unit_ok),
        "unit_conflict": float(unit_known and not unit_ok),
        "pct_asked": float(pct and asked.rate),
        "pct_not_asked": float(pct and not asked.rate),
        "change_asked": float(change and asked.change),
        "change_not_asked": float(change and not asked.change),
        "level_when_change_asked": float(asked.change and not change),
        "year_written": float(year_written),
        "qualifier_match": float(bool(q_qual) and q_qual in qualifiers),
        "qualifier_conflict": float(bool(q_qual) and bool(qualifiers) and q_qual not in qualifiers),
        "first_in_sentence": float(first_in_sentence),
        "chinese_numeral": float(not any(ch.isdigit() for ch in fact.as_written)),
    }
