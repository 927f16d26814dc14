"""Run trials one after another in this process."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from cairn.execute.limits import TrialTimeout, time_limit
from cairn.trial import Result, Trial

Objective = Callable[..., Result]


def evaluate_trial(objective: Objective, trial: Trial, limit: float | None = None) -> Result:
    """Evaluate one trial, turning every failure into a failed :class:`Result`.

    A trial that raises, times out or returns a non-finite loss must never stop a
    search, so errors become data here, at the one place all executors share.
    """
    start = time.perf_counter()
    try:
        with time_limit(limit):
            result = objective(trial.config, trial.budget)
    except TrialTimeout as exc:
        return Result.failure(str(exc), cost=time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - a broken trial is recorded, not raised
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return Result.failure(f"{type(exc).__name__}: {message}".rstrip(": "), cost=time.perf_counter() - start)
    if not isinstance(result, Result):
        result = Result(loss=float(result))
    if not result.cost:
        result.cost = time.perf_counter() - start
    if result.error is None and not math.isfinite(result.loss):
        result.error = f"objective returned a non-finite loss ({result.loss})"
        result.loss = math.inf
    return result


class SerialExecutor:
    """The simplest executor: one trial at a time, limits enforced in-process."""

    n_workers = 1

    def run(self, objective: Objective, trial: Trial, limit: float | None = None) -> Result:
        return evaluate_trial(objective, trial, limit)
