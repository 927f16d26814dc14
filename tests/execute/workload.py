"""What the executor tests run: one objective that does what each trial's config says.

Module-level and importable by name, so that worker processes (spawned, or Dask workers
started with this directory on ``PYTHONPATH``) can unpickle it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time

from cairn.execute import Executor
from cairn.space import Config
from cairn.trial import Result, Trial

LOADS = 0  # how many times this process has unpickled an Objective


class Behaviour:
    """``config["do"]`` picks the behaviour; a good trial's loss is ``x ** 2``."""

    def __init__(self) -> None:
        self.made_in = os.getpid()  # some state, so that unpickling calls __setstate__

    def __setstate__(self, state: dict) -> None:
        global LOADS
        LOADS += 1
        self.__dict__.update(state)

    def __call__(self, config: Config, budget: float | None) -> Result:
        do = config["do"]
        if do == "sleep":  # interruptible: the worker's alarm stops it
            time.sleep(config["seconds"])
        elif do == "hang":  # like compiled code that never returns to Python: deaf to the alarm
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(30)
        elif do == "allocate":
            bytes(10**9)
        elif do == "segfault":
            ctypes.string_at(0)
        elif do == "exit":
            os._exit(3)
        elif do == "raise":
            raise ValueError(f"no good: x={config['x']}")
        return Result(loss=config["x"] ** 2, metrics={"pid": os.getpid(), "loads": LOADS})


def make_trial(trial_id: int, do: str = "square", **params: float) -> Trial:
    return Trial(trial_id, Config(do=do, x=trial_id, **params))


def drain(executor: Executor, timeout: float = 60) -> dict[int, Result]:
    """Wait for every submitted trial; results by trial id."""
    results: dict[int, Result] = {}
    end = time.monotonic() + timeout
    while executor.pending:
        finished = executor.wait(timeout=max(end - time.monotonic(), 0))
        assert finished or executor.pending == 0, f"{executor.pending} trials still running after {timeout} s"
        results.update((trial.id, result) for trial, result in finished)
    return results


def fail_beside_others(executor: Executor, do: str, limit: float | None) -> tuple[Result, dict[int, Result]]:
    """Run a failing trial beside a good one, then two good ones for the two free slots.

    Checks that no good trial was lost; returns the failure and the two later results.
    """
    objective = Behaviour()
    executor.submit(objective, make_trial(0, do, seconds=30), limit)
    executor.submit(objective, make_trial(1, "sleep", seconds=0.5), limit)
    first = drain(executor)
    executor.submit(objective, make_trial(2, "sleep", seconds=0.3), limit)
    executor.submit(objective, make_trial(3, "sleep", seconds=0.3), limit)
    later = drain(executor)
    good = {1: first[1], **later}
    assert {i: (r.error, r.loss) for i, r in good.items()} == {i: (None, i**2) for i in good}
    failed = first[0]
    assert not failed.ok and failed.error is not None
    return failed, later
