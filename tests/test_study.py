import math
import time

import pytest

from cairn.errors import SearchExhausted, UserError
from cairn.optim.base import Optimizer
from cairn.space import Float, Space
from cairn.study import Study
from cairn.track import Store
from cairn.trial import Result, TrialState


class _Sampler(Optimizer):
    name = "sampler"

    def _propose(self):
        return self.space.sample(self.rng)


class _Three(_Sampler):
    def _propose(self):
        if self._next_id >= 3:
            raise SearchExhausted
        return super()._propose()


SPACE = Space([Float("x", -5, 5)])


def quadratic(config, budget=None):
    if config["x"] > 4:
        raise ValueError("x too large")
    if config["x"] < -4:
        return Result(loss=math.nan)
    return Result(loss=config["x"] ** 2, metrics={"score": -config["x"] ** 2})


def test_records_every_trial_as_child_run(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    out = Study(_Sampler(SPACE, seed=1), quadratic, store=store, n_trials=60, settings={"k": 1}).optimize()
    runs = store.runs(out.study_id)
    children = [r for r in runs if r["parent_run_id"] == out.run_id]
    assert len(out.trials) == 60 and len(children) == 60
    failed = [r for r in children if r["status"] == "failed"]
    assert failed, "seeded sample contains out-of-range x"
    assert {r["tags"]["error"].split(":")[0] for r in failed} <= {"ValueError", "objective returned a non-finite loss (nan)"}
    best = min((r for r in children if r["status"] == "complete"), key=lambda r: r["metrics"]["loss"])
    assert best["params"]["x"] == out.best.config["x"]
    assert store.study(out.study_id)["status"] == "complete"
    assert store.run(out.run_id)["status"] == "complete"


def test_failed_trials_do_not_stop_and_are_marked() -> None:
    out = Study(_Sampler(SPACE, seed=0), quadratic, n_trials=80).optimize()
    states = {t.state for t in out.trials}
    assert states == {TrialState.COMPLETE, TrialState.FAILED}
    assert all(t.result.error for t in out.trials if t.state is TrialState.FAILED)


def test_time_budget_is_respected() -> None:
    def slow(config, budget=None):
        time.sleep(0.3)
        return Result(loss=1.0)

    start = time.perf_counter()
    out = Study(_Sampler(SPACE), slow, time_budget=1.0).optimize()
    assert time.perf_counter() - start < 1.0 + 2.0
    assert 2 <= len(out.trials) <= 4


def test_trial_time_limit_marks_trial_failed() -> None:
    def hang(config, budget=None):
        time.sleep(5)
        return Result(loss=0.0)

    start = time.perf_counter()
    out = Study(_Sampler(SPACE), hang, n_trials=2, trial_time_limit=0.2).optimize()
    assert time.perf_counter() - start < 2
    assert all(t.state is TrialState.FAILED and "time limit" in t.result.error for t in out.trials)


def test_exhausted_strategy_ends_the_study() -> None:
    assert len(Study(_Three(SPACE), quadratic, n_trials=10).optimize().trials) == 3


def test_same_seed_same_trials() -> None:
    a = Study(_Sampler(SPACE, seed=7), quadratic, n_trials=20).optimize()
    b = Study(_Sampler(SPACE, seed=7), quadratic, n_trials=20).optimize()
    assert [t.config for t in a.trials] == [t.config for t in b.trials]


@pytest.mark.parametrize("kwargs", [{}, {"n_trials": 0}, {"time_budget": -1}])
def test_bad_budgets(kwargs) -> None:
    with pytest.raises(UserError):
        Study(_Sampler(SPACE), quadratic, **kwargs)
