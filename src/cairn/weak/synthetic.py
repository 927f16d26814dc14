"""Synthetic label matrices with known labeling-function accuracies.

The ground truth a label model is tested against: each LF votes on a random fraction of
the rows (its coverage) and, where it votes, is right with its accuracy and otherwise
names one of the wrong classes uniformly. Optional correlated pairs break conditional
independence the way copied heuristics do: the second LF of a pair repeats the first
one's vote on a fraction of the rows the first one labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cairn.errors import UserError
from cairn.weak.labels import ABSTAIN, vote_dtype


@dataclass(frozen=True)
class SyntheticVotes:
    """A label matrix ``L``, the true classes ``y`` and the parameters behind them."""

    L: np.ndarray
    y: np.ndarray
    accuracies: np.ndarray
    coverages: np.ndarray
    class_balance: np.ndarray
    correlated: tuple[tuple[int, int], ...]


def make_label_matrix(n: int, m: int, *, cardinality: int = 2, accuracy: tuple[float, float] = (0.55, 0.9),
                      coverage: tuple[float, float] = (0.2, 0.8), class_balance: object = None,
                      correlated_pairs: int = 0, copy_rate: float = 0.8, seed: int = 0) -> SyntheticVotes:
    """``n`` rows voted on by ``m`` LFs whose accuracies and coverages are drawn uniformly
    from the given ranges. ``class_balance`` defaults to uniform. With ``correlated_pairs``
    = c, LF ``2i + 1`` copies LF ``2i``'s vote on ``copy_rate`` of the rows LF ``2i``
    labels, for i < c (the copied votes replace its own)."""
    if n < 1 or m < 1 or cardinality < 2:
        raise UserError(f"a label matrix needs n >= 1, m >= 1 and cardinality >= 2, got {n}, {m}, {cardinality}")
    if 2 * correlated_pairs > m:
        raise UserError(f"{correlated_pairs} correlated pairs need at least {2 * correlated_pairs} LFs, got {m}")
    rng = np.random.default_rng(seed)
    balance = np.full(cardinality, 1.0 / cardinality) if class_balance is None else np.asarray(class_balance, float)
    if balance.shape != (cardinality,) or not np.isclose(balance.sum(), 1.0) or np.any(balance < 0):
        raise UserError(f"class_balance must be {cardinality} probabilities that sum to 1, got {class_balance!r}")
    y = rng.choice(cardinality, size=n, p=balance)
    accuracies = rng.uniform(*accuracy, size=m)
    coverages = rng.uniform(*coverage, size=m)
    L = np.full((n, m), ABSTAIN, dtype=vote_dtype(cardinality))
    for j in range(m):
        votes = rng.random(n) < coverages[j]
        right = rng.random(n) < accuracies[j]
        wrong = (y + rng.integers(1, cardinality, size=n)) % cardinality
        L[votes, j] = np.where(right, y, wrong)[votes]
    pairs = tuple((2 * i, 2 * i + 1) for i in range(correlated_pairs))
    for source, copy in pairs:
        copied = (rng.random(n) < copy_rate) & (L[:, source] != ABSTAIN)
        L[copied, copy] = L[copied, source]
    return SyntheticVotes(L, y, accuracies, coverages, balance, pairs)
