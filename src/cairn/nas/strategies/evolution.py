"""Regularised (aging) evolution (Real et al., AAAI 2019, "Regularized evolution for
image classifier architecture search").

A population of the ``population_size`` most recently evaluated networks; each new
network is a mutation of the best of ``sample_size`` members drawn at random, and the
*oldest* member dies when a newcomer joins, however good it was. Aging keeps the search
from resting on one lucky evaluation and favours architectures that stay good as they
are re-derived, which is what made it beat RL and random search in the paper.

Steady state, as in the paper: the first ``population_size`` proposals are random, and
every later ask mutates from the population the told results have left (with nothing
told yet, another random network), so asks may run ahead of tells on parallel workers.
A mutation changes one operation or one input of one node (one parameter, in any
other space); a network proposed before is not proposed again while a new one can be
found. Every choice comes from the seeded generator in ask/tell order, so a study
replays exactly.
"""

from __future__ import annotations

from collections import deque

from cairn.errors import UserError
from cairn.nas.strategies.common import Proposals, mutate
from cairn.optim.base import Optimizer
from cairn.space import Config, Space
from cairn.trial import Trial


class RegularizedEvolution(Optimizer):
    """Aging evolution: tournament of ``sample_size`` out of the ``population_size`` youngest."""

    name = "nas-evolution"

    def __init__(self, space: Space, seed: int | None = 0, population_size: int = 20, sample_size: int = 5):
        super().__init__(space, seed)
        if population_size < 2:
            raise UserError(f"aging evolution needs a population of at least 2, got {population_size}")
        if not 1 <= sample_size <= population_size:
            raise UserError(f"the sample size must lie in [1, population_size={population_size}], got {sample_size}")
        self.population_size, self.sample_size = population_size, sample_size
        self.population: deque[Trial] = deque(maxlen=population_size)
        self._proposals = Proposals(space)

    def _propose(self) -> Config:
        if self._next_id < self.population_size or not self.population:
            return self._proposals.novel(lambda: self.space.sample(self.rng), self.rng)
        parent = self._tournament()
        return self._proposals.novel(lambda: mutate(self.space, parent.config, self.rng), self.rng)

    def _tournament(self) -> Trial:
        drawn = self.rng.choice(len(self.population), size=min(self.sample_size, len(self.population)), replace=False)
        return min((self.population[int(i)] for i in drawn), key=lambda t: (t.loss, t.id))

    def _observe(self, trial: Trial) -> None:
        """The newcomer joins; the deque's bound makes the oldest member die."""
        if trial.result is not None and trial.result.ok:
            self.population.append(trial)


__all__ = ["RegularizedEvolution"]
