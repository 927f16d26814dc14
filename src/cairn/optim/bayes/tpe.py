"""The tree-structured Parzen estimator (Bergstra et al., 2011).

TPE models ``p(x | good)`` and ``p(x | bad)`` instead of ``p(loss | x)``: the best
``gamma(n)`` observations feed one kernel density ``l``, the rest another, ``g``, and
the next config is the sample of ``l`` with the highest ``l(x) / g(x)``.

:class:`ParzenEstimator` is the reusable density model (BOHB builds one per budget).
It works on the unit-hypercube encoding: numerics get Gaussians truncated to [0, 1]
(integers and log scales come for free through the encoding), categoricals get
smoothed one-hot counts. A parameter contributes only where it is active: in the
multivariate (default) form, an observation on which a parameter was inactive spreads
its mass uniformly over it; in the univariate form, each parameter's mixture is built
from the observations where it was active. The multivariate density of a batch is a
few matrix products, which keeps an ask under a millisecond at a thousand trials.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import special

from cairn.errors import UserError
from cairn.optim.bayes.encoding import Encoding
from cairn.space import Config, Space

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


class ParzenEstimator:
    """A weighted mixture of one kernel per observed config plus a broad prior kernel.

    ``weights`` (one per config, default equal) scale the kernels; the prior kernel
    (uniform categoricals, a Gaussian of unit width at the centre for numerics) has
    weight ``prior_weight``, which also smooths each categorical kernel.
    """

    def __init__(
        self,
        space: Space,
        configs: Sequence[Config],
        weights: Sequence[float] | np.ndarray | None = None,
        *,
        prior_weight: float = 1.0,
        multivariate: bool = True,
    ):
        encoding = Encoding(space)
        U, M = encoding.encode(list(configs))
        self._build(encoding, U, M, weights, prior_weight, multivariate)

    @classmethod
    def from_encoded(
        cls,
        encoding: Encoding,
        U: np.ndarray,
        M: np.ndarray,
        weights: Sequence[float] | np.ndarray | None = None,
        *,
        prior_weight: float = 1.0,
        multivariate: bool = True,
    ) -> ParzenEstimator:
        """Build from canonical points ``U`` and their activity mask ``M`` (no re-encoding)."""
        self = cls.__new__(cls)
        self._build(encoding, U, M, weights, prior_weight, multivariate)
        return self

    # -- construction --------------------------------------------------------------------

    def _build(
        self,
        encoding: Encoding,
        U: np.ndarray,
        M: np.ndarray,
        weights: Sequence[float] | np.ndarray | None,
        prior_weight: float,
        multivariate: bool,
    ) -> None:
        if not prior_weight > 0:
            raise UserError(f"the prior weight of a Parzen estimator must be positive, got {prior_weight}")
        n = len(U)
        self.encoding, self.multivariate = encoding, multivariate
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != (n,) or np.any(w < 0):
            raise UserError(f"expected {n} non-negative weights, got {w!r}")
        w = np.append(w, prior_weight)
        self._w = w / w.sum()
        # The prior kernel is one more row: numerics centred and active, categoricals
        # inactive (so uniform).
        num, cat = encoding.numeric, encoding.one_hot
        prior = np.zeros((2, encoding.n_dims))
        prior[:, num] = [[0.5], [1.0]]
        U, M = np.vstack([U, prior[:1]]), np.vstack([M, prior[1:] > 0])
        self._mu, self._active = U[:, num], M[:, num]
        self._sigma = self._bandwidths(self._mu, self._active)
        # Mass of each Gaussian inside [0, 1]; it is 1 to double precision more than
        # 9 sigma from both bounds, which spares most of the costly erf calls.
        mass = np.ones(self._mu.shape)
        near = (self._mu < 9.0 * self._sigma) | (self._mu > 1.0 - 9.0 * self._sigma)
        m, s = self._mu[near], np.sqrt(2.0) * self._sigma[near]
        mass[near] = 0.5 * (special.erf((1.0 - m) / s) + special.erf(m / s))
        self._log_norm = np.log(self._sigma * mass) + _LOG_SQRT_2PI
        # Categorical kernels: the observed choice plus prior_weight / n_kernels on every
        # choice, so smoothing fades as observations accumulate (as Optuna).
        k, smooth = encoding.n_choices, prior_weight / (M[:, cat].sum(axis=0) + 1.0)
        observed = (U[:, cat] + smooth) / (1.0 + k * smooth)
        self._probs = np.where(M[:, cat], observed, 1.0 / k)
        self._cat_active = M[:, cat]

    def _bandwidths(self, mu: np.ndarray, act: np.ndarray) -> np.ndarray:
        """Kernel widths per (kernel, column); the prior kernel (last row) has width 1.

        Each kernel takes the larger gap to its sorted neighbours among the active
        observations (as hyperopt and Optuna), clipped to
        ``[1 / min(100, n_kernels + 1), 1]`` so no kernel collapses onto a point.
        """
        sigma = np.ones(mu.shape)
        sigma[:-1] = np.where(act[:-1], _neighbour_gaps(mu[:-1], act[:-1]), 1.0)
        return np.clip(sigma, 1.0 / np.minimum(100.0, act.sum(axis=0) + 1.0), 1.0)

    # -- density -------------------------------------------------------------------------

    def _kernel_weights(self, active: np.ndarray) -> np.ndarray:
        """Mixture weights per kernel and column: shared, or over the active kernels only."""
        if self.multivariate:
            return np.broadcast_to(self._w[:, None], active.shape)
        w = self._w[:, None] * active
        return w / w.sum(axis=0)

    def _mixture(self) -> np.ndarray:
        """Univariate form: the categorical probabilities mixed over the active kernels."""
        return np.einsum("ij,ij->j", self._kernel_weights(self._cat_active), self._probs)

    def log_pdf_encoded(self, U: np.ndarray, M: np.ndarray) -> np.ndarray:
        """Log density of canonical points ``U`` with activity mask ``M``."""
        num = self.encoding.numeric
        m = M[:, num]
        x = np.where(m, U[:, num], 0.0)
        onehot = U[:, self.encoding.one_hot]
        if self.multivariate:
            # sum_j -(x_j - mu_ij)^2 / (2 sigma_ij^2) - log_norm_ij over active j, as
            # matrix products; inactive kernel columns are uniform (contribute 0).
            prec = np.where(self._active, 1.0 / self._sigma**2, 0.0)
            const = np.where(self._active, -0.5 * self._mu**2 * prec - self._log_norm, 0.0)
            S = (-0.5 * x**2) @ prec.T + x @ (self._mu * prec).T + m @ const.T + onehot @ np.log(self._probs).T
            return _logsumexp(S + np.log(self._w), axis=1)
        with np.errstate(divide="ignore"):
            log_w = np.log(self._kernel_weights(self._active))
        z = (x[:, None, :] - self._mu[None]) / self._sigma[None]
        per_column = _logsumexp(log_w[None] - 0.5 * z**2 - self._log_norm[None], axis=1)
        return np.where(m, per_column, 0.0).sum(axis=1) + onehot @ np.log(self._mixture())

    def log_pdf(self, configs: Sequence[Config]) -> np.ndarray:
        """Log density (on the unit scale of the encoding) of each config."""
        return self.log_pdf_encoded(*self.encoding.encode(list(configs)))

    # -- sampling ------------------------------------------------------------------------

    def sample_encoded(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` canonical points drawn from the mixture, and their activity mask."""
        V = rng.random((n, self.encoding.n_dims))
        if self.multivariate:
            kernel = _draw(rng, self._w[:, None], n)
            probs = self._probs[kernel[:, 0]]
        else:
            kernel = _draw(rng, self._kernel_weights(self._active), n)
            probs = np.broadcast_to(self._mixture(), (n, len(self.encoding.one_hot)))
        cols = np.arange(self._mu.shape[1])[None, :]
        mu, sigma = self._mu[kernel, cols], self._sigma[kernel, cols]
        low, high = special.ndtr(-mu / sigma), special.ndtr((1 - mu) / sigma)
        x = mu + sigma * special.ndtri(low + rng.random(mu.shape) * (high - low))
        num = self.encoding.numeric
        V[:, num] = np.where(self._active[kernel, cols], np.clip(x, 0.0, 1.0), V[:, num])
        start = 0
        for block in self.encoding.blocks:
            k = block.stop - block.start
            cumulative = np.cumsum(probs[:, start : start + k], axis=1)
            choice = (cumulative < rng.random((n, 1)) * cumulative[:, -1:]).sum(axis=1)
            V[:, block] = np.eye(k)[choice]
            start += k
        return self.encoding.canonical(V)

    def sample(self, rng: np.random.Generator, n: int) -> list[Config]:
        """``n`` configs drawn from the mixture."""
        U, _ = self.sample_encoded(rng, n)
        return [self.encoding.decode(u) for u in U]


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    """``log(sum(exp(a)))`` along ``axis``, the exponentials in single precision.

    The sum ranks candidates, so 1e-6 relative error is harmless, and single-precision
    ``exp`` is several times faster; scipy's version has more overhead than work here.
    """
    top = np.max(a, axis=axis, keepdims=True)
    total = np.exp((a - top).astype(np.float32)).sum(axis=axis, dtype=np.float64)
    return np.log(total) + np.squeeze(top, axis=axis)


def _neighbour_gaps(values: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Per column, each active value's larger distance to its sorted active neighbours.

    Inner values look both ways; the extremes look inwards only, not at the bounds 0
    and 1 (Optuna's ``consider_endpoints=False``), unless they are alone. Entries of
    inactive values are meaningless.
    """
    n, d = values.shape
    if n == 0:
        return np.zeros((0, d))
    order = np.argsort(np.where(active, values, np.inf), axis=0)
    ranked = np.take_along_axis(np.where(active, values, np.inf), order, axis=0)
    count = active.sum(axis=0)
    below = np.vstack([np.zeros((1, d)), ranked[:-1]])
    above = np.where(np.arange(n)[:, None] + 1 >= count, 1.0, np.vstack([ranked[1:], np.ones((1, d))]))
    with np.errstate(invalid="ignore"):
        left, right = ranked - below, above - ranked
    gaps = np.maximum(left, right)
    cols = np.flatnonzero(count >= 2)
    gaps[0, cols] = right[0, cols]
    gaps[count[cols] - 1, cols] = left[count[cols] - 1, cols]
    out = np.empty_like(gaps)
    np.put_along_axis(out, order, gaps, axis=0)
    return out


def _draw(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """``n`` kernel indices per column, column ``j`` drawn with ``weights[:, j]``."""
    cumulative = np.cumsum(weights, axis=0)
    u = rng.random((n, weights.shape[1])) * cumulative[-1]
    idx = np.stack([np.searchsorted(cumulative[:, j], u[:, j]) for j in range(weights.shape[1])], axis=1)
    return np.minimum(idx, len(weights) - 1)


def default_gamma(n: int) -> int:
    """How many observations count as good: 10%, at most 25 (as Optuna)."""
    return min(int(np.ceil(0.1 * n)), 25)


def default_weights(n: int) -> np.ndarray:
    """Kernel weights by age: the newest 25 full, older ones ramping down (as Optuna)."""
    if n < 25:
        return np.ones(n)
    return np.r_[np.linspace(1.0 / n, 1.0, n - 25), np.ones(25)]


def suggest(
    encoding: Encoding,
    U: np.ndarray,
    M: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    *,
    gamma: Callable[[int], int] = default_gamma,
    weights: Callable[[int], np.ndarray] = default_weights,
    n_candidates: int = 24,
    prior_weight: float = 1.0,
    multivariate: bool = True,
) -> np.ndarray:
    """The candidate sampled from ``l`` that maximises ``l(x) / g(x)``.

    Rows of ``U``/``M``/``y`` are observations in chronological order (weights favour
    recent ones); returns one canonical point.
    """
    n_below = min(max(1, gamma(len(y))), len(y))
    order = np.argsort(y, kind="stable")
    below, above = np.sort(order[:n_below]), np.sort(order[n_below:])
    options = dict(prior_weight=prior_weight, multivariate=multivariate)
    good = ParzenEstimator.from_encoded(encoding, U[below], M[below], weights(len(below)), **options)
    bad = ParzenEstimator.from_encoded(encoding, U[above], M[above], weights(len(above)), **options)
    C, CM = good.sample_encoded(rng, n_candidates)
    return C[int(np.argmax(good.log_pdf_encoded(C, CM) - bad.log_pdf_encoded(C, CM)))]
