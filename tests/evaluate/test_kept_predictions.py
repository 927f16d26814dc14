"""Out-of-fold predictions kept by the CASH objective for post-hoc ensembles."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from cairn.data import load_dataset
from cairn.evaluate import CashObjective, KFold
from cairn.execute import ProcessExecutor
from cairn.learners import cash_space
from cairn.lineage.cache import ReuseCache
from cairn.optim import make_optimizer
from cairn.study import Study
from cairn.track.store import Store


@pytest.fixture(scope="module")
def wine():
    return load_dataset("wine")


def _config(task, learner, **params):
    base = dict(cash_space(task, [learner]).default())
    base.update({f"{learner}.{k}": v for k, v in params.items()})
    return base


def _by_hand(objective, config, method):
    """Out-of-fold answers of a scikit-learn pipeline fitted fold by fold."""
    X, y = objective.dataset.X, objective.dataset.y.to_numpy()
    out = None
    for train, valid in objective.resampling.split(y, objective.task == "classification"):
        answers = getattr(objective.pipeline(config).fit(X.iloc[train], y[train]), method)(X.iloc[valid])
        out = np.full((len(y), *answers.shape[1:]), np.nan) if out is None else out
        out[valid] = answers
    return out


def test_off_by_default_and_below_full_fidelity(wine):
    config = _config("classification", "logreg")
    assert CashObjective(wine, resampling=KFold(3))(config).predictions is None
    keeping = CashObjective(wine, resampling=KFold(3), keep_predictions=True)
    assert keeping(config, budget=0.5).predictions is None  # a row budget is not the model an ensemble refits
    assert keeping(config, budget=1.0).predictions.shape == (len(wine.y), 3)


def test_probabilities_are_those_of_the_pipeline_fitted_per_fold(wine):
    objective = CashObjective(wine, resampling=KFold(3, seed=2), seed=2, keep_predictions=True)
    assert objective.classes_.tolist() == [0, 1, 2]
    for config in (_config("classification", "logreg", C=0.5), _config("classification", "hist_gb")):
        result = objective(config)
        assert np.array_equal(result.predictions, _by_hand(objective, config, "predict_proba"))


def test_learners_without_probabilities_vote_with_their_labels(wine):
    objective = CashObjective(wine, resampling=KFold(3), keep_predictions=True)
    config = _config("classification", "rbf_svm")
    predictions = objective(config).predictions
    assert set(np.unique(predictions)) == {0.0, 1.0} and (predictions.sum(axis=1) == 1).all()
    labels = _by_hand(objective, config, "predict")
    assert np.array_equal(objective.classes_[predictions.argmax(axis=1)], labels)


def test_regression_keeps_predicted_values():
    diabetes = load_dataset("diabetes")
    objective = CashObjective(diabetes, resampling=KFold(3), keep_predictions=True)
    config = _config("regression", "ridge")
    result = objective(config)
    assert objective.classes_ is None and result.predictions.shape == (len(diabetes.y),)
    assert np.allclose(result.predictions, _by_hand(objective, config, "predict"))


def test_repeated_folds_average_each_row(wine):
    objective = CashObjective(wine, resampling=KFold(3, repeats=2), keep_predictions=True)
    predictions = objective(_config("classification", "gaussian_nb")).predictions
    assert np.isfinite(predictions).all() and np.allclose(predictions.sum(axis=1), 1.0)


def test_the_same_with_and_without_the_reuse_cache(wine):
    space = cash_space("classification", ["logreg", "knn", "tree", "rbf_svm"])
    configs = [space.sample(i) for i in range(6)]
    configs += [{**c, "learner": "tree"} for c in configs[:2]]  # reused preprocessing, another learner
    plain = CashObjective(wine, resampling=KFold(3, seed=1), seed=1, keep_predictions=True)
    reusing = CashObjective(wine, resampling=KFold(3, seed=1), seed=1, cache=ReuseCache(), keep_predictions=True)
    for config in configs + configs:  # the second pass takes everything from the cache
        a, b = plain(config), reusing(config)
        assert a.loss == b.loss and np.array_equal(a.predictions, b.predictions)


def test_predictions_come_back_from_worker_processes_and_stay_out_of_the_store(wine, tmp_path):
    objective = CashObjective(wine, resampling=KFold(3), keep_predictions=True)
    space = cash_space("classification", ["logreg", "gaussian_nb"])
    store = Store(str(tmp_path / "cairn.db"))
    out = Study(make_optimizer("random", space, seed=0), objective, store=store, n_trials=3,
                executor=ProcessExecutor(1)).optimize()
    assert len(out.trials) == 3
    for trial in out.trials:
        assert np.array_equal(trial.result.predictions, objective(trial.config).predictions)
    runs = [r for r in store.search_runs(study_id=out.study_id) if r["name"].startswith("trial-")]
    assert len(runs) == 3 and {r["status"] for r in runs} == {"complete"}
    assert pickle.loads(pickle.dumps(out.trials[0].result)).predictions.shape == (len(wine.y), 3)
