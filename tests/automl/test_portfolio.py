"""The committed portfolios, their projection onto a user's space, and ``--strategy auto``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.datasets import make_classification
from sklearn.pipeline import Pipeline

from cairn.automl.portfolio import (
    CHEAP_LEARNERS,
    SCALABLE_LEARNERS,
    cheap_config_first,
    infer_task,
    load_portfolio,
    portfolio_file,
    project,
    warm_start_configs,
)
from cairn.cli import main
from cairn.data import BUNDLED, make_dataset
from cairn.errors import UserError
from cairn.evaluate import CashObjective, KFold
from cairn.learners import build_pipeline, cash_space
from cairn.optim import make_optimizer
from cairn.space import Categorical, Config, Float, Space
from cairn.track import Store
from cairn.trial import Result

TASKS = ("classification", "regression")


@pytest.mark.parametrize("task", TASKS)
def test_each_portfolio_is_distinct_valid_configs_that_build_pipelines(task):
    configs = load_portfolio(task)
    space = cash_space(task)
    assert 8 <= len(configs) <= 32
    assert len({json.dumps(c, sort_keys=True) for c in configs}) == len(configs)
    for config in configs:
        assert space.validate(config) == config
        assert isinstance(build_pipeline(config, task), Pipeline)
    assert load_portfolio(task, space) == configs  # the full space changes nothing


@pytest.mark.parametrize("task", TASKS)
def test_provenance_says_how_it_was_built_and_keeps_the_evaluation_datasets_out(task):
    provenance = portfolio_file(task)["provenance"]
    assert provenance["built_by"] == "bench/build_portfolio.py"
    assert provenance["pool"]["size"] > len(load_portfolio(task)) and "seed" in provenance["pool"]
    assert provenance["date"] and provenance["training_tasks"] and provenance["held_out_tasks"]
    assert set(provenance["never_used"]) == set(BUNDLED)
    used = set(provenance["training_tasks"]) | set(provenance["held_out_tasks"])
    assert not used & set(BUNDLED) and not set(provenance["training_tasks"]) & set(provenance["held_out_tasks"])


@pytest.mark.parametrize("task", TASKS)
def test_restricting_learners_keeps_exactly_their_configs_in_order(task):
    configs = load_portfolio(task)
    learners = sorted({c["learner"] for c in configs})[:2]
    restricted = load_portfolio(task, cash_space(task, learners))
    assert restricted and restricted == [c for c in configs if c["learner"] in learners]


def test_projection_clips_ranges_takes_defaults_for_missing_choices_and_drops_other_learners():
    space = Space([Categorical("scale", ["minmax", "none"])]) + Space.nested(
        "learner", {"rbf_svm": Space([Float("C", 1.0, 10.0), Float("gamma", 1e-4, 10.0, log=True)]), "knn": None})
    svm = {"impute": "mean", "scale": "standard", "features": "none", "learner": "rbf_svm",
           "rbf_svm.C": 500.0, "rbf_svm.gamma": 0.01}
    forest = {"scale": "none", "learner": "random_forest", "random_forest.n_estimators": 50}
    knn = {"scale": "none", "learner": "knn", "knn.n_neighbors": 7}
    assert project(svm, space) == {"scale": "minmax", "learner": "rbf_svm", "rbf_svm.C": 10.0, "rbf_svm.gamma": 0.01}
    assert project(forest, space) is None
    assert project(knn, space) == {"scale": "none", "learner": "knn"}


def test_the_task_is_inferred_from_learners_that_only_one_task_has():
    assert infer_task(cash_space("classification")) == "classification"
    assert infer_task(cash_space("regression", ["ridge", "random_forest"])) == "regression"
    assert infer_task(cash_space("regression", ["random_forest", "knn"])) is None
    assert infer_task(Space([Float("x", 0.0, 1.0)])) is None


def test_learners_of_both_tasks_get_both_portfolios_interleaved():
    space = cash_space("classification", ["random_forest", "extra_trees", "hist_gb", "knn", "tree"])
    per_task = [load_portfolio(task, space) for task in TASKS]
    merged = warm_start_configs(space)
    assert {Config(c) for c in merged} == {Config(c) for p in per_task for c in p}
    assert merged[:1] == per_task[0][:1] and all(space.validate(c) == c for c in merged)
    assert warm_start_configs(space, task="regression") == per_task[1]


def test_auto_hands_out_the_portfolio_then_searches():
    space = cash_space("regression")
    portfolio = load_portfolio("regression", space)
    opt = make_optimizer("auto", space, seed=0)
    trials = [opt.ask() for _ in range(len(portfolio) + 3)]
    assert [dict(t.config) for t in trials[:len(portfolio)]] == portfolio
    assert all(space.validate(t.config) == t.config for t in trials)
    short = make_optimizer("auto", space, seed=0, n_warm=2)
    assert [dict(short.ask().config) for _ in range(2)] == portfolio[:2]
    with pytest.raises(UserError, match="hyperband"):
        make_optimizer("auto", space, inner="hyperband")


def test_cheap_first_moves_the_first_cheap_config_to_the_front():
    space = cash_space("classification")
    portfolio = load_portfolio("classification", space)
    first = next(i for i, c in enumerate(portfolio) if c["learner"] in CHEAP_LEARNERS)
    assert first > 0  # else this test shows nothing
    opt = make_optimizer("auto", space, seed=0, cheap_first=True)
    asked = [dict(opt.ask().config) for _ in portfolio]
    assert asked == [portfolio[first], *portfolio[:first], *portfolio[first + 1:]]
    costly = [c for c in portfolio if c["learner"] not in CHEAP_LEARNERS]
    assert cheap_config_first(costly) == costly  # nothing cheap: the order stays


def test_on_a_large_table_a_scalable_config_follows_the_cheap_one():
    space = cash_space("classification")
    portfolio = load_portfolio("classification", space)
    cheap = next(i for i, c in enumerate(portfolio) if c["learner"] in CHEAP_LEARNERS)
    scalable = next(i for i, c in enumerate(portfolio) if c["learner"] in SCALABLE_LEARNERS)
    assert scalable > 1  # else this test shows nothing
    opt = make_optimizer("auto", space, seed=0, cheap_first=True, large_table=True)
    asked = [dict(opt.ask().config) for _ in portfolio]
    assert asked[:2] == [portfolio[cheap], portfolio[scalable]]
    assert sorted(map(str, asked)) == sorted(map(str, portfolio))  # reordered, nothing lost


def test_auto_on_a_space_without_learners_is_its_inner_search():
    space = Space([Float("x", 0.0, 1.0)])
    auto, tpe = make_optimizer("auto", space, seed=3), make_optimizer("tpe", space, seed=3)
    for _ in range(12):
        a, t = auto.ask(), tpe.ask()
        assert a.config == t.config
        auto.tell(a, Result(loss=a.config["x"]))
        tpe.tell(t, Result(loss=t.config["x"]))


def test_cairn_run_with_strategy_auto_starts_from_the_portfolio(tmp_path):
    db = tmp_path / "auto.db"
    res = CliRunner().invoke(main, ["run", "--data", "iris", "--strategy", "auto", "--trials", "6", "--cv", "3",
                                    "--seed", "0", "--store", str(db), "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["strategy"] == "auto" and report["n_trials"] == 6 and report["n_failed"] == 0
    space = cash_space("classification")
    trials = [r for r in Store(str(db)).runs(study_id=report["study_id"]) if r["trial_number"] is not None]
    configs = {r["trial_number"]: {k: v for k, v in r["params"].items() if k in space} for r in trials}
    assert [configs[n] for n in range(6)] == load_portfolio("classification", space)[:6]


def test_auto_beats_random_at_eight_trials_on_an_unseen_task():
    """A generated task that is not in the portfolio's collection; the portfolio's first
    eight configs against eight random ones, over several seeds."""
    X, y = make_classification(n_samples=150, n_features=12, n_informative=5, n_classes=3, flip_y=0.05,
                               class_sep=0.8, random_state=2024)
    objective = CashObjective(make_dataset(X, y), resampling=KFold(3, seed=0), seed=0)
    space, memo = cash_space("classification"), {}

    def best_after_eight(strategy: str, seed: int) -> float:
        opt, losses = make_optimizer(strategy, space, seed=seed), []
        for _ in range(8):
            trial = opt.ask()
            if trial.config not in memo:
                memo[trial.config] = objective(trial.config).loss
            losses.append(memo[trial.config])
            opt.tell(trial, Result(loss=losses[-1]))
        return min(losses)

    seeds = range(3)  # the portfolio's eight are the same for every seed; random's are not
    auto = np.mean([best_after_eight("auto", s) for s in seeds])
    random = np.mean([best_after_eight("random", s) for s in seeds])
    assert auto < random - 0.02  # measured: 0.242 against 0.298 (0.264 over seeds 0..5)
