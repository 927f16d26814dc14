"""Multi-fidelity test functions, and the budget-accounted loop that measures strategies on them.

MF-Hartmann follows mf-prior-bench (after Kandasamy et al., 2017): at fidelity
``s in [0, 1]`` (the budget on a log scale between ``min_budget`` and ``max_budget``)
the Hartmann weights become ``alpha - bias * (1 - s)``, which flattens the function, and
``noise * (1 - s) * |N(0, 1)|`` is added. At the full budget both vanish, so the value is
the true Hartmann function and regrets are exact. The noise is drawn from a generator
seeded by (seed, config, budget): the same query always gets the same answer. An
evaluation costs ``budget / max_budget`` full evaluations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from cairn.benchmarks.base import Benchmark
from cairn.benchmarks.functions import (
    HARTMANN3_A,
    HARTMANN3_P,
    HARTMANN6_A,
    HARTMANN6_P,
    HARTMANN_ALPHA,
    _hartmann,
    hartmann3,
    hartmann6,
)
from cairn.errors import SearchExhausted, UserError
from cairn.optim.base import Optimizer
from cairn.space import Space
from cairn.trial import Result

#: Default fidelity range: three halvings by eta = 3 between the smallest and full budget.
MIN_BUDGET, MAX_BUDGET = 1 / 27, 1.0


@dataclass(frozen=True)
class MultiFidelityBenchmark:
    """``bench(config, budget)``: a biased, noisy view of ``target`` that sharpens with budget.

    ``biased(x, s)`` is the noise-free value at fidelity ``s``; ``biased(x, 1)`` must
    equal ``target.fn(x)``. ``budget=None`` means ``max_budget``.
    """

    target: Benchmark
    biased: Callable[[np.ndarray, float], float]
    noise: float
    seed: int = 0
    min_budget: float = MIN_BUDGET
    max_budget: float = MAX_BUDGET

    def __post_init__(self) -> None:
        if not 0 < self.min_budget <= self.max_budget:
            raise UserError(f"budgets must satisfy 0 < min_budget <= max_budget, got {self.min_budget} and {self.max_budget}")

    @property
    def name(self) -> str:
        return f"mf-{self.target.name}"

    @property
    def space(self) -> Space:
        return self.target.space

    @property
    def optimum(self) -> float:
        return self.target.optimum

    def regret(self, value: float) -> float:
        return self.target.regret(value)

    def fidelity(self, budget: float | None) -> float:
        """The budget on a log scale: 0 at ``min_budget``, 1 at ``max_budget``."""
        b = self.max_budget if budget is None else float(budget)
        tol = 1e-9 * self.max_budget
        if not self.min_budget - tol <= b <= self.max_budget + tol:
            raise UserError(f"{self.name}: budget {b} is outside [{self.min_budget}, {self.max_budget}]")
        if self.min_budget == self.max_budget:
            return 1.0
        return min(1.0, max(0.0, math.log(b / self.min_budget) / math.log(self.max_budget / self.min_budget)))

    def cost(self, budget: float | None) -> float:
        """What an evaluation at ``budget`` costs, in full evaluations."""
        return 1.0 if budget is None else float(budget) / self.max_budget

    def __call__(self, config: Mapping[str, float], budget: float | None = None) -> float:
        s = self.fidelity(budget)
        x = self.target.point(config)
        value = self.biased(x, s)
        if self.noise and s < 1:
            entropy = np.r_[x, s].view(np.uint32).tolist()
            value += self.noise * (1 - s) * abs(np.random.default_rng([self.seed, *entropy]).standard_normal())
        return float(value)


def _mf_hartmann(target: Benchmark, a: np.ndarray, p: np.ndarray, bias: float, noise: float, seed: int,
                 min_budget: float, max_budget: float) -> MultiFidelityBenchmark:
    def biased(x: np.ndarray, s: float) -> float:
        return _hartmann(HARTMANN_ALPHA - bias * (1 - s), a, p)(x)

    return MultiFidelityBenchmark(target, biased, noise, seed, min_budget, max_budget)


def mf_hartmann3(bias: float = 0.5, noise: float = 0.1, seed: int = 0,
                 min_budget: float = MIN_BUDGET, max_budget: float = MAX_BUDGET) -> MultiFidelityBenchmark:
    """MF-Hartmann3; the defaults are mf-prior-bench's (its "good" preset is bias 2.5, noise 2)."""
    return _mf_hartmann(hartmann3(), HARTMANN3_A, HARTMANN3_P, bias, noise, seed, min_budget, max_budget)


def mf_hartmann6(bias: float = 0.5, noise: float = 0.1, seed: int = 0,
                 min_budget: float = MIN_BUDGET, max_budget: float = MAX_BUDGET) -> MultiFidelityBenchmark:
    """MF-Hartmann6, with the same fidelity model as :func:`mf_hartmann3`."""
    return _mf_hartmann(hartmann6(), HARTMANN6_A, HARTMANN6_P, bias, noise, seed, min_budget, max_budget)


MF_BENCHMARKS: dict[str, Callable[..., MultiFidelityBenchmark]] = {
    "mf-hartmann3": mf_hartmann3,
    "mf-hartmann6": mf_hartmann6,
}


# --------------------------------------------------------------------------- measuring


def trajectory(bench: MultiFidelityBenchmark, optimizer: Optimizer, total_budget: float) -> tuple[np.ndarray, np.ndarray]:
    """Run ``optimizer`` until it has spent ``total_budget`` full evaluations.

    Returns, after each trial, the budget spent so far and the regret of the incumbent:
    the best config evaluated at the full budget (infinite until there is one). Only
    full-budget values count, as only they are exact.
    """
    spent, regrets = [], []
    total, best = 0.0, math.inf
    while total < total_budget:
        try:
            trial = optimizer.ask()
        except SearchExhausted:
            break
        loss = bench(trial.config, trial.budget)
        optimizer.tell(trial, Result(loss=loss, cost=bench.cost(trial.budget)))
        total += bench.cost(trial.budget)
        if bench.fidelity(trial.budget) == 1.0:
            best = min(best, bench.regret(loss))
        spent.append(total)
        regrets.append(best)
    return np.array(spent), np.array(regrets)


def regret_at(spent: np.ndarray, regrets: np.ndarray, budgets: np.ndarray) -> np.ndarray:
    """The incumbent's regret once each of ``budgets`` was spent (``inf`` before any)."""
    i = np.searchsorted(spent, budgets, side="right") - 1
    return np.where(i >= 0, regrets[np.maximum(i, 0)], math.inf)


def budget_to_reach(spent: np.ndarray, regrets: np.ndarray, target: float) -> float:
    """The budget spent when the regret first fell to ``target`` (``inf`` if it never did)."""
    hit = np.flatnonzero(regrets <= target)
    return float(spent[hit[0]]) if len(hit) else math.inf


__all__ = ["MF_BENCHMARKS", "MultiFidelityBenchmark", "budget_to_reach", "mf_hartmann3", "mf_hartmann6", "regret_at", "trajectory"]
