"""The asynchronous interface every executor offers the Study."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from types import TracebackType

from cairn.errors import UserError
from cairn.trial import Result, Trial

Objective = Callable[..., Result]


class Executor(ABC):
    """Evaluates trials, as many at once as it has workers.

    The Study asks the optimiser for ``idle`` new trials, ``submit``s them and ``wait``s
    for finished ones, so a worker that frees up gets the next trial at once instead of
    waiting for a whole batch. Every failure comes back from ``wait`` as a failed
    :class:`Result`, never as an exception, so one broken trial cannot end a search.
    """

    n_workers: int

    @abstractmethod
    def submit(self, objective: Objective, trial: Trial, limit: float | None = None) -> None:
        """Queue ``trial``; it starts as soon as a worker is free."""

    @abstractmethod
    def wait(self, timeout: float | None = None) -> list[tuple[Trial, Result]]:
        """Block until at least one submitted trial has finished and return those finished.

        Returns ``[]`` when ``timeout`` seconds pass first or nothing is pending.
        """

    @property
    @abstractmethod
    def pending(self) -> int:
        """Trials submitted and not yet returned by :meth:`wait`."""

    @property
    def idle(self) -> int:
        """Worker slots with nothing to do: how many new trials to submit now."""
        return max(self.n_workers - self.pending, 0)

    @abstractmethod
    def close(self) -> None:
        """Stop the workers; trials still pending are dropped."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def worker_count(n_workers: int | None) -> int:
    """``n_workers`` checked, or one worker per CPU when it is ``None``."""
    if n_workers is None:
        return os.cpu_count() or 1
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise UserError(f"the number of workers must be a positive integer, got {n_workers!r}")
    return n_workers
