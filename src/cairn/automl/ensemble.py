"""Post-hoc ensemble selection (Caruana et al. 2004) over a search's out-of-fold predictions.

A search whose objective keeps predictions (``CashObjective(keep_predictions=True)``)
holds every full-fidelity trial's out-of-fold predictions, so choosing an ensemble fits
nothing: forward selection with replacement adds, one pick at a time, the member whose
addition scores best, and only the members it chose are refitted on all rows.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sklearn
from sklearn.utils.metaestimators import available_if

from cairn.errors import UserError
from cairn.evaluate.metrics import Metric
from cairn.evaluate.objective import CashObjective, class_probabilities
from cairn.learners.decision import balanced_labels, decision_prior
from cairn.trial import Trial

#: How many of the best trials ``build_ensemble`` selects from, as auto-sklearn's
#: ``ensemble_nbest``: each pick scores every candidate, so the cost grows with their number.
N_BEST = 50


def prediction_key(predictions: np.ndarray) -> bytes:
    """A digest of out-of-fold ``predictions``: trials with the same one are the same model
    to ensemble selection. A search often repeats a config in all but an inert parameter
    (a feature fraction that keeps the same columns), and copies of the best trial would
    crowd every other model out of the candidates."""
    return hashlib.blake2b(np.ascontiguousarray(predictions).tobytes(), digest_size=16).digest()


def ensemble_selection(predictions: Sequence[np.ndarray], y: np.ndarray, metric: Metric,
                       size: int = 50, seed: int = 0) -> np.ndarray:
    """Weights of the members' ``predictions`` (out-of-fold, one row per row of ``y``),
    chosen by forward selection with replacement and summing to 1.

    Each of ``size`` picks adds the member whose addition gives the averaged predictions
    the best ``metric``, scored only on rows where every member's predictions are finite;
    ties are broken at random by ``seed``. The weights are the pick counts of the best
    ensemble seen along the way (Caruana's choice among the nested ensembles), so the
    ensemble scores at least as well as the best single member on these rows.
    Classification predictions are class probabilities in the columns of ``np.unique(y)``.
    """
    prior = decision_prior(metric.name, y)
    stack, y, classes = _finite_rows(predictions, y, metric)
    if isinstance(size, bool) or int(size) != size or size < 1:
        raise UserError(f"the ensemble size must be a whole number of at least 1, got {size!r}")
    rng = np.random.default_rng(seed)
    loss = _Loss(metric, y, classes, prior)
    total = np.zeros_like(stack[0])
    picks: list[int] = []
    best_loss, best_length = math.inf, 0
    # The rows are checked finite and the arguments are ours: skip scikit-learn's
    # validation, most of the cost of a metric call.
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        for length in range(1, int(size) + 1):
            losses = np.array([loss((total + member) / length) for member in stack])
            pick = int(rng.choice(np.flatnonzero(losses == losses.min())))
            total += stack[pick]
            picks.append(pick)
            if losses[pick] <= best_loss:  # on a tie the larger ensemble: more averaging, same score
                best_loss, best_length = losses[pick], length
    return np.bincount(picks[:best_length], minlength=len(stack)) / best_length


def blend(weights: Sequence[float] | np.ndarray, predictions: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    """The weighted mean of the members' ``predictions`` (probabilities or values)."""
    return np.tensordot(np.asarray(weights, dtype=float), np.asarray(predictions, dtype=float), axes=1)


def ensemble_score(weights: Sequence[float] | np.ndarray, predictions: Sequence[np.ndarray], y: np.ndarray,
                   metric: Metric) -> float:
    """``metric`` (the score, not the loss) of the blended ``predictions`` on the rows
    where every member's predictions are finite."""
    prior = decision_prior(metric.name, y)
    stack, y, classes = _finite_rows(predictions, y, metric)
    return metric.score(_Answers(blend(weights, stack), classes, prior), None, y)


def rows_right(weights: Sequence[float] | np.ndarray, predictions: Sequence[np.ndarray], y: np.ndarray,
               metric: Metric) -> int:
    """How many rows the blended class probabilities decide right (on the rows where every
    member's are finite), deciding as :class:`EnsembleModel` does under ``metric``.

    A mean-recall metric also rises when an error moves from a small class to a large
    one; on a few hundred rows such a trade is all that separates many ensembles from
    the best single model, and it is noise, not a better model."""
    prior = decision_prior(metric.name, y)
    stack, y, classes = _finite_rows(predictions, y, metric)
    return int((_labels(blend(weights, stack), classes, prior) == y).sum())


class EnsembleModel:
    """A weighted average of fitted models, as one scikit-learn-style estimator.

    Classification (``classes`` given: the sorted labels) averages the members' class
    probabilities aligned to ``classes_``, a member without ``predict_proba`` voting with
    one-hot rows as it did out of fold, and predicts the most probable class, or with
    ``prior`` (class shares of the training rows) the class that balanced accuracy
    favours (:func:`~cairn.learners.decision.balanced_labels`).
    Regression (``classes=None``) averages the members' predictions.
    """

    def __init__(self, members: Sequence[Any], weights: Sequence[float], classes: np.ndarray | None = None,
                 prior: Sequence[float] | None = None):
        weights = np.asarray(weights, dtype=float)
        if not members or len(members) != len(weights) or not (weights >= 0).all() or not weights.sum() > 0:
            raise UserError("an ensemble needs one non-negative weight per member, not all zero")
        self.members = list(members)
        self.weights = weights / weights.sum()
        self.classes_ = None if classes is None else np.asarray(classes)
        self.prior = None if prior is None else np.asarray(prior, dtype=float)
        # The members saw the same columns: the ensemble answers for them, as a fitted
        # scikit-learn estimator does, so callers can check new data before predicting.
        for name in ("feature_names_in_", "n_features_in_"):
            if hasattr(self.members[0], name):
                setattr(self, name, getattr(self.members[0], name))

    @available_if(lambda self: self.classes_ is not None)
    def predict_proba(self, X: Any) -> np.ndarray:
        return blend(self.weights, [class_probabilities(m, X, self.classes_) for m in self.members])

    def predict(self, X: Any) -> np.ndarray:
        if self.classes_ is None:
            return blend(self.weights, [m.predict(X) for m in self.members])
        return _labels(self.predict_proba(X), self.classes_, self.prior)

    def __repr__(self) -> str:
        parts = ", ".join(f"{w:.2f} {type(_final(m)).__name__}" for w, m in zip(self.weights, self.members, strict=True))
        return f"EnsembleModel({parts})"


def build_ensemble(objective: CashObjective, trials: Sequence[Trial], size: int = 50, seed: int = 0,
                   n_best: int = N_BEST, refitted: Mapping[int, Any] | None = None,
                   affordable: Callable[[list[Trial]], bool] | None = None) -> tuple[EnsembleModel | None, dict[str, Any]]:
    """Select an ensemble among the ``n_best`` lowest-loss trials that carry out-of-fold
    predictions (successful full-fidelity evaluations of ``objective`` with
    ``keep_predictions``), one per distinct set of predictions (the first trial that
    made it), and refit only its members on the objective's whole dataset.

    ``affordable`` is asked about the chosen trials not in ``refitted`` (models already
    fitted on the whole dataset, by trial id, which are reused); while it says their
    refits cost too much, the one with the slowest fit leaves the candidates and
    selection runs again, so a time budget trims the ensemble instead of refusing it.

    Returns the model and ``info``: the members' ``trial_ids`` and ``weights``, the
    ensemble's out-of-fold ``score`` under the objective's metric (pooled over all
    validated rows, so it is compared with ``best_score``, the best single trial's
    score computed the same way, not with the trials' mean fold scores), ``best_trial_id``,
    ``candidates`` and the ids of those ``dropped`` for their refit's cost. The model
    is ``None`` when fewer than two trials qualify, the selection keeps the best single
    trial alone (``info`` then names that trial as the only member with weight 1), the
    ensemble scores no better than the best trial (or, in classification, decides no
    more rows right: :func:`rows_right`), or no selection's refits are affordable;
    ``reason`` says which.
    """
    candidates = _distinct(sorted((t for t in trials if t.result is not None and t.result.ok
                                   and t.result.predictions is not None), key=lambda t: (t.loss, t.id)))[:n_best]
    if not candidates:
        return None, {"trial_ids": [], "weights": [], "score": math.nan, "best_trial_id": None,
                      "best_score": math.nan, "candidates": 0, "dropped": [],
                      "reason": "no trial kept out-of-fold predictions"}
    y = objective.dataset.y.to_numpy()
    predictions = [t.result.predictions for t in candidates]  # type: ignore[union-attr]

    def score(weights: Sequence[float], members: Sequence[int]) -> float:
        return ensemble_score(weights, [predictions[i] for i in members], y, objective.metric)

    info: dict[str, Any] = {"best_trial_id": candidates[0].id, "best_score": score([1.0], [0]),
                            "candidates": len(candidates), "dropped": []}
    if len(candidates) < 2:
        return None, {**info, "trial_ids": [candidates[0].id], "weights": [1.0], "score": info["best_score"],
                      "reason": "fewer than two trials kept out-of-fold predictions"}
    refitted = refitted or {}
    pool = list(range(len(candidates)))
    while True:
        weights = np.zeros(len(candidates))
        weights[pool] = ensemble_selection([predictions[i] for i in pool], y, objective.metric, size, seed)
        chosen = [int(i) for i in np.flatnonzero(weights)]
        info.update(trial_ids=[candidates[i].id for i in chosen], weights=[float(weights[i]) for i in chosen],
                    score=score(weights[chosen], chosen))
        refused = _refusal(objective, info, weights, chosen, predictions, y)
        if refused:
            return None, {**info, "reason": refused}
        costly = [i for i in chosen if candidates[i].id not in refitted]
        if affordable is None or affordable([candidates[i] for i in costly]):
            break
        if not costly or len(pool) <= 2:
            return None, {**info, "reason": "refitting its members would outlast the time budget"}
        slowest = max(costly, key=lambda i: (candidates[i].result.metrics.get("fit_time", 0.0), i))  # type: ignore[union-attr]
        pool.remove(slowest)
        info["dropped"].append(candidates[slowest].id)
    members = [refitted[candidates[i].id] if candidates[i].id in refitted else objective.refit(candidates[i].config)
               for i in chosen]
    return EnsembleModel(members, weights[chosen], objective.classes_, decision_prior(objective.metric.name, y)), info


def _distinct(trials: list[Trial]) -> list[Trial]:
    """``trials`` without those whose predictions an earlier one in the list made already."""
    seen: set[bytes] = set()
    kept = []
    for trial in trials:
        key = prediction_key(trial.result.predictions)  # type: ignore[union-attr, arg-type]
        if key not in seen:
            seen.add(key)
            kept.append(trial)
    return kept


def _refusal(objective: CashObjective, info: Mapping[str, Any], weights: np.ndarray, chosen: list[int],
             predictions: Sequence[np.ndarray], y: np.ndarray) -> str | None:
    """Why the selected ensemble is not worth refitting (see :func:`build_ensemble`), or ``None``."""
    if len(chosen) == 1:
        return "the selection kept a single trial"
    if objective.metric.loss(info["score"]) >= objective.metric.loss(info["best_score"]):
        return "the ensemble scores no better than the best trial out of fold"
    if objective.task == "classification" and \
            rows_right(weights[chosen], [predictions[i] for i in chosen], y, objective.metric) <= \
            rows_right([1.0], predictions[:1], y, objective.metric):
        return "the ensemble decides no more rows right than the best trial out of fold"
    return None


class _Answers:
    """Stands for a model whose answers are known, so a :class:`Metric` scores blended
    predictions with its own code (labels decided as :class:`EnsembleModel` decides)."""

    def __init__(self, predictions: np.ndarray, classes: np.ndarray | None, prior: np.ndarray | None = None):
        self.classes_ = classes
        self._predictions = predictions
        self._prior = prior

    def predict(self, X: Any) -> np.ndarray:
        if self.classes_ is None:
            return self._predictions
        return _labels(self._predictions, self.classes_, self._prior)

    def predict_proba(self, X: Any) -> np.ndarray:
        return self._predictions


class _Loss:
    """The metric's loss of blended predictions on ``y``, a non-finite one counting as the
    worst. A label metric sees only the decided labels, and most candidate additions to a
    grown ensemble change no label, so its losses are remembered by a digest of the labels."""

    def __init__(self, metric: Metric, y: np.ndarray, classes: np.ndarray | None, prior: np.ndarray | None):
        if classes is not None:  # labels as their sorted positions: the metric reads whole
            # numbers far faster than strings or objects, and their order (roc_auc's positive class) is kept
            y, classes = np.searchsorted(classes, y), np.arange(len(classes))
        self.metric, self.y, self.classes, self.prior = metric, y, classes, prior
        self.reads_labels = metric.needs == "predict" and classes is not None
        self.seen: dict[bytes, float] = {}

    def __call__(self, predictions: np.ndarray) -> float:
        if not self.reads_labels:
            return self._loss(self.metric.score(_Answers(predictions, self.classes, self.prior), None, self.y))
        decided = predictions.argmax(axis=1) if self.prior is None else (predictions / self.prior).argmax(axis=1)
        key = prediction_key(decided)
        if key not in self.seen:
            self.seen[key] = self._label_loss(decided)
        return self.seen[key]

    def _label_loss(self, decided: np.ndarray) -> float:
        native = _LABEL_SCORES.get(self.metric.name)
        if native is not None:
            return self._loss(native(self.y, decided, len(self.classes)))  # type: ignore[arg-type]
        return self.metric.loss(self.metric.score(_Decided(decided), None, self.y))

    def _loss(self, score: float) -> float:
        loss = self.metric.loss(score)
        return loss if math.isfinite(loss) else math.inf


class _Decided:
    """Stands for a model whose labels are decided already."""

    def __init__(self, labels: np.ndarray):
        self._labels = labels

    def predict(self, X: Any) -> np.ndarray:
        return self._labels


def _accuracy(y: np.ndarray, labels: np.ndarray, k: int) -> float:
    return float(np.mean(y == labels))


def _balanced_accuracy(y: np.ndarray, labels: np.ndarray, k: int) -> float:
    """The mean recall over the classes of ``y``, as scikit-learn computes it."""
    totals = np.bincount(y, minlength=k)
    hits = np.bincount(y[labels == y], minlength=k)
    present = totals > 0
    return float(np.mean(hits[present] / totals[present]))


#: Label metrics computed here on whole-number labels (positions in the sorted classes):
#: selection scores thousands of blends, and scikit-learn's checks cost more than the
#: count. They equal scikit-learn's scores to the last bit (tested).
_LABEL_SCORES: dict[str, Callable[[np.ndarray, np.ndarray, int], float]] = {
    "accuracy": _accuracy, "balanced_accuracy": _balanced_accuracy}


def loss_time(predictions: np.ndarray, y: np.ndarray, metric: Metric) -> float:
    """Seconds one loss of new blended ``predictions`` takes in selection (the least of
    three calls), the unit of its cost: each round computes one per candidate."""
    prior = decision_prior(metric.name, y)
    stack, y, classes = _finite_rows([predictions], y, metric)

    def once() -> float:
        loss = _Loss(metric, y, classes, prior)  # a fresh one remembers nothing
        start = time.perf_counter()
        loss(stack[0])
        return time.perf_counter() - start

    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        return min(once() for _ in range(3))


def _labels(proba: np.ndarray, classes: np.ndarray, prior: np.ndarray | None) -> np.ndarray:
    return classes[proba.argmax(axis=1)] if prior is None else balanced_labels(proba, classes, prior)


def _finite_rows(predictions: Sequence[np.ndarray], y: np.ndarray,
                 metric: Metric) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The members' predictions stacked and cut to the rows where all are finite, the
    target on those rows, and the class labels (``None`` for regression), checked."""
    y = np.asarray(y)
    if len(predictions) == 0:
        raise UserError("ensemble selection needs the predictions of at least one member")
    stack = np.asarray(predictions, dtype=float)
    classes = np.unique(y) if metric.task == "classification" else None
    expected = (len(y),) if classes is None else (len(y), len(classes))
    if stack.shape[1:] != expected:
        raise UserError(f"each member's predictions must have shape {expected} for {metric.task} "
                        f"with metric {metric.name!r}, got {stack.shape[1:]}")
    finite = np.isfinite(stack).reshape(len(stack), len(y), -1).all(axis=(0, 2))
    if not finite.any():
        raise UserError("no row has finite predictions from every member")
    return stack[:, finite], y[finite], classes


def _final(model: Any) -> Any:
    return model.steps[-1][1] if hasattr(model, "steps") else model
