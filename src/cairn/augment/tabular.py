"""Augmentation of tables (rows of numeric features): Gaussian noise, mixup (Zhang et
al., 2018) and SMOTE (Chawla et al., 2002) for minority classes.

Each takes a seed, so the same seed gives the same rows; each returns new arrays and
leaves its input alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.neighbors import NearestNeighbors

from cairn.augment.checks import Seed, as_rng, positive
from cairn.errors import UserError


def gaussian_noise(X: Any, std: float = 0.1, seed: Seed = None, relative: bool = True) -> np.ndarray:
    """``X`` plus noise ``N(0, std)``; with ``relative`` the noise of a column is scaled by
    that column's standard deviation, so every feature is disturbed alike whatever its units."""
    X = _table(X)
    scale = positive(std, "std", allow_zero=True) * (X.std(axis=0) if relative else 1.0)
    return X + as_rng(seed).normal(size=X.shape) * scale


def mixup(X: Any, y: Any, alpha: float = 0.2, seed: Seed = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convex mixtures of random pairs of rows: ``lam * x_i + (1 - lam) * x_j`` with
    ``lam ~ Beta(alpha, alpha)`` per row, and the same mixture of their one-hot labels.

    Returns the mixed rows, their soft labels (one column per class, rows summing to 1)
    and the classes in column order.
    """
    X = _table(X)
    y = _labels(y, len(X))
    alpha = positive(alpha, "alpha")
    rng = as_rng(seed)
    lam = rng.beta(alpha, alpha, len(X))
    partner = rng.permutation(len(X))
    classes, codes = np.unique(y, return_inverse=True)
    onehot = np.eye(len(classes))[codes]
    mixed = lam[:, None] * X + (1 - lam[:, None]) * X[partner]
    return mixed, lam[:, None] * onehot + (1 - lam[:, None]) * onehot[partner], classes


def smote(X: Any, y: Any, k: int = 5, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Grow every class to the size of the largest with synthetic rows, each a random
    point on the segment from a row of that class to one of its ``k`` nearest neighbours
    in the class. Returns the original rows followed by the new ones."""
    X = _table(X)
    y = _labels(y, len(X))
    k = int(positive(k, "k"))
    rng = as_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    new_rows, new_labels = [X], [y]
    for label, count in zip(classes, counts, strict=True):
        missing = counts.max() - count
        if missing == 0:
            continue
        if count < 2:
            raise UserError(f"SMOTE needs at least 2 rows of each class to interpolate, class {label!r} has {count}")
        rows = X[y == label]
        neighbours = NearestNeighbors(n_neighbors=min(k, count - 1) + 1).fit(rows).kneighbors(rows)[1][:, 1:]
        start = rng.integers(0, count, missing)
        end = neighbours[start, rng.integers(0, neighbours.shape[1], missing)]
        gap = rng.random((missing, 1))
        new_rows.append(rows[start] + gap * (rows[end] - rows[start]))
        new_labels.append(np.full(missing, label, dtype=y.dtype))
    return np.concatenate(new_rows), np.concatenate(new_labels)


def _table(X: Any) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] == 0 or not np.issubdtype(X.dtype, np.number):
        raise UserError(f"tabular augmentation needs a non-empty 2-D numeric array, got shape {X.shape} "
                        f"of {X.dtype}")
    return X.astype(np.float64)


def _labels(y: Any, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise UserError(f"labels must be one per row: expected {n}, got shape {y.shape}")
    return y
