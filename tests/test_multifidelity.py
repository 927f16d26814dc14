"""MF-Hartmann: exact at the full budget, biased and noisy below it, and the budget-accounted loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cairn.benchmarks import get_benchmark
from cairn.benchmarks.multifidelity import (
    MF_BENCHMARKS,
    budget_to_reach,
    mf_hartmann3,
    regret_at,
    trajectory,
)
from cairn.errors import UserError
from cairn.optim.halving import Hyperband
from cairn.optim.random import RandomSearch

BUDGETS = [1 / 27, 1 / 9, 1 / 3, 1.0]


@pytest.mark.parametrize("name", sorted(MF_BENCHMARKS))
def test_full_budget_is_the_true_function(name):
    bench = MF_BENCHMARKS[name]()
    target = get_benchmark(name.removeprefix("mf-"))
    rng = np.random.default_rng(0)
    for config in (bench.space.sample(rng) for _ in range(20)):
        assert bench(config) == bench(config, 1.0) == pytest.approx(target(config))
    best = {f"x{i}": v for i, v in enumerate(target.minimisers[0])}
    assert bench.regret(bench(best)) == pytest.approx(0.0, abs=1e-4)


@pytest.mark.parametrize("name", sorted(MF_BENCHMARKS))
def test_error_shrinks_with_budget_but_ranks_stay_correlated(name):
    bench = MF_BENCHMARKS[name]()
    rng = np.random.default_rng(1)
    configs = [bench.space.sample(rng) for _ in range(300)]
    true = np.array([bench(c) for c in configs])
    errors = [np.mean(np.abs([bench(c, b) for c in configs] - true)) for b in BUDGETS]
    assert all(a > b for a, b in zip(errors, errors[1:], strict=False)) and errors[-1] == 0.0
    low = [bench(c, BUDGETS[0]) for c in configs]
    assert 0.5 < stats.spearmanr(low, true).statistic < 0.999


def test_noise_is_seeded_and_repeatable():
    config = {"x0": 0.2, "x1": 0.5, "x2": 0.7}
    a, b = mf_hartmann3(seed=0), mf_hartmann3(seed=1)
    assert a(config, 1 / 27) == a(config, 1 / 27) == mf_hartmann3(seed=0)(config, 1 / 27)
    assert a(config, 1 / 27) != b(config, 1 / 27)
    noiseless = mf_hartmann3(noise=0.0)(config, 1 / 27)
    assert a(config, 1 / 27) >= noiseless  # |N(0, 1)| noise, as in mf-prior-bench


def test_cost_is_proportional_to_budget_and_budgets_are_checked():
    bench = mf_hartmann3(min_budget=1, max_budget=81)
    assert [bench.cost(b) for b in (1, 27, 81, None)] == pytest.approx([1 / 81, 1 / 3, 1, 1])
    assert bench.fidelity(9) == pytest.approx(0.5)
    with pytest.raises(UserError):
        bench({"x0": 0.1, "x1": 0.1, "x2": 0.1}, 100)
    with pytest.raises(UserError):
        mf_hartmann3(min_budget=2, max_budget=1)


def test_trajectory_counts_budget_and_only_full_budget_regret():
    bench = mf_hartmann3()
    spent, regrets = trajectory(bench, Hyperband(bench.space, seed=0, min_budget=bench.min_budget), 10)
    assert spent[-1] >= 10 and np.all(np.diff(spent) > 0)
    assert spent[0] == pytest.approx(1 / 27) and regrets[0] == math.inf  # low budgets do not count
    finite = regrets[np.isfinite(regrets)]
    assert len(finite) and np.all(np.diff(finite) <= 0)

    spent, regrets = trajectory(bench, RandomSearch(bench.space, seed=0), 5)
    assert spent.tolist() == [1, 2, 3, 4, 5] and np.all(np.isfinite(regrets))


def test_regret_at_and_budget_to_reach():
    spent, regrets = np.array([1.0, 2.0, 4.0]), np.array([math.inf, 0.5, 0.1])
    assert regret_at(spent, regrets, np.array([0.5, 1, 3, 10])).tolist() == [math.inf, math.inf, 0.5, 0.1]
    assert budget_to_reach(spent, regrets, 0.5) == 2.0
    assert budget_to_reach(spent, regrets, 0.01) == math.inf
