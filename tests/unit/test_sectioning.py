"""Sectioning: the heading tree and chunks on hand-made text (the shipped corpus: tests/integration)."""

# ruff: noqa: E501 -- tables of Chinese text; ruff counts each CJK character twice

from __future__ import annotations

import re

import pytest

from assistant.core.types import DocMeta, Document
from assistant.ingest.sectioning import chunk_document, parse_sections, sentence_spans
from assistant.text.cleaning import clean_text

SENTENCE_END = re.compile(r"[。！？；!?;][”’）)》]*$")


def make_doc(raw: str, **meta) -> Document:
    cleaned = clean_text(raw)
    return Document(doc_id="d1", source="t.txt", meta=DocMeta(title=meta.pop("title", "测试"), **meta),
                    text=cleaned.text, headings=cleaned.headings)


# --- the heading tree ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "paths"),
    [
        # 一、 > 一是 (title up to the first 。)
        ("一、健全救助体系\n一是优化体系。持续优化。\n二是探索机制。坚持规范。\n二、建设养老格局\n一是构建新模式。围绕目标。",
         [("一、健全救助体系",), ("一、健全救助体系", "一是优化体系"), ("一、健全救助体系", "二是探索机制"),
          ("二、建设养老格局",), ("二、建设养老格局", "一是构建新模式")]),
        # 一、 > （一） > 1、 > （1）, with half-width parentheses
        ("一、进展情况\n(一)主要指标\n1、社会救助。正文。\n(1)低保。正文。\n2、养老服务。正文。\n(二)重点领域\n二、问题",
         [("一、进展情况",), ("一、进展情况", "（一）主要指标"), ("一、进展情况", "（一）主要指标", "1、社会救助"),
          ("一、进展情况", "（一）主要指标", "1、社会救助", "（1）低保"),
          ("一、进展情况", "（一）主要指标", "2、养老服务"), ("一、进展情况", "（二）重点领域"), ("二、问题",)]),
        # inconsistent markdown depths do not matter; bold openers are headings; markers stripped
        ("## 一、注重精准\n**（一）推进救助。**全面推广。\n#### **二、突出嵌入**\n**（一）完成工程。**新增床位。",
         [("一、注重精准",), ("一、注重精准", "（一）推进救助"), ("二、突出嵌入",), ("二、突出嵌入", "（一）完成工程")]),
        # notice boilerplate and document title head the preamble; letterhead is not a section
        ("上海市普陀区民政局\n普民〔2024〕4号\n关于印发《普陀区2024年工作要点》的通知\n各单位：\n现将要点印发给你们。\n"
         "普陀区2024年工作要点\n2024年是关键年。\n一、救助\n一是优化。正文。",
         [("关于印发《普陀区2024年工作要点》的通知",), ("普陀区2024年工作要点",), ("一、救助",), ("一、救助", "一是优化")]),
        ("# 上海市民政局\n沪民办发〔2022〕5号\n## 2022年上海民政工作要点\n正文。\n### 一、兜底",
         [("2022年上海民政工作要点",), ("一、兜底",)]),
        # unmarked markdown-free headings: 第一章 > 一、; 1. with a dot; a decimal is not numbering
        ("第一章 总则\n一、目的\n1.适用范围。正文。\n1.5万元用于补贴。\n第二章 附则",
         [("第一章总则",), ("第一章总则", "一、目的"), ("第一章总则", "一、目的", "1.适用范围"), ("第二章附则",)]),
        # once numbering has started, an unnumbered bold opener is a leaf and closes nothing
        ("一、救助\n**注意：**请按时完成。\n一是优化。正文。\n二、养老",
         [("一、救助",), ("一、救助", "注意"), ("一、救助", "一是优化"), ("二、养老",)]),
        # after the first numbered heading, title-like lines are body text
        ("一、总结\n本区工作总结\n正文。", [("一、总结",)]),
        ("今年以来，社区新增助餐点3个。\n下一步将继续推进。", []),
    ],
)
def test_parse_sections_paths(raw: str, paths: list[tuple[str, ...]]) -> None:
    doc = make_doc(raw)
    sections = parse_sections(doc)
    assert [s.path for s in sections] == paths
    for s in sections:
        assert s.level == len(s.path)
        assert 0 <= s.start <= s.end <= len(doc.text)


def test_inline_heading_body_keeps_its_title_sentence() -> None:
    doc = make_doc("一、养老\n一是增加床位供给。计划新增200张养老床位。")
    sub = parse_sections(doc)[1]
    assert sub.path[-1] == "一是增加床位供给"
    assert doc.text[sub.start:sub.end] == "一是增加床位供给。计划新增200张养老床位。"


# --- chunks ----------------------------------------------------------------------------------

def test_long_section_is_split_into_balanced_sentence_runs() -> None:
    sentences = [f"第{i}句说明了一项具体的工作安排和目标要求，共计{i}项内容。" for i in range(30)]
    doc = make_doc("一、重点工作\n" + "".join(sentences))
    cs = chunk_document(doc, max_chars=200)
    assert len(cs) > 1
    assert "".join(c.text for c in cs) == "".join(sentences)
    assert all(len(c.text) <= 200 and SENTENCE_END.search(c.text) for c in cs)
    assert max(len(c.text) for c in cs) - min(len(c.text) for c in cs) <= 80  # no tiny tail
    assert all(c.section == ("一、重点工作",) for c in cs)


def test_a_sentence_longer_than_the_limit_stays_whole() -> None:
    long_sentence = "持续推进" + "、".join(["某项工作"] * 80) + "。"
    doc = make_doc("一、工作\n" + long_sentence + "短句。")
    cs = chunk_document(doc, max_chars=100)
    assert [c.text for c in cs] == [long_sentence, "短句。"]


def test_document_without_headings_still_chunks() -> None:
    paragraphs = [f"第{i}段：社区新增助餐点{i}个，服务老年人{i * 100}人次。" for i in range(40)]
    doc = make_doc("\n".join(paragraphs), district="徐汇区", years=(2023,))
    cs = chunk_document(doc)
    assert len(cs) > 1 and all(c.section == () for c in cs)
    assert "\n".join(c.text for c in cs) == doc.text
    assert all(c.district == "徐汇区" and c.years == (2023,) for c in cs)


def test_empty_document_has_no_chunks() -> None:
    assert chunk_document(make_doc("")) == []


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("第一句。第二句！第三句？", ["第一句。", "第二句！", "第三句？"]),
        ("他说：“做好工作。”然后；继续", ["他说：“做好工作。”", "然后；", "继续"]),
        ("第一行没有句号\n第二行。", ["第一行没有句号", "第二行。"]),
        ("增长3.5%。", ["增长3.5%。"]),
    ],
)
def test_sentence_spans(text: str, sentences: list[str]) -> None:
    assert [text[a:b] for a, b in sentence_spans(text, 0, len(text))] == sentences
