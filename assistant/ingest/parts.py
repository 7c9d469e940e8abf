"""Parts of a compiled document: several annual bulletins or plans in one file, each with its year;
and the sections of one document whose heading names a year (一、2025年工作回顾 … 三、2026年工作安排).

A new part starts where a title line names a year and a genre (2023年东莞市…统计公报), or where the
top-level numbering starts again at 一、 after it had gone further. The part's year is its title's
year, else the year its text names most often (dates such as 2024年3月 do not count). Pure functions.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from assistant.text.numbers import cn_to_number
from assistant.text.time import periods_named

_TOP_HEADING = re.compile(r"^[ \t]*(?:#+[ \t]*)?([一二三四五六七八九十]{1,3})、", re.M)
_GENRES = "公报|要点|报告|规划|计划|方案|总结|通知|意见|年鉴|白皮书"
_TITLE_LINE = re.compile(rf"^[ \t]*(?:#+[ \t]*)?\S{{0,30}}?((?:19|20)\d{{2}})\s*年\S{{0,40}}?(?:{_GENRES})\S{{0,8}}$", re.M)
_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})\s*年(?!\s*\d{1,2}\s*月)")
_CN_NUM = {c: i for i, c in enumerate("一二三四五六七八九", 1)}


@dataclass(frozen=True)
class Part:
    """A stretch [start, end) of a document's text and the year(s) it speaks of."""

    start: int
    end: int
    years: tuple[int, ...]


def _numeral(s: str) -> int:
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + _CN_NUM.get(s[1:], 0)
    if s.endswith("十"):
        return _CN_NUM.get(s[0], 0) * 10
    if "十" in s:
        a, b = s.split("十")
        return _CN_NUM.get(a, 0) * 10 + _CN_NUM.get(b, 0)
    return _CN_NUM.get(s, 0)


def part_starts(text: str) -> list[int]:
    """Offsets where a new part begins (the first is always 0)."""
    starts = {0}
    titles = [m.start() for m in _TITLE_LINE.finditer(text)]
    starts.update(t for t in titles if t > 0)
    highest = 0
    for m in _TOP_HEADING.finditer(text):
        n = _numeral(m.group(1))
        if n == 1 and highest >= 3:
            start = _lead_in(text, m.start())
            if not any(abs(start - t) < 400 and t <= m.start() for t in starts):
                starts.add(start)
            highest = 1
        else:
            highest = max(highest, n)
    return sorted(starts)


def _lead_in(text: str, pos: int, max_lines: int = 6) -> int:
    """Start of what introduces a restarted heading at `pos`: the short lines (title, issuer, date)
    before it, with at most one paragraph (the part's preamble) between them and the heading."""
    start, best, long_seen = pos, pos, False
    for _ in range(max_lines):
        if start == 0:
            break
        prev_end = text.rfind("\n", 0, start - 1)
        line = text[prev_end + 1:start].strip()
        short = bool(line) and len(line) <= 40 and "。" not in line
        if short:
            best = prev_end + 1
        elif line and not long_seen and best == pos:
            long_seen = True  # the preamble: keep looking for the title lines above it
        elif line:
            break
        start = prev_end + 1
    return best


def part_year(text: str) -> tuple[int, ...]:
    """The year a part speaks of: its title line's, else the first year its opening names (dates such
    as 2024年3月 aside), else the one its text names most."""
    head = text[:400]
    if m := _TITLE_LINE.search(head):
        return (int(m.group(1)),)
    if m := _YEAR.search(head):
        return (int(m.group(1)),)
    counts = Counter(int(y) for y in _YEAR.findall(text))
    if not counts:
        return ()
    (year, n), *rest = counts.most_common(2)
    if rest and rest[0][1] == n:
        return ()
    return (year,)


MIN_PART = 300  # a shorter stretch (a letterhead before the title) joins the part after it


def document_parts(text: str) -> list[Part]:
    """The parts of a document; one part covering everything when it is not a compilation."""
    bounds = [*part_starts(text), len(text)]
    spans = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and merged[-1][1] - merged[-1][0] < MIN_PART:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    parts = [Part(a, b, part_year(text[a:b])) for a, b in merged]
    if len(parts) > 1 and len({p.years for p in parts}) == 1:  # numbering restarted inside one year's text
        return [Part(0, len(text), parts[0].years)]
    return parts or [Part(0, len(text), ())]


def years_at(parts: list[Part], pos: int) -> tuple[int, ...]:
    """The years of the part holding offset `pos`."""
    for p in parts:
        if p.start <= pos < p.end:
            return p.years
    return ()


# A top-level heading on a line of its own (一、2025年工作及“十四五”时期发展回顾, 第二部分 2024年工作计划).
_SECTION_HEADING = re.compile(r"^[ \t]*(?:#+[ \t]*)?(?:[一二三四五六七八九十]{1,3}、|第[一二三四五六七八九十]{1,3}部分)"
                              r"[^\n。；]{0,40}$", re.M)


def heading_years(heading: str) -> tuple[int, ...]:
    """The years a section heading names: its written years, else the last year of the one plan period
    it names (一、“十四五”时期经济社会发展回顾 reviews up to 2025; 二、“十五五”时期主要目标 sets targets
    for 2030), as a heading naming both (“十四五”时期和2025年工作回顾) is read by its year."""
    written = tuple(sorted({int(y) for y in _YEAR.findall(heading)}))
    periods = periods_named(heading)
    return written if written or len(periods) != 1 else (max(periods)[1],)


def section_parts(text: str) -> list[Part]:
    """The top-level sections of one document with the year each heading names: a work report of 2026
    reviews 2025 under 一、2025年工作回顾 and plans 2026 under 三、2026年工作安排. A heading that names no
    year takes the one its first paragraph opens on (一、工作回顾 / 2025年是…); a section with no year, or
    several, has none; [] when no section has one year."""
    heads = [(m.start(), heading_years(m.group(0)) or _opening_year(text, m.end()))
             for m in _SECTION_HEADING.finditer(text)]
    if not any(len(years) == 1 for _, years in heads):
        return []
    bounds = [0, *(h for h, _ in heads), len(text)]
    years_of = [(), *(y if len(y) == 1 else () for _, y in heads)]
    return [Part(a, b, y) for a, b, y in zip(bounds, bounds[1:], years_of, strict=False) if b > a]


# How a paragraph opens on the time it speaks of: one year (刚刚过去的2025年，… / 2025年是…), or a span
# of years (这五年，… / 过去五年，… / 五年来，… / “十四五”时期，…). General report wording.
_OPENS_ON_YEAR = re.compile(r"(?:刚刚|刚)?(?:过去的)?((?:19|20)\d{2})\s*年(?=[，,是])")
_OPENS_ON_SPAN = re.compile(r"(?:这|过去|近|回顾过去的?)[两三四五六七八九十]年(?:来|间|里|中)?[，,]|[两三四五六七八九十]年来[，,]"
                            r"|“?十[一二三四五六七八九]五”?(?:时期|期间|以来)[，,]")


def _opening_year(text: str, pos: int) -> tuple[int, ...]:
    """The year the first paragraph after offset `pos` (a heading's end) opens on: 一、工作回顾 followed by
    2025年是“十四五”收官之年，… reviews 2025."""
    nxt = text.find("\n", pos)
    opening = paragraph_opening(text, nxt + 1) if nxt >= 0 else None
    return opening or ()


def span_length(text: str, pos: int) -> int | None:
    """How many years the span the paragraph holding `pos` opens on lasts: 5 for 这五年，… or “十四五”时期，…"""
    start = text.rfind("\n", 0, pos) + 1
    head = text[start:start + 24].lstrip(" \t　")
    if not _OPENS_ON_SPAN.match(head):
        return None
    m = re.match(r"[^，,]*?([两三四五六七八九十])年", head)
    return int(cn_to_number(m.group(1)) or 5) if m else 5  # a plan period: five years


def paragraph_opening(text: str, pos: int) -> tuple[int, ...] | None:
    """The time the paragraph holding `pos` opens on: (2025,) for 刚刚过去的2025年，…; () for a span of
    years (这五年，…: its figures are totals or ends of the span, not one year's); None when it opens on none."""
    start = text.rfind("\n", 0, pos) + 1
    head = text[start:start + 24].lstrip(" \t　")
    if m := _OPENS_ON_YEAR.match(head):
        return (int(m.group(1)),)
    if _OPENS_ON_SPAN.match(head):
        return ()
    return None
