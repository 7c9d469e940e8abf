"""Check that every figure in an answer stands in a cited span or is computed, visibly, from cited ones.

Pure functions, no I/O. A figure is a quantity as written: an Arabic number (with 万/亿 and
a unit, or bare), or a Chinese numeral with a unit (两家, 三支). Years (2024年), dates (3月,
28日, 2023-10-26), ordinals (第十批次), section numbers (1、, （2）) and codes (3A, 5G) are not
figures. Figures compare by normalised value and unit (1万名 == 10000名, 50% == 0.5 %); a bare
number compares by value alone. A computed figure is supported when the text shows the
arithmetic ("200张+760张=960张"), every operand is supported and the arithmetic holds.

A count the passages make of a noun is held to that noun: when a passage writes a numeral right
before the words an answer's figure stands before (三大行动, 六个维度), the answer's figure must be
one the passages give for those words: "四大行动" or "五个维度" is unsupported even if a 4 or a
五个 stands elsewhere. This also finds Chinese numerals with no unit (三大, 五险).

`unsupported_terms` is the check for what a text answer states: its key terms (nouns, names,
domain terms, quoted names) must stand in the passages, the question or the allowed wording.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from assistant.core.types import Citation
from assistant.text.numbers import CN_NUMERAL_CHARS, Quantity, cn_to_number, find_quantities, parse_quantity
from assistant.text.places import short_name
from assistant.text.time import find_years

_BARE_RE = re.compile(r"(?<![\d.])\d+(?:\.\d+)?")
_PERCENT_WORDS_RE = re.compile(r"百分之([〇零一二两三四五六七八九十百点]+)")
_DATE_RE = re.compile(r"\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?")
_DATE_SUFFIX = ("年", "月", "日", "号", "时", "点")
_OPS = {"+": "+", "＋": "+", "-": "-", "－": "-", "−": "-", "×": "*", "*": "*", "x": "*", "X": "*",
        "÷": "/", "/": "/", "=": "=", "＝": "=", "≈": "="}
_GAP_LABEL = r"[^\d，。；！？\n+＋\-－−×*xX÷/=＝≈]{0,12}"
_GAP_RE = re.compile(rf"\s*{_GAP_LABEL}\s*(?P<op>[+＋\-－−×*xX÷/=＝≈])\s*{_GAP_LABEL}\s*")
# Any numeral run, Arabic or Chinese (not 第…, not a piece of a longer run); for counted nouns.
_NUMERAL_RUN = re.compile(rf"(?<![第\d.{CN_NUMERAL_CHARS}])(?:\d+(?:\.\d+)?[万亿]?|[{CN_NUMERAL_CHARS}]+)")
_QUOTE_CHARS = "“”‘’\"'「」『』"
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Parts of speech that name things (jieba tags; domain terms added to the dictionary tag as "x").
_TERM_TAGS = ("n", "vn", "l", "j", "x", "eng")
_PLACE_SUFFIXES = "镇区市县乡村"
_NAME_PART_TAGS = ("n", "zg", "j", "g")  # one-character pieces of a name jieba does not know (曹|杨)
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,20})[”\"」』]")


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
    # the document and section an answer names are cited too: 《2020年2季度…季报》, 《…十方面实事》
    cited = [t for c in citations for t in (c.text, c.doc_title, c.section) if t]
    known = [f for t in cited for f in find_figures(t)]
    computed: list[Quantity] = []
    for extra in computations:
        computed += _computed(extra, find_figures(extra), known + computed)
    figures = find_figures(text)
    computed += _computed(text, figures, known + computed)
    known += computed
    counted = _counted_nouns(cited)
    bad: list[str] = []
    for fig in figures:
        if not _supported_by(fig, known) and not _counts_as(text, fig, counted) and fig.text not in bad:
            bad.append(fig.text)
    sums = [f for f in figures if _supported_by(f, computed)]  # a total counts what its parts count
    for written in _miscounted(text, [f for f in figures if f not in sums], counted, skip=sums):
        if written not in bad:
            bad.append(written)
    return bad


def _noun_after(text: str, end: int) -> str | None:
    """The two characters a figure stands before (quotes skipped), when both are CJK: 五个|维度."""
    chars = []
    for ch in text[end:end + 6]:
        if ch in _QUOTE_CHARS:
            continue
        if not _CJK.match(ch) or len(chars) == 2:
            break
        chars.append(ch)
    return "".join(chars) if len(chars) == 2 else None


def _numeral_runs(text: str) -> list[tuple[float, int, int]]:
    """(value, start, end) of every numeral run that reads as a number (years and 一是/二是 left out)."""
    runs = []
    for m in _NUMERAL_RUN.finditer(text):
        word = m.group(0)
        if word[0].isdigit():
            q = parse_quantity(word)
            value = q.value if q is not None else None
        else:
            value = cn_to_number(word) if word[0] in "二两三四五六七八九十" else None
        if value is None or text[m.end():m.end() + 1] in ("是", "年", "月", "日"):
            continue
        runs.append((float(value), m.start(), m.end()))
    return runs


def _counted_nouns(texts: Iterable[str]) -> dict[str, list[float]]:
    """What the passages count: the two characters after each figure or numeral, with its values."""
    counted: dict[str, list[float]] = {}
    for text in texts:
        ends = [(f.value, f.end) for f in find_figures(text)] + [(v, e) for v, _, e in _numeral_runs(text)]
        for value, end in ends:
            noun = _noun_after(text, end)
            if noun:
                counted.setdefault(noun, []).append(value)
    return counted


def _miscounted(text: str, figures: list[Quantity], counted: dict[str, list[float]],
                skip: Sequence[Quantity] = ()) -> list[str]:
    """Figures and bare numerals of `text` before a noun the passages count, with a value they do not give."""
    bad = []
    spans = [(f.value, f.start, f.end, f.text) for f in figures]
    taken = [(f.start, f.end) for f in (*figures, *skip)]
    for value, start, end in _numeral_runs(text):
        if not any(s <= start < e for s, e in taken):
            spans.append((value, start, end, text[start:end + 1]))  # 四大: the numeral and what it counts
    for value, _start, end, written in spans:
        noun = _noun_after(text, end)
        if noun in counted and not any(math.isclose(value, v, rel_tol=1e-9) for v in counted[noun]):
            bad.append(written)
    return bad


def _counts_as(text: str, fig: Quantity, counted: dict[str, list[float]]) -> bool:
    """A bare number the passages write as a numeral before the same noun (3大行动 for 三大行动)."""
    noun = _noun_after(text, fig.end)
    return not fig.unit and noun in counted and any(math.isclose(fig.value, v) for v in counted[noun])


def _key_terms(text: str) -> list[str]:
    """Words that name things (two CJK characters or more), and runs of one-character name parts
    the dictionary does not know as a word (曹|杨 → 曹杨)."""
    from assistant.index.keywords import pos_tokenizer

    terms, run = [], ""
    for w in pos_tokenizer().cut(text, HMM=False):
        if len(w.word) == 1 and _CJK.match(w.word) and w.flag.startswith(_NAME_PART_TAGS):
            run += w.word
            continue
        if len(run) >= 2:
            terms.append(run)
        run = ""
        if w.flag.startswith(_TERM_TAGS) and len(_CJK.findall(w.word)) >= 2:
            terms.append(w.word)
    return terms + ([run] if len(run) >= 2 else [])


def unsupported_terms(text: str, supports: Sequence[str]) -> list[str]:
    """Key terms of `text` (nouns, names, domain terms, quoted names) that none of `supports` holds.

    `supports` are the cited passages, their titles and sections, the question and any wording
    the answer may use on its own (the prompt's); terms compare after synonym mapping.
    """
    from assistant.answer.matching import canonicalize

    hay = canonicalize("\n".join(supports))
    hay_plain = re.sub(f"[{_QUOTE_CHARS}]", "", hay)
    terms = [m.group(1) for m in _QUOTED.finditer(text)]
    terms += _key_terms(re.sub(_QUOTED, " ", text))
    missing: list[str] = []
    for term in terms:
        canon = canonicalize(term)
        plain = re.sub(f"[{_QUOTE_CHARS}]", "", canon)
        forms = [canon, short_name(canon)]  # 宝山区 is named by a title that says 宝山
        if len(canon) >= 3 and canon[-1] in _PLACE_SUFFIXES:
            forms.append(canon[:-1])  # 桃浦镇 is named by “长征、桃浦两镇”
        if not any(f in hay for f in forms) and plain not in hay_plain and term not in missing:
            missing.append(term)
    return missing


def states_figure(text: str, value: float, unit: str) -> bool:
    """Whether `text` states the figure `value` `unit` (normalised, e.g. 200.0 "张") anywhere."""
    return any(math.isclose(f.value, value, rel_tol=1e-9) and f.unit == unit for f in find_figures(text))
