"""Acquisition functions, and their maximisation over mixed and conditional spaces.

Every acquisition here is *maximised* and scores a minimisation problem: ``mean`` and
``std`` are the surrogate's prediction of the loss, ``best`` the incumbent loss.
Expected improvement underflows to exactly zero far from the incumbent, which leaves a
maximiser blind; its logarithm, computed stably (Ament et al., 2023, "Unexpected
improvements to expected improvement"), keeps a slope everywhere.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special

from cairn.errors import UserError
from cairn.optim.bayes.encoding import Encoding

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)
_LOG_SQRT_PI_2 = 0.5 * np.log(np.pi / 2)
_EPS = np.finfo(float).eps


def _z(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    return (best - np.asarray(mean)) / np.maximum(std, 1e-12)


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """``E[max(best - f, 0)]`` under ``f ~ N(mean, std^2)``."""
    z = _z(mean, std, best)
    return np.maximum(std, 1e-12) * (z * special.ndtr(z) + np.exp(-0.5 * z**2 - _LOG_SQRT_2PI))


def log_expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """``log`` of :func:`expected_improvement`, finite even where EI underflows."""
    z = _z(mean, std, best)
    return np.log(np.maximum(std, 1e-12)) + _log_h(z)


def _log_h(z: np.ndarray) -> np.ndarray:
    """``log(phi(z) + z Phi(z))`` in three numerically safe regimes."""
    z = np.atleast_1d(np.asarray(z, dtype=float))
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(np.exp(-0.5 * zu**2 - _LOG_SQRT_2PI) + zu * special.ndtr(zu))
    tail = z < -1.0 / np.sqrt(_EPS)
    out[tail] = -0.5 * z[tail] ** 2 - _LOG_SQRT_2PI - 2.0 * np.log(-z[tail])
    mid = ~upper & ~tail
    zm = z[mid]
    inner = np.log(special.erfcx(-zm / np.sqrt(2.0)) * np.abs(zm)) + _LOG_SQRT_PI_2
    out[mid] = -0.5 * zm**2 - _LOG_SQRT_2PI + _log1mexp(inner)
    return out


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """``log(1 - exp(x))`` for ``x < 0``, accurate near 0 and far below it."""
    return np.where(x > -np.log(2.0), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def probability_of_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """``log P(f < best)``; the log keeps ranks far from the incumbent."""
    return special.log_ndtr(_z(mean, std, best))


def lower_confidence_bound(mean: np.ndarray, std: np.ndarray, kappa: float = 2.0) -> np.ndarray:
    """``-(mean - kappa * std)``: optimism in the face of uncertainty."""
    return kappa * np.asarray(std) - np.asarray(mean)


ACQUISITIONS = ("ei", "logei", "pi", "lcb")


def acquisition_function(
    name: str, kappa: float = 2.0
) -> Callable[[np.ndarray, np.ndarray, float], np.ndarray]:
    """The acquisition called ``name`` as a function of predicted mean, std and incumbent."""
    if name == "ei":
        return expected_improvement
    if name == "logei":
        return log_expected_improvement
    if name == "pi":
        return probability_of_improvement
    if name == "lcb":
        return lambda mean, std, best: lower_confidence_bound(mean, std, kappa)
    raise UserError(f"unknown acquisition {name!r}; valid names are {', '.join(ACQUISITIONS)}")


def maximise(
    score: Callable[[np.ndarray], np.ndarray],
    encoding: Encoding,
    rng: np.random.Generator,
    starts: tuple[np.ndarray, np.ndarray] | None = None,
    n_random: int = 1000,
    n_local: int = 5,
    n_neighbours: int = 20,
    max_steps: int = 30,
    min_step: float = 1e-4,
) -> tuple[np.ndarray, np.ndarray]:
    """Random search followed by a stochastic hill climb, on canonical points.

    ``score`` maps a matrix of canonical points to acquisition values. The climb starts
    from the ``n_local`` best random points and from ``starts`` (e.g. the incumbents, as
    ``(U, M)``), moves each to its best of ``n_neighbours`` random neighbours while that
    improves, and halves the step where it does not, down to ``min_step``. Returns
    every point scored and its value, so the caller can skip points it already
    evaluated.
    """
    U, M = encoding.sample(rng, n_random)
    values = score(U)
    top = np.argsort(-values)[:n_local]
    S, SM, current = U[top], M[top], values[top]
    if starts is not None and len(starts[0]):
        S, SM = np.vstack([S, starts[0]]), np.vstack([SM, starts[1]])
        current = np.r_[current, score(starts[0])]
    pool_U, pool_v = [U, S], [values, current]
    step = np.full(len(S), 0.1)
    for _ in range(max_steps):
        moving = step >= min_step
        if not moving.any():
            break
        k = int(moving.sum())
        N, NM = encoding.perturb(
            np.repeat(S[moving], n_neighbours, axis=0),
            np.repeat(SM[moving], n_neighbours, axis=0),
            rng,
            np.repeat(step[moving], n_neighbours),
        )
        nv = score(N)
        pool_U.append(N)
        pool_v.append(nv)
        j = np.argmax(nv.reshape(k, n_neighbours), axis=1) + np.arange(k) * n_neighbours
        idx = np.flatnonzero(moving)
        better = nv[j] > current[idx]
        S[idx[better]], SM[idx[better]], current[idx[better]] = N[j[better]], NM[j[better]], nv[j[better]]
        step[idx[~better]] *= 0.5
    return np.vstack(pool_U), np.concatenate(pool_v)
