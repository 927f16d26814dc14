"""Bayesian optimisation over architectures with a path encoding (BANANAS, White et al.,
AAAI 2021, "BANANAS: Bayesian optimization with neural architectures for neural
architecture search").

The surrogate is cairn's Gaussian process (:mod:`cairn.optim.bayes.gp`, Matérn-5/2 with
one length scale per feature) on the *path encoding* of each network
(:mod:`cairn.nas.encoding`): networks that share many input-to-output operation
sequences are close, whatever their adjacency looks like. Where BANANAS trains an
ensemble of networks as its surrogate, a GP gives calibrated uncertainty from the few
dozen results a table search has. Acquisition is expected improvement, maximised as in
BANANAS over a candidate set: ``n_mutations`` single mutations of each of the
``n_parents`` best networks, plus ``n_random`` random ones, none proposed before.

The first ``n_initial`` proposals are random. In a space that is not an architecture
space the features are the space's own unit-cube encoding, so the strategy still runs.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from cairn.errors import UserError
from cairn.nas.encoding import PathEncoding
from cairn.nas.strategies.common import Proposals, mutate
from cairn.optim.base import Optimizer
from cairn.optim.bayes.acquisition import expected_improvement
from cairn.optim.bayes.gp import GaussianProcess
from cairn.space import Config, Space
from cairn.trial import Trial


class PathBO(Optimizer):
    """GP + expected improvement on path encodings, candidates by mutating the best."""

    name = "nas-bo"

    def __init__(self, space: Space, seed: int | None = 0, n_initial: int = 10, n_parents: int = 10,
                 n_mutations: int = 10, n_random: int = 50, max_path_length: int | None = 3):
        super().__init__(space, seed)
        if n_initial < 1 or n_parents < 1 or n_mutations < 0 or n_random < 0 or n_mutations + n_random < 1:
            raise UserError("path BO needs n_initial >= 1, n_parents >= 1 and some candidates "
                            f"(n_mutations + n_random >= 1), got {n_initial}, {n_parents}, {n_mutations}, {n_random}")
        self.n_initial, self.n_parents, self.n_mutations, self.n_random = n_initial, n_parents, n_mutations, n_random
        self._proposals = Proposals(space)
        arch = self._proposals.architecture
        self.encoding = PathEncoding(arch, max_path_length) if arch is not None else None
        self.model = GaussianProcess(self.rng, n_restarts=1, refit_fraction=0.1)
        self._told: list[Trial] = []
        self._rows: list[np.ndarray] = []
        self._features: dict[Hashable, np.ndarray] = {}

    def features(self, config: Config, key: Hashable | None = None) -> np.ndarray:
        """The surrogate's input: the path encoding, or the unit-cube encoding of other spaces."""
        key = self._proposals.key(config) if key is None else key
        if key not in self._features:
            self._features[key] = (self.encoding.encode(config) if self.encoding is not None
                                   else self.space.encode(config))
        return self._features[key]

    def _observe(self, trial: Trial) -> None:
        if trial.result is not None and trial.result.ok:
            self._told.append(trial)
            self._rows.append(self.features(trial.config))

    def _propose(self) -> Config:
        candidates = self._candidates() if len(self._told) >= self.n_initial else {}
        if not candidates:
            return self._proposals.novel(lambda: self.space.sample(self.rng), self.rng)
        X = np.array(self._rows)
        y = np.array([t.loss for t in self._told])
        self.model.fit(X, y)
        mean, std = self.model.predict(np.array([self.features(c, k) for k, c in candidates.items()]))
        chosen = list(candidates.values())[int(np.argmax(expected_improvement(mean, std, float(y.min()))))]
        self._proposals.add(chosen)
        return chosen

    def _candidates(self) -> dict[Hashable, Config]:
        """Mutants of the best told networks and random ones, new and distinct, by key."""
        parents = sorted(self._told, key=lambda t: (t.loss, t.id))[: self.n_parents]
        pool = [mutate(self.space, p.config, self.rng) for p in parents for _ in range(self.n_mutations)]
        pool += [self.space.sample(self.rng) for _ in range(self.n_random)]
        unique: dict[Hashable, Config] = {}
        for config in pool:
            key = self._proposals.key(config)
            if key not in self._proposals.keys and key not in unique:
                unique[key] = config
        return unique


__all__ = ["PathBO"]
