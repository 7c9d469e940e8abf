"""What the web app shows, as pure functions: HTML of answers and sources, tables, one-line summaries."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import gradio as gr

from assistant.answer.generation import visible_notes
from assistant.core.types import Answer, BuildReport, Citation, Hit

DOC_HEADERS = ["标题", "文件", "发文单位", "文号", "区域", "年份", "类型", "日期", "分块数", "数字数"]
HIT_HEADERS = ["排名", "文档", "章节", "关键词分", "向量分", "融合分", "片段"]

CSS = """
.gradio-container { max-width: 1200px !important; margin: 0 auto !important; width: 100% !important; }
#mz-header { padding: 2px 4px 0; }
#mz-header h1 { font-size: 1.5rem; font-weight: 700; margin: 0; }
#mz-header p { margin: 4px 0 0; color: var(--body-text-color-subdued); font-size: .95rem; }
.mz-src { border-left: 3px solid var(--color-accent); background: var(--background-fill-secondary);
  border-radius: 6px; padding: 8px 12px; margin: 6px 0; }
.mz-src-head { font-weight: 600; font-size: 15px; }
.mz-src-n { display: inline-block; min-width: 1.4em; color: var(--color-accent); }
.mz-src-sec { color: var(--body-text-color-subdued); font-size: 13px; margin-top: 2px; }
.mz-quote { margin: 6px 0 0; line-height: 1.75; font-size: 15px; }
.mz-quote mark, .mz-answer strong { background: #ffe58f; color: #1f1f1f; padding: 0 2px; border-radius: 3px;
  font-weight: 600; font-size: inherit; }
.mz-understood { color: var(--body-text-color-subdued); font-size: .9em; margin-top: 6px; }
.mz-note { color: var(--body-text-color-subdued); font-size: .9em; margin-top: 4px; }
.mz-meta { color: var(--body-text-color-subdued); font-size: .78em; margin-top: 6px; }
.mz-refused { border-left: 3px solid #d9822b; padding-left: 10px; }
.mz-status { min-height: 1.5em; }
.mz-table table, .mz-table td, .mz-table th, .mz-table span { font-family: var(--font) !important; }
footer { display: none !important; }
"""


def theme() -> gr.themes.Base:
    """A calm theme with system CJK fonts (nothing fetched from the internet)."""
    return gr.themes.Soft(
        primary_hue="blue",
        neutral_hue="slate",
        font=["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    )


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


def answer_html(answer: Answer, followup: bool) -> str:
    """The reply as the chat shows it: text, how a follow-up was understood, notes, timing."""
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
    return "".join(parts)


def chat_messages(exchanges: Sequence[tuple[str, Answer]], pending: str | None = None,
                  partial: str | None = None) -> list[dict]:
    """The chatbot's messages for a session: each question, its answer and (folded) its sources."""
    messages: list[dict] = []
    for i, (question, answer) in enumerate(exchanges):
        messages.append({"role": "user", "content": question})
        messages.append({"role": "assistant", "content": answer_html(answer, followup=i > 0)})
        if answer.citations:
            title = "来源" if not answer.refused else "文件中相关的内容（并非直接答案）"
            messages.append({
                "role": "assistant",
                "content": sources_html(answer.citations),
                "metadata": {"title": f"{title} · {len(answer.citations)} 处"},
            })
    if pending is not None:
        messages.append({"role": "user", "content": pending})
        if partial:
            messages.append({"role": "assistant", "content": _esc(partial)})
    return messages


def exchange_at(exchanges: Sequence[tuple[str, Answer]], message_index: int) -> int | None:
    """Which exchange the chat message at `message_index` belongs to (None if out of range)."""
    seen = 0
    for i, (_, answer) in enumerate(exchanges):
        seen += 3 if answer.citations else 2
        if message_index < seen:
            return i
    return None


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


def _clip(text: str, n: int = 180) -> str:
    return text if len(text) <= n else f"{text[:n]}…（共{len(text)}字）"


def _score(x: float | None) -> str:
    return "—" if x is None else f"{x:.4f}"


def hits_table(hits: Sequence[Hit]) -> list[list[Any]]:
    """Retrieval-test rows: where each chunk comes from and the scores that ranked it."""
    return [
        [h.rank or i, h.chunk.doc_title, h.chunk.section_str or "正文", _score(h.keyword_score),
         _score(h.dense_score), _score(h.score), _clip(h.chunk.text)]
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
