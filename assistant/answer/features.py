"""What says whether a figure answers a question: general signals, each a number in [0, 1] or {0, 1}.

Pure functions. The signals are those any reader uses: how much of the question's wording stands in
the figure's own stretch of text (between its neighbours), its clause, its sentence and its section;
whether its unit is the one asked for; whether it is a change (增长4.5%) when the question asks for a
level or the reverse; where retrieval ranked its passage; whether its qualifier agrees. How much each
counts is not decided here: `scoring.py` holds weights fitted on questions over several corpora.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from os.path import commonprefix

from assistant.answer.matching import bigrams, gram_weight, question_content, unit_matches, weighted_coverage
from assistant.answer.understanding import ABSOLUTE_CHANGE
from assistant.core.types import Fact, Query
from assistant.ingest.subjects import FIGURE as _FIGURE
from assistant.ingest.subjects import respective_item
from assistant.text.lexicon import AGAINST_LAST_YEAR, CONTRASTS, MOVES, QUALIFIERS
from assistant.text.numbers import UNITS

CLAUSE_MARKS = "，；。：！？\n"
# 由7.23张增加到7.32张: the first figure is the old value, both share the words before it.
_TO = re.compile(r"^[^，；。\d]{0,4}(?:增加|提高|提升|增长|上升|下降|降低|减少|扩大|缩小|调整|变为)?(?:到|至)[^，；。\d]{0,6}$")
# A clause that opens with a comparison names nothing itself: 参观人次6217.9万，同比增长86.4%.
_YEARS = re.compile(r"(?:19|20)\d{2}\s*年(?:的|末|底)?")
_SUPERSEDED = re.compile(r"[^，；。\d]{0,4}(?:增加|提高|提升|增长|上升|下降|降低|减少|扩大|缩小|调整|变为|降|升|涨|增)(?:到|至)")
_LEANING = re.compile(r"^(?:比|较|同比|环比|增长|下降|增加|减少|提高|降低|上升|占|其中)")
# Words that make a figure a change rather than a level (general Chinese, not lifted from a document).
# 新增3家 is a count of new things, asked as 新增几家: a qualifier (qualifier_match), not a change.
_CHANGE_BEFORE = re.compile(r"(?:增长|(?<!新)增加|下降|减少|提高|降低|上升|回落|上涨|下跌|扩大|缩小|(?<!新)增|降|涨|减)"
                            r"(?:了)?(?:约|近|超|逾)?$")
_CHANGE_ASKED = re.compile(r"增长|增加了?多少|减少|下降|提高了|降低了|上升|回落|涨了|降了|跌了|增幅|增速|降幅|"
                           r"比上年|比去年|同比|比[^，。？]{0,8}(多|少|大|小|高|低|长|短)了?(多少|几)|多了多少|少了多少|变化|变了")
# A share is asked (占多大比例, 占比多少, 百分之几): only a figure written as a share can answer it (figures.py).
# 占总人口多少 asks a share as 占比 does (占地多少亩 is an area)
SHARE_ASKED = re.compile(r"比例|占比|比重|百分之几|百分比|几成|占(?!地)[\u4e00-\u9fff]{1,10}?的?(?:多少|几)(?![\u4e00-\u9fff])")
_RATE_ASKED = re.compile(r"率|比例|占比|比重|百分之|百分比|%|几成|增幅|增速|降幅|增长了?多少|下降了?多少")
PERCENT_UNITS = frozenset({"%", "个百分点", "百分点", "‰"})
_PER_SCALE = re.compile(r"/\d*[十百千万亿]+")  # a rate per so many: 14.3/10万, 2.5/万
# A figure per person, household or visit (人均藏量1.02册, 户均, 次均, 平均每, 每千人) and a question that asks
# for one: general Chinese. A mean over time (年均浓度) is a level, the way such reports state one.
_AVERAGE = re.compile(r"[人户次]均|平均每|每(?:[个名位户人家所张床]|千|万|百|十万)")
_AVERAGE_ASKED = re.compile(r"均|每")
_PER_PERSON_ASKED = re.compile(r"每(?:人|户|名|位|个人|[十百千万]人)|[人户]均")
# How far back in its paragraph a figure's discourse reaches (农村居民人均可支配收入…。人均消费性支出20460元).
# Leave-one-corpus-out question accuracy, 2026-12-02: 80 → 0.877, 160 → 0.885, 300 → 0.886.
PARAGRAPH_REACH = 160
_LIST_GAP = re.compile(r"[、和及与\s]+")
_UNITS = sorted((*UNITS, "%"), key=len, reverse=True)

FEATURES = (
    "own", "clause", "sentence", "section", "before",
    "rank", "dense",
    "pct_asked", "pct_not_asked",
    "change_asked", "change_not_asked", "level_when_change_asked",
    "year_written", "qualifier_match",
    "first_in_sentence", "cn_asked", "cn_not_asked",
    "focus_own", "head_own", "prev_clause", "place_in_own", "superseded",
    "subject", "subject_precision", "rarest_missing", "paragraph_before",
    "own_dense", "own_dense_gap",
)
# A question's focus: 信访投诉里涉水的有多少 → 涉水; 其中农村居民的呢 → 农村居民 (general grammar).
PART_WORDS = ("里面", "当中", "之中", "其中")  # words that ask a part of a whole
_FOCUS = re.compile("(?:" + "|".join(PART_WORDS) + r"|里|中)[，,]?(?:的)?([\u4e00-\u9fffA-Za-z0-9]{2,12}?)的?(?:有|是|占|为)?"
                    r"(?:多少|几|呢|多大|比例|占比)")
_MODIFIER = re.compile(r"([\u4e00-\u9fff]{2,8})的[\u4e00-\u9fff]{2,10}?(?:是|有|为)?(?:多少|几|呢)")
# The words just before the question word: 已经销号多少件 → 销号.
_HEAD = re.compile(r"([\u4e00-\u9fff]{2,4}?)(?:了|的|有|是|共|一共|总共|已经|达到|为)*(?:多少|几|多大|多长|多高|多重|百分之几)")
_COUNT_ASKED = re.compile(r"几|多少[个项类种家所条支批次场件]")
# Qualifier pairs that name different figures: an increase is not a conversion, nor a stock.
_CONFLICTS = frozenset({("新增", "改建"), ("改建", "新增"), ("总数", "新增"), ("总数", "改建"),
                        ("新增", "总数"), ("改建", "总数")})


@dataclass(frozen=True)
class Asked:
    """What the question asks, read once per question: content bigrams and the kind of figure."""

    content: frozenset[str]
    wordings: tuple[frozenset[str], ...]  # content, and the question's own wording where synonyms changed it
    focus: frozenset[str]  # bigrams of the part asked about (其中…的), empty when none
    head: frozenset[str]  # bigrams of the words just before 多少/几
    places: tuple[str, ...]  # the names of the asked place, as a text may write them
    count: bool  # asks a count with 几 (几项, 几个): Chinese-numeral counts answer such questions
    unit: str | None  # the unit the wording asks in, None when it names none
    rate: bool  # asks for a share, rate or change in %
    change: bool  # asks how much something changed
    qualifier: str | None
    year: int | None
    part: bool = False  # the focus names a part of a whole (结婚登记里面跨省的): only a figure of that part answers
    average: bool = False  # asks for an average (人均, 平均每, 每千人)
    per_person: bool = False  # asks a figure per person or household (每人每月, 人均, 户均)
    subject: str | None = None  # what the question asks about, in the documents' wording
    text: str = ""  # the question as asked
    sides: tuple[tuple[str, str], ...] = ()  # (word asked, its contrast) for each contrast pair the question takes a side of


def asked_of(query: Query, content_text: str, unit: str | None, places: tuple[str, ...] = (),
             alternatives: tuple[str, ...] = ()) -> Asked:
    """The question's side of the signals; `alternatives`, other wordings of its content (in the
    question's own words where synonyms changed it, without its light verbs): a figure is matched
    against the wording that suits it best."""
    focus = _FOCUS.search(query.text) or _MODIFIER.search(query.text)
    focus_text = focus.group(1) if focus else ""
    narrowed = _narrowed_part(query)
    if narrowed and not focus:
        focus_text = narrowed
    if query.context:  # a follow-up: its own words are what it narrows to
        focus_text = question_content(query, with_context=False)
    head = _HEAD.search(query.text)
    # 2026年的目标呢？ after 生产总值增长了多少？ asks the change its inherited subject names
    asking = f"{query.text} {query.subject}" if "subject" in query.inherited and query.subject else query.text
    if "context" in query.inherited and query.context and not _asks_a_kind(query.text, unit):
        # 广西外贸进出口呢？ after 云南…进出口总额增长多少？ asks the change the last question asked
        asking += " " + query.context.split("\n")[0]
    rate = bool(_RATE_ASKED.search(asking)) or (bool(_CHANGE_ASKED.search(asking)) and unit is None
                                                 and not ABSOLUTE_CHANGE.search(asking))
    content = frozenset(bigrams(content_text))
    wordings = (content,) + tuple(w for a in alternatives if (w := frozenset(bigrams(a))) and w != content)
    return Asked(content=content, wordings=wordings, focus=frozenset(bigrams(focus_text)),
                 head=frozenset(bigrams(head.group(1)) if head else ()), places=places,
                 count=bool(_COUNT_ASKED.search(query.text)), unit=unit, rate=rate,
                 change=bool(_CHANGE_ASKED.search(asking)), qualifier=query.qualifier, year=query.year,
                 part=bool(_FOCUS.search(query.text) or narrowed) and not query.context,
                 average=bool(_AVERAGE_ASKED.search(query.text + (query.context or ""))),
                 per_person=bool(_PER_PERSON_ASKED.search(query.text)), subject=query.subject, text=query.text,
                 sides=sides_taken(query.text, query.context))


def _asks_a_kind(text: str, unit: str | None) -> bool:
    """Whether a question's own words say what kind of figure it asks: a unit, a share or a change."""
    return bool(unit or _RATE_ASKED.search(text) or _CHANGE_ASKED.search(text) or re.search(r"多少|几", text))


def sides_taken(text: str, context: str | None = None) -> tuple[tuple[str, str], ...]:
    """(word, its contrast) for each contrast pair (城镇 / 农村) of which the question says one word and
    not the other. A follow-up's conversation decides only pairs its own words leave open, and never
    for a word the follow-up swapped out (那农村呢？ after 城镇居民收入 takes 农村 and 收入, not 城镇)."""
    def taken(said: str) -> list[tuple[str, str]]:
        return [(a, b) if a in said else (b, a) for a, b in CONTRASTS if (a in said) != (b in said)]
    own = taken(text)
    settled = {w for pair in CONTRASTS for w in pair if any(w in text for w in pair)}
    swapped = {other for _, other in own}
    inherited = [(w, o) for w, o in taken(context or "") if w not in settled and o not in settled
                 and w not in swapped]
    return tuple(own + inherited)


def _names_it(qualifier: str, subject: str | None) -> bool:
    """Whether the qualifier's word is part of what the figure counts (适老化改造1.5万户: 改造 names the work,
    it does not make the figure a conversion)."""
    return bool(subject) and any(w in subject for w in QUALIFIERS.get(qualifier, (qualifier,)))


def modifier_conflict(asked_subject: str | None, fact_subject: str | None, sentence: str, question: str) -> bool:
    """Whether a figure counts a sibling of what is asked: both name the same head (…持证率, …床位) with
    different words before it, and neither's words stand on the other's side (社区工作者持证率 asked,
    养老护理员技能等级证持证率 written; 养老床位 asked, 重度残疾养护床位 written)."""
    if not asked_subject or not fact_subject:
        return False
    n = len(commonprefix([asked_subject[::-1], fact_subject[::-1]]))  # the shared head
    if n < 2:
        return False
    mine, theirs = asked_subject[:-n], fact_subject[:-n]
    if len(mine) < 2 or len(theirs) < 2 or mine not in question:
        return False  # (a modifier the question does not say itself, 床位 read as 养老床位, decides nothing)
    return not (bigrams(mine) & bigrams(sentence)) and not (bigrams(theirs) & bigrams(question))


def contrast_conflict(sides: tuple[tuple[str, str], ...], own: str) -> bool:
    """Whether a figure's own words say only the other side of a pair the question takes a side of
    (农村 asked, 城镇常住居民人均消费39255元 written)."""
    return any(other in own and word not in own for word, other in sides)


def side_unsaid(question: str, sides: tuple[tuple[str, str], ...], own: str, heading: str, sentence: str) -> bool:
    """Whether a figure is the whole of what the question asks one side of: the question's side word
    (城镇) names a thing (城镇居民…), the figure's own words name that thing (居民人均可支配收入增长4.6%)
    and no word of the side (城镇, or 城市 standing against the same 农村), nor does its document's title
    or section (2025年上半年工作总结 holds 上半年 for all its figures), nor its sentence the side's thing
    (其中住户存款余额…，余额比年初增加2163.67亿元). Only the question's own words count."""
    for word, _ in sides:
        at = question.find(word)
        thing = question[at + len(word):at + len(word) + 2] if at >= 0 else ""
        if not _CJK_THING.fullmatch(thing) or thing[0] in _FUNCTION_CHARS or thing not in own:
            continue
        side = {word, *(w for rival in _SIDE_WORDS.get(word, ()) for w in _SIDE_WORDS.get(rival, ()))}
        if not any(w in own or w in heading or w + thing in sentence for w in side):
            return True
    return False


_CJK_THING = re.compile(r"[\u4e00-\u9fff]{2}")
_FUNCTION_CHARS = set("的地得是有呢吗了和与及跟同在多几怎")  # 农村的婴儿…: no thing right after the side word
_SIDE_WORDS: dict[str, tuple[str, ...]] = {}  # each contrast word: the words standing against it
for _a, _b in CONTRASTS:
    _SIDE_WORDS[_a] = (*_SIDE_WORDS.get(_a, ()), _b)
    _SIDE_WORDS[_b] = (*_SIDE_WORDS.get(_b, ()), _a)


def _narrowed_part(query: Query) -> str:
    """The words narrowing the subject to a part in 离婚登记跨省的有几对 (跨省), '' when the question has
    none: what stands between the subject and 的 before 有/是 + 多少/几."""
    if not query.subject or query.subject not in query.text:
        return ""
    after = query.text.split(query.subject, 1)[1]
    m = _PART_AFTER.match(after)
    return m.group(1) if m else ""


_PART_AFTER = re.compile(r"([\u4e00-\u9fff0-9]{2,6}?)的(?:有|是|占|为)(?:多少|几)")


def span_of(text: str, start: int, end: int, marks: str = CLAUSE_MARKS) -> tuple[int, int]:
    """The stretch around [start, end) bounded by any of `marks` (exclusive)."""
    a = max(text.rfind(m, 0, start) for m in marks) + 1
    ends = [i for i in (text.find(m, end) for m in marks) if i >= 0]
    return a, (min(ends) + 1 if ends else len(text))


def own_stretch(text: str, start: int, end: int) -> str:
    """The figure's own words: its clause, cut at the figures before and after it, so that in
    “新增助餐点12个，完成30个睦邻点改造” 12个 owns 新增助餐点 and 30个 owns 睦邻点改造. A list read with
    分别 (A、B、C分别增长1%、2%、3%) gives each figure its own item."""
    c0, c1 = span_of(text, start, end)
    clause = text[c0:c1]
    s, e = start - c0, end - c0
    item = respective_item(clause, s)
    if item is not None:
        return item + clause[s:e]
    opened = max(clause.rfind("（", 0, s), clause.rfind("(", 0, s))
    if opened >= 0 and not re.search(r"[）)]", clause[opened:s]):
        parent = [m for m in _FIGURE.finditer(clause, 0, opened) if _past_unit(clause, m.end()) == opened]
        if parent:  # 运营里程483.3公里（含有轨电车16.8公里）: a part is measured as its whole is
            ends = [i for i in (clause.find("）", e), clause.find(")", e)) if i >= 0]
            close = min(ends) + 1 if ends else len(clause)
            return own_stretch(text, c0 + parent[-1].start(), c0 + parent[-1].end()) + clause[opened:close]
    before = [m for m in _FIGURE.finditer(clause, 0, s) if m.end() <= s]
    after = [m.start() for m in _FIGURE.finditer(clause, e)]
    while before and (_TO.match(_YEARS.sub("", gap := clause[_past_unit(clause, before[-1].end()):s]))
                      or _LIST_GAP.fullmatch(gap)):
        # 由7.23张增加到7.32张: reach back past the old value; 浓度分别为29、20和24: a list of values
        # shares the words before its first value
        s = before.pop().start()
    left = _past_unit(clause, before[-1].end()) if before else 0
    if before and (k := clause.rfind("、", left, s)) >= 0 and not _LEANING.match(clause[k + 1:s]):
        left = k + 1  # 新增3家综合为老服务中心、16家助餐点: what precedes the 、 is the last item's
    right = after[0] if after else len(clause)
    if after and (k := clause.find("、", e, right)) >= 0:
        right = k  # 接待人次达4454万、综合收入162.11亿元: what follows the 、 is the next item's
    if (k := min((i for i in (clause.find("（", e, right), clause.find("(", e, right)) if i >= 0),
                 default=-1)) >= 0:
        right = k  # 运营里程483.3公里（含有轨电车16.8公里）: the brackets speak of a part, in their own words
    own = clause[min(left, s):right]
    if not before and _LEANING.match(own) and c0 > 0:
        p0, _ = span_of(text, c0 - 1, c0 - 1)
        own = _BRACKETED.sub("", text[p0:c0]) + own
        # 其中未成年人32203万人次，同比增长101.2%，占参观总人数的23.0%: clauses that each lean on the one
        # before speak of the subject of the first one that does not (其中… names one)
        while (_LEANING.match(text[p0:c0]) and not text.startswith("其中", p0) and p0 > 0
               and text[p0 - 1] not in "。！？\n" and len(own) < 80):
            c0 = p0
            p0, _ = span_of(text, c0 - 1, c0 - 1)
            own = _BRACKETED.sub("", text[p0:c0]) + own
    return own


# 医疗卫生机构（含村卫生室）4159个，其中医院231个: the brackets say what the whole holds, not what its parts are
_BRACKETED = re.compile(r"（[^（）]*）|\([^()]*\)")


def _past_unit(text: str, pos: int) -> int:
    """The offset after the multiplier and unit written at `pos` (the previous figure's, not ours)."""
    if text[pos:pos + 1] in ("万", "亿"):
        pos += 1
    for unit in _UNITS:
        if text.startswith(unit, pos):
            return pos + len(unit)
    return pos


def features(fact: Fact, doc_text: str, section: str, asked: Asked, idf: dict[str, float],
             rank: int | None, dense: float | None, first_in_sentence: bool) -> dict[str, float]:
    """The signals for one candidate figure."""
    c0, c1 = span_of(doc_text, fact.start, fact.end)
    sentence = doc_text[fact.sentence_start:fact.sentence_end]
    own = own_stretch(doc_text, fact.start, fact.end)
    before = doc_text[max(c0, fact.start - 12):fact.start]
    cov = lambda t: max(weighted_coverage(set(w), bigrams(t, chars=True), idf) for w in asked.wordings)  # noqa: E731
    pct = fact.unit in PERCENT_UNITS or bool(_PER_SCALE.fullmatch(fact.unit))  # 14.3/10万 is a rate too
    change = bool(_CHANGE_BEFORE.search(doc_text[max(c0, fact.start - 6):fact.start]))
    unit_known = asked.unit is not None
    unit_ok = unit_known and (unit_matches(asked.unit, fact.unit) or unit_matches(asked.unit, fact.unit.split("/")[0]))
    year_written = bool(asked.year) and str(asked.year) in sentence
    q_qual = asked.qualifier
    qualifiers = set(fact.qualifiers) | ({fact.qualifier} if fact.qualifier else set())
    chinese = not any(ch.isdigit() for ch in fact.as_written)
    p0 = max(fact.sentence_start, text_rfind_any(doc_text, "，；：", fact.sentence_start, c0 - 1) + 1)
    own_bigrams = bigrams(own, chars=True)
    return {
        "own": cov(own),
        "clause": cov(doc_text[c0:c1]),
        "sentence": cov(sentence),
        "section": cov(section),
        "before": cov(before),
        "rank": 1.0 / rank if rank else 0.0,
        "dense": max(dense or 0.0, 0.0),
        # not a weighed signal: a figure in another unit than the one asked is no candidate (figures.py)
        "unit_conflict": float(unit_known and not unit_ok),
        # a rate (人均可支配收入…增长5%) is no amount per person, whatever its words
        "average_not_asked": float(bool(_AVERAGE.search(own)) and not asked.average and not pct),
        # not weighed (figures.py): 每人每月多少元 is never answered by a sum in 亿 or 万 that says no 人均 or 标准
        "sum_for_per_person": float(asked.per_person and bool(re.search(r"[万亿]", fact.as_written))
                                    and not _AVERAGE.search(own) and "标准" not in own),
        "pct_asked": float(pct and asked.rate),
        "pct_not_asked": float(pct and not asked.rate),
        "change_asked": float(change and asked.change),
        "change_not_asked": float(change and not asked.change),
        "level_when_change_asked": float(asked.change and not change),
        "year_written": float(year_written),
        "qualifier_match": float(bool(q_qual) and q_qual in qualifiers),
        # not a weighed signal either (figures.py): a figure of another kind than asked (新增 asked, 总数6928张
        # written) is no candidate; a total asked (总数, 一共) is a count, never a share (护理型床位不低于60%)
        "qualifier_conflict": float(any((q_qual, q) in _CONFLICTS and not _names_it(q, fact.subject) for q in qualifiers)
                                    or (q_qual == "总数" and pct and not asked.rate)),
        # not a weighed signal (figures.py): 农村 asked, a figure of 城镇 is no candidate
        "contrast_conflict": float(contrast_conflict(asked.sides, own)),
        # not weighed either (figures.py): 城镇居民 asked, 居民…4.6% written is the whole, not the side
        "side_unsaid": float(side_unsaid(asked.text, asked.sides, own, section, sentence)),
        "modifier_conflict": float(modifier_conflict(asked.subject, fact.subject, sentence, asked.text)),
        # not weighed either (figures.py): the sides asked whose rival its sentence names (农村 asked, 城市12.5
        # written beside it): whether there are any, and whether its own words say one
        "side_contrasted": float(any(other in sentence for _, other in asked.sides)),
        "side_own": float(any(word in own for word, other in asked.sides if other in sentence)),
        "first_in_sentence": float(first_in_sentence),
        "cn_asked": float(chinese and asked.count),
        "cn_not_asked": float(chinese and not asked.count),
        "focus_own": weighted_coverage(set(asked.focus), own_bigrams, idf) if asked.focus else 0.0,
        "head_own": weighted_coverage(set(asked.head), own_bigrams, idf) if asked.head else 0.0,
        "prev_clause": cov(doc_text[p0:c0]) if p0 < c0 else 0.0,
        "place_in_own": float(any(n in own for n in asked.places)),
        "superseded": float(bool(_SUPERSEDED.match(_YEARS.sub("", doc_text[fact.end:fact.end + 16])))),
        "subject": cov(fact.subject) if fact.subject else 0.0,
        "subject_precision": max(_precision(_without(fact.subject, asked.places), w, idf) for w in asked.wordings),
        "paragraph_before": cov(_paragraph_before(doc_text, fact.start) + own),
        "rarest_missing": min(_rarest_missing(w, bigrams(sentence, chars=True), idf) for w in asked.wordings),
    }


# The cosine similarities of a question and a figure's own words lie in 0.85–0.95 for e5 models: the
# signals spread that band over [0, 1] (measured on 8,900 candidates of 656 questions, 2026-12-04: right
# figures' median 0.917, wrong ones' 0.871; the best-matching candidate is 0.05 above a typical wrong one).
OWN_DENSE_FLOOR, OWN_DENSE_SPAN, OWN_DENSE_GAP = 0.85, 0.10, 0.05


def own_dense_signals(sim: float, best: float) -> tuple[float, float]:
    """`own_dense`: the figure's own words' closeness to the question; `own_dense_gap`: how far it trails
    the closest candidate's (1.0 at OWN_DENSE_GAP or more)."""
    level = min(max((sim - OWN_DENSE_FLOOR) / OWN_DENSE_SPAN, 0.0), 1.0)
    return level, min((best - sim) / OWN_DENSE_GAP, 1.0)


def _paragraph_before(text: str, pos: int) -> str:
    """The paragraph's text before `pos`, at most PARAGRAPH_REACH characters: the discourse a figure is in."""
    return text[max(text.rfind("\n", 0, pos) + 1, pos - PARAGRAPH_REACH):pos]


def _rarest_missing(content: frozenset[str], hay: set[str], idf: dict[str, float]) -> float:
    """How telling the most telling word of the question is that the sentence lacks (its IDF over the
    question's highest IDF): 家庭照护床位 asked, 认知障碍照护床位 written, 家庭 is missing. Words a
    follow-up carries from the conversation count at their scaled weight."""
    if not content:
        return 0.0
    # over the unscaled weights: a follow-up asking only by the conversation's words (二〇二二年长宁呢？)
    # misses them at the weight they carry there, not as if they were its own
    top = max(gram_weight(b, getattr(idf, "base", idf)) for b in content)
    missing = [gram_weight(b, idf) for b in content if b not in hay]
    return max(missing) / top if missing else 0.0


def _without(words: str | None, places: tuple[str, ...]) -> str | None:
    """A subject without the asked place's names: the place is matched on its own (place_in_own), so
    杭州市区降尘 counts 降尘 for a question about 杭州 as 降尘 alone does."""
    for name in sorted(places, key=len, reverse=True):
        words = words.replace(name, "") if words else words
    return words


# How a figure moved, at the end of its subject (床位减少0.3万张): says nothing of what it counts.
MOVED_AT_END = re.compile(f"(?:{'|'.join(AGAINST_LAST_YEAR)})?(?:{MOVES})$")


def _precision(words: str | None, content: frozenset[str], idf: dict[str, float]) -> float:
    """Share of what a figure counts (its subject, less how it moved) that the question asks about."""
    grams = bigrams(MOVED_AT_END.sub("", words or ""))  # a subject that is only how it moved (增长) says nothing
    return weighted_coverage(grams, set(content), idf) if grams else 0.0


def text_rfind_any(text: str, marks: str, lo: int, hi: int) -> int:
    """The last offset in [lo, hi) holding one of `marks`, else lo - 1."""
    return max((text.rfind(m, lo, max(hi, lo)) for m in marks), default=lo - 1)
