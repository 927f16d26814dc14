"""Recursive random search: sample counts, shrinking, realigning and restarts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cairn.optim.rrs import RecursiveRandomSearch, confidence_samples
from cairn.space import Categorical, Float, Int, Space
from cairn.trial import Result

SPACE = Space([Float("x", 0, 1), Float("y", -5, 5)])


def tell(opt: RecursiveRandomSearch, loss: float):
    trial = opt.ask()
    opt.tell(trial, Result(loss=loss))
    return trial


def explored(opt: RecursiveRandomSearch, losses) -> list:
    return [tell(opt, loss) for loss in losses]


def test_sample_counts_come_from_the_confidence_formula():
    assert confidence_samples(0.99, 0.1) == 44  # ln 0.01 / ln 0.9 = 43.7
    assert confidence_samples(0.99, 0.8) == 3  # ln 0.01 / ln 0.2 = 2.86
    assert confidence_samples(0.75, 0.5) == 2  # exactly 2, not rounded up
    opt = RecursiveRandomSearch(SPACE)
    assert (opt.n, opt.l) == (44, 3)


def test_first_batch_picks_the_best_sample_as_centre():
    opt = RecursiveRandomSearch(SPACE, p=0.9, r=0.5)  # n = 4
    trials = explored(opt, [5.0, 2.0, 7.0, 3.0])
    assert opt.centre == trials[1].config
    assert opt.threshold == 2.0
    assert opt.rho == pytest.approx(0.5**0.5)  # a box of volume r in 2-D


def test_exploitation_samples_inside_the_box():
    opt = RecursiveRandomSearch(SPACE, p=0.9, r=0.5)
    explored(opt, [5.0, 2.0, 7.0, 3.0])
    centre = SPACE.encode(opt.centre)
    for _ in range(30):
        x = SPACE.encode(opt.ask().config)
        assert np.all(np.abs(x - centre) <= opt.rho / 2 + 1e-12)


def test_region_shrinks_after_l_failures_and_realigns_on_improvement():
    opt = RecursiveRandomSearch(SPACE, p=0.9, r=0.5, c=0.5)
    explored(opt, [5.0, 2.0, 7.0, 3.0])
    rho = opt.rho
    explored(opt, [9.0] * (opt.l - 1))
    assert opt.rho == rho
    better = tell(opt, 1.0)  # realign: new centre, failure count reset
    assert opt.centre == better.config and opt.centre_loss == 1.0
    explored(opt, [9.0] * (opt.l - 1))
    assert opt.rho == rho
    tell(opt, 9.0)
    assert opt.rho == pytest.approx(rho * 0.5)
    assert opt.centre == better.config


def test_tiny_region_returns_to_exploration_and_threshold_restarts_exploitation():
    opt = RecursiveRandomSearch(SPACE, p=0.9, r=0.5, c=0.5, st=0.1)
    explored(opt, [5.0, 2.0, 7.0, 3.0])
    shrinks = math.ceil(math.log(0.1 / opt.rho) / math.log(0.5))
    explored(opt, [9.0] * (opt.l * shrinks))
    assert opt.centre is None
    explored(opt, [8.0, 6.0])  # not below the threshold 2.0
    assert opt.centre is None
    promising = tell(opt, 1.5)
    assert opt.centre == promising.config
    assert opt.rho == pytest.approx(opt.rho_start)


def test_threshold_is_the_mean_of_batch_minima():
    opt = RecursiveRandomSearch(SPACE, p=0.9, r=0.5, c=0.5, st=0.4)
    explored(opt, [5.0, 2.0, 7.0, 3.0])
    explored(opt, [9.0] * opt.l)  # side 0.707 -> 0.354 < st: exploration again
    assert opt.centre is None
    explored(opt, [6.0, 4.0, 8.0, 5.0])
    assert opt.threshold == pytest.approx((2.0 + 4.0) / 2)


def test_failed_trials_never_become_the_centre():
    opt = RecursiveRandomSearch(SPACE, p=0.9, r=0.5)
    for _ in range(3):
        opt.tell(opt.ask(), Result.failure("boom"))
    last = tell(opt, 4.0)
    assert opt.centre == last.config
    opt.tell(opt.ask(), Result.failure("boom"))
    assert opt.centre == last.config


def test_mixed_conditional_space_with_async_asks():
    space = Space(
        [Categorical("kind", ["a", "b", "c"]), Float("lr", 1e-4, 1, log=True), Int("depth", 1, 8)],
        {"depth": {"kind": ["b"]}},
    )
    opt = RecursiveRandomSearch(space, seed=3)
    kinds = set()
    for _ in range(40):
        pending = [opt.ask() for _ in range(3)]
        for trial in pending:
            assert space.validate(trial.config) == trial.config
            kinds.add(trial.config["kind"])
            loss = trial.config["lr"] + (0 if trial.config["kind"] == "b" else 1)
            opt.tell(trial, Result(loss=loss))
    assert kinds == {"a", "b", "c"}
    assert opt.best.config["kind"] == "b"
