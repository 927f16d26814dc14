"""BOHB: model-based sampling on the largest budget with data, and budget savings on MF-Hartmann3."""

from __future__ import annotations

import numpy as np
import pytest

from cairn.benchmarks.multifidelity import budget_to_reach, mf_hartmann3, regret_at, trajectory
from cairn.errors import UserError
from cairn.optim import make_optimizer
from cairn.optim.bohb import BOHB
from cairn.space import Config, Float, Space
from cairn.trial import Result, Trial

SPACE = Space([Float("x", 0, 1)])


def told(opt: BOHB, budget: float, best_x: float, n: int = 20) -> None:
    """Tell ``n`` evenly spread results at ``budget`` whose loss is lowest at ``best_x``."""
    for i, x in enumerate(np.linspace(0, 1, n)):
        trial = Trial(10_000 + 100 * int(budget) + i, Config(x=float(x)), budget)
        opt.tell(trial, Result(loss=abs(x - best_x)))


def proposals(opt: BOHB, n: int = 20) -> np.ndarray:
    return np.array([opt.ask().config["x"] for _ in range(n)])


def test_new_configs_follow_the_model_of_the_largest_budget_with_data():
    opt = BOHB(SPACE, seed=0, min_budget=1, max_budget=9, random_fraction=0.0)
    told(opt, 1, best_x=0.2)
    assert abs(np.median(proposals(opt)) - 0.2) < 0.1
    told(opt, 3, best_x=0.8)
    assert abs(np.median(proposals(opt)) - 0.8) < 0.1


def test_too_few_results_leave_sampling_random():
    opt = BOHB(SPACE, seed=0, min_budget=1, max_budget=9, random_fraction=0.0)  # n_min = 2
    told(opt, 9, best_x=0.8, n=3)
    x = proposals(opt, 200)
    assert 0.4 < np.mean(x) < 0.6 and x.min() < 0.05 and x.max() > 0.95


def test_random_fraction_keeps_some_uniform_configs():
    opt = BOHB(SPACE, seed=0, min_budget=1, max_budget=9, random_fraction=0.5)
    told(opt, 1, best_x=0.05)
    x = proposals(opt, 200)
    assert 0.25 < np.mean(x > 0.3) < 0.6


def test_reproducible_by_seed():
    bench = mf_hartmann3()

    def run(seed: int) -> list:
        opt = make_optimizer("bohb", bench.space, seed=seed, min_budget=bench.min_budget)
        trajectory(bench, opt, 8)
        return [(t.config, t.budget) for t in opt.history]

    assert run(2) == run(2) != run(3)


def test_bohb_needs_less_budget_than_random_search_and_beats_hyperband():
    """Over 12 seeds at 50 full evaluations of budget (median curves):

    BOHB reaches random search's final regret in at most half of the budget, and ends
    at most 0.8 times Hyperband's regret.
    """
    bench, total, seeds = mf_hartmann3(), 50.0, range(12)
    grid = np.linspace(0, total, 201)[1:]

    def median_curve(strategy: str) -> np.ndarray:
        options = {} if strategy == "random" else dict(min_budget=bench.min_budget, max_budget=bench.max_budget)
        curves = [regret_at(*trajectory(bench, make_optimizer(strategy, bench.space, seed=s, **options), total), grid)
                  for s in seeds]
        return np.median(curves, axis=0)

    random, hyperband, bohb = (median_curve(s) for s in ("random", "hyperband", "bohb"))
    assert budget_to_reach(grid, bohb, random[-1]) <= 0.5 * total
    assert bohb[-1] <= 0.8 * hyperband[-1], (bohb[-1], hyperband[-1])


@pytest.mark.parametrize("options", [dict(random_fraction=1.5), dict(top_fraction=0), dict(n_min=0),
                                     dict(n_candidates=0)])
def test_bad_settings_are_user_errors(options):
    with pytest.raises(UserError):
        BOHB(SPACE, **options)
