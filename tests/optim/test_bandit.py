"""The bandit over learners: arm sub-spaces, rank rewards, and policies that find the better arm."""

from __future__ import annotations

import numpy as np
import pytest

from cairn.errors import SearchExhausted, UserError
from cairn.optim.bandit import Bandit, arm_space, rank_rewards
from cairn.space import Categorical, Float, Int, Space
from cairn.trial import Result

#: Shared preprocessing, then three learners; "good" has an internal condition.
SPACE = Space([Categorical("scale", ["none", "std"])]) + Space.nested(
    "learner",
    {
        "good": Space([Categorical("kind", ["a", "b"]), Float("x", 0, 1), Int("depth", 1, 4)],
                      {"depth": {"kind": ["b"]}}),
        "bad": Space([Float("x", 0, 1)]),
        "flat": None,
    },
)


def loss(config) -> float:
    """"good" is clearly better: most of its configs beat every config of the others."""
    if config["learner"] == "good":
        return 0.2 * abs(config["good.x"] - 0.3)
    if config["learner"] == "bad":
        return 0.5 + config["bad.x"]
    return 0.4


def run(opt: Bandit, n: int) -> list:
    trials = []
    for _ in range(n):
        trial = opt.ask()
        assert SPACE.validate(trial.config) == trial.config
        opt.tell(trial, Result(loss=loss(trial.config)))
        trials.append(trial)
    return trials


def test_arm_space_holds_the_arm_and_shared_params_with_their_conditions():
    good = arm_space(SPACE, "learner", "good")
    assert good.names == ["scale", "good.kind", "good.x", "good.depth"]
    assert good.conditions == {"good.depth": {"good.kind": ["b"]}}
    assert arm_space(SPACE, "learner", "flat").names == ["scale"]


def test_rank_rewards_are_scale_free_with_half_credit_for_ties():
    assert rank_rewards(np.array([3.0, 1.0, 2.0])) == pytest.approx([0.0, 1.0, 0.5])
    assert rank_rewards(np.array([1.0, 1.0, np.inf])) == pytest.approx([0.75, 0.75, 0.0])
    assert rank_rewards(np.array([5.0])) == pytest.approx([0.5])


@pytest.mark.parametrize("policy, share", [("ucb1", 0.6), ("thompson", 0.6), ("successive_rejects", 0.35)])
def test_the_better_arm_gets_most_trials(policy, share):
    opt = Bandit(SPACE, seed=0, policy=policy, horizon=120)
    trials = run(opt, 120)
    counts = {arm: sum(t.info["arm"] == arm for t in trials) for arm in opt.arms}
    assert max(counts, key=counts.get) == "good", counts
    assert counts["good"] >= share * len(trials), counts
    assert opt.best.config["learner"] == "good"


def test_successive_rejects_keeps_only_the_better_arm_after_the_horizon():
    opt = Bandit(SPACE, seed=1, policy="successive_rejects", horizon=30)
    run(opt, 30)
    assert opt.rejected.tolist() == [False, True, True]
    assert all(t.info["arm"] == "good" for t in run(opt, 10))


def test_inner_strategy_and_options_are_per_arm():
    opt = Bandit(SPACE, seed=0, inner="anneal", inner_options={"n_init": 3})
    assert all(inner.name == "anneal" and inner.n_init == 3 for inner in opt.inner)
    assert [inner.space.names for inner in opt.inner][1] == ["scale", "bad.x"]
    run(opt, 30)


def test_exhausted_arms_are_skipped_until_all_are_done():
    space = Space.nested("learner", {"a": Space([Int("k", 1, 2)]), "b": None})
    opt = Bandit(space, seed=0, inner="grid")
    seen = []
    with pytest.raises(SearchExhausted):
        for _ in range(10):
            trial = opt.ask()
            seen.append(trial.config)
            opt.tell(trial, Result(loss=1.0))
    assert sorted(map(str, seen)) == sorted(map(str, space.grid()))


@pytest.mark.parametrize("policy", ["ucb1", "thompson", "successive_rejects"])
def test_reproducible_by_seed(policy):
    def configs(seed: int) -> list:
        return [t.config for t in run(Bandit(SPACE, seed=seed, policy=policy, horizon=40), 40)]

    assert configs(3) == configs(3) != configs(4)


def test_arm_param_defaults_to_learner_else_the_first_top_level_choice():
    assert Bandit(SPACE).arm_param == "learner"
    assert Bandit(Space([Float("x", 0, 1), Categorical("c", [1, 2])])).arm_param == "c"


@pytest.mark.parametrize(
    "space, options",
    [
        (SPACE, dict(policy="greedy")),
        (SPACE, dict(arm_param="good.x")),
        (SPACE, dict(arm_param="good.kind")),  # conditioned on the learner
        (Space([Float("x", 0, 1)]), {}),
        (SPACE, dict(policy="successive_rejects", horizon=2)),
    ],
)
def test_bad_settings_are_user_errors(space, options):
    with pytest.raises(UserError):
        Bandit(space, **options)
