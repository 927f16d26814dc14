"""Regret of a search strategy on a tabular benchmark, over many seeds in seconds.

Every evaluation is a table look-up, so a strategy runs its ask/tell loop directly
(no Study, no store) and hundreds of searches take seconds. The convention is
NAS-Bench-101's: after ``n`` evaluations the search's answer is the evaluated network
with the highest *validation* accuracy, and its regret is the table's best *test*
accuracy minus that network's test accuracy (both at the largest budget). A network is
judged by data the search never saw.

Multi-fidelity strategies (Hyperband, BOHB, SH, ASHA) are told epochs as budgets
(:func:`fidelity_options` reads them off the table) and pay for what they train: a
trial at ``b`` epochs costs ``b / max_epochs`` *full-evaluation equivalents*, and
their curves are indexed by those. Every look-up trains from scratch, as the table's
entries were (no reuse of a lower budget's epochs). Their answer is the best
validation accuracy at the largest budget reached, as :func:`cairn.trial.best_trial`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy import stats
from threadpoolctl import threadpool_limits

from cairn.errors import UserError
from cairn.optim import make_optimizer, strategy_class
from cairn.optim.base import Optimizer
from cairn.optim.halving import MultiFidelityOptimizer
from cairn.space import Space
from cairn.trial import Result, best_trial

#: What regret can be measured on: the answer's test accuracy (the convention) or its validation accuracy.
METRICS = ("test", "val")
#: Budgets this close (relative) to a table budget are that budget (Hyperband divides floats).
BUDGET_TOLERANCE = 1e-6


class Entry(Protocol):
    val_acc: float
    test_acc: float


class TableLike(Protocol):
    """What regret needs of a table (:class:`cairn.nas.table.Table` has it)."""

    budgets: tuple[int, ...]
    best_test_acc: float
    keys: list[str]

    @property
    def space(self) -> Any: ...

    def lookup(self, config_or_key: Any, budget: int | None = None) -> Entry: ...


@dataclass
class RegretCurves:
    """Regret after ``1 .. n`` evaluations (``regret[seed, n - 1]``) of one strategy."""

    strategy: str
    seeds: list[int]
    regret: np.ndarray
    multi_fidelity: bool

    @property
    def unit(self) -> str:
        return "full-evaluation equivalents (epochs / max epochs)" if self.multi_fidelity else "evaluations"

    def at(self, n: int) -> np.ndarray:
        """Every seed's regret after ``n`` evaluations (or equivalents)."""
        if not 1 <= n <= self.regret.shape[1]:
            raise UserError(f"the curves of {self.strategy!r} cover 1 to {self.regret.shape[1]} evaluations, not {n}")
        return self.regret[:, n - 1]

    def median(self) -> np.ndarray:
        return np.median(self.regret, axis=0)


@dataclass
class Comparison:
    """A one-sided Mann-Whitney U test that ``a`` reaches lower regret than ``b`` at ``n``."""

    a: str
    b: str
    n: int
    median_a: float
    median_b: float
    statistic: float
    p_value: float


def fidelity_options(budgets: Sequence[float]) -> dict[str, float]:
    """``min_budget``, ``max_budget`` and ``eta`` whose rungs are exactly ``budgets``."""
    budgets = sorted(budgets)
    if len(budgets) < 2:
        raise UserError(f"a multi-fidelity search needs at least two budgets, the table has {budgets}")
    eta = budgets[1] / budgets[0]
    if any(not math.isclose(b / a, eta, rel_tol=BUDGET_TOLERANCE) for a, b in zip(budgets, budgets[1:], strict=False)):
        raise UserError(f"Hyperband's rungs grow by a constant factor; the table's budgets {budgets} do not")
    return {"min_budget": float(budgets[0]), "max_budget": float(budgets[-1]), "eta": float(eta)}


def table_budget(table: TableLike, budget: float | None) -> int:
    """The table budget a trial's ``budget`` names (``None``: the largest)."""
    if budget is None:
        return max(table.budgets)
    for b in table.budgets:
        if math.isclose(budget, b, rel_tol=BUDGET_TOLERANCE):
            return b
    raise UserError(f"the table has no results after {budget:g} epochs; its budgets are {list(table.budgets)}")


Factory = Callable[[Space, int], Optimizer]


def search_regret(table: TableLike, optimizer: Optimizer, n_evals: int, metric: str = "test") -> np.ndarray:
    """Regret after each of ``1 .. n_evals`` evaluations (or full-evaluation equivalents)
    of one search: at ``n``, that of the answer among the trials paid for by then.

    ``metric="val"`` measures the answer's validation accuracy against the table's best
    instead: how well the search optimised what it saw, free of the noise between
    validation and test accuracy that bounds test regret from below.
    """
    return search_regrets(table, optimizer, n_evals, (metric,))[metric]


def search_regrets(table: TableLike, optimizer: Optimizer, n_evals: int,
                   metrics: Sequence[str] = METRICS) -> dict[str, np.ndarray]:
    """:func:`search_regret` on several metrics from one run of the search."""
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise UserError(f"regret is measured on {' or '.join(METRICS)} accuracy, not {unknown[0]!r}")
    top = max(table.budgets)
    spent, told, paid, answers = 0.0, [], [], []
    while spent < n_evals - BUDGET_TOLERANCE:
        trial = optimizer.ask()
        budget = table_budget(table, trial.budget)
        optimizer.tell(trial, Result(loss=1.0 - table.lookup(trial.config, budget).val_acc))
        told.append(trial)
        spent += budget / top
        paid.append(spent)
        answers.append(table.lookup(best_trial(told).config))
    last = np.searchsorted(np.array(paid) - BUDGET_TOLERANCE, np.arange(1, n_evals + 1), side="right") - 1
    out = {}
    for metric in metrics:
        if metric == "test":
            regret = np.array([table.best_test_acc - a.test_acc for a in answers])
        else:
            best_val = max(table.lookup(k).val_acc for k in table.keys)
            regret = np.array([best_val - a.val_acc for a in answers])
        out[metric] = np.where(last >= 0, regret[np.maximum(last, 0)], np.nan)
    return out


def regret_curves(table: TableLike, strategy: str | Factory, n_evals: int = 100,
                  seeds: Sequence[int] = range(50), options: Mapping[str, Any] | None = None,
                  metric: str = "test") -> RegretCurves:
    """Run ``strategy`` (a registered name, or ``factory(space, seed)``) once per seed
    and measure regret on ``metric`` (see :func:`search_regret`).

    A registered multi-fidelity strategy gets the table's epochs as its budgets unless
    ``options`` set them.
    """
    return regret_curves_by_metric(table, strategy, n_evals, seeds, options, (metric,))[metric]


def regret_curves_by_metric(table: TableLike, strategy: str | Factory, n_evals: int = 100,
                            seeds: Sequence[int] = range(50), options: Mapping[str, Any] | None = None,
                            metrics: Sequence[str] = METRICS) -> dict[str, RegretCurves]:
    """:func:`regret_curves` on several metrics from one set of searches."""
    if n_evals < 1:
        raise UserError(f"regret needs at least one evaluation, got n_evals={n_evals}")
    space = table.space.space()
    options = dict(options or {})
    if isinstance(strategy, str):
        if issubclass(strategy_class(strategy), MultiFidelityOptimizer):
            options = {**fidelity_options(table.budgets), **options}
        name = strategy

        def factory(space: Space, seed: int) -> Optimizer:
            return make_optimizer(name, space, seed=seed, **options)
    else:
        factory, name = strategy, getattr(strategy, "__name__", "custom")
    seeds = list(seeds)
    optimizers = [factory(space, seed) for seed in seeds]
    with threadpool_limits(limits=1, user_api="blas"):  # many tiny fits: threads only contend
        runs = [search_regrets(table, opt, n_evals, metrics) for opt in optimizers]
    multi_fidelity = any(isinstance(o, MultiFidelityOptimizer) for o in optimizers)
    return {m: RegretCurves(name, seeds, np.array([r[m] for r in runs]), multi_fidelity) for m in metrics}


def compare(a: RegretCurves, b: RegretCurves, n: int) -> Comparison:
    """Whether ``a``'s regret after ``n`` evaluations is stochastically lower than ``b``'s."""
    x, y = a.at(n), b.at(n)
    statistic, p_value = stats.mannwhitneyu(x, y, alternative="less")
    return Comparison(a.strategy, b.strategy, n, float(np.median(x)), float(np.median(y)),
                      float(statistic), float(p_value))


__all__ = ["Comparison", "RegretCurves", "TableLike", "compare", "fidelity_options", "regret_curves",
           "regret_curves_by_metric", "search_regret", "search_regrets", "table_budget"]
