"""The Gradio app's pure renderers: HTML for answers and citations, tables, summaries."""

from __future__ import annotations

import pytest

from assistant.core.types import Answer, Citation, DocMeta, DocumentInfo
from assistant.serve import ui
from assistant.serve.batch_files import BatchSummary

CIT = Citation(doc_id="d", doc_title="标题<b>", section="一、总则 › 二是", text="新增<200>张，共200张。",
               start=0, end=13, highlight=(10, 14))


def test_highlight_marks_the_figure_and_escapes_the_rest():
    assert ui.highlight_html(CIT) == "新增&lt;200&gt;张，共<mark>200张</mark>。"


@pytest.mark.parametrize("highlight", [None, (5, 3), (0, 99), (-1, 2)])
def test_highlight_without_a_valid_span_is_just_escaped(highlight):
    c = Citation(doc_id="d", doc_title="t", section="", text="a<b", start=0, end=3, highlight=highlight)
    assert ui.highlight_html(c) == "a&lt;b"


def test_citation_html_escapes_title_and_defaults_section():
    c = Citation(doc_id="d", doc_title="标题<b>", section="", text="x", start=0, end=1)
    out = ui.citation_html(c, 2)
    assert "《标题&lt;b&gt;》" in out and "<b>" not in out
    assert "[2]" in out and ">正文<" in out


def test_exchange_at_maps_message_indices_to_exchanges():
    with_src = Answer(question="q", text="a", citations=(CIT,))
    without = Answer(question="q", text="a", refused=True)
    exchanges = [("q1", with_src), ("q2", without), ("q3", with_src)]
    # messages: 0 u,1 a,2 src | 3 u,4 a | 5 u,6 a,7 src
    assert [ui.exchange_at(exchanges, i) for i in range(9)] == [0, 0, 0, 1, 1, 2, 2, 2, None]
    assert len(ui.chat_messages(exchanges)) == 8


def test_answer_html_escapes_and_shows_understood_only_for_follow_ups():
    a = Answer(question="q", text="<script>x</script>200张", understood_as="普陀区2024年", notes=("注意",),
               latency_ms=120.0)
    first, follow = ui.answer_html(a, followup=False), ui.answer_html(a, followup=True)
    assert "<script>" not in first and "&lt;script&gt;" in first
    assert "理解为" not in first and "理解为：普陀区2024年" in follow
    assert "注意" in first and "用时 120 毫秒" in first


def test_answer_html_bolds_the_figure_once_and_not_in_refusals():
    a = Answer(question="q", text="新增200张，累计200张。", as_written="200张")
    assert ui.answer_html(a, followup=False).count("<strong>200张</strong>") == 1
    r = Answer(question="q", text="没有200张的记录。", as_written="200张", refused=True)
    assert "<strong>" not in ui.answer_html(r, followup=False)


def test_batch_summary_names_failed_rows():
    s = BatchSummary(total=3, answered=1, not_found=1, errors=1, seconds=2.0, error_ids=["7"])
    assert ui.batch_summary(s) == ("共 3 条问题：找到答案 1 条，文件中未找到 1 条，出错 1 条；用时 2.0 秒。"
                                   "出错的序号：7。")


@pytest.mark.parametrize("years, shown", [((2024,), "2024"), ((2021, 2022, 2023, 2024, 2025), "2021–2025"),
                                          ((2021, 2023), "2021、2023"), ((), "")])
def test_documents_table_shows_year_ranges(years, shown):
    class OneDocument:
        def documents(self):
            return [DocumentInfo(doc_id="d", source="a.txt", meta=DocMeta(title="t", years=years), chunks=1,
                                 facts=2)]

    assert ui.documents_table(OneDocument())[0][5] == shown
