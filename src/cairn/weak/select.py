"""Choosing a label model with a few gold labels: a cairn Study over label models.

When a small labelled dev set exists, which label model (and which settings) turns the
votes into the best labels is an empirical question like any other model selection:
the search space nests each model's settings under its name, every candidate is fitted
on the unlabelled votes and scored on the dev rows, and every trial is a run in the
Store.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cairn.errors import UserError
from cairn.optim import make_optimizer
from cairn.space import Categorical, Float, Space
from cairn.study import Study, StudyResult
from cairn.track import Store
from cairn.trial import Result
from cairn.weak.base import LabelModel
from cairn.weak.dawid_skene import DawidSkene
from cairn.weak.labels import ABSTAIN, check_label_matrix
from cairn.weak.majority import MajorityVote
from cairn.weak.matrix_completion import MatrixCompletion

LABEL_MODELS: dict[str, type[LabelModel]] = {
    "majority": MajorityVote,
    "dawid_skene": DawidSkene,
    "matrix_completion": MatrixCompletion,
}


def label_model_space() -> Space:
    """Each label model with the settings worth searching. ``class_balance`` is either
    estimated from the votes or taken from the dev labels."""
    balance = Categorical("class_balance", ["estimate", "dev"])
    return Space.nested("label_model", {
        "majority": None,
        "dawid_skene": Space([balance, Float("smoothing", 1e-3, 1.0, log=True, default=0.01)]),
        "matrix_completion": Space([balance, Categorical("prec_init", [None, 0.6, 0.7, 0.8]),
                                    Categorical("prior_strength", [3000.0, 0.0, 1000.0, 10000.0]),
                                    Categorical("dependency_alpha", [1e-3, None])]),
    })


def build_label_model(config: dict[str, Any], cardinality: int, seed: int = 0,
                      dev_balance: np.ndarray | None = None) -> LabelModel:
    """The unfitted label model a config of :func:`label_model_space` names."""
    name = config.get("label_model")
    if name not in LABEL_MODELS:
        raise UserError(f"unknown label model {name!r}; choose from {', '.join(LABEL_MODELS)}")
    own = {key.split(".", 1)[1]: value for key, value in config.items() if key.startswith(f"{name}.")}
    if own.get("class_balance") == "dev":
        if dev_balance is None:
            raise UserError("class_balance 'dev' needs dev labels to count the classes in")
        own["class_balance"] = dev_balance
    elif own.get("class_balance") == "estimate":
        own["class_balance"] = None
    return LABEL_MODELS[name](cardinality=cardinality, seed=seed, **own)


@dataclass
class LabelModelObjective:
    """Fit a config's label model on ``L`` and score its labels on the covered dev rows
    (loss: 1 - accuracy). Plain data, so worker processes can run it."""

    L: np.ndarray
    L_dev: np.ndarray
    y_dev: np.ndarray
    cardinality: int
    seed: int = 0

    def __call__(self, config: dict[str, Any], budget: float | None = None) -> Result:
        model = build_label_model(config, self.cardinality, self.seed, dev_balance(self.y_dev, self.cardinality))
        start = time.perf_counter()
        model.fit(self.L)
        seconds = time.perf_counter() - start
        covered = (self.L_dev != ABSTAIN).any(axis=1)
        if not covered.any():
            return Result.failure("no labeling function votes on any dev row", cost=seconds)
        accuracy = float(np.mean(model.predict(self.L_dev[covered]) == self.y_dev[covered]))
        return Result(loss=1.0 - accuracy, cost=seconds,
                      metrics={"accuracy": accuracy, "dev_coverage": float(covered.mean()), "fit_seconds": seconds})


@dataclass
class LabelModelChoice:
    """The chosen config, its label model fitted on all the votes, its dev accuracy and
    the study that chose it."""

    config: dict[str, Any]
    model: LabelModel
    dev_accuracy: float
    study: StudyResult = field(repr=False)


def select_label_model(L: object, L_dev: object, y_dev: object, *, n_trials: int = 20, strategy: str = "random",
                       seed: int = 0, store: Store | None = None, experiment: str = "weak-supervision",
                       cardinality: int | None = None) -> LabelModelChoice:
    """Search :func:`label_model_space` with ``strategy`` for ``n_trials`` trials; each
    trial fits on the unlabelled votes ``L`` and is scored on ``L_dev`` against the gold
    ``y_dev``. With a ``store``, the study and every trial are recorded there."""
    votes, k = check_label_matrix(L, cardinality)
    dev, k_dev = check_label_matrix(L_dev, cardinality)
    gold = np.asarray(y_dev)
    if dev.shape[1] != votes.shape[1]:
        raise UserError(f"the dev votes have {dev.shape[1]} labeling functions, the unlabelled votes {votes.shape[1]}")
    if gold.shape != (dev.shape[0],) or not np.issubdtype(gold.dtype, np.integer) or gold.min(initial=0) < 0:
        raise UserError(f"dev labels must be {dev.shape[0]} classes 0, 1, ... (one per dev row)")
    k = max(k, k_dev, int(gold.max(initial=0)) + 1) if cardinality is None else k
    if int(gold.max(initial=0)) >= k:
        raise UserError(f"dev label {int(gold.max())} is outside the {k} classes")
    objective = LabelModelObjective(votes, dev, gold.astype(np.int64), k, seed)
    study = Study(make_optimizer(strategy, label_model_space(), seed=seed), objective, store=store,
                  experiment=experiment, name="label-model-selection", n_trials=n_trials,
                  settings={"n_rows": int(votes.shape[0]), "n_dev": int(dev.shape[0]), "n_lfs": int(votes.shape[1]),
                            "cardinality": k}).optimize()
    best = study.best
    if best is None:
        raise UserError("no label model could be scored on the dev rows (does any labeling function vote on them?)")
    if store is not None and study.run_id is not None:
        store.set_tags(study.run_id, {"best_trial": best.id})
    model = build_label_model(dict(best.config), k, seed, dev_balance(objective.y_dev, k)).fit(votes)
    return LabelModelChoice(dict(best.config), model, best.result.metrics["accuracy"], study)


def dev_balance(y_dev: np.ndarray, k: int) -> np.ndarray:
    """Class frequencies of the dev labels, with one pseudo-count per class so that a
    class missing from a small dev set keeps a non-zero prior."""
    counts = np.bincount(y_dev, minlength=k)[:k] + 1.0
    return counts / counts.sum()
