"""The words around a figure: qualifier surfaces before it, and the thing it counts (its subject).

Pure functions over the cleaned text; `facts.extract_facts` calls `find_subject` for every figure.
The subject is the noun after the figure (新增200张养老床位), else the phrase before it (护理型床位
改建3464张), else what the figure's neighbour in the sentence counts (惠及21.29万人次 after 发放残疾人
两项补贴6679.01万元), else the object of the previous clause (建设…乡村长者照护之家，年内新增20家).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.text.lexicon import CONTRASTS, MOVES, PAIRED_COMPOUNDS, QUALIFIERS, SUBJECT_VERBS
from assistant.text.numbers import ORDINAL_UNITS, Quantity

ITEM_ENDS = "。！？；\n!?;，：,:、（）()"
CLAUSE_ENDS = "。！？；\n!?;，：,:"
# Not years, not footnotes [2], not the digits of a formula or code (SO2, PM2.5).
FIGURE = re.compile(r"(?<![\d.\[A-Za-z])\d+(?:\.\d+)?(?![\d.\]])(?!\s*年)")
RESPECTIVE = "分别"

# Qualifier surface forms -> canonical key, longest first. 以上 is read after the figure only.
SURFACES = sorted(((s, key) for key, forms in QUALIFIERS.items() for s in forms if s != "以上"),
                  key=lambda p: -len(p[0]))
# A surface followed by these is part of a noun, not a qualifier: 政策覆盖对象, 覆盖面, 新开区, 工业增加值.
NOUN_SUFFIXES = ("对象", "率", "面", "区", "范围", "值")

AGE_UNITS = ("岁", "周岁")  # 80周岁以上: an age bound, not a count of people
NOUN_UNITS = ("镇", "街镇")  # 两镇: the classifier is itself the thing counted
LEAD_FILLERS = tuple((
    "及以上 以上 目前 其中 全区 我区 本区 全市 另有 年内 各类 已 共 有 在 "
    "为 对 将 并 约 再 从 登记 含 "
).split())
TRAIL_FILLERS = tuple((
    "全市 全区 总数 总量 共计 总计 合计 达到 共 有 约 达 为 计 的 中 分别 "
    "已 近 逾 超 数量 稳定在 保持在 维持在 控制在 "
).split())
# The verbs that end a subject phrase or name an activity: data (vocabulary.json, "subject_verbs").
VERBS = SUBJECT_VERBS
_VERBS_LONGEST = sorted(VERBS, key=len, reverse=True)
# Verbs of change: in 从19.7人提高到23人 the second figure measures what the first one does.
CHANGE_VERBS = ("提高到", "提升至", "下降", "提高", "增长", "降至", "增加到", "降低")
AFTER_STOPS = VERBS + ("全覆盖", "和", "及", "与", "或", "并", "的", "等", "以上", "左右", "分别", "其中")
CONJUNCTIONS = "及和与或"
MAX_SUBJECT = 16
MAX_NAME = 24  # an event or programme named after an ordinal

_YEAR_LEAD = re.compile(r"^\d{4}年(?:是|以来|底|内)?")
_PERIOD_LEAD = re.compile(r"^十[一二三四五六七八九]五(?:上半期|下半程|以来|期间|末期|末|初)?")
# A figure a change starts from (生产总值从2020年的3.68万亿元增长到…): what changed stands before 从/由.
FROM_START = re.compile(r"[从由](?:[^，。；从由]{0,12}的)?$")
# The figure it reached (…增长到2025年的4.93万亿元): the same thing, at the end of the change.
_REACHED = re.compile(f"^(?:{MOVES})[到至](?:[^，。；]{{0,12}}的)?$")
_COMPARE_LEAD = re.compile(r"^(?:同比|环比|相较于?|相比于?|较|比)[^从由]{0,8}")
_PREPOSITION_LEAD = re.compile(r"^以(?![上下来内外])")
_PAREN = re.compile(r"（[^（）]*）|\([^()]*\)")
_FIGURE = re.compile(r"\d|[一二两三四五六七八九十][个家名户项类支张所处批]")
_WHOLE_OF_PART = re.compile(r"([\u4e00-\u9fff]{2,8}?)(?:中|当中|之中)")  # 毕业生中69人…: a part of 毕业生


@dataclass(frozen=True)
class Neighbour:
    """The figure before this one in its sentence: where it stands and what it counts."""

    start: int
    end: int
    unit: str
    as_written: str
    subject: str | None


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


def qualifier_hits(s: str) -> list[tuple[int, int, str]]:
    """(start, end, key) of every qualifier surface in `s`, left to right, longest first at a place."""
    hits: list[tuple[int, int, str]] = []
    i = 0
    while i < len(s):
        for surface, key in SURFACES:
            if s.startswith(surface, i):
                j = i + len(surface)
                if not s.startswith(NOUN_SUFFIXES, j):
                    hits.append((i, j, key))
                i = j
                break
        else:
            i += 1
    return hits


def previous_clause(text: str, c0: int, s0: int) -> int:
    """Start of the clause before the one starting at `c0`, within the sentence starting at `s0`."""
    return span_around(text, c0 - 1, c0 - 1, CLAUSE_ENDS)[0] if c0 > s0 else c0


def find_subject(text: str, q: Quantity, head: int, prev: Neighbour | None) -> tuple[str | None, bool]:
    """The thing a figure counts, and whether it was taken from outside the figure's own clause."""
    subject, borrowed = _subject(text, q, head, prev)
    part = _part(text, q, head)
    if part and is_bare(part):  # 其中接待入境游客240万人次、增长19.1%: a change names no part, it measures its neighbour
        return subject, borrowed
    return part or subject, borrowed


def measure_of(part: str, whole: str) -> str:
    """What the whole measures after the word a part ends in (居民 of 城镇常住居民 in 全市居民恩格尔系数 →
    恩格尔系数): the part's figure measures that too. "" when the whole does not name the part's word."""
    k = whole.rfind(part[-2:])
    tail = whole[k + 2:] if k >= 0 else ""
    return tail if len(tail) >= 2 and not is_bare(tail) and tail not in part else ""


def _part(text: str, q: Quantity, head: int) -> str | None:
    """In a clause opened by 其中 (or by X中) a figure counts a part of a whole, and the part is all its item
    says: in “康复机构1036个，其中162个机构提供视力残疾康复服务、191个…” 162个 counts 机构提供视力残疾康复服务,
    not 机构; in “毕业生中69人获得职业资格证书” 69人 counts 毕业生获得职业资格证书."""
    c0 = span_around(text, head, q.end, CLAUSE_ENDS)[0]
    if q.unit in AGE_UNITS + NOUN_UNITS + ("周年",):
        return None
    i0, i1 = span_around(text, head, q.end, ITEM_ENDS)
    i1 = min(i1, _next_figure(text, q.end, i1))
    whole = _WHOLE_OF_PART.fullmatch(text[c0:q.start])
    if whole:  # 毕业生中69人获得职业资格证书: the part of 毕业生 that 获得职业资格证书
        words = whole.group(1) + text[q.end:i1].strip("，。；、：！？")
    elif text.startswith("其中", c0):
        words = (text[max(i0, c0 + 2):q.start] + text[q.end:i1]).strip("，。；、：！？")
    else:
        return None
    part = clean(_PAREN.sub("", words))
    verb = next((v for v in _VERBS_LONGEST if part and not whole and part.startswith(v) and len(part) > len(v) + 1), "")
    part = part[len(verb):] if part else part  # 其中投入农村5.7亿元: the verb is the whole's, the part is 农村
    return part if part and len(part) <= MAX_NAME else None


def _subject(text: str, q: Quantity, head: int, prev: Neighbour | None) -> tuple[str | None, bool]:
    s0 = span_around(text, head, q.end, "。！？；\n!?;")[0]
    c0 = span_around(text, head, q.end, CLAUSE_ENDS)[0]
    p0 = previous_clause(text, c0, s0)
    near = prev if prev and prev.start >= p0 and prev.end <= head else None
    i0, item_end = span_around(text, head, q.end, ITEM_ENDS)
    i1 = min(item_end, _next_figure(text, q.end, item_end))
    raw_after = text[q.end:i1].rstrip("，。；、：！？,;:")
    after = raw_after
    for word in ("以上", "及以上", "左右", "的"):
        if after.startswith(word):
            after = after[len(word):]
    b0 = _item_start(text, i0)
    if near and near.end > b0:
        b0 = near.end
    before = text[b0:head]
    percent = q.unit == "%"

    if q.unit in AGE_UNITS:
        own = noun_before(before)
        if own and any(w in own for w in ("年龄", "寿命", "岁数")):
            return own, False
        if near and near.unit in AGE_UNITS and near.subject:
            return near.subject, True  # 平均年龄45.6周岁，比上届下降1.71岁
        return "年龄", False
    if q.unit in NOUN_UNITS:
        return q.unit, False
    c1 = span_around(text, head, q.end, CLAUSE_ENDS)[1]
    k = text.find(RESPECTIVE, c0, q.start)
    if k >= 0 and (item := respective_item(text[c0:c1], q.start - c0)):  # 教育、卫生投资分别增长18.2%、89.0%
        first = FIGURE.search(text, k)
        verb = text[k + len(RESPECTIVE):first.start()].strip("为是达") if first else ""
        verb = "" if verb.endswith(("到", "至")) else verb  # 分别提高到740元/月: the level, not a change
        return clean(item.strip() + verb) or item.strip(), False
    if q.unit == "周年":  # the anniversary belongs to what is named before it
        return noun_before(before) or noun_after(after), False

    if (start := FROM_START.search(before)) and (thing := noun_before(before[:start.start()], percent)):
        return thing, False
    if near and near.subject and not is_bare(near.subject) and _REACHED.match(before):
        return near.subject, True
    subject = None
    if q.unit in ORDINAL_UNITS and text[q.start - 1:q.start] == "第":
        subject = _shared_head(text, q, raw_after, item_end) or noun_after(after, verbs=False)
    elif not percent:
        subject = _shared_head(text, q, raw_after, item_end) or noun_after(after)
    if not subject and near and near.unit in AGE_UNITS and near.end == b0:
        subject = clean(text[near.start:head])  # 80周岁以上户籍老年人4.01万人
    if not subject:
        subject = noun_before(before, percent)
    if not subject and not percent:
        subject = _predicate(after)
    if not subject and near and near.end == head and near.unit != q.unit:
        return near.subject, False  # 3794户5158人: the second figure counts the same thing
    if percent and near and text[i0:head].lstrip("约").startswith("占"):
        return near.subject or subject, True  # …6928张，约占户籍老年人口的3%: a share of that
    if near and near.subject and not is_bare(near.subject):
        if _compares(before) and (subject is None or is_bare(subject)):
            return near.subject, True  # 平均年龄…，比上届下降1.71岁; 从19.7人提高到23人
        if subject and is_bare(subject):
            return near.subject + subject, True  # 发放残疾人两项补贴…，惠及21.29万人次
    if subject is None and not _has_noun(before):
        borrowed = _clause_object(text[p0:c0])
        if borrowed:
            return borrowed, True  # 建设…乡村长者照护之家，年内新增20家
    return subject, False


def _compares(before: str) -> bool:
    """The figure is a change or a comparison (比上届提高, 提升至): it measures its neighbour's thing."""
    s = before.replace("“", "").replace("”", "")
    return bool(_COMPARE_LEAD.match(s)) or s.endswith(CHANGE_VERBS)


def _has_noun(before: str) -> bool:
    """Whether the words before a figure name anything besides fillers and qualifiers (年内新增)."""
    s = before
    for h0, h1, _ in reversed(qualifier_hits(before)):
        s = s[:h0] + s[h1:]
    return clean(s) is not None


def is_bare(subject: str) -> bool:
    """A subject that is only a verb or a comparison (参与, 比上届): it names no thing."""
    return (subject in VERBS or subject in CHANGE_VERBS or bool(_COMPARE_LEAD.fullmatch(subject))
            or _one_verb(subject))


@lru_cache(maxsize=4096)
def _one_verb(s: str) -> bool:
    """`s` is one word that jieba tags as a verb (参加, 招聘): an action, not a thing."""
    import jieba.posseg

    words = jieba.posseg.lcut(s) if 1 < len(s) <= 4 else []
    return len(words) == 1 and words[0].flag == "v"


def _item_start(text: str, i0: int) -> int:
    """Extend an item back over 、-joined items that hold no figure (大专班、中专班2期)."""
    while i0 > 1 and text[i0 - 1] == "、":
        p0 = span_around(text, i0 - 2, i0 - 1, ITEM_ENDS)[0]
        if _FIGURE.search(text[p0:i0 - 1]):
            break
        i0 = p0
    return i0


def _next_figure(text: str, pos: int, limit: int) -> int:
    """Offset of the next digit after `pos` (a following figure ends the noun phrase)."""
    for i in range(pos, limit):
        if text[i].isdigit():
            return i
    return limit


def _shared_head(text: str, q: Quantity, after: str, limit: int) -> str | None:
    """第十批次及非沪籍第四批次共有产权…: two figures joined by a conjunction share the noun after the second."""
    if not after[:1] or after[0] not in CONJUNCTIONS:
        return None
    k = text.find(q.unit, q.end + 1, limit) if q.unit else -1
    if k < 0:
        return None
    return noun_after(text[k + len(q.unit):limit])


def noun_after(after: str, verbs: bool = True) -> str | None:
    """The noun phrase right after a figure, up to a verb, conjunction or punctuation.

    `verbs=False` reads through verbs: the name after an ordinal (第二届社区达人赛, 第四届…评选表彰).
    """
    after = after.replace("“", "").replace("”", "")
    end = len(after)
    if not verbs:
        name = re.match(r"[\w+·-]+", after)
        return clean(name.group(0)[:MAX_NAME], lead=False) if name else None
    for stop in AFTER_STOPS:
        k = after.find(stop)
        if 0 <= k < end:
            end = k
    for k, ch in enumerate(after[:end]):
        if ch in "“”《》\"'" or not (ch.isalnum() or ch in "+-·"):
            end = k
            break
    if after[end:end + 1] and after[end] in CONJUNCTIONS and end > 0:
        k = after.find("的", end)
        if 0 < k - end <= 6 and not re.search(r"\d", after[end:k]):
            head_noun = noun_after(after[k + 1:])  # 缺失或不当的儿童: the noun follows 的
            if head_noun:
                whole = after[:k + 1] + head_noun
                return whole if len(whole) <= MAX_SUBJECT else head_noun
    return clean(after[:end][:MAX_SUBJECT], lead=False)


def _predicate(after: str) -> str | None:
    """全区有6人获评市级“金牌养老顾问”: the people counted are named by what they did."""
    for verb in _VERBS_LONGEST:
        if after.startswith(verb):
            return verb + (noun_after(after[len(verb):]) or "")
    return None


def _clause_object(clause: str) -> str | None:
    """The object of a clause's last verb (建设具有…功能的乡村长者照护之家), when it holds no figure."""
    s = _PAREN.sub("", clause).rstrip("，：,:")
    if _FIGURE.search(s):
        return None
    k_end = max((s.rfind(v) + len(v) for v in VERBS if v in s), default=-1)
    if k_end < 0:
        return None
    tail = s[k_end:]
    if "的" in tail and len(tail) - tail.rfind("的") > 2:
        tail = tail[tail.rfind("的") + 1:]
    found = clean(tail)
    return found if found and len(found) <= MAX_SUBJECT else None


def noun_before(before: str, percent: bool = False) -> str | None:
    """The thing counted when it is written before the figure (认知障碍照护床位140张)."""
    s = before
    if percent and "占" in s and s.index("占") > 0:
        s = s[:s.index("占")]
    hits = qualifier_hits(s)
    if hits:
        k, k_end, _ = max(hits, key=lambda h: (h[0], h[1]))
        tail = s[k_end:]
        keep = "改造" if s[k:k_end] == "改造" else ""  # 适老化改造400户: 改造 names the thing done
        if percent:
            lead = s[:hits[0][0]] + keep
            s = lead if clean(lead) or not clean(tail) else tail
        elif clean(tail):
            # 城镇新增就业: a side before the qualifier says whose (城镇就业, not 就业)
            side = next((w for pair in CONTRASTS for w in pair if s[:k].endswith(w)), "")
            s = side + tail
        else:  # 单个墓穴占地面积不超过0.6平方米: the subject stands before the qualifiers
            s = s[:k] + keep
            while (rest := qualifier_hits(s)) and rest[-1][1] == len(s) and not keep:
                s = s[:rest[-1][0]]
    if "暨" in s:
        s = s[s.rfind("暨") + 1:]
    for verb in VERBS:
        k = s.rfind(verb)
        if k > 0 and s[k - 1] == "性":
            continue  # 消费性支出, 经营性收入: after an X性 attribute the word is a noun, not a verb
        if k >= 0:
            tail, head = s[k + len(verb):], s[:k]
            if (moved := clean(tail)) and moved in CHANGE_VERBS and clean(head):
                continue  # 养老保险支出增长8.7%: what grew is the 支出, a noun here, with what it is of
            if len(clean(tail) or "") >= 2:
                s = tail
            elif not tail and clean(head):
                s = head
            elif not tail and not clean(head):
                s = verb  # 累计排查3.09万人次: the activity is the subject
            elif not clean(tail):
                s = head if clean(head) else ""  # 确保“十四五”末达到80%: nothing named
    s = _COMPARE_LEAD.sub("", s.replace("“", "").replace("”", ""))
    for mark in "由从":  # 持证率由“十三五”末期的21.52%: the thing stands before 由
        k = s.find(mark)
        if k > 0 and len(clean(s[:k]) or "") >= 2:
            s = s[:k]
    if "、" in s[:s.rfind("等")] and len(clean(s[s.rfind("等") + 1:]) or "") >= 3:
        s = s[s.rfind("等") + 1:]  # 综合为老服务中心、助餐点等社区养老服务设施
    if "的" in s and len(clean(s[s.rfind("的") + 1:]) or "") >= 2:
        s = s[s.rfind("的") + 1:]
    cleaned = clean(s)
    return cleaned[-MAX_SUBJECT:] if cleaned else None


def _opens_word(s: str, filler: str) -> bool:
    """A one-character filler that begins a longer noun of `s` (在 of 在校学生, 有 of 有效期) stays."""
    return len(filler) == 1 and opens_noun(s)


def opens_noun(s: str) -> bool:
    """`s` begins with a noun of two characters or more (在校生, 建成区), as jieba tags it."""
    import jieba.posseg

    words = jieba.posseg.lcut(s[:8]) if s else []
    return bool(words) and len(words[0].word) > 1 and words[0].flag.startswith("n")


def closes_noun(s: str) -> bool:
    """`s` ends with a noun of two characters or more (社区, 街道, 城市), as jieba tags it (j: an
    abbreviation, 居委会)."""
    import jieba.posseg

    words = jieba.posseg.lcut(s[-8:]) if s else []
    return bool(words) and len(words[-1].word) > 1 and words[-1].flag[0] in "nj"


def clean(s: str, lead: bool = True) -> str | None:
    """Strip quote marks, fillers and particles off a subject phrase; None when nothing is left."""
    s = s.replace("“", "").replace("”", "")
    if lead:
        s = _PREPOSITION_LEAD.sub("", _PERIOD_LEAD.sub("", _YEAR_LEAD.sub("", s)))
    s = s.strip(" ，、：")
    changed = True
    while changed and s:
        changed = False
        for word in LEAD_FILLERS if lead else ():
            if s.startswith(word) and len(s) >= len(word) + 2 and not _opens_word(s, word):
                s, changed = s[len(word):], True
        for word in TRAIL_FILLERS:
            if s.endswith(word) and len(s) >= len(word) + 2:
                s, changed = s[: len(s) - len(word)], True
    if s in LEAD_FILLERS or s in TRAIL_FILLERS or s.isdigit():
        return None
    return s if any("\u4e00" <= c <= "\u9fff" for c in s) else None


def _split_items(head: str) -> list[str]:
    """The items of a list (A、B和C), a 、 inside brackets not splitting one: 养老（不含机关、含离退休退职）、
    医疗（生育）、失业 has three."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(head):
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in "、和及与":
            items.append(head[start:i])
            start = i + 1
    items.append(head[start:])
    return items


# Words that name what is measured of a thing (增加值, 产量, 收入, 投资): written once after a list, they are
# every item's (高技术制造业、装备制造业增加值分别… is both industries' 增加值).
_MEASURE = re.compile(r"(?:值|量|额|数|率|收入|支出|投资|面积|规模|标准)$")


def _share_measure(items: list[str]) -> list[str]:
    """The items of a list with the measure the last one ends in given to the others as well."""
    import jieba

    words = jieba.lcut(items[-1])
    measure = words[-1] if len(words) >= 2 else ""
    stem = items[-1][:-len(measure)] if measure else ""
    # only between items of one kind, ending alike (…制造业、…制造业增加值): in 失业、工伤保险人数 the
    # shared words are 保险人数, which cannot be told apart from the item
    if not _MEASURE.search(measure) or any(i.endswith(measure) or i[-1:] != stem[-1:] for i in items[:-1]):
        return items
    return [i + measure for i in items[:-1]] + items[-1:]


def respective_item(clause: str, pos: int) -> str | None:
    """In “A、B和C分别…x、y、z” (or “A、B、C…为x、y、z”), the item of the figure at `pos`: a list of
    things before the figures, as long as the list of figures. None when the clause is no such list,
    "" when it is one whose item for `pos` cannot be told."""
    figures = [m.start() for m in FIGURE.finditer(clause)]
    k = clause.find(RESPECTIVE)
    if k >= 0 and any(f > k for f in figures):  # 2023年A、B分别为x、y: only the figures after 分别 are listed
        figures = [f for f in figures if f > k]
    if pos not in figures or len(figures) < 2:
        return None
    head = clause[:k] if 0 <= k < figures[0] else clause[:figures[0]]
    items = [i for i in _split_items(head) if i.strip()]
    if len(items) == 1 and RESPECTIVE in clause:  # 城乡低保标准分别…740元/月、485元/月: 城市…, 农村…
        for word, parts in PAIRED_COMPOUNDS.items():
            if word in items[0] and len(parts) == len(figures):
                items = [items[0].replace(word, part, 1) for part in parts]
                break
    if RESPECTIVE in clause and len(items) == len(figures):
        items = _share_measure(items)
    at = figures.index(pos)
    if len(items) == len(figures) + 1 and RESPECTIVE in clause:
        # 智能手机、体育、娱乐用品、可穿戴设备等分别增长…: one name holds a 、, so only the ends line up;
        # a figure between them is of an item that cannot be told ("")
        return items[0] if at == 0 else items[-1] if at == len(figures) - 1 else ""
    if len(items) != len(figures):
        return None
    return items[at]
