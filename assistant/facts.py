"""Every figure of a document as a `Fact`: value, unit, exact span, qualifier, subject, year, chunk.

Pure functions over the cleaned text (full-width punctuation, no spaces inside figures). Dates,
years, 文号, ordinals (第十一次, 二十大, 十四五), list markers and hotline numbers are not facts:
numbers without a unit are never taken, and the rules below drop the rest.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Sequence

from .lexicon import QUALIFIERS, SUBJECT_UNITS
from .numbers import ORDINAL_UNITS, Quantity, find_quantities, find_years
from .types import Chunk, Document, Fact

SENTENCE_ENDS = "。！？；\n!?;"
CLAUSE_ENDS = SENTENCE_ENDS + "，：,:"
ITEM_ENDS = CLAUSE_ENDS + "、（）()"

# Qualifier surface forms -> canonical key, longest first. 以上 is read after the figure only.
_SURFACES = sorted(((s, key) for key, forms in QUALIFIERS.items() for s in forms if s != "以上"),
                   key=lambda p: -len(p[0]))
# When several qualifiers stand together (计划新增, 共完成新增, 新增覆盖) the first of these wins.
PRIORITY = ("新增", "改建", "累计", "不低于", "不超过", "总数", "完成", "覆盖", "计划")
ADJACENT = 2  # chars allowed between qualifiers of one run ("新增床位" is not a run, "累计新增" is)

# Chinese-numeral phrases that name things rather than count them.
SET_PHRASES = ("八项规定", "两项补贴", "三项制度", "两个确立", "两个维护", "四个意识", "四个自信",
               "五个中心", "两张网", "五个一律", "两个免于", "三个层级以上", "四面八方")
ONE_UNITS = set("处名家所张座户")  # 一 counts only with these (一处养护机构), never 一批/一个时期
AGE_UNITS = ("岁", "周岁")  # 80周岁以上: an age bound, not a count of people
NOUN_UNITS = ("镇", "街镇")  # 两镇: the classifier is itself the thing counted

LEAD_FILLERS = tuple((
    "及以上 以上 目前 其中 全区 我区 本区 全市 另有 年内 各类 已 共 有 在 "
    "为 对 将 并 约 再 从 登记 "
).split())
TRAIL_FILLERS = tuple((
    "全市 全区 总数 总量 共计 总计 合计 达到 共 有 约 达 为 计 的 中 分别 "
    "已 近 逾 超 数量 合力 力量 "
).split())
VERBS = tuple((
    "提供 开展 实施 发放 惠及 支出 落实 建成 设置 设立 建立 摘除 规范 筹集 "
    "实现 销售 办理 投入 发布 培育 打造 建设 创建 确保 推荐 资助 列入 撤销 "
    "注销 劝散 安装 参加 参与 成立 推选 选取 对接 汇总 举办 增配 排查 开设 "
    "服务覆盖 免费 聚焦 出台 联合 推动 推进 形成 获评 荣获 获 毕业 实招 报名 "
    "招聘 明确 纳入 完成 达到 提高到 提升至 下降 提高 守护 扩大 帮助 带动 发展 "
    "排摸出 购买 回归 凝聚 "
).split())
# Verbs of change: "从19.7人提高到23人" — the second figure measures the same thing as the first.
CHANGE_VERBS = ("提高到", "提升至", "下降", "提高", "增长", "降至", "增加到", "降低")
AFTER_STOPS = VERBS + ("全覆盖", "和", "及", "与", "或", "并", "的", "等", "以上", "左右", "分别", "其中")
CONJUNCTIONS = ("及", "和", "与", "或")
MAX_SUBJECT = 16
# Words that say a bare 万/亿 amount is money or a count of visits (890万资金, 总服务人次达3.64万).
AMOUNT_UNITS = (("人次", "人次"), ("资金", "元"), ("经费", "元"), ("金额", "元"), ("数额", "元"),
                ("捐款", "元"), ("公益金", "元"), ("补贴", "元"), ("销售", "元"))
_PERIOD_LEAD = re.compile(r"^(?:十[一二三四五六七八九]五)(?:上半期|下半程|以来|期间|末期|末|初)?")
_COMPARE_LEAD = re.compile(r"^(?:相较于?|相比于?|较|比)[^从由]{0,8}")
_YEAR_LEAD = re.compile(r"^\d{4}年(?:是|以来|底|内)?")


def extract_facts(doc: Document, chunks: Sequence[Chunk]) -> list[Fact]:
    """Every figure in `doc.text` as a Fact, in text order, unique by span."""
    text = doc.text
    ordered = sorted((c for c in chunks if c.doc_id == doc.doc_id), key=lambda c: c.start)
    single_year = doc.meta.years[0] if len(doc.meta.years) == 1 else None
    quantities = [q for q in find_quantities(text) if not _skip(text, q)]
    facts: list[Fact] = []
    seen: set[tuple[int, int]] = set()
    prev: Fact | None = None
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
        subject = find_subject(text, q, head, prev)
        context = text[c0:c1] if subject else text[span_around(text, max(s0, c0 - 1), c0, CLAUSE_ENDS)[0]:c1]
        fact = Fact(
            fact_id=_fact_id(doc.doc_id, start, q.end, text[start:q.end]),
            chunk_id=_chunk_for(ordered, start, q.end),
            doc_id=doc.doc_id, value=q.value, unit=q.unit, as_written=text[start:q.end],
            qualifier=qualifier, subject=subject, district=doc.meta.district,
            year=fact_year(text, start, single_year), start=start, end=q.end,
            sentence_start=s0, sentence_end=s1, qualifiers=qualifiers, approx=q.approx,
            planned=_planned(text[s0:head], text[q.end:c1]), context=context,
        )
        facts.append(fact)
        prev = fact
    return facts


def span_around(text: str, start: int, end: int, stops: str) -> tuple[int, int]:
    """The run of text holding [start, end) bounded by any of `stops` (the stop kept at the end)."""
    a = start
    while a > 0 and text[a - 1] not in stops:
        a -= 1
    b = end
    while b < len(text) and text[b] not in stops:
        b += 1
    if b < len(text) and text[b] != "\n":
        b += 1
    while a < b and text[a].isspace():
        a += 1
    return a, b


def _inside(text: str, pos: int, open_: str, close: str) -> bool:
    """Whether `pos` sits between an unclosed `open_` and its `close` on the same line."""
    line_start = text.rfind("\n", 0, pos) + 1
    return text.rfind(open_, line_start, pos) > text.rfind(close, line_start, pos)


def _skip(text: str, q: Quantity) -> bool:
    """True for figures that are not counts of the work: ordinals, slogans, titles, set phrases."""
    before = text[q.start - 1:q.start] if q.start else ""
    if before == "第" and q.unit not in ("批次", "批"):
        return True
    if before.isascii() and before.isalpha():  # A1, V2: codes
        return True
    if _inside(text, q.start, "《", "》"):
        return True
    if q.chinese:
        if _inside(text, q.start, "“", "”") or any(text.startswith(p, q.start) for p in SET_PHRASES):
            return True
        if q.text[0] == "一" and (q.unit not in ONE_UNITS or text[q.end:q.end + 1] == "一"):
            return True
        if before in "一二三四五六七八九十两" and before:
            return True
    return False


def qualify(before: str, after: str) -> tuple[str | None, tuple[str, ...]]:
    """The canonical qualifier of a figure from its clause (`before` it, `after` it), and all found."""
    hits: list[tuple[int, int, str]] = []
    i = 0
    while i < len(before):
        for surface, key in _SURFACES:
            if before.startswith(surface, i):
                hits.append((i, i + len(surface), key))
                i += len(surface)
                break
        else:
            i += 1
    keys = [k for _, _, k in hits]
    k = before.rfind("共")
    if k >= 0 and before[k + 1:k + 3] in VERBS + ("办理", "救助", "发放") and "累计" not in keys:
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


def find_subject(text: str, q: Quantity, head: int, prev: Fact | None) -> str | None:
    """The thing a figure counts: the noun after it (新增200张养老床位), else the phrase before it."""
    i0, i1 = span_around(text, head, q.end, ITEM_ENDS)
    i1 = min(i1, _next_figure(text, q.end, i1))
    after = text[q.end:i1].rstrip("，。；、：！？,;:")
    for word in ("以上", "及以上", "左右", "的"):
        if after.startswith(word):
            after = after[len(word):]
    subject = None if q.unit == "%" else _noun_after(after)
    if not subject:
        b0 = max(i0, prev.end if prev and prev.end <= head else i0)
        subject = _noun_before(text[b0:head], percent=q.unit == "%")
    if not subject and prev and head == prev.end and prev.unit != q.unit:
        subject = prev.subject  # 3794户5158人: the second figure counts the same thing
    if q.unit == "%" and prev and text[i0:head].lstrip("约").startswith("占"):
        if span_around(text, prev.start, prev.end, SENTENCE_ENDS)[0] <= prev.start < head:
            subject = prev.subject or subject  # …6928张，约占户籍老年人口的3%: a share of that
    return subject


def _next_figure(text: str, pos: int, limit: int) -> int:
    """Offset of the next digit after `pos` (a following figure ends the noun phrase)."""
    for i in range(pos, limit):
        if text[i].isdigit():
            return i
    return limit


def _noun_after(after: str) -> str | None:
    """The noun phrase right after a figure, up to a verb, conjunction or punctuation."""
    after = after.replace("“", "").replace("”", "")
    end = len(after)
    for stop in AFTER_STOPS:
        k = after.find(stop)
        if 0 <= k < end:
            end = k
    for k, ch in enumerate(after[:end]):
        if ch in "“”《》\"'" or not (ch.isalnum() or ch in "+-·"):
            end = k
            break
    return _clean(after[:end][:MAX_SUBJECT])


def _noun_before(before: str, percent: bool = False) -> str | None:
    """The thing counted when it is written before the figure (认知障碍照护床位140张)."""
    s = before
    for cut in ("占",) if percent else ():
        if cut in s and s.index(cut) > 0:
            s = s[:s.index(cut)]
    hits = [(s.find(surface), surface) for surface, _ in _SURFACES if surface in s]
    if hits:
        k, surface = max(hits, key=lambda h: (h[0], len(h[1])))
        tail = s[k + len(surface):]
        keep = surface if surface == "改造" else ""  # 适老化改造400户: 改造 names the thing done
        lead = s[:min(h[0] for h in hits)] + keep
        s = lead if (percent and _clean(lead)) or not _clean(tail) else tail
    for verb in VERBS:
        k = s.rfind(verb)
        if k >= 0:
            tail, head = s[k + len(verb):], s[:k]
            if len(_clean(tail) or "") >= 2:
                s = tail
            elif not tail and _clean(head):
                s = head
            elif not tail and not _clean(head):
                s = verb  # 累计排查3.09万人次: the activity is the subject
    if "的" in s and len(_clean(s[s.rfind("的") + 1:]) or "") >= 2:
        s = s[s.rfind("的") + 1:]
    cleaned = _clean(s)
    return cleaned[-MAX_SUBJECT:] if cleaned else None


def _clean(s: str) -> str | None:
    """Strip quote marks, fillers and particles off a subject phrase; None when nothing is left."""
    s = _YEAR_LEAD.sub("", s.replace("“", "").replace("”", "")).strip(" ，、：")
    changed = True
    while changed and s:
        changed = False
        for word in LEAD_FILLERS:
            if s.startswith(word) and len(s) >= len(word) + 2:
                s, changed = s[len(word):], True
        for word in TRAIL_FILLERS:
            if s.endswith(word) and len(s) >= len(word) + 2:
                s, changed = s[: len(s) - len(word)], True
    if s in LEAD_FILLERS or s in TRAIL_FILLERS or s.isdigit():
        return None
    return s if any("\u4e00" <= c <= "\u9fff" for c in s) else None


def fact_year(text: str, pos: int, default: int | None) -> int | None:
    """The year a figure speaks of: the nearest year written before it in its sentence, else one
    after it in its clause, else the document's single year (None for multi-year documents)."""
    s0, s1 = span_around(text, pos, pos, "。！？\n")
    c0, c1 = span_around(text, pos, pos, SENTENCE_ENDS)
    mentions = [y for y in find_years(text[s0:s1], bare=False) if not _inside(text, s0 + y.start, "《", "》")]
    before = [y for y in mentions if s0 + y.end <= pos]
    if before:
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
