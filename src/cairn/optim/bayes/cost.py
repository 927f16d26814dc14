"""Cost cooling: cheap configs first, while most of a time budget is still ahead.

Under a time budget, a config that costs a tenth of another buys ten trials for one; a
search that ignores cost spends its first seconds on whatever scores best per trial and
learns little about the cheap learners that could have been tried many times over.
Snoek et al. (2012) divide the acquisition by the predicted cost ("EI per second");
CArBO (Lee et al., 2020) raises the cost to a power ``alpha`` that falls from 1 to 0 as
the budget is spent, so that cost steers the early trials and none of the late ones
(an expensive config that is better still wins once the budget is mostly gone).

Cost is predicted from the told trials: the mean log cost of the ``k`` nearest in the
encoded space, where an activity mismatch counts as a distance of one per column, so
that a candidate's nearest trials are those of its own learner when there are any.
"""

from __future__ import annotations

import numpy as np

from cairn.errors import UserError

#: Costs below this many seconds count as this many: a failure at once is not free.
MIN_COST = 1e-3


class CostCooling:
    """The penalty ``alpha * log(predicted cost)`` of candidate points, to subtract from
    a log acquisition; ``alpha = 1 - spent / budget``, floored at 0.

    ``budget`` is in the same units as the costs told (seconds of trial time: a time
    budget times the workers that share it); ``k`` is how many nearest trials predict
    a candidate's cost. The told trials' points stay with the optimiser, which passes
    them in, in the order their costs were told.
    """

    def __init__(self, budget: float, k: int = 3):
        if not budget > 0:
            raise UserError(f"cost cooling: the budget must be a positive number of seconds, got {budget!r}")
        if k < 1:
            raise UserError(f"cost cooling: k must be at least 1, got {k}")
        self.budget, self.k = float(budget), k
        self.spent = 0.0
        self._log_costs: list[float] = []

    def observe(self, cost: float) -> None:
        """The cost in seconds of the next told trial."""
        self.spent += max(float(cost), 0.0)
        self._log_costs.append(float(np.log(max(cost, MIN_COST))))

    @property
    def alpha(self) -> float:
        return max(0.0, 1.0 - self.spent / self.budget)

    def log_cost(self, C: np.ndarray, CM: np.ndarray, U: np.ndarray, M: np.ndarray) -> np.ndarray:
        """Predicted log cost of each row of the canonical points ``C`` (mask ``CM``),
        from the told trials' encoded points ``U`` (mask ``M``)."""
        y = np.array(self._log_costs)
        both = CM[:, None, :] & M[None, :, :]
        distance = np.where(both, (C[:, None, :] - U[None, :, :]) ** 2, 0.0).sum(axis=2) \
            + (CM[:, None, :] != M[None, :, :]).sum(axis=2)
        k = min(self.k, len(y))
        nearest = np.argsort(distance, axis=1, kind="stable")[:, :k]
        return y[nearest].mean(axis=1)

    def penalty(self, C: np.ndarray, CM: np.ndarray, U: np.ndarray, M: np.ndarray) -> np.ndarray | None:
        """``alpha * log cost`` per candidate, or ``None`` once cost no longer counts (or
        before any trial was told)."""
        alpha = self.alpha
        if alpha <= 0.0 or not self._log_costs:
            return None
        return alpha * self.log_cost(C, CM, U, M)


__all__ = ["MIN_COST", "CostCooling"]
