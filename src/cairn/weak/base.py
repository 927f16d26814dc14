"""What every label model shares: checks, the canonical LF order and seeded predictions.

A label model turns a label matrix L (rows x labeling functions, ``-1`` = abstain)
into class probabilities per row. Subclasses implement ``_fit`` and ``_proba`` on L
with its columns in the canonical order (:func:`~cairn.weak.labels.canonical_order`),
so no model's result depends on the order the labeling functions were listed in; what
they keep per LF (``mu_``, ``confusion_``) they store in the user's order.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from cairn.errors import UserError
from cairn.weak.labels import canonical_order, check_label_matrix


class LabelModel(BaseEstimator):
    """Base of the label models: ``fit(L)``, ``predict_proba(L)``, ``predict(L)``.

    ``cardinality`` is the number of classes (default: the largest vote in the fitted
    L plus one). ``seed`` seeds how :meth:`predict` breaks exact ties between classes
    (uniformly among the tied ones); the fits draw no random numbers, each starts from
    a point the votes determine.
    """

    cardinality: int | None
    seed: int

    def fit(self, L: object, y: object = None) -> LabelModel:
        """Learn from the votes alone; ``y`` is ignored (scikit-learn's signature)."""
        votes, k = check_label_matrix(L, self.cardinality)
        if votes.shape[0] == 0:
            raise UserError("a label model needs at least one row to fit")
        self.cardinality_, self.n_lfs_ = k, votes.shape[1]
        self.classes_ = np.arange(k)
        columns = np.ascontiguousarray(votes.T)  # one LF per row: sorting and gathering read contiguous memory
        self.order_ = canonical_order(columns.T)
        self._fit(columns[self.order_].T)
        return self

    def predict_proba(self, L: object) -> np.ndarray:
        """``n x cardinality`` class probabilities; each row sums to 1."""
        return self._proba(self._canonical(L))

    def predict(self, L: object) -> np.ndarray:
        """The most probable class per row; exact ties go to a seeded uniform pick."""
        return seeded_argmax(self.predict_proba(L), self.seed)

    @property
    def lf_accuracies_(self) -> np.ndarray:
        """Estimated P(vote = true class | the LF votes) per labeling function, in the
        order the LFs were given."""
        return self._accuracies()

    def _user_order(self, per_lf: np.ndarray) -> np.ndarray:
        """Per-LF blocks of rows (fitted in canonical order) in the order the LFs were given."""
        blocks = per_lf.reshape(self.n_lfs_, -1, *per_lf.shape[1:])
        out = np.empty_like(blocks)
        out[self.order_] = blocks
        return out.reshape(per_lf.shape)

    def _canonical_order(self, per_lf: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`_user_order`."""
        return per_lf.reshape(self.n_lfs_, -1, *per_lf.shape[1:])[self.order_].reshape(per_lf.shape)

    def _canonical(self, L: object) -> np.ndarray:
        if not hasattr(self, "order_"):
            raise UserError(f"this {type(self).__name__} is not fitted yet; call fit(L) first")
        votes, _ = check_label_matrix(L, self.cardinality_)
        if votes.shape[1] != self.n_lfs_:
            raise UserError(f"the label matrix has {votes.shape[1]} labeling functions, "
                            f"but the model was fitted on {self.n_lfs_}")
        return _take_columns(votes, self.order_)

    def _fit(self, L: np.ndarray) -> None:
        raise NotImplementedError

    def _proba(self, L: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _accuracies(self) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not estimate labeling function accuracies")


def _take_columns(L: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``L[:, order]`` laid out column-major: the models read L one LF at a time."""
    return np.ascontiguousarray(L.T)[order].T


def seeded_argmax(proba: np.ndarray, seed: int) -> np.ndarray:
    """Row-wise argmax; where several classes share the maximum exactly, a uniform pick
    among them drawn from ``seed`` (so the same rows get the same picks every call)."""
    tied = proba == proba.max(axis=1, keepdims=True)
    keys = np.random.default_rng(seed).random(proba.shape)
    return np.where(tied, keys, -1.0).argmax(axis=1)


def check_balance(balance: object, k: int) -> np.ndarray:
    """A user's class balance as ``k`` positive probabilities that sum to 1."""
    array = np.asarray(balance, dtype=np.float64)
    if array.shape != (k,) or not np.all(array > 0) or not np.isclose(array.sum(), 1.0):
        raise UserError(f"class_balance must be {k} positive probabilities that sum to 1, got {balance!r}")
    return array
