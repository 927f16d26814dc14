"""Run trials one after another in this process."""

from __future__ import annotations

import math
import time
from collections import deque

from cairn.execute.base import Executor, Objective
from cairn.execute.limits import TrialTimeout, check_memory_limit, memory_limit, time_limit
from cairn.trial import Result, Trial


def evaluate_trial(objective: Objective, trial: Trial, limit: float | None = None,
                   memory: int | None = None) -> Result:
    """Evaluate one trial, turning every failure into a failed :class:`Result`.

    A trial that raises, times out, runs out of its ``memory`` (bytes it may add to this
    process) or returns a non-finite loss must never stop a search, so errors become
    data here, at the one place all executors share.
    """
    if limit is not None and limit <= 0:
        return Result.failure("TrialTimeout: no time left for this trial")
    start = time.perf_counter()
    try:
        with memory_limit(memory), time_limit(limit):
            result = objective(trial.config, trial.budget)
    except MemoryError as exc:
        reason = describe_error(exc) if memory is None else f"MemoryError: exceeded the memory limit of {format_bytes(memory)}"
        return Result.failure(reason, cost=time.perf_counter() - start)
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


def format_bytes(nbytes: int) -> str:
    """``300 MB``: a byte count as people write memory limits (decimal units)."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if nbytes >= size:
            return f"{nbytes / size:.3g} {unit}"
    return f"{nbytes} B"


class SerialExecutor(Executor):
    """The simplest executor: one trial at a time in this process, limits enforced here.

    ``submit`` only queues; ``wait`` evaluates the oldest queued trial, so its
    ``timeout`` cannot cut a trial short (the trial's own limit does).
    """

    n_workers = 1

    def __init__(self, memory_limit: int | None = None):
        check_memory_limit(memory_limit)
        self.memory_limit = memory_limit
        self._queue: deque[tuple[Objective, Trial, float | None]] = deque()

    def run(self, objective: Objective, trial: Trial, limit: float | None = None) -> Result:
        return evaluate_trial(objective, trial, limit, self.memory_limit)

    def submit(self, objective: Objective, trial: Trial, limit: float | None = None) -> None:
        self._queue.append((objective, trial, limit))

    def wait(self, timeout: float | None = None) -> list[tuple[Trial, Result]]:
        if not self._queue:
            return []
        objective, trial, limit = self._queue.popleft()
        return [(trial, self.run(objective, trial, limit))]

    @property
    def pending(self) -> int:
        return len(self._queue)

    def close(self) -> None:
        self._queue.clear()
