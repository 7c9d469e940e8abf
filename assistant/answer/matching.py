"""Which extracted figure answers a question: gates (place, year, unit, subject, qualifier) and a score.

Pure functions over strings and value types. Wording is compared as character bigrams after
mapping everyday words to the documents' wording, so it does not depend on how jieba cuts words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.core.types import Fact, Query
from assistant.text.lexicon import SYNONYMS
from assistant.text.places import short_name

_CLAUSE_MARKS = "，；。：！？"
_ITEM_MARKS = _CLAUSE_MARKS + "、"
_AGES = frozenset({"岁", "周岁"})
_CHANGE_AFTER = re.compile(r"[^，；。0-9]{0,8}?(?:提升|提高|增加|增长|上升|下降|减少|降低|扩大|缩小)(?:至|到|为)")
_EARLIER_CUE = re.compile(r"原来|之前|此前|以前|原先|起初|末期|十三五|扩额前|提升前|以往")
_TOTAL_CUE = re.compile(r"总共|总计|合计|一共|共计|加起来|总数")
_MODIFIER = re.compile(r"([\u4e00-\u9fff]{2})的(?:有|是|占)?(?:多少|几)")
_FOCUS = re.compile(r"(?:里面|当中|之中|其中|里|中)(?:的)?([\u4e00-\u9fffA-Za-z0-9]{2,12}?)的?(?:有|是|占)?(?:多少|几|呢)")
_VERB_STARTS = frozenset("评获被参做发给领办去来到让在有是用得拿接受享住进入出看听学报申提补选登能会要将已")
_STATED = re.compile(r"\d+(?:\.\d+)?(?:万|亿)?[\u4e00-\u9fff%]")
_QUOTES = re.compile(r"[“”‘’\"'《》「」『』]")
# Qualifier pairs that name different figures: an increase is not a conversion, nor a total.
_CONFLICTS = frozenset({("新增", "改建"), ("改建", "新增"), ("总数", "新增"), ("总数", "改建"),
                        ("新增", "总数"), ("改建", "总数")})
_FLOWS = frozenset({"新增", "改建"})
_STOCK_CUE = re.compile(r"(?<![新增加建])(有多少|有几|共有|现有|总数|总共有|一共有|总量|目前有)")
# Words (whole jieba tokens) that shape a question but name nothing the documents count.
_QUESTION_WORDS = frozenset(
    "多少 几 哪个 哪些 哪家 哪里 哪 什么 啥 怎么 怎样 如何 是不是 有没有 请问 一共 总共 合计 加起来 大概 大约 "
    "现在 目前 如今 准备 打算 计划 要 想 知道 告诉 一下 呢 吗 吧 啊 呀 那么 那 了 的 是 有 在 给 能 会 到底 左右 "
    "上下 以来 期间 今年 去年 明年 底 全年 年内 年 区 市 里 里面 其中 个 达到 达 做到 做 搞 办 弄 叫 名字 名称 "
    "称为 谁 跟 用来 推 推出 开展 开 建 设 共 多 少 多大 多高 目标 要求 争取 预计 峰值 提到 提 到 上 下 后 以后 "
    "之后 年底 年末 末 一年 每年 全 全部 总 人 位 名 家 张 户 对 ？ ?".split()
)
_UNIT_EQUIV = ({"公里", "千米"}, {"人", "名", "位"}, {"个", "家", "所", "处", "座", "镇", "街镇", "街道"}, {"张", "床"}, {"岁", "周岁"},
               {"批", "批次"}, {"元", "万元", "亿元"})


@lru_cache(maxsize=1)
def _synonym_pattern() -> tuple[re.Pattern, dict[str, str]]:
    to_canon: dict[str, str] = {}
    for canonical, variants in SYNONYMS.items():
        to_canon.setdefault(canonical, canonical)
        for v in variants:
            if len(v) >= 2:
                to_canon.setdefault(v, canonical)
    words = sorted(to_canon, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words))), to_canon


def canonicalize(text: str) -> str:
    """Everyday words to the documents' wording, longest match first, in one pass (养老院床位 → 养老床位)."""
    pattern, to_canon = _synonym_pattern()
    return pattern.sub(lambda m: to_canon[m.group(0)], text)


def bigrams(text: str, chars: bool = False) -> set[str]:
    """Character bigrams of the CJK/alphanumeric runs of a text (a one-character run stands as itself).

    With `chars`, every single character is added too, so a one-character word of a question
    (界, 镇) can be found inside a longer word of a passage.
    """
    out: set[str] = set()
    for run in re.findall(r"[\u4e00-\u9fffA-Za-z0-9+]+", _QUOTES.sub("", text)):
        if len(run) == 1 or chars:
            out.update(run)
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


def coverage(needle: set[str], hay: set[str]) -> float:
    """Share of the needle's bigrams found in the hay (0 for an empty needle)."""
    return len(needle & hay) / len(needle) if needle else 0.0


def question_content(query: Query, with_context: bool = True) -> str:
    """The question less its places, years and question words: what is being asked about."""
    from assistant.index.keywords import tokenize

    places = {query.district, *query.districts} - {None}
    drop = {n for d in places for n in (d, short_name(d))}
    text = f"{query.text} {query.context}" if query.context and with_context else query.text
    words = [w for w in tokenize(canonicalize(text)) if w not in drop and w not in _QUESTION_WORDS
             and not re.fullmatch(r"(?:19|20)?\d{2}年|十[一二三四五]五|第?几\w{0,2}|多少\w{0,2}", w)]
    words += re.findall(r"[“\"‘']([^”\"’']{2,12})[”\"’']", query.text)  # a quoted term stays whole: “六个老有”
    return " ".join(words)


def idf_table(texts: Iterable[str]) -> dict[str, float]:
    """Inverse document frequency of each bigram over the given texts (rare bigrams say more)."""
    df: dict[str, int] = {}
    n = 0
    for t in texts:
        n += 1
        for b in bigrams(t):
            df[b] = df.get(b, 0) + 1
    return {b: math.log((n + 1) / (c + 1)) + 1.0 for b, c in df.items()} | {"": math.log(n + 1) + 1.0}


def weighted_coverage(needle: set[str], hay: set[str] | frozenset[str], idf: dict[str, float]) -> float:
    """Share of the needle's information (IDF-weighted bigrams) found in the hay."""
    if not needle:
        return 0.0
    unseen = idf.get("", 1.0)
    total = sum(idf.get(b, unseen) for b in needle)
    return sum(idf.get(b, unseen) for b in needle & hay) / total


def unit_matches(asked: str, unit: str) -> bool:
    """Whether a figure's unit answers a question that asks in `asked` (个 ~ 家, 人 ~ 名, …)."""
    if asked == unit:
        return True
    return any(asked in group and unit in group for group in _UNIT_EQUIV)


def asked_unit(text: str, known_units: Iterable[str]) -> str | None:
    """The classifier a question counts in (几届, 第几轮, 多少客), if the corpus knows it as a unit."""
    known = set(known_units)
    for m in re.finditer(r"(?:第?几|多少)(个?)([\u4e00-\u9fff]{1,2})", text):
        if m.group(1):
            return "个" if "个" in known else None  # "多少个项目": the classifier is 个, 项目 the noun
        word = m.group(2)
        for cand in (word, word[:1]):
            if cand in known:
                return cand
    return None


@dataclass(frozen=True)
class FactView:
    """A fact with the texts around it, computed once per index."""

    fact: Fact
    clause: str
    sentence: str
    item: str  # the list item holding the figure (between 、，；。), where the counted noun stands
    doc_years: tuple[int, ...]
    superseded: bool  # the figure is the old value of a change ("由21.52%提升至27%")
    before_bigrams: frozenset[str]  # the few words right before the figure, inside its clause
    item_bigrams: frozenset[str]
    clause_bigrams: frozenset[str]
    sentence_bigrams: frozenset[str]
    lead_bigrams: frozenset[str]  # the sentence up to the end of the figure's clause, and the clause's context


def _around(text: str, start: int, end: int, marks: str) -> str:
    left = max(text.rfind(ch, 0, start) for ch in marks) + 1
    ends = [i for i in (text.find(ch, end) for ch in marks) if i != -1]
    return text[left : (min(ends) if ends else len(text))]


def view_fact(fact: Fact, doc_text: str, doc_years: Sequence[int]) -> FactView:
    """The fact's list item, clause and sentence, and their bigrams in the documents' wording."""
    item = _around(doc_text, fact.start, fact.end, _ITEM_MARKS)
    clause = _around(doc_text, fact.start, fact.end, _CLAUSE_MARKS)
    sentence = doc_text[fact.sentence_start : fact.sentence_end]
    item_words = item + (fact.subject or "")
    superseded = bool(_CHANGE_AFTER.match(doc_text, fact.end))
    lead = doc_text[fact.sentence_start : fact.end] + clause + (fact.context or "")
    c0 = max(doc_text.rfind(ch, 0, fact.start) for ch in _CLAUSE_MARKS) + 1
    # back to the previous figure or conjunction: "实体工作服务站和4个…" says nothing about the 4
    before = re.split(r"[0-9和及与、]", doc_text[max(c0, fact.start - 8) : fact.start])[-1]
    return FactView(fact=fact, clause=clause, sentence=sentence, item=item, doc_years=tuple(doc_years),
                    superseded=superseded, before_bigrams=frozenset(bigrams(canonicalize(before), chars=True)),
                    item_bigrams=frozenset(bigrams(canonicalize(item_words), chars=True)),
                    clause_bigrams=frozenset(bigrams(canonicalize(clause + (fact.context or "")), chars=True)),
                    sentence_bigrams=frozenset(bigrams(canonicalize(sentence), chars=True)),
                    lead_bigrams=frozenset(bigrams(canonicalize(lead), chars=True)))


def year_matches(view: FactView, year: int | None) -> bool:
    """A fact answers for a year when it names that year, or its single-year document is about it."""
    if year is None:
        return True
    if view.fact.year is not None:
        return view.fact.year == year
    return len(view.doc_years) == 1 and view.doc_years[0] == year


def qualifier_conflicts(asked: str | None, fact: Fact) -> bool:
    """新增 asked of a figure that is 改建 (or the reverse, or a total asked of an increase)."""
    if not asked or not fact.qualifier or asked == fact.qualifier:
        return False
    if asked in getattr(fact, "qualifiers", ()):
        return False
    return (asked, fact.qualifier) in _CONFLICTS


def _without_places(query: Query) -> str:
    """The question with the names of the places it asks about taken out ("多少人次 长宁" → "多少人次 ")."""
    text = query.text
    for d in {query.district, *query.districts} - {None}:
        for name in sorted((d, short_name(d)), key=len, reverse=True):
            text = text.replace(name, " ")
    return text


def _counted_noun(text: str, unit: str | None) -> str | None:
    """The noun right after 多少/几 + classifier ("多少名困境儿童" → 困境儿童), if the question has one."""
    if not unit or unit == "%":
        return None
    m = re.search(rf"(?:多少|几)个?{re.escape(unit)}([\u4e00-\u9fff]{{2,14}})", text)
    if not m:
        return None
    phrase = re.split(r"[呢吗啊呀了是有要在做]", m.group(1))[0]
    noun = phrase.split("的")[-1] if "的" in phrase[1:] else phrase.split("的")[0]  # 名存实亡的社会组织 → 社会组织
    if len(noun) < 2 or noun[0] in _VERB_STARTS:
        return None  # "几人评上了…": a verb follows the classifier, not the thing counted
    return noun


def match_fact(view: FactView, query: Query, content: set[str], subject: set[str] | None,
               idf: dict[str, float], unit_explicit: bool = True, focus: set[str] | None = None) -> float | None:
    """Score of a fact as the answer, or None when a gate rules it out.

    `content` is the bigrams of the question's content words; `subject` the bigrams of a subject the
    question names in the documents' wording (None when it names none the corpus knows); `idf` weighs
    bigrams by how rare they are among facts; an inferred (not explicit) unit only adds to the score.
    """
    fact = view.fact
    unit_ok = bool(query.unit) and unit_matches(query.unit, fact.unit)
    if query.unit and unit_explicit and not unit_ok:
        return None
    if fact.unit in _AGES and query.unit not in _AGES:
        return None  # an age limit (80周岁以上) answers only a question about age
    if fact.unit == "%" and query.unit != "%":
        return None  # a share answers only a question about a rate or share
    if fact.as_written in query.text:
        return None  # "805家社会组织里…有几家": a figure the question states is not its answer
    if not year_matches(view, query.year):
        return None
    if qualifier_conflicts(query.qualifier, fact):
        return None
    if not query.qualifier and fact.qualifier in _FLOWS and _STOCK_CUE.search(query.text):
        return None  # "有多少养老院" asks for a total, not for how many are added in a year
    if subject is not None and coverage(subject, view.lead_bigrams) < 0.75:
        return None  # the thing asked about is named neither in the figure's clause nor before it
    # A follow-up's own words ("其中跨省的呢") pick the figure's item; the earlier question only its sentence.
    item_cov = weighted_coverage(focus or content, view.item_bigrams, idf)
    clause_cov = weighted_coverage(content, view.clause_bigrams, idf)
    sent_cov = weighted_coverage(content, view.sentence_bigrams, idf)
    if subject is None:  # no known subject: the question's own words must stand around the figure
        own_cov = weighted_coverage(focus, view.clause_bigrams, idf) if focus else clause_cov
        if own_cov < 0.5 and not (sent_cov >= 0.7 and own_cov >= 0.3):
            return None
    own = bigrams(canonicalize(fact.subject or ""))
    score = 3.0 * item_cov + 1.5 * clause_cov + 1.0 * sent_cov + 1.5 * weighted_coverage(own, content, idf)
    counted = _counted_noun(_without_places(query), query.unit)
    if counted:  # "多少名困境儿童": the noun after the classifier must be what the figure counts
        noun = bigrams(canonicalize(counted))
        if coverage(noun, view.item_bigrams) == 0:
            return None
        # what the figure itself counts decides between figures sharing an item ("1000个活力楼组和12个活力楼群")
        score += 2.0 * coverage(noun, bigrams(canonicalize(fact.subject or view.item)))
    stated = [m.group(0) for m in _STATED.finditer(query.text)]
    if any(f in view.sentence for f in stated):
        score += 2.0  # "805家社会组织里直接登记的有几家": the answer stands beside the figure the question quotes
    part = _FOCUS.search(query.text)
    if part:  # "结婚登记里面跨省的有多少": the part after 里面/其中 is what is counted
        focus = (focus or set()) | bigrams(canonicalize(part.group(1)))
    modifier = _MODIFIER.search(query.text)
    if modifier:  # "离婚登记跨省的有几对": the two characters before 的有几 single out the figure
        focus = (focus or set()) | bigrams(modifier.group(1))
    # The words just before a figure describe it ("非沪籍第四批次", "改建180张").
    score += 1.5 * weighted_coverage(focus or content, view.before_bigrams, idf)
    if fact.qualifier in ("总数", "累计") and not fact.subject and _TOTAL_CUE.search(query.text):
        score += 2.5  # "总共多少块" → "总计3161块": the bare total after a list, not one of its parts
    if focus:  # a follow-up's own words ("80岁以上的呢") outweigh the earlier question it leans on
        score += 3.0 * weighted_coverage(focus, view.item_bigrams, idf)
    if view.superseded:  # "由21.52%提升至27%": the earlier value answers only a question about the past
        score += 1.5 if _EARLIER_CUE.search(query.text) else -1.5
    if unit_ok:  # the very unit asked (个 for 多少个) over an equivalent one (家); a guessed unit counts little
        score += (0.5 if fact.unit == query.unit else 0.25) if unit_explicit else 0.2
    if query.qualifier and (fact.qualifier == query.qualifier or query.qualifier in view.clause):
        score += 1.0
    if query.year is not None and fact.year == query.year:
        score += 0.3
    return score
