"""AutoClassifier and AutoRegressor: scikit-learn's estimator contract on real, tiny searches."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_checks as checks

import cairn
from cairn.automl import AutoClassifier, AutoRegressor
from cairn.automl.ensemble import EnsembleModel
from cairn.errors import DataError, UserError
from cairn.track import Store

#: Small and fast: four quick learners, 3-fold CV. Random search, so that what these tests
#: pin down (which seed gives an ensemble) does not move when the portfolio is rebuilt.
FAST = {"learners": ["logreg", "knn", "gaussian_nb", "tree"], "resampling": 3, "strategy": "random"}
LEADERBOARD_VALUES = ["trial", "learner", "score", "score_std", "status", "chosen", "budget", "config", "error"]


def customers(n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Numbers with gaps, a categorical column with gaps, a string column, string labels."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 15, n)
    plan = rng.choice(["basic", "plus", "pro"], n)
    frame = pd.DataFrame({
        "income": np.where(rng.random(n) < 0.1, np.nan, income),
        "age": rng.integers(18, 80, n).astype(float),
        "plan": pd.Categorical(np.where(rng.random(n) < 0.1, None, plan)),
        "region": rng.choice(["north", "south"], n).astype(object),
    })
    score = (income - 50) / 15 + (plan == "pro") * 1.5 - (plan == "basic") + rng.normal(0, 0.5, n)
    return frame, pd.Series(np.where(score > 0, "churn", "stay"), name="outcome")


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    return customers()


@pytest.fixture(scope="module")
def fitted(data, tmp_path_factory) -> tuple[AutoClassifier, str]:
    """A classifier fitted on the mixed frame, recorded in a store; the store's URL."""
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'cairn.db'}"
    X, y = data
    return AutoClassifier(max_trials=6, seed=2, store=url, **FAST).fit(X, y), url


def _values(board: pd.DataFrame) -> list:
    """The leaderboard without timings, as plain values."""
    return board[LEADERBOARD_VALUES].astype(object).where(board[LEADERBOARD_VALUES].notna(), None).values.tolist()


def test_parameters_follow_the_scikit_learn_contract() -> None:
    est = AutoClassifier(max_trials=3, learners=["knn"], metric="accuracy")
    for check in (checks.check_no_attributes_set_in_init, checks.check_parameters_default_constructible,
                  checks.check_get_params_invariance, checks.check_set_params,
                  checks.check_do_not_raise_errors_in_init_or_set_params, checks.check_estimator_cloneable):
        check("AutoClassifier", est)
    copy = clone(est.set_params(time_budget=5.0, exclude=["tree"]))
    assert copy.get_params() == est.get_params() and copy.get_params()["time_budget"] == 5.0
    assert set(AutoRegressor().get_params()) == set(est.get_params())
    assert cairn.AutoClassifier is AutoClassifier and cairn.AutoRegressor is AutoRegressor
    assert AutoClassifier().strategy == "auto"  # the portfolio's warm start, then TPE


def test_a_frame_with_categories_gaps_and_string_labels(fitted, data) -> None:
    est, _ = fitted
    X, y = data
    assert list(est.classes_) == ["churn", "stay"]
    assert list(est.feature_names_in_) == list(X.columns) and est.n_features_in_ == 4
    labels = est.predict(X)
    assert set(labels) <= {"churn", "stay"} and est.score(X, y) > 0.7
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)
    # balanced accuracy (the default metric) takes the class most probable relative to its share
    shares = np.array([np.mean(np.asarray(y) == c) for c in est.classes_])
    assert (est.classes_[(proba / shares).argmax(axis=1)] == labels).all()
    assert (est.predict(X[X.columns[::-1]]) == labels).all()  # columns are matched by name
    assert (est.predict(X.to_numpy()) == labels).all()  # and an array by position
    with pytest.raises(DataError, match="lacks the column"):
        est.predict(X.rename(columns={"plan": "tier"}))
    with pytest.raises(DataError, match="3 feature"):
        est.predict(X.drop(columns="age"))


def test_the_leaderboard_lists_every_trial_and_the_ensemble(fitted, data) -> None:
    est, _ = fitted
    X, _ = data
    board = est.leaderboard()
    trials = board[board["learner"] != "ensemble"]
    assert sorted(trials["trial"]) == list(range(6)) and (trials["status"] == "complete").all()
    assert set(trials["learner"]) <= set(FAST["learners"])
    assert list(trials["score"]) == sorted(trials["score"], reverse=True)  # balanced accuracy: higher first
    assert board.attrs["metric"] == "balanced_accuracy"
    assert board["chosen"].sum() == 1
    chosen = board[board["chosen"]].iloc[0]  # with this seed the ensemble beats the best trial
    assert chosen["learner"] == "ensemble" and isinstance(est.ensemble_, EnsembleModel)
    assert chosen["config"]["members"] == dict(zip(est.ensemble_info_["trial_ids"], est.ensemble_info_["weights"], strict=True))
    assert set(chosen["config"]["members"]) <= set(trials["trial"]) and len(chosen["config"]["members"]) >= 2
    assert chosen["score"] > est.ensemble_info_["best_score"]
    assert (est.predict_proba(X) == est.ensemble_.predict_proba(X)).all()
    assert est.best_config_["learner"] in FAST["learners"]
    assert isinstance(est.best_estimator_, Pipeline)


def test_every_trial_is_recorded_in_the_store(fitted) -> None:
    est, url = fitted
    store = Store(url)
    runs = store.runs(est.study_id_)
    assert sorted(r["trial_number"] for r in runs if r["trial_number"] is not None) == list(range(6))
    assert store.study(est.study_id_)["settings"]["estimator"] == "AutoClassifier"
    parent = store.run(est.run_id_)
    assert parent["metrics"]["ensemble_oof_balanced_accuracy"] == est.ensemble_info_["score"]
    assert parent["tags"]["model"] == "ensemble"


def test_pickle_round_trip_predicts_identically(fitted, data) -> None:
    est, url = fitted
    X, _ = data
    copy = pickle.loads(pickle.dumps(est))
    assert copy.predict_proba(X).tobytes() == est.predict_proba(X).tobytes()
    assert _values(copy.leaderboard()) == _values(est.leaderboard())
    handle = pickle.loads(pickle.dumps(clone(est).set_params(store=Store(url))))
    assert handle.store == url  # a store handle travels as its URL
    opened = Store(url)
    assert clone(clone(est).set_params(store=opened)).store is opened  # clone shares the handle


def test_same_seed_and_trial_count_give_identical_results_and_no_store_writes_nothing(
        fitted, data, tmp_path, monkeypatch) -> None:
    est, _ = fitted
    X, y = data
    monkeypatch.chdir(tmp_path)
    again = clone(est).set_params(store=None).fit(X, y)
    assert list(tmp_path.iterdir()) == []
    assert again.study_id_ is None
    assert _values(again.leaderboard()) == _values(est.leaderboard())
    assert again.predict_proba(X).tobytes() == est.predict_proba(X).tobytes()


def test_refit_on_the_same_rows_gives_the_same_model(fitted, data) -> None:
    est, _ = fitted
    X, y = data
    before = est.predict_proba(X)
    copy = pickle.loads(pickle.dumps(est))
    assert copy.refit(X, y) is copy
    assert copy.predict_proba(X).tobytes() == before.tobytes()
    half = copy.refit(X.iloc[::2], y.iloc[::2])
    assert half.best_config_ == est.best_config_ and _values(half.leaderboard()) == _values(est.leaderboard())
    assert not np.array_equal(half.predict_proba(X), before)
    with pytest.raises(DataError):
        copy.refit(X.drop(columns="plan"), y)


def test_numpy_regression_without_an_ensemble_predicts_with_the_best_config() -> None:
    X, y = load_diabetes(return_X_y=True)
    X, y = X[:150], y[:150]
    est = AutoRegressor(max_trials=4, ensemble_size=0, seed=1, resampling=3, learners=["ridge", "knn"],
                        strategy="random").fit(X, y)
    assert est.ensemble_ is None and "feature_names_in_" not in vars(est) and est.n_features_in_ == 10
    assert est.predict(X).tobytes() == est.best_estimator_.predict(pd.DataFrame(X).rename(columns=str)).tobytes()
    assert est.score(X, y) > 0.3
    board = est.leaderboard()
    assert len(board) == 4 and "ensemble" not in set(board["learner"]) and board.attrs["metric"] == "r2"
    assert list(board["chosen"]) == [True, False, False, False] and board["config"].iloc[0] == est.best_config_
    assert not hasattr(est, "predict_proba")


def test_failed_trials_are_listed_last_with_their_error(data) -> None:
    X, y = data
    est = AutoClassifier(max_trials=5, metric="log_loss", learners=["linear_svm", "logreg"], resampling=3,
                         strategy="random", seed=0).fit(X, y)
    board = est.leaderboard()
    failed = board[board["status"] == "failed"]
    assert len(failed) >= 1 and (failed["learner"] == "linear_svm").all()
    assert failed["error"].str.contains("probabilities").all()
    assert (board["status"].iloc[: len(board) - len(failed)] == "complete").all()
    assert est.best_config_["learner"] == "logreg"


def test_in_a_pipeline_and_cross_validated(data) -> None:
    X, y = load_diabetes(return_X_y=True)
    labels = np.where(y > np.median(y), "high", "low")[:120]
    auto = AutoClassifier(max_trials=2, ensemble_size=0, learners=FAST["learners"], resampling=3)  # default strategy
    pipe = Pipeline([("scale", StandardScaler()), ("auto", auto)]).fit(X[:120], labels)
    assert set(pipe.predict(X[:10])) <= {"high", "low"} and auto.n_features_in_ == 10
    assert pipe.score(X[:120], labels) == auto.score(StandardScaler().fit(X[:120]).transform(X[:120]), labels)
    scores = cross_val_score(auto, X[:120], labels, cv=2)
    assert scores.shape == (2,) and ((0.5 < scores) & (scores <= 1)).all()


@pytest.mark.parametrize(("params", "fragment"), [
    ({"time_budget": -1}, "time budget"),
    ({"max_trials": 0}, "number of trials"),
    ({"learners": ["nope"]}, "unknown classification learner 'nope'"),
    ({"learners": ["ridge"]}, "unknown classification learner 'ridge'"),
    ({"exclude": ["logreg", "knn", "gaussian_nb", "tree"]}, "leaves no learner"),
    ({"metric": "banana"}, "unknown metric 'banana'"),
    ({"metric": "r2"}, "is for regression"),
    ({"resampling": 1}, "at least 2 folds"),
    ({"resampling": 1.5}, "holdout fraction"),
    ({"ensemble_size": -1}, "ensemble size"),
    ({"n_jobs": 0}, "n_jobs"),
    ({"strategy": "nope"}, "unknown search strategy"),
    ({"store": 42}, "store must be"),
])
def test_bad_parameters_are_one_sentence_and_touch_no_store(data, tmp_path, params, fragment) -> None:
    X, y = data
    settings = {**FAST, "max_trials": 2, "store": str(tmp_path / "s.db"), **params}
    with pytest.raises(UserError, match=fragment) as error:
        AutoClassifier(**settings).fit(X, y)
    assert "\n" not in str(error.value)
    assert not (tmp_path / "s.db").exists()


def test_bad_targets_are_data_errors(data) -> None:
    X, y = data
    with pytest.raises(DataError, match="numeric target"):
        AutoRegressor(max_trials=1).fit(X, y)
    with pytest.raises(DataError, match="rows"):
        AutoClassifier(max_trials=1).fit(X, y[:10])
