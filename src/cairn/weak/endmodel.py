"""End to end: a label model's labels train an end model, recorded as a run.

Labeling functions only vote where their heuristics fire; the end model (any CASH
learner, through cairn's own preprocessing pipeline) learns from the features and so
generalises past them. With soft labels each covered row enters once per class,
weighted by the label model's probability of that class (the expected loss under the
probabilistic labels); learners whose ``fit`` takes no sample weights get the most
probable class instead. Rows no LF voted on carry no label and are left out.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import has_fit_parameter

from cairn.data import make_dataset
from cairn.errors import UserError
from cairn.learners.pipeline import build_pipeline
from cairn.track import Store
from cairn.track.fluent import get_store
from cairn.weak.analysis import check_gold, lf_summary
from cairn.weak.base import LabelModel
from cairn.weak.labels import ABSTAIN, check_label_matrix
from cairn.weak.lf import LabelingFunction

LABEL_MODES = ("auto", "soft", "hard")


@dataclass
class EndModelReport:
    """Where the run is, the fitted end model, how it was trained and how it scored."""

    run_id: str
    model: Any
    labels: str
    n_train: int
    coverage: float
    test_accuracy: float | None = None
    label_accuracy: float | None = None


def train_end_model(X: Any, L: object, label_model: LabelModel, *, learner: str = "logreg",
                    params: dict[str, Any] | None = None, labels: str = "auto",
                    lfs: list[LabelingFunction] | None = None, gold: object = None,
                    X_test: Any = None, y_test: object = None, store: str | Store | None = None,
                    experiment: str = "weak-supervision", run_name: str | None = None, seed: int = 0) -> EndModelReport:
    """Train ``learner`` (a catalog name, with its own ``params``) on ``X`` labelled by
    ``label_model`` from the votes ``L`` (fitted here unless it already is), and record a
    run: params, metrics, and the artifacts ``label_matrix.npy``, ``lf_analysis.csv``,
    ``label_model.joblib`` and ``model.joblib``.

    ``labels``: ``soft`` (sample weights), ``hard`` (the most probable class) or
    ``auto`` (soft when the learner takes sample weights). ``gold`` labels of the
    training rows, if any, add empirical accuracies to the analysis and the label
    accuracy to the metrics; ``X_test``/``y_test`` add the test accuracy.
    """
    if labels not in LABEL_MODES:
        raise UserError(f"labels must be one of {', '.join(LABEL_MODES)}, got {labels!r}")
    votes, _ = check_label_matrix(L, getattr(label_model, "cardinality", None))
    frame = pd.DataFrame(X).reset_index(drop=True)
    if len(frame) != votes.shape[0]:
        raise UserError(f"X has {len(frame)} rows but the label matrix has {votes.shape[0]}")
    truth = None if gold is None else check_gold(gold, len(frame))
    analysis = lf_summary(votes, lfs, truth)
    if (X_test is None) != (y_test is None) or (X_test is not None and len(X_test) != len(np.asarray(y_test))):
        raise UserError("give X_test and y_test together, with one label per test row")
    covered = (votes != ABSTAIN).any(axis=1)
    if not covered.any():
        raise UserError("no labeling function voted on any row, so there is nothing to train on")
    if not hasattr(label_model, "order_"):
        label_model.fit(votes)
    proba = label_model.predict_proba(votes[covered])
    hard = label_model.predict(votes[covered])
    data = make_dataset(frame[covered], hard, task="classification", name="weak")
    config = {"learner": learner, **{f"{learner}.{key}": value for key, value in (params or {}).items()}}
    pipeline = build_pipeline(config, "classification", seed, data.categorical_columns, data.numeric_columns)
    mode = _label_mode(labels, pipeline, learner)
    if mode == "soft":
        fit_soft_labels(pipeline, data.X, proba, label_model.classes_)
    else:
        pipeline.fit(data.X, hard)
    test_accuracy = None if X_test is None else float(np.mean(pipeline.predict(pd.DataFrame(X_test).rename(columns=str))
                                                               == np.asarray(y_test)))
    label_accuracy = None
    if truth is not None and (truth[covered] != ABSTAIN).any():
        known = truth[covered] != ABSTAIN
        label_accuracy = float(np.mean(hard[known] == truth[covered][known]))
    st = get_store(store)
    params_logged = {"learner": learner, **config, "labels": mode, "label_model": type(label_model).__name__,
                     "n_lfs": int(votes.shape[1]), "seed": seed,
                     **{f"label_model.{key}": _loggable(value) for key, value in label_model.get_params().items()}}
    metrics = {"coverage": float(covered.mean()), "n_train": int(covered.sum()),
               **({"test_accuracy": test_accuracy} if test_accuracy is not None else {}),
               **({"label_accuracy": label_accuracy} if label_accuracy is not None else {})}
    with st.start_run(experiment, name=run_name or f"weak-{learner}", params=params_logged) as run:
        with tempfile.TemporaryDirectory() as tmp:
            np.save(Path(tmp) / "label_matrix.npy", votes)
            analysis.to_csv(Path(tmp) / "lf_analysis.csv")
            run.log_artifact(Path(tmp) / "label_matrix.npy")
            run.log_artifact(Path(tmp) / "lf_analysis.csv")
        run.log_model(label_model, name="label_model")
        run.log_model(pipeline)
        run.log_metrics(metrics)
    return EndModelReport(run.id, pipeline, mode, int(covered.sum()), float(covered.mean()), test_accuracy,
                          label_accuracy)


def _label_mode(labels: str, pipeline: Any, learner: str) -> str:
    weighted = has_fit_parameter(pipeline.named_steps["model"], "sample_weight")
    if labels == "soft" and not weighted:
        raise UserError(f"learner {learner!r} takes no sample weights, so it cannot learn from soft labels; "
                        "use labels='hard' or 'auto'")
    return "soft" if labels == "soft" or (labels == "auto" and weighted) else "hard"


def fit_soft_labels(pipeline: Any, X: pd.DataFrame, proba: np.ndarray, classes: np.ndarray) -> Any:
    """Fit a cairn pipeline on probabilistic labels: each row once per class it may have,
    weighted by that class's probability (``proba``, one column per class of ``classes``)."""
    rows, which = np.nonzero(proba > 0)
    return pipeline.fit(X.iloc[rows], classes[which], model__sample_weight=proba[rows, which])


def _loggable(value: Any) -> Any:
    """Params must be scalars: arrays (a given class balance) become text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(np.asarray(value).tolist())
