"""Regression gate: the whole gold set through the real system; a change that loses accuracy fails.

Thresholds sit just under the figures measured when they were set (see eval/report.md); raise them
when the system gets better, never lower them to make a change pass.
"""

from pathlib import Path

import pytest

from assistant.eval.evaluation import run_eval
from assistant.eval.scoring import load_gold

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

# Measured 2026-11-24 on the 251 gold questions: numeric 98.0%, follow-up 100%, refusal 100%,
# text 90.9%, citation precision 97.2%, hit@5 98.9%, false refusals 0.0%.
FLOORS = {
    "numeric_exact_match": 0.97,
    "followup_accuracy": 0.95,
    "refusal_accuracy": 0.97,
    "text_match": 0.87,
    "citation_precision": 0.95,
    "hit@5": 0.97,
}
CEILINGS = {"false_refusal_rate": 0.02}


@pytest.fixture(scope="module")
def report(real_engine, tmp_path_factory):
    return run_eval(real_engine, load_gold(ROOT / "eval" / "questions.jsonl"), tmp_path_factory.mktemp("eval"))


@pytest.mark.parametrize("metric", sorted(FLOORS))
def test_metric_stays_above_its_floor(report, metric):
    assert report.metrics[metric] >= FLOORS[metric], _failures(report)


@pytest.mark.parametrize("metric", sorted(CEILINGS))
def test_metric_stays_below_its_ceiling(report, metric):
    assert report.metrics[metric] <= CEILINGS[metric], _failures(report)


def _failures(report) -> str:
    bad = [r for r in report.results if not r.correct]
    return "\n".join(f"{r.id} {r.question!r}: expected {r.expected!r}, got {r.got[:80]!r}" for r in bad[:40])
