"""Years in documents and questions: 2024年, 二〇二四年, 24年, ranges, 十四五, 今年/去年.

Pure functions, no I/O. `find_years` reads a document's text (full years, as documents write them);
`question_years` reads a question (short forms too, and relative words against a reference year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.numbers import UNITS, cn_to_number

_YEAR_CN = re.compile(r"[一二][〇零一二三四五六七八九]{3}(?=年)")
_YEAR_4 = re.compile(r"(?<![\d.])(19[5-9]\d|20\d\d|21\d\d)(?![\d.%])")
_YEAR_2 = re.compile(r"(?<![\d.])(\d\d)(?=年)")
_PERIOD = re.compile(r"十([一二三四五六七八九])五")


@dataclass(frozen=True)
class YearMention:
    """A year written in text (2024年, 二〇二四年, 24年) with its span; `period` for 十四五."""

    year: int | None
    start: int
    end: int
    period: tuple[int, int] | None = None


def plan_period(n: int) -> tuple[int, int]:
    """The years of the n-th five-year plan (14 -> 2021–2025); plans are regular since the 3rd."""
    first = 1953 + 5 * (n - 1) if n <= 2 else 2006 + 5 * (n - 11)
    return first, first + 4


def parse_period(text: str) -> tuple[int, int] | None:
    """十四五 -> (2021, 2025), 十三五 -> (2016, 2020); None when no plan period is named."""
    m = _PERIOD.search(text)
    return plan_period(11 + "一二三四五六七八九".index(m.group(1))) if m else None


def periods_named(text: str) -> set[tuple[int, int]]:
    """Every plan period `text` names: {(2021, 2025)} for “十四五”时期经济社会发展回顾."""
    return {plan_period(11 + "一二三四五六七八九".index(n)) for n in _PERIOD.findall(text)}


# The part of a plan a text names after it: 十四五上半期 is its first years (to the mid-term review), 十三五末 its last.
_PLAN_PARTS = (("上半期", (0, 2)), ("前半段", (0, 2)), ("上半程", (0, 2)), ("下半程", (2, 4)), ("下半期", (2, 4)),
               ("后半段", (2, 4)), ("末期", (4, 4)), ("末", (4, 4)), ("初", (0, 0)))


def written_period(text: str, pos: int) -> tuple[int, int] | None:
    """The years a figure at `pos` holds for when the last time named before it in `text` (its sentence
    up to the figure) is a plan period: 十四五上半期，共完成新增床位518张 → (2021, 2023). None when the last
    time named is a year, or none is."""
    mentions = find_years(text[:pos], bare=False)
    if not mentions or mentions[-1].period is None:
        return None
    first, last = mentions[-1].period
    after = text[mentions[-1].end:mentions[-1].end + 5].lstrip("”\"")
    for word, (a, b) in _PLAN_PARTS:
        if after.startswith(word):
            return first + a, first + b
    return first, last


def find_years(text: str, short: bool = False, bare: bool = True) -> list[YearMention]:
    """Years and five-year-plan periods written in `text`, in order.

    `bare`: also take a 4-digit year with no 年 after it (fine for questions, "2024的床位");
    `short`: also take 24年 as 2024 (questions only; documents write full years).
    """
    out: list[YearMention] = []
    for m in _YEAR_CN.finditer(text):
        value = cn_to_number(m.group(0))
        if value is not None:
            out.append(YearMention(int(value), m.start(), m.end() + 1))
    for m in _YEAR_4.finditer(text):
        has_nian = text[m.end():m.end() + 1] == "年"
        if has_nian or (bare and not _unit_follows(text, m.end())):
            out.append(YearMention(int(m.group(1)), m.start(), m.end() + (1 if has_nian else 0)))
    if short:
        for m in _YEAR_2.finditer(text):
            if m.start() > 0 and text[m.start() - 1].isdigit():
                continue
            out.append(YearMention(2000 + int(m.group(1)), m.start(), m.end() + 1))
    for m in _PERIOD.finditer(text):
        out.append(YearMention(None, m.start(), m.end(), parse_period(m.group(0))))
    return sorted(out, key=lambda y: y.start)


def _unit_follows(text: str, pos: int) -> bool:
    rest = text[pos:pos + 4]
    return bool(rest) and (rest[0] in "%万亿余多-—－.月" or any(rest.startswith(u) for u in UNITS))


# ---- questions ----

_BASELINE_BEFORE = re.compile(r"(?:比|较|同比|相比|对比)$")
_WITH_BEFORE, _COMPARED_AFTER = re.compile(r"[跟和与同]$"), re.compile(r"相比|比较|对比|比")  # 跟上年比床位…
_BASELINE_AFTER = re.compile(r"(?:末|底)?(?:相比|比较|对比|比(?=[，,。？?\s]|$))")

_CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "O": 0, "Ｏ": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_DIGITS = "〇○零OＯ一二三四五六七八九"
_YEAR_UNIT_AFTER = set("张家个户名人元万亿千百%.号条项次岁对所处座块件套台位批类支场镇余多0123456789")
_RANGE = re.compile(r"(?<![\d.])(20\d{2})年?(?:[-—–~～至到]|一直到)(20\d{2})年?")
_YEAR4 = re.compile(r"(?<![\d.])(20\d{2})(年?)")
_YEAR2 = re.compile(r"(?<![\d.第满近过每超共了])([12]\d)年(?!代|龄|级|轻|内|以|来|后|前|间|多|左右|的工龄)")
_YEAR_CN4 = re.compile(f"([{_CN_DIGITS}]{{4}})年")
_YEAR_CN2 = re.compile(f"(?<![{_CN_DIGITS}十百千万第])([一二][{_CN_DIGITS}])年(?!代|龄|级)")
_Q_PERIOD = re.compile(r"[“\"‘']?(十[三四五六]五)[”\"’']?(?:时期|期间|以来|规划期间|规划期)?")  # 时期 is part of the time
# What follows a plan's name when its end is meant: “十三五”末期, 十四五规划末, 十四五时期末年
ENDS_PLAN = re.compile(r"[”\"’']?(?:时期|规划期?)?末(?:期|年)?")
_Q_PERIOD_END = re.compile(r"[“\"‘']?(十[三四五六]五)" + ENDS_PLAN.pattern)
_RELATIVE = {"今年": 0, "本年度": 0, "本年": 0, "当年": 0, "去年": -1, "上一年": -1, "上年": -1, "前年": -2,
             "明年": 1, "下一年": 1}


def _cn_year(digits: str) -> int:
    return int("".join(str(_CN_DIGIT[c]) for c in digits))


def writes_period_end(text: str, period: str) -> bool:
    """Whether `text` gives figures for the end of plan `period` (十三五末, “十三五”末期): a later
    plan's review quoting its base year covers that year, though its own years are the later plan's."""
    return any(m[1] == period for m in _Q_PERIOD_END.finditer(text))


def question_years(text: str, reference_year: int | None) -> tuple[list[int], str | None, list[tuple[int, int]]]:
    """A question's calendar years (in order), a period word (十四五, or 今年 left open when
    `reference_year` is None), and the spans they occupy. 24年 and 二四年 read as 2024."""
    years: list[int] = []
    spans: list[tuple[int, int]] = []
    baseline: list[tuple[int, int]] = []  # (position, year) of years compared against

    def add(y: int, span: tuple[int, int]) -> None:
        if any(s < span[1] and span[0] < e for s, e in spans):
            return
        spans.append(span)
        if _BASELINE_BEFORE.search(text[max(0, span[0] - 2):span[0]]) or _BASELINE_AFTER.match(text, span[1]):
            baseline.append((span[0], y))  # 比2023年 / 跟2023年比: the year compared against
            return
        if 2000 <= y <= 2050 and y not in years:
            years.append(y)

    for m in _RANGE.finditer(text):
        a, b = int(m[1]), int(m[2])
        if 0 < b - a <= 6:
            years.extend(y for y in range(a, b + 1) if y not in years)
        spans.append(m.span())  # beyond 6 years it is a plan's horizon (2023-2035年), not asked about
    for m in _YEAR4.finditer(text):
        nxt = text[m.end():m.end() + 1]
        if m[2] or not nxt or nxt not in _YEAR_UNIT_AFTER:
            add(int(m[1]), m.span())
    for m in _YEAR_CN4.finditer(text):
        add(_cn_year(m[1]), m.span())
    for m in _YEAR2.finditer(text):
        if 15 <= int(m[1]) <= 35:
            add(2000 + int(m[1]), m.span())
    for m in _YEAR_CN2.finditer(text):
        y = _cn_year(m[1])
        if 15 <= y <= 35:
            add(2000 + y, m.span())
    period = None
    if pm := _Q_PERIOD_END.search(text):  # 十三五末: the plan's last year, and the plan (its totals end there)
        add(plan_period(11 + "一二三四五六七八九".index(pm[1][1]))[1], pm.span())
        period = pm[1]
    elif pm := _Q_PERIOD.search(text):
        period = pm[1]
        spans.append(pm.span())
    for word, delta in _RELATIVE.items():
        if (i := text.find(word)) >= 0:
            if (_BASELINE_BEFORE.search(text[max(0, i - 2):i])  # 比上年, 跟上年比: the year before the one asked
                    or _BASELINE_AFTER.match(text, i + len(word))
                    or (_WITH_BEFORE.search(text[max(0, i - 1):i]) and _COMPARED_AFTER.match(text, i + len(word)))):
                spans.append((i, i + len(word)))
                continue
            if reference_year is not None:
                add(reference_year + delta, (i, i + len(word)))
            elif not years and period is None:
                period = word
            spans.append((i, i + len(word)))
            break
    if years:  # 2024年比2021年多了多少: both years are asked; 跟2023年比降了多少: only the baseline is named
        years += [y for _, y in sorted(baseline) if 2000 <= y <= 2050 and y not in years]
    return years, period, spans
