"""The ask/tell protocol every search strategy implements.

An optimiser proposes trials and learns from their results; it owns a seeded
``numpy.random.Generator`` and knows nothing about processes, files or databases, so the
same strategy runs serially, on worker processes or on Dask, and replays from a store.
"""

from __future__ import annotations

import numpy as np

from cairn.space import Config, Space
from cairn.trial import Result, Trial, TrialState, best_trial


class Optimizer:
    """Base class: ``ask() -> Trial`` and ``tell(trial, result)``.

    Subclasses implement :meth:`_propose` (the next config) and, if they learn,
    :meth:`_observe` (called once per told trial). Strategies with fidelities override
    :meth:`ask` to set ``Trial.budget``. A finite strategy raises
    :class:`cairn.errors.SearchExhausted` from ``ask`` when it has nothing left.
    """

    name = "base"

    def __init__(self, space: Space, seed: int | None = 0):
        self.space = space
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.history: list[Trial] = []
        self._next_id = 0

    def ask(self) -> Trial:
        return self._new_trial(self._propose())

    def tell(self, trial: Trial, result: Result) -> None:
        trial.result = result
        trial.state = TrialState.COMPLETE if result.ok else TrialState.FAILED
        self.history.append(trial)
        self._observe(trial)

    def _new_trial(self, config: Config, budget: float | None = None) -> Trial:
        trial = Trial(self._next_id, config, budget)
        self._next_id += 1
        return trial

    def _propose(self) -> Config:
        raise NotImplementedError

    def _observe(self, trial: Trial) -> None:
        """Learn from a finished trial; the default strategy learns nothing."""

    @property
    def best(self) -> Trial | None:
        """The best told trial at the highest budget reached, or ``None``."""
        return best_trial(self.history)
