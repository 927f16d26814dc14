"""Evaluation: metrics, resampling and the CASH objective."""

from cairn.evaluate.metrics import DEFAULT_METRIC, METRICS, Metric, get_metric
from cairn.evaluate.objective import CashObjective
from cairn.evaluate.resampling import Holdout, KFold, subsample

__all__ = [
    "DEFAULT_METRIC",
    "METRICS",
    "CashObjective",
    "Holdout",
    "KFold",
    "Metric",
    "get_metric",
    "subsample",
]
