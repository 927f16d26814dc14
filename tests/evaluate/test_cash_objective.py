"""The CASH objective: deterministic results, budgets, and failures recorded by the executor."""

from __future__ import annotations

import math
import threading

import numpy as np
import pandas as pd
import pytest

from cairn.data import load_dataset, split_train_test
from cairn.errors import DataError, UserError
from cairn.evaluate import CashObjective, Holdout, KFold
from cairn.execute import evaluate_trial
from cairn.learners import cash_space
from cairn.space import Config
from cairn.trial import Trial


@pytest.fixture(scope="module")
def wine():
    return load_dataset("wine")


def run(objective, config, budget=None, limit=None):
    """Evaluate as the Study does: through the executor, which records failures."""
    return evaluate_trial(objective, Trial(0, Config(config), budget), limit)


def _config(task, learner, **params):
    base = dict(cash_space(task, [learner]).default())
    base.update({f"{learner}.{k}": v for k, v in params.items()})
    return base


def test_result_holds_mean_loss_and_metrics(wine):
    objective = CashObjective(wine, resampling=KFold(3, seed=0), metric="accuracy")
    result = objective(_config("classification", "logreg"))
    assert result.ok and result.loss == pytest.approx(1 - result.metrics["accuracy"])
    assert set(result.metrics) == {"accuracy", "accuracy_std", "fit_time", "train_rows"}
    assert result.metrics["accuracy"] > 0.9 and result.metrics["accuracy_std"] >= 0
    assert 0 < result.metrics["fit_time"] < result.cost
    assert result.metrics["train_rows"] == pytest.approx(len(wine.y) * 2 / 3, abs=1)


def test_same_seed_same_loss(wine):
    space = cash_space("classification", ["random_forest", "mlp", "hist_gb"])
    for i in range(3):
        config = space.sample(i)
        a = CashObjective(wine, resampling=KFold(3, seed=5), seed=5)(config, budget=0.5)
        b = CashObjective(wine, resampling=KFold(3, seed=5), seed=5)(config, budget=0.5)
        assert a.ok and a.loss == b.loss and a.metrics["balanced_accuracy_std"] == b.metrics["balanced_accuracy_std"]


def test_row_budget_trains_on_fewer_rows(wine):
    objective = CashObjective(wine, resampling=Holdout(0.25, seed=0))
    config = _config("classification", "knn", n_neighbors=3)
    full, part = objective(config), objective(config, budget=0.3)
    assert part.ok and part.metrics["train_rows"] < 0.35 * full.metrics["train_rows"]
    assert objective(config, budget=1.0).loss == full.loss


def test_iteration_budget_only_for_learners_with_a_fidelity(wine):
    objective = CashObjective(wine, resampling=Holdout(0.25, seed=0))
    forest = _config("classification", "random_forest", n_estimators=200, max_features=0.1)
    few = objective(forest, budget=2)
    assert few.ok and few.metrics["fit_time"] < objective(forest).metrics["fit_time"]
    knn = _config("classification", "knn")
    assert objective(knn, budget=50).loss == objective(knn).loss


def test_regression_and_arrays(wine):
    diabetes = load_dataset("diabetes")
    objective = CashObjective(diabetes.X.to_numpy(), diabetes.y.to_numpy(), resampling=KFold(3))
    result = objective(_config("regression", "ridge"))
    assert objective.task == "regression" and result.ok and 0.3 < result.metrics["r2"] < 0.6
    assert result.loss == pytest.approx(1 - result.metrics["r2"])
    rmse = CashObjective(diabetes, metric="rmse", resampling=KFold(3))(_config("regression", "ridge"))
    assert rmse.loss == rmse.metrics["rmse"] > 40


def test_categorical_strings_with_missing_values():
    rng = np.random.default_rng(0)
    n = 90
    X = pd.DataFrame({"x": rng.normal(size=n), "kind": rng.choice(["a", "b", "c"], size=n)})
    y = np.where((X["kind"] == "a") | (X["x"] > 1), "pos", "neg")
    X.loc[::6, "kind"] = None
    X.loc[::8, "x"] = np.nan
    objective = CashObjective(X, y, resampling=KFold(3))
    for learner in ("logreg", "hist_gb", "knn"):
        result = objective(_config("classification", learner))
        assert result.ok and result.metrics["balanced_accuracy"] > 0.7, (learner, result)


def test_raising_config_gives_a_failed_result():
    X, y = np.random.default_rng(0).normal(size=(30, 3)), np.array([0, 1, 2] * 10)
    objective = CashObjective(X, y, resampling=KFold(3))
    result = run(objective, _config("classification", "knn", n_neighbors=50))
    assert not result.ok and math.isinf(result.loss)
    assert result.error.startswith("ValueError: ") and "n_neighbors" in result.error
    assert "\n" not in result.error and result.cost > 0
    unknown = run(objective, {"learner": "boosted_cats"})
    assert unknown.error.startswith("UserError: unknown classification learner")
    assert run(objective, _config("classification", "knn"), budget=-1).error.startswith("ValueError: budget")


def test_missing_probabilities_fail_with_a_message(wine):
    result = run(CashObjective(wine, metric="log_loss", resampling=KFold(3)), _config("classification", "rbf_svm"))
    assert "needs predicted probabilities" in result.error


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
def test_non_finite_score_fails():
    X = np.arange(20.0).reshape(10, 2)
    y = np.linspace(0, 1, 10)
    objective = CashObjective(X, y, resampling=Holdout(0.1), metric="r2")  # one validation row
    result = run(objective, _config("regression", "ridge"))
    assert result.error.startswith("ValueError: r2 was nan")


@pytest.fixture(scope="module")
def slow():
    """A config taking well over a second: 3 folds of 200 trees on digits."""
    objective = CashObjective(load_dataset("digits"), resampling=KFold(3))
    return objective, _config("classification", "random_forest", n_estimators=200)


def test_time_limit_interrupts_on_the_main_thread(slow):
    objective, config = slow
    result = run(objective, config, limit=0.2)
    assert result.error == "TrialTimeout: exceeded the time limit of 0.2 s"
    assert result.cost < 1.0  # interrupted, not waited out


def test_time_limit_is_checked_afterwards_off_the_main_thread(wine):
    objective = CashObjective(wine, resampling=KFold(3))
    config = _config("classification", "random_forest", n_estimators=50)
    results = []
    worker = threading.Thread(target=lambda: results.append(run(objective, config, limit=0.01)))
    worker.start()
    worker.join()
    assert results[0].error.startswith("TrialTimeout: took") and results[0].cost > 0.01


def test_refit_and_score_on_a_test_split(wine):
    train, test = split_train_test(wine, seed=0)
    objective = CashObjective(train, resampling=KFold(3))
    model = objective.refit(_config("classification", "logreg"))
    assert objective.score(model, test.X, test.y) == objective.score(model, test) > 0.9
    assert len(model.predict(test.X)) == len(test.y)
    on_all = objective.refit(_config("classification", "logreg"), wine)
    assert objective.score(on_all, wine) >= objective.score(model, train) - 0.05


def test_construction_errors(wine):
    with pytest.raises(UserError, match="'rmse' is for regression"):
        CashObjective(wine, metric="rmse")
    tiny = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(DataError, match="fewer than the 5 cross-validation folds"):
        CashObjective(tiny, [0, 1, 0, 1])
    as_regression = CashObjective(wine, task="regression", resampling=KFold(2))
    assert as_regression.task == "regression" and as_regression.metric.name == "r2"
