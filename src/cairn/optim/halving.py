"""Successive halving, Hyperband and ASHA: spend little on many configs, more on the best.

Budgets are whatever the objective understands as ``Trial.budget``. The defaults
(``min_budget=1/9``, ``max_budget=1.0``, ``eta=3``) suit a budget that is a fraction of
the training rows, as in :class:`cairn.evaluate.CashObjective`: rungs at 1/9, 1/3 and
all of the rows. For an iteration budget pass e.g. ``min_budget=10, max_budget=270``.
Rung budgets are ``max_budget / eta**k``; the smallest is the lowest one that is still at
least ``min_budget``.

Losses at different budgets are never compared with each other: a config is promoted
for ranking well *within its rung*, and :attr:`best` is the best trial at the largest
budget that has any result.

New configs come from :meth:`MultiFidelityOptimizer._sample_config`: uniform random,
or the proposals of a ``sampler`` (any ask/tell strategy on the same space, e.g. aging
evolution for architectures; BOHB instead overrides the method with its model). The
sampler is told the result of each config it proposed at the budget where that config
started, one result per proposal, as its own ask/tell loop expects.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

from cairn.errors import UserError
from cairn.optim.base import Optimizer
from cairn.space import Config, Space
from cairn.trial import Result, Trial


def max_bracket(min_budget: float, max_budget: float, eta: float) -> int:
    """``s_max = floor(log_eta(max_budget / min_budget))``: the number of halvings."""
    return int(math.floor(math.log(max_budget / min_budget) / math.log(eta) + 1e-9))


def bracket(s: int, s_max: int, eta: float, max_budget: float, n: int | None = None) -> list[tuple[int, float]]:
    """Rungs ``(n_i, r_i)`` of Hyperband's bracket ``s`` (Li et al., JMLR 2018, Alg. 1).

    ``n = ceil((s_max + 1) / (s + 1) * eta**s)`` configs start at ``max_budget * eta**-s``;
    rung ``i`` keeps ``floor(n * eta**-i)`` of them (at least one) at ``eta**i`` times that.
    ``n`` overrides the number of starting configs.
    """
    if n is None:
        n = math.ceil((s_max + 1) / (s + 1) * eta**s - 1e-9)
    return [(max(1, math.floor(n * eta**-i + 1e-9)), max_budget / eta ** (s - i)) for i in range(s + 1)]


class MultiFidelityOptimizer(Optimizer):
    """Shared checks, rung budgets, config sampling and the incumbent of budgeted strategies."""

    def __init__(self, space: Space, seed: int | None = 0, min_budget: float = 1 / 9,
                 max_budget: float = 1.0, eta: float = 3, sampler: Optimizer | str | None = None):
        super().__init__(space, seed)
        if isinstance(sampler, str):
            from cairn.optim import make_optimizer

            sampler = make_optimizer(sampler, space, seed=seed)
        if sampler is not None and sampler.space != space:
            raise UserError(f"{self.name}: the sampler searches another space than the one given")
        self.sampler = sampler
        self._sampled: dict[int, Trial] = {}
        if not 0 < min_budget <= max_budget:
            raise UserError(f"{self.name}: budgets must satisfy 0 < min_budget <= max_budget, got {min_budget} and {max_budget}")
        if not eta > 1:
            raise UserError(f"{self.name}: eta must be above 1, got {eta}")
        self.min_budget, self.max_budget, self.eta = min_budget, max_budget, eta
        self.s_max = max_bracket(min_budget, max_budget, eta)

    def _sample_config(self) -> Config:
        """A new config for the bottom of a bracket (the next trial's); BOHB overrides this."""
        if self.sampler is None:
            return self.space.sample(self.rng)
        proposal = self.sampler.ask()
        self._sampled[self._next_id] = proposal
        return proposal.config

    def tell(self, trial: Trial, result: Result) -> None:
        super().tell(trial, result)
        proposal = self._sampled.pop(trial.id, None)
        if proposal is not None:
            self.sampler.tell(proposal, result)

    def budget_of(self, trial: Trial) -> float:
        """The trial's budget, ``max_budget`` where it has none."""
        return self.max_budget if trial.budget is None else trial.budget



@dataclass
class _Bracket:
    """One run of successive halving; configs are drawn lazily, when first asked."""

    index: int
    rungs: list[tuple[int, float]]
    rung: int = field(default=0, init=False)
    queue: list[Config | None] = field(init=False)
    results: list[tuple[Config, float]] = field(default_factory=list, init=False)
    pending: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.queue = [None] * self.rungs[0][0]

    @property
    def done(self) -> bool:
        return not self.queue and not self.pending

    def next_job(self) -> Config | None:
        """The next config of the current rung (``None``: draw a new one); needs a non-empty queue."""
        self.pending += 1
        return self.queue.pop(0)

    def record(self, config: Config, loss: float) -> None:
        """Take one result of the current rung; promote the top ones once the rung is full."""
        self.pending -= 1
        self.results.append((config, loss))
        if self.queue or self.pending or self.rung + 1 == len(self.rungs):
            return
        finite = sorted((r for r in self.results if math.isfinite(r[1])), key=lambda r: r[1])
        self.rung += 1
        self.queue = [c for c, _ in finite[: self.rungs[self.rung][0]]]
        self.results = []


class SuccessiveHalving(MultiFidelityOptimizer):
    """Successive halving (Jamieson & Talwalkar, 2016), repeated for as long as asked.

    Each iteration starts ``n_configs`` (default ``eta**s_max``) random configs at the
    smallest budget and keeps the top ``1/eta`` of each rung for the next, ``eta`` times
    larger, budget; failed trials are never promoted.

    **Parallel workers.** When the open iterations all wait for results of their
    current rung, ``ask`` starts a new iteration instead of blocking; every ask gets a
    trial. Results are taken in any order.
    """

    name = "sh"

    def __init__(self, space: Space, seed: int | None = 0, min_budget: float = 1 / 9,
                 max_budget: float = 1.0, eta: float = 3, n_configs: int | None = None,
                 sampler: Optimizer | str | None = None):
        super().__init__(space, seed, min_budget, max_budget, eta, sampler)
        if n_configs is not None and n_configs < 1:
            raise UserError(f"{self.name}: n_configs must be at least 1, got {n_configs}")
        self.n_configs = n_configs
        self._open: list[_Bracket] = []
        self._started = 0
        self._jobs: dict[int, _Bracket] = {}

    def _next_bracket(self, index: int) -> list[tuple[int, float]]:
        """The rungs of the ``index``-th bracket this strategy starts."""
        n = self.n_configs if self.n_configs is not None else math.ceil(self.eta**self.s_max - 1e-9)
        return bracket(self.s_max, self.s_max, self.eta, self.max_budget, n)

    def ask(self) -> Trial:
        current = next((b for b in self._open if b.queue), None)
        if current is None:
            current = _Bracket(self._started, self._next_bracket(self._started))
            self._started += 1
            self._open.append(current)
        config = current.next_job()
        trial = self._new_trial(config if config is not None else self._sample_config(),
                                current.rungs[current.rung][1])
        trial.info.update(bracket=current.index, rung=current.rung)
        self._jobs[trial.id] = current
        return trial

    def _observe(self, trial: Trial) -> None:
        current = self._jobs.pop(trial.id, None)
        if current is None:
            return
        current.record(trial.config, trial.loss)
        if current.done:
            self._open.remove(current)


class Hyperband(SuccessiveHalving):
    """Hyperband (Li et al., JMLR 2018): successive halving over brackets ``s = s_max .. 0``.

    Bracket ``s`` trades many configs on a small budget against few on a large one
    (see :func:`bracket`); brackets repeat in that order. With parallel workers, a new
    bracket starts whenever the open ones wait for results, as in :class:`SuccessiveHalving`.
    """

    name = "hyperband"

    def __init__(self, space: Space, seed: int | None = 0, min_budget: float = 1 / 9,
                 max_budget: float = 1.0, eta: float = 3, sampler: Optimizer | str | None = None):
        super().__init__(space, seed, min_budget, max_budget, eta, sampler=sampler)

    def _next_bracket(self, index: int) -> list[tuple[int, float]]:
        s = self.s_max - index % (self.s_max + 1)
        return bracket(s, self.s_max, self.eta, self.max_budget)


class _Rung:
    """Results of one ASHA rung, kept sorted by loss, and which of them were promoted."""

    def __init__(self) -> None:
        self.losses: list[float] = []
        self.configs: list[Config] = []
        self.promoted: list[bool] = []

    def add(self, config: Config, loss: float) -> None:
        loss = loss if math.isfinite(loss) else math.inf
        i = bisect.bisect_right(self.losses, loss)
        self.losses.insert(i, loss)
        self.configs.insert(i, config)
        self.promoted.insert(i, False)

    def promote(self, eta: float) -> Config | None:
        """Mark and return the best unpromoted config of the top ``1/eta``, if any."""
        top = min(math.floor(len(self.losses) / eta + 1e-9), bisect.bisect_left(self.losses, math.inf))
        try:
            i = self.promoted.index(False, 0, top)
        except ValueError:
            return None
        self.promoted[i] = True
        return self.configs[i]


class ASHA(MultiFidelityOptimizer):
    """Asynchronous successive halving (Li et al., MLSys 2020); never waits for a full rung.

    Rung ``k`` runs at ``max_budget / eta**(s_max - k)``. Each ask promotes a config from
    the highest rung where one ranks in the top ``1/eta`` of that rung's results so far
    and has not been promoted yet; if there is none, a new config starts at rung 0.
    """

    name = "asha"

    def __init__(self, space: Space, seed: int | None = 0, min_budget: float = 1 / 9,
                 max_budget: float = 1.0, eta: float = 3, sampler: Optimizer | str | None = None):
        super().__init__(space, seed, min_budget, max_budget, eta, sampler=sampler)
        self._rungs = [_Rung() for _ in range(self.s_max + 1)]

    def rung_budget(self, k: int) -> float:
        return self.max_budget / self.eta ** (self.s_max - k)

    def ask(self) -> Trial:
        for k in range(self.s_max - 1, -1, -1):
            config = self._rungs[k].promote(self.eta)
            if config is not None:
                return self._start(config, k + 1)
        return self._start(self._sample_config(), 0)

    def _start(self, config: Config, k: int) -> Trial:
        trial = self._new_trial(config, self.rung_budget(k))
        trial.info["rung"] = k
        return trial

    def _observe(self, trial: Trial) -> None:
        if "rung" in trial.info:
            self._rungs[trial.info["rung"]].add(trial.config, trial.loss)


__all__ = ["ASHA", "Hyperband", "MultiFidelityOptimizer", "SuccessiveHalving", "bracket", "max_bracket"]
