"""The CASH objective: one config in, one resampled, scored Result out.

A config that cannot be fitted raises; the executor that runs the objective turns that
(and any time-out) into a failed Result, so the search around it goes on.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from cairn.data import Dataset, check_folds, make_dataset
from cairn.evaluate.metrics import Metric, get_metric
from cairn.evaluate.resampling import Holdout, KFold, subsample
from cairn.learners import build_pipeline, get_learner
from cairn.trial import Result


class CashObjective:
    """Resample the pipeline of a config on a dataset and score it with one metric.

    ``budget`` (fidelity) is either a fraction of each training fold in (0, 1], or,
    above 1, the iteration count of learners that declare an iteration fidelity
    (learners without one then train in full).

    ``threads`` caps the OpenMP/BLAS threads of each fit (``None``: library defaults).
    One thread per trial is the default because executors parallelise across trials, and
    on small data extra threads mostly add contention (seen: 10x slower boosting).
    """

    def __init__(self, data: Dataset | pd.DataFrame | np.ndarray, y: Any = None, *,
                 task: str | None = None, metric: str | Metric | None = None,
                 resampling: Holdout | KFold | None = None, seed: int = 0,
                 threads: int | None = 1):
        if isinstance(data, Dataset):
            dataset = data if task in (None, data.task) else make_dataset(data.X, data.y, task, data.name)
        else:
            dataset = make_dataset(data, y, task)
        self.dataset = dataset
        self.task = dataset.task
        self.metric = metric if isinstance(metric, Metric) else get_metric(metric, self.task)
        self.resampling = resampling if resampling is not None else KFold(5, seed=seed)
        check_folds(dataset, self.resampling.min_rows)
        self.seed = seed
        self.threads = threads
        self._y = dataset.y.to_numpy()
        self._stratify = self.task == "classification"
        self._splits = list(self.resampling.split(self._y, self._stratify))

    def __call__(self, config: Mapping[str, Any], budget: float | None = None) -> Result:
        start = time.perf_counter()
        with _quiet(self.threads):
            scores, fit_times, train_rows = self._resample(config, budget)
        cost = time.perf_counter() - start
        bad = [i for i, s in enumerate(scores) if not math.isfinite(s)]
        if bad:
            raise ValueError(f"{self.metric.name} was {scores[bad[0]]} on fold {bad[0]}")
        name = self.metric.name
        metrics = {name: float(np.mean(scores)), f"{name}_std": float(np.std(scores)),
                   "fit_time": float(np.mean(fit_times)), "train_rows": float(np.mean(train_rows))}
        loss = float(np.mean([self.metric.loss(s) for s in scores]))
        return Result(loss=loss, metrics=metrics, cost=cost)

    def pipeline(self, config: Mapping[str, Any], iterations: int | None = None) -> Pipeline:
        """The unfitted pipeline of ``config`` for this dataset's columns."""
        return build_pipeline(config, self.task, self.seed, self.dataset.categorical_columns,
                              self.dataset.numeric_columns, iterations)

    def refit(self, config: Mapping[str, Any], X: Any = None, y: Any = None) -> Pipeline:
        """Fit ``config`` on all rows for final use: of this objective's dataset, of
        another Dataset given as ``X``, or of ``X``, ``y``."""
        X, y = _xy(self.dataset if X is None else X, y)
        with _quiet(self.threads):
            return self.pipeline(config).fit(X, y)

    def score(self, pipeline: Pipeline, X: Any, y: Any = None) -> float:
        """The metric (not the loss) of a fitted pipeline on held-out ``X``, ``y`` or a Dataset."""
        X, y = _xy(X, y)
        with _quiet(self.threads):
            return self.metric.score(pipeline, X, y)

    def _resample(self, config: Mapping[str, Any], budget: float | None) -> tuple[list[float], list[float], list[int]]:
        fraction, iterations = self._fidelity(config, budget)
        X = self.dataset.X
        scores, fit_times, train_rows = [], [], []
        for fold, (train, valid) in enumerate(self._splits):
            if fraction < 1:
                train = subsample(train, self._y, fraction, [self.seed, fold], self._stratify)
            start = time.perf_counter()
            model = self.pipeline(config, iterations).fit(X.iloc[train], self._y[train])
            fit_times.append(time.perf_counter() - start)
            train_rows.append(len(train))
            scores.append(self.metric.score(model, X.iloc[valid], self._y[valid]))
        return scores, fit_times, train_rows

    def _fidelity(self, config: Mapping[str, Any], budget: float | None) -> tuple[float, int | None]:
        """Split a budget into (row fraction, iteration count or None)."""
        if budget is None or budget == 1:
            return 1.0, None
        if not budget > 0:
            raise ValueError(f"budget must be positive, got {budget}")
        if budget < 1:
            return float(budget), None
        has_iterations = get_learner(config.get("learner"), self.task).fidelity is not None
        return 1.0, int(round(budget)) if has_iterations else None


def _xy(X: Any, y: Any) -> tuple[Any, Any]:
    return (X.X, X.y) if isinstance(X, Dataset) else (X, y)


@contextmanager
def _quiet(threads: int | None) -> Iterator[None]:
    """Fit and predict without convergence warnings and with at most ``threads`` threads."""
    with warnings.catch_warnings(), threadpool_limits(limits=threads):
        # Capped iterations are a deliberate speed/quality trade-off, not news.
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield
