"""Answers in words (what, which, who, how): the best-matching sentences of the best passages, cited.

No figure gates here: a sentence is chosen by how much of the question's wording it holds (IDF-weighted
bigrams) and where retrieval ranked its passage; below the fitted threshold the answer is a refusal.
"""

from __future__ import annotations

import re

from assistant.answer.context import AnswerContext
from assistant.answer.figures import content_text
from assistant.answer.matching import bigrams, weighted_coverage
from assistant.answer.retrieval import search
from assistant.core.types import Answer, Citation, Query
from assistant.ingest.sectioning import sentence_spans

POOL = 10
RANK_WEIGHT = 0.3  # a sentence of the top passage gains this much over one of a far passage
SHORT_SENTENCE = 30  # a quoted sentence this short reads as a heading: the next one is quoted with it
# 这份公报是哪些单位发布的 / 由哪个部门印发: who issued the document
_ASKS_ISSUER = re.compile(r"(哪个|哪些|哪家|什么|谁)[^，。？]{0,6}(发布|印发|制定|出台|编制|发出|公布|发的)"
                          r"|(发布|印发|制定|出台|编制|公布)[^，。？]{0,4}(单位|部门|机关|机构)")


def answer_text(ctx: AnswerContext, embedder, question: str, query: Query, mention: str | None = None
                ) -> Answer | None:
    """The best sentence(s) for a question in words, cited; None when none holds enough of it."""
    if _ASKS_ISSUER.search(query.text):
        issued = answer_issuer(ctx, embedder, question, query)
        if issued is not None:
            return issued
    content = set(bigrams(content_text(query, ctx.idf)))
    if not content:
        return None
    hits = search(ctx.index, embedder, f"{query.text} {query.describe()}", k=POOL, query=query)
    scored: list[tuple[float, float, object, int, int]] = []
    for hit in hits:
        if query.place and hit.chunk.place != query.place and mention is None:
            continue
        doc = ctx.index.documents[hit.chunk.doc_id]
        for a, b in sentence_spans(doc.text, hit.chunk.start, hit.chunk.end):
            if b - a <= 4:
                continue
            sentence = doc.text[a:b]
            if mention and mention not in sentence:
                continue
            cov = weighted_coverage(content, bigrams(sentence, chars=True), ctx.idf)
            scored.append((cov + RANK_WEIGHT / hit.rank, cov, hit, a, b))
    scored.sort(key=lambda s: -s[0])
    if not scored or scored[0][1] < ctx.model.text_threshold:
        return None
    best = scored[:2] if len(scored) > 1 and scored[1][0] >= 0.9 * scored[0][0] else scored[:1]
    cites = []
    for _, _, hit, a, b in best:
        doc = ctx.index.documents[hit.chunk.doc_id]
        if b - a < SHORT_SENTENCE:
            following = [s for s in sentence_spans(doc.text, b, hit.chunk.end) if s[1] - s[0] > 4][:1]
            b = following[0][1] if following else b
        cites.append(Citation(doc_id=doc.doc_id, doc_title=doc.title, section=hit.chunk.section_str,
                              text=doc.text[a:b], start=a, end=b, chunk_id=hit.chunk.chunk_id))
    body = "".join(c.text for c in cites)
    return Answer(question=question, text=ctx.render("answer_text", doc_title=cites[0].doc_title, passage=body),
                  citations=tuple(cites), query=query)


def answer_issuer(ctx: AnswerContext, embedder, question: str, query: Query) -> Answer | None:
    """Who issued the document the question is about (its best-retrieved one with a known issuer),
    citing the line of its opening that names the issuer; None when no such document is found."""
    hits = search(ctx.index, embedder, f"{query.text} {query.describe()}", k=POOL, query=query)
    for hit in hits:
        doc = ctx.index.documents[hit.chunk.doc_id]
        issuer = doc.meta.issuer
        if not issuer or (query.place and doc.meta.place != query.place):
            continue
        first = re.split(r"[ \u3000、和及]+", issuer)[0]
        at = doc.text.find(first, 0, 3000)
        if at < 0:
            continue
        a = doc.text.rfind("\n", 0, at) + 1
        b = doc.text.find("\n", at)
        b = len(doc.text) if b < 0 else b
        cite = Citation(doc_id=doc.doc_id, doc_title=doc.title, section="", text=doc.text[a:b], start=a, end=b)
        text = f"《{doc.title}》由{issuer}发布。"
        return Answer(question=question, text=text, citations=(cite,), query=query)
    return None
