"""The offline answerer: understand the question, pick the figure from extracted facts, cite its span.

No LLM: every figure in an answer is copied from a fact's span (or computed from such figures with
the computation shown), and `unsupported_figures` checks that before an answer leaves.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from .keywords import expand_query, tokenize
from .lexicon import CITY, DISTRICTS, DOMAIN_TERMS, SYNONYMS
from .types import Answer, Citation, Fact, Hit, Query, Turn

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
MIN_RELEVANCE = 2.0  # below this no fact is taken as the answer
_CLAUSE_END = "，；。：！？"
_SENT_END = "。！？；"
_FLOWS = ("新增", "改建")
_BOUNDS = ("不低于", "不超过", "达到")
_VERBS = ("新增", "改建", "累计", "完成", "覆盖")
_STOCK_CUE = re.compile(r"(?<![新增加建])(有多少|有几|共有|现有|总数|总共有|一共有)")
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
    from .dialogue import resolve
    from .understanding import detect_injection, is_mostly_english, validate_question

    text = validate_question(question, max_chars)
    if is_mostly_english(text):
        return _refuse(question, None, "english", render("answer_english"))
    notes: tuple[str, ...] = ()
    if detect_injection(text):
        notes = ("我只根据文件内容回答，不会按要求编造或忽略资料。",)
        kept = [c for c in re.split(r"[，,。；;！!]", text) if c and not detect_injection(c)]
        text = "，".join(kept) or text
    query = resolve(text, history, vocabulary(index))
    understood = query.describe()

    missing = _coverage_gap(index, query)
    if missing:
        return replace(_refuse_with_nearby(index, question, query, missing), notes=notes)

    if query.intent in ("sum", "compare"):
        answer = _answer_across(index, embedder, question, query)
    elif query.intent == "text" or not _is_numeric(text, query):
        answer = _answer_text(index, embedder, question, query)
    else:
        answer = _answer_figure(index, embedder, question, query)
    if answer.understood_as is None and query.describe() != text:
        answer = replace(answer, understood_as=understood)
    return replace(answer, notes=answer.notes + notes)


# ---------------------------------------------------------------- understanding helpers


def vocabulary(index) -> tuple[str, ...]:
    """Phrases the corpus uses for things counted (fact subjects, domain terms), for question parsing."""
    cached = getattr(index, "_vocabulary", None)
    if cached is None:
        subjects = {f.subject for f in index.facts if f.subject and 2 <= len(f.subject) <= 16}
        cached = tuple(sorted(subjects | set(DOMAIN_TERMS) | set(SYNONYMS), key=len, reverse=True))
        index._vocabulary = cached
    return cached


def _is_numeric(text: str, query: Query) -> bool:
    return bool(query.unit) or any(cue in text for cue in _NUMERIC_CUES)


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


def _holdings(index) -> str:
    """Which districts and years the documents cover, for refusals."""
    parts = []
    for d, years in sorted(index.districts().items(), key=lambda p: (p[0] != CITY, p[0])):
        ys = sorted(years)
        span = f"{ys[0]}–{ys[-1]}年" if len(ys) > 2 else "、".join(f"{y}年" for y in ys)
        parts.append(f"{d}（{span}）")
    return "、".join(parts)


# ---------------------------------------------------------------- scoring facts


def _query_terms(query: Query) -> list[str]:
    """Content words of the question: what is being counted, not where or when."""
    skip = {query.district, *(query.districts or ()), *(a for d in _asked_districts(query) for a in DISTRICTS.get(d, ()))}
    terms = [t for t in expand_query(tokenize(query.text)) if t not in skip and not re.fullmatch(r"[\d.]+.*", t)]
    if query.subject:
        terms += tokenize(query.subject) * 2
        for canonical, variants in SYNONYMS.items():
            if query.subject in variants:
                terms += tokenize(canonical)
    return [t for t in terms if len(t) >= 2 or t in {"床", "户"}]


def _clause(doc_text: str, start: int, end: int) -> tuple[int, int]:
    """The clause holding a span: from the previous clause mark to the next one."""
    left = max(doc_text.rfind(ch, 0, start) for ch in _CLAUSE_END) + 1
    rights = [i for i in (doc_text.find(ch, end) for ch in _CLAUSE_END) if i != -1]
    return left, (min(rights) + 1 if rights else len(doc_text))


def _year_ok(index, fact: Fact, year: int | None) -> bool:
    if year is None:
        return True
    if fact.year is not None:
        return fact.year == year
    doc = index.documents.get(fact.doc_id)
    return bool(doc and year in doc.meta.years)


def score_fact(index, fact: Fact, query: Query, terms: Sequence[str], hit_rank: dict[str, int]) -> float:
    """How well a fact answers the question: words of its clause, subject, qualifier, unit, retrieval."""
    text = index.documents[fact.doc_id].text
    c0, c1 = _clause(text, fact.start, fact.end)
    clause = text[c0:c1]
    sentence = text[fact.sentence_start : fact.sentence_end]
    after = text[fact.end : c1]
    score = 0.0
    for t in set(terms):
        if t in after[: len(t) + 12]:
            score += 2.0
        elif t in clause:
            score += 1.2
        elif t in sentence:
            score += 0.3
    if query.subject and fact.subject:
        if query.subject == fact.subject:
            score += 3.0
        elif query.subject in fact.subject or fact.subject in query.subject:
            score += 1.5
    if query.qualifier:
        if fact.qualifier == query.qualifier:
            score += 2.0
        elif query.qualifier in clause[: max(0, fact.start - c0)]:
            score += 1.0
        elif fact.qualifier:
            score -= 4.0
    elif fact.qualifier in _FLOWS and _STOCK_CUE.search(query.text):
        score -= 6.0  # "有多少养老院" asks for a total, not for how many are added this year
    if query.unit:
        score += 2.0 if _unit_matches(query.unit, fact.unit) else -5.0
    rank = hit_rank.get(fact.chunk_id)
    if rank is not None:
        score += 1.0 / rank
    return score


def _unit_matches(asked: str, unit: str) -> bool:
    base = {"万元": "元", "亿元": "元", "万人次": "人次", "床": "张", "周岁": "岁"}
    asked, unit = base.get(asked, asked), base.get(unit, unit)
    if asked == unit:
        return True
    return {asked, unit} <= {"人", "名"} or {asked, unit} <= {"个", "所", "处"}


def best_facts(index, embedder, query: Query, district: str | None, k: int = 3) -> list[Scored]:
    """The facts of one district (and the question's year) that best answer the question."""
    from .retrieval import search

    q = replace(query, district=district, districts=())
    hits = search(index, embedder, f"{query.text} {q.describe()}", k=8, query=q)
    hit_rank = {h.chunk.chunk_id: h.rank for h in hits}
    terms = _query_terms(q)
    scored = []
    for fact in index.facts:
        if district and fact.district != district:
            continue
        if not _year_ok(index, fact, q.year):
            continue
        s = score_fact(index, fact, q, terms, hit_rank)
        if s >= MIN_RELEVANCE:
            scored.append(Scored(fact, s))
    scored.sort(key=lambda s: -s.score)
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
    if qual and what.startswith(qual):
        qual = ""
    if qual in _BOUNDS:  # 护理型床位占比不低于60%: the bound reads after the thing it bounds
        what, qual = what + qual, ""
    elif qual and qual not in _VERBS:
        qual = ""
    return render("answer_found", doc_title=doc.title, who=who, year=year, plan=plan, qualifier=qual,
                  subject=what, figure=fact.as_written)


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)}


def _describe_subject(asked: str | None, found: str | None) -> str:
    """Name the figure by the document's own subject when it is a near relative of what was asked."""
    if found and (not asked or _bigrams(asked) & _bigrams(found)):
        return found
    return asked or found or "相关数字"


def _answer_figure(index, embedder, question: str, query: Query) -> Answer:
    districts = _asked_districts(query)
    found = best_facts(index, embedder, query, districts[0] if districts else None)
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
        from .numbers import format_quantity

        fig = format_quantity(total, rows[0][1].unit)
        computation = "+".join(r[1].as_written for r in rows) + f"={fig}"
        text = render("answer_sum", understood_as=replace(query, intent="lookup").describe(), total=fig,
                      computation=computation)
        return Answer(question=question, text=text, value=total, unit=rows[0][1].unit, as_written=fig,
                      citations=tuple(cite_fact(index, r[1]) for r in rows), query=query)
    if not rows:
        return _refuse_with_nearby(index, question, query, f"文件中没有找到各区“{query.describe()}”的数字")
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
    out, s = [], start
    for i in range(start, end):
        if text[i] in _SENT_END:
            out.append((s, i + 1))
            s = i + 1
    if s < end:
        out.append((s, end))
    return [(a, b) for a, b in out if b - a > 4]


def _answer_text(index, embedder, question: str, query: Query) -> Answer:
    """Non-numeric questions: the best sentence(s) of the best passages, cited."""
    from .retrieval import search

    hits: list[Hit] = search(index, embedder, f"{query.text} {query.describe()}", k=5, query=query)
    terms = set(_query_terms(query))
    best: list[tuple[float, Hit, int, int]] = []
    for hit in hits:
        doc = index.documents[hit.chunk.doc_id]
        for a, b in _sentences(doc.text, hit.chunk.start, hit.chunk.end):
            sent = doc.text[a:b]
            overlap = sum(len(t) for t in terms if t in sent)
            if overlap:
                best.append((overlap + 2.0 / hit.rank, hit, a, b))
    best.sort(key=lambda x: -x[0])
    if not best or best[0][0] < MIN_RELEVANCE:
        return _refuse_with_nearby(index, question, query, f"文件中没有找到“{query.describe()}”的相关内容")
    chosen = best[:2] if len(best) > 1 and best[1][0] >= 0.7 * best[0][0] else best[:1]
    cits = []
    for _, hit, a, b in chosen:
        doc = index.documents[hit.chunk.doc_id]
        cits.append(Citation(doc_id=doc.doc_id, doc_title=doc.title, section=hit.chunk.section_str,
                             text=doc.text[a:b], start=a, end=b, chunk_id=hit.chunk.chunk_id))
    body = "".join(c.text for c in cits)
    text = render("answer_text", doc_title=cits[0].doc_title, section=cits[0].section, passage=body)
    return Answer(question=question, text=text, citations=tuple(cits), query=query)


def _refuse(question: str, query: Query | None, reason: str, text: str) -> Answer:
    return Answer(question=question, text=text, refused=True, reason=reason, query=query,
                  understood_as=query.describe() if query else None)


def _refuse_with_nearby(index, question: str, query: Query, why: str) -> Answer:
    """Say the documents do not hold it, and what they hold nearby (cited), never a guess."""
    nearby: list[Citation] = []
    lines = []
    if query.subject or _query_terms(query):
        terms = _query_terms(query)
        loose = replace(query, district=None, districts=(), year=None)
        scored = sorted(((score_fact(index, f, loose, terms, {}), f) for f in index.facts), key=lambda p: -p[0])
        seen = set()
        for s, f in scored:
            if s < MIN_RELEVANCE + 1.5 or len(lines) >= 2:
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
