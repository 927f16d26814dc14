"""Simulated annealing: the specified acceptance rule, cooling schedule and restarts."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from cairn.errors import UserError
from cairn.optim.anneal import SimulatedAnnealing, acceptance_probability
from cairn.space import Float, Space
from cairn.trial import Result

SPACE = Space([Float("x", 0, 1), Float("y", -5, 5)])


def tell(opt: SimulatedAnnealing, loss: float) -> None:
    opt.tell(opt.ask(), Result(loss=loss))


@pytest.mark.parametrize("delta, t", [(0.1, 1.0), (1.0, 1.0), (3.0, 0.5), (1e-3, 1e-2)])
def test_acceptance_of_worse_points_follows_the_formula(delta, t):
    assert acceptance_probability(delta, t) == pytest.approx(1 / (1 + math.exp(delta / t)))


def test_better_or_equal_points_are_always_accepted():
    assert acceptance_probability(-2.0, 1.0) == 1.0
    assert acceptance_probability(0.0, 1e-9) == 1.0
    assert acceptance_probability(-math.inf, 1.0) == 1.0


def test_failures_and_huge_ratios_are_rejected_without_overflow():
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        assert acceptance_probability(math.inf, 1.0) == 0.0
        assert acceptance_probability(math.nan, 1.0) == 0.0
        assert acceptance_probability(np.float64(1e6), np.float64(1e-6)) == 0.0
        assert acceptance_probability(1.0, 0.0) == 0.0


def test_initial_temperature_is_the_spread_and_walk_starts_at_the_best():
    opt = SimulatedAnnealing(SPACE, n_init=5)
    trials = [opt.ask() for _ in range(5)]
    for trial, loss in zip(trials, [3.0, 1.0, 4.0, math.inf, 5.0], strict=True):
        opt.tell(trial, Result(loss=loss))
    assert opt.temperature == 4.0  # 5 - 1 over the finite losses
    assert opt.current == trials[1].config and opt.current_loss == 1.0


def test_temperature_decays_geometrically_per_result():
    opt = SimulatedAnnealing(SPACE, t0=2.0, alpha=0.9, n_init=1, restart_below=1e-9)
    tell(opt, 1.0)
    assert opt.temperature == 2.0
    for k in range(1, 31):
        tell(opt, float(k % 3))
        assert opt.temperature == pytest.approx(2.0 * 0.9**k)


def test_worse_points_are_accepted_at_the_specified_rate():
    # alpha ~ 1 keeps T = 1; every proposal is worse by ln 3, so P = 1 / (1 + 3).
    opt = SimulatedAnnealing(SPACE, t0=1.0, alpha=1 - 1e-12, n_init=1)
    tell(opt, 0.0)
    accepted, n = 0, 4000
    for _ in range(n):
        before = opt.current_loss
        tell(opt, before + math.log(3))
        accepted += opt.current_loss != before
    assert abs(accepted / n - 0.25) < 0.03
    for _ in range(20):
        before = opt.current_loss
        tell(opt, before - 1.0)
        assert opt.current_loss == before - 1.0


def test_failed_trials_never_become_current_and_raise_no_warnings():
    opt = SimulatedAnnealing(SPACE, t0=1.0, n_init=1, restart_below=1e-9)
    tell(opt, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(20):
            opt.tell(opt.ask(), Result.failure("boom"))
    assert opt.current_loss == 0.5
    assert opt.temperature == pytest.approx(0.95**20)


def test_restart_returns_to_the_best_point_reheats_and_narrows():
    opt = SimulatedAnnealing(SPACE, t0=1.0, alpha=0.5, n_init=1, restart_below=0.1, eps=0.2)
    tell(opt, 0.0)
    best = opt.current
    for _ in range(3):  # T = 0.5, 0.25, 0.125: no restart yet
        tell(opt, 10.0)
    assert opt.restarts == 0
    tell(opt, 10.0)  # T = 0.0625 < 0.1
    assert opt.restarts == 1
    assert opt.temperature == 1.0
    assert opt.eps == pytest.approx(0.1)
    assert opt.current == best and opt.current_loss == 0.0


def test_ask_ahead_of_tell_proposes_neighbours_of_the_current_point():
    opt = SimulatedAnnealing(SPACE, t0=1.0, n_init=1, eps=0.1)
    tell(opt, 0.0)
    centre = SPACE.encode(opt.current)
    pending = [opt.ask() for _ in range(5)]
    for trial in pending:
        assert np.all(np.abs(SPACE.encode(trial.config) - centre) <= 0.1 + 1e-12)
    for trial in reversed(pending):
        opt.tell(trial, Result(loss=-1.0))
    assert opt.current_loss == -1.0


def test_invalid_options_are_user_errors():
    with pytest.raises(UserError, match="alpha"):
        SimulatedAnnealing(SPACE, alpha=1.0)
    with pytest.raises(UserError, match="eps"):
        SimulatedAnnealing(SPACE, eps=0.0)
