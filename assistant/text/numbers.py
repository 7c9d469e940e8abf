"""Chinese and Arabic numerals, quantities with units, and years: text -> normalised values.

Pure functions, no I/O. Values are computed with `Decimal` so that 91.65万 is exactly 916500;
`Quantity.value` is a float (what `Fact` stores). Units are normalised: 万/亿 multipliers are folded
into the value (5.37亿元 -> 537000000 元), `%` becomes a fraction (50% -> 0.5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import cn2an

from assistant.text.lexicon import COUNT_UNITS

CN_DIGITS = "〇零一二两三四五六七八九"
CN_NUMERAL_CHARS = CN_DIGITS + "十百千万亿"
MULTIPLIERS: dict[str, Decimal] = {"万": Decimal(10) ** 4, "亿": Decimal(10) ** 8, "万亿": Decimal(10) ** 12}

# Units a figure can carry, longest first so 人次 wins over 人 and 批次 over 批. 万/亿 are multipliers,
# and 年/月/日 are deliberately absent: a number followed by them is a date, not a count. 届 and 轮
# are ordinal classifiers (第四届, 第五轮); 级 and 方 count tiers and parties (四级运管, 四方合作).
ORDINAL_UNITS = ("批次", "批", "届", "轮", "期")
_EXTRA_UNITS = (
    "周年", "批次", "户次", "分钟", "客", "期", "倍", "种", "天", "间", "辆", "份", "米", "公里", "吨",
    "平方米", "个百分点", "百分点", "届", "轮", "级", "方",
)
_UNITS_FILE = Path(__file__).resolve().parents[1] / "data" / "units.txt"


def _read_units(path: Path) -> tuple[str, ...]:
    """Units listed one per line in a data file (# starts a comment)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return tuple(u for u in lines if u)


UNITS: tuple[str, ...] = tuple(sorted({u for u in COUNT_UNITS + _EXTRA_UNITS + _read_units(_UNITS_FILE)
                                       if u[0] not in "万亿" and u not in ("年", "月", "日", "号")},
                                      key=lambda u: (-len(u), u)))
# A unit, then optionally what it is per (元/人·月, 平方米/千人, 张/千人, 吨/（平方千米×30天）): the part after
# / stays with it, a bracketed one whole (its 30天 is part of the unit, not a figure of its own).
# What a unit is per: a unit or a time, optionally times another (人·月, 千人), never the words after it (元/月
# 提高至842元/月 is 元/月).
_PER_TIMES = ("间夜", "床日", "季度", "年", "月", "日", "夜", "周")
_PER_UNIT = ("(?:[千万百十]+)?(?:" + "|".join(re.escape(u) for u in sorted((*UNITS, *_PER_TIMES), key=len, reverse=True))
             + ")")
_UNIT_ALT = ("(?:" + "|".join(re.escape(u) for u in UNITS) + r")"
             rf"(?:/(?:{_PER_UNIT}(?:·{_PER_UNIT})?|[（(][^（()）\n，。；]{{1,16}}[）)]))?")

APPROX_BEFORE = ("约", "近", "逾")  # 约91.65万人次, 近500人次, 逾300万元
APPROX_AFTER = ("余", "多")  # 200余家, 6.6万余户, 460余万元, 十余个

# An Arabic figure: number, optional 余 / multiplier / 余, then a unit or %; or a bare 万/亿 amount.
_ARABIC = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)(?P<a1>[余多])?(?P<mult>万亿|[万亿])?(?P<a2>[余多])?"
    rf"(?:(?P<pct>%)|(?P<unit>{_UNIT_ALT})|(?P<per>/(?:10|100)?[万千百](?:人口|人)?(?![\u4e00-\u9fff])|/10{{3,6}}(?!\d)))?"
)  # per: a rate per so many (孕产妇死亡率14.3/10万), its unit the denominator
# A Chinese figure: must start with a digit or 十 (万/千 alone are not figures) and carry a unit.
_CHINESE = re.compile(
    rf"(?P<num>[{CN_DIGITS}十][{CN_NUMERAL_CHARS}]*)(?P<a1>[余多])?(?P<unit>{_UNIT_ALT})"
)
_PERIODS = re.compile(r"十[一二三四五六七八九]五")
# 三大行动, 六大类: a count of two to ten things (never 一大批, nor 十九大 / 二十大, the party congresses),
# in the unit written after 大 or else 个.
_BIG = re.compile(rf"(?<![第{CN_NUMERAL_CHARS}\d])(?P<num>[二两三四五六七八九十])大(?:(?P<unit>{_UNIT_ALT})|(?=[\u4e00-\u9fff“]))")
# 连续三年, 连续5年: a number of years, not a date.
_RUN_OF_YEARS = re.compile(rf"(?<=连续)(?P<num>\d+|[{CN_DIGITS}十]+)年")


@dataclass(frozen=True)
class Quantity:
    """A figure found in text: normalised value and unit, with its span in the text searched."""

    value: float
    unit: str  # "" for a bare 万/亿 amount with no unit
    text: str  # as written, e.g. "5.37亿元"
    start: int = 0
    end: int = 0
    approx: str | None = None  # 余, 多, 约, 近, 逾: the text gives the figure as approximate
    chinese: bool = False  # written in Chinese numerals (两镇, 第十批次)


def cn_to_number(text: str) -> int | float | None:
    """A Chinese numeral (十一, 两千, 二〇二四, 零点五) as a number, or None when it is not one."""
    if not text or any(c not in CN_NUMERAL_CHARS + "点" for c in text):
        return None
    if text in {"两", "俩"}:
        return 2
    try:
        value = cn2an.cn2an(text, "normal")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return int(value) if float(value).is_integer() else float(value)


def _decimal(num: str) -> Decimal | None:
    """An Arabic or Chinese number string as a Decimal."""
    try:
        return Decimal(num)
    except InvalidOperation:
        value = cn_to_number(num)
        return None if value is None else Decimal(str(value))


def _to_float(d: Decimal) -> float:
    return float(d.normalize()) if d != d.to_integral_value() else float(int(d))


def _from_match(m: re.Match, chinese: bool, offset: int = 0) -> Quantity | None:
    num = _decimal(m.group("num"))
    if num is None:
        return None
    groups = m.groupdict()
    mult = groups.get("mult")
    if mult:
        num *= MULTIPLIERS[mult]
    if groups.get("pct"):
        num /= 100
        unit = "%"
    else:
        unit = groups.get("unit") or groups.get("per") or ""
    approx = groups.get("a1") or groups.get("a2")
    return Quantity(_to_float(num), unit, m.group(0), m.start() + offset, m.end() + offset, approx, chinese)


def parse_quantity(text: str) -> Quantity | None:
    """The whole string as one figure ("91.65万人次", "两镇", "约300元", "十余个", "第十批次"), else None.

    A bare Arabic number ("200") parses with unit ""; a bare Chinese numeral needs `cn_to_number`.
    """
    s = text.strip()
    approx = None
    for word in APPROX_BEFORE:
        if s.startswith(word):
            approx, s = word, s[len(word):]
            break
    if s.startswith("第") and _CHINESE.fullmatch(s[1:]):
        s = s[1:]
    for pattern, chinese in ((_ARABIC, False), (_CHINESE, True)):
        m = pattern.fullmatch(s)
        if m is None:
            continue
        q = _from_match(m, chinese)
        if q is None:
            return None
        return Quantity(q.value, q.unit, text.strip(), 0, len(text.strip()), q.approx or approx, chinese)
    return None


def find_quantities(text: str) -> list[Quantity]:
    """Every figure with a unit (or 万/亿, or %) in `text`, in order, spans relative to `text`.

    Arabic figures need a unit, `%` or a 万/亿 multiplier: bare numbers are codes, versions,
    hotlines or list markers. Chinese figures need a unit, are never the 十四五-style period names,
    and never start inside an Arabic figure. Filtering ordinals, dates and slogans is the caller's job.
    """
    found: list[Quantity] = []
    for m in _ARABIC.finditer(text):
        if m.start() > 0 and (text[m.start() - 1].isdigit() or text[m.start() - 1] in "./"):
            continue  # inside a number, or a rate's denominator (14.3/10万)
        if not (m.group("unit") or m.group("pct") or m.group("mult") or m.group("per")):
            continue
        if m.group("num").endswith(".") or (m.end() < len(text) and text[m.end()] == "."):
            continue
        q = _from_match(m, False)
        if q is not None:
            found.append(_with_prefix(text, q))
    taken = [(q.start, q.end) for q in found]
    periods = [(p.start(), p.end()) for p in _PERIODS.finditer(text)]
    for m in _CHINESE.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken + periods):
            continue
        q = _from_match(m, True)
        if q is not None:
            found.append(_with_prefix(text, q))
            taken.append((q.start, q.end))
    for m in (*_BIG.finditer(text), *_RUN_OF_YEARS.finditer(text)):
        value = _decimal(m.group("num"))
        if value is None or any(s < m.end() and m.start() < e for s, e in taken + periods):
            continue
        unit = m.groupdict().get("unit") or ("年" if m.re is _RUN_OF_YEARS else "个")
        found.append(Quantity(_to_float(value), unit, m.group(0), m.start(), m.end(), None, not m.group("num").isdigit()))
    return sorted(found, key=lambda q: q.start)


def _with_prefix(text: str, q: Quantity) -> Quantity:
    """Attach 约/近/逾 written just before the figure (kept out of the span, recorded as approx)."""
    before = text[max(0, q.start - 1):q.start]
    if q.approx is None and before in APPROX_BEFORE:
        return Quantity(q.value, q.unit, q.text, q.start, q.end, before, q.chinese)
    return q


# ---- formatting ----------------------------------------------------------------------------

def _plain(d: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: 91.6500 -> 91.65, 200.0 -> 200."""
    s = format(d.normalize(), "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def _fits(d: Decimal, scale: Decimal) -> bool:
    """d / scale needs at most two decimals (so 91.65万 fits, 916543 does not)."""
    return (d / scale).normalize().as_tuple().exponent >= -2


def format_quantity(value: float, unit: str, approx: str | None = None) -> str:
    """A figure written the way the documents write it: 200张, 5.37亿元, 91.65万人次, 60%, 1万名."""
    d = Decimal(repr(float(value)))
    if d == d.to_integral_value():
        d = d.quantize(Decimal(1))
    wan, yi = MULTIPLIERS["万"], MULTIPLIERS["亿"]
    if unit == "%":
        body = _plain(d * 100) + "%"
    elif abs(d) >= (wy := MULTIPLIERS["万亿"]) and unit == "元" and _fits(d, wy):
        body = _plain(d / wy) + "万亿" + unit
    elif abs(d) >= yi and unit == "元" and _fits(d, yi):
        body = _plain(d / yi) + "亿" + unit
    elif abs(d) >= wan and _fits(d, wan) and (
        unit in ("元", "") or approx or abs(d) >= 10 * wan or d % wan == 0
    ):
        body = _plain(d / wan) + "万" + unit
    else:
        body = _plain(d) + unit
    if approx in APPROX_BEFORE:
        return approx + body
    if approx in APPROX_AFTER:
        return body[: len(body) - len(unit)] + approx + unit if unit and unit != "%" else body + approx
    return body


@lru_cache(maxsize=1)
def unit_alternation() -> str:
    """Every unit but 年/月/日 as one regex alternation, longest first (what a question may ask in)."""
    return "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True) if u not in ("年", "月", "日"))
