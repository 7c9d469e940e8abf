"""The gold questions: well-formed, the planned mix, and every quote verbatim in the cleaned corpus."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from assistant.core.settings import Settings
from assistant.eval.scoring import NUMERIC_TYPES, TYPES, load_gold
from assistant.ingest.loading import load_corpus

GOLD = Path(__file__).resolve().parents[2] / "eval" / "questions.jsonl"
ROWS = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def corpus_texts() -> dict[str, str]:
    docs, skipped = load_corpus(Settings())
    assert not skipped
    return {d.source: d.text for d in docs}


def test_every_line_parses_with_the_fields():
    lines = [line for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) == len(ROWS) >= 220
    for r in ROWS:
        assert {"id", "question", "history", "answer", "value", "unit", "quote", "doc", "type"} <= r.keys(), r


def test_ids_unique_and_types_known():
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids))
    assert {r["type"] for r in ROWS} == set(TYPES)


def test_the_mix_of_types():
    counts = Counter(r["type"] for r in ROWS)
    assert counts["numeric"] >= 80
    assert counts["numeric_trap"] >= 35
    assert counts["chinese_numeral"] >= 15
    assert counts["text"] >= 30
    assert counts["unanswerable"] >= 35
    assert counts["followup"] >= 20
    assert counts["cross_doc"] >= 10


@pytest.mark.parametrize("r", [r for r in ROWS if r["type"] in NUMERIC_TYPES], ids=lambda r: r["id"])
def test_numeric_types_have_value_and_unit(r):
    assert isinstance(r["value"], int | float) and r["unit"]


@pytest.mark.parametrize("r", [r for r in ROWS if r["value"] is not None and r["type"] != "cross_doc"],
                         ids=lambda r: r["id"])
def test_the_figure_as_written_stands_in_its_quote(r):
    assert r["answer"] in r["quote"]


def test_percentages_are_fractions():
    assert any(r["unit"] == "%" and r["type"] == "cross_doc" and r["value"] == 0.25 for r in ROWS)
    for r in ROWS:
        if r["unit"] == "%" and r["type"] != "cross_doc":
            assert 0 <= r["value"] <= 1 and r["answer"].endswith("%"), r["id"]
            assert abs(float(r["answer"].rstrip("%")) / 100 - r["value"]) < 1e-9, r["id"]


def test_unanswerable_have_no_answer_and_answerable_have_a_quote():
    for r in ROWS:
        if r["type"] == "unanswerable" or r["answer"] is None:
            assert r["value"] is None and r["quote"] is None, r["id"]
        else:
            assert r["quote"], r["id"]


def test_followups_have_history_and_the_rest_do_not():
    for r in ROWS:
        assert bool(r["history"]) == (r["type"] == "followup"), r["id"]


def test_text_keywords_stand_in_the_quote():
    for r in ROWS:
        if r["type"] == "text":
            assert r["keywords"], r["id"]
            assert all(k in r["quote"] for k in r["keywords"]), r["id"]


def test_cross_doc_quotes_name_their_documents():
    for r in ROWS:
        if r["type"] == "cross_doc":
            assert isinstance(r["quote"], list) and len(r["quote"]) >= 2, r["id"]
            assert isinstance(r["doc"], list) and len(r["doc"]) == len(r["quote"]), r["id"]


@pytest.mark.parametrize("r", [r for r in ROWS if r["quote"]], ids=lambda r: r["id"])
def test_quote_stands_verbatim_in_the_cleaned_document(r, corpus_texts):
    quotes = r["quote"] if isinstance(r["quote"], list) else [r["quote"]]
    docs = r["doc"] if isinstance(r["doc"], list) else [r["doc"]]
    for quote, doc in zip(quotes, docs, strict=True):
        assert doc in corpus_texts
        assert quote in corpus_texts[doc], f"{r['id']}: {quote}"


def test_load_gold_accepts_the_shipped_file(corpus_texts):
    docs, _ = load_corpus(Settings())
    questions = load_gold(GOLD, docs)
    assert len(questions) == len(ROWS)
    assert {q.type for q in questions} == set(TYPES)
