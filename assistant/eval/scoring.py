"""The gold set and its scoring: load and check gold questions, then pure functions over answers.

A gold question names its answer (value and unit, or key words) and the quote it stands in; an answer
is right when it gives that figure (or refuses an unanswerable question) and cites the quote.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from assistant.core.errors import BadInputFile
from assistant.core.types import Answer, Document
from assistant.text.cleaning import normalize_chars, normalize_line
from assistant.text.tables import is_figure, layout_cells, row_sentence, split_pipe_row

TYPES = ("numeric", "numeric_trap", "chinese_numeral", "text", "unanswerable", "followup", "cross_doc")
NUMERIC_TYPES = ("numeric", "numeric_trap", "chinese_numeral", "cross_doc")  # value and unit required
# Questions with one quote and no history: the ones retrieval is scored on.
RETRIEVAL_TYPES = ("numeric", "numeric_trap", "chinese_numeral", "text")
REL_TOL = 1e-6
# one unit, written with or without its classifier; people counted with any classifier (7.1万名 is 7.1万人)
_UNIT_ALIASES = {"个百分点": "百分点", "名": "人", "位": "人", "千米": "公里"}
OVERLAP = 0.6  # share of the quote a passage must hold in one run to count as "overlapping substantially"


@dataclass(frozen=True)
class GoldQuestion:
    """One line of eval/questions.jsonl."""

    id: str
    question: str
    type: str
    history: tuple[str, ...] = ()
    answer: str | None = None
    value: float | None = None
    unit: str | None = None
    quotes: tuple[str, ...] = ()  # one quote; several for cross_doc
    docs: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return self.answer is not None


@dataclass
class QuestionResult:
    """One question as the system answered it, scored."""

    id: str
    type: str
    question: str
    history: list[str]
    expected: str | None
    expected_value: float | None
    expected_unit: str | None
    got: str
    got_value: float | None = None
    got_unit: str | None = None
    refused: bool = False
    correct: bool = False
    cited: bool | None = None  # None: not measured (refused, or nothing to cite)
    rank: int | None = None  # None: not a retrieval question
    latency_ms: float = 0.0
    error: str | None = None


@dataclass
class EvalReport:
    """Metrics of one run, the failures, and where the report files went."""

    counts: dict[str, int]
    metrics: dict[str, float | None]
    per_type: dict[str, float | None]
    baseline: dict[str, float | None] | None
    results: list[QuestionResult]
    seconds: float
    files: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[QuestionResult]:
        return [r for r in self.results if not r.correct]


# ---------------------------------------------------------------- the gold set

def load_gold(path: Path | str, documents: Sequence[Document] | None = None) -> list[GoldQuestion]:
    """Parse and check the gold file; with `documents`, every quote must stand in the cleaned text."""
    path = Path(path)
    if not path.is_file():
        raise BadInputFile(f"评测题集 {path} 不存在：请检查路径，或用 eval/questions.jsonl。")
    out: list[GoldQuestion] = []
    seen: set[str] = set()
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("不是 JSON 对象")
            q = _gold_from_row(row)
        except (ValueError, KeyError, TypeError) as e:
            raise BadInputFile(f"{path} 第{no}行格式不对（{e}）：每行应是一个 JSON 对象，"
                               "至少有 id、question、type 字段。") from e
        _check_gold(q, seen, f"{path.name} 第{no}行")
        seen.add(q.id)
        out.append(q)
    if documents is not None:
        check_quotes(out, documents)
    return out


def _as_read(quote: str) -> str:
    """A quote copied from table rows as the rows are read: 养老机构 | 个 | 712 → 养老机构712个; a row laid
    out with spaces up to its first figure (2.社会救助 万元 JZH011212000 1,268,862.3 → 2.社会救助1268862.3万元),
    which is how its line begins whatever its other columns are."""
    if not isinstance(quote, str):
        return quote
    lines = quote.split("\n")
    if quote.count("|") >= 2:
        rows = [split_pipe_row(line) for line in lines]
        if all(r is not None for r in rows):
            if any(sum(map(is_figure, r)) >= 2 for r in rows):
                return quote  # its figures are read against a header it does not hold: matched cell by cell
            return "".join(row_sentence(r) for r in rows).rstrip("。：")
    laid = [layout_cells(line) for line in lines]
    if any(r is None or len(r) < 2 for r in laid):
        return quote
    said = []
    for cells in laid:
        first = next((i for i, c in enumerate(cells) if i and is_figure(c)), len(cells) - 1)
        said.append(row_sentence(cells[:first + 1]).rstrip("。：，"))
    return "".join(said)


def _gold_from_row(row: dict[str, Any]) -> GoldQuestion:
    quote, doc = row.get("quote"), row.get("doc")
    value, history = row.get("value"), row.get("history") or []
    if not isinstance(history, list):
        raise TypeError("history 应是之前问题的列表")
    unit, answer = row.get("unit"), row.get("answer")
    if unit and isinstance(answer, str) and (rate := re.search(re.escape(unit) + r"/[\u4e00-\u9fff·]{1,4}", answer)):
        unit = rate.group(0)  # unit 元 with answer 485元/月: the answer says the unit is 元/月
    value = None if value is None else _as_fraction(float(value), unit, answer)
    return GoldQuestion(
        id=str(row["id"]), question=str(row["question"]), type=str(row["type"]),
        history=tuple(str(h) for h in history),
        answer=answer, value=value, unit=unit,
        quotes=tuple(map(_as_read, quote if isinstance(quote, list) else ((quote,) if quote else ()))),
        docs=tuple(doc) if isinstance(doc, list) else ((doc,) if doc else ()),
        keywords=tuple(row.get("keywords") or ()),
    )


def _as_fraction(value: float, unit: str | None, answer: Any) -> float:
    """A percentage as the fraction answers carry (0.534): question files may give it as written
    (“answer”: “53.4%”, “value”: 53.4) or as the fraction already."""
    if unit != "%" or not isinstance(answer, str):
        return value
    written = re.search(r"(\d+(?:\.\d+)?)\s*[%％]", answer)
    return value / 100 if written and math.isclose(float(written.group(1)), value) else value


def _check_gold(q: GoldQuestion, seen: set[str], where: str) -> None:
    name = f"评测题 {q.id}（{where}）"
    if q.id in seen:
        raise BadInputFile(f"{name} 的 id 重复：每道题的 id 必须唯一。")
    if q.type not in TYPES:
        raise BadInputFile(f"{name} 的类型 {q.type!r} 未知：应为 {'、'.join(TYPES)} 之一。")
    if q.type == "unanswerable" and (q.answer is not None or q.quotes):
        raise BadInputFile(f"{name} 标为无答案，却给了答案或引文：请把 answer 和 quote 设为 null。")
    if q.type != "unanswerable" and q.answerable:
        if not q.quotes:
            raise BadInputFile(f"{name} 有答案但没有 quote：请填入文件中含答案的原文。")
        if q.type in NUMERIC_TYPES and (q.value is None or not q.unit):
            raise BadInputFile(f"{name} 是数值题，但缺 value 或 unit：请补上规范化的数值和单位。")
        if q.value is None and not q.keywords:
            raise BadInputFile(f"{name} 是文字题，但没有 keywords：请列出答案里必须出现的关键词。")


def check_quotes(questions: Iterable[GoldQuestion], documents: Sequence[Document]) -> None:
    """Raise BadInputFile naming the question whose quote is not in the cleaned corpus text."""
    keys = {d.source: match_key(d.text) for d in documents}
    for q in questions:
        for i, quote in enumerate(q.quotes):
            doc = q.docs[i] if i < len(q.docs) else None
            if doc is not None and doc not in keys:
                raise BadInputFile(f"评测题 {q.id} 的 doc《{doc}》不在语料中：请写语料目录里的文件名。")
            where = [keys[doc]] if doc else list(keys.values())
            if not any(_in_key(quote, key) for key in where):
                raise BadInputFile(f"评测题 {q.id} 的引文在{('《' + doc + '》') if doc else '语料'}中找不到："
                                   f"“{quote}”。请按清洗后的文本逐字复制。")


def stratified(questions: Sequence[GoldQuestion], n: int) -> list[GoldQuestion]:
    """The first n questions taken round-robin over types, so a subset still covers every type."""
    by_type = {t: [q for q in questions if q.type == t] for t in TYPES}
    out: list[GoldQuestion] = []
    while len(out) < min(n, len(questions)):
        for t in TYPES:
            if by_type[t] and len(out) < n:
                out.append(by_type[t].pop(0))
    return out


# ---------------------------------------------------------------- scoring (pure)

def match_key(text: str) -> str:
    """A lenient comparison form: the cleaner's punctuation and digit forms, no whitespace or markdown marks."""
    return re.sub(r"[\s#*]", "", normalize_line(normalize_chars(text)))


def _in_key(quote: str, key: str) -> bool:
    """Whether the quote stands in a text's match key; a quote copied from a table row (a | b | c) stands
    where its cells do, in order (the cleaned text reads the row against its header: 60周岁及以上32338万人，
    比重23.0%)."""
    cells = [match_key(c) for c in re.split(r"[|\n]", quote) if c.strip()] if "|" in quote else []
    if len(cells) < 2:
        return match_key(quote) in key
    return bool(re.search(".{0,16}?".join(re.escape(c) for c in cells), key))


def passage_match(quote: str, text: str) -> bool:
    """True when `text` holds the quote, or one unbroken run of at least OVERLAP of it with a whole figure.

    The run must hold one of the quote's numbers whole, so "0张养老床位" of "新增200张养老床位" does not
    count as overlapping "新增760张养老床位".
    """
    q, t = match_key(quote), match_key(text)
    if not q or not t:
        return False
    if _in_key(quote, t):
        return True
    m = SequenceMatcher(None, q, t, autojunk=False).find_longest_match(0, len(q), 0, len(t))
    if m.size < OVERLAP * len(q):
        return False
    figures = [f.span() for f in re.finditer(r"\d+(?:\.\d+)?", q)]
    return not figures or any(m.a <= a and b <= m.a + m.size for a, b in figures)


def first_rank(quotes: Sequence[str], texts: Sequence[str]) -> int:
    """1-based rank of the first text holding any gold quote; 0 when none does."""
    for i, text in enumerate(texts, 1):
        if any(passage_match(q, text) for q in quotes):
            return i
    return 0


def values_match(expected: float, unit: str | None, value: float | None, got_unit: str | None) -> bool:
    """Same value within REL_TOL relative, and the same unit (8.2个百分点 is 8.2百分点)."""
    if value is None or _UNIT_ALIASES.get(unit, unit) != _UNIT_ALIASES.get(got_unit, got_unit):
        return False
    return math.isclose(value, expected, rel_tol=REL_TOL, abs_tol=1e-12)


def keywords_found(keywords: Sequence[str], answer: Answer) -> bool:
    """Every keyword stands in the answer text or in one of its cited passages."""
    pool = [answer.text] + [c.text for c in answer.citations]
    return all(any(k in p for p in pool) for k in keywords)


def cites_gold(q: GoldQuestion, answer: Answer) -> bool:
    """Every gold quote is held by a citation, or a citation is a piece of it that shows the figure."""
    def covered(quote: str) -> bool:
        for c in answer.citations:
            if passage_match(quote, c.text):
                return True
            if q.answer and match_key(c.text) in match_key(quote) and q.answer in c.text:
                return True
        return False
    return bool(answer.citations) and all(covered(quote) for quote in q.quotes)


def is_correct(q: GoldQuestion, answer: Answer) -> bool:
    """Refusal for unanswerable questions; the figure (and names, for comparisons) or the key words."""
    if not q.answerable:
        return answer.refused
    if answer.refused:
        return False
    ok = True
    if q.value is not None:
        ok = values_match(q.value, q.unit, answer.value, _asked_rate_base(q, answer.unit))
    if q.keywords:
        ok = ok and keywords_found(q.keywords, answer)
    return ok


def _asked_rate_base(q: GoldQuestion, unit: str | None) -> str | None:
    """An answer's rate unit, read as its base unit when the question itself names the rate: 每千人多少平方米
    is answered by 61平方米/千人 as well as by 61平方米."""
    if unit and "/" in unit and unit != q.unit:
        base, per = unit.split("/", 1)
        if f"每{per}" in q.question:
            return base
    return unit


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100) of a sample; None when empty."""
    if not values:
        return None
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def retrieval_scores(ranks: Sequence[int]) -> dict[str, float | None]:
    """hit@1, hit@5 and MRR of a list of 1-based ranks (0 = not found)."""
    if not ranks:
        return {"hit@1": None, "hit@5": None, "mrr": None, "n": 0}
    n = len(ranks)
    return {"hit@1": sum(r == 1 for r in ranks) / n, "hit@5": sum(1 <= r <= 5 for r in ranks) / n,
            "mrr": sum(1 / r for r in ranks if r) / n, "n": n}


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def summarize(results: Sequence[QuestionResult]) -> tuple[dict[str, float | None], dict[str, float | None]]:
    """Headline metrics and accuracy per type from scored results."""
    per_type = {t: _share([r.correct for r in results if r.type == t]) for t in TYPES}
    answerable = [r for r in results if r.expected is not None]
    unanswerable = [r for r in results if r.expected is None]
    num = [r for r in answerable if r.type in ("numeric", "numeric_trap", "chinese_numeral")]
    lat = [r.latency_ms for r in results]
    m: dict[str, float | None] = {
        "accuracy": _share([r.correct for r in results]),
        "numeric_exact_match": _share([r.correct for r in num]),
        "text_match": per_type["text"],
        "refusal_accuracy": _share([r.refused for r in unanswerable]),
        "false_refusal_rate": _share([r.refused for r in answerable]),
        "followup_accuracy": per_type["followup"],
        "citation_precision": _share([bool(r.cited) for r in answerable if r.cited is not None]),
        "latency_p50_ms": percentile(lat, 50),
        "latency_p95_ms": percentile(lat, 95),
    }
    ranks = [r.rank for r in results if r.rank is not None]
    m.update({k: v for k, v in retrieval_scores(ranks).items()})
    return m, per_type
