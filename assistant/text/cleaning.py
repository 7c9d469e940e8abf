"""Raw extracted text → the cleaned text every later stage (and every citation) relies on.

Conventions (see the common brief): full-width Chinese punctuation in CJK context, half-width
digits, `%` and decimal points; no spaces inside figures or between CJK and digits; thousands
separators removed; lines broken at page ends rejoined; markdown `#`/`**` markers removed (and
reported as heading signals); `---` rules and repeated blocks dropped; one paragraph per line.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.tables import layout_table, split_pipe_row, table_lines

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# CJK punctuation, full-width forms, curly quotes, em dash, ellipsis, middle dot, bullets.
_CJK_PUNCT = ("\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
              "\u2018\u2019\u201c\u201d\u2014\u2026\u00b7\u2022")
_CTX = _HAN + _CJK_PUNCT

# Where a line may end a paragraph: sentence-final or clause-final marks, optionally closed.
_LINE_END = re.compile(r"[。！？；：!?;:…]['\"”’）)》」』】]*$")
_MD_HEADING = re.compile(r"^#{1,6}\s*")
_RULE = re.compile(r"^\s*(?:[-*_=]\s*){3,}$")
_PAGE_NUMBER = re.compile(r"^(?:[-—–]\s*\d{1,3}\s*[-—–]"
                          r"|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?)$")
_BULLET = re.compile(r"^[•●▪◆■□◇○·]")
# Line openers that always start a new paragraph (Chinese outline numbering).
NUMBERING = re.compile(
    r"^(?:第[一二三四五六七八九十百零]+[章节部分篇]"
    r"|[一二三四五六七八九十百]+、"
    r"|[（(][一二三四五六七八九十百]+[）)]"
    r"|[一二三四五六七八九十]+是"
    r"|\d{1,2}[、．.](?!\d)"
    r"|[（(]\d{1,2}[）)])"
)
_INNER_PUNCT = re.compile(r"[，,、；;。！？!?：:]")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


@dataclass(frozen=True)
class Cleaned:
    """Cleaned text plus the spans the source marked as headings (`#` lines, `**bold**` line openers)."""

    text: str
    headings: tuple[tuple[int, int], ...] = ()


@dataclass
class _Line:
    text: str  # raw, stripped, markers still in
    heading: bool  # a markdown heading or a wholly bold line: never joined to its neighbours


def clean_text(raw: str) -> Cleaned:
    """Clean raw extracted text: rejoin broken lines, normalise punctuation and figures, drop repeats."""
    lines = _split_lines(normalize_chars(raw))
    paragraphs = _join_broken_lines(lines)
    cleaned: list[tuple[str, tuple[int, int] | None]] = []
    for para in paragraphs:
        text, span = _strip_markers(para)
        if text:
            cleaned.append((text, span))
    kept = _drop_repeats([t for t, _ in cleaned])
    out: list[str] = []
    headings: list[tuple[int, int]] = []
    pos = 0
    for i in kept:
        text, span = cleaned[i]
        if span is not None:
            headings.append((pos + span[0], pos + span[1]))
        out.append(text)
        pos += len(text) + 1
    return Cleaned(text="\n".join(out), headings=tuple(headings))


def blank_spans(text: str, spans, end: int | None = None) -> str:
    """`text` (up to `end`) with the given (start, end) spans replaced by spaces: offsets stay as they were."""
    chars = list(text if end is None else text[:end])
    for a, b in spans:
        b = min(b, len(chars))
        if a < b:
            chars[a:b] = " " * (b - a)
    return "".join(chars)


def normalize_chars(raw: str) -> str:
    """Unify newlines and odd spaces, drop zero-width characters, make digits and letters half-width."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\u200b-\u200d\u2060\ufeff]", "", text)
    text = re.sub(r"[\u00a0\u2002-\u200a\u202f\u205f\u3000\t\f\v]", " ", text)
    table = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}  # ０-９
    table.update({c: c - 0xFEE0 for c in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ
    table.update({c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)})  # ａ-ｚ
    table.update({0xFF05: "%", 0xFF0B: "+"})
    text = text.translate(table)
    return re.sub(r"(?<=\d)．(?=\d)", ".", text)


# A range of months (1—11月, 1到11月): written 1-11月 in cleaned text and in questions' words.
MONTH_RANGE = re.compile(r"(?<![\d.])(\d{1,2})\s*[—–－~～]\s*(\d{1,2})(?=\s*月)")
ASKED_MONTH_RANGE = re.compile(r"(?<![\d.])(\d{1,2})\s*(?:到|至|[—–－~～])\s*(\d{1,2})(?=\s*月)")


def normalize_line(text: str) -> str:
    """Punctuation and spacing conventions for one paragraph (markers already removed)."""
    # Thousands separators: 1,000 / 12,345,678 (not 2019,2020 nor 1,2).
    text = re.sub(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?![\d.,])", lambda m: m.group().replace(",", ""), text)
    # Spaces next to CJK characters or punctuation, and inside figures with units.
    text = re.sub(rf"(?<=[{_CTX}])\s+|\s+(?=[{_CTX}])", "", text)
    text = re.sub(r"(?<=\d)\s+(?=[%‰℃])", "", text)
    text = MONTH_RANGE.sub(r"\1-\2", text)  # 1—11月, 1～11月 → 1-11月
    text = re.sub(r"(?<=\d)\s*\.\s+(?=\d)|(?<=\d)\s+\.(?=\d)", ".", text)
    # Brackets and quotes first, so that a comma after `)` or `"` sees the full-width mark.
    text = re.sub(r"\(([^()\n]*)\)", lambda m: _paren(m, text), text)
    text = re.sub(rf"\((?=[{_HAN}])", "（", text)
    text = re.sub(rf"(?<=[{_HAN}])\)", "）", text)
    text = re.sub(rf'"([^"\n]*[{_HAN}][^"\n]*)"', r"“\1”", text)
    # Half-width punctuation next to CJK characters or full-width punctuation (never 2019,2020).
    text = re.sub(rf"(?<=[{_CTX}]),|,(?=[{_CTX}])", "，", text)
    text = re.sub(rf"(?<=[{_CTX}]);|;(?=[{_CTX}])|;$", "；", text)
    text = re.sub(rf"(?<=[{_CTX}])!|!(?=[{_CTX}])", "！", text)
    text = re.sub(rf"(?<=[{_CTX}])\?|\?(?=[{_CTX}])", "？", text)
    text = re.sub(rf"(?<=[{_CTX}]):|(?<!\d):(?=[{_CTX}])", "：", text)
    text = re.sub(rf"(?<=[{_HAN}])\.(?=$|[{_CTX}\s'\"])", "。", text)
    return text.strip()


def _paren(m: re.Match, text: str) -> str:
    inner = m.group(1)
    before = text[m.start() - 1] if m.start() > 0 else ""
    after = text[m.end()] if m.end() < len(text) else ""
    cjk = re.search(f"[{_CTX}]", inner + before + after) or re.fullmatch(r"\d{1,2}", inner)
    return f"（{inner}）" if cjk else m.group()


def _with_tables(lines: list[str]) -> list[str]:
    """`lines` with each table read as sentences: runs of pipe rows (养老机构床位 | 万张 | 9.5 |) and
    tables laid out with spaces under a header (指标名称 单位 代码 数量 …)."""
    out: list[str] = []
    rows: list[list[str]] = []
    i = 0
    lines = [*lines, ""]
    while i < len(lines):
        line = lines[i]
        cells = split_pipe_row(line)
        if cells is not None:
            rows.append(cells)
            i += 1
            continue
        if rows:
            out.extend(table_lines(rows))
            rows = []
        if (laid := layout_table(lines, i)) is not None:
            out.extend(table_lines(laid[0]))
            i = laid[1]
            continue
        out.append(line)
        i += 1
    return out[:-1] if out and out[-1] == "" else out


def _split_lines(text: str) -> list[_Line]:
    """Non-blank lines with rules and page numbers dropped; markdown/bold-only lines flagged."""
    out = []
    for line in _with_tables(text.split("\n")):
        line = line.strip()
        if not line or _RULE.match(line) or _PAGE_NUMBER.match(line):
            continue
        bare = line.strip("*").strip()
        if not bare:
            continue
        whole_bold = line.startswith("**") and line.endswith("**") and _BOLD.sub("", line).strip() == ""
        out.append(_Line(line, heading=bool(_MD_HEADING.match(line)) or whole_bold))
    return out


def _bare(line: str) -> str:
    return _MD_HEADING.sub("", line).replace("**", "").strip()


def starts_paragraph(line: str) -> bool:
    """Does this (raw) line open a new paragraph whatever precedes it: heading, numbering, bullet."""
    return bool(_MD_HEADING.match(line) or line.startswith("**") or _BULLET.match(line)
                or NUMBERING.match(_bare(line)))


def is_standalone(line: str) -> bool:
    """A short line with no clause punctuation (title, issuer, 文号, date): ends a paragraph by itself."""
    bare = re.sub(r"\s+", "", _bare(line))
    return len(bare) <= 40 and not _INNER_PUNCT.search(bare)


def ends_paragraph(line: str) -> bool:
    """Does this (raw) line end its paragraph (sentence-final punctuation, or a title-like line)?"""
    bare = _bare(line)
    if NUMBERING.match(bare) and len(bare) <= 60 and not re.search(r"[。！？；]", bare):
        return True  # a numbered heading line: never joined to its body
    return bool(_LINE_END.search(bare)) or is_standalone(line) or bool(_BULLET.match(bare))


def _continues(prev: _Line, nxt: _Line) -> bool:
    if prev.heading or nxt.heading or starts_paragraph(nxt.text):
        return False
    if re.match(r"^[的，。、；：！？）》”’」』]", _bare(nxt.text)):  # cannot open a paragraph
        return not _LINE_END.search(_bare(prev.text))
    return not ends_paragraph(prev.text)


def _join_broken_lines(lines: list[_Line]) -> list[_Line]:
    """Rejoin lines broken at page ends: a line that does not end its paragraph continues on the next."""
    out: list[_Line] = []
    for line in lines:
        if out and _continues(out[-1], line):
            prev = out[-1].text
            sep = " " if re.search(r"[A-Za-z]$", prev) and re.match(r"[A-Za-z]", line.text) else ""
            out[-1] = _Line(prev + sep + line.text, heading=False)
        else:
            out.append(line)
    return out


def _strip_markers(line: _Line) -> tuple[str, tuple[int, int] | None]:
    """Remove `#`/`**` markers; the heading span (whole line, or a leading bold run) if marked."""
    raw = line.text
    is_md = bool(_MD_HEADING.match(raw))
    raw = _MD_HEADING.sub("", raw)
    lead = _BOLD.match(raw)
    text = normalize_line(_BOLD.sub(r"\1", raw).replace("**", ""))
    if is_md or line.heading:
        return text, (0, len(text)) if text else None
    if lead:
        head = normalize_line(lead.group(1))
        if head and text.startswith(head):
            return text, (0, len(head))
    return text, None


def _key(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text)


def _drop_repeats(paragraphs: list[str], min_chars: int = 20) -> list[int]:
    """Indexes of paragraphs to keep: an exact repeat of an earlier paragraph is dropped when it is
    long, or when it sits in a run of repeats that holds a long one (a duplicated block)."""
    seen: set[str] = set()
    repeat = []
    for p in paragraphs:
        k = _key(p) or p
        repeat.append(k in seen)
        seen.add(k)
    drop = [False] * len(paragraphs)
    i = 0
    while i < len(paragraphs):
        if not repeat[i]:
            i += 1
            continue
        j = i
        while j < len(paragraphs) and repeat[j]:
            j += 1
        block_is_copy = any(len(_key(paragraphs[k])) >= min_chars for k in range(i, j))
        for k in range(i, j):
            drop[k] = block_is_copy
        i = j
    return [i for i, d in enumerate(drop) if not d]
