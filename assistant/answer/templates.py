"""A count or ordinal asked in the documents' own phrase: 第几次党代会 is answered where a passage writes
第十一次党代会, 几个一律 where one writes “五个一律”, 几大光荣使命 where one writes 三大光荣使命.

The question's 几 and the measure word after it become a numeral pattern, looked for in every passage
of the question's place and year (an exact phrase is rarer evidence than retrieval's ranking, which can
miss a document's opening lines). Each place the pattern matches is scored by how many characters
around it agree with the question's (本市户籍第几批次 is 本市户籍第十批次, not 非沪籍第四批次). The best
match answers only when it is written in words, names something (two characters after the measure
word or three before it), and no match as good holds another value. Phrases in words are often set
phrases (“五个一律”) that the figure index does not count, as they name rather than count; a figure
in digits is in that index, whose scorer weighs it against the question, so a match in digits as good
as the best leaves the question to it (在4个街镇开展试点 beside 全区十个街镇).
"""

from __future__ import annotations

import re

from assistant.answer.context import AnswerContext
from assistant.core.types import Answer, Chunk, Citation, Query
from assistant.text.numbers import CN_NUMERAL_CHARS, UNITS, Quantity, find_quantities
from assistant.text.places import short_name

MIN_AFTER = 2  # 几个一律: two characters after the measure word name something …
MIN_BEFORE = 3  # … or three before the numeral (本市户籍第几批次)
REACH = 8  # characters compared on each side
_ASKED = re.compile(r"(第?)几(?=[\u4e00-\u9fff])")
_QUOTES = re.compile("[“”‘’\"'「」《》]")
_MEASURES = sorted(UNITS, key=len, reverse=True)


def asked_phrase(text: str) -> tuple[str, str, str, str] | None:
    """(words before, 第 or "", measure word, words after) of the question's 几, else None:
    本市户籍第几批次共有产权房 → (本市户籍, 第, 批次, 共有产权房)."""
    m = _ASKED.search(text)
    if not m:
        return None
    rest = text[m.end():]
    measure = next((u for u in _MEASURES if rest.startswith(u)), rest[0])
    after = re.split(r"[，。？！?!；]", rest[len(measure):])[0]
    before = re.split(r"[，。？！?!；]", text[:m.start()])[-1]
    if len(after) < MIN_AFTER and len(before) < MIN_BEFORE:
        return None
    return before, m.group(1), measure, after


def _agreement(a: str, b: str) -> int:
    """How many leading characters two strings share."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def answer_templated(ctx: AnswerContext, question: str, query: Query, mention: str | None = None) -> Answer | None:
    """The cited count or ordinal of the question's 几 phrase, when the documents write it in words."""
    asked = asked_phrase(query.text)
    if asked is None:
        return None
    before, ordinal, measure, after = (_QUOTES.sub("", p) for p in asked)
    pattern = re.compile(f"{ordinal}([{CN_NUMERAL_CHARS}\\d]+){re.escape(measure)}")
    years = set(query.years) or ({query.year} if query.year else set())
    scored: list[tuple[int, Quantity, Chunk, re.Match]] = []
    for chunk in ctx.index.chunks:
        if query.place and mention is None and chunk.place != query.place:
            continue
        if years and chunk.years and not years & set(chunk.years):
            continue
        text = ctx.index.documents[chunk.doc_id].text
        for m in pattern.finditer(text, chunk.start, chunk.end):
            if not ordinal and text[m.start() - 1:m.start()] == "第":
                continue  # 几届 asks a count, 第四届 is an ordinal
            if mention and mention not in text[slice(*_sentence(text, m.start(), m.end()))]:
                continue
            figure = next((q for q in find_quantities(m.group(0)[len(ordinal):]) if q.start == 0), None)
            if figure is None:
                continue
            left = _agreement(before[::-1], _QUOTES.sub("", text[max(0, m.start() - REACH):m.start()])[::-1])
            right = _agreement(after, _QUOTES.sub("", text[m.end():m.end() + REACH]))
            if right >= MIN_AFTER or left >= MIN_BEFORE:
                scored.append((left + right, figure, chunk, m))
    if not scored:
        return None
    best = max(s for s, *_ in scored)
    top = [(f, c, m) for s, f, c, m in scored if s == best]
    if len({(f.value, f.unit) for f, _, _ in top}) > 1 or not all(f.chinese for f, _, _ in top):
        return None  # two values as good, or one in digits: the figure scorer weighs them
    figure, chunk, m = top[0]
    doc = ctx.index.documents[chunk.doc_id]
    a, b = _sentence(doc.text, m.start(), m.end())
    written = ordinal + figure.text
    cite = Citation(doc_id=doc.doc_id, doc_title=doc.title, section=chunk.section_str, text=doc.text[a:b],
                    start=a, end=b, chunk_id=chunk.chunk_id, highlight=(m.start() - a, m.start() - a + len(written)))
    phrase = m.group(0) + after[:_agreement(after, _QUOTES.sub("", doc.text[m.end():m.end() + REACH]))]
    year = f"{query.year}年" if query.year else ""
    text = ctx.render("answer_found", doc_title=doc.title, who=query.district or "", year=year, plan="",
                      qualifier="", subject="", figure=phrase)
    return Answer(question=question, text=text, value=figure.value, unit=figure.unit, as_written=written,
                  citations=(cite,), query=query)


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): from the last full stop or line break to the next."""
    a = max(text.rfind(c, 0, start) for c in "。！？\n") + 1
    ends = [i for i in (text.find(c, end) for c in "。！？\n") if i >= 0]
    return a, (min(ends) + 1 if ends else len(text))


# 在宁波排第几 / 在全省排名第几: the rank a document writes within a place (排名全省第二、全宁波第一)
_RANK_ASKED = re.compile(r"在(全?[\u4e00-\u9fff]{1,6}?)[内中里]?的?(?:排名|排在|排|位列|位居|名列)第?几")


def answer_rank(ctx: AnswerContext, question: str, query: Query, mention: str | None = None) -> Answer | None:
    """The rank the question asks within a place (在宁波排第几), where a passage of its place and year
    writes one (全宁波第一); the passage that best shares the question's and the conversation's words
    decides, and two as good with different ranks leave the question unanswered here."""
    from assistant.answer.matching import bigrams
    from assistant.text.numbers import cn_to_number

    asked = _RANK_ASKED.search(query.text)
    if asked is None:
        return None
    scope = short_name(asked[1].removeprefix("全"))  # 宁波市 → 宁波; 省 of 全省 stays
    pattern = re.compile(f"(?:全|本)?{re.escape(scope)}[省市区县]?[内中]?(?:排名|排|位列|位居|名列)?第([{CN_NUMERAL_CHARS}\\d]+)(?:名|位)?")
    words = bigrams(f"{query.context or ''}{query.text[:asked.start()]}") - bigrams(asked[0])
    years = set(query.years) or ({query.year} if query.year else set())
    scored: list[tuple[int, float, Chunk, re.Match]] = []
    for chunk in ctx.index.chunks:
        if (query.place and mention is None and chunk.place != query.place) or (
                years and chunk.years and not years & set(chunk.years)):
            continue
        text = ctx.index.documents[chunk.doc_id].text
        for m in pattern.finditer(text, chunk.start, chunk.end):
            rank = cn_to_number(m[1]) if not m[1].isdigit() else int(m[1])
            a, b = _sentence(text, m.start(), m.end())
            if rank and (not mention or mention in text[a:b]):
                scored.append((len(words & bigrams(text[max(a, m.start() - 60):m.end()])), float(rank), chunk, m))
    if not scored:
        return None
    best = max(s for s, *_ in scored)
    top = [t for t in scored if t[0] == best]
    if best == 0 or len({r for _, r, _, _ in top}) > 1:
        return None
    _, rank, chunk, m = top[0]
    doc = ctx.index.documents[chunk.doc_id]
    a, b = _sentence(doc.text, m.start(), m.end())
    cite = Citation(doc_id=doc.doc_id, doc_title=doc.title, section=chunk.section_str, text=doc.text[a:b],
                    start=a, end=b, chunk_id=chunk.chunk_id, highlight=(m.start() - a, m.end() - a))
    year = f"{query.year}年" if query.year else ""
    text = ctx.render("answer_found", doc_title=doc.title, who=query.district or "", year=year, plan="",
                      qualifier="", subject="", figure=m[0])
    return Answer(question=question, text=text, value=rank, unit="名", as_written=m[0], citations=(cite,), query=query)
