"""Sectioning: the heading tree (table of cases) and section-following chunks on the real corpus."""

# ruff: noqa: E501 -- tables of Chinese text; ruff counts each CJK character twice

from __future__ import annotations

import re
import statistics
from pathlib import Path

import pytest

from assistant.core.settings import get_settings
from assistant.core.types import DocMeta, Document
from assistant.ingest.loading import load_corpus
from assistant.ingest.sectioning import chunk_corpus, chunk_document, parse_sections, sentence_spans
from assistant.text.cleaning import clean_text

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SENTENCE_END = re.compile(r"[。！？；!?;][”’）)》]*$")


def make_doc(raw: str, **meta) -> Document:
    cleaned = clean_text(raw)
    return Document(doc_id="d1", source="t.txt", meta=DocMeta(title=meta.pop("title", "测试"), **meta),
                    text=cleaned.text, headings=cleaned.headings)


@pytest.fixture(scope="module")
def corpus() -> list[Document]:
    docs, _ = load_corpus(get_settings(corpus_dir=CORPUS))
    return docs


@pytest.fixture(scope="module")
def chunks(corpus) -> dict[str, list]:
    return {d.source: chunk_document(d) for d in corpus}


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


def test_section_spans_nest(corpus) -> None:
    for doc in corpus:
        sections = parse_sections(doc)
        for s in sections:
            parents = [p for p in sections if p.path == s.path[:-1]]
            if len(s.path) > 1:
                assert parents and parents[-1].start <= s.start <= s.end <= parents[-1].end, s.path
            assert s.path[-1] and not s.path[-1].endswith("。") and "**" not in s.path[-1]


def test_inline_heading_body_keeps_its_title_sentence() -> None:
    doc = make_doc("一、养老\n一是增加床位供给。计划新增200张养老床位。")
    sub = parse_sections(doc)[1]
    assert sub.path[-1] == "一是增加床位供给"
    assert doc.text[sub.start:sub.end] == "一是增加床位供给。计划新增200张养老床位。"


def test_midterm_review_nests_three_levels(corpus) -> None:
    doc = next(d for d in corpus if d.source.startswith("2023-changning"))
    paths = {s.path for s in parse_sections(doc)}
    assert ("一、进展情况", "（一）主要指标目标完成情况", "3、加大养老服务供给力度") in paths
    assert ("四、思路举措", "（二）提升“一老一小”群体服务质效", "1、优化养老服务多元供给") in paths


# --- chunks ----------------------------------------------------------------------------------

def test_putuo_bed_figure_chunk_has_its_section_path(chunks) -> None:
    hits = [c for c in chunks["2024-putuo-work-plan.txt"] if "计划新增200张养老床位" in c.text]
    assert len(hits) == 1
    chunk = hits[0]
    assert chunk.section == ("二、建设高品质普惠养老格局", "二是推动“普惠共享”多元养老新发展")
    assert chunk.text.startswith("二是推动“普惠共享”多元养老新发展。")  # the title sentence is content
    assert (chunk.district, chunk.years, chunk.doc_type) == ("普陀区", (2024,), "工作要点")
    assert chunk.doc_title == "普陀区民政局2024年工作要点" and chunk.source == "2024-putuo-work-plan.txt"


@pytest.mark.parametrize(
    ("source", "phrase", "path"),
    [
        ("2022-baoshan-work-plan.txt", "新增760张养老床位", ("二、提质升级，进一步满足民生需求", "一是增加养老设施供给")),
        ("2022-changning-work-plan.txt", "新增床位200张",
         ("二、突出“嵌入+开放”，进一步提升养老服务能级", "（一）保质保量完成民心工程和实项目")),
        ("2022-shanghai-work-plan.txt", "5000张养老",
         ("二、进一步提高民生基本公共服务水平", "一是全力落实市委市政府民心工程和为民办实事项目")),
        ("2023-changning-14th-fyp-midterm-review.txt", "共完成新增床位518张",
         ("一、进展情况", "（一）主要指标目标完成情况", "3、加大养老服务供给力度")),
    ],
)
def test_figures_sit_in_exactly_one_chunk_with_the_right_path(chunks, source, phrase, path) -> None:
    hits = [c for c in chunks[source] if phrase in c.text]
    assert [c.section for c in hits] == [path]


def test_every_chunk_is_a_slice_of_its_document(corpus, chunks) -> None:
    for doc in corpus:
        for c in chunks[doc.source]:
            assert c.text == doc.text[c.start:c.end]
            assert c.doc_id == doc.doc_id and c.text.strip() == c.text and c.text


def test_no_chunk_is_heading_only(corpus, chunks) -> None:
    for doc in corpus:
        titles = {s.path[-1] for s in parse_sections(doc)}
        for c in chunks[doc.source]:
            assert c.text not in titles
            assert not c.section or c.text.rstrip("。") != c.section[-1]


def test_chunks_end_at_sentence_ends_within_a_section(corpus, chunks) -> None:
    for doc in corpus:
        cs = chunks[doc.source]
        for a, b in zip(cs, cs[1:], strict=False):
            if a.section == b.section:  # a long section was split: only ever between sentences
                assert SENTENCE_END.search(a.text), a.text[-20:]
                assert doc.text[a.end:b.start].strip() == ""


def test_chunks_cover_all_body_text(corpus, chunks) -> None:
    """Every character outside heading lines sits in exactly one chunk."""
    for doc in corpus:
        covered = [0] * len(doc.text)
        for c in chunks[doc.source]:
            for i in range(c.start, c.end):
                covered[i] += 1
        assert max(covered) == 1
        for i, ch in enumerate(doc.text):
            if not covered[i] and not ch.isspace():
                line_start = doc.text.rfind("\n", 0, i) + 1
                line = doc.text[line_start:doc.text.find("\n", i) if "\n" in doc.text[i:] else len(doc.text)]
                assert any(line == s.path[-1] or line.rstrip("。") == s.path[-1]
                           for s in parse_sections(doc)), line[:30]


def test_chunk_sizes_and_ids(corpus, chunks) -> None:
    every = [c for cs in chunks.values() for c in cs]
    sizes = [len(c.text) for c in every]
    print(f"\n{len(every)} chunks; size min {min(sizes)} median {statistics.median(sizes)} "
          f"mean {statistics.mean(sizes):.0f} max {max(sizes)}")
    for source, cs in chunks.items():
        print(f"  {source}: {len(cs)} chunks")
    assert max(sizes) <= 450  # no single sentence in this corpus is longer
    assert statistics.median(sizes) >= 100
    assert len({c.chunk_id for c in every}) == len(every)
    again = chunk_corpus(corpus)
    assert [c.chunk_id for c in again] == [c.chunk_id for c in every]


def test_baoshan_copies_give_no_repeated_chunks(chunks) -> None:
    texts = [c.text for c in chunks["2022-baoshan-work-plan.txt"]]
    assert len(texts) == len(set(texts))


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
