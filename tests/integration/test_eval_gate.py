"""Regression gate per corpus: every question set through the real system; a change that loses accuracy fails.

Floors sit one question (or 4 points) under the figures measured when they were set (README, "Figures");
raise them when the system gets better, never lower them to make a change pass.

History, said plainly: until 2026-12-01 the shipped gold set was gated at numeric 0.97 by an answer layer
whose word lists and weights were lifted from the five shipped documents (issue 12); on documents of other
places it answered 0–4% of figures. The general answer layer that replaced it measures numeric 0.85 on the
gold set and 0.67–0.79 on the development corpora; on 2026-12-02 0.865 on gold and 0.73–0.85 on the
development corpora (0.70 on the held-out one); later that day 0.90 on gold and 0.75–0.93 on the development
corpora (0.67 on the held-out one, whose gate turned back a change that lost one of its questions); on
the evening of 2026-12-02 0.93 on gold and 0.86–0.96 on the development corpora (0.70 held out), after a signal
for the paragraph before a figure; these floors gate those measured levels. The held-out false-refusal ceiling
rose once, 0.08 -> 0.10, with that change: its one new refusal was an answer that had been wrong (the set's
answers moved wrong -> right once and wrong -> refused once; nothing right was lost), which the product ranks
above a wrong figure. On 2026-12-04 the floors and ceilings were moved to one question from the levels then
measured (gold numeric 0.939, 南京 0.964, 全国 0.929, 杭州 0.967; 东莞 0.926 stays above its 0.92). hrss-2022-2023
is the held-out corpus: its questions were written blind and never used for fitting or reading failures.
Later on 2026-12-04 the refusal floors rose with the sibling and contrast rules (gold refusal 0.921, 南京 0.875)
and gold numeric to 0.94 (measured 0.946); hrss-2022-2023 numeric 0.70 (measured 0.741, 0.704 before).
On 2026-12-07 gold numeric 0.945 (measured 0.953).
"""

from pathlib import Path

import pytest

from assistant.eval.evaluation import corpus_settings, run_eval
from assistant.eval.scoring import load_gold
from assistant.ingest.loading import load_corpus
from assistant.serve.engine import build_engine

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "corpora"

FLOORS = {
    "shipped": {"numeric_exact_match": 0.945, "refusal_accuracy": 0.89, "followup_accuracy": 0.95, "text_match": 0.90, "hit@5": 0.96},
    "nanjing-2021-2024": {"numeric_exact_match": 0.92, "refusal_accuracy": 0.75, "followup_accuracy": 0.83, "text_match": 0.66, "hit@5": 0.90},
    "national-2023-2024": {"numeric_exact_match": 0.89, "refusal_accuracy": 0.75, "followup_accuracy": 0.83, "text_match": 0.83, "hit@5": 0.96},
    "dongguan-2023-2024": {"numeric_exact_match": 0.92, "refusal_accuracy": 0.87, "followup_accuracy": 0.66, "text_match": 0.83, "hit@5": 0.96},
    "hangzhou-env-2024": {"numeric_exact_match": 0.93, "refusal_accuracy": 0.87, "followup_accuracy": 0.66, "text_match": 0.83, "hit@5": 0.96},
    "hrss-2022-2023": {"numeric_exact_match": 0.70, "refusal_accuracy": 0.87, "followup_accuracy": 0.50, "text_match": 0.66, "hit@5": 0.96},
}
CEILINGS = {
    "shipped": {"false_refusal_rate": 0.02},
    "nanjing-2021-2024": {"false_refusal_rate": 0.08},
    "national-2023-2024": {"false_refusal_rate": 0.05},
    "dongguan-2023-2024": {"false_refusal_rate": 0.05},
    "hangzhou-env-2024": {"false_refusal_rate": 0.03},
    "hrss-2022-2023": {"false_refusal_rate": 0.10},  # see the docstring
}


@pytest.fixture(scope="module", params=sorted(FLOORS))
def report(request, real_settings, tmp_path_factory):
    name = request.param
    if name == "shipped":
        engine, questions = build_engine(real_settings), ROOT / "eval" / "questions.jsonl"
    else:
        if not (SHARED / name).is_dir():
            pytest.skip(f"{SHARED / name} is missing: the development corpora sit beside the project in ../shared")
        settings = corpus_settings(real_settings.model_copy(update={"index_dir": tmp_path_factory.mktemp(name)}),
                                   SHARED / name, index_dir_given=True)
        engine, questions = build_engine(settings), ROOT / "eval" / "corpora" / name / "questions.jsonl"
    docs, _ = load_corpus(engine.settings)
    return name, run_eval(engine, load_gold(questions, docs), tmp_path_factory.mktemp(f"eval-{name}"))


def test_metrics_stay_above_their_floors(report):
    name, r = report
    low = {m: (r.metrics[m], f) for m, f in FLOORS[name].items() if r.metrics.get(m) is not None and r.metrics[m] < f}
    assert not low, f"{name}: {low}\n{_failures(r)}"


def test_false_refusals_stay_below_their_ceiling(report):
    name, r = report
    ceiling = CEILINGS[name]["false_refusal_rate"]
    assert r.metrics["false_refusal_rate"] <= ceiling, f"{name}: {r.metrics['false_refusal_rate']} > {ceiling}"


def _failures(report) -> str:
    bad = [r for r in report.results if not r.correct]
    return "\n".join(f"{r.id} {r.question!r}: expected {r.expected!r}, got {r.got[:80]!r}" for r in bad[:40])
