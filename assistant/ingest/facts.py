"""Every figure of a document as a `Fact`: value, unit, exact span, qualifier, subject, year, chunk.

Pure functions over the cleaned text (full-width punctuation, no spaces inside figures). Dates,
years, 文号, ordinals (第十一次, 二十大, 十四五), list markers and hotline numbers are not facts:
numbers without a unit are never taken, and the rules below drop the rest. Ordinal counts of the
work (第四届, 第五轮, 第二批, 第十批次) are facts. What a figure counts is found by `subjects`.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace

import jieba

from assistant.core.types import Chunk, Document, Fact
from assistant.ingest.metadata import guess_years
from assistant.ingest.parts import document_parts, paragraph_opening, section_parts, span_length, years_at
from assistant.ingest.subjects import (
    CLAUSE_ENDS,
    FROM_START,
    VERBS,
    Neighbour,
    find_subject,
    is_bare,
    measure_of,
    previous_clause,
    qualifier_hits,
    span_around,
)
from assistant.text.lexicon import QUALIFIERS, SET_PHRASES
from assistant.text.numbers import ORDINAL_UNITS, Quantity, find_quantities
from assistant.text.time import ENDS_PLAN, find_years

__all__ = ["extract_facts", "fact_year", "qualify", "span_around"]

SENTENCE_ENDS = "。！？；\n!?;"

# When several qualifiers stand together (计划新增, 共完成新增, 新增覆盖) the first of these wins.
PRIORITY = ("新增", "改建", "累计", "不低于", "不超过", "总数", "完成", "覆盖", "计划")
ADJACENT = 2  # chars allowed between qualifiers of one run ("新增床位" is not a run, "累计新增" is)

ONE_UNITS = set("处名家所张座户")  # 一 counts only with these (一处养护机构), never 一批/一个时期
GRADE_AFTER = ("甲", "乙", "以上", "及以上", "以下")  # 三级甲等, 二级以上: a grade, not a count of tiers
# Words that say what a bare 万/亿 amount counts (890万资金扶持, 数额超500万, 总服务人次达3.64万).
AMOUNT_UNITS = (("人次", "人次"), ("资金", "元"), ("经费", "元"), ("金额", "元"), ("数额", "元"),
                ("捐款", "元"), ("公益金", "元"), ("补贴", "元"), ("销售", "元"))
PEOPLE_ENDINGS = set("人民员者童工众")  # 居民, 职工, 儿童, 参保人员, 患者, 群众: a word naming people


def extract_facts(doc: Document, chunks: Sequence[Chunk]) -> list[Fact]:
    """Every figure in `doc.text` as a Fact, in text order, unique by span."""
    text = doc.text
    ordered = sorted((c for c in chunks if c.doc_id == doc.doc_id), key=lambda c: c.start)
    parts = document_parts(text)
    doc_year = doc.meta.years[0] if len(doc.meta.years) == 1 else None

    sections = section_parts(text)
    if sections and doc_year is None and len(titled := guess_years(doc.meta.title)) == 1:
        doc_year = titled[0]  # 2026年…工作报告 with 一、2025年工作回顾: outside the sections, the title's year

    def default_year(pos: int) -> int | None:
        """The year its paragraph opens on (None for a span: 这五年，…), else its section's where the heading
        names one, else its part's (a compilation), else the document's."""
        if (opening := paragraph_opening(text, pos)) is not None:
            return opening[0] if opening else _span_end_or_start(pos)
        years = years_at(sections, pos) or (years_at(parts, pos) if len(parts) > 1 else ())
        return years[0] if len(years) == 1 else doc_year

    def _span_end_or_start(pos: int) -> int | None:
        """In a paragraph on a span of years (这五年，…) a figure is the span's total, so no one year's,
        unless it is where something started or ended: 企业从0.94万家增加到1.55万家 under a heading of
        the period's last year (2025) holds 1.55万家 for 2025 and 0.94万家 for the year before the span."""
        years = years_at(sections, pos)
        if len(years) != 1:
            return None
        before = text[max(0, pos - 20):pos]
        if _REACHED.search(before):
            return years[0]
        if FROM_START.search(before) and (n := span_length(text, pos)):
            return years[0] - n
        return None

    quantities = [q for q in find_quantities(text) if not _skip(text, q)]
    facts: list[Fact] = []
    seen: set[tuple[int, int]] = set()
    prev: Fact | None = None
    topic: tuple[str, int, str] | None = None  # the last subject a figure's own words named, where, its unit
    whole: tuple[str, int, str] | None = None  # the topic a sentence opening on 其中 takes parts of
    for q in quantities:
        start = q.start - 1 if text[q.start - 1:q.start] == "第" else q.start
        if (start, q.end) in seen:
            continue
        seen.add((start, q.end))
        s0, s1 = span_around(text, start, q.end, SENTENCE_ENDS)
        c0, c1 = span_around(text, start, q.end, CLAUSE_ENDS)
        head = start - (1 if q.approx and text[start - 1:start] == q.approx else 0)
        qualifier, qualifiers = qualify(text[c0:head], text[q.end:c1])
        if prev and head == prev.end:  # 共3794户5158人: one qualifier for both
            qualifier, qualifiers = prev.qualifier, prev.qualifiers
        near = None
        if prev and prev.sentence_start == s0:
            near = Neighbour(prev.start, prev.end, prev.unit, prev.as_written, prev.subject)
        subject, borrowed = find_subject(text, q, head, near)
        if near is None and (subject is None or is_bare(subject)) and _goes_on(text, prev, s0, q.unit):
            subject, borrowed = prev.subject, True  # 发放特殊补助对象生活补助金35783.9元。1-11月累计发放405082.9元。
        elif (near is None and subject and is_bare(subject) and topic and "\n" not in text[topic[1]:s0]
              and topic[2] != q.unit and not text[q.end:c1].strip("，。；、,;")):
            # 发生生产安全事故125起，比上年下降12.6%；死亡103人: the deaths of those accidents, counted in
            # another unit (not 噪声2042件；涉水449件, a sibling; nor 筹措310.33亿元实施健康惠民工程, whose
            # clause goes on to name what the money is for)
            subject, borrowed = topic[0] + subject, True
        if s0 != (prev.sentence_start if prev else -1):
            whole = topic if text[s0:s0 + 3].lstrip("，, ").startswith("其中") else None
        if (whole and subject and subject[-1] in PEOPLE_ENDINGS and q.unit not in ("人", "户", "人次")
                and "\n" not in text[whole[1]:s0] and (tail := measure_of(subject, whole[0]))):
            # 居民恩格尔系数为32.3%；其中城镇常住居民为32.1%，农村…: not a count of those people, their 恩格尔系数
            subject = subject + tail
        if subject and not borrowed and not is_bare(subject):
            topic = (subject, q.end, q.unit)
        fact = Fact(
            fact_id=_fact_id(doc.doc_id, start, q.end, text[start:q.end]),
            chunk_id=_chunk_for(ordered, start, q.end),
            doc_id=doc.doc_id, value=q.value,
            unit=q.unit or amount_unit(subject, text[c0:head], text[q.end:c1]),
            as_written=text[start:q.end],
            qualifier=qualifier, subject=subject, district=doc.meta.district, place=doc.meta.place,
            year=fact_year(text, start, default_year(start)), start=start, end=q.end,
            sentence_start=s0, sentence_end=s1, qualifiers=qualifiers, approx=q.approx,
            planned=_planned(text[s0:head], text[q.end:c1]),
            context=fact_context(text, s0, c0, c1, subject, borrowed),
        )
        facts.append(fact)
        prev = fact
    return facts


ELLIPSIS_REACH = 4  # characters between a sentence and the one before it that still goes on from it


def _goes_on(text: str, prev: Fact | None, s0: int, unit: str) -> bool:
    """Whether a sentence that names nothing goes on from the one just before it, in the same paragraph:
    that sentence's last figure counts something, in the same unit."""
    return (prev is not None and prev.subject is not None and not is_bare(prev.subject) and prev.unit == unit
            and 0 <= s0 - prev.sentence_end <= ELLIPSIS_REACH and "\n" not in text[prev.end:s0])


def fact_context(text: str, s0: int, c0: int, c1: int, subject: str | None, borrowed: bool) -> str:
    """The figure's clause, with the clause before it when the subject is not written in it."""
    clause = text[c0:c1]
    plain = clause.replace("“", "").replace("”", "")
    if subject and not borrowed and subject in plain:
        return clause
    return text[previous_clause(text, c0, s0):c1]


def amount_unit(subject: str | None, before: str, after: str = "") -> str:
    """The unit of a bare 万/亿 amount, from the words naming it ("" when they do not say): 890万资金 is
    in 元; 7.5万农村居民 counts people, as the word right after it says (one naming people: …民, …员,
    …者, …人, or households: …户)."""
    for hay in (subject or "", before):
        for word, unit in AMOUNT_UNITS:
            if word in hay:
                return unit
    word = next((w for w in jieba.lcut(after[:10]) if w.strip()), "")
    if len(word) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", word):
        if word[-1] in PEOPLE_ENDINGS:
            return "人"
        if word[-1] == "户" or word.endswith("家庭"):
            return "户"
    return ""


# A title (《…》) holds no clause break either: 《杭州市国家 cut by a page break and followed by
# “100%，受污染耕地安全利用率95.82%” does not make that figure part of a title.
TITLE_STOPS = "\n。！？，；"


def _inside(text: str, pos: int, open_: str, close: str, stops: str = "\n。！？") -> bool:
    """Whether `pos` sits between an unclosed `open_` and its `close` in the same sentence (a title or a
    quotation never runs past 。, so an unclosed 《 of a damaged line does not swallow what follows)."""
    line_start = max(text.rfind(c, 0, pos) for c in stops) + 1
    return text.rfind(open_, line_start, pos) > text.rfind(close, line_start, pos)


def _skip(text: str, q: Quantity) -> bool:
    """True for figures that are not counts of the work: ordinals, slogans, titles, set phrases."""
    before = text[q.start - 1:q.start] if q.start else ""
    if before == "第" and q.unit not in ORDINAL_UNITS:  # 第十一次党代会, 第二个百年, 第三方
        return True
    if before.isascii() and before.isalpha():  # A1, V2: codes
        return True
    if _inside(text, q.start, "《", "》", TITLE_STOPS):
        return True
    if q.chinese:
        if q.unit in ("届", "轮") and before != "第":  # 二十届二中全会, 十九届: congress sessions
            return True
        if q.unit == "级" and text.startswith(GRADE_AFTER, q.end):
            return True
        if _inside(text, q.start, "“", "”") or _in_phrase(text, q.start, SET_PHRASES):
            return True
        if q.text[0] == "一" and (q.unit not in ONE_UNITS or text[q.end:q.end + 1] == "一"):
            return True
        if before in "一二三四五六七八九十两" and before:
            return True
    return False


def _in_phrase(text: str, pos: int, phrases: Sequence[str]) -> bool:
    """Whether `pos` falls inside one of `phrases` written in `text` (八项规定, 四面八方)."""
    for p in phrases:
        k = text.find(p, max(0, pos - len(p) + 1), pos + len(p))
        if 0 <= k <= pos < k + len(p):
            return True
    return False


def qualify(before: str, after: str) -> tuple[str | None, tuple[str, ...]]:
    """The canonical qualifier of a figure from its clause (`before` it, `after` it), and all found."""
    # 增加到1.55万家: the level reached, not an increase
    hits = [h for h in qualifier_hits(before) if not (h[2] == "新增" and before.startswith(("到", "至"), h[1]))]
    keys = [k for _, _, k in hits]
    k = before.rfind("共")
    if k >= 0 and before[k + 1:k + 3] in VERBS + ("救助",) and "累计" not in keys:
        hits.append((k, k + 3, "累计"))  # 共发放, 共惠及, 共办理: a running total
        hits.sort()
        keys = [key for _, _, key in hits]
    if before.endswith("共") and "总数" not in keys:
        hits.append((len(before) - 1, len(before), "总数"))
        keys.append("总数")
    run: list[str] = []
    if hits:
        run, edge = [hits[-1][2]], hits[-1][0]
        for h0, h1, key in reversed(hits[:-1]):
            if edge - h1 > ADJACENT:
                break
            run.append(key)
            edge = h0
    if after.startswith(("以上", "及以上")):
        keys.append("不低于")
        if not any(k in run for k in ("新增", "改建", "累计")):
            run = ["不低于"]
    primary = min(run, key=PRIORITY.index) if run else None
    return primary, tuple(dict.fromkeys(keys))


def _planned(sentence_before: str, after: str) -> bool:
    """Whether the sentence states a plan or target for the figure (not a programme's name:
    “老伙伴计划”, 成长计划，)."""
    for word in QUALIFIERS["计划"]:
        k = sentence_before.find(word)
        while k >= 0:
            nxt = sentence_before[k + len(word):k + len(word) + 1]
            if nxt not in "”、，。；：）" and sentence_before[k - 1:k] != "”":
                return True
            k = sentence_before.find(word, k + 1)
    return "目标" in after


# A change into the figure that follows right after it (提升至7.4%, 增长到36439元, 降到5.3%).
# Where a change ended (增加到1.55万家, 达到8000公里): see _span_end_or_start (where it started: FROM_START).
_INTO_VERBS = "提升|提高|增长|增加|上升|下降|降低|减少|扩大|缩小"
_REACHED = re.compile(rf"(?:(?:{_INTO_VERBS})(?:到|至)|达到)(?:约|近|超|逾)?$")
_CHANGED_INTO = re.compile(rf"(?:{_INTO_VERBS}|降|升|涨|增)(?:到|至)(?:约|近|超|逾)?$")


def _period_end(text: str, s0: int, mention):
    """A plan period written as its end (“十三五”末期) as the plan's last year; other mentions as they are.
    Only within the figure's own clause: a later clause (目前有…) is not dated by it."""
    if mention.year is None and mention.period and (m := ENDS_PLAN.match(text, s0 + mention.end)):
        return replace(mention, year=mention.period[1], end=m.end() - s0)
    return mention


def fact_year(text: str, pos: int, default: int | None) -> int | None:
    """The year a figure speaks of: the nearest year written before it in its sentence, else one
    after it in its clause, else the document's single year (None for multi-year documents)."""
    s0, s1 = span_around(text, pos, pos, "。！？\n")
    c0, c1 = span_around(text, pos, pos, SENTENCE_ENDS)
    mentions = [y for y in find_years(text[s0:s1], bare=False) if not _inside(text, s0 + y.start, "《", "》", TITLE_STOPS)]
    mentions = [_period_end(text, s0, y) if not re.search("[，,；;]", text[s0 + y.end:pos]) else y
                for y in mentions]  # in the figure's own clause only
    before = [y for y in mentions if s0 + y.end <= pos]
    if before:
        if _CHANGED_INTO.search(text, s0 + before[-1].end, pos):
            return default  # 由2020年的7.2%提升至7.4%: the year is the start's, the figure is where it ended
        return before[-1].year
    after = [y for y in mentions if pos < s0 + y.start < c1]
    if after:
        return after[0].year
    return default


def _chunk_for(chunks: Sequence[Chunk], start: int, end: int) -> str:
    """The id of the chunk holding the span, else of the nearest chunk ("" when there are none)."""
    if not chunks:
        return ""
    starts = [c.start for c in chunks]
    k = bisect.bisect_right(starts, start) - 1
    if k >= 0 and chunks[k].start <= start and end <= chunks[k].end:
        return chunks[k].chunk_id
    nearest = min(chunks, key=lambda c: 0 if c.start <= start < c.end else min(abs(c.start - start),
                                                                             abs(c.end - end)))
    return nearest.chunk_id


def _fact_id(doc_id: str, start: int, end: int, written: str) -> str:
    return hashlib.sha1(f"{doc_id}:{start}:{end}:{written}".encode()).hexdigest()[:16]
