"""Trials and results: the currency passed between optimisers, executors and the Study."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cairn.space import Config

if TYPE_CHECKING:
    import numpy as np

    from cairn.lineage.item import Item


class TrialState(str, enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    PRUNED = "pruned"


@dataclass
class Result:
    """The outcome of one evaluation. ``loss`` is always lower-is-better; ``lineage``, if
    the objective traced its work, is what the metrics were computed from (the Study
    stores it with the trial's run). ``predictions``, if the objective kept them, are the
    out-of-fold predictions an ensemble is built from: in memory only, never stored, and
    left out of comparisons and the repr (an array per trial is neither)."""

    loss: float
    metrics: dict[str, float] = field(default_factory=dict)
    cost: float = 0.0
    error: str | None = None
    objectives: tuple[float, ...] = ()
    lineage: Item | None = None
    predictions: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def failure(cls, error: str, cost: float = 0.0) -> Result:
        return cls(loss=math.inf, error=error, cost=cost)

    @property
    def ok(self) -> bool:
        return self.error is None and math.isfinite(self.loss)


@dataclass
class Trial:
    """One evaluation request of ``config`` at ``budget`` (``None`` means full fidelity)."""

    id: int
    config: Config
    budget: float | None = None
    state: TrialState = TrialState.PENDING
    result: Result | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def loss(self) -> float:
        return self.result.loss if self.result is not None else math.inf


def fidelity_rank(trial: Trial) -> float:
    """Sort key of a trial's budget: ``None`` (full fidelity) ranks above any number."""
    return math.inf if trial.budget is None else float(trial.budget)


def best_trial(trials: Iterable[Trial]) -> Trial | None:
    """The lowest-loss successful trial among those at the highest budget reached.

    Losses at different fidelities are not comparable: a config that looked good on a
    ninth of the rows must not beat one measured on all of them.
    """
    return min(_at_top_budget(trials), key=_rank, default=None)


def ranked_trials(trials: Iterable[Trial]) -> list[Trial]:
    """The successful trials at the highest budget reached, best first (as :func:`best_trial` ranks)."""
    return sorted(_at_top_budget(trials), key=_rank)


def _at_top_budget(trials: Iterable[Trial]) -> list[Trial]:
    ok = [t for t in trials if t.result is not None and t.result.ok]
    top = max((fidelity_rank(t) for t in ok), default=None)
    return [t for t in ok if fidelity_rank(t) == top]


def _rank(trial: Trial) -> tuple[float, int]:
    return trial.loss, trial.id
