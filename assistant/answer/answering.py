"""The offline answerer: understand the question in its conversation, check the documents cover its
place and year, then answer with a cited figure, cited sentences, a computed sum or difference, or a
refusal that says what the documents do cover.

No LLM: every figure in an answer is copied from a fact's span (or computed from such figures with
the computation shown), and `unsupported_figures` checks that before an answer leaves.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.answer.context import AnswerContext
from assistant.answer.dialogue import conversation_slots, has_followup_marker, resolve
from assistant.answer.features import PART_WORDS
from assistant.answer.figures import (
    candidates,
    cite_fact,
    difference_text,
    fact_sentence,
    total_text,
)
from assistant.answer.matching import unit_matches
from assistant.answer.templates import answer_rank, answer_templated
from assistant.answer.text_answers import answer_text
from assistant.answer.understanding import (
    detect_injection,
    find_question_places,
    has_document_words,
    is_mostly_english,
    validate_question,
)
from assistant.answer.verification import unsupported_figures
from assistant.core.types import Answer, Candidate, Citation, Query, Turn
from assistant.text.cleaning import blank_spans
from assistant.text.lexicon import CONTRASTS
from assistant.text.places import Place, gazetteer, place_names
from assistant.text.time import question_years, writes_period_end

log = logging.getLogger(__name__)

_NUMERIC_CUES = ("多少", "几", "比例", "占比", "百分之", "数量", "规模", "金额", "多大", "多高", "多长", "多重")
_TEXT_CUES = re.compile(r"哪个|哪些|哪里|哪家|哪项|哪类|什么|啥|谁|叫|名称|名字|如何|怎么|怎样|为什么|是否|排第|第几")
_RATE = re.compile(r"率|比例|占比|比重|百分之|百分比")
_WHAT = re.compile(r"什么|啥|哪个|哪些|哪一|哪家|哪项|哪类|哪种|为什么|为何|原因|如何|怎么|怎样|谁")
_ASKS_FIGURE = re.compile(r"多少|(?<!第)几(?!个方面)|比例|占比|百分之|多大|多高|多长")
_WHICH_MOST = re.compile(r"(哪个|哪些|哪一|哪类|哪种|哪项)[^，。？]{0,12}最[多少高低快慢大小]")
_WHICH = re.compile(r"谁|哪个|哪一|哪家|更多|更少|更高|更低|最多|最少|最高|最低")
_PART = re.compile("|".join(PART_WORDS))
_DIFF = re.compile(r"多了?多少|少了?多少|差多少|相差|差距|差了|高了?多少|低了?多少|增加了?多少|减少了?多少")


def answer_question(ctx: AnswerContext, embedder, question: str, history: Sequence[Turn | str] = (),
                    max_chars: int = 2000) -> Answer:
    """Answer one question of a conversation: a cited figure, cited sentences, or a refusal."""
    text = validate_question(question, max_chars)
    if is_mostly_english(text):
        return _refuse(question, None, "english", ctx.render("answer_english"))
    if not has_document_words(text):
        return _refuse(question, None, "no_words", "问题里没有文字内容（例如“1+1”）：我只回答文件里写到的内容，"
                                                   "请用中文写出想问的事，例如“普陀2024年新增多少养老床位？”")
    notes: tuple[str, ...] = ()
    if detect_injection(text):
        notes = ("我只根据文件内容回答，不会按要求编造或忽略资料。",)
        kept = [c for c in re.split(r"[，,。；;！!]", text) if c and not detect_injection(c)]
        text = "，".join(kept) or text
    query = understand(ctx, text, history)
    gap, mention = coverage_gap(ctx, query)
    if gap and (year := _nearest_held_year(ctx, query)):
        notes += (f"{query.district}的文件中没有{query.year}年的资料，以下是{year}年的。",)
        query = replace(query, year=year)
        gap, mention = coverage_gap(ctx, query)
    if gap:
        return replace(_refuse_with_nearby(ctx, embedder, question, query, gap), notes=notes)
    if not query.subject and not query.inherited and (query.place or query.year):
        return _what_is_there(ctx, question, query)
    if query.intent == "lookup" and (len(query.places) > 1 or len(query.years) > 1):
        query = replace(query, intent="compare" if _WHICH.search(query.text) else "each")
    if ranked := answer_rank(ctx, question, query, mention):
        answer = ranked  # 在宁波排第几: the rank a passage writes within that place
    elif query.intent in ("sum", "compare", "each"):
        answer = _answer_across(ctx, embedder, question, query)
    elif query.intent == "text" or not (_is_numeric(text, query) or _follows_a_figure(ctx, text, history)):
        answer = answer_text(ctx, embedder, question, query, mention)
        if answer is None:
            answer = _refuse_with_nearby(ctx, embedder, question, query, f"文件中没有找到“{query.describe()}”的相关内容")
    else:
        answer = _answer_figure(ctx, embedder, question, query, mention)
    if answer.understood_as is None and query.describe() != text:
        answer = replace(answer, understood_as=query.describe())
    return _checked(ctx, replace(answer, notes=answer.notes + notes))


def understand(ctx: AnswerContext, text: str, history: Sequence[Turn | str] = ()) -> Query:
    """The question as understood in its conversation."""
    query = resolve(text, history, ctx.vocabulary, reference_year=ctx.reference_year, places=ctx.places)
    return _with_context(ctx, query, history)


def figure_candidates(ctx: AnswerContext, embedder, query: Query, mention: str | None, k: int = 3,
                      carried_unit: bool = True):
    """The scored candidate figures for a lookup question, as `_answer_figure` weighs them."""
    places = asked_places(query)
    place = places[0] if places and mention is None else None
    return candidates(ctx, embedder, query, place=place, mention=mention, k=k, carried_unit=carried_unit)


def _checked(ctx: AnswerContext, answer: Answer) -> Answer:
    """The last gate: a figure in the text that no citation holds never leaves (it cannot happen by design)."""
    asked = Citation(doc_id="", doc_title="", section="", text=answer.question, start=0, end=0)
    bad = unsupported_figures(answer.text, (*answer.citations, asked))  # echoing the question is not inventing
    if not bad:
        return answer
    log.error("unsupported figures %s in answer to %r", bad, answer.question)
    return replace(answer, text=ctx.render("answer_unverified"), value=None, unit=None, as_written=None,
                   refused=True, reason="unverified")


def _with_context(ctx: AnswerContext, query: Query, history: Sequence[Turn | str]) -> Query:
    """A follow-up that took its subject from the conversation carries the last question's words. So
    does a question for a figure that names no place and no year (在校生有多少？), and it passes on what
    it carried itself (旅行社有多少家？ › 全年营业收入多少？ › 利润呢？ is about 旅行社's 利润). Its own
    words still decide (they are its focus), the conversation's only break ties; it takes no place or
    year from them. The carried text holds the last question first, earlier ones on lines after it."""
    if not history:
        return query
    bare = _bare(query)
    if not ({"subject", "context"} & set(query.inherited) or bare):
        return query
    last = history[-1]
    text = last.question if isinstance(last, Turn) else str(last)
    if not text.strip():
        return query
    prev = understand(ctx, text, history[-3:-1])
    # the last question first; what it carried follows when its own words name nothing (长宁呢？ after
    # 宝山呢？ after a full question; 要提升到多少？ names only a movement: it took its subject), not when they
    # replace it (其中跨区的呢？ after 离婚登记呢？); nor when they only narrow it to a part
    # (城镇的呢？ after 其中农村居民的呢？ after 居民人均可支配收入增长多少？: still the 收入)
    carried = prev.context and (_bare(prev) or "subject" in prev.inherited or _narrows(prev))
    last_words = _unplaced(ctx, text)
    if _replaces(ctx, query, prev):
        last_words = last_words.replace(prev.subject, " " * len(prev.subject))
    said = f"{last_words}\n{prev.context}" if carried else last_words
    return replace(query, context=said)


def _replaces(ctx: AnswerContext, query: Query, prev: Query) -> bool:
    """村卫生室呢？ after 合肥有多少家医院？: a sibling of the last subject, counted in the unit the last
    question asked, takes its place (医院 is not what is asked now). 床位呢？ after 中医类医院有多少个？ asks
    something of the last subject, counted otherwise; 农村的呢？ is a side of it; 其中女医生呢 a part
    of it: the last subject stays."""
    if not (query.subject and prev.subject and prev.unit) or _PART.search(query.text):
        return False
    if query.subject in prev.subject or prev.subject in query.subject:
        return False
    if any(w in query.subject for pair in CONTRASTS for w in pair):
        return False
    return all(any(unit_matches(prev.unit, u) for u in ctx.subject_units.get(s, ()))
               for s in (query.subject, prev.subject))


def _narrows(query: Query) -> bool:
    """A follow-up that asks a part (其中…) of what it carried. (A side, 农村的呢？, may swap the whole:
    离婚登记呢？ after 结婚登记…, so it does not count.)"""
    return bool(query.context) and bool(_PART.search(query.text))


def _unplaced(ctx: AnswerContext, text: str) -> str:
    """A question's words less its places and years (普陀2024年适老化改造… → 适老化改造…): what the
    conversation carries is what it was about, not where or when, which the follow-up says itself."""
    _, place_spans = find_question_places(text, ctx.places)
    return blank_spans(text, place_spans + question_years(text, ctx.reference_year)[2])


def _bare(query: Query) -> bool:
    """A question for a figure that names no place and no year: it inherits nothing, or only the
    conversation's place and year."""
    unplaced = not query.inherited and not (query.place or query.places or query.year or query.years)
    return (unplaced or "setting" in query.inherited) and _is_numeric(query.text, query)


def _follows_a_figure(ctx: AnswerContext, text: str, history: Sequence[Turn | str]) -> bool:
    """云南2026年的粮食目标呢？ after 广西2025年粮食产量是多少？: a follow-up of a question for a figure,
    whose own words ask nothing else, asks for a figure too."""
    if not history or not has_followup_marker(text) or _TEXT_CUES.search(text):
        return False
    last = history[-1]
    prev_text = last.question if isinstance(last, Turn) else str(last)
    return _is_numeric(prev_text, understand(ctx, prev_text, history[:-1]))


def _is_numeric(text: str, query: Query) -> bool:
    """A question for a figure: its words ask for one, or it follows up a question that did."""
    if _WHAT.search(text) and (not _ASKS_FIGURE.search(text) or _WHICH_MOST.search(text)):
        return False  # 主要是什么原因, 几个行业里哪个增长最快: words answer it, not a figure
    if any(cue in text for cue in _NUMERIC_CUES) or _RATE.search(text):
        return True
    if _TEXT_CUES.search(text):
        return False
    return bool(conversation_slots(query)) or bool(query.unit)


# ---------------------------------------------------------------- coverage


def asked_places(query: Query) -> list[Place]:
    gaz = gazetteer()
    return [p for p in (gaz.get(c) for c in (query.places or ((query.place,) if query.place else ()))) if p]


def _doc_text_names(ctx: AnswerContext, place: Place, holder: Place) -> str | None:
    """The shortest name of `place` that the documents of `holder` (a place containing it) write."""
    texts = [d.text for d in ctx.index.documents.values() if d.meta.place == holder.code]
    for name in sorted(place_names(place), key=len):
        if len(name) >= 2 and any(name in t for t in texts):
            return name
    return None


def coverage_gap(ctx: AnswerContext, query: Query) -> tuple[str | None, str | None]:
    """Why the documents cannot hold the answer (a place or year they do not cover), else None;
    second, the name to look for when only a wider place's documents speak of the asked place."""
    gaz = gazetteer()
    years = set(query.years) or ({query.year} if query.year else set())
    mention = None
    for place in asked_places(query):
        held_years = ctx.held.get(place.code)
        if held_years is None:
            wider = [gaz.get(c) for c in ctx.held if c and place.within(gaz.get(c)) and c != place.code]
            wider = sorted((w for w in wider if w), key=lambda w: -w.level)
            name = next((n for w in wider if (n := _doc_text_names(ctx, place, w))), None)
            if name is None or len(asked_places(query)) > 1:
                return f"文件中没有{place.name}的资料", None
            mention = name
            held_years = set().union(*(ctx.held.get(w.code, set()) for w in wider))
        if years and held_years and not years & held_years and not _writes_period_end(ctx, query, place.code):
            return f"文件中没有{place.name}{'、'.join(f'{y}年' for y in sorted(years))}的资料", None
    if (years and not asked_places(query) and not any(years & ys for ys in ctx.held.values())
            and not _writes_period_end(ctx, query)):
        return f"文件中没有{'、'.join(f'{y}年' for y in sorted(years))}的资料", None
    return None, mention


def _writes_period_end(ctx: AnswerContext, query: Query, place: str | None = None) -> bool:
    """Whether the documents (of `place`, if given) write the end of the plan the question asks the end
    of (十三五末): then the year it stands for is covered by their text, whatever years they are dated."""
    if not query.period:
        return False
    return any(writes_period_end(c.text, query.period) for c in ctx.index.chunks if place is None or c.place == place)


def _nearest_held_year(ctx: AnswerContext, query: Query) -> int | None:
    """For a follow-up that names a new place and keeps the last question's year (宝山呢？ after a 2024
    question), the place's nearest covered year when it has none for that one: the year was carried,
    not asked, so the place's own year answers it (and the answer says so)."""
    if "year" not in query.inherited or "district" in query.inherited or not query.year or query.places:
        return None
    held = ctx.held.get(query.place) if query.place else None
    if not held or query.year in held:
        return None
    return min(held, key=lambda y: (abs(y - query.year), -y))


def holdings(ctx: AnswerContext) -> str:
    """Which places and years the documents cover, for refusals: every document counts."""
    parts = []
    for code, years in sorted(ctx.held.items(), key=lambda p: (p[0] is None, p[0] or "")):
        place = gazetteer().get(code)
        name = gazetteer().path(place) if place else "未标明地区的文件"
        ys = sorted(years)
        span = (f"{ys[0]}–{ys[-1]}年" if len(ys) > 2 and ys == list(range(ys[0], ys[-1] + 1))
                else "、".join(f"{y}年" for y in ys)) or "年份未标明"
        parts.append(f"{name}（{span}）")
    return "、".join(parts) or "（还没有文件）"


# ---------------------------------------------------------------- figures


def _answer_figure(ctx: AnswerContext, embedder, question: str, query: Query, mention: str | None) -> Answer:
    if templated := answer_templated(ctx, question, query, mention):
        return templated  # 第几次党代会: the count or ordinal the documents write in the question's own phrase
    found = figure_candidates(ctx, embedder, query, mention)
    if (not found or found[0].p < ctx.model.threshold) and _new_place(query):
        # 那云南的呢？ after 改造了多少个老旧小区: another place's documents may count it in their own unit (户)
        found = figure_candidates(ctx, embedder, query, mention, carried_unit=False)
    if not found or found[0].p < ctx.model.threshold:
        return _refuse_with_nearby(ctx, embedder, question, query, f"文件中没有找到“{query.describe()}”的具体数字")
    fact = found[0].fact
    candidates = tuple(Candidate(s.fact, cite_fact(ctx, s.fact)) for s in found[:5])  # an LLM may choose among them
    where = query.district if mention else None
    return Answer(question=question, text=fact_sentence(ctx, fact, query, where), value=fact.value, unit=fact.unit,
                  as_written=fact.as_written, citations=(candidates[0].citation,), query=query, candidates=candidates)


def _new_place(query: Query) -> bool:
    """A follow-up that names its own place and carries the rest from the conversation."""
    return bool(query.context and query.inherited and (query.district or query.districts)
                and "district" not in query.inherited)


def _rows(ctx: AnswerContext, embedder, query: Query) -> tuple[list[tuple[str, object]], list[str]]:
    """One best figure per place (or per year) the question names: (label, fact) rows, and the labels
    that have none."""
    places = asked_places(query)
    years = list(query.years)
    slots: list[tuple[str, Place | None, int | None]] = []
    if len(places) > 1:
        slots = [(p.name, p, query.year) for p in places]
    elif len(years) > 1:
        slots = [(f"{y}年", places[0] if places else None, y) for y in years]
    elif query.intent == "compare":  # 哪个区最多: every place of the documents at the asked level
        level = max((gazetteer().get(c).level for c in ctx.held if c and gazetteer().get(c)), default=3)
        held = [gazetteer().get(c) for c, ys in ctx.held.items()
                if c and (not query.year or query.year in ys)]
        slots = [(p.name, p, query.year) for p in held if p and p.level == level]
    rows, missing = [], []
    # 比2021年末多了多少万人: each row is a level (常住人口), the difference is computed from them
    row_query = replace(query, text=_DIFF.sub("多少", query.text))
    for label, place, year in slots:
        found = candidates(ctx, embedder, row_query, place=place, year=year, k=1)
        if found and found[0].p >= ctx.model.threshold:
            rows.append((label, found[0].fact))
        else:
            missing.append(label)
    return rows, missing


def _answer_across(ctx: AnswerContext, embedder, question: str, query: Query) -> Answer:
    """Sums, differences and comparisons over several places or years, each figure cited."""
    rows, missing = _rows(ctx, embedder, query)
    what = replace(query, intent="lookup", districts=(), places=(), years=()).describe()
    cites = tuple(cite_fact(ctx, f) for _, f in rows)
    if query.intent in ("sum",) or (query.intent == "compare" and _DIFF.search(query.text) and len(rows) == 2
                                    and not _WHICH.search(query.text)):
        if missing or len(rows) < 2:
            lacking = "、".join(missing) or "其中一方"
            return _refuse_with_nearby(ctx, embedder, question, query, f"文件中没有找到{lacking}“{what}”的数字，无法计算")
        units = {f.unit for _, f in rows}
        if len(units) > 1:
            return _refuse(question, query, "mixed_units", f"各项数字的单位不同（{'、'.join(units)}），无法直接计算。")
        unit = rows[0][1].unit
        if query.intent == "sum":
            total, fig, computation = total_text(rows, unit)
            text = ctx.render("answer_sum", understood_as=what, total=fig, computation=computation)
        else:
            total, fig, computation = difference_text(rows[0], rows[1], unit)
            text = f"{what}：{computation}。"
        return Answer(question=question, text=text, value=total, unit=unit, as_written=fig, citations=cites,
                      query=query)
    if not rows:
        return _refuse_with_nearby(ctx, embedder, question, query, f"文件中没有找到“{what}”的数字")
    doc_title = lambda f: ctx.index.documents[f.doc_id].title  # noqa: E731
    if query.intent == "each":
        lines = [f"{label}：{f.as_written}（《{doc_title(f)}》）" for label, f in rows]
        lines += [f"{label}：文件中没有找到对应数字" for label in missing]
        single = rows[0][1] if len(rows) == 1 else None
        return Answer(question=question, text="\n".join(lines), value=single.value if single else None,
                      unit=single.unit if single else None, as_written=single.as_written if single else None,
                      citations=cites, query=query)
    ordered = sorted(rows, key=lambda r: -r[1].value)
    least = any(w in query.text for w in ("最少", "最低", "最小", "更少", "更低"))
    top = ordered[-1] if least else ordered[0]
    lines = [f"{'最少' if least else '最多'}的是{top[0]}（{top[1].as_written}）。"]
    lines += [f"{i}. {label}：{f.as_written}（《{doc_title(f)}》）" for i, (label, f) in enumerate(ordered, 1)]
    if missing:
        lines.append(f"{'、'.join(missing)}：文件中没有找到对应数字。")
    return Answer(question=question, text="\n".join(lines), value=top[1].value, unit=top[1].unit,
                  as_written=top[1].as_written, citations=cites, query=query)


# ---------------------------------------------------------------- refusals


def _what_is_there(ctx: AnswerContext, question: str, query: Query) -> Answer:
    """A place or year asked with nothing to look up (那宝山2022年呢？ as a first question): the
    documents that speak of it, and how to ask."""
    years = set(query.years) or ({query.year} if query.year else set())
    docs = [d for d in ctx.index.documents.values()
            if (not query.place or d.meta.place == query.place) and (not years or years & set(d.meta.years))]
    where = query.describe()
    if not docs:
        return _refuse(question, query, "no_subject", f"文件中没有{where}的资料。")
    titles = "、".join(f"《{d.title}》" for d in docs[:5])
    text = f"文件中有{where}的资料：{titles}。请问想了解哪方面？例如“{where}新增多少养老床位？”"
    return Answer(question=question, text=text, refused=False, reason="no_subject", query=query,
                  understood_as=where)


def _refuse(question: str, query: Query | None, reason: str, text: str) -> Answer:
    return Answer(question=question, text=text, refused=True, reason=reason, query=query,
                  understood_as=query.describe() if query else None)


def _refuse_with_nearby(ctx: AnswerContext, embedder, question: str, query: Query, why: str) -> Answer:
    """Say the documents do not hold it, and what they hold nearby (cited), never a guess."""
    loose = replace(query, district=None, districts=(), place=None, places=(), year=None, years=())
    nearby = [c for c in candidates(ctx, embedder, loose, k=6) if c.p >= ctx.model.threshold]
    lines, cites, seen = [], [], set()
    for c in nearby:
        f = c.fact
        key = (f.place, f.year)
        if key in seen or len(lines) >= 2:
            continue
        seen.add(key)
        doc = ctx.index.documents[f.doc_id]
        where = f.district or doc.meta.district or ""
        lines.append(f"{where}{f'{f.year}年' if f.year else ''}：{f.as_written}（《{doc.title}》）")
        cites.append(cite_fact(ctx, f))
    text = ctx.render("answer_refusal", why=why, holdings=holdings(ctx))
    if lines:
        text += "\n文件中相近的内容有：" + "；".join(lines) + "。"
    return Answer(question=question, text=text, refused=True, reason=why, citations=tuple(cites), query=query,
                  understood_as=query.describe())



