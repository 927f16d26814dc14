"""Majority vote: the label model that needs no fitting, and the floor to beat."""

from __future__ import annotations

import numpy as np

from cairn.weak.base import LabelModel
from cairn.weak.labels import vote_counts


class MajorityVote(LabelModel):
    """Each row's most voted class.

    Ties: ``predict_proba`` spreads the probability uniformly over the classes that
    share the most votes (a row nobody labels is a tie of every class), and ``predict``
    picks one of them uniformly at random from ``seed``; the same seed picks the same
    class for the same row on every call.
    """

    def __init__(self, cardinality: int | None = None, seed: int = 0):
        self.cardinality, self.seed = cardinality, seed

    def _fit(self, L: np.ndarray) -> None:
        """Nothing to learn."""

    def _proba(self, L: np.ndarray) -> np.ndarray:
        counts = vote_counts(L, self.cardinality_)
        top = counts == counts.max(axis=1, keepdims=True)
        return top / top.sum(axis=1, keepdims=True)
