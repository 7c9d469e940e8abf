"""The offline answerer: understand the question, pick the figure from extracted facts, cite its span.

No LLM: every figure in an answer is copied from a fact's span (or computed from such figures with
the computation shown), and `unsupported_figures` checks that before an answer leaves.
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from assistant.answer.matching import (
    FactView,
    asked_unit,
    bigrams,
    canonicalize,
    coverage,
    idf_table,
    match_fact,
    question_content,
    view_fact,
)
from assistant.core.types import Answer, Citation, Fact, Hit, Query, Turn
from assistant.text.lexicon import CITY, DOMAIN_TERMS, QUALIFIERS, SYNONYMS

log = logging.getLogger(__name__)
PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
MIN_SCORE = 1.0  # below this no fact is taken as the answer (see matching.match_fact)
MIN_TEXT_COVERAGE = 0.4
SHORT_SENTENCE = 30  # a quoted sentence this short is a heading: the next one is quoted with it  # share of the question's content a sentence must hold to be quoted
_CLAUSE_END = "，；。：！？"
_BOUNDS = ("不低于", "不超过", "达到")
_VERBS = ("新增", "改建", "累计", "完成", "覆盖")
_NAME_Q = re.compile(r"叫什么|叫啥|什么名|名字|名称|品牌|称号|哪个计划|哪个项目|什么计划|什么项目|哪个平台")
_QUOTED_NAME = re.compile(r"“[^”]{2,14}”")
_TEXT_CUES = re.compile(r"哪个|哪些|哪里|哪家|什么|啥|谁|叫|名称|名字|如何|怎么|怎样|为什么|是否")
_NUMERIC_CUES = ("多少", "几", "比例", "占比", "百分之", "数量", "规模", "金额", "多大", "多高")


@dataclass(frozen=True)
class Scored:
    fact: Fact
    score: float


@lru_cache(maxsize=32)
def _template(name: str) -> string.Template:
    return string.Template((PROMPTS / f"{name}.txt").read_text(encoding="utf-8").strip())


def render(name: str, **values: object) -> str:
    """Fill the answer template prompts/<name>.txt."""
    return _template(name).substitute({k: "" if v is None else v for k, v in values.items()})


def answer_question(index, embedder, question: str, history: Sequence[Turn | str] = (),
                    max_chars: int = 2000) -> Answer:
    """Answer one question of a conversation from the index: a cited figure, cited sentences, or a refusal."""
    from assistant.answer.dialogue import resolve
    from assistant.answer.understanding import detect_injection, is_mostly_english, validate_question

    text = validate_question(question, max_chars)
    if is_mostly_english(text):
        return _refuse(question, None, "english", render("answer_english"))
    notes: tuple[str, ...] = ()
    if detect_injection(text):
        notes = ("我只根据文件内容回答，不会按要求编造或忽略资料。",)
        kept = [c for c in re.split(r"[，,。；;！!]", text) if c and not detect_injection(c)]
        text = "，".join(kept) or text
    query = _with_context(index, resolve(text, history, vocabulary(index)), history)
    understood = query.describe()

    named = query.district
    query, mention = _redirect_to_city(index, query)
    missing = _coverage_gap(index, query)
    lead = ""
    if missing and "year" in query.inherited and not _coverage_gap(index, replace(query, year=None)):
        # "普陀2024年…" then "宝山呢？": the year came from the conversation; answer the years 宝山 has.
        lead, query, missing = f"{missing}，以下为文件中{query.district or ''}的数字：", replace(query, year=None), None
        understood = query.describe()
    if mention and missing:
        missing = f"文件中没有{named}的资料"
    if missing:
        return replace(_refuse_with_nearby(index, question, query, missing), notes=notes)

    if query.intent == "lookup" and len(query.districts) > 1:
        query = replace(query, intent="compare" if _WHICH.search(query.text) else "each")
    if query.intent in ("sum", "compare", "each"):
        answer = _answer_across(index, embedder, question, query)
    elif query.intent == "text" or not _is_numeric(text, query):
        answer = _answer_text(index, embedder, question, query, mention)
    else:
        answer = _answer_figure(index, embedder, question, query, mention)
    if mention and answer.refused:
        answer = _refuse_with_nearby(index, question, replace(query, district=named), f"文件中没有{named}的资料")
    if answer.understood_as is None and query.describe() != text:
        answer = replace(answer, understood_as=understood)
    if lead and not answer.refused:
        answer = replace(answer, text=lead + answer.text)
    return _checked(replace(answer, notes=answer.notes + notes))


def _checked(answer: Answer) -> Answer:
    """The last gate: a figure in the text that no citation holds never leaves (it cannot happen by design)."""
    from assistant.answer.verification import unsupported_figures

    asked = Citation(doc_id="", doc_title="", section="", text=answer.question, start=0, end=0)
    bad = unsupported_figures(answer.text, (*answer.citations, asked))  # echoing the question is not inventing
    if not bad:
        return answer
    log.error("unsupported figures %s in answer to %r", bad, answer.question)
    return replace(answer, text=render("answer_unverified"), value=None, unit=None, as_written=None,
                   refused=True, reason="unverified")


# ---------------------------------------------------------------- understanding helpers

_NARROW = re.compile(r"^(?:那|那么)?[^，。？?]{1,12}?的(?:呢|有多少|有几|是多少|占多少)")
_DRILL = re.compile(r"^(?:那|那么)?(?:其中|这其中|这里面|里面|当中|这些里面|这些中)")
_WHICH = re.compile(r"谁|哪个|哪一|哪家|更多|更少|更高|更低|最多|最少|最高|最低|比较|相比")


def _with_context(index, query: Query, history: Sequence[Turn | str]) -> Query:
    """A follow-up with no subject of its own ("市级的呢？", "其中跨区的有多少？") leans on the turn before."""
    if not history or not query.inherited:
        return query
    # "其中跨区的有多少？", "80岁以上的呢？": a part of what was asked before
    drill = _DRILL.match(query.text) or (_NARROW.match(query.text) and "subject" in query.inherited
                                         and question_content(query, with_context=False).strip())
    if not drill and "subject" not in query.inherited and _subject_bigrams(index, query) is not None:
        return query  # "离婚登记呢？" names its own subject: the earlier one must not pull the answer back
    from assistant.answer.dialogue import resolve

    last = history[-1]
    prev = last.query if isinstance(last, Turn) and last.query else resolve(
        last.question if isinstance(last, Turn) else last, history[:-1], vocabulary(index))
    prev_context = _with_context(index, prev, history[:-1]).context if len(history) > 1 else None
    if drill:  # a part of a total is not itself a total, and the earlier subject is context, not a gate
        own_subject = "subject" not in query.inherited and _subject_bigrams(index, query) is not None
        query = replace(query, qualifier=None if "qualifier" in query.inherited else query.qualifier,
                        subject=query.subject if own_subject else None)
    return replace(query, context=" ".join(t for t in (prev.text, prev_context) if t))


def vocabulary(index) -> tuple[str, ...]:
    """Phrases the corpus uses for things counted (fact subjects, domain terms), for question parsing."""
    cached = getattr(index, "_vocabulary", None)
    if cached is None:
        subjects = {f.subject for f in index.facts if f.subject and 2 <= len(f.subject) <= 16}
        cached = tuple(sorted(subjects | set(DOMAIN_TERMS) | set(SYNONYMS), key=len, reverse=True))
        index._vocabulary = cached
        index._known_subjects = frozenset(cached)
    return cached


def _is_numeric(text: str, query: Query) -> bool:
    """A question for a figure: its words ask for one, or it follows up a question that did."""
    if any(cue in text for cue in _NUMERIC_CUES) or _RATE.search(text):
        return True
    if _TEXT_CUES.search(text):
        return False  # "支持哪个区开展…", "品牌叫什么": a name, not a number
    return bool(query.inherited) or bool(query.unit)


def _asked_districts(query: Query) -> list[str]:
    return list(query.districts) or ([query.district] if query.district else [])


def _coverage_gap(index, query: Query) -> str | None:
    """Why the documents cannot hold the answer (a district or year they do not cover), or None."""
    held = index.districts()
    for d in _asked_districts(query):
        if d not in held:
            return f"文件中没有{d}的资料"
        if query.year and held[d] and query.year not in held[d]:
            return f"文件中没有{d}{query.year}年的资料"
    if query.year and not _asked_districts(query) and not any(query.year in ys for ys in held.values()):
        return f"文件中没有{query.year}年的资料"
    return None


def _redirect_to_city(index, query: Query) -> tuple[Query, str | None]:
    """A district with no documents of its own that the city-wide plan names ("指导青浦区开展…"):
    look in the city's documents, only at sentences that name the district (returned second)."""
    from assistant.text.lexicon import DISTRICTS

    held = index.districts()
    if not query.district or query.district in held or query.districts or CITY not in held:
        return query, None
    names = [n for n in (query.district, *DISTRICTS.get(query.district, ())) if len(n) >= 2]
    city_text = "".join(d.text for d in index.documents.values() if d.meta.district == CITY)
    found = [n for n in names if n in city_text]
    if not found:
        return query, None
    short = min(found, key=len)
    return replace(query, district=CITY, context=" ".join(filter(None, (query.context, short)))), short


def _holdings(index) -> str:
    """Which districts and years the documents cover, for refusals."""
    parts = []
    for d, years in sorted(index.districts().items(), key=lambda p: (p[0] != CITY, p[0])):
        ys = sorted(years)
        span = f"{ys[0]}–{ys[-1]}年" if len(ys) > 2 else "、".join(f"{y}年" for y in ys)
        parts.append(f"{d}（{span}）")
    return "、".join(parts)


# ---------------------------------------------------------------- choosing facts


def _views(index) -> list[FactView]:
    """Every fact with the texts around it, built once per loaded index."""
    cached = getattr(index, "_fact_views", None)
    if cached is None:
        cached = [view_fact(f, index.documents[f.doc_id].text, index.documents[f.doc_id].meta.years)
                  for f in index.facts]
        index._fact_views = cached
        index._units = {f.unit for f in index.facts if f.unit}
        index._idf = idf_table(v.item + v.clause for v in cached)
    return cached


def _subject_bigrams(index, query: Query) -> set[str] | None:
    """The bigrams of the subject the question names, when the corpus knows that subject."""
    if not query.subject:
        return None
    canon = canonicalize(query.subject)
    vocabulary(index)
    known = index._known_subjects  # built once with the vocabulary, not on every question
    if canon in known or query.subject in known:
        return bigrams(canon)
    return None


_RATE = re.compile(r"率|比例|占比|比重|百分之|百分比")
_MONEY = re.compile(r"资金|经费|金额|数额|捐款|善款|多少钱|万元|亿元|补贴标准")
_AGE = re.compile(r"年龄|岁数|几岁|多少岁|寿命|多大年纪")


def _asked_unit(index, query: Query) -> tuple[Query, bool]:
    """The unit the question asks in, and whether its wording says so (else it was inferred)."""
    from assistant.answer.understanding import unit_hint

    _views(index)
    for text in (query.text, query.context or ""):
        if _RATE.search(text) and not unit_hint(text):
            return replace(query, unit="%"), True
        if _MONEY.search(text):
            return replace(query, unit="元"), True
        if _AGE.search(text):
            return replace(query, unit="岁"), True
        explicit = asked_unit(text, index._units) or unit_hint(text)
        if explicit:
            return replace(query, unit=explicit), True
    return query, False


def _content(query: Query, index=None) -> set[str]:
    """Bigrams of what the question asks about, with its subject in the documents' wording."""
    content = bigrams(question_content(query))
    if query.subject and ("subject" in query.inherited or (index is not None and _subject_bigrams(index, query))):
        content |= bigrams(canonicalize(query.subject))
    return content


def best_facts(index, embedder, query: Query, district: str | None, k: int = 3,
               mention: str | None = None) -> list[Scored]:
    """The facts of one district (and the question's year) that best answer the question, best first."""
    from assistant.answer.retrieval import search

    q, unit_explicit = _asked_unit(index, replace(query, district=district, districts=()))
    subject = _subject_bigrams(index, q)
    content = _content(q, index)
    if not content:
        return []
    hits = search(index, embedder, f"{query.text} {q.describe()}", k=8, query=q)
    hit_rank = {h.chunk.chunk_id: h.rank for h in hits}
    focus = bigrams(question_content(q, with_context=False)) if q.context else None
    scored = []
    for view in _views(index):
        if district and view.fact.district != district:
            continue
        if mention and mention not in view.sentence:
            continue
        s = match_fact(view, q, content, subject, index._idf, unit_explicit, focus)
        if s is None or s < MIN_SCORE:
            continue
        rank = hit_rank.get(view.fact.chunk_id)
        scored.append(Scored(view.fact, s + (0.5 / rank if rank else 0.0)))
    scored.sort(key=lambda x: -x.score)
    return scored[:k]


# ---------------------------------------------------------------- answers


def cite_fact(index, fact: Fact) -> Citation:
    """The sentence a fact stands in, with the figure's offsets inside it."""
    doc = index.documents[fact.doc_id]
    chunk = index.chunk(fact.chunk_id)
    s0, s1 = fact.sentence_start, fact.sentence_end
    return Citation(doc_id=doc.doc_id, doc_title=doc.title, section=chunk.section_str, text=doc.text[s0:s1],
                    start=s0, end=s1, chunk_id=chunk.chunk_id, highlight=(fact.start - s0, fact.end - s0))


def _fact_sentence(index, fact: Fact, query: Query) -> str:
    doc = index.documents[fact.doc_id]
    who = fact.district or doc.meta.district or ""
    year = f"{fact.year}年" if fact.year else (f"{query.year}年" if query.year else "")
    plan = "计划" if (doc.meta.doc_type or "").endswith("要点") and "计划" not in (fact.qualifier or "") else ""
    what = _describe_subject(query.subject, fact.subject)
    qual = fact.qualifier or ""
    if qual and (what.startswith(qual) or any(form in what for form in QUALIFIERS.get(qual, ()))):
        qual = ""  # 改建 before 居家环境适老化改造 says it twice
    if qual in _BOUNDS:  # 护理型床位占比不低于60%: the bound reads after the thing it bounds
        what, qual = what + qual, ""
    elif qual and qual not in _VERBS:
        qual = ""
    return render("answer_found", doc_title=doc.title, who=who, year=year, plan=plan, qualifier=qual,
                  subject=what, figure=fact.as_written)


def _describe_subject(asked: str | None, found: str | None) -> str:
    """Name the figure by what the document says it counts; the question's words only when it says nothing."""
    return found or asked or "相关数字"


def _answer_figure(index, embedder, question: str, query: Query, mention: str | None = None) -> Answer:
    districts = _asked_districts(query)
    found = best_facts(index, embedder, query, districts[0] if districts else None, mention=mention)
    if not found:
        return _refuse_with_nearby(index, question, query, f"文件中没有找到“{query.describe()}”的具体数字")
    fact = found[0].fact
    return Answer(question=question, text=_fact_sentence(index, fact, query), value=fact.value, unit=fact.unit,
                  as_written=fact.as_written, citations=(cite_fact(index, fact),), query=query)


def _answer_across(index, embedder, question: str, query: Query) -> Answer:
    """Sums and comparisons over several districts, each figure cited."""
    districts = _asked_districts(query)
    if query.intent == "compare" and len(districts) < 2:
        held = index.districts()
        districts = [d for d, ys in held.items() if d != CITY and (not query.year or query.year in ys)]
    rows = []
    for d in districts:
        found = best_facts(index, embedder, query, d, k=1)
        if found:
            rows.append((d, found[0].fact))
    if query.intent == "sum":
        if len(rows) < len(districts):
            lacking = "、".join(d for d in districts if d not in {r[0] for r in rows})
            return _refuse_with_nearby(index, question, query, f"文件中没有找到{lacking}“{query.describe()}”的数字，无法合计")
        units = {r[1].unit for r in rows}
        if len(units) > 1:
            return _refuse(question, query, "mixed_units", f"各区数字的单位不同（{'、'.join(units)}），无法直接相加。")
        total = sum(r[1].value for r in rows)
        from assistant.text.numbers import format_quantity

        fig = format_quantity(total, rows[0][1].unit)
        parts = "，".join(f"{d}{f'{f.year}年' if f.year else ''}{f.as_written}" for d, f in rows)
        computation = "+".join(r[1].as_written for r in rows) + f"={fig}；{parts}"
        text = render("answer_sum", understood_as=replace(query, intent="lookup").describe(), total=fig,
                      computation=computation)
        return Answer(question=question, text=text, value=total, unit=rows[0][1].unit, as_written=fig,
                      citations=tuple(cite_fact(index, r[1]) for r in rows), query=query)
    if not rows:
        return _refuse_with_nearby(index, question, query, f"文件中没有找到各区“{query.describe()}”的数字")
    if query.intent == "each":
        lines = [f"{d}：{f.as_written}（《{index.documents[f.doc_id].title}》）" for d, f in rows]
        lines += [f"{d}：文件中没有找到对应数字" for d in districts if d not in {r[0] for r in rows}]
        single = rows[0][1] if len(rows) == 1 else None
        return Answer(question=question, text="\n".join(lines), value=single.value if single else None,
                      unit=single.unit if single else None, as_written=single.as_written if single else None,
                      citations=tuple(cite_fact(index, f) for _, f in rows), query=query)
    rows.sort(key=lambda r: -r[1].value)
    least = any(w in query.text for w in ("最少", "最低", "最小"))
    top = rows[-1] if least else rows[0]
    lines = [f"{'最少' if least else '最多'}的是{top[0]}（{top[1].as_written}）。"]
    lines += [f"{i}. {d}：{f.as_written}（《{index.documents[f.doc_id].title}》）" for i, (d, f) in enumerate(rows, 1)]
    if len(rows) < len(districts):
        lines.append("未列出的区，文件中没有找到对应数字。")
    return Answer(question=question, text="\n".join(lines), value=top[1].value, unit=top[1].unit,
                  as_written=top[1].as_written, citations=tuple(cite_fact(index, f) for _, f in rows), query=query)


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentences of a passage worth quoting (the chunker's own sentence split)."""
    from assistant.ingest.sectioning import sentence_spans

    return [(a, b) for a, b in sentence_spans(text, start, end) if b - a > 4]


def _answer_text(index, embedder, question: str, query: Query, mention: str | None = None) -> Answer:
    """Non-numeric questions: the best sentence(s) of the best passages, cited."""
    from assistant.answer.retrieval import search

    hits: list[Hit] = search(index, embedder, f"{query.text} {query.describe()}", k=10, query=query)
    content = _content(query)
    asks_name = bool(_NAME_Q.search(query.text))
    best: list[tuple[float, Hit, int, int]] = []
    for hit in hits:
        doc = index.documents[hit.chunk.doc_id]
        for a, b in _sentences(doc.text, hit.chunk.start, hit.chunk.end):
            sent = doc.text[a:b]
            if mention and mention not in sent:
                continue
            cov = coverage(content, bigrams(canonicalize(sent)))
            if cov >= MIN_TEXT_COVERAGE:
                named = 0.3 if asks_name and _QUOTED_NAME.search(sent) else 0.0  # "叫什么" → “长寿康宁”
                best.append((cov + named + 0.3 / hit.rank, hit, a, b))
    best.sort(key=lambda x: -x[0])
    if not best:
        return _refuse_with_nearby(index, question, query, f"文件中没有找到“{query.describe()}”的相关内容")
    chosen = best[:2] if len(best) > 1 and best[1][0] >= 0.7 * best[0][0] else best[:1]
    cits = []
    for _, hit, a, b in chosen:
        doc = index.documents[hit.chunk.doc_id]
        if b - a < SHORT_SENTENCE:  # "一是构建“六个老有”融合养老新模式。": a heading; what it names follows
            following = [s for s in _sentences(doc.text, b, hit.chunk.end)][:1]
            b = following[0][1] if following else b
        cits.append(Citation(doc_id=doc.doc_id, doc_title=doc.title, section=hit.chunk.section_str,
                             text=doc.text[a:b], start=a, end=b, chunk_id=hit.chunk.chunk_id))
    body = "".join(c.text for c in cits)
    text = render("answer_text", doc_title=cits[0].doc_title, passage=body)
    return Answer(question=question, text=text, citations=tuple(cits), query=query)


def _refuse(question: str, query: Query | None, reason: str, text: str) -> Answer:
    return Answer(question=question, text=text, refused=True, reason=reason, query=query,
                  understood_as=query.describe() if query else None)


def _refuse_with_nearby(index, question: str, query: Query, why: str) -> Answer:
    """Say the documents do not hold it, and what they hold nearby (cited), never a guess."""
    nearby: list[Citation] = []
    lines = []
    content = _content(query)
    if content:
        loose = replace(query, district=None, districts=(), year=None, years=())
        subject = _subject_bigrams(index, loose)
        scored = [(match_fact(v, loose, content, subject, index._idf, False), v.fact) for v in _views(index)]
        scored = sorted(((s, f) for s, f in scored if s is not None), key=lambda p: -p[0])
        seen = set()
        for s, f in scored:
            if s < MIN_SCORE + 1.0 or len(lines) >= 2:
                break
            key = (f.district, f.year, f.doc_id)
            if key in seen:
                continue
            seen.add(key)
            doc = index.documents[f.doc_id]
            yr = f"{f.year}年" if f.year else ""
            lines.append(f"{f.district or doc.meta.district}{yr}：{f.as_written}（《{doc.title}》）")
            nearby.append(cite_fact(index, f))
    text = render("answer_refusal", why=why, holdings=_holdings(index))
    if lines:
        text += "\n文件中相近的内容有：" + "；".join(lines) + "。"
    return Answer(question=question, text=text, refused=True, reason=why, citations=tuple(nearby), query=query,
                  understood_as=query.describe())
