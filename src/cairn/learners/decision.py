"""Deciding a label from class probabilities for the metric being optimised.

Predicting the most probable class maximises accuracy. Balanced accuracy, the mean of
the per-class recalls, is maximised instead by the class with the largest ratio of its
probability to its share of the training rows: choosing class c for a row adds
p(c | x) / p(c) to the expected sum of recalls. On imbalanced data (adult: 24 %
positive) this moves the decision threshold to the positive share and gains several
points of balanced accuracy for free, with no refit and no extra hyperparameter.
A classifier without probabilities is fitted with balanced class weights instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.metaestimators import available_if


def balanced_labels(proba: np.ndarray, classes: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """The label of each row of ``proba`` (columns in the order of ``classes``) with the
    largest probability relative to its class share ``prior``."""
    return np.asarray(classes)[np.argmax(np.asarray(proba) / np.asarray(prior), axis=1)]


def class_shares(y: Any, classes: np.ndarray) -> np.ndarray:
    """Each class's share of the labels ``y``, in the order of ``classes``."""
    y = np.asarray(y)
    return np.array([np.mean(y == c) for c in classes])


class BalancedDecision(ClassifierMixin, BaseEstimator):
    """``estimator`` with labels decided for balanced accuracy (see the module notes).

    Probabilities are the estimator's own; only ``predict`` changes. The class shares
    are those of the rows ``fit`` saw.
    """

    def __init__(self, estimator: Any):
        self.estimator = estimator

    def fit(self, X: Any, y: Any) -> BalancedDecision:
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        self.prior_ = class_shares(y, self.classes_)
        for name in ("feature_names_in_", "n_features_in_"):
            if hasattr(self.estimator_, name):
                setattr(self, name, getattr(self.estimator_, name))
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.estimator_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        return balanced_labels(self.predict_proba(X), self.classes_, self.prior_)

    @available_if(lambda self: hasattr(self.estimator, "decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        return self.estimator_.decision_function(X)


#: The metric whose labels are decided by the class shares.
BALANCED = "balanced_accuracy"


def decided_for(metric_name: str | None, model: Any) -> Any:
    """``model`` made to serve balanced accuracy when that is the metric: wrapped in
    :class:`BalancedDecision` when it gives probabilities to decide from, else (support
    vector machines) fitted with balanced class weights, which shift its margin alike."""
    if metric_name != BALANCED:
        return model
    if hasattr(model, "predict_proba"):
        return BalancedDecision(model)
    if "class_weight" in model.get_params():
        return clone(model).set_params(class_weight="balanced")
    return model


def decision_prior(metric_name: str | None, y: Any) -> np.ndarray | None:
    """The class shares of the labels ``y`` (in sorted class order) when ``metric_name``'s
    labels are decided by them, else ``None``: what a blend of probabilities, such as an
    ensemble, decides with."""
    return class_shares(y, np.unique(y)) if metric_name == BALANCED else None


__all__ = ["BALANCED", "BalancedDecision", "balanced_labels", "class_shares", "decided_for", "decision_prior"]
