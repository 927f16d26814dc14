"""Pipeline evolution: genetic programming over pipeline structures, as in TPOT.

On a CASH space (one with a ``learner`` choice) an individual is a structure config
(:mod:`cairn.learners.structure`): the learner with its hyperparameters, and up to
``max_steps`` preprocessing and feature operators with theirs, run in order after the
column step. The first ``population_size`` trials are random structures of the space's
learners (a learner-restricted space stays restricted, and its ranges hold).

Survival is NSGA-II's (Deb et al. 2002; TPOT, Olson et al. 2016, selects the same way)
on two objectives, the loss and the complexity (operators + 1): whenever a result is
told, the population and the new trial are sorted into Pareto fronts, and the
``population_size`` survivors are taken front by front, the last front cut to its
most isolated members (crowding distance). A simpler pipeline with the loss of a longer
one dominates it, so pipelines only grow where growing pays. Parents are drawn by
binary tournament on loss (then complexity). An offspring is, with probability
``crossover_rate``, a one-point crossover of two parents' step sequences (the head of
one, the tail of the other); otherwise, or when that child is not new, one mutation of
a parent: insert, remove or replace an operator, perturb the hyperparameters of the
learner or of one operator (a neighbour in their space), or switch the learner. A
config is never proposed twice while a new one can be found.

Breeding is steady-state: every ask after the initial population breeds one offspring
from the population as the results told by then left it. Searches here run tens of trials, and a
generational scheme would give a 40-trial search three rounds of feedback instead of
thirty; it also means asks may run ahead of tells (parallel workers) without waiting
for a generation to finish: an ask breeds from what has been told, and with nothing
told yet it draws another random structure. Every choice comes from the seeded
generator and depends only on the order of asks and tells, so a study replays exactly.

On a space without a ``learner`` the same loop evolves the space's own configs by
mutation alone (every complexity is 1): a plain steady-state genetic algorithm.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cairn.errors import UserError
from cairn.learners.structure import (
    N_STEPS,
    OPERATORS,
    Steps,
    join,
    learner_space,
    split,
    structure_space,
)
from cairn.optim.base import Optimizer
from cairn.optim.pareto import non_dominated
from cairn.space import Categorical, Config, Constant, Space
from cairn.trial import Trial

#: How far (on the unit scale) a perturbation moves a hyperparameter.
PERTURBATION = 0.2
#: Attempts at finding a config not proposed before, or a learner other than the current one.
MAX_TRIES = 20
#: Entrants of the tournament that picks each parent.
TOURNAMENT = 2
_OPERATOR_NAMES = list(OPERATORS)


class Evolution(Optimizer):
    """TPOT-style genetic programming with NSGA-II selection on (loss, complexity)."""

    name = "evolution"

    def __init__(self, space: Space, seed: int | None = 0, population_size: int = 10, max_steps: int = 3,
                 crossover_rate: float = 0.2):
        super().__init__(space, seed)
        if population_size < 2:
            raise UserError(f"evolution needs a population of at least 2, got {population_size}")
        if max_steps < 1:
            raise UserError(f"evolution needs room for at least one pipeline step, got max_steps={max_steps}")
        if not 0 <= crossover_rate <= 1:
            raise UserError(f"the crossover rate must be between 0 and 1, got {crossover_rate}")
        self.population_size = population_size
        self.crossover_rate = crossover_rate
        pipelines = "learner" in space
        self.max_steps = max_steps if pipelines else 0
        self.genome = structure_space(space, max_steps) if pipelines else space
        self.base = learner_space(space) if pipelines else space
        self._base_movable = any(not isinstance(p, Constant) for p in self.base.params)
        learner = self.base["learner"] if pipelines else None
        self._switchable = isinstance(learner, Categorical) and len(learner.choices) > 1
        self.population: list[Trial] = []
        self._proposed: set[Config] = set()

    # -- selection --------------------------------------------------------------------

    def _propose(self) -> Config:
        if self._next_id < self.population_size or not self.population:
            return self._novel(lambda: self.genome.sample(self.rng))
        return self._novel(self._offspring)

    def _observe(self, trial: Trial) -> None:
        """NSGA-II survival of the population and the newly told trial."""
        if trial.result is not None and trial.result.ok:
            pool = [*self.population, trial]
            points = np.array([(t.loss, complexity(t.config)) for t in pool])
            self.population = [pool[i] for i in nsga2_select(points, self.population_size)]

    def _novel(self, make: Callable[[], Config]) -> Config:
        for _ in range(MAX_TRIES):
            config = make()
            if config not in self._proposed:
                break
        self._proposed.add(config)
        return config

    def _offspring(self) -> Config:
        base, steps = self._split(self._tournament().config)
        crossed = self.max_steps > 0 and self.rng.random() < self.crossover_rate
        if crossed:
            steps = one_point_crossover(steps, self._split(self._tournament().config)[1], self.rng, self.max_steps)
        if not crossed or self._join(base, steps) in self._proposed:
            base, steps = self._mutate(base, steps)
        return self._join(base, steps)

    def _tournament(self) -> Trial:
        entrants = (self.population[int(i)] for i in self.rng.integers(len(self.population), size=TOURNAMENT))
        return min(entrants, key=lambda t: (t.loss, complexity(t.config)))

    # -- mutation -------------------------------------------------------------------

    def _mutate(self, base: dict, steps: Steps) -> tuple[dict, Steps]:
        steps = list(steps)
        moves = []
        if len(steps) < self.max_steps:
            moves.append(self._insert)
        if steps:
            moves += [self._remove, self._replace]
        if self._base_movable or any(len(OPERATORS[name].space) for name, _ in steps):
            moves.append(self._perturb)
        if self._switchable:
            moves.append(self._switch_learner)
        if not moves:
            return base, steps
        return moves[int(self.rng.integers(len(moves)))](base, steps)

    def _insert(self, base: dict, steps: Steps) -> tuple[dict, Steps]:
        steps.insert(int(self.rng.integers(len(steps) + 1)), self._random_step(_OPERATOR_NAMES))
        return base, steps

    def _remove(self, base: dict, steps: Steps) -> tuple[dict, Steps]:
        del steps[int(self.rng.integers(len(steps)))]
        return base, steps

    def _replace(self, base: dict, steps: Steps) -> tuple[dict, Steps]:
        i = int(self.rng.integers(len(steps)))
        steps[i] = self._random_step([name for name in _OPERATOR_NAMES if name != steps[i][0]])
        return base, steps

    def _perturb(self, base: dict, steps: Steps) -> tuple[dict, Steps]:
        targets = ([-1] if self._base_movable else []) + [i for i, (name, _) in enumerate(steps)
                                                          if len(OPERATORS[name].space)]
        i = targets[int(self.rng.integers(len(targets)))]
        if i < 0:
            return dict(self.base.neighbour(base, self.rng, PERTURBATION)), steps
        name, params = steps[i]
        steps[i] = (name, dict(OPERATORS[name].space.neighbour(params, self.rng, PERTURBATION)))
        return base, steps

    def _switch_learner(self, base: dict, steps: Steps) -> tuple[dict, Steps]:
        for _ in range(MAX_TRIES):
            other = dict(self.base.sample(self.rng))
            if other["learner"] != base["learner"]:
                break
        return other, steps

    def _random_step(self, names: list[str]) -> tuple[str, dict]:
        name = names[int(self.rng.integers(len(names)))]
        return name, dict(OPERATORS[name].space.sample(self.rng))

    # -- genome <-> config ------------------------------------------------------------

    def _split(self, config: Config) -> tuple[dict, Steps]:
        return split(config) if self.max_steps else (dict(config), [])

    def _join(self, base: dict, steps: Steps) -> Config:
        return self.genome.validate(join(base, steps) if self.max_steps else base)


def complexity(config: Config) -> int:
    """Operators of a structure config plus one (the learner); 1 for any other config."""
    return int(config.get(N_STEPS, 0)) + 1


def one_point_crossover(a: Steps, b: Steps, rng: np.random.Generator, max_steps: int) -> Steps:
    """The head of step sequence ``a`` joined to the tail of ``b``, each cut at a random point."""
    i, j = int(rng.integers(len(a) + 1)), int(rng.integers(len(b) + 1))
    return (a[:i] + b[j:])[:max_steps]


def nsga2_select(points: np.ndarray, k: int) -> list[int]:
    """NSGA-II survival of ``k`` rows of ``points`` (n, m), all objectives lower-is-better.

    Whole Pareto fronts are taken in order while they fit; the front that does not fit
    is cut to its most isolated rows (largest crowding distance, ties in row order).
    Returns the survivors' rows, best front first.
    """
    points = np.asarray(points, dtype=float)
    remaining = np.arange(len(points))
    chosen: list[int] = []
    while remaining.size and len(chosen) < k:
        mask = non_dominated(points[remaining])
        members = remaining[mask]
        crowding = crowding_distance(points[members])
        chosen += [int(members[j]) for j in np.argsort(-crowding, kind="stable")[: k - len(chosen)]]
        remaining = remaining[~mask]
    return chosen


def crowding_distance(points: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance of each row of one front: the normalised side lengths of
    the box its neighbours span, summed over objectives; the extremes of an objective
    that varies are infinitely far from the crowd."""
    n, m = points.shape
    distance = np.zeros(n)
    for col in range(m):
        order = np.argsort(points[:, col], kind="stable")
        span = points[order[-1], col] - points[order[0], col]
        if span > 0:
            distance[order[0]] = distance[order[-1]] = np.inf
            distance[order[1:-1]] += (points[order[2:], col] - points[order[:-2], col]) / span
    return distance
