"""Dawid-Skene: expectation-maximisation over one confusion matrix per labeling function.

Dawid & Skene (1979) estimated the error rates of clinicians who each labelled some of
the patients; labeling functions are such annotators. The model keeps, per LF, the
probability of each vote given each true class (a full confusion matrix, so an LF may be
good on one class and poor on another) and the class balance, and alternates between
the posterior of every row (E step) and the counts those posteriors imply (M step),
climbing the likelihood of the votes. An abstain is one more outcome of the confusion
matrix, not a missing vote: an LF that only ever votes one class carries all its
information in when it abstains. EM starts from majority vote's soft labels, so it
needs no random start.
"""

from __future__ import annotations

import numpy as np

from cairn.errors import UserError
from cairn.weak.base import LabelModel, check_balance
from cairn.weak.labels import one_hot
from cairn.weak.majority import MajorityVote


class DawidSkene(LabelModel):
    """EM over per-LF confusion matrices and the class balance.

    ``smoothing`` is a pseudo-count added to every confusion cell in each M step, so an
    LF that never voted some class on some rows keeps a non-zero probability of doing
    so. ``class_balance`` fixes P(Y) instead of estimating it. EM stops after
    ``max_iter`` rounds or when the mean log-likelihood per row gains less than ``tol``.
    """

    def __init__(self, cardinality: int | None = None, class_balance: object = None, smoothing: float = 0.01,
                 max_iter: int = 100, tol: float = 1e-6, seed: int = 0):
        self.cardinality, self.class_balance, self.smoothing = cardinality, class_balance, smoothing
        self.max_iter, self.tol, self.seed = max_iter, tol, seed

    def _fit(self, L: np.ndarray) -> None:
        k = self.cardinality_
        if self.smoothing < 0 or self.max_iter < 1:
            raise UserError(f"smoothing must be at least 0 and max_iter at least 1, got {self.smoothing} and "
                            f"{self.max_iter}")
        given = None if self.class_balance is None else check_balance(self.class_balance, k)
        votes = _outcomes(L, k)
        posterior = MajorityVote(cardinality=k).fit(L).predict_proba(L)
        previous, self.n_iter_ = -np.inf, 0
        while self.n_iter_ < self.max_iter:
            self.n_iter_ += 1
            confusion, self.balance_ = self._maximise(votes, posterior, given)
            log_joint = votes @ np.log(confusion) + np.log(self.balance_)
            top = log_joint.max(axis=1, keepdims=True)
            likelihood = float(np.mean(top[:, 0] + np.log(np.exp(log_joint - top).sum(axis=1))))
            posterior = _normalise(np.exp(log_joint - top))
            if likelihood - previous < self.tol:
                break
            previous = likelihood
        self.confusion_ = self._user_order(confusion)  # confusion_[j * (k + 1) + o, y] = P(outcome o of LF j | y)

    def _maximise(self, votes: np.ndarray, posterior: np.ndarray,
                  given: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Confusion matrices (``m(k+1) x k``: P(outcome o | y), outcome 0 = abstain,
        ``c + 1`` = vote c) and the class balance."""
        k = self.cardinality_
        counts = (votes.T @ posterior).reshape(-1, k + 1, k) + self.smoothing
        confusion = counts / counts.sum(axis=1, keepdims=True)
        balance = given if given is not None else np.clip(posterior.mean(axis=0), 1e-6, None)
        return confusion.reshape(-1, k), balance / balance.sum()

    def _proba(self, L: np.ndarray) -> np.ndarray:
        log_joint = _outcomes(L, self.cardinality_) @ np.log(self._canonical_order(self.confusion_)) \
            + np.log(self.balance_)
        return _normalise(np.exp(log_joint - log_joint.max(axis=1, keepdims=True)))

    def _accuracies(self) -> np.ndarray:
        k = self.cardinality_
        confusion = self.confusion_.reshape(-1, k + 1, k)
        right = np.einsum("jyy,y->j", confusion[:, 1:, :], self.balance_)
        return right / np.maximum((1 - confusion[:, 0, :]) @ self.balance_, 1e-12)


def _outcomes(L: np.ndarray, k: int) -> np.ndarray:
    """One-hot outcomes, abstain included: ``n x m(k+1)``, column ``j(k+1)`` = LF j abstained."""
    return one_hot(L + 1, k + 1, np.float64)


def _normalise(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum(axis=1, keepdims=True)

