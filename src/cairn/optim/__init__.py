"""Search strategies behind one ask/tell protocol (see :mod:`cairn.optim.base`).

:data:`STRATEGIES` maps each strategy name to ``"module:Class"``, optionally followed by
default options (``"module:Class?surrogate=gp"``); modules are imported only when their
strategy is made, so heavy ones (Gaussian processes, forests) cost nothing until used.
Adding a strategy is one line here.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from cairn.errors import UserError
from cairn.optim.base import Optimizer
from cairn.space import Space

STRATEGIES: dict[str, str] = {
    "grid": "cairn.optim.grid:GridSearch",
    "random": "cairn.optim.random:RandomSearch",
    "anneal": "cairn.optim.anneal:SimulatedAnnealing",
    "rrs": "cairn.optim.rrs:RecursiveRandomSearch",
    "sh": "cairn.optim.halving:SuccessiveHalving",
    "hyperband": "cairn.optim.halving:Hyperband",
    "asha": "cairn.optim.halving:ASHA",
    "bohb": "cairn.optim.bohb:BOHB",
    "bandit": "cairn.optim.bandit:Bandit",
    "evolution": "cairn.optim.evolution:Evolution",
    "nas-evolution": "cairn.nas.strategies.evolution:RegularizedEvolution",
    "nas-rl": "cairn.nas.strategies.controller:ReinforceController",
    "nas-bo": "cairn.nas.strategies.bo:PathBO",
    "tpe": "cairn.optim.bayes:TPE",
    "bo-gp": "cairn.optim.bayes:BayesianOptimization?surrogate=gp",
    "bo-forest": "cairn.optim.bayes:BayesianOptimization?surrogate=forest",
    "auto": "cairn.automl.portfolio:AutoSearch",
}


def strategy_class(name: str) -> type[Optimizer]:
    """The optimiser class registered as ``name``."""
    if name not in STRATEGIES:
        raise UserError(f"unknown search strategy {name!r}; valid names are {', '.join(STRATEGIES)}")
    module, _, attr = STRATEGIES[name].split("?")[0].partition(":")
    return getattr(importlib.import_module(module), attr)


def strategy_defaults(name: str) -> dict[str, str]:
    """The default options a registry entry adds to its class (``?key=value&...``)."""
    _, _, query = STRATEGIES[name].partition("?")
    return dict(item.split("=", 1) for item in query.split("&") if item)


def make_optimizer(name: str, space: Space, seed: int | None = 0, **options: Any) -> Optimizer:
    """Build the strategy ``name`` on ``space``; ``options`` go to its constructor."""
    cls = strategy_class(name)
    options = {**strategy_defaults(name), **options}
    try:
        inspect.signature(cls).bind(space, seed=seed, **options)
    except TypeError as exc:
        raise UserError(f"search strategy {name!r} does not accept these options: {exc}") from None
    optimizer = cls(space, seed=seed, **options)
    optimizer.name = name  # the registry name is how studies record the strategy
    return optimizer


__all__ = ["Optimizer", "STRATEGIES", "make_optimizer", "strategy_class", "strategy_defaults"]
