"""Follow-up questions to offer after an answer, made from the answer's own data, never from a fixed list.

Three sources, in this order: other figures in the passages the answer cites (what the same sentence
also counts), the same question for another district whose documents cover the same year, and the
comparison across districts. A refusal's citations are what the documents hold nearby, so the
first source also turns "not found" into questions the documents can answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.core.types import Answer, Chunk, Citation, DocMeta, Document, Fact
from assistant.ingest.facts import extract_facts

CITY = "上海市"
MAX_SUGGESTIONS = 3
MAX_SUBJECT_CHARS = 14  # a longer "subject" is a phrase, not a thing a person would ask for


def follow_ups(answer: Answer, documents: Sequence = (), n: int = MAX_SUGGESTIONS) -> list[str]:
    """Up to n questions a user may ask next; `documents` are the engine's DocumentInfo list."""
    query = answer.query
    # a sum or comparison names several districts: its other figures are asked for the same ones
    district = (query.district or "和".join(query.districts) or None) if query else None
    year = query.year if query else None
    out: list[str] = []
    for fact in passage_facts(answer.citations):
        out.append(fact_question(fact, district, year))
    if query and query.subject and year and not answer.refused and query.intent == "lookup":
        covered = districts_with_year(documents, year)
        others = [d for d in covered if d != district]
        if others:
            out.append(f"那{others[0]}{year}年呢？")
        if len(covered) >= 2:
            out.append(f"{year}年哪个区{_qualified(query.qualifier, query.subject)}最多？")
    seen, unique = {answer.question.strip()}, []
    for q in out:
        if q not in seen:
            seen.add(q)
            unique.append(q)
    return unique[:n]


def passage_facts(citations: Sequence[Citation]) -> list[Fact]:
    """Figures of the cited passages other than the one each citation highlights, with a usable subject."""
    found: list[Fact] = []
    for i, c in enumerate(citations):
        doc = Document(doc_id=f"cit-{i}", source="", meta=DocMeta(title=c.doc_title), text=c.text)
        chunk = Chunk(chunk_id=f"cit-{i}", doc_id=doc.doc_id, doc_title=c.doc_title, source="", section=(),
                      text=c.text, start=0, end=len(c.text), district=None, years=(), doc_type=None)
        for f in extract_facts(doc, [chunk]):
            if c.highlight and (f.start, f.end) == tuple(c.highlight):
                continue
            if f.subject and 2 <= len(f.subject) <= MAX_SUBJECT_CHARS and not f.unit == "%":
                found.append(f)
    return found


def fact_question(fact: Fact, district: str | None, year: int | None) -> str:
    """A self-contained question asking for `fact`: place, year, qualifier and subject written out."""
    place = district or ""
    when = f"{fact.year or year}年" if (fact.year or year) else ""
    return f"{place}{when}{_qualified(fact.qualifier, fact.subject or '', ask=True)}？"


def _qualified(qualifier: str | None, subject: str, ask: bool = False) -> str:
    """新增 + 养老床位 -> 新增养老床位 (or 新增多少养老床位 when asking)."""
    how = "多少" if ask else ""
    if qualifier and not subject.startswith(qualifier) and qualifier in ("新增", "改建", "建成", "完成", "累计"):
        return f"{qualifier}{how}{subject}"
    return f"{how}{subject}" if ask else subject


def districts_with_year(documents: Sequence, year: int) -> list[str]:
    """Districts (not the city) whose documents speak of `year`, in the order listed."""
    out: list[str] = []
    for d in documents:
        place = d.meta.district
        if place and place != CITY and year in d.meta.years and place not in out:
            out.append(place)
    return out
