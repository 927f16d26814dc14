"""The CASH objective: one config in, one resampled, scored and traced Result out.

Each fold is evaluated as lineage items (:mod:`cairn.evaluate.traced`): the Result
carries the trial's trace, and with a reuse cache the preprocessing a fold shares with
earlier configs is taken, not refitted. A config that cannot be fitted raises; the
executor that runs the objective turns that (and any time-out) into a failed Result, so
the search around it goes on.
"""

from __future__ import annotations

import copy
import dataclasses
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
from cairn.evaluate import traced
from cairn.evaluate.metrics import Metric, get_metric
from cairn.evaluate.resampling import Holdout, KFold
from cairn.learners import build_pipeline, get_learner
from cairn.lineage.cache import ReuseCache
from cairn.lineage.item import Item, Patch
from cairn.lineage.item import dataset as data_item
from cairn.lineage.sklearn_ops import SplitSpec, take
from cairn.trial import Result

#: What a pickled objective holds in place of the process-wide reuse cache.
_PROCESS_CACHE = "process-wide reuse cache"


class CashObjective:
    """Resample the pipeline of a config on a dataset and score it with one metric.

    ``budget`` (fidelity) is either a fraction of each training fold in (0, 1], or,
    above 1, the iteration count of learners that declare an iteration fidelity
    (learners without one then train in full).

    ``threads`` caps the OpenMP/BLAS threads of each fit (``None``: library defaults).
    One thread per trial is the default because executors parallelise across trials, and
    on small data extra threads mostly add contention (seen: 10x slower boosting).

    ``cache`` (a :class:`~cairn.lineage.cache.ReuseCache`) shares fitted steps and
    transformed rows between configs, folds and objectives; results are the same with
    or without it. ``source`` is the lineage of the data (default: the dataset
    itself, known by its fingerprint), e.g. the training side of a train/test split.

    ``keep_predictions`` makes each full-fidelity Result carry its out-of-fold
    predictions, which post-hoc ensembles are built from without refitting anything: one
    row per row of the dataset, class probabilities in the columns of ``classes_`` (the
    sorted labels of the whole dataset, so every fold and trial agree even where a fold
    misses a class; ``None`` for regression) or predicted values; NaN for rows no fold
    validates (holdout).
    """

    def __init__(self, data: Dataset | pd.DataFrame | np.ndarray, y: Any = None, *,
                 task: str | None = None, metric: str | Metric | None = None,
                 resampling: Holdout | KFold | None = None, seed: int = 0,
                 threads: int | None = 1, cache: ReuseCache | None = None, source: Item | None = None,
                 keep_predictions: bool = False):
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
        self.cache = cache
        self.source = source if source is not None else data_item(dataset.fingerprint, dataset.name)
        self.keep_predictions = keep_predictions
        self._y = dataset.y.to_numpy()
        self._stratify = self.task == "classification"
        self.classes_ = np.unique(self._y) if self._stratify else None
        self._splits = list(self.resampling.split(self._y, self._stratify))

    def __call__(self, config: Mapping[str, Any], budget: float | None = None) -> Result:
        start = time.perf_counter()
        trial = self.trace(config, budget)
        keep = self.keep_predictions and self._fidelity(config, budget) == (1.0, None)
        scores, fit_times, train_rows, kept = [], [], [], []
        with quiet(self.threads):
            for fold, (_, valid) in zip(trial.folds, self._splits, strict=True):
                evaluate = self._evaluator(trial.steps)  # one per fold: it holds only this fold's values
                fit_start = time.perf_counter()
                evaluate(fold.model)
                fit_times.append(time.perf_counter() - fit_start)
                train_rows.append(len(SplitSpec.of(fold.train).positions(self._splits, self._y)))
                scores.append(evaluate(fold.score))
                if keep:
                    kept.append((valid, self._validation_predictions(evaluate, fold)))
        cost = time.perf_counter() - start
        bad = [i for i, s in enumerate(scores) if not math.isfinite(s)]
        if bad:
            raise ValueError(f"{self.metric.name} was {scores[bad[0]]} on fold {bad[0]}")
        name = self.metric.name
        metrics = {name: float(np.mean(scores)), f"{name}_std": float(np.std(scores)),
                   "fit_time": float(np.mean(fit_times)), "train_rows": float(np.mean(train_rows))}
        loss = float(np.mean([self.metric.loss(s) for s in scores]))
        return Result(loss=loss, metrics=metrics, cost=cost, lineage=trial.root,
                      predictions=self._out_of_fold(kept) if keep else None)

    def _out_of_fold(self, folds: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """One row per row of the dataset from each fold's (validation rows, predictions):
        a row validated more than once (repeated k-fold) gets the mean, one never
        validated (holdout) NaN."""
        total = np.zeros((len(self._y), *folds[0][1].shape[1:]))
        counts = np.zeros(len(self._y))
        for rows, values in folds:
            total[rows] += values
            counts[rows] += 1
        with np.errstate(invalid="ignore"):
            return total / counts.reshape(-1, *[1] * (total.ndim - 1))

    def _validation_predictions(self, evaluate: traced.Evaluator, fold: traced.FoldItems) -> np.ndarray:
        """A fold's predictions on its validation rows as an ensemble needs them, taken from
        the answers the metric read where those suffice (no second pass over the rows)."""
        answered = evaluate(fold.predictions)
        if self.classes_ is None:
            return np.asarray(answered.predict(None), dtype=float)
        model = answered if hasattr(answered, "predict_proba") else evaluate(fold.model)
        return class_probabilities(model, evaluate(fold.predictions.inputs[1]).X, self.classes_)

    def trace(self, config: Mapping[str, Any], budget: float | None = None) -> traced.TrialItems:
        """The items that evaluating ``config`` at ``budget`` computes, built without
        computing anything: each fold trains on a ``fraction`` of its training rows
        (the row budget) and validates on all of its validation rows."""
        fraction, iterations = self._fidelity(config, budget)
        steps = traced.stages(self.pipeline(config, iterations))
        patch = Patch("fold", 2, lambda train, valid: traced.fold_items(steps, self.metric, train, valid).score)
        folds = []
        for fold in range(len(self._splits)):
            train = SplitSpec(self.resampling, self._stratify, fold, "train", fraction, self.seed)
            valid = dataclasses.replace(train, part="valid", fraction=1.0)
            folds.append(traced.fold_items(steps, self.metric, train.item(self.source), valid.item(self.source)))
        return traced.TrialItems(steps, folds, Item("mean", [patch(f.train, f.valid) for f in folds]))

    def __getstate__(self) -> dict[str, Any]:
        """For worker processes: the process-wide cache stands for the worker's own."""
        state = self.__dict__.copy()
        if state["cache"] is traced.process_cache():
            state["cache"] = _PROCESS_CACHE
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state["cache"] == _PROCESS_CACHE:
            state["cache"] = traced.process_cache()
        self.__dict__.update(state)

    def pipeline(self, config: Mapping[str, Any], iterations: int | None = None) -> Pipeline:
        """The unfitted pipeline of ``config`` for this dataset's columns."""
        return build_pipeline(config, self.task, self.seed, self.dataset.categorical_columns,
                              self.dataset.numeric_columns, iterations, self.metric.name)

    def refit(self, config: Mapping[str, Any], X: Any = None, y: Any = None) -> Pipeline:
        """Fit ``config`` on all rows for final use: of this objective's dataset, of
        another Dataset given as ``X``, or of ``X``, ``y``."""
        return self.refit_traced(config, X, y)[0]

    def refit_traced(self, config: Mapping[str, Any], X: Any = None, y: Any = None) -> tuple[Pipeline, Item]:
        """:meth:`refit`, and the lineage of the fitted pipeline.

        The pipeline is the caller's to keep: with a cache, it is a copy of the fitted
        steps the cache shares, so fitting it again cannot change what later trials reuse.
        """
        if X is None:
            data, source = self.dataset, self.source
        else:
            data = X if isinstance(X, Dataset) else make_dataset(X, y, self.task)
            source = data_item(data.fingerprint, data.name)
        steps = traced.stages(self.pipeline(config))
        item = traced.final_item(steps, source)
        with quiet(self.threads):
            evaluate = self._evaluator(steps, {source: data})
            evaluate(item.inputs[-1])  # the learner first: fitting its inputs yields the fitted steps
            model = evaluate(item)
        return (copy.deepcopy(model) if self.cache is not None else model), item

    def score(self, pipeline: Pipeline, X: Any, y: Any = None) -> float:
        """The metric (not the loss) of a fitted pipeline on held-out ``X``, ``y`` or a Dataset."""
        X, y = (X.X, X.y) if isinstance(X, Dataset) else (X, y)
        with quiet(self.threads):
            return self.metric.score(pipeline, X, y)

    def _evaluator(self, steps: list[traced.Stage], known: Mapping[Item, Any] | None = None) -> traced.Evaluator:
        """An evaluator of one config's items: fits clone the config's own estimators,
        and fold splits come from the splits made once, at construction."""
        return traced.Evaluator(self.cache, known if known is not None else {self.source: self.dataset},
                                overrides={"split": self._split_rows},
                                estimators={s.literal: s.estimator for s in steps if not s.passthrough})

    def _split_rows(self, item: Item, inputs: list[Any]) -> Any:
        return take(inputs[0], SplitSpec.of(item).positions(self._splits, self._y))

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


def class_probabilities(model: Any, X: Any, classes: np.ndarray) -> np.ndarray:
    """``model``'s class probabilities on ``X`` in the columns of ``classes`` (zeros for
    a class it never saw in training).

    A model without ``predict_proba`` votes: one-hot rows of its predicted labels. A
    softmax of its decision function would be the alternative, but margins have no
    common scale, so averaged with probabilities they would weigh by their magnitude
    rather than by the member's weight; a vote is scale-free and its argmax is exactly
    the model's own prediction.
    """
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X), dtype=float)
    else:
        proba = (np.asarray(model.predict(X))[:, None] == model.classes_).astype(float)
    out = np.zeros((len(proba), len(classes)))
    out[:, np.searchsorted(classes, model.classes_)] = proba
    return out


@contextmanager
def quiet(threads: int | None) -> Iterator[None]:
    """Fit and predict without convergence warnings and with at most ``threads`` threads."""
    with warnings.catch_warnings(), threadpool_limits(limits=threads):
        # Capped iterations are a deliberate speed/quality trade-off, not news.
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield
