"""The AutoML engine's own rules: resampling, spaces, the time budget, which predictions it keeps."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from cairn.automl import AutoClassifier
from cairn.automl.engine import (
    AUTO_FOLDS,
    AUTO_HOLDOUT,
    AutoMLSearch,
    SearchSettings,
    _KeepBestPredictions,
    auto_resampling,
    make_resampling,
    search_space,
)
from cairn.automl.ensemble import N_BEST
from cairn.automl.portfolio import CHEAP_LEARNERS, load_portfolio
from cairn.errors import UserError
from cairn.evaluate import Holdout, KFold
from cairn.space import Config
from cairn.study import Progress
from cairn.trial import Result, Trial


def test_resampling_is_folds_for_a_whole_number_and_holdout_for_a_fraction() -> None:
    assert make_resampling(4, seed=3) == KFold(k=4, seed=3)
    assert make_resampling(0.25, seed=3) == Holdout(fraction=0.25, seed=3)
    for bad in (1, 0.0, 1.0, True, "5"):
        with pytest.raises(UserError):
            make_resampling(bad, seed=0)


def test_auto_resampling_holds_out_only_large_tables_under_a_short_budget() -> None:
    assert auto_resampling(24_000, 14, time_budget=30) == AUTO_HOLDOUT  # adult: CV would eat the budget
    assert auto_resampling(24_000, 14, time_budget=3600) == AUTO_FOLDS  # an hour affords CV
    assert auto_resampling(24_000, 14, time_budget=None) == AUTO_FOLDS  # a trial count: CV
    assert auto_resampling(200_000, 5, time_budget=10_000) == AUTO_HOLDOUT  # too many rows for CV
    assert auto_resampling(1_347, 64, time_budget=30) == AUTO_FOLDS  # digits: too few rows to hold out


def test_auto_resampling_reaches_the_objective() -> None:
    from cairn.data import make_dataset

    X, y = load_breast_cancer(return_X_y=True)
    big = make_dataset(np.tile(X, (25, 1)), np.tile(y, 25))  # 14,225 rows
    search = AutoMLSearch(big, SearchSettings(resampling="auto", time_budget=5, learners=["logreg"]))
    assert search.resampling == Holdout(fraction=AUTO_HOLDOUT, seed=0)
    small = AutoMLSearch(make_dataset(X, y), SearchSettings(resampling="auto", time_budget=5, learners=["logreg"]))
    assert small.resampling == KFold(k=AUTO_FOLDS, seed=0)


def test_the_space_is_the_learners_less_the_excluded() -> None:
    space = search_space("regression", ["ridge", "knn", "tree"], ["knn"])
    assert space["learner"].choices == ["ridge", "tree"]
    assert "knn" not in search_space("classification", None, ["knn"])["learner"].choices


def test_only_the_best_trials_keep_their_predictions() -> None:
    keep = _KeepBestPredictions()
    losses = np.random.default_rng(0).random(N_BEST + 20)
    trials = []
    for i, loss in enumerate(losses):
        trial = Trial(i, Config({"x": i}), result=Result(float(loss), predictions=np.full(3, loss)))
        trials.append(trial)
        keep(Progress(i + 1, None, None, 0.0, math.inf, trial))
    kept = {t.id for t in trials if t.result.predictions is not None}
    assert kept == set(np.argsort(losses)[:N_BEST].tolist())


def test_the_time_budget_covers_search_refit_and_ensemble() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    start = time.perf_counter()
    est = AutoClassifier(time_budget=5, learners=["logreg", "knn", "gaussian_nb", "tree"], seed=1).fit(X, y)
    took = time.perf_counter() - start
    assert took <= 5 + 2  # the tolerance: max(2 s, 5 %)
    assert len(est.leaderboard()) >= 2


def test_under_a_time_budget_a_cheap_portfolio_config_runs_first() -> None:
    """So that a table whose first portfolio configs outlast the budget still gets a model."""
    X, y = load_breast_cancer(return_X_y=True)
    hurried = AutoClassifier(time_budget=6, seed=0, ensemble_size=0).fit(X, y).leaderboard()
    assert hurried.set_index("trial").loc[0, "learner"] in CHEAP_LEARNERS
    unhurried = AutoClassifier(max_trials=1, seed=0, ensemble_size=0).fit(X, y).leaderboard()
    assert unhurried.loc[0, "learner"] == load_portfolio("classification")[0]["learner"]
