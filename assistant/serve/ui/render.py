"""What the web app shows, as pure functions: HTML of answers and sources, tables, one-line summaries."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from assistant.answer.generation import visible_notes
from assistant.core.types import Answer, BuildReport, Citation, Hit
from assistant.index.keywords import tokenize

DOC_HEADERS = ["标题", "文件", "发文单位", "文号", "区域", "年份", "类型", "日期", "分块数", "数字数"]
HIT_HEADERS = ["排名", "文档", "章节", "关键词分", "向量分", "融合分", "片段"]
HIT_TYPES = ["number", "str", "str", "str", "str", "str", "html"]
SNIPPET_CHARS = 160

def _esc(text: str | None) -> str:
    return html.escape(text or "", quote=False)


def highlight_html(citation: Citation) -> str:
    """The quoted passage, HTML-escaped, with the cited figure in a <mark>."""
    text = citation.text
    if citation.highlight:
        a, b = citation.highlight
        if 0 <= a < b <= len(text):
            return f"{_esc(text[:a])}<mark>{_esc(text[a:b])}</mark>{_esc(text[b:])}"
    return _esc(text)


def citation_html(citation: Citation, n: int) -> str:
    """One source: document title, section path and the quoted passage."""
    section = _esc(citation.section) or "正文"
    return (
        f'<div class="mz-src"><div class="mz-src-head"><span class="mz-src-n">[{n}]</span>'
        f"《{_esc(citation.doc_title)}》</div>"
        f'<div class="mz-src-sec">{section}</div>'
        f'<div class="mz-quote">{highlight_html(citation)}</div></div>'
    )


def sources_html(citations: Sequence[Citation]) -> str:
    """All sources of an answer, numbered."""
    return "".join(citation_html(c, i) for i, c in enumerate(citations, 1))


def answer_plain(answer: Answer, followup: bool = False) -> str:
    """The answer as plain text for copying: how it was understood, its text and its numbered sources."""
    lines = []
    if followup and answer.understood_as:
        lines.append(f"理解为：{answer.understood_as}")
    lines.append(answer.text)
    lines += list(answer.notes)
    if answer.citations:
        lines += ["", "来源：" if not answer.refused else "文件中相关的内容（并非直接答案）："]
        for i, c in enumerate(answer.citations, 1):
            lines += [f"[{i}]《{c.doc_title}》{c.section or '正文'}", f"“{c.text}”"]
    return "\n".join(lines)


def answer_html(answer: Answer, followup: bool) -> str:
    """The reply as the chat shows it: text, how a follow-up was understood, notes, timing; a hidden plain copy."""
    body = _esc(answer.text)
    figure = _esc(answer.as_written)
    if figure and not answer.refused and figure in body:  # the figure the answer stands on, in bold
        body = body.replace(figure, f"<strong>{figure}</strong>", 1)
    body = body.replace("\n", "<br>")
    parts = [f'<div class="{"mz-refused" if answer.refused else "mz-answer"}">{body}</div>']
    if followup and answer.understood_as:
        parts.append(f'<div class="mz-understood">理解为：{_esc(answer.understood_as)}</div>')
    parts += [f'<div class="mz-note">{_esc(note)}</div>' for note in visible_notes(answer)]
    if answer.latency_ms is not None:
        ms = answer.latency_ms
        took = f"{ms:.0f} 毫秒" if ms < 1000 else f"{ms / 1000:.1f} 秒"
        parts.append(f'<div class="mz-meta">用时 {took}</div>')
    parts.append(f'<div class="mz-copy">{_esc(answer_plain(answer, followup))}</div>')
    return f'<div class="mz-msg">{"".join(parts)}</div>'


WAITING_HTML = ('<div class="mz-waiting" role="status">正在查找文件'
                '<span class="mz-dot"></span><span class="mz-dot"></span><span class="mz-dot"></span></div>')


def chat_messages(exchanges: Sequence, pending: str | None = None, partial: str | None = None,
                  stopped: bool = False) -> list[dict]:
    """The chatbot's messages: each question, its answer and (folded) its sources; a pending one waits visibly.

    `exchanges` holds (question, Answer) pairs or objects with .question and .answer.
    """
    messages: list[dict] = []
    for i, ex in enumerate(exchanges):
        question, answer = (ex.question, ex.answer) if hasattr(ex, "answer") else ex
        messages.append({"role": "user", "content": question})
        messages.append({"role": "assistant", "content": answer_html(answer, followup=i > 0)})
        if answer.citations:
            title = "来源" if not answer.refused else "文件中相关的内容（并非直接答案）"
            messages.append({
                "role": "assistant",
                "content": f'<div class="mz-sources">{sources_html(answer.citations)}</div>',
                "metadata": {"title": f"{title} · {len(answer.citations)} 处"},
            })
    if pending is not None:
        messages.append({"role": "user", "content": pending})
        if stopped:
            shown = _esc(partial or "")
            messages.append({"role": "assistant",
                             "content": f'{shown}<div class="mz-note">已停止回答，这条问答不会保存。</div>'})
        elif partial:
            messages.append({"role": "assistant", "content": _esc(partial)})
        else:
            messages.append({"role": "assistant", "content": WAITING_HTML})
    return messages


def exchange_at(exchanges: Sequence, message_index: int) -> int | None:
    """Which exchange the chat message at `message_index` belongs to (None if out of range)."""
    seen = 0
    for i, ex in enumerate(exchanges):
        answer = ex.answer if hasattr(ex, "answer") else ex[1]
        seen += 3 if answer.citations else 2
        if message_index < seen:
            return i
    return None


def feedback_values(exchanges: Sequence) -> list[str | None]:
    """The thumbs each assistant message shows (Like / Dislike / None), in message order."""
    out: list[str | None] = []
    for ex in exchanges:
        shown = {1: "Like", -1: "Dislike"}.get(getattr(ex, "rating", 0))
        out.append(shown)
        if ex.answer.citations:
            out.append(None)
    return out


def documents_table(engine) -> list[list[Any]]:
    """The knowledge-base list: one row per indexed document."""
    rows = []
    for d in engine.documents():
        m = d.meta
        ys = sorted(m.years)
        consecutive = len(ys) > 2 and ys == list(range(ys[0], ys[-1] + 1))
        years = f"{ys[0]}–{ys[-1]}" if consecutive else "、".join(str(y) for y in ys)
        rows.append([m.title, d.source, m.issuer or "", m.doc_number or "", m.district or "", years,
                     m.doc_type or "", m.date or "", d.chunks, d.facts])
    return rows


def _score(x: float | None) -> str:
    return "—" if x is None else f"{x:.4f}"


def match_spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Where the terms stand in text, longest term first, without overlaps, in text order."""
    taken: list[tuple[int, int]] = []
    for term in sorted({t for t in terms if t and t.strip()}, key=len, reverse=True):
        start = text.find(term)
        while start >= 0:
            end = start + len(term)
            if not any(a < end and start < b for a, b in taken):
                taken.append((start, end))
            start = text.find(term, end)
    return sorted(taken)


def snippet_html(text: str, terms: Sequence[str], width: int = SNIPPET_CHARS) -> str:
    """The stretch of `text` (about `width` characters) holding the most terms, escaped, the terms in <mark>."""
    spans = match_spans(text, terms)
    start = 0
    if spans and len(text) > width:
        def hits_from(s: int) -> int:
            return sum(1 for a, b in spans if s <= a and b <= s + width)
        start = max((max(0, a - width // 5) for a, _ in spans), key=lambda s: (hits_from(s), -s))
        start = min(start, max(0, len(text) - width))
    end = min(len(text), start + width)
    out, pos = [], start
    for a, b in spans:
        if a >= start and b <= end:
            out += [_esc(text[pos:a]), f"<mark>{_esc(text[a:b])}</mark>"]
            pos = b
    out.append(_esc(text[pos:end]))
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) else "")


def query_terms(query: str) -> list[str]:
    """The words of a retrieval-test query worth marking: its search tokens of two or more characters."""
    words = [w for w in query.split() if len(w) >= 2]
    return list(dict.fromkeys(words + [t for t in tokenize(query) if len(t) >= 2 or t.isdigit()]))


def hits_table(hits: Sequence[Hit], query: str = "") -> list[list[Any]]:
    """Retrieval-test rows: where each chunk comes from, the scores that ranked it, the matching snippet."""
    terms = query_terms(query) if query else []
    return [
        [h.rank or i, h.chunk.doc_title, h.chunk.section_str or "正文", _score(h.keyword_score),
         _score(h.dense_score), _score(h.score), snippet_html(h.chunk.text, terms)]
        for i, h in enumerate(hits, 1)
    ]


def build_summary(report: BuildReport) -> str:
    """One Chinese line about an index build."""
    line = (f"索引已更新：{report.documents} 份文档，{report.chunks} 个分块，{report.facts} 个数字，"
            f"新计算向量 {report.embedded} 个，用时 {report.seconds:.1f} 秒。")
    if report.skipped:
        line += "\n\n未能收录：" + "；".join(report.skipped)
    return line


def batch_summary(summary) -> str:
    """One Chinese line about a finished batch (a `BatchSummary`), without server paths."""
    line = (f"共 {summary.total} 条问题：找到答案 {summary.answered} 条，"
            f"文件中未找到 {summary.not_found} 条，出错 {summary.errors} 条；用时 {summary.seconds:.1f} 秒。")
    if summary.error_ids:
        more = "等" if len(summary.error_ids) > 20 else ""
        line += f"出错的序号：{'、'.join(summary.error_ids[:20])}{more}。"
    return line
