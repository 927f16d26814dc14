"""Sequential model-based optimisation: the loop shared by GP/forest BO and TPE.

After a space-filling initial design, every ask fits a model to what is known and
lets it propose. Known means told trials (failures kept, with the worst value seen),
several objectives folded into one by ParEGO with a fresh weight vector per ask, and
pending trials with a constant lie, so that asks made before any tell (parallel
workers) get distinct points.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

import numpy as np

from cairn.errors import UserError
from cairn.optim.base import Optimizer
from cairn.optim.bayes import tpe
from cairn.optim.bayes.acquisition import acquisition_function, maximise
from cairn.optim.bayes.cost import CostCooling
from cairn.optim.bayes.encoding import Encoding
from cairn.optim.bayes.gp import GaussianProcess
from cairn.optim.bayes.initial import initial_design
from cairn.optim.bayes.targets import LIARS, WARPS, impute_failures, lies, parego, warp
from cairn.space import Config, Space
from cairn.trial import Result, Trial

SURROGATES = ("gp", "forest")


class Surrogate(Protocol):
    """A regression model with predictive uncertainty."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> Surrogate: ...

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


def _check(name: str, value: str, valid: Collection[str]) -> str:
    if value not in valid:
        raise UserError(f"unknown {name} {value!r}; valid names are {', '.join(valid)}")
    return value


class ModelBasedOptimizer(Optimizer):
    """Initial design, then :meth:`_suggest` on the encoded history (subclasses)."""

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        n_initial: int = 10,
        initial: str = "sobol",
        liar: str = "worst",
    ):
        super().__init__(space, seed)
        self.encoding = Encoding(space)
        self.n_initial = int(n_initial)
        self.liar = _check("liar", liar, LIARS)
        self._design = initial_design(self.encoding, self.n_initial, self.rng, initial)
        self._n_designed = 0
        self._pending: dict[int, Trial] = {}
        self._U = np.zeros((0, self.encoding.n_dims))
        self._M = np.zeros((0, self.encoding.n_dims), dtype=bool)
        self._losses = np.zeros(0)
        self._objectives: list[tuple[float, ...]] = []
        self._n_objectives = 0

    def ask(self) -> Trial:
        trial = super().ask()
        self._pending[trial.id] = trial
        return trial

    def tell(self, trial: Trial, result: Result) -> None:
        self._pending.pop(trial.id, None)
        super().tell(trial, result)

    def _observe(self, trial: Trial) -> None:
        U, M = self.encoding.encode([trial.config])
        self._U, self._M = np.vstack([self._U, U]), np.vstack([self._M, M])
        self._losses = np.append(self._losses, trial.loss)
        objectives = tuple(trial.result.objectives) if trial.result else ()
        self._objectives.append(objectives)
        self._n_objectives = max(self._n_objectives, len(objectives))

    def _propose(self) -> Config:
        known = len(self.history) + len(self._pending)
        if self._n_designed < len(self._design) and known < self.n_initial:
            self._n_designed += 1
            return self.encoding.decode(self._design[self._n_designed - 1])
        if not self.history:
            return self.encoding.decode(self.encoding.sample(self.rng, 1)[0][0])
        return self.encoding.decode(self._suggest(*self._training_data()))

    def _training_data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Encoded told and pending trials, and one finite target each (lower is better)."""
        y = self._targets()
        if not self._pending:
            return self._U, self._M, y
        PU, PM = self.encoding.encode([t.config for t in self._pending.values()])
        return np.vstack([self._U, PU]), np.vstack([self._M, PM]), np.r_[y, lies(y, len(PU), self.liar)]

    def _targets(self) -> np.ndarray:
        width = self._n_objectives
        if not width:
            return impute_failures(self._losses)
        F = np.array([o if len(o) == width else (np.inf,) * width for o in self._objectives])
        return parego(F, self.rng)

    def _suggest(self, U: np.ndarray, M: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The next canonical point given encoded points ``U``/``M`` and targets ``y``."""
        raise NotImplementedError


class BayesianOptimization(ModelBasedOptimizer):
    """A surrogate (``"gp"`` or ``"forest"``) plus an acquisition maximised by local search.

    ``acquisition`` is ``"logei"`` (default), ``"ei"``, ``"pi"`` or ``"lcb"`` (with
    ``kappa``); each ask scores ``n_candidates`` random points and hill-climbs from the
    best of them and from the incumbents. Targets are warped (``warp``, see
    :func:`cairn.optim.bayes.targets.warp`) before the surrogate sees them.
    ``n_initial`` defaults to one point per searchable parameter plus one, between 5
    and 10.
    """

    name = "bo"

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        surrogate: str = "gp",
        acquisition: str = "logei",
        n_initial: int | None = None,
        initial: str = "sobol",
        liar: str = "worst",
        warp: str = "power",
        kappa: float = 2.0,
        n_candidates: int = 1000,
    ):
        if n_initial is None:
            n_initial = min(max(5, Encoding(space).n_searchable + 1), 10)
        super().__init__(space, seed, n_initial, initial, liar)
        self.surrogate = _check("surrogate", surrogate, SURROGATES)
        self.acquisition = acquisition_function(acquisition, kappa)
        self.warp = _check("warping", warp, WARPS)
        self.n_candidates = n_candidates
        self.model = self._make_surrogate()

    def _make_surrogate(self) -> Surrogate:
        if self.surrogate == "gp":
            return GaussianProcess(self.rng)
        # Imported here so that GP and TPE users never pay for loading scikit-learn.
        from cairn.optim.bayes.forest import ForestSurrogate

        return ForestSurrogate(self.rng)

    def _suggest(self, U: np.ndarray, M: np.ndarray, y: np.ndarray) -> np.ndarray:
        z = warp(y, self.warp)
        self.model.fit(U, z)
        best = float(z.min())
        top = np.argsort(z, kind="stable")[:5]
        pool, values = maximise(
            lambda V: self.acquisition(*self.model.predict(V), best),
            self.encoding,
            self.rng,
            starts=(U[top], M[top]),
            n_random=self.n_candidates,
        )
        for i in np.argsort(-values, kind="stable"):
            if not np.any(np.all(np.abs(U - pool[i]) < 1e-9, axis=1)):
                return pool[i]
        return self.encoding.sample(self.rng, 1)[0][0]


class TPE(ModelBasedOptimizer):
    """Tree-structured Parzen estimator (see :mod:`cairn.optim.bayes.tpe`).

    Each ask draws ``n_candidates`` samples from the density of the good trials and
    keeps the best by ``l(x) / g(x)``; ``prior_weight`` is the weight of the broad prior
    kernel; ``multivariate=False`` models each parameter independently (hyperopt).
    ``cost_budget`` (seconds of trial time, e.g. a time budget times its workers) turns
    on cost cooling (:mod:`cairn.optim.bayes.cost`): the ratio is divided by the
    predicted cost to a power that falls from 1 to 0 as the told trials' costs add up
    to it, so cheap configs get more trials early. Costs are measured times, so a
    search with it is not reproducible from its seed alone; off by default.
    """

    name = "tpe"

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        n_initial: int = 10,
        initial: str = "sobol",
        liar: str = "worst",
        n_candidates: int = 24,
        prior_weight: float = 1.0,
        multivariate: bool = True,
        cost_budget: float | None = None,
    ):
        super().__init__(space, seed, n_initial, initial, liar)
        self.options = dict(n_candidates=n_candidates, prior_weight=prior_weight, multivariate=multivariate)
        self._proposer = tpe.Proposer(self.encoding, **self.options)
        self.cooling = None if cost_budget is None else CostCooling(cost_budget)

    def _observe(self, trial: Trial) -> None:
        super()._observe(trial)
        if self.cooling is not None:
            self.cooling.observe(trial.result.cost if trial.result else 0.0)

    def _suggest(self, U: np.ndarray, M: np.ndarray, y: np.ndarray) -> np.ndarray:
        # Told rows (the first len(self._losses)) never change, so the proposer keeps
        # its bad density between asks; pending rows after them come and go.
        return self._proposer(U, M, y, self.rng, n_final=len(self._losses), penalty=self._cost_penalty)

    def _cost_penalty(self, C: np.ndarray, CM: np.ndarray) -> np.ndarray | None:
        return None if self.cooling is None else self.cooling.penalty(C, CM, self._U, self._M)
