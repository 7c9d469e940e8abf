"""The textbook llama-index pipeline the evaluation compares against, on the shipped corpus."""

from __future__ import annotations

import pytest

from assistant.core.settings import Settings
from assistant.eval.baseline import run_baseline
from assistant.eval.scoring import RETRIEVAL_TYPES, load_gold
from assistant.index.embedding import get_embedder


@pytest.mark.slow
def test_baseline_runs_the_textbook_pipeline_on_the_real_corpus():
    settings = Settings()
    gold = load_gold(settings.eval_dir / "questions.jsonl")
    sub = [q for q in gold if q.type in RETRIEVAL_TYPES][:40]
    scores = run_baseline(settings, get_embedder(settings), sub)
    assert scores["n"] == 40
    assert 0.2 <= scores["hit@5"] <= 1.0 and scores["hit@1"] <= scores["hit@5"]
