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
    if limit is not None and limit <= 0:
        return Result.failure("TrialTimeout: no time left for this trial")
    start = time.perf_counter()
    try:
        with time_limit(limit):
            result = objective(trial.config, trial.budget)
    except (TrialTimeout, Exception) as exc:  # noqa: BLE001 - a broken trial is recorded, not raised
        return Result.failure(describe_error(exc), cost=time.perf_counter() - start)
    elapsed = time.perf_counter() - start
    if limit is not None and elapsed > limit:  # where no timer could interrupt it
        return Result.failure(f"TrialTimeout: took {elapsed:.2f} s, over the time limit of {limit:g} s", elapsed)
    if not isinstance(result, Result):
        result = Result(loss=float(result))
    if not result.cost:
        result.cost = elapsed
    if result.error is None and not math.isfinite(result.loss):
        result.error = f"objective returned a non-finite loss ({result.loss})"
        result.loss = math.inf
    return result


def describe_error(exc: BaseException, limit: int = 300) -> str:
    """``Type: first line of the message``, short enough to store as a tag."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    message = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return message if len(message) <= limit else message[: limit - 3] + "..."


class SerialExecutor:
    """The simplest executor: one trial at a time, limits enforced in-process."""

    n_workers = 1

    def run(self, objective: Objective, trial: Trial, limit: float | None = None) -> Result:
        return evaluate_trial(objective, trial, limit)
