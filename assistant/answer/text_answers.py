"""Answers in words (what, which, who, how): the best-matching sentences of the best passages, cited.

No figure gates here: a sentence is chosen by how much of the question's wording it holds (IDF-weighted
bigrams) and where retrieval ranked its passage; below the fitted threshold the answer is a refusal.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from assistant.answer.context import AnswerContext
from assistant.answer.features import own_stretch, span_of
from assistant.answer.figures import content_text, year_ok
from assistant.answer.matching import bigrams, weighted_coverage
from assistant.answer.retrieval import search
from assistant.core.types import Answer, Citation, Query
from assistant.ingest.sectioning import sentence_spans
from assistant.text.lexicon import FALL_VERBS, RISE_VERBS

POOL = 10
RANK_WEIGHT = 0.3  # a sentence of the top passage gains this much over one of a far passage
SHORT_SENTENCE = 30  # a quoted sentence this short reads as a heading: the next one is quoted with it
# 哪个行业增长最快 / 对哪个大洲出口最多: the extreme of a list of figures
_WHICH_ITEM = re.compile(r"哪个|哪些|哪一|哪类|哪种|哪家|哪项|什么")
_SUPERLATIVE = re.compile(r"最([多少高低快慢大小])")
_GROWTH = re.compile(r"增长|增速|增幅|涨|下降|降幅|减少")
_FALL = re.compile(f"(?:{'|'.join(FALL_VERBS)})[了约近]?$")
_RISE = re.compile(f"(?:{'|'.join(RISE_VERBS)})[了约近]?$")
_LEANS = re.compile(r"^(?:比上年|同比|增长|下降|增加|减少|提高|降低|上升)")
MIN_ITEMS = 3  # a sentence comparing fewer figures than this is not a list to rank
LIST_UNIT_SHARE = 0.75  # a list's figures are this share or more in one unit (the others are labels)
LIST_MARGIN = 0.85  # the list answers when it holds this share of what the best sentence holds
# 这份公报是哪些单位发布的 / 由哪个部门印发: who issued the document
_ASKS_ISSUER = re.compile(r"(哪个|哪些|哪家|什么|谁)[^，。？]{0,6}(发布|印发|制定|出台|编制|发出|公布|发的)"
                          r"|(发布|印发|制定|出台|编制|公布)[^，。？]{0,4}(单位|部门|机关|机构)")


# 是哪四个百 / 哪几型 / 五个中心是哪五个 / 进哪三个地方: the question asks for the members of a list, and
# may say how many and what each member ends in
_NUMERALS = "一二两三四五六七八九十"
_ASKS_MEMBERS = re.compile(rf"哪([{_NUMERALS}\d]+|几)(?:个|项|种|类|条|大|家|方面)?([\u4e00-\u9fff]?)")
_COUNTED = re.compile(rf"([{_NUMERALS}\d]+)(?:个|项|种|类|条|大|家)?([\u4e00-\u9fff]{{1,2}})(?:是|都是|有|包括|分别是)")
_CN_DIGITS = dict(enumerate("〇一二三四五六七八九十"))
_PIECE_ENDS = "，；。：“”‘’「」（）()《》!！?？\n"
LIST_WEIGHT = 0.6  # a sentence listing as many items as asked gains this much (text questions of 9 sets, 2026-12-03: 0.15 → 5/8 on holdout2, 0.3 → 5/8, 0.6 → 6/8; no other set moves)


def asked_members(text: str) -> tuple[int | None, str] | None:
    """(how many, what each ends in) when `text` asks for the members of a list, else None:
    是哪四个百 → (4, 百); 哪几型 → (None, 型); 五个中心是哪五个 → (5, 中心)."""
    from assistant.text.numbers import cn_to_number

    m = _ASKS_MEMBERS.search(text)
    if not m:
        return None
    head = m.group(2) if m.group(2) and m.group(2) not in "是呢吗啊呀的地" else ""
    counted = _COUNTED.search(text[:m.start()])
    if not head and counted:
        head = counted.group(2)
    if m.group(1) == "几":
        return None, head
    n = int(m.group(1)) if m.group(1).isdigit() else cn_to_number(m.group(1))
    return (int(n) if n else None), head


def list_items(sentence: str, head: str) -> list[list[str]]:
    """The lists a sentence holds: runs of items joined by 、 (A、B和C), and, when every member ends
    in `head`, the clauses that hold it (做到“五有”：居民议事有阵地，…；民主协商有机制，…)."""
    runs = []
    pieces = [p for p in re.split(f"[{re.escape(_PIECE_ENDS)}]", sentence) if p]
    for piece in pieces:
        items = [i for i in re.split(r"、|(?<=.{2})(?:和|及|与)(?=.{2})", piece) if i]
        if len(items) >= 2:
            runs.append(items)
    if head:
        with_head = [p for p in pieces if head in p and len(p) <= 16 and not re.match(f"[{_NUMERALS}\\d]", p)]
        if len(with_head) >= 2:
            runs.append(with_head)
    return runs


def list_fits(sentence: str, members: tuple[int | None, str]) -> float:
    """How well `sentence` lists what the question asks for: 1 for as many items as it says (at
    least two for 哪几) each holding the head it names, 0.5 for as many items without that head, else 0."""
    n, head = members
    best = 0.0
    for items in list_items(sentence, head):
        if n is None and len(items) >= 2 or len(items) == n:
            best = max(best, 1.0 if head and all(head in i for i in items) else 0.5)
    return best


def answer_text(ctx: AnswerContext, embedder, question: str, query: Query, mention: str | None = None
                ) -> Answer | None:
    """The best sentence(s) for a question in words, cited; None when none holds enough of it."""
    hits = search(ctx.index, embedder, f"{query.text} {query.describe()}", k=POOL, query=query)
    if _ASKS_ISSUER.search(query.text):
        issued = answer_issuer(question, query, ctx, hits)
        if issued is not None:
            return issued
    members = asked_members(query.text)
    asking = replace(query, text=_ASKS_MEMBERS.sub(" ", query.text)) if members else query  # 哪四个百 is no content
    content = set(bigrams(ctx.expand(content_text(asking, ctx.idf))))
    # 四百活动 names a list by its size and the character its members share: a sentence listing four
    # members that hold 百 (走百家门、知百家情…) writes it, though not in those characters
    named = {_CN_DIGITS[members[0]] + members[1]} if members and members[0] in _CN_DIGITS and members[1] else set()
    top = None
    if _WHICH_ITEM.search(query.text) and (most := _SUPERLATIVE.search(query.text)):
        top = answer_superlative(question, query, ctx, hits, content, most.group(1) in "多高快大")
    if not content:
        return None
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
            fits = members is not None and list_fits(_through_list(doc.text, a, b, hit.chunk.end), members)
            hay = bigrams(sentence, chars=True) | (named if fits == 1.0 else set())
            cov = weighted_coverage(content, hay, ctx.idf)
            scored.append((cov + RANK_WEIGHT / hit.rank + LIST_WEIGHT * fits, cov, hit, a, b))
    scored.sort(key=lambda s: -s[0])
    if top is not None and (not scored or top[1] >= LIST_MARGIN * scored[0][1]):
        return top[0]  # the list holds the question at least as well as any sentence
    if not scored or scored[0][1] < ctx.model.text_threshold:
        return None
    best = scored[:2] if len(scored) > 1 and scored[1][0] >= 0.9 * scored[0][0] else scored[:1]
    cites = []
    for _, _, hit, a, b in best:
        doc = ctx.index.documents[hit.chunk.doc_id]
        if members is not None:
            b = len(_through_list(doc.text, a, b, hit.chunk.end)) + a
        if b - a < SHORT_SENTENCE:
            following = [s for s in sentence_spans(doc.text, b, hit.chunk.end) if s[1] - s[0] > 4][:1]
            b = following[0][1] if following else b
        cites.append(Citation(doc_id=doc.doc_id, doc_title=doc.title, section=hit.chunk.section_str,
                              text=doc.text[a:b], start=a, end=b, chunk_id=hit.chunk.chunk_id))
    body = "".join(c.text for c in cites)
    return Answer(question=question, text=ctx.render("answer_text", doc_title=cites[0].doc_title, passage=body),
                  citations=tuple(cites), query=query)


def _through_list(text: str, a: int, b: int, limit: int) -> str:
    """text[a:b], carried on to the full stop when it opens a list with a colon and stops at a
    semicolon (做到“五有”：居民议事有阵地，…；民主协商有机制，…。), at most LIST_REACH characters."""
    if "：" not in text[a:b] or not text[a:b].rstrip().endswith("；"):
        return text[a:b]
    stop = text.find("。", b, min(limit, a + LIST_REACH))
    return text[a:stop + 1] if stop >= 0 else text[a:b]


LIST_REACH = 400
# What the sentence before a list adds to how well the list holds the question, against its own words.
BEFORE_LIST_WEIGHT = 0.5


def answer_issuer(question: str, query: Query, ctx: AnswerContext, hits) -> Answer | None:
    """Who issued the document the question is about (its best-retrieved one with a known issuer),
    citing the line of its opening that names the issuer; None when no such document is found."""
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


def answer_superlative(question: str, query: Query, ctx: AnswerContext, hits, content: set[str], highest: bool
                       ) -> tuple[Answer, float] | None:
    """The item of a list of figures (分行业看，A增长25.0%，B增长2.8%，C下降8.9%…) that is highest (or
    lowest), in the sentence that best holds the question: changes when the question asks how fast
    something grew, levels otherwise; with how much of the question that sentence holds. None when no
    sentence lists enough comparable figures. `hits` are the question's retrieved passages, `content`
    its bigrams."""
    asks_growth = bool(_GROWTH.search(query.text))
    best = None
    for hit in hits:
        if query.place and hit.chunk.place != query.place:
            continue
        doc = ctx.index.documents[hit.chunk.doc_id]
        by_sentence: dict[tuple[int, int], list] = {}  # up to the full stop: 对亚洲出口…；对北美洲出口…
        for f in ctx.facts_by_chunk.get(hit.chunk.chunk_id, []):
            if year_ok(ctx, f, query):
                by_sentence.setdefault(span_of(doc.text, f.start, f.end, "。\n"), []).append(f)
        for (a, b), facts in by_sentence.items():
            rows = []
            for f in facts:
                lead = doc.text[max(f.sentence_start, f.start - 4):f.start]
                change = bool(_FALL.search(lead) or _RISE.search(lead))
                if change == asks_growth:
                    rows.append((-f.value if _FALL.search(lead) else f.value, f))
            # the list's items share a unit; a stray figure in an item's label (0-17岁未持证残疾儿童) is no item
            unit, n = Counter(f.unit for _, f in rows).most_common(1)[0] if rows else (None, 0)
            if n < MIN_ITEMS or n < LIST_UNIT_SHARE * len(rows):
                continue
            rows = [r for r in rows if r[1].unit == unit]
            # 分行业看，A增长…：the list breaks down the sentence before it, which names what is listed; its
            # own words say more (按残疾类型看 picks 从服务的残疾类型来看… over the list after it)
            before = doc.text[max(doc.text.rfind("。", 0, max(a - 1, 0)) + 1, a - 200):b]
            own = weighted_coverage(content, bigrams(doc.text[a:b], chars=True), ctx.idf)
            joint = weighted_coverage(content, bigrams(before, chars=True), ctx.idf)
            score = own + BEFORE_LIST_WEIGHT * (joint - own) + RANK_WEIGHT / hit.rank
            if best is None or score > best[0]:
                best = (score, rows, doc, hit, (a, b), joint)
    if best is None or (cov := best[5]) < ctx.model.text_threshold:  # the list with what names it
        return None
    _, rows, doc, hit, (s0, s1), _ = best
    value, fact = (max if highest else min)(rows, key=lambda r: r[0])
    label = own_stretch(doc.text, fact.start, fact.end).strip("，；。、 ")
    earlier = [f for f in ctx.facts_by_chunk.get(hit.chunk.chunk_id, []) if f.end <= fact.start]
    if _LEANS.match(label) and earlier and earlier[-1].sentence_start >= fact.sentence_start - 60:
        # 牧业产值26.34亿元、增长25.3%: the change is the item's named just before it
        prev = earlier[-1]
        label = doc.text[span_of(doc.text, prev.start, prev.end, "，；。：")[0]:fact.end].strip("，；。、 ")
    cite = Citation(doc_id=doc.doc_id, doc_title=doc.title, section=hit.chunk.section_str, text=doc.text[s0:s1],
                    start=s0, end=s1, chunk_id=hit.chunk.chunk_id, highlight=(fact.start - s0, fact.end - s0))
    word = "最高" if highest else "最低"
    text = f"据《{doc.title}》，所列各项中{word}的是：{label}。"
    return Answer(question=question, text=text, citations=(cite,), query=query), cov
