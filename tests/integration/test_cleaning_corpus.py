"""Cleaning on the shipped corpus: the conventions every cleaned document follows."""

# ruff: noqa: E501 -- tables of Chinese text; ruff counts each CJK character twice

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.text.cleaning import clean_text

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def read(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


def test_baoshan_triplicated_text_is_kept_once() -> None:
    raw = read("2022-baoshan-work-plan.txt")
    text = clean_text(raw).text
    assert raw.count("新增760张养老床位") == 3
    assert text.count("新增760张养老床位") == 1
    long_paragraphs = [p for p in text.split("\n") if len(p) >= 20]
    assert len(long_paragraphs) > 30
    for p in long_paragraphs:
        assert text.count(p) == 1, p[:30]
    # nothing is lost: every line of the raw text survives somewhere in the cleaned text
    for line in raw.split("\n"):
        if line.strip():
            assert clean_text(line).text in text, line[:30]
    # the letterhead's repeated short lines are harmless and stay in the first copy
    assert text.startswith("上海市宝山区民政局\n关于印发《2022年宝山民政工作要点》的通知\n")


def test_putuo_figures_and_page_breaks() -> None:
    text = clean_text(read("2024-putuo-work-plan.txt")).text
    assert "计划新增200张养老床位" in text
    assert "200 张" not in text
    assert "重点关注有心理困境、社会融入等发展性需求的群体" in text  # page break rejoined
    assert "帮助老年人跨越数字鸿沟；" in text  # broken mid-word
    assert "抓好12345热线" in text
    lines = text.split("\n")
    assert "一、健全分层分类社会救助体系" in lines
    assert "二、建设高品质普惠养老格局" in lines


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.txt")))
def test_corpus_follows_conventions(name: str) -> None:
    cleaned = clean_text(read(name))
    text = cleaned.text
    assert "**" not in text and "---" not in text
    assert not re.search(r"^#", text, re.M)
    cjk = "\u4e00-\u9fff\u3000-\u303f\uff01-\uff0f\uff1a-\uff20“”"  # characters and full-width punctuation
    assert not re.search(rf"[{cjk}][,;:!?]|[,;:!?][{cjk}]", text)  # half-width next to CJK
    assert not re.search(r"[\u4e00-\u9fff] +\d|\d +[\u4e00-\u9fff%]", text)  # spaces around figures
    assert not re.search(r"[０-９％]", text)
    assert not re.search(r"\(|\)", text)
    assert "\n\n" not in text and text == text.strip()
    for s, e in cleaned.headings:  # heading spans start lines
        assert s == 0 or text[s - 1] == "\n"
        assert 0 < e - s <= 60


def test_corpus_page_breaks_all_rejoined() -> None:
    """Each corpus paragraph ends with sentence-final punctuation unless it is a title-like line."""
    for path in sorted(CORPUS.glob("*.txt")):
        for line in clean_text(path.read_text(encoding="utf-8")).text.split("\n"):
            if re.search(r"[。！？；：”）]$", line):
                continue
            assert len(line) <= 40 and "。" not in line, (path.name, line[-30:])
