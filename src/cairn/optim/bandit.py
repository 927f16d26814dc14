"""A bandit over the values of one choice (the learner), each arm with its own inner search.

CASH spaces are a top-level choice of learner whose every value brings its own
parameters. Searching them jointly spreads trials over learners that are hopeless; the
bandit instead treats each learner as an arm, runs an independent inner optimiser on
that arm's sub-space (its own parameters plus the shared, unconditioned ones, e.g.
preprocessing), and lets a policy decide which arm gets the next trial.

Rewards are rank-based: a trial's reward is the fraction of all told trials (every arm)
whose loss is worse than its own, ties counting half. It lies in [0, 1], ignores the
loss's scale and outliers, and ranks failures (infinite losses) last. It is recomputed
on every ask, so the arm statistics always use the current ranking.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cairn.errors import SearchExhausted, UserError
from cairn.optim import make_optimizer
from cairn.optim.base import Optimizer
from cairn.space import Categorical, Config, Space, Value
from cairn.trial import Trial

POLICIES = ("ucb1", "thompson", "successive_rejects")


def arm_space(space: Space, arm_param: str, arm: Value) -> Space:
    """The parameters that can be active when ``arm_param == arm``, without ``arm_param``.

    Conditions on ``arm_param`` are dropped (they hold); parameters that need another
    value of it, and their descendants, are left out.
    """
    conditions = space.conditions
    kept: dict[str, dict[str, list[Value]]] = {}
    params = []
    for p in space.params:  # parents come before their children
        parents = conditions.get(p.name, {})
        if p.name == arm_param or arm not in parents.get(arm_param, [arm]):
            continue
        if all(parent == arm_param or parent in kept for parent in parents):
            params.append(p)
            kept[p.name] = {k: v for k, v in parents.items() if k != arm_param}
    return Space(params, {k: v for k, v in kept.items() if v})


def rank_rewards(losses: np.ndarray) -> np.ndarray:
    """Each loss's share of the others that are worse (ties count half): 1 best, 0 worst."""
    n = len(losses)
    if n < 2:
        return np.full(n, 0.5)
    ordered = np.sort(losses)
    worse = n - np.searchsorted(ordered, losses, side="right")
    ties = np.searchsorted(ordered, losses, side="right") - np.searchsorted(ordered, losses, side="left") - 1
    return (worse + 0.5 * ties) / (n - 1)


class Bandit(Optimizer):
    """Arms are the values of ``arm_param``; ``policy`` spreads trials over them.

    * ``"ucb1"`` (Auer et al., 2002): each arm once, then the highest
      ``mean reward + exploration * sqrt(2 ln N / n_arm)``.
    * ``"thompson"``: the highest draw from ``Beta(1 + sum r, 1 + sum (1 - r))`` per arm.
    * ``"successive_rejects"`` (Audibert & Bubeck, 2010): over ``horizon`` trials, in
      ``K - 1`` phases, plays the surviving arms equally and then drops the one with
      the lowest mean reward; after the horizon only the survivor is played.

    ``inner`` names a registered strategy that each arm runs on its sub-space (see
    :func:`arm_space`), built with ``inner_options`` and a seed drawn from this one's.
    ``arm_param=None`` takes ``"learner"`` if the space has it, else the first
    unconditioned categorical. Counts include trials still out, so parallel asks spread
    over arms; the mean reward uses told trials only (0.5 before any). Budgets the inner
    strategy sets pass through, but rewards compare losses across budgets.
    """

    name = "bandit"

    def __init__(self, space: Space, seed: int | None = 0, policy: str = "ucb1", inner: str = "random",
                 arm_param: str | None = None, inner_options: dict[str, Any] | None = None,
                 exploration: float = 1.0, horizon: int = 100):
        super().__init__(space, seed)
        if policy not in POLICIES:
            raise UserError(f"bandit: unknown policy {policy!r}; valid policies are {', '.join(POLICIES)}")
        if exploration < 0:
            raise UserError(f"bandit: exploration must be non-negative, got {exploration}")
        self.arm_param = _arm_param(space, arm_param)
        self.arms: list[Value] = list(space[self.arm_param].choices)
        if policy == "successive_rejects" and horizon < len(self.arms):
            raise UserError(f"bandit: the horizon ({horizon}) must be at least the number of arms ({len(self.arms)})")
        self.policy, self.exploration, self.horizon = policy, exploration, horizon
        self.inner = [
            make_optimizer(inner, arm_space(space, self.arm_param, arm), seed=int(self.rng.integers(2**32)),
                           **(inner_options or {}))
            for arm in self.arms
        ]
        self.pulls = np.zeros(len(self.arms), dtype=int)
        self.exhausted = np.zeros(len(self.arms), dtype=bool)
        self.rejected = np.zeros(len(self.arms), dtype=bool)
        self._told_arm: list[int] = []
        self._told_loss: list[float] = []
        self._jobs: dict[int, tuple[int, Trial]] = {}

    # -- ask/tell ---------------------------------------------------------------------

    def ask(self) -> Trial:
        while not self.exhausted.all():
            arm = self._choose()
            try:
                inner_trial = self.inner[arm].ask()
            except SearchExhausted:
                self.exhausted[arm] = True
                continue
            values = {self.arm_param: self.arms[arm], **inner_trial.config}
            trial = self._new_trial(Config({n: values[n] for n in self.space.names if n in values}), inner_trial.budget)
            trial.info["arm"] = self.arms[arm]
            self.pulls[arm] += 1
            self._jobs[trial.id] = (arm, inner_trial)
            return trial
        raise SearchExhausted("every arm of the bandit is exhausted")

    def _observe(self, trial: Trial) -> None:
        job = self._jobs.pop(trial.id, None)
        if job is None:
            return
        arm, inner_trial = job
        self.inner[arm].tell(inner_trial, trial.result)
        self._told_arm.append(arm)
        self._told_loss.append(trial.loss if math.isfinite(trial.loss) else math.inf)

    # -- policies ---------------------------------------------------------------------

    def reward_sums(self) -> tuple[np.ndarray, np.ndarray]:
        """Per arm: the sum of the rewards of its told trials, and their number."""
        rewards = rank_rewards(np.array(self._told_loss))
        arms = np.array(self._told_arm, dtype=int)
        return np.bincount(arms, rewards, len(self.arms)), np.bincount(arms, minlength=len(self.arms))

    def _choose(self) -> int:
        """The next arm: never an exhausted one, a rejected one only if nothing else is left."""
        total, told = self.reward_sums()
        mean = np.where(told > 0, total / np.maximum(told, 1), 0.5)
        if self.policy == "successive_rejects":
            self._reject(mean, told)
        allowed = ~self.exhausted & ~self.rejected
        if not allowed.any():
            allowed = ~self.exhausted
        untried = np.flatnonzero(allowed & (self.pulls == 0))
        if len(untried):
            return int(untried[0])
        if self.policy == "ucb1":
            score = mean + self.exploration * np.sqrt(2 * math.log(self.pulls.sum()) / np.maximum(self.pulls, 1))
        elif self.policy == "thompson":
            score = self.rng.beta(1 + total, 1 + told - total)
        else:
            score = -self.pulls.astype(float)  # the least played survivor
        return int(np.argmax(np.where(allowed, score, -np.inf)))

    def _reject(self, mean: np.ndarray, told: np.ndarray) -> None:
        """Drop the worst survivor once every survivor has its phase's share of results.

        Phase ``k`` (1-based) ends when each survivor that is not exhausted has
        ``ceil((horizon - K) / (log_bar(K) * (K + 1 - k)))`` told trials.
        """
        k = len(self.arms)
        phase = int(self.rejected.sum()) + 1
        if phase >= k:
            return
        log_bar = 0.5 + sum(1 / i for i in range(2, k + 1))
        n_phase = max(1, math.ceil((self.horizon - k) / (log_bar * (k + 1 - phase))))
        alive = np.flatnonzero(~self.rejected)
        if np.all((told >= n_phase) | self.exhausted | self.rejected):
            self.rejected[alive[np.argmin(mean[alive])]] = True


def _arm_param(space: Space, arm_param: str | None) -> str:
    conditions = space.conditions
    if arm_param is None:
        if "learner" in space:
            arm_param = "learner"
        else:
            top = [p.name for p in space.params if isinstance(p, Categorical) and p.name not in conditions]
            if not top:
                raise UserError("bandit: the space has no unconditioned categorical parameter to use as arms")
            arm_param = top[0]
    if arm_param not in space or not isinstance(space[arm_param], Categorical):
        raise UserError(f"bandit: arm_param {arm_param!r} must be a categorical parameter of the space")
    if arm_param in conditions:
        raise UserError(f"bandit: arm_param {arm_param!r} must not depend on other parameters")
    return arm_param


__all__ = ["Bandit", "POLICIES", "arm_space", "rank_rewards"]
