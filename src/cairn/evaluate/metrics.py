"""Metrics, each knowing its task, what predictions it needs, and its loss.

A loss is always lower-is-better: metrics bounded above by 1 that are better when
higher (accuracy, balanced accuracy, F1, ROC AUC, R2) become ``1 - score``, the distance
to a perfect model; error metrics (log loss, RMSE, MAE) are their own loss.

Defaults: ``balanced_accuracy`` for classification (it equals accuracy on balanced
classes and does not reward predicting the majority class on imbalanced ones) and
``r2`` for regression (free of the target's units, so losses compare across datasets).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import metrics as skm

from cairn.errors import UserError

DEFAULT_METRIC = {"classification": "balanced_accuracy", "regression": "r2"}


@dataclass(frozen=True)
class Metric:
    """A named score for one task.

    ``needs`` says what the score is computed from: ``"predict"`` (predicted labels or values),
    ``"proba"`` (``predict_proba``) or ``"ranking"`` (probabilities, or the decision
    function for two classes).
    """

    name: str
    task: str
    greater_is_better: bool
    needs: str
    fn: Callable[..., float]

    def loss(self, score: float) -> float:
        return 1.0 - score if self.greater_is_better else score

    def score(self, model: Any, X: Any, y: Any) -> float:
        """Score a fitted pipeline or estimator on ``X``, ``y``."""
        y = np.asarray(y)
        if self.needs == "predict":
            return float(self.fn(y, model.predict(X)))
        classes = model.classes_
        if self.needs == "ranking" and len(classes) == 2 and not hasattr(model, "predict_proba"):
            return float(self.fn(y == classes[1], model.decision_function(X)))
        if not hasattr(model, "predict_proba"):
            raise ValueError(f"metric '{self.name}' needs predicted probabilities, "
                             f"which {type(_final(model)).__name__} does not give")
        proba = model.predict_proba(X)
        if self.needs == "ranking" and len(classes) == 2:
            return float(self.fn(y == classes[1], proba[:, 1]))
        return float(self.fn(y, proba, labels=classes))


def _final(model: Any) -> Any:
    return model.steps[-1][1] if hasattr(model, "steps") else model


def _rmse(y: Any, pred: Any) -> float:
    return float(np.sqrt(skm.mean_squared_error(y, pred)))


def _roc_auc(y: Any, score: Any, labels: Any = None) -> float:
    if labels is None:
        return skm.roc_auc_score(y, score)
    return skm.roc_auc_score(y, score, multi_class="ovr", labels=labels)


def _f1_macro(y: Any, pred: Any) -> float:
    return skm.f1_score(y, pred, average="macro")


METRICS: dict[str, Metric] = {m.name: m for m in [
    Metric("accuracy", "classification", True, "predict", skm.accuracy_score),
    Metric("balanced_accuracy", "classification", True, "predict", skm.balanced_accuracy_score),
    Metric("f1_macro", "classification", True, "predict", _f1_macro),
    Metric("log_loss", "classification", False, "proba", skm.log_loss),
    Metric("roc_auc", "classification", True, "ranking", _roc_auc),
    Metric("r2", "regression", True, "predict", skm.r2_score),
    Metric("rmse", "regression", False, "predict", _rmse),
    Metric("mae", "regression", False, "predict", skm.mean_absolute_error),
]}


def get_metric(name: str | None, task: str) -> Metric:
    """The metric ``name`` (``None``: the task's default), checked against ``task``."""
    if task not in DEFAULT_METRIC:
        raise UserError(f"task must be 'classification' or 'regression', got {task!r}")
    name = DEFAULT_METRIC[task] if name is None else name
    metric = METRICS.get(name)
    if metric is None:
        valid = ", ".join(m.name for m in METRICS.values() if m.task == task)
        raise UserError(f"unknown metric {name!r}; for {task} choose from {valid}")
    if metric.task != task:
        raise UserError(f"metric {name!r} is for {metric.task}, but the task is {task}")
    return metric
