"""Simulated annealing: a random walk through neighbours that cools into a local search."""

from __future__ import annotations

import math

import numpy as np

from cairn.errors import UserError
from cairn.optim.base import Optimizer
from cairn.space import Config, Space
from cairn.trial import Trial


def acceptance_probability(delta: float, temperature: float) -> float:
    """Probability of moving to a point whose loss is ``delta`` above the current one.

    Moves that are not worse are always taken; a worse one with
    ``P = 1 / (1 + exp(delta / T))``, written as ``e / (1 + e)`` with ``e = exp(-delta / T)``
    so that huge ratios underflow quietly to 0 instead of overflowing. A failed point
    (``delta`` infinite or NaN) is never taken.
    """
    if delta <= 0:
        return 1.0
    if not delta < math.inf or temperature <= 0:
        return 0.0
    e = math.exp(-delta / temperature)
    return e / (1.0 + e)


class SimulatedAnnealing(Optimizer):
    """Simulated annealing over ``space.neighbour`` with geometric cooling.

    Choices, and why:

    * **Start.** The first ``n_init`` proposals are random samples; the walk starts at the
      best of them. Unless ``t0`` is given, the initial temperature is the spread
      (max - min) of their finite losses, so acceptance does not depend on the units of
      the loss. A move worse by a tenth of that spread is then accepted with probability
      0.48 at first, i.e. the walk starts almost free.
    * **Cooling.** Every told result after the start multiplies the temperature by
      ``alpha``: ``T(k+1) = alpha * T(k)``.
    * **Restarts.** When ``T`` falls below ``restart_below * T0`` the walk is a plain
      descent that mostly wastes evaluations, so it jumps back to the best point seen,
      reheats to ``T0`` and shrinks ``eps`` by ``eps_shrink`` (not below ``eps / 16``):
      each round searches a finer neighbourhood of the best point.
    * **Failures.** A failed trial (infinite loss) is never moved to and, like any told
      result, cools the temperature.
    * **Asynchrony.** ``ask`` always proposes a neighbour of the current point, even if
      earlier proposals are still out; a result is judged against the current point
      when it arrives.
    """

    name = "anneal"

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        t0: float | None = None,
        alpha: float = 0.95,
        eps: float = 0.1,
        n_init: int = 5,
        restart_below: float = 1e-3,
        eps_shrink: float = 0.5,
    ):
        super().__init__(space, seed)
        _check(0 < alpha < 1, f"alpha must lie in (0, 1), got {alpha}")
        _check(0 < eps <= 1, f"eps must lie in (0, 1], got {eps}")
        _check(t0 is None or t0 > 0, f"t0 must be positive, got {t0}")
        _check(n_init >= 1, f"n_init must be at least 1, got {n_init}")
        _check(0 < restart_below < 1, f"restart_below must lie in (0, 1), got {restart_below}")
        _check(0 < eps_shrink <= 1, f"eps_shrink must lie in (0, 1], got {eps_shrink}")
        self.t0, self.alpha, self.n_init = t0, alpha, n_init
        self.restart_below, self.eps_shrink = restart_below, eps_shrink
        self.eps, self._eps_min = eps, eps / 16
        self.temperature: float | None = None  # None until the walk has started
        self.current: Config | None = None
        self.current_loss = math.inf
        self.restarts = 0
        self._start_losses: list[float] = []
        self._t_start = math.nan

    def _propose(self) -> Config:
        if self.current is None:
            return self.space.sample(self.rng)
        return self.space.neighbour(self.current, self.rng, self.eps)

    def _observe(self, trial: Trial) -> None:
        loss = trial.loss if math.isfinite(trial.loss) else math.inf
        if self.current is None:
            self._start_losses.append(loss)
            self._maybe_start()
            return
        if self.rng.random() < acceptance_probability(loss - self.current_loss, self.temperature):
            self.current, self.current_loss = trial.config, loss
        self.temperature *= self.alpha
        if self.temperature < self.restart_below * self._t_start:
            self._restart()

    def _maybe_start(self) -> None:
        finite = [x for x in self._start_losses if x < math.inf]
        if len(self._start_losses) < self.n_init or not finite:
            return
        spread = float(np.ptp(finite)) if len(finite) > 1 else 0.0
        scale = spread if spread > 0 else max(1.0, abs(finite[0]))
        self._t_start = self.t0 if self.t0 is not None else scale
        self.temperature = self._t_start
        self._jump_to_best()

    def _restart(self) -> None:
        self.restarts += 1
        self.temperature = self._t_start
        self.eps = max(self._eps_min, self.eps * self.eps_shrink)
        self._jump_to_best()

    def _jump_to_best(self) -> None:
        best = self.best
        self.current, self.current_loss = best.config, best.loss


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise UserError(f"simulated annealing: {message}")
