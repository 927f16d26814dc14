"""BOHB (Falkner et al., ICML 2018): Hyperband whose new configs come from a density model.

Hyperband decides *how much* budget each config gets; BOHB changes only *which* configs
start a bracket. For each budget it keeps the configs evaluated there; the model is
built on the largest budget with enough of them (the most faithful data that is not too
thin) as two Parzen estimators, ``l`` over the best ``top_fraction`` and ``g`` over the
rest. A new config is the one of ``n_candidates`` samples of ``l`` with the highest
``l(x) / g(x)``. A ``random_fraction`` of configs stays uniformly random, which keeps
Hyperband's guarantees.

The densities are :class:`cairn.optim.bayes.tpe.ParzenEstimator`, TPE's model; where the
paper widens the bandwidths of ``l`` to explore, its broad prior kernel does that job.
"""

from __future__ import annotations

import math

import numpy as np

from cairn.errors import UserError
from cairn.optim.bayes.encoding import Encoding
from cairn.optim.bayes.tpe import ParzenEstimator
from cairn.optim.halving import Hyperband
from cairn.space import Config, Space
from cairn.trial import Trial


class BOHB(Hyperband):
    """Hyperband with TPE-like sampling of new configs.

    ``n_min`` (default: number of searched parameters + 1) is the fewest configs each
    of ``l`` and ``g`` needs, so a budget needs ``2 * n_min`` results before it has a
    model; ``top_fraction`` (default 0.15, as in the paper) of a budget's results are
    "good". Until some budget has a model, configs are random.
    """

    name = "bohb"

    def __init__(self, space: Space, seed: int | None = 0, min_budget: float = 1 / 9,
                 max_budget: float = 1.0, eta: float = 3, random_fraction: float = 1 / 3,
                 top_fraction: float = 0.15, n_min: int | None = None, n_candidates: int = 64):
        super().__init__(space, seed, min_budget, max_budget, eta)
        if not 0 <= random_fraction <= 1:
            raise UserError(f"bohb: random_fraction must lie in [0, 1], got {random_fraction}")
        if not 0 < top_fraction < 1:
            raise UserError(f"bohb: top_fraction must lie in (0, 1), got {top_fraction}")
        if n_min is not None and n_min < 1:
            raise UserError(f"bohb: n_min must be at least 1, got {n_min}")
        if n_candidates < 1:
            raise UserError(f"bohb: n_candidates must be at least 1, got {n_candidates}")
        self.random_fraction, self.top_fraction, self.n_candidates = random_fraction, top_fraction, n_candidates
        self.n_min = n_min if n_min is not None else sum(1 for p in space.params if p.n_dims) + 1
        self._encoding = Encoding(space)
        self._observed: dict[float, list[tuple[np.ndarray, np.ndarray, float]]] = {}
        self._model: tuple[tuple[float, int], ParzenEstimator, ParzenEstimator] | None = None

    def _observe(self, trial: Trial) -> None:
        super()._observe(trial)
        U, M = self._encoding.encode([trial.config])
        self._observed.setdefault(self.budget_of(trial), []).append((U[0], M[0], trial.loss))

    def _sample_config(self) -> Config:
        if self.rng.random() < self.random_fraction:
            return super()._sample_config()
        model = self._current_model()
        if model is None:
            return super()._sample_config()
        good, bad = model
        C, CM = good.sample_encoded(self.rng, self.n_candidates)
        return self._encoding.decode(C[int(np.argmax(good.log_pdf_encoded(C, CM) - bad.log_pdf_encoded(C, CM)))])

    def _current_model(self) -> tuple[ParzenEstimator, ParzenEstimator] | None:
        """``(l, g)`` on the largest budget with at least ``2 * n_min`` results, or ``None``."""
        budgets = [b for b, obs in self._observed.items() if len(obs) >= 2 * self.n_min]
        if not budgets:
            return None
        budget = max(budgets)
        key = (budget, len(self._observed[budget]))
        if self._model is None or self._model[0] != key:
            self._model = (key, *self._fit(self._observed[budget]))
        return self._model[1], self._model[2]

    def _fit(self, observed: list[tuple[np.ndarray, np.ndarray, float]]) -> tuple[ParzenEstimator, ParzenEstimator]:
        U, M, losses = (np.array(column) for column in zip(*observed, strict=True))
        order = np.argsort(losses, kind="stable")
        n_good = min(max(self.n_min, math.floor(self.top_fraction * len(order))), len(order) - self.n_min)
        good, bad = order[:n_good], order[n_good:]
        return (ParzenEstimator.from_encoded(self._encoding, U[good], M[good]),
                ParzenEstimator.from_encoded(self._encoding, U[bad], M[bad]))


__all__ = ["BOHB"]
