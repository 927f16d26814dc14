"""AutoClassifier and AutoRegressor: the AutoML engine behind scikit-learn's estimator contract.

``fit`` runs the search of :mod:`cairn.automl.engine` on the rows it is given (pandas
frames with numeric, categorical and missing values, or arrays); ``predict`` uses the
ensemble when one was kept, else the best config refitted on all rows. Parameters are
only stored by ``__init__`` and checked by ``fit``, so ``clone``, ``get_params`` and
``set_params`` work as for any scikit-learn estimator, and a fitted estimator pickles
(a store handle travels as its URL).

``store=None`` records nothing: a notebook ``fit`` leaves no files behind and pays no
recording cost, and the leaderboard lives on the estimator. A store URL, SQLite path or
:class:`~cairn.track.Store` records every trial as a run of one study, as ``cairn run`` does.
"""

from __future__ import annotations

import numbers
import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted

from cairn.automl.engine import DEFAULT_ENSEMBLE_SIZE, AutoMLResult, AutoMLSearch, SearchSettings
from cairn.errors import DataError, UserError
from cairn.optim import STRATEGIES

if TYPE_CHECKING:
    from cairn.data import Dataset
    from cairn.track import Store

#: The warm-started search where it is registered, else random search (see the README).
DEFAULT_STRATEGY = "auto" if "auto" in STRATEGIES else "random"


class _AutoML(BaseEstimator):
    """What both estimators share; a subclass sets ``_task`` and its mixin.

    ``time_budget`` (seconds, covering search, refit and ensemble) and ``max_trials``
    stop the search, whichever comes first; with neither, 40 trials run. ``resampling``
    is a number of folds, a holdout fraction, or ``"auto"``: 5-fold CV, or one 20 %
    holdout when the time budget is short for CV on a table of 10,000 rows or more
    (:func:`~cairn.automl.engine.auto_resampling`). ``learners`` (default: all) less
    ``exclude`` are searched. ``ensemble_size`` rounds of ensemble selection over the
    trials' out-of-fold predictions (0: none). ``n_jobs`` trials run at once in worker
    processes (-1: one per CPU). ``store``: see the module notes.
    """

    _task: str

    def __init__(self, *, time_budget: float | None = None, max_trials: int | None = None,
                 metric: str | None = None, resampling: int | float | str = "auto", strategy: str = DEFAULT_STRATEGY,
                 learners: Sequence[str] | str | None = None, exclude: Sequence[str] | str | None = None,
                 ensemble_size: int = DEFAULT_ENSEMBLE_SIZE, n_jobs: int | None = 1, seed: int = 0,
                 store: str | os.PathLike[str] | Store | None = None, experiment: str | None = None,
                 trial_time_limit: float | None = None):
        self.time_budget = time_budget
        self.max_trials = max_trials
        self.metric = metric
        self.resampling = resampling
        self.strategy = strategy
        self.learners = learners
        self.exclude = exclude
        self.ensemble_size = ensemble_size
        self.n_jobs = n_jobs
        self.seed = seed
        self.store = store
        self.experiment = experiment
        self.trial_time_limit = trial_time_limit

    # -- fitting ------------------------------------------------------------------------

    def fit(self, X: Any, y: Any) -> _AutoML:
        """Search learners and hyperparameters on ``X``, ``y``; keep the best model."""
        from cairn.data import make_dataset

        started = time.perf_counter()
        settings = self._settings()
        train = make_dataset(X, y, task=self._task)
        search = AutoMLSearch(train, settings)
        store, opened = self._open_store()
        name = type(self).__name__
        recorded = {"estimator": name, "task": train.task, "fingerprint": train.fingerprint,
                    "metric": search.objective.metric.name, "resampling": repr(search.resampling),
                    "n_trials": settings.n_trials, "time_budget": settings.time_budget,
                    "ensemble_size": settings.ensemble_size}
        try:
            found = search.run(store=store, experiment=self.experiment or name, recorded=recorded,
                               name=f"{name}-{settings.strategy}-seed{settings.seed}", started=started)
        finally:
            if opened:
                store.close()  # type: ignore[union-attr]
        self._keep(found, X, train)
        return self

    def refit(self, X: Any, y: Any) -> _AutoML:
        """Fit the chosen model again on ``X``, ``y`` (same columns) without searching:
        the ensemble's members with their weights, and the best config."""
        from cairn.automl.ensemble import EnsembleModel
        from cairn.data import make_dataset
        from cairn.evaluate.objective import quiet
        from cairn.learners.decision import class_shares

        data = make_dataset(self._frame(X), y, task=self._task)
        with quiet(1):  # as the search fits: one thread, convergence warnings off
            self.best_estimator_ = clone(self.best_estimator_).fit(data.X, data.y)
            if self.ensemble_ is not None:
                members = [clone(m).fit(data.X, data.y) for m in self.ensemble_.members]
                classes = self._classes(data)
                prior = None if self.ensemble_.prior is None else class_shares(data.y, classes)
                self.ensemble_ = EnsembleModel(members, self.ensemble_.weights, classes, prior)
        if self._task == "classification":
            self.classes_ = self._model().classes_
        return self

    def _settings(self) -> SearchSettings:
        return SearchSettings(
            strategy=self.strategy, n_trials=self.max_trials, time_budget=self.time_budget, metric=self.metric,
            resampling=self.resampling, learners=_names(self.learners, "learners"),
            exclude=_names(self.exclude, "exclude") or (), ensemble_size=self.ensemble_size, seed=self.seed,
            workers=_workers(self.n_jobs), trial_time_limit=self.trial_time_limit)

    def _open_store(self) -> tuple[Store | None, bool]:
        """The store to record in, and whether this call opened it (and so closes it)."""
        from cairn.track import Store

        if self.store is None or isinstance(self.store, Store):
            return self.store, False
        if not isinstance(self.store, (str, os.PathLike)):
            raise UserError(f"store must be a store URL, a SQLite file path or a Store, not {type(self.store).__name__}")
        return Store(os.fspath(self.store)), True

    def _keep(self, found: AutoMLResult, X: Any, train: Dataset) -> None:
        """The fitted attributes, from what the search found."""
        self.best_config_ = dict(found.best.config)
        self.best_estimator_ = found.best_model
        self.ensemble_ = found.ensemble
        self.ensemble_info_ = {k: v for k, v in found.ensemble_info.items() if k != "lineage"}
        self.study_id_, self.run_id_ = found.study.study_id, found.study.run_id
        self.n_features_in_ = train.X.shape[1]
        self._columns = list(train.X.columns)
        if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_  # from an earlier fit on a frame
        if self._task == "classification":
            self.classes_ = self._model().classes_
        self._leaderboard = pd.DataFrame(found.rows(), columns=_LEADERBOARD_COLUMNS).astype({"trial": "Int64"})
        self._leaderboard.attrs["metric"] = found.metric.name

    # -- using the fitted model -----------------------------------------------------------

    def predict(self, X: Any) -> np.ndarray:
        """Labels or values from the ensemble when one was kept, else from the best config."""
        from cairn.evaluate.objective import quiet

        frame = self._frame(X)
        with quiet(1):
            return np.asarray(self._model().predict(frame))

    def leaderboard(self) -> pd.DataFrame:
        """Every trial, best first, failed ones last, with the ensemble's row placed by its
        score: trial, learner, score (the CV mean of ``metric``; the ensemble's is pooled
        out of fold), score_std, fit_time, status, chosen (the model ``predict`` uses),
        budget, config and error. ``.attrs["metric"]`` names the metric."""
        check_is_fitted(self)
        return self._leaderboard.copy()

    def _model(self) -> Any:
        return self.ensemble_ if self.ensemble_ is not None else self.best_estimator_

    def _frame(self, X: Any) -> pd.DataFrame:
        """``X`` with the training columns, in their order: a frame is matched by column
        name, an array by position. A mismatch is a DataError naming the difference."""
        check_is_fitted(self)
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        frame = frame.rename(columns=str)
        if frame.shape[1] != self.n_features_in_:
            raise DataError(f"X has {frame.shape[1]} feature(s), but {type(self).__name__} was fitted "
                            f"with {self.n_features_in_}")
        if not isinstance(X, pd.DataFrame):
            return frame.set_axis(self._columns, axis=1)
        missing = [c for c in self._columns if c not in frame.columns]
        if missing:
            extra = [c for c in frame.columns if c not in self._columns]
            raise DataError(f"X lacks the column(s) {missing[:5]} it was fitted with and has {extra[:5]} instead")
        return frame[self._columns]

    def _classes(self, data: Dataset) -> np.ndarray | None:
        return np.unique(data.y.to_numpy()) if self._task == "classification" else None

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags

    def __getstate__(self) -> dict[str, Any]:
        """A store handle does not pickle; its URL does, and opens the same store."""
        from cairn.track import Store

        state = super().__getstate__()
        if isinstance(state.get("store"), Store):
            state = dict(state, store=state["store"].url)
        return state


class AutoClassifier(ClassifierMixin, _AutoML):
    """A classifier that searches learners, preprocessing and hyperparameters in ``fit``.

    Labels may be strings; ``predict_proba`` has one column per entry of ``classes_``.
    Default metric: balanced accuracy. See :class:`_AutoML` for the parameters.
    """

    _task = "classification"

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities in the columns of ``classes_`` (a member without
        probabilities votes with its predicted label)."""
        from cairn.evaluate.objective import class_probabilities, quiet

        frame = self._frame(X)
        with quiet(1):
            return class_probabilities(self._model(), frame, self.classes_)


class AutoRegressor(RegressorMixin, _AutoML):
    """A regressor that searches learners, preprocessing and hyperparameters in ``fit``.

    Default metric: R^2. See :class:`_AutoML` for the parameters.
    """

    _task = "regression"


_LEADERBOARD_COLUMNS = ["trial", "learner", "score", "score_std", "fit_time", "status", "chosen", "budget",
                        "config", "error"]


def _names(value: Sequence[str] | str | None, what: str) -> list[str] | None:
    """A learner name or a list of them, as a list."""
    if value is None:
        return None
    names = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(n, str) for n in names):
        raise UserError(f"{what} must be learner names, got {value!r}")
    return names


def _workers(n_jobs: int | None) -> int:
    """scikit-learn's ``n_jobs``: ``None`` is 1, -1 is one per CPU."""
    if n_jobs is None:
        return 1
    if n_jobs == -1:
        return os.cpu_count() or 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs < 1:
        raise UserError(f"n_jobs must be a positive whole number, -1 or None, got {n_jobs!r}")
    return n_jobs
