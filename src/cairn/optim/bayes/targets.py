"""What a surrogate learns from: one finite number per trial, told or pending.

Failed trials keep their place (a model that forgets them proposes them again) with the
worst value seen; several objectives are folded into one by ParEGO's random augmented
Chebyshev scalarisation; pending trials get a constant "lie" so parallel asks spread out;
and heavy-tailed values are warped before a Gaussian model sees them.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

#: How a pending trial's value is made up, given the observed targets.
LIARS = {"worst": np.max, "best": np.min, "mean": np.mean}
WARPS = ("none", "power", "rank")

#: Weight of the linear term in ParEGO's augmented Chebyshev scalarisation.
PAREGO_RHO = 0.05


def impute_failures(values: np.ndarray) -> np.ndarray:
    """Replace non-finite entries by the worst finite one in their column (0 if none)."""
    values = np.array(values, dtype=float)
    finite = np.isfinite(values)
    worst = np.where(finite, values, -np.inf).max(axis=0)
    worst = np.where(np.isfinite(worst), worst, 0.0)
    return np.where(finite, values, worst)


def parego(objectives: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Augmented Chebyshev scalarisation with a random weight vector from the simplex.

    Objectives are scaled to [0, 1] over the observations first, so no objective wins by
    its units; a fresh weight vector per proposal traces out the whole Pareto front.
    """
    F = impute_failures(objectives)
    low, high = F.min(axis=0), F.max(axis=0)
    F = (F - low) / np.where(high > low, high - low, 1.0)
    weights = rng.dirichlet(np.ones(F.shape[1]))
    return np.max(F * weights, axis=1) + PAREGO_RHO * F @ weights


def lies(y: np.ndarray, n: int, liar: str) -> np.ndarray:
    """The constant-liar values for ``n`` pending trials given observed targets ``y``."""
    return np.full(n, LIARS[liar](y) if len(y) else 0.0)


def warp(y: np.ndarray, kind: str = "power") -> np.ndarray:
    """A monotone transform of ``y`` that makes heavy tails look Gaussian, standardised.

    ``power`` is a Yeo-Johnson transform with the likelihood-maximising exponent;
    ``rank`` maps ranks to normal quantiles; ``none`` only standardises.
    """
    y = _standardise(np.asarray(y, dtype=float))
    if kind == "power" and len(y) > 2 and np.ptp(y) > 0:
        y = _standardise(_yeo_johnson(y))
    elif kind == "rank":
        y = stats.norm.ppf((stats.rankdata(y) - 0.5) / len(y))
    return y


def _yeo_johnson(y: np.ndarray) -> np.ndarray:
    """Yeo-Johnson transform with the likelihood-maximising exponent on a grid.

    One vectorised pass over 81 exponents in [-3, 5] replaces scipy's scalar optimiser,
    which costs more than the whole Gaussian-process fit on small data.
    """
    lam = np.linspace(-3.0, 5.0, 81)[:, None]
    size = np.log1p(np.abs(y))
    positive = np.where(lam == 0, size, np.expm1(lam * size) / np.where(lam == 0, 1.0, lam))
    negative = -np.where(lam == 2, size, np.expm1((2.0 - lam) * size) / np.where(lam == 2, 1.0, 2.0 - lam))
    t = np.where(y >= 0, positive, negative)
    loglik = -0.5 * len(y) * np.log(t.var(axis=1)) + (lam[:, 0] - 1.0) * np.sum(np.sign(y) * size)
    return t[int(np.argmax(loglik))]


def _standardise(y: np.ndarray) -> np.ndarray:
    if not len(y):
        return y
    std = y.std()
    return (y - y.mean()) / (std if std > 0 else 1.0)
