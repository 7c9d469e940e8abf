"""Fact extraction on the shipped corpus: exact spans, the figures the gold questions ask for, subjects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.core.settings import get_settings
from assistant.core.types import Document, Fact
from assistant.ingest.facts import extract_facts
from assistant.ingest.loading import load_corpus
from assistant.ingest.sectioning import chunk_document
from assistant.ingest.subjects import CHANGE_VERBS

GOLD = Path(__file__).resolve().parents[2] / "eval" / "questions.jsonl"


def _by_written(facts: list[Fact]) -> dict[str, Fact]:
    out: dict[str, Fact] = {}
    for f in facts:
        out.setdefault(f.as_written, f)
    return out


@pytest.fixture(scope="module")
def corpus() -> dict[str, tuple[Document, list[Fact]]]:
    docs, _ = load_corpus(get_settings())
    out = {}
    for d in docs:
        chunks = chunk_document(d)
        facts = extract_facts(d, chunks)
        chunk_ids = {c.chunk_id: c for c in chunks}
        for f in facts:
            c = chunk_ids[f.chunk_id]
            assert c.start <= f.start and f.end <= c.end
        out[d.source] = (d, facts)
    return out


def _find(facts: list[Fact], written: str, subject_part: str) -> list[Fact]:
    return [f for f in facts if f.as_written == written and f.subject and subject_part in f.subject]


def test_corpus_spans_are_exact_and_unique(corpus):
    assert len(corpus) == 5
    for doc, facts in corpus.values():
        assert facts
        assert len({(f.start, f.end) for f in facts}) == len(facts)
        assert all(doc.text[f.start:f.end] == f.as_written for f in facts)


def test_putuo_2024_new_beds(corpus):
    doc, facts = corpus["2024-putuo-work-plan.txt"]
    [f] = _find(facts, "200张", "养老床位")
    assert (f.value, f.unit, f.qualifier, f.subject) == (200, "张", "新增", "养老床位")
    assert (f.year, f.district) == (2024, "普陀区")
    assert f.planned


def test_changning_and_baoshan_2022_beds(corpus):
    _, changning = corpus["2022-changning-work-plan.txt"]
    [f] = _find(changning, "200张", "床位")
    assert (f.qualifier, f.year, f.district) == ("新增", 2022, "长宁区")
    _, baoshan = corpus["2022-baoshan-work-plan.txt"]
    [g] = _find(baoshan, "760张", "养老床位")  # the triplicated text yields the figure once
    assert (g.qualifier, g.year, g.district) == ("新增", 2022, "宝山区")
    [h] = _find(baoshan, "180张", "认知障碍照护床位")
    assert h.qualifier == "改建"


def test_midterm_review_qualifiers(corpus):
    _, facts = corpus["2023-changning-14th-fyp-midterm-review.txt"]
    expected = {("518张", "床位"): "新增", ("3464张", "护理型床位"): "改建", ("6928张", "养老床位"): "总数",
                ("53家", "养老机构"): "总数", ("100张", "重度残疾养护床位"): "新增"}
    for (written, subject), qualifier in expected.items():
        [f] = _find(facts, written, subject)
        assert f.qualifier == qualifier and f.year is None
    [planned] = _find(facts, "100张", "重度残疾养护床位")
    assert planned.planned


def _gold_rows(types: tuple[str, ...]) -> list[dict]:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["type"] in types and r["quote"] and isinstance(r["doc"], str)]


def test_every_gold_figure_is_a_fact_with_its_value_and_unit(corpus):
    """Each figure a numeric or Chinese-numeral gold question asks for stands as a fact in its quote."""
    rows = _gold_rows(("numeric", "numeric_trap", "chinese_numeral"))
    assert len(rows) >= 140
    missing = []
    for r in rows:
        doc, facts = corpus[r["doc"]]
        q0 = doc.text.find(r["quote"])
        q1 = q0 + len(r["quote"])
        found = [f for f in facts if q0 <= f.start and f.end <= q1 and r["answer"].startswith(f.as_written)
                 and abs(f.value - r["value"]) < 1e-9 and f.unit == r["unit"]]
        if not found:
            missing.append(r["id"])
    assert missing == []


def test_corpus_units_ages_and_subjects(corpus):
    for doc, facts in corpus.values():
        for f in facts:
            assert f.unit, f  # a bare 万 amount takes the unit its words name
            if f.unit in ("岁", "周岁"):
                assert f.subject and ("年龄" in f.subject or "寿命" in f.subject), f
            assert f.subject not in CHANGE_VERBS and not (f.subject or "").startswith(("比上", "相较")), f
            assert f.context and f.as_written in f.context
            assert doc.text.find(f.context) <= f.start < doc.text.find(f.context) + len(f.context)


def test_corpus_subjects_found_outside_the_figures_clause(corpus):
    _, city = corpus["2022-shanghai-work-plan.txt"]
    [f] = [f for f in city if f.as_written == "20家" and f.qualifier == "新增" and "年内" in f.context]
    assert f.subject == "乡村长者照护之家" and "乡村长者照护之家" in f.context
    _, review = corpus["2023-changning-14th-fyp-midterm-review.txt"]
    by = _by_written(review)
    assert by["80周岁"].subject == "年龄" and by["80周岁"].qualifier == "不低于"
    assert by["4.01万人"].subject == "80周岁以上户籍老年人"
    assert by["21.29万人次"].subject.startswith("残疾人两项补贴")
    assert by["第五轮"].unit == "轮" and by["第五轮"].subject == "区界联检"
    assert {f.as_written for f in review} >= {"两级", "三级", "四方", "三十周年"}
    assert not {"二十届", "十九届", "十四五", "第三方", "八项"} & {f.as_written for f in review}
