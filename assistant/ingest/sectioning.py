"""Heading tree of a cleaned document, and chunks that follow it.

Headings: lines the source marked (`Document.headings`: markdown #, bold openers, docx/html
headings) and Chinese outline numbering at a line start — `第一章`, `一、`, `（一）`, `一是…`, `1、`/`1.`,
`（1）`. Levels come from the numbering style's rank, so inconsistent markdown depths do not matter.
A numbered line that goes on after its first `。` (`一是推动….民心工程…`) is an inline heading: its
title is the first sentence, and the whole line (title sentence included) is body text.
Before the first numbered heading, title-like lines (…通知, …要点, …报告) head the notice and the
document title; issuer lines (…民政局, …文件) are left as body text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from assistant.core.types import Chunk, Document, Section
from assistant.ingest.parts import Part, document_parts, section_parts, years_at

# Numbering styles, outermost first; a heading closes every open heading of the same or a lower rank.
_STYLES: tuple[tuple[int, re.Pattern[str]], ...] = (
    (0, re.compile(r"^第[一二三四五六七八九十百零]+[章部篇]|^第[一二三四五六七八九十百零]+部分")),
    (1, re.compile(r"^[一二三四五六七八九十百]+、")),
    (2, re.compile(r"^[（(][一二三四五六七八九十百]+[）)]")),
    (3, re.compile(r"^[一二三四五六七八九十]+是(?=[\u4e00-\u9fff“《])")),
    (4, re.compile(r"^\d{1,2}[、．.](?!\d)")),
    (5, re.compile(r"^[（(]\d{1,2}[）)]")),
)
_UNNUMBERED = 1  # marked and title-like headings without numbering sit at the top level…
_LEAF = 9  # …until the numbering starts: then they nest under the current section
_SENT_END = "。！？；!?;"
_CLOSERS = "”’」』）)》"
_TITLE_WORDS = re.compile(r"(?:通知|要点|报告|规划|方案|意见|总结|计划|办法|细则|决定|评估)[”’》」]*$")
_DATE_LINE = re.compile(r"^\d{4}年\d{1,2}月(?:\d{1,2}日)?$|^\d{4}-\d{1,2}-\d{1,2}$")
_ISSUER_LINE = re.compile(r"^[\u4e00-\u9fff]{2,20}(?:局|委员会|政府|办公室)(?:文件)?$")


@dataclass(frozen=True)
class _Heading:
    rank: int
    title: str
    line_start: int  # where the heading line starts
    body_start: int  # where its body starts: the line start for inline headings, else the next line


def parse_sections(doc: Document) -> list[Section]:
    """The heading tree, in document order; each section spans its body and its subsections."""
    heads = _find_headings(doc.text, doc.headings)
    sections = []
    stack: list[_Heading] = []  # the open headings, outermost first
    for h in heads:
        while stack and stack[-1].rank >= h.rank:
            stack.pop()
        stack.append(h)
        path = tuple(o.title for o in stack)
        sections.append(Section(doc_id=doc.doc_id, path=path, level=len(path), start=h.body_start,
                                end=_section_end(doc.text, heads, h)))
    return sections


def _section_end(text: str, heads: list[_Heading], h: _Heading) -> int:
    later = [o.line_start for o in heads if o.line_start > h.line_start and o.rank <= h.rank]
    return max(h.body_start, _trim(text, h.body_start, min(later) if later else len(text))[1])


def _find_headings(text: str, marked: Iterable[tuple[int, int]] = ()) -> list[_Heading]:
    """Heading lines of a cleaned text, from numbering and from the marked spans."""
    marked_at = {s: e for s, e in marked}
    heads: list[_Heading] = []
    seen_numbered = False
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not line.strip():
            continue
        rank = next((r for r, pat in _STYLES if pat.match(line)), None)
        mark_end = marked_at.get(start)
        if rank is None and mark_end is None:
            if seen_numbered or not _is_title_line(line):
                continue
            rank = _UNNUMBERED
        elif rank is None:
            if _ISSUER_LINE.match(text[start:mark_end]):
                continue  # "# 上海市民政局": letterhead, not a section
            # before the numbering starts it heads the preamble; inside it, a leaf of the current section
            rank = _UNNUMBERED if not seen_numbered else _LEAF
        else:
            seen_numbered = True
        head = text[start:mark_end] if mark_end is not None and mark_end < end else None
        h = _make_heading(rank, line, start, end, head)
        heads.append(replace(h, body_start=min(h.body_start, len(text))))
    return heads


def _is_title_line(line: str) -> bool:
    return len(line) <= 60 and not re.search(r"[。，；：]", line) and bool(_TITLE_WORDS.search(line))


def _make_heading(rank: int, line: str, start: int, end: int, marked_head: str | None) -> _Heading:
    """Title and body start of a heading line: inline when the line goes on past its title."""
    if marked_head is not None:  # **（一）扎实推进….**正文…
        return _Heading(rank, clean_title(marked_head), start, start)
    cut = next((i for i, c in enumerate(line) if c in _SENT_END), None)
    if cut is None and len(line) > 60:
        cut = next((i for i, c in enumerate(line) if c in "，："), 30)
    if cut is None or not line[cut + 1:].strip():
        return _Heading(rank, clean_title(line), start, end + 1)
    return _Heading(rank, clean_title(line[:cut]), start, start)


def clean_title(title: str) -> str:
    """A heading as a path element: markers and trailing punctuation removed."""
    title = re.sub(r"^#+\s*|\*\*", "", title.strip())
    return title.rstrip("。；;：:，, ").strip()


@dataclass(frozen=True)
class _Segment:
    path: tuple[str, ...]
    start: int
    end: int


def _segments(doc: Document) -> list[_Segment]:
    """Each heading's own body (up to the next heading line), text before the first heading, and
    the closing signature (issuer and date lines) as a piece of its own."""
    heads = _find_headings(doc.text, doc.headings)
    sections = parse_sections(doc)
    first = heads[0].line_start if heads else len(doc.text)
    segs = [_Segment((), 0, first)]
    for i, (h, s) in enumerate(zip(heads, sections, strict=True)):
        nxt = heads[i + 1].line_start if i + 1 < len(heads) else len(doc.text)
        segs.append(_Segment(s.path, h.body_start, max(h.body_start, nxt)))
    sig = _signature_start(doc.text)
    last = segs[-1]
    if sig is not None and last.start < sig < last.end:
        segs[-1:] = [_Segment(last.path, last.start, sig), _Segment((), sig, last.end)]
    return segs


def _signature_start(text: str) -> int | None:
    """Where a closing signature (…民政局 / date lines, at most three) starts, if the text ends with one."""
    lines = text.rstrip().split("\n")
    k = 0
    while k < min(3, len(lines) - 1) and (_ISSUER_LINE.match(lines[-1 - k].strip())
                                          or _DATE_LINE.match(lines[-1 - k].strip())):
        k += 1
    if k == 0 or not any(_DATE_LINE.match(x.strip()) for x in lines[len(lines) - k:]):
        return None
    return len("\n".join(lines[:len(lines) - k])) + 1


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences of text[start:end] (ending at 。！？； plus closing quotes, or at a line end)."""
    spans = []
    i = start
    s = start
    while i < end:
        c = text[i]
        if c in _SENT_END or c == "\n":
            j = i + 1
            while j < end and text[j] in _CLOSERS:
                j += 1
            spans.append((s, j))
            s = i = j
            continue
        i += 1
    if s < end:
        spans.append((s, end))
    return [sp for sp in (_trim(text, a, b) for a, b in spans) if sp[0] < sp[1]]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _pack(spans: list[tuple[int, int]], max_chars: int) -> list[tuple[int, int]]:
    """Group consecutive sentences into runs of about equal size (none above max_chars unless one
    sentence alone is longer): the partition closest to equal parts, by dynamic programming."""
    n = len(spans)
    total = spans[-1][1] - spans[0][0]
    target = total / -(-total // max_chars)
    best = [0.0] + [float("inf")] * n  # best[i]: cost of packing the first i sentences
    back = [0] * (n + 1)
    for i in range(1, n + 1):
        for j in range(i - 1, -1, -1):
            size = spans[i - 1][1] - spans[j][0]
            if size > max_chars and j < i - 1:
                break
            cost = best[j] + (size - target) ** 2
            if cost < best[i]:
                best[i], back[i] = cost, j
    runs = []
    i = n
    while i > 0:
        j = back[i]
        runs.append((spans[j][0], spans[i - 1][1]))
        i = j
    return runs[::-1]


def chunk_document(doc: Document, max_chars: int = 450) -> list[Chunk]:
    """Chunks following the sections: a section's own body, or runs of its whole sentences."""
    chunks = []
    parts = document_parts(doc.text)
    sections = section_parts(doc.text)  # 一、2025年工作回顾 … 三、2026年工作安排: each section's chunks carry its year
    for seg in _segments(doc):
        a, b = _trim(doc.text, seg.start, seg.end)
        if a >= b:
            continue
        if b - a <= max_chars:
            runs = [(a, b)]
        else:
            runs = _pack(sentence_spans(doc.text, a, b), max_chars)
        for s, e in runs:
            chunks.append(_make_chunk(doc, seg.path, s, e, parts, sections))
    return chunks


def _make_chunk(doc: Document, path: tuple[str, ...], start: int, end: int, parts: list[Part],
                sections: list[Part] = ()) -> Chunk:
    text = doc.text[start:end]
    years = years_at(sections, start) or (years_at(parts, start) if len(parts) > 1 else ()) or doc.meta.years
    if not set(years) <= set(doc.meta.years):
        years = doc.meta.years  # years corrected in the manifest stand
    cid = hashlib.sha256(f"{doc.doc_id}:{start}:{end}:{text}".encode()).hexdigest()[:16]
    return Chunk(chunk_id=cid, doc_id=doc.doc_id, doc_title=doc.meta.title, source=doc.source, section=path,
                 text=text, start=start, end=end, district=doc.meta.district, years=years,
                 doc_type=doc.meta.doc_type, place=doc.meta.place)
