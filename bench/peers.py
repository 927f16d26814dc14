"""Peer HPO libraries behind one call, for ``bench/hpo.py``.

``PEERS[name](space, fn, n_evals, seed)`` minimises ``fn(config) -> loss`` over a flat
cairn :class:`~cairn.space.Space` (floats, ints, categoricals; no conditions) with exactly
``n_evals`` evaluations and returns the losses in evaluation order. Every library runs
with its shipped defaults, driven through its ask/tell interface where it has one, except:
Optuna's GPSampler and SMAC are told the objective is deterministic (it is: fixed
functions, fixed splits and seeds), and SMAC writes its run files to a temporary folder.

``optuna_hyperband`` is Optuna's TPE sampler with its Hyperband pruner on a multi-fidelity
benchmark: each trial reports at the rung budgets and is pruned or promoted between them.
"""

from __future__ import annotations

import logging
import math
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from cairn.space import Categorical, Float, Int, Param, Space

Objective = Callable[[dict[str, Any]], float]
Peer = Callable[[Space, Objective, int, int], list[float]]


def flat_params(space: Space) -> list[Param]:
    if space.conditions:
        raise ValueError("peers are compared on flat spaces only (no conditional parameters)")
    return space.params


def native(space: Space, values: Mapping[str, Any]) -> dict[str, Any]:
    """A peer's suggestion as a cairn config: plain Python values, ints rounded into range."""
    config = {}
    for p in flat_params(space):
        v = values[p.name]
        v = v.item() if hasattr(v, "item") else v
        if isinstance(p, Categorical):
            config[p.name] = p.check(v)
        elif isinstance(p, Int):
            config[p.name] = int(min(p.high, max(p.low, round(float(v)))))
        else:
            config[p.name] = float(min(p.high, max(p.low, float(v))))
    return config


# --------------------------------------------------------------------------- Optuna


def optuna_distributions(space: Space) -> dict[str, Any]:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    def dist(p: Param) -> Any:
        if isinstance(p, Categorical):
            return CategoricalDistribution(p.choices)
        cls = IntDistribution if isinstance(p, Int) else FloatDistribution
        return cls(p.low, p.high, log=p.log)

    return {p.name: dist(p) for p in flat_params(space)}


def optuna_study(sampler: str, seed: int, pruner: Any = None) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    samplers = {
        "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "gp": lambda: optuna.samplers.GPSampler(seed=seed, deterministic_objective=True),
        "random": lambda: optuna.samplers.RandomSampler(seed=seed),
    }
    return optuna.create_study(sampler=samplers[sampler](), pruner=pruner)


def _optuna(sampler: str) -> Peer:
    def run(space: Space, fn: Objective, n_evals: int, seed: int) -> list[float]:
        study, dists, losses = optuna_study(sampler, seed), optuna_distributions(space), []
        for _ in range(n_evals):
            trial = study.ask(dists)
            losses.append(fn(native(space, trial.params)))
            study.tell(trial, losses[-1])
        return losses

    return run


# --------------------------------------------------------------------------- Hyperopt


def _hyperopt_space(space: Space) -> dict[str, Any]:
    from hyperopt import hp

    def dim(p: Param) -> Any:
        if isinstance(p, Categorical):
            return hp.choice(p.name, p.choices)
        if isinstance(p, Int):
            lo, hi = p.low - 0.49, p.high + 0.49
            return hp.qloguniform(p.name, math.log(max(lo, 0.51)), math.log(hi), 1) if p.log else hp.quniform(p.name, lo, hi, 1)
        return hp.loguniform(p.name, math.log(p.low), math.log(p.high)) if p.log else hp.uniform(p.name, p.low, p.high)

    return {p.name: dim(p) for p in flat_params(space)}


def hyperopt_tpe(space: Space, fn: Objective, n_evals: int, seed: int) -> list[float]:
    from hyperopt import Trials, fmin, tpe

    trials = Trials()
    fmin(lambda values: fn(native(space, values)), _hyperopt_space(space), algo=tpe.suggest,
         max_evals=n_evals, trials=trials, rstate=np.random.default_rng(seed), show_progressbar=False)
    return [float(v) for v in trials.losses()]


# --------------------------------------------------------------------------- scikit-optimize


def skopt_gp(space: Space, fn: Objective, n_evals: int, seed: int) -> list[float]:
    from skopt import gp_minimize
    from skopt.space import Categorical as SkCategorical
    from skopt.space import Integer, Real

    def dim(p: Param) -> Any:
        if isinstance(p, Categorical):
            return SkCategorical(p.choices, name=p.name)
        cls = Integer if isinstance(p, Int) else Real
        return cls(p.low, p.high, prior="log-uniform" if p.log else "uniform", name=p.name)

    params = flat_params(space)
    names = [p.name for p in params]
    result = gp_minimize(lambda x: fn(native(space, dict(zip(names, x, strict=True)))),
                         [dim(p) for p in params], n_calls=n_evals, random_state=seed)
    return [float(v) for v in result.func_vals]


# --------------------------------------------------------------------------- SMAC3


def _configspace(space: Space, seed: int) -> Any:
    from ConfigSpace import Categorical as CsCategorical
    from ConfigSpace import ConfigurationSpace, Integer
    from ConfigSpace import Float as CsFloat

    def dim(p: Param) -> Any:
        if isinstance(p, Categorical):
            return CsCategorical(p.name, p.choices)
        if isinstance(p, Float):
            return CsFloat(p.name, (p.low, p.high), log=p.log)
        return Integer(p.name, (p.low, p.high), log=p.log)

    cs = ConfigurationSpace(seed=seed)
    cs.add([dim(p) for p in flat_params(space)])
    return cs


def _smac(facade: str) -> Peer:
    def run(space: Space, fn: Objective, n_evals: int, seed: int) -> list[float]:
        import smac
        from smac.runhistory.dataclasses import TrialValue

        cls = {"hpo": smac.HyperparameterOptimizationFacade, "bb": smac.BlackBoxFacade}[facade]
        losses: list[float] = []
        with tempfile.TemporaryDirectory(prefix="cairn-smac-") as tmp:
            scenario = smac.Scenario(_configspace(space, seed), deterministic=True, n_trials=n_evals,
                                     seed=seed, output_directory=Path(tmp))
            optimizer = cls(scenario, _never_called, overwrite=True, logging_level=logging.ERROR)
            for _ in range(n_evals):
                info = optimizer.ask()
                losses.append(fn(native(space, dict(info.config))))
                optimizer.tell(info, TrialValue(cost=losses[-1]))
        return losses

    return run


def _never_called(config: Any, seed: int = 0) -> float:
    raise AssertionError("SMAC is driven by ask/tell here")


PEERS: dict[str, Peer] = {
    "optuna-tpe": _optuna("tpe"),
    "optuna-gp": _optuna("gp"),
    "hyperopt-tpe": hyperopt_tpe,
    "skopt-gp": skopt_gp,
    "smac-hpo": _smac("hpo"),
    "smac-bb": _smac("bb"),
}

#: The distribution each peer's version is read from.
PEER_PACKAGES = {"optuna": "optuna", "hyperopt": "hyperopt", "skopt": "scikit-optimize",
                 "smac": "smac", "ConfigSpace": "ConfigSpace", "torch": "torch"}


# --------------------------------------------------------------------------- multi-fidelity


def optuna_hyperband(bench: Any, seed: int, total_budget: float, eta: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Optuna TPE + HyperbandPruner until ``total_budget`` full evaluations are spent.

    A trial reports at the rung budgets ``min_budget * eta**k`` (as Optuna steps 1, eta,
    eta**2, ...); continuing a trial is treated as resuming it, so reaching budget ``b``
    costs ``b`` in all, not the sum of its rungs. Returns, after each report, the budget
    spent and the regret of the best config evaluated at the full budget, as
    :func:`cairn.benchmarks.multifidelity.trajectory` does for cairn's strategies.
    """
    import optuna

    steps = int(round(math.log(bench.max_budget / bench.min_budget, eta)))
    pruner = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=eta**steps, reduction_factor=eta)
    study, dists = optuna_study("tpe", seed, pruner), optuna_distributions(bench.space)
    spent, regrets, total, best = [], [], 0.0, math.inf
    while total < total_budget:
        trial = study.ask(dists)
        config, paid = native(bench.space, trial.params), 0.0
        for k in range(steps + 1):
            budget = bench.max_budget / eta ** (steps - k)
            loss = bench(config, budget)
            total += bench.cost(budget) - paid
            paid = bench.cost(budget)
            if k == steps:
                best = min(best, bench.regret(loss))
            spent.append(total)
            regrets.append(best)
            if k == steps:
                study.tell(trial, loss)
                break
            trial.report(loss, step=eta**k)
            if trial.should_prune():
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                break
            if total >= total_budget:
                break
    return np.array(spent), np.array(regrets)
