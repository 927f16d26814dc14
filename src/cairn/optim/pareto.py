"""Pareto dominance for multi-objective search (all objectives lower-is-better)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from cairn.trial import Trial


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of ``points`` (n, m) that no other row dominates.

    Row ``a`` dominates ``b`` when it is no worse in every objective and better in one;
    equal rows do not dominate each other, so duplicates on the front are all kept.
    """
    F = np.asarray(points, dtype=float)
    if F.ndim != 2:
        raise ValueError(f"expected an (n, m) array of objective values, got shape {F.shape}")
    no_worse = (F[:, None, :] <= F[None, :, :]).all(axis=2)
    better = (F[:, None, :] < F[None, :, :]).any(axis=2)
    return ~(no_worse & better).any(axis=0)


def objective_vector(trial: Trial) -> tuple[float, ...]:
    """The trial's objectives, or its loss alone for a single-objective result."""
    if trial.result is None:
        return ()
    return tuple(trial.result.objectives) or (trial.result.loss,)


def pareto_front(trials: Iterable[Trial]) -> list[Trial]:
    """The successful trials whose objective vectors no other successful trial dominates."""
    pairs = [(t, objective_vector(t)) for t in trials if t.result is not None and t.result.ok]
    pairs = [(t, v) for t, v in pairs if np.all(np.isfinite(v))]
    if not pairs:
        return []
    mask = non_dominated(np.array([v for _, v in pairs]))
    return [t for (t, _), keep in zip(pairs, mask, strict=True) if keep]
