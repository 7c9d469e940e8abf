"""Hybrid retrieval on the shipped corpus with the real embedder, and `assistant search` over it."""

from __future__ import annotations

import io
import json

import pytest

from assistant.core.settings import Settings
from assistant.serve.cli import main

PUTUO_SECTION = ("二、建设高品质普惠养老格局", "二是推动“普惠共享”多元养老新发展")


@pytest.fixture(scope="module")
def engine(real_engine):
    return real_engine


@pytest.mark.slow
def test_real_putuo_beds_question_finds_the_putuo_chunk_first(engine):
    hits = engine.search("普陀2024年新增多少养老床位？")
    top = hits[0].chunk
    assert top.district == "普陀区"
    assert "计划新增200张养老床位" in top.text
    assert top.section == PUTUO_SECTION
    assert hits[0].dense_score is not None and hits[0].keyword_score is not None
    doc = engine.index.documents[top.doc_id]
    assert doc.text[top.start:top.end] == top.text


@pytest.mark.slow
@pytest.mark.parametrize(
    "question, district, document_wording",
    [
        ("宝山2022年新增多少养老院床位？", "宝山区", "养老床位"),
        ("长宁2022年新增多少养老院床位？", "长宁区", "养老床位"),
        ("宝山2022年新增多少认知症床位？", "宝山区", "认知障碍"),
        ("普陀2024年认知症床位有多少？", "普陀区", "认知障碍"),
        ("长宁认知症友好社区建设得怎么样？", "长宁区", "认知障碍"),
        ("上海2022年新增多少助餐点？", "上海市", "社区老年助餐服务场所"),
        ("宝山2022年新增多少助餐点？", "宝山区", "社区老年助餐服务场所"),
    ],
)
def test_real_everyday_wording_finds_document_wording(engine, question, district, document_wording):
    assert document_wording not in question
    hits = engine.search(question, k=3)
    assert hits[0].chunk.district == district
    assert document_wording in hits[0].chunk.text
    assert hits[0].keyword_score is not None  # the expansion reached the keyword side too


def _use(engine, monkeypatch) -> list[Settings]:
    """Let the CLI reuse the loaded engine (one model load for the module); record its settings."""
    seen: list[Settings] = []

    def build(settings, progress=None):
        seen.append(settings)
        return engine

    monkeypatch.setattr("assistant.serve.cli.build_engine", build)
    return seen


@pytest.mark.slow
def test_cli_search_json(engine, monkeypatch, capsys):
    seen = _use(engine, monkeypatch)
    assert main(["search", "普陀2024年新增多少养老床位？", "-k", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out) == 3
    assert out[0]["district"] == "普陀区" and "计划新增200张养老床位" in out[0]["text"]
    assert out[0]["section_str"] == " › ".join(PUTUO_SECTION) and out[0]["section"] == list(PUTUO_SECTION)
    assert out[0]["chunk_id"] == engine.search("普陀2024年新增多少养老床位？", k=1)[0].chunk.chunk_id
    assert seen[0].index_dir == Settings().index_dir


@pytest.mark.slow
def test_cli_search_reads_one_question_a_line_from_stdin(engine, monkeypatch, capsys):
    _use(engine, monkeypatch)
    monkeypatch.setattr("sys.stdin", io.StringIO("普陀2024年新增多少养老床位？\n\n  \n宝山2022年新增多少助餐点？\n"))
    assert main(["search", "-k", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2  # blank lines are skipped
    rows = [json.loads(line) for line in lines]
    assert [r["question"] for r in rows] == ["普陀2024年新增多少养老床位？", "宝山2022年新增多少助餐点？"]
    assert all(len(r["hits"]) == 2 for r in rows)
    assert rows[0]["hits"][0]["district"] == "普陀区"
    assert rows[1]["hits"][0]["district"] == "宝山区"
    assert "社区老年助餐服务场所" in rows[1]["hits"][0]["text"]
