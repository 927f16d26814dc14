"""Policy search as a cairn Study: the policy is a :class:`~cairn.space.Space`, the
objective is :class:`~cairn.augment.objective.AugmentObjective`, and any strategy of
:func:`cairn.optim.make_optimizer` searches it (BOHB with epochs as the fidelity, TPE,
random search, ...). There is no search loop here: the Study asks, evaluates, tells and
records every trial in the Store like any other search.

The policy space is :func:`cairn.augment.spaces.policy_space`; joined with a CASH
space (:func:`augmented_cash_space`), one search chooses the augmentation and the learner
together. :func:`confirm_finalists` re-scores a search's few best on fresh splits before
one is chosen, because the best of many noisy scores is mostly the luckiest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cairn.augment.objective import AugmentObjective
from cairn.augment.policies import OPS
from cairn.augment.spaces import policy_space
from cairn.errors import UserError
from cairn.learners import cash_space
from cairn.optim import make_optimizer
from cairn.optim.warmstart import WarmStart
from cairn.space import Space
from cairn.study import Study, StudyResult
from cairn.track import Store
from cairn.trial import ranked_trials


def augmented_cash_space(learners: Sequence[str] | str | None = None, n_subpolicies: int = 1,
                         ops: Sequence[str] = tuple(OPS)) -> Space:
    """A CASH space (preprocessing and learners, as ``cairn run`` searches) joined with a
    policy space, for :class:`AugmentObjective` to search both at once."""
    return policy_space(n_subpolicies, ops) + cash_space("classification", learners)


def search_policy(objective: AugmentObjective, space: Space | None = None, *, strategy: str = "bohb",
                  n_trials: int | None = 30, time_budget: float | None = None, seed: int = 0,
                  store: Store | None = None, experiment: str = "augment",
                  warm_start: Sequence[Mapping[str, Any]] = (), **options: Any) -> StudyResult:
    """Search ``space`` (default: :func:`policy_space`) for the configs ``objective`` scores
    best, with a cairn Study recorded in ``store``.

    ``options`` go to the strategy (for BOHB on epochs: ``min_budget=10, max_budget=90``).
    ``warm_start`` configs (known policies, by :func:`~cairn.augment.spaces.policy_config`)
    are the first trials, and the strategy learns from their results
    (:class:`~cairn.optim.warmstart.WarmStart`; not for multi-fidelity strategies).
    The learned policy is ``policy_from_config(result.best.config)``.
    """
    space = space if space is not None else policy_space()
    if warm_start:
        optimizer = WarmStart(space, seed, warm_start, inner=strategy, inner_options=options)
    else:
        optimizer = make_optimizer(strategy, space, seed=seed, **options)
    study = Study(optimizer, objective, store=store, experiment=experiment, n_trials=n_trials,
                  time_budget=time_budget, name=f"augment-{strategy}-seed{seed}")
    return study.optimize()


def confirm_finalists(result: StudyResult, objective: AugmentObjective, space: Space | None = None, *,
                      finalists: int = 3, seed: int = 0, store: Store | None = None,
                      experiment: str = "augment") -> StudyResult:
    """Score the ``finalists`` best distinct configs of ``result`` again with ``objective``,
    in a Study of their own recorded in ``store``; its ``best`` is the policy to use.

    Pass the same task on fresh splits and augmentation draws (an objective built with
    another resampling seed and ``seed``): the search's own scores of its best configs
    are biased upwards, since each was picked for scoring high once (the winner's curse),
    while fresh scores are not. As SMAC's intensification races challengers against the
    incumbent on more instances, only the few best pay for the extra fits. Finalists
    come from the highest budget the search reached and are scored at full budget.
    """
    space = space if space is not None else policy_space()
    if isinstance(finalists, bool) or not isinstance(finalists, int) or finalists < 1:
        raise UserError(f"finalists must be a positive integer, got {finalists!r}")
    configs = [dict(t.config) for t in ranked_trials(result.trials)]
    distinct = [c for i, c in enumerate(configs) if c not in configs[:i]][:finalists]
    if not distinct:
        raise UserError("the search has no successful trial to confirm")
    optimizer = WarmStart(space, seed, distinct, inner="random")
    study = Study(optimizer, objective, store=store, experiment=experiment, n_trials=len(distinct),
                  name=f"augment-confirm-seed{seed}")
    return study.optimize()
