"""Check that every figure in an answer stands in a cited span or is computed, visibly, from cited ones.

Pure functions, no I/O. A figure is a quantity as written: an Arabic number (with 万/亿 and
a unit, or bare), or a Chinese numeral with a unit (两家, 三支). Years (2024年), dates (3月,
28日, 2023-10-26), ordinals (第十批次), section numbers (1、, （2）) and codes (3A, 5G) are not
figures. Figures compare by normalised value and unit (1万名 == 10000名, 50% == 0.5 %); a bare
number compares by value alone. A computed figure is supported when the text shows the
arithmetic ("200张+760张=960张"), every operand is supported and the arithmetic holds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from assistant.core.types import Citation
from assistant.text.numbers import Quantity, cn_to_number, find_quantities, parse_quantity
from assistant.text.time import find_years

_BARE_RE = re.compile(r"(?<![\d.])\d+(?:\.\d+)?")
_PERCENT_WORDS_RE = re.compile(r"百分之([〇零一二两三四五六七八九十百点]+)")
_DATE_RE = re.compile(r"\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?")
_DATE_SUFFIX = ("年", "月", "日", "号", "时", "点")
_OPS = {"+": "+", "＋": "+", "-": "-", "－": "-", "−": "-", "×": "*", "*": "*", "x": "*", "X": "*",
        "÷": "/", "/": "/", "=": "=", "＝": "=", "≈": "="}
_GAP_LABEL = r"[^\d，。；！？\n+＋\-－−×*xX÷/=＝≈]{0,12}"
_GAP_RE = re.compile(rf"\s*{_GAP_LABEL}\s*(?P<op>[+＋\-－−×*xX÷/=＝≈])\s*{_GAP_LABEL}\s*")


def find_figures(text: str) -> list[Quantity]:
    """Every figure in `text`, in order (unit "" for a bare number); years, dates, ordinals left out."""
    text = text.replace("％", "%")
    figures = [q for q in find_quantities(text) if not _ordinal_or_article(text, q)]
    for m in _PERCENT_WORDS_RE.finditer(text):
        value = cn_to_number(m.group(1))
        if value is not None:
            figures.append(Quantity(value / 100, "%", m.group(0), m.start(), m.end(), chinese=True))
    taken = [(q.start, q.end) for q in figures]
    taken += [(y.start, y.end) for y in find_years(text, bare=True)]
    taken += [m.span() for m in _DATE_RE.finditer(text)]
    for m in _BARE_RE.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken) or not _bare_figure(text, m):
            continue
        q = parse_quantity(m.group(0))
        if q is not None:
            figures.append(Quantity(q.value, "", m.group(0), m.start(), m.end()))
    return sorted(figures, key=lambda q: q.start)


def _ordinal_or_article(text: str, q: Quantity) -> bool:
    """第十批次 is an ordinal; a lone 一 with a unit (一个平台, 一批) is mostly an article."""
    return text[q.start - 1:q.start] == "第" or (q.chinese and q.text.startswith("一") and q.value == 1)


def _bare_figure(text: str, m: re.Match) -> bool:
    """Whether a number with no unit is a figure: not a code (3A, 5G), date part or list marker."""
    before, after = text[m.start() - 1:m.start()], text[m.end():m.end() + 1]
    if re.match(r"[A-Za-z]", before) or re.match(r"[A-Za-z]", after) or before == "第":
        return False
    if after in _DATE_SUFFIX and after:
        return False  # 3月, 28日, 4号 (years are found by find_years)
    if (after and after in "、．") or (after == "." and not text[m.end() + 1:m.end() + 2].isdigit()):
        return False  # section numbers: 1、 2.
    if before and before in "（(" and after and after in "）)":
        return False  # （1）
    if m.group(0).isdigit() and 1900 <= int(m.group(0)) <= 2100:
        return False  # a year in a range: 2021—2025
    return True


def _supported_by(fig: Quantity, known: Iterable[Quantity]) -> bool:
    return any(math.isclose(fig.value, k.value, rel_tol=1e-9, abs_tol=1e-12)
               and (fig.unit == k.unit or not fig.unit) for k in known)


def _tolerance(fig: Quantity) -> float:
    """Half a unit of the last digit the figure shows (79.17% -> 0.00005), for rounded results."""
    m = re.search(r"\d+(?:\.(\d+))?", fig.text)
    if not m:
        return abs(fig.value) * 1e-9
    literal = float(m.group())
    scale = fig.value / literal if literal else 1.0
    return 0.5 * 10 ** -len(m.group(1) or "") * abs(scale) + abs(fig.value) * 1e-9


def _evaluate(values: list[float], ops: list[str]) -> float | None:
    """Evaluate v0 op v1 op v2 … with × and ÷ before + and −; None on division by zero."""
    terms, signs = [values[0]], []
    for op, v in zip(ops, values[1:], strict=True):
        if op == "*":
            terms[-1] *= v
        elif op == "/":
            if v == 0:
                return None
            terms[-1] /= v
        else:
            terms.append(v)
            signs.append(op)
    total = terms[0]
    for op, t in zip(signs, terms[1:], strict=True):
        total = total + t if op == "+" else total - t
    return total


def _equations(text: str, figures: list[Quantity]) -> list[tuple[list[Quantity], list[str], Quantity]]:
    """Shown arithmetic in `text`: (operands, operators, result) for each "a op b … = c" chain."""
    found = []
    operands, ops = [figures[0]] if figures else [], []
    for prev, fig in zip(figures, figures[1:], strict=False):
        gap = _GAP_RE.fullmatch(text[prev.end:fig.start])
        op = _OPS[gap.group("op")] if gap else None
        if op == "=" and ops:
            found.append((operands, ops, fig))
            operands, ops = [fig], []
        elif op in ("+", "-", "*", "/"):
            operands.append(fig)
            ops.append(op)
        else:
            operands, ops = [fig], []
    return found


def _holds(operands: list[Quantity], ops: list[str], result: Quantity) -> bool:
    if "+" in ops or "-" in ops:
        units = {f.unit for f in operands} | {result.unit}
        if len(units) > 1:
            return False  # 200张 + 2家 is not a sum
    value = _evaluate([f.value for f in operands], ops)
    return value is not None and abs(value - result.value) <= _tolerance(result)


def _computed(text: str, figures: list[Quantity], known: list[Quantity]) -> list[Quantity]:
    """Results of the equations in `text` whose operands are known and whose arithmetic holds."""
    results: list[Quantity] = []
    for operands, ops, result in _equations(text, figures):
        if all(_supported_by(f, known + results) for f in operands) and _holds(operands, ops, result):
            results.append(result)
    return results


def unsupported_figures(
    text: str, citations: Sequence[Citation], computations: Sequence[str] = ()
) -> list[str]:
    """The figures in `text` (as written) that no citation holds and no shown computation yields.

    `computations` are further texts (e.g. the offline answer's) whose equations over cited
    figures also count as support for their results. Empty list: every figure is supported.
    """
    known = [f for c in citations for f in find_figures(c.text)]
    for extra in computations:
        known += _computed(extra, find_figures(extra), known)
    figures = find_figures(text)
    known += _computed(text, figures, known)
    bad: list[str] = []
    for fig in figures:
        if not _supported_by(fig, known) and fig.text not in bad:
            bad.append(fig.text)
    return bad


def states_figure(text: str, value: float, unit: str) -> bool:
    """Whether `text` states the figure `value` `unit` (normalised, e.g. 200.0 "张") anywhere."""
    return any(math.isclose(f.value, value, rel_tol=1e-9) and f.unit == unit for f in find_figures(text))
