"""The weight fitter's choice of threshold (eval/fit_weights.py)."""

import importlib.util
from pathlib import Path

_SPEC = importlib.util.spec_from_file_location("fit_weights", Path(__file__).parents[2] / "eval" / "fit_weights.py")
fit_weights = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(fit_weights)


def test_a_tied_best_run_of_thresholds_gives_its_middle():
    scores = [(0.1, 0.5), (0.2, 0.7), (0.3, 0.7), (0.4, 0.7), (0.5, 0.6), (0.6, 0.7)]
    assert fit_weights.plateau_middle(scores) == (0.3, 0.7)


def test_a_single_best_threshold_is_chosen_even_at_the_edge_of_the_grid():
    assert fit_weights.plateau_middle([(0.0025, 0.9), (0.005, 0.8)]) == (0.0025, 0.9)


def test_the_grids_reach_below_the_old_floors():
    assert fit_weights.FIGURE_GRID.min() < 0.05 and fit_weights.TEXT_GRID.min() < 0.2


def test_the_threshold_curve_gives_refusal_precision_and_recall():
    from types import SimpleNamespace as NS

    import numpy as np

    features = fit_weights.FEATURES
    weights = {f: 0.0 for f in features} | {features[0]: 1.0}
    logit = lambda p: float(np.log(p / (1 - p)))  # noqa: E731

    def entry(kind, p, right):
        x = {f: 0.0 for f in features} | {features[0]: logit(p)}
        return {"q": NS(type=kind, value=None if kind == "unanswerable" else 1.0), "corpus": "c",
                "query": NS(intent="lookup"), "gap": None, "cands": [(x, right)]}

    questions = [entry("numeric", 0.9, True), entry("numeric", 0.2, False), entry("unanswerable", 0.1, False),
                 entry("unanswerable", 0.6, False)]
    row = next(r for r in fit_weights.threshold_curve(questions, weights, 0.0) if abs(r["threshold"] - 0.5) < 1e-9)
    # refused at 0.5: the wrong 0.2 and the unanswerable 0.1 (both right); the unanswerable 0.6 is missed
    assert row["refusal_precision"] == 1.0 and abs(row["refusal_recall"] - 2 / 3) < 1e-9
    assert row["accuracy"] == 0.5  # right figure given, unanswerable refused; the other two wrong
