"""What a document is, as far as its own text says: title, issuer, 文号, place, years, type, date.

Pure functions over the cleaned text. The place comes from the gazetteer (`text.places`): the most
specific place the title names, else the issuer, else the one the opening names most; a national
issuer or title (国务院, 我国, 中华人民共和国…部) gives 全国. A manifest entry may name the place
(`place` or `district`, by name or adcode); `resolve_place` reads it with the same gazetteer.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from assistant.core.types import DocMeta
from assistant.ingest.parts import document_parts, section_parts
from assistant.text.places import COUNTRY, Place, find_places, gazetteer

DOC_TYPES = ("工作要点", "中期评估", "统计公报", "公报", "评估", "总结", "规划", "实施方案", "方案", "计划", "实施意见",
             "意见", "办法", "细则", "条例", "报告", "通知", "白皮书")
_TITLE_END = re.compile(rf"(?:{'|'.join(DOC_TYPES)}|要点)(?:（[^）]{{1,16}}）)?[”’》」]*$")
_OFFICE = r"[\u4e00-\u9fff、]{2,40}?(?:局|厅|委员会|委|部|办公室|政府|中心|调查队)"
# one office, or several issuing together (成都市统计局 国家统计局成都调查队)
_ISSUER = re.compile(rf"^{_OFFICE}(?:[ \u3000、和及]+{_OFFICE})*(?:文件)?$")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}[〔\[［(（]\d{4}[〕\]］)）]\d{1,4}号")
_DATE_CN = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMBERED = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[、.．])")
_PLAN_YEARS = {"十三五": range(2016, 2021), "十四五": range(2021, 2026), "十五五": range(2026, 2031)}
# Marks that are never part of a title: footnote markers [1], page numbers —3— / - 3 -, markdown.
_TITLE_NOISE = re.compile(r"\[\d{1,3}\]|[—\-]\s*\d{1,3}\s*[—\-]|^#+\s*|\*\*")


def guess_meta(text: str, filename: str, home: str | None = None) -> DocMeta:
    """Title, issuer, 文号, place, years, type and date as far as the text itself says them."""
    head = text[:3000]
    stem = Path(filename).stem
    years = document_years((text_title := guess_title(head)) or stem, text)
    title = text_title or stem
    if text_title and len(years) > 1 and set(guess_years(text_title)) < set(years):
        title = stem  # a compilation: its first part's title does not name it
    elif text_title and text_title in stem and len(stem) > len(text_title):
        title = stem  # “2024年工作总结” in 中山市民政局2024年工作总结.txt: the file name says whose
    issuer = guess_issuer(head)
    number = _DOC_NUMBER.search(head)
    place = guess_place(title, issuer, text[:2000], home, filename=stem)
    doc_type = next((t for t in DOC_TYPES if t in title), None)
    if doc_type in ("实施方案", "实施意见"):
        doc_type = doc_type[2:]
    return DocMeta(title=title, issuer=issuer, doc_number=number.group(0) if number else None,
                   district=place.name if place else None, place=place.code if place else None,
                   years=years, doc_type=doc_type, date=guess_date(text))


def clean_title(line: str) -> str:
    """A heading line without footnote markers, page numbers or markdown marks."""
    return re.sub(r"\s+", " ", _TITLE_NOISE.sub("", line)).strip(" ：:")


def is_title(line: str) -> bool:
    """A real title: 6–60 characters of Chinese, no sentence punctuation, naming a document genre."""
    cjk = sum(1 for c in line if "\u4e00" <= c <= "\u9fff")
    return (6 <= len(line) <= 60 and cjk >= 5 and not re.search(r"[。；！？]", line) and bool(_TITLE_END.search(line))
            and not _NUMBERED.match(line))  # 一、2025年工作总结 is a section's heading


def guess_title(head: str) -> str | None:
    """The document's own title line, or None (the caller falls back to the file name)."""
    m = re.search(r"关于印发\s*《(.+?)》", head)
    if m:
        return m.group(1).strip()
    for line in head.split("\n")[:15]:
        line = clean_title(line)
        if is_title(line) and not _ISSUER.fullmatch(line):
            return line
    return None


def guess_issuer(head: str) -> str | None:
    """The issuing body: a 发文机构 field, else a line that is just an office's name."""
    m = re.search(r"发文机构[：:]\s*(\S+)", head)
    if m:
        return m.group(1)
    for line in head.split("\n")[:20]:
        line = clean_title(re.sub(r"(?<=[局厅委部室府心队会])[ \u3000]+(?=\S)", "、", line.strip()))
        if _ISSUER.fullmatch(line):
            return line.removesuffix("文件")
    return None


def guess_place(title: str, issuer: str | None, opening: str, home: str | None = None,
                filename: str = "") -> Place | None:
    """The place a document is about: the most specific place its title names, else its issuer's,
    else its file name's (a user names a file 沅江市民政局2025年上半年工作总结 when the text only says
    全市), else the place its opening names most often."""
    gaz = gazetteer()
    home_place = _home(home)
    known = _near_home(home_place)
    for text in (title, issuer or "", filename):
        mentions = find_places(text, gaz, known=known, home=home_place)
        mentions = [m for m in mentions if m.relative is None]
        if mentions:
            return max((m.place for m in mentions), key=lambda p: p.level)
    counts = Counter(m.place for m in find_places(opening, gaz, known=known, home=home_place)
                     if m.relative is None)
    return counts.most_common(1)[0][0] if counts else None


def resolve_place(meta: DocMeta, home: str | None = None) -> DocMeta:
    """A manifest's place (adcode or name, in `place` or `district`) as the gazetteer's place."""
    gaz = gazetteer()
    given = meta.place or meta.district
    if not given:
        return meta
    place = gaz.get(given) if given.isdigit() else None
    if place is None:
        home_place = _home(home)
        found = find_places(given, gaz, known=_near_home(home_place), home=home_place)
        place = max((m.place for m in found), key=lambda p: p.level) if found else None
    if place is None:
        return meta
    return replace(meta, place=place.code, district=place.name)


def _home(home: str | None) -> Place | None:
    if not home:
        return None
    gaz = gazetteer()
    found = find_places(home, gaz)
    return found[0].place if found else None


def _near_home(home: Place | None) -> set[str]:
    """Codes under the home place: their short names (普陀, 长宁) count in its own documents."""
    if home is None or home == COUNTRY:
        return set()
    return {code for code, p in gazetteer().by_code.items() if p.within(home)}


def guess_years(title: str) -> tuple[int, ...]:
    """Years a title speaks of: 2022, 2019—2022 (a range), 十四五 (2021–2025)."""
    m = re.search(r"((?:19|20)\d{2})\s*[—\-–~～至到]\s*((?:19|20)\d{2})", title)
    if m and int(m.group(1)) <= int(m.group(2)) <= int(m.group(1)) + 10:
        return tuple(range(int(m.group(1)), int(m.group(2)) + 1))
    years = sorted({int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", title)})
    if years:
        return tuple(years)
    for key, span in _PLAN_YEARS.items():
        if key in title:
            return tuple(span)
    return ()


def document_years(title: str, text: str) -> tuple[int, ...]:
    """The years a document speaks of: each part's for a compilation of several years' texts, else
    the title's, else what its text names most."""
    parts = document_parts(text)
    years = tuple(sorted({y for p in parts for y in p.years}))
    sections = {y for p in section_parts(text) for y in p.years}  # 一、2025年工作回顾 in a 2026 report
    own = years if len(parts) > 1 and years else (guess_years(title) or years)
    return tuple(sorted(set(own) | sections))


def guess_date(text: str) -> str | None:
    """ISO date of issue: a 发布/成文日期 field, else a line that is just a date (the signature)."""
    m = re.search(r"(?:发布|成文|印发)(?:日期|时间)[：:]\s*(\d{4}[-年]\d{1,2}[-月]\d{1,2})", text)
    if m:
        return _iso(m.group(1))
    for line in text.split("\n"):
        line = line.strip()
        if _DATE_CN.fullmatch(line) or _DATE_ISO.fullmatch(line):
            return _iso(line)
    return None


def _iso(s: str) -> str | None:
    m = _DATE_CN.search(s) or _DATE_ISO.search(s) or re.search(r"(\d{4})[-年](\d{1,2})[-月](\d{1,2})", s)
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else None
