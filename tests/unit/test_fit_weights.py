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
