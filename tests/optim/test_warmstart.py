"""WarmStart: given configs first, then the inner strategy, which learns from all of them."""

from __future__ import annotations

import numpy as np
import pytest

from cairn.errors import ConfigError, UserError
from cairn.optim import make_optimizer
from cairn.optim.warmstart import WarmStart
from cairn.space import Categorical, Float, Space
from cairn.study import Study
from cairn.track import Store
from cairn.trial import Result

SPACE = Space([Float("x", -5.0, 5.0), Categorical("kind", ["a", "b"])])
WARM = [{"x": 1.0, "kind": "a"}, {"x": -4.0, "kind": "b"}, {"x": 0.5, "kind": "a"}]


def quadratic(config, budget=None) -> float:
    return (config["x"] - 1.0) ** 2 + (config["kind"] == "b")


def asked(optimizer, n: int) -> list[dict]:
    out = []
    for _ in range(n):
        trial = optimizer.ask()
        out.append(dict(trial.config))
        optimizer.tell(trial, Result(loss=quadratic(trial.config)))
    return out


@pytest.mark.parametrize("inner", ["random", "tpe", "anneal"])
def test_warm_configs_come_first_then_the_inner_strategys(inner):
    warm = asked(WarmStart(SPACE, seed=4, configs=WARM, inner=inner), 3)
    assert warm == WARM
    after = asked(WarmStart(SPACE, seed=4, configs=WARM, inner=inner), 8)[3:]
    if inner == "random":  # proposals that ignore results: exactly the inner strategy's own
        assert after == asked(make_optimizer("random", SPACE, seed=4), 5)
    assert all(SPACE.validate(c) == c for c in after)


def test_every_result_reaches_the_inner_strategy_under_ids_it_never_uses():
    opt = WarmStart(SPACE, seed=0, configs=WARM, inner="tpe")
    trials = [opt.ask() for _ in range(5)]  # three warm, two of tpe's, all pending at once
    for trial in reversed(trials):
        opt.tell(trial, Result(loss=quadratic(trial.config)))
    history = opt.inner.history
    assert sorted(t.id for t in history) == [-3, -2, -1, 0, 1]
    assert {t.loss for t in history} == {quadratic(t.config) for t in trials}
    assert [t.id for t in opt.history] == [4, 3, 2, 1, 0]


def test_a_warm_started_tpe_proposes_near_the_good_warm_configs():
    """Told twenty results spread over the space, TPE models them at once instead of
    running its space-filling initial design (a cold TPE's first ten proposals)."""
    grid = [{"x": float(x), "kind": kind} for x in np.linspace(-5, 5, 10) for kind in "ab"]
    warm_after = asked(WarmStart(SPACE, seed=1, configs=grid, inner="tpe"), 30)[20:]
    cold = asked(make_optimizer("tpe", SPACE, seed=1), 10)
    distance = lambda configs: np.mean([abs(c["x"] - 1.0) + (c["kind"] == "b") for c in configs])  # noqa: E731
    assert distance(warm_after) < 0.5 * distance(cold)  # 0.2 to 0.35 over seeds 0..19


def test_same_seed_same_trials():
    run = lambda: asked(WarmStart(SPACE, seed=7, configs=WARM, inner="tpe"), 14)  # noqa: E731
    assert run() == run()


def test_a_resumed_study_continues_as_the_uninterrupted_one(tmp_path):
    def study(store, n, resume=None):
        return Study(WarmStart(SPACE, seed=2, configs=WARM, inner="tpe"), quadratic, store=store,
                     n_trials=n, resume=resume).optimize()

    reference = study(Store(f"sqlite:///{tmp_path / 'ref.db'}"), 12)
    store = Store(f"sqlite:///{tmp_path / 'stopped.db'}")
    first = study(store, 5)
    resumed = study(store, 12, resume=first.study_id)
    assert [dict(t.config) for t in sorted(resumed.trials, key=lambda t: t.id)] == \
           [dict(t.config) for t in reference.trials]


@pytest.mark.parametrize("inner", ["sh", "hyperband", "asha", "bohb", "bandit"])
def test_strategies_that_drop_foreign_results_are_refused(inner):
    with pytest.raises(UserError, match=f"warm start cannot hand its results to strategy '{inner}'"):
        WarmStart(SPACE, configs=WARM, inner=inner)


def test_a_config_outside_the_space_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match="warm-start config 1"):
        WarmStart(SPACE, configs=[WARM[0], {"x": 9.0, "kind": "a"}], inner="random")


def test_an_inner_optimiser_on_another_space_is_refused():
    other = make_optimizer("random", Space([Float("x", 0.0, 1.0)]))
    with pytest.raises(UserError, match="same space"):
        WarmStart(SPACE, configs=WARM, inner=other)
