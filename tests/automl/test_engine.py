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
    SMALL_TABLE_REPEATS,
    SMALL_TABLE_ROWS,
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
from cairn.study import Progress, StudyResult
from cairn.trial import Result, Trial


def test_resampling_is_folds_for_a_whole_number_and_holdout_for_a_fraction() -> None:
    assert make_resampling(4, seed=3) == KFold(k=4, seed=3)
    assert make_resampling(0.25, seed=3) == Holdout(fraction=0.25, seed=3)
    for bad in (1, 0.0, 1.0, True, "5"):
        with pytest.raises(UserError):
            make_resampling(bad, seed=0)


def test_auto_resampling_holds_out_only_large_tables_under_a_short_budget() -> None:
    folds, holdout = KFold(k=AUTO_FOLDS, seed=3), Holdout(fraction=AUTO_HOLDOUT, seed=3)
    assert auto_resampling(24_000, 14, time_budget=30, seed=3) == holdout  # adult: CV would eat the budget
    assert auto_resampling(24_000, 14, time_budget=3600, seed=3) == folds  # an hour affords CV
    assert auto_resampling(24_000, 14, time_budget=None, seed=3) == folds  # a trial count: CV
    assert auto_resampling(200_000, 5, time_budget=10_000, seed=3) == holdout  # too many rows for CV
    assert auto_resampling(1_347, 64, time_budget=30, seed=3) == folds  # digits: too few rows to hold out


def test_auto_resampling_repeats_the_folds_of_a_small_table() -> None:
    small = KFold(k=AUTO_FOLDS, repeats=SMALL_TABLE_REPEATS, seed=0)
    assert SMALL_TABLE_REPEATS > 1
    assert auto_resampling(133, 13, time_budget=30) == small  # wine
    assert auto_resampling(426, 30, time_budget=30) == KFold(k=AUTO_FOLDS, seed=0)  # breast_cancer
    assert auto_resampling(SMALL_TABLE_ROWS - 1, 13, time_budget=None) == small
    assert auto_resampling(SMALL_TABLE_ROWS, 13, time_budget=30) == KFold(k=AUTO_FOLDS, seed=0)


def test_auto_resampling_reaches_the_objective() -> None:
    from cairn.data import make_dataset

    X, y = load_breast_cancer(return_X_y=True)
    big = make_dataset(np.tile(X, (25, 1)), np.tile(y, 25))  # 14,225 rows
    search = AutoMLSearch(big, SearchSettings(resampling="auto", time_budget=5, learners=["logreg"]))
    assert search.resampling == Holdout(fraction=AUTO_HOLDOUT, seed=0)
    usual = AutoMLSearch(make_dataset(X, y), SearchSettings(resampling="auto", time_budget=5, learners=["logreg"], seed=2))
    assert usual.resampling == KFold(k=AUTO_FOLDS, seed=2)
    small = AutoMLSearch(make_dataset(X[:200], y[:200]), SearchSettings(resampling="auto", learners=["logreg"], seed=2))
    assert small.resampling == KFold(k=AUTO_FOLDS, repeats=SMALL_TABLE_REPEATS, seed=2)


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


def test_a_trial_that_repeats_kept_predictions_keeps_none_and_evicts_nothing() -> None:
    keep = _KeepBestPredictions()
    trials = [Trial(i, Config({"x": i}), result=Result(0.1 * (i + 1), predictions=np.full(3, float(i))))
              for i in range(N_BEST)]
    repeat = Trial(N_BEST, Config({"x": -1}), result=Result(0.01, predictions=np.full(3, 0.0)))  # trial 0's
    fresh = Trial(N_BEST + 1, Config({"x": -2}), result=Result(0.02, predictions=np.full(3, -1.0)))
    for n, trial in enumerate([*trials, repeat, fresh], start=1):
        keep(Progress(n, None, None, 0.0, math.inf, trial))
    assert repeat.result.predictions is None  # a copy: nothing new to choose from
    assert trials[0].result.predictions is not None
    assert fresh.result.predictions is not None and trials[-1].result.predictions is None  # the worst made room
    dropped_again = Trial(N_BEST + 2, Config({"x": -3}), result=Result(0.03, predictions=np.full(3, float(N_BEST - 1))))
    keep(Progress(N_BEST + 3, None, None, 0.0, math.inf, dropped_again))
    assert dropped_again.result.predictions is not None  # an evicted trial's predictions are no longer "kept"


def test_of_twins_told_out_of_order_the_lower_id_keeps_the_predictions() -> None:
    """With several workers a later trial can finish first; the search ranks the lower id
    first among equal losses, and the ensemble is compared with that trial."""
    keep = _KeepBestPredictions()
    later = Trial(7, Config({"x": 7}), result=Result(0.1, predictions=np.full(3, 1.0)))
    earlier = Trial(6, Config({"x": 6}), result=Result(0.1, predictions=np.full(3, 1.0)))
    for n, trial in enumerate([later, earlier], start=1):
        keep(Progress(n, None, None, 0.0, math.inf, trial))
    assert earlier.result.predictions is not None and later.result.predictions is None
    for i in range(N_BEST):  # the twins' slot is one slot: 50 better trials evict the earlier twin
        keep(Progress(i + 3, None, None, 0.0, math.inf,
                      Trial(100 + i, Config({"x": 100 + i}), result=Result(0.01, predictions=np.full(3, -float(i))))))
    assert earlier.result.predictions is None


def test_the_ensemble_gets_a_share_of_a_time_budget_even_when_its_work_looks_free() -> None:
    """Selection and refits of millisecond models are estimated at milliseconds, but the
    search's last trials and the best refit overrun that; without a floor the ensemble
    found no time left on a fast table."""
    from cairn.automl.engine import ENSEMBLE_FLOOR, ENSEMBLE_SHARE
    from cairn.data import make_dataset

    X, y = load_breast_cancer(return_X_y=True)
    train = make_dataset(X, y)
    trials = [Trial(0, Config({"learner": "knn"}), result=Result(0.1, metrics={"fit_time": 0.001},
                                                                 predictions=np.full((len(y), 2), 0.5)))]
    result = StudyResult(trials=trials, study_id=None, run_id=None)
    for budget, floor in ((30, ENSEMBLE_FLOOR), (4, ENSEMBLE_SHARE * 4)):
        search = AutoMLSearch(train, SearchSettings(time_budget=budget, learners=["knn"]))
        assert search._reserve(result) - search._keep(result) == pytest.approx(floor)
    untimed = AutoMLSearch(train, SearchSettings(n_trials=5, learners=["knn"]))
    assert untimed._reserve(result) - untimed._keep(result) < 0.1  # no budget: nothing to share


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
