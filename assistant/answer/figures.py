"""Choosing the figure that answers a question: candidates from retrieval, gated by place and year,
scored by the fitted model (`scoring.py`) over general signals (`features.py`).

Every figure an answer gives is a `Fact` copied from the documents with its exact span; a sum or a
difference is computed from such facts and shows the computation.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass, replace
from decimal import Decimal

from assistant.answer.context import AnswerContext
from assistant.answer.dialogue import conversation_slots
from assistant.answer.features import (
    MOVED_AT_END,
    PERCENT_UNITS,
    SHARE_ASKED,
    asked_of,
    features,
    own_dense_signals,
    own_stretch,
    span_of,
)
from assistant.answer.matching import ScaledIdf, asked_unit, bigrams, canonicalize, question_content
from assistant.answer.retrieval import search
from assistant.answer.understanding import ABSOLUTE_CHANGE, ASKS_CHANGE, unit_hint
from assistant.core.types import Citation, Fact, Query
from assistant.ingest.facts import PEOPLE_ENDINGS
from assistant.ingest.parts import paragraph_opening
from assistant.text.lexicon import CONTRASTS, MOVES
from assistant.text.numbers import format_quantity
from assistant.text.places import Place, find_places, gazetteer, place_names
from assistant.text.time import written_period

POOL = 10  # retrieved passages whose figures are candidates
PART_COVERAGE = 0.5  # a figure's own words must hold this much of the part a question asks about
CONTEXT_WEIGHT = 0.5  # how much a follow-up's words from the conversation count beside its own
_MONEY = re.compile(r"多少钱|资金|经费|金额|花了多少|收入多少|支出多少|投资多少|万元|亿元"
                    r"|多少[\u4e00-\u9fff]{0,6}金(?=[？?，。！]|$)|[\u4e00-\u9fff]金(?:有|是|为)?多少")  # 低保金, 公益金
_AGE = re.compile(r"年龄|岁数|几岁|多少岁|多大年纪")
SHARE_UNITS = PERCENT_UNITS | {"成"}  # what can answer a share asked (features.SHARE_ASKED)


@dataclass(frozen=True)
class Candidate:
    fact: Fact
    p: float  # the model's probability that this figure answers the question
    x: dict[str, float]


def asked_unit_of(ctx: AnswerContext, query: Query, carried: bool = True) -> str | None:
    """The unit the question's wording asks in (多少张 → 张, 多少钱 → 元), None when it names none;
    `carried`, whether a follow-up takes the last question's unit when its own words name none."""
    # 同比降了多少: not in the last question's unit; nor 营业利润多少 after 有多少家 (it names its own subject)
    from_context = carried and bool(conversation_slots(query)) and (not ASKS_CHANGE.search(query.text) or ABSOLUTE_CHANGE.search(query.text))
    if query.unit and "unit" not in query.inherited:
        from_context = False  # 适老化改造呢？ after 多少张家庭养老床位: its own subject is counted in 户, not 张
    last = (query.context or "").split("\n")[0]  # the last question; earlier ones follow on their own lines
    for text in (query.text, last if from_context else ""):
        explicit = unit_hint(text) or asked_unit(text, {f.unit for f in ctx.index.facts})
        if explicit and explicit != "%":
            return explicit
        if _MONEY.search(text):
            return "元"
        if _AGE.search(text):
            return "岁"
    return None


def counts_people(query: Query) -> bool:
    """Whether the question asks how many people (农村特困人员有多少？): its subject names people
    (人员, 居民, 儿童, 志愿者, 对象), it names no unit and no money. Only a count of people or households
    (PEOPLE_UNITS) answers it: never 元, nor 岁 (80岁以上的老人), nor a share. A follow-up's money words
    may stand in the question it follows (比上年增长了多少？ after 城镇常住居民人均消费支出多少？), and a
    change asked in no unit (增长了多少) may be a rate."""
    subject = query.subject or ""
    names_people = bool(subject) and (subject[-1] in PEOPLE_ENDINGS or subject.endswith(("对象", "人口")))
    rate_of_change = ASKS_CHANGE.search(query.text) and not ABSOLUTE_CHANGE.search(query.text)
    return names_people and query.unit is None and not rate_of_change \
        and not _MONEY_WORDS.search(f"{query.text}\n{query.context or ''}")


_OF_THE_REST = re.compile(r"(?:其余|其他|另外)(?:\d+|[一二两三四五六七八九十几]+)?个?(?:县|区|市|镇|乡|街道)")
# 年均增长7.2%: a mean change over several years (年均浓度 is one year's mean, and answers for that year)
_MEAN_CHANGE = re.compile(r"年均(?:增长|增速|提高|提升|下降|降低|增加|减少|递增|递减)")
_BEFORE_ASKED = re.compile(r"(?:提高|调整|上调|提升|增加|改造|改革)?(?:之前|以前)|原来|原先|此前")
_MEAN_ASKED = re.compile(r"年均|平均|每年|期间|以来|五年|几年")
_REST_ASKED = re.compile(r"其余|其他|另外|别的")
PEOPLE_UNITS = frozenset({"人", "人次", "名", "位", "户", "户次", "对"})
_MONEY_WORDS = re.compile(_MONEY.pattern + r"|收入|支出|工资|费|价格|补贴|补助|救助金|保障金|标准|预算|钱")


def content_text(query: Query, known: Container[str] | None = None, canonical: bool = True) -> str:
    """What the question asks about, in the documents' wording (`known`: the corpus's bigrams; with
    `canonical` False, in the question's own words), without its places."""
    text = question_content(query, known=known, canonical=canonical)
    if canonical:
        text = canonicalize(text, known)
    for code in (query.place, *query.places):
        place = gazetteer().get(code)
        if place is not None:
            for name in place_names(place):
                text = text.replace(name, " ")
    return text


def without_light_verbs(question: str, content: str) -> str:
    """The content less the question's light verbs: a one-character verb right before an aspect word or
    the question word (打了多少粮食, 花了多少钱, 管到哪一年, 招多少人). In everyday speech it frames what
    is asked; the documents name that by a noun (粮食产量, 支出)."""
    import jieba.posseg

    light, pos = set(), 0
    for t in jieba.posseg.lcut(question):
        pos += len(t.word)
        if len(t.word) == 1 and t.flag == "v" and _FRAMED.match(question, pos):
            light.add(t.word)
    return " ".join(w for w in content.split() if w not in light)


_FRAMED = re.compile(r"[了过着到]|多少|几|哪")


def year_ok(ctx: AnswerContext, fact: Fact, query: Query) -> bool:
    years = set(query.years) or ({query.year} if query.year else set())
    if not years:
        return True
    if fact.year is not None:
        return fact.year in years
    text = ctx.index.documents[fact.doc_id].text
    before = text[fact.sentence_start:fact.start]
    if query.period is None and (period := written_period(before, len(before))):
        # 十四五上半期…518张 holds for 2021–2023 (a question naming a plan period itself is read by its years)
        return any(period[0] <= y <= period[1] for y in years)
    if paragraph_opening(text, fact.start) == ():
        return query.period is not None or len(years) > 1  # 这五年…新增就业452万人: never one year's figure
    chunk = ctx.index.chunk(fact.chunk_id)
    return bool(years & set(chunk.years))


def _place_ok(fact: Fact, place: Place | None, mention: str | None, sentence: str) -> bool:
    """The figure is of the asked place: its sentence names the place (`mention`, when only a wider
    place's documents speak of it), or its fact is of that place."""
    if mention is not None:
        return mention in sentence
    return place is None or fact.place == place.code


def _of_a_place_inside(ctx: AnswerContext, doc_text: str, fact: Fact, place: Place | None) -> bool:
    """张家界入境游客增长32.5% in 湖南's report, asked of 湖南: the figure's own words name a place inside
    the asked one, so it is that place's figure, not the asked place's."""
    if place is None:
        return False
    own = own_stretch(doc_text, fact.start, fact.end)
    return any(m.relative is None and m.place.code != place.code and m.place.within(place)
               for m in find_places(own, gazetteer(), known=ctx.held.keys()))


def _mention_owners(doc_text: str, facts: list[Fact], mention: str | None) -> set[str]:
    """Of the figures of one passage, those whose own stretch names `mention` (淳安县 in “桐庐县、淳安县、
    建德市…分别为346天、354天、355天” owns 354天): where a sentence gives the place's own figure,
    its other figures belong to other places."""
    if mention is None:
        return set()
    owners = {f.fact_id for f in facts if mention in own_stretch(doc_text, f.start, f.end)}
    return owners | _listed_owners(doc_text, facts, mention)


_LIST_SEP = re.compile(r"[、和及与]")


def _period(doc_text: str, fact: Fact) -> tuple[int, int]:
    """The stretch up to the full stop around a figure: “甲县、乙县……超标天数为10天、7天；细颗粒物
    平均浓度分别为29、20微克/立方米” names the places once for both of its parts."""
    a, b = span_of(doc_text, fact.start, fact.end, "。\n")
    return min(a, fact.sentence_start), max(b, fact.sentence_end)


def _listed_owners(doc_text: str, facts: list[Fact], mention: str) -> set[str]:
    """“桐庐县、淳安县和建德市……超标天数为10天、7天、3天”: a list of places opens the sentence and a
    later clause gives as many figures; the k-th figure is the k-th place's."""
    owners: set[str] = set()
    spans = {f.fact_id: _period(doc_text, f) for f in facts}
    for span in sorted(set(spans.values())):
        in_sentence = [f for f in facts if spans[f.fact_id] == span]
        sentence = doc_text[span[0]:span[1]]
        at = sentence.find(mention)
        if at < 0:
            continue
        lead = re.split(r"[\d，；：]", sentence[at:])[0]
        head = sentence[:at] + lead
        items = []
        for i, item in enumerate(i for i in _LIST_SEP.split(head[head.rfind("，") + 1:]) if i.strip()):
            items.append(item)
            if i and len(item) > 6:
                break  # the list's last name runs into the sentence: 建德市主要污染物为臭氧和细颗粒物
        k = next((i for i, item in enumerate(items) if mention in item), None)
        if k is None or len(items) < 2:
            continue
        clauses: dict[int, list[Fact]] = {}
        for f in in_sentence:
            clauses.setdefault(span_of(doc_text, f.start, f.end, "，；。")[0], []).append(f)
        for group in clauses.values():
            if len(group) == len(items):
                owners.add(sorted(group, key=lambda f: f.start)[k].fact_id)
    return owners


def candidates(ctx: AnswerContext, embedder, query: Query, place: Place | None = None,
               mention: str | None = None, year: int | None = None, k: int = 3,
               carried_unit: bool = True) -> list[Candidate]:
    """The best-scored figures for the question in `place` (and `year`), best first; `carried_unit`
    as in `asked_unit_of`."""
    q = replace(query, year=year, years=()) if year else query
    if place is not None:
        q = replace(q, place=place.code, district=place.name, places=(), districts=())
    content = ctx.expand(content_text(q, ctx.idf))
    if not content.strip():
        return []
    names = tuple(n for c in (query.place, *query.places) if (pl := gazetteer().get(c)) for n in place_names(pl))
    # 老年人助餐点 is also 社区老年助餐服务场所 in another document: a figure may match either wording
    own_words = ctx.expand(content_text(q, ctx.idf, canonical=False))
    asked = asked_of(q, content, asked_unit_of(ctx, q, carried_unit), names + ((mention,) if mention else ()),
                     alternatives=(own_words, without_light_verbs(q.text, content)))
    said = f"{q.text} {q.describe()}"
    if bigrams(content) - bigrams(content_text(q, ctx.idf)):  # 三甲 is written 三级甲等: look for that too
        said += " " + content
    if q.context:  # 在校生有多少？ after 那小学呢？: the conversation's words find the passage
        said += " " + content_text(replace(q, text=q.context, context=None), ctx.idf)
    hits = search(ctx.index, embedder, said, k=POOL, query=q)
    share = bool(SHARE_ASKED.search(q.text))
    people = counts_people(q)
    idf = ctx.idf
    if q.context:  # the follow-up's own words count more than those it carries from the conversation
        own = bigrams(ctx.expand(content_text(replace(q, context=None), ctx.idf)), chars=True)
        idf = ScaledIdf(ctx.idf, bigrams(content, chars=True) - own, CONTEXT_WEIGHT)
    qvec = embedder.embed([said], kind="query")[0] if ctx.index.fact_vectors is not None else None
    scored: list[tuple[Fact, dict[str, float]]] = []
    for hit in hits:
        doc = ctx.index.documents[hit.chunk.doc_id]
        facts = ctx.facts_by_chunk.get(hit.chunk.chunk_id, [])
        first_of_sentence: set[int] = set()
        owners = _mention_owners(doc.text, facts, mention)
        clause_of = {f.fact_id: span_of(doc.text, f.start, f.end, "，；。")[0] for f in facts}
        owned = {clause_of[f.fact_id] for f in facts if f.fact_id in owners}
        owned |= {(_period(doc.text, f), f.unit) for f in facts if f.fact_id in owners}
        for f in facts:
            sentence = doc.text[slice(*_period(doc.text, f))] if mention else ""
            if not (_place_ok(f, place, mention, sentence) and year_ok(ctx, f, q)) \
                    or _of_a_place_inside(ctx, doc.text, f, place):
                continue
            if f.fact_id not in owners and (clause_of[f.fact_id] in owned
                                             or (_period(doc.text, f), f.unit) in owned):
                continue  # another place's figure in the asked place's list
            if (q.year and not q.period and _MEAN_CHANGE.search(doc.text, clause_of[f.fact_id], f.start)
                    and not _MEAN_ASKED.search(q.text)):
                continue  # 2025年…增长多少 is not answered by 十四五 年均增长7.2%: a mean over years, not that year's
            if _OF_THE_REST.match(doc.text, clause_of[f.fact_id]) and not _REST_ASKED.search(q.text):
                continue  # 其余3个县（市）道路交通噪声64.6分贝: the other places', not the one asked
            first = f.sentence_start not in first_of_sentence
            first_of_sentence.add(f.sentence_start)
            section = f"{doc.title} {hit.chunk.section_str}"
            x = features(f, doc.text, section, asked, idf, hit.rank, hit.dense_score, first)
            if (x["unit_conflict"] or x["qualifier_conflict"] or x["contrast_conflict"] or x["side_unsaid"] or x["sum_for_per_person"]
                    or x["modifier_conflict"]
                    or (share and f.unit not in SHARE_UNITS) or (people and f.unit not in PEOPLE_UNITS)):
                # 多少亿元 is never answered with a percentage, nor 多少张 with 家, nor 占多大比例 with 人次;
                # nor 新增多少 with a total (总数6928张) or a conversion (改建180张); nor 农村 with 城镇;
                # nor 特困人员有多少 with the money spent on them, or 80岁以上的老人有多少 with 80岁
                continue
            scored.append((f, x))
    own_similarity(ctx, qvec, scored)
    out = sorted((Candidate(f, ctx.model.probability(x), x) for f, x in scored if not _says_nothing_asked(x)),
                 key=lambda c: -c.p)
    if asked.part and any(c.x["focus_own"] == 1.0 and c.p >= ctx.model.threshold for c in out):
        # 结婚登记里面跨省的有多少对: the whole (结婚登记9355对) does not answer for its part (跨省67对)
        out = [c for c in out if c.x["focus_own"] >= PART_COVERAGE]
    elif q.context and _PART_ASKED.match(q.text):
        # 其中执业医师有多少？ after …卫生技术人员有多少？: only a figure of that part answers, never the whole
        out = [c for c in out if c.x["focus_own"] >= PART_COVERAGE]
    out = without_averages(out, ctx.model.threshold)
    out = sides_over_wholes(out, ctx.model.threshold)
    out = wholes_over_sides(out, f"{q.text} {q.context or ''}", ctx.model.threshold)
    out = parts_under_wholes(ctx, out, asked, ctx.model.threshold)
    if _BEFORE_ASKED.search(q.text) and any(c.x["superseded"] and c.p >= ctx.model.threshold for c in out):
        out = [c for c in out if c.x["superseded"]]  # 提高之前是多少: 从796元/月提高至842元/月 → 796元/月
    else:
        out = without_superseded(out, ctx.model.threshold)
    seen: set[str] = set()
    unique = []
    for c in out:
        if c.fact.fact_id not in seen:
            seen.add(c.fact.fact_id)
            unique.append(c)
    return unique[:k]


def _says_nothing_asked(x: dict[str, float]) -> bool:
    """Not one word asked in the figure's own words, its subject or just before it (nor most of it in the
    clause before): whatever its
    neighbours say, it is not the figure asked for (云南呢？ after 城镇化率: not 不动产…化解率99.95%)."""
    return not (x["own"] or x["subject"] or x["before"] or x["head_own"] or x["focus_own"]
                or x["prev_clause"] >= NAMED_BEFORE)


# 其次是人均财产净收入，达12924元: the clause before names what the figure counts when it holds at least
# half of what is asked (a word or two of it, 城镇 of 城镇更新改造, is only a neighbour's)
NAMED_BEFORE = 0.5


def own_similarity(ctx: AnswerContext, qvec, scored: list[tuple[Fact, dict[str, float]]]) -> None:
    """Add `own_dense` and `own_dense_gap` to each candidate's signals: how close the question is, in the
    embedder's space, to the figure's own words, and how far behind the closest candidate it is."""
    if qvec is None or not scored:
        for _, x in scored:
            x["own_dense"] = x["own_dense_gap"] = 0.0
        return
    sims = [float(ctx.index.fact_vectors[ctx.index.fact_row[f.fact_id]] @ qvec) for f, _ in scored]
    best = max(sims)
    for (_, x), sim in zip(scored, sims, strict=True):
        x["own_dense"], x["own_dense_gap"] = own_dense_signals(sim, best)


def parts_under_wholes(ctx: AnswerContext, cands: list[Candidate], asked, threshold: float) -> list[Candidate]:
    """持证社会工作者共计73.7万人，其中助理社会工作师55.9万人，社会工作师17.7万人: a figure after 其中 is a part
    of the figure before it, and answers only a question that names something the part adds to the whole
    (助理, 工作师). Where the question names none of it and the whole is a likely candidate, the parts give way."""
    asked_words = set().union(*asked.wordings) if asked.wordings else set()
    drop: set[str] = set()
    for c in cands:
        text, s0 = ctx.index.documents[c.fact.doc_id].text, c.fact.sentence_start
        k = text.rfind("其中", s0, c.fact.start)
        if k < 0:
            continue
        wholes = [w for w in cands if w.fact.doc_id == c.fact.doc_id and w.fact.sentence_start == s0
                  and w.fact.end <= k and w.p >= threshold]
        if not wholes:
            continue
        whole = max(wholes, key=lambda w: w.fact.end)
        w0, _ = span_of(text, whole.fact.start, whole.fact.end, "，；。")
        c0, c1 = span_of(text, c.fact.start, c.fact.end, "，；。")
        item = text[c0:c.fact.start].replace("其中", "") + text[c.fact.end:c1]
        added = bigrams(item) - bigrams(text[w0:k])
        if not (added & asked_words):
            drop.add(c.fact.fact_id)
    return [c for c in cands if c.fact.fact_id not in drop]


def sides_over_wholes(cands: list[Candidate], threshold: float) -> list[Candidate]:
    """农村孕产妇死亡率 asked, 全国孕产妇死亡率为14.3/10万，其中：城市12.5/10万，农村15.9/10万 written: in a
    sentence that names both sides of a pair the question takes a side of, a figure whose own words say
    neither gives way to a likely one that says the side asked (the whole does not answer for its part)."""
    said = {c.fact.sentence_start for c in cands if c.p >= threshold and c.x.get("side_own")}
    return [c for c in cands if c.fact.sentence_start not in said or c.x.get("side_own")
            or not c.x.get("side_contrasted")]


_PART_ASKED = re.compile(r"^(?:那么?)?其中")


def wholes_over_sides(cands: list[Candidate], asked: str, threshold: float) -> list[Candidate]:
    """居民人均可支配收入 asked (no side said, in the question or its conversation), 农村居民… and 全市居民…
    written: a figure whose subject takes a side the question does not say gives way to a likely one
    whose subject takes none (the part does not answer for the whole)."""
    def side(c: Candidate) -> str | None:
        return next((w for pair in CONTRASTS for w in pair if w in (c.fact.subject or "") and w not in asked), None)

    wholes = [c for c in cands if c.p >= threshold and side(c) is None]

    def gives_way(c: Candidate) -> bool:  # a whole of the same thing is likely: 居民… for 农村居民…
        rest = bigrams((c.fact.subject or "").replace(side(c) or "", ""))
        return any(rest <= bigrams(w.fact.subject or "") for w in wholes)

    return [c for c in cands if side(c) is None or not gives_way(c)]


def without_averages(cands: list[Candidate], threshold: float) -> list[Candidate]:
    """图书总藏量有多少册: a figure per person (人均藏量1.02册) does not answer for the total where a likely
    one is stated; where none is, the question may leave 人均 unsaid (可支配收入 is stated per person)."""
    if any(not c.x["average_not_asked"] and c.p >= threshold for c in cands):
        return [c for c in cands if not c.x["average_not_asked"]]
    return cands


def without_superseded(cands: list[Candidate], threshold: float) -> list[Candidate]:
    """A figure its own sentence says changed into the one after it (从上半年5.5%降到5.3%) gives way to
    that one when both answer: a question that does not ask what it was before asks what it is."""
    def replaced(c: Candidate) -> bool:
        return bool(c.x.get("superseded")) and any(
            d.p >= threshold and d.fact.sentence_start == c.fact.sentence_start and 0 <= d.fact.start - c.fact.end <= 16
            and d.fact.unit == c.fact.unit for d in cands)
    return [c for c in cands if not replaced(c)]


def cite_fact(ctx: AnswerContext, fact: Fact) -> Citation:
    """The sentence a fact stands in, with the figure's offsets inside it."""
    doc = ctx.index.documents[fact.doc_id]
    chunk = ctx.index.chunk(fact.chunk_id)
    s0, s1 = fact.sentence_start, fact.sentence_end
    return Citation(doc_id=doc.doc_id, doc_title=doc.title, section=chunk.section_str, text=doc.text[s0:s1],
                    start=s0, end=s1, chunk_id=chunk.chunk_id, highlight=(fact.start - s0, fact.end - s0))


_BOUNDS = ("不低于", "不超过", "达到")
_VERBS = ("新增", "改建", "累计", "完成", "覆盖")


_MOVED_BEFORE = re.compile(f"({MOVES})(?:了|为)?$")
_BOUND_AFTER = re.compile("左右|以上|以内|以下")


def fact_sentence(ctx: AnswerContext, fact: Fact, query: Query, where: str | None = None) -> str:
    """The answer's one sentence: where (`where`, the asked place a wider place's document names) and
    when the figure holds, what it counts, the figure, the source."""
    doc = ctx.index.documents[fact.doc_id]
    who = where or fact.district or doc.meta.district or ""
    year = f"{fact.year}年" if fact.year else (f"{query.year}年" if query.year else "")
    plan = "计划" if (doc.meta.doc_type or "").endswith("要点") and "计划" not in (fact.qualifier or "") else ""
    what = fact.subject or query.subject or "相关数字"
    if who and what.startswith(who) and len(what) > len(who):
        what = what[len(who):]  # 慈溪市2019年城镇常住居民…, not 慈溪市2019年慈溪市城镇常住居民…
    before = doc.text[max(fact.sentence_start, fact.start - 6):fact.start]
    if (moved := _MOVED_BEFORE.search(before)) and not MOVED_AT_END.search(what):
        what += moved.group(1)  # 工资性收入增长4.1%, not 工资性收入4.1%: the figure is a change
    figure = fact.as_written
    if (fact.qualifier or "") not in _BOUNDS and (bound := _BOUND_AFTER.match(doc.text, fact.end)):
        figure += bound.group(0)  # a target of 5%左右 is not one of 5%
    qual = fact.qualifier or ""
    if qual and what.startswith(qual):
        qual = ""
    if qual in _BOUNDS:
        what, qual = what + qual, ""
    elif qual and qual not in _VERBS:
        qual = ""
    return ctx.render("answer_found", doc_title=doc.title, who=who, year=year, plan=plan, qualifier=qual,
                      subject=what, figure=figure)


def total_text(values: list[tuple[str, Fact]], unit: str) -> tuple[float, str, str]:
    """The sum of the rows' figures, formatted, and the computation shown beside it."""
    total = float(sum(Decimal(repr(f.value)) for _, f in values))  # decimal sums: 0.873−0.869 is 0.004
    fig = format_quantity(total, unit)
    parts = "，".join(f"{label}{f.as_written}" for label, f in values)
    return total, fig, "+".join(f.as_written for _, f in values) + f"={fig}；{parts}"


def difference_text(a: tuple[str, Fact], b: tuple[str, Fact], unit: str) -> tuple[float, str, str]:
    """a − b, formatted, with the computation shown."""
    diff = float(Decimal(repr(a[1].value)) - Decimal(repr(b[1].value)))
    fig = format_quantity(abs(diff), unit)
    sign = "多" if diff >= 0 else "少"
    big, small = (a, b) if diff >= 0 else (b, a)
    shown = f"{big[1].as_written}−{small[1].as_written}={fig}"  # the checker recomputes it
    return abs(diff), fig, f"{a[0]}{a[1].as_written}比{b[0]}{b[1].as_written}{sign}{fig}（{shown}）"
