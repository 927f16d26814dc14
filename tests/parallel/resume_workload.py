"""A study that a test kills: importable by the child process and by the test."""

from __future__ import annotations

import sys
import time

from cairn.optim import make_optimizer
from cairn.space import Float, Int, Space
from cairn.study import Study
from cairn.track import Store

SPACE = Space([Float("x", -5.0, 5.0), Float("y", -5.0, 5.0), Int("k", 1, 4)])


def slow_quadratic(config, budget=None) -> float:
    time.sleep(0.05)
    return (config["x"] - 1) ** 2 + (config["y"] + 2) ** 2 + config["k"]


def study(store: Store, strategy: str, n_trials: int, resume: int | None = None, executor=None) -> Study:
    return Study(make_optimizer(strategy, SPACE, seed=3), slow_quadratic, store=store, n_trials=n_trials,
                 name=f"{strategy}-resume", resume=resume, executor=executor)


if __name__ == "__main__":  # python tests/resume/resume_workload.py STORE_URL STRATEGY N
    study(Store(sys.argv[1]), sys.argv[2], int(sys.argv[3])).optimize()
