"""Sectioning on the shipped corpus: heading trees that nest, chunks that follow sections and cover the text."""

# ruff: noqa: E501 -- tables of Chinese text; ruff counts each CJK character twice

from __future__ import annotations

import re
import statistics
from pathlib import Path

import pytest

from assistant.core.settings import get_settings
from assistant.core.types import Document
from assistant.ingest.loading import load_corpus
from assistant.ingest.sectioning import chunk_document, parse_sections

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SENTENCE_END = re.compile(r"[。！？；!?;][”’）)》]*$")


@pytest.fixture(scope="module")
def corpus() -> list[Document]:
    docs, _ = load_corpus(get_settings(corpus_dir=CORPUS))
    return docs


@pytest.fixture(scope="module")
def chunks(corpus) -> dict[str, list]:
    return {d.source: chunk_document(d) for d in corpus}


def test_section_spans_nest(corpus) -> None:
    for doc in corpus:
        sections = parse_sections(doc)
        for s in sections:
            parents = [p for p in sections if p.path == s.path[:-1]]
            if len(s.path) > 1:
                assert parents and parents[-1].start <= s.start <= s.end <= parents[-1].end, s.path
            assert s.path[-1] and not s.path[-1].endswith("。") and "**" not in s.path[-1]


def test_midterm_review_nests_three_levels(corpus) -> None:
    doc = next(d for d in corpus if d.source.startswith("2023-changning"))
    paths = {s.path for s in parse_sections(doc)}
    assert ("一、进展情况", "（一）主要指标目标完成情况", "3、加大养老服务供给力度") in paths
    assert ("四、思路举措", "（二）提升“一老一小”群体服务质效", "1、优化养老服务多元供给") in paths


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
    again = [c for d in corpus for c in chunk_document(d)]  # chunking again gives the same ids
    assert [c.chunk_id for c in again] == [c.chunk_id for c in every]


def test_baoshan_copies_give_no_repeated_chunks(chunks) -> None:
    texts = [c.text for c in chunks["2022-baoshan-work-plan.txt"]]
    assert len(texts) == len(set(texts))
