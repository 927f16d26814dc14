"""Warm starting: hand out given configs first, then let another strategy search.

Configs that did well elsewhere (a portfolio, a previous study's best) are the cheapest
way to get good fast; the search that follows should still learn from how they did. So
every result, including those of the warm-start configs, is told to the inner strategy,
as Optuna's ``enqueue_trial`` does: a model-based strategy then starts with a model
instead of an initial design. A warm-start trial reaches the inner strategy under an id
it can never have given out itself (a negative one), so its own bookkeeping of pending
trials is untouched.

Strategies that file results under the trials they asked for (the rungs and brackets
of multi-fidelity strategies, the arms of the bandit) would drop the warm-start results
without a word; wrapping them is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cairn.errors import ConfigError, UserError
from cairn.optim import make_optimizer
from cairn.optim.base import Optimizer
from cairn.space import Config, Space, Value
from cairn.trial import Trial


class WarmStart(Optimizer):
    """``configs`` first, in order, then the trials of ``inner``, which is told every result.

    ``inner`` is a registered strategy name (built on the same space with this seed and
    ``inner_options``) or an optimiser on the same space. Asks depend only on the seed
    and the results told, so a study with a warm start replays and resumes like any other.
    """

    name = "warmstart"

    def __init__(self, space: Space, seed: int | None = 0, configs: Iterable[Mapping[str, Value]] = (),
                 inner: str | Optimizer = "tpe", inner_options: dict[str, Any] | None = None):
        super().__init__(space, seed)
        self.configs = [_valid(space, config, i) for i, config in enumerate(configs)]
        if isinstance(inner, Optimizer):
            if inner_options:
                raise UserError("warm start: inner_options apply only when the inner strategy is given by name")
            if inner.space != space:
                raise UserError("warm start: the inner strategy must search the same space")
            self.inner = inner
        else:
            self.inner = make_optimizer(inner, space, seed=seed, **(inner_options or {}))
        _check_inner(self.inner)
        self._handed_out = 0
        self._jobs: dict[int, Trial] = {}

    def ask(self) -> Trial:
        if self._handed_out < len(self.configs):
            self._handed_out += 1
            trial = self._new_trial(self.configs[self._handed_out - 1])
            trial.info["warm_start"] = True
            return trial
        inner = self.inner.ask()
        trial = self._new_trial(inner.config, inner.budget)
        trial.info.update(inner.info)
        self._jobs[trial.id] = inner
        return trial

    def _observe(self, trial: Trial) -> None:
        inner = self._jobs.pop(trial.id, None)
        if inner is None:  # a warm-start trial, which the inner strategy never asked for
            inner = Trial(-1 - trial.id, trial.config, trial.budget)
        self.inner.tell(inner, trial.result)  # type: ignore[arg-type]


def _valid(space: Space, config: Mapping[str, Value], index: int) -> Config:
    try:
        return space.validate(config)
    except ConfigError as exc:
        raise ConfigError(f"warm-start config {index}: {exc}") from None


def _check_inner(inner: Optimizer) -> None:
    from cairn.optim.bandit import Bandit
    from cairn.optim.halving import MultiFidelityOptimizer

    if isinstance(inner, (MultiFidelityOptimizer, Bandit)):
        raise UserError(f"warm start cannot hand its results to strategy '{inner.name}', which learns only from "
                        "trials it asked for itself; use random, tpe, bo-gp, bo-forest, anneal, rrs or grid")


__all__ = ["WarmStart"]
