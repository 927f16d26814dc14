"""Metrics: losses fall as models improve, and each metric reads the right predictions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.svm import SVC, LinearSVC

from cairn.errors import UserError
from cairn.evaluate import DEFAULT_METRIC, METRICS, get_metric


class Fixed:
    """A fitted 'model' returning canned predictions."""

    def __init__(self, pred=None, proba=None, classes=(0, 1)):
        self._pred, self._proba, self.classes_ = pred, proba, np.array(classes)

    def predict(self, X):
        return np.asarray(self._pred)

    def predict_proba(self, X):
        return np.asarray(self._proba)


Y = np.array([0, 0, 1, 1, 1, 0])


@pytest.mark.parametrize("name", ["accuracy", "balanced_accuracy", "f1_macro"])
def test_label_metric_losses(name):
    metric = get_metric(name, "classification")
    perfect = metric.loss(metric.score(Fixed(pred=Y), None, Y))
    flipped = metric.loss(metric.score(Fixed(pred=1 - Y), None, Y))
    half = metric.loss(metric.score(Fixed(pred=[0, 1, 1, 0, 1, 0]), None, Y))
    assert perfect == pytest.approx(0.0) and perfect < half < flipped == pytest.approx(1.0)


def test_probability_metric_losses():
    log_loss, auc = get_metric("log_loss", "classification"), get_metric("roc_auc", "classification")
    sure = np.column_stack([1 - Y, Y]) * 0.98 + 0.01
    unsure = np.full((6, 2), 0.5)
    for metric in (log_loss, auc):
        good = metric.loss(metric.score(Fixed(proba=sure), None, Y))
        bad = metric.loss(metric.score(Fixed(proba=unsure), None, Y))
        assert good < bad
    assert log_loss.loss(0.3) == 0.3 and auc.loss(0.75) == 0.25


@pytest.mark.parametrize("name", ["r2", "rmse", "mae"])
def test_regression_losses(name):
    metric = get_metric(name, "regression")
    y = np.array([1.0, 2.0, 3.0, 4.0])
    exact = metric.loss(metric.score(Fixed(pred=y), None, y))
    close = metric.loss(metric.score(Fixed(pred=y + 0.1), None, y))
    far = metric.loss(metric.score(Fixed(pred=y[::-1]), None, y))
    assert exact == pytest.approx(0.0) and exact < close < far


def test_roc_auc_binary_uses_decision_function_without_probabilities():
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    y = np.array(["no", "no", "no", "yes", "yes", "yes"])
    metric = get_metric("roc_auc", "classification")
    assert metric.score(LinearSVC().fit(X, y), X, y) == 1.0
    with pytest.raises(ValueError, match="needs predicted probabilities, which SVC"):
        get_metric("log_loss", "classification").score(SVC().fit(X, y), X, y)


def test_multiclass_probability_metrics_on_real_models():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    good = LogisticRegression(max_iter=500).fit(X, y)
    dummy = DummyClassifier(strategy="prior").fit(X, y)
    for name in ("roc_auc", "log_loss"):
        metric = get_metric(name, "classification")
        assert metric.loss(metric.score(good, X, y)) < metric.loss(metric.score(dummy, X, y))
    assert get_metric("roc_auc", "classification").score(dummy, X, y) == 0.5


def test_r2_loss_of_a_constant_model_is_one():
    X = np.arange(10.0).reshape(-1, 1)
    y = 2 * X.ravel()
    r2 = get_metric("r2", "regression")
    assert r2.loss(r2.score(DummyRegressor().fit(X, y), X, y)) == pytest.approx(1.0)
    assert r2.loss(r2.score(LinearRegression().fit(X, y), X, y)) == pytest.approx(0.0)


def test_defaults_and_lookup_errors():
    assert get_metric(None, "classification").name == DEFAULT_METRIC["classification"] == "balanced_accuracy"
    assert get_metric(None, "regression").name == "r2"
    assert {m.task for m in METRICS.values()} == {"classification", "regression"}
    with pytest.raises(UserError, match="unknown metric 'auc'; for classification choose from accuracy"):
        get_metric("auc", "classification")
    with pytest.raises(UserError, match="'rmse' is for regression, but the task is classification"):
        get_metric("rmse", "classification")
    with pytest.raises(UserError, match="task must be"):
        get_metric("r2", "forecasting")
