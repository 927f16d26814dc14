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
from the observations where it was active.

The multivariate density of a batch is one matrix product: each kernel is a row of
features (precision, precision times centre, constant, categorical indicators,
log-weight) and each point a row of matching monomials; terms more than ``exp(80)``
below a point's largest are not exponentiated. :class:`Proposer` runs TPE's ask and
keeps its densities between asks: the good one is reused while its rows stay the same,
and the bad one, which changes by a row or two per observation, keeps each column's
values in a sorted list, so that a change costs a bisection and new bandwidths (and
kernel features) for its neighbours only. Both equal the densities built from scratch
(equal values rank by row, that is by age, in either), so a seed gives the same trials
whichever way they were obtained.
"""

from __future__ import annotations

import bisect
import weakref
from collections.abc import Callable, Sequence

import numpy as np
from scipy import special

from cairn.errors import UserError
from cairn.optim.bayes.encoding import Encoding
from cairn.space import Config, Space

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)

#: At most this many rows join the bad density in place per ask; more trigger a re-sort.
MAX_INSERTS = 64


class _Layout:
    """Column bookkeeping of one :class:`Encoding`, shared by every estimator on it.

    Kernel features are ``[precision, precision * centre, constant]`` per numeric
    column, ``[observed choice, active]`` per one-hot column and the log-weight; a
    point's features are the matching ``[-x^2 / 2, x, active]``, its one-hot columns
    scaled by the categorical log-probabilities (see :func:`_with_categoricals`) and 1,
    so that one matrix product gives every ``log(w_i k_i(x))``.
    """

    def __init__(self, encoding: Encoding):
        self.num, self.cat = encoding.numeric, encoding.one_hot
        self.d, self.c = len(self.num), len(self.cat)
        self.n_choices = encoding.n_choices
        self.log_k = np.log(self.n_choices)
        self.neg_log_k = -self.log_k
        sizes = [b.stop - b.start for b in encoding.blocks]
        self.n_blocks, self.k_max = len(sizes), max(sizes, default=0)
        # Where each one-hot column sits in a (n_blocks, k_max) zero-padded layout.
        self.padded = np.array(
            [b * self.k_max + i for b, k in enumerate(sizes) for i in range(k)], dtype=int
        )
        self.n_features = 3 * self.d + 2 * self.c + 1
        # The prior kernel's features, but for its log-weight.
        self.prior = np.zeros(self.n_features - 1)
        self.prior[: 3 * self.d] = np.concatenate(
            _numeric_features(np.full(self.d, 0.5), np.ones(self.d), np.ones(self.d, dtype=bool))[1:]
        )


_LAYOUTS: weakref.WeakKeyDictionary[Encoding, _Layout] = weakref.WeakKeyDictionary()


def _layout(encoding: Encoding) -> _Layout:
    layout = _LAYOUTS.get(encoding)
    if layout is None:
        layout = _LAYOUTS[encoding] = _Layout(encoding)
    return layout


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
        _check_prior_weight(prior_weight)
        n = len(U)
        self.encoding, self.multivariate = encoding, multivariate
        self._w = _normalised_weights(weights, n, prior_weight)
        layout = self._layout = _layout(encoding)
        num, cat, d = layout.num, layout.cat, layout.d
        # The prior kernel is one more row: numerics centred and active, categoricals
        # inactive (so uniform).
        mu, active = np.empty((n + 1, d)), np.ones((n + 1, d), dtype=bool)
        mu[:n], mu[n], active[:n] = U[:, num], 0.5, M[:, num]
        self._mu, self._active = mu, active
        counts = active[:n].sum(axis=0)
        S, rows = _sort_columns(mu[:n], active[:n])
        active_sorted = np.arange(n) < counts[:, None]
        sigma = np.ones((n + 1, d))
        sigma[rows, np.arange(d)[:, None]] = np.clip(
            np.where(active_sorted, _sorted_gaps(S, counts), 1.0), _width_bounds(counts)[:, None], 1.0
        )
        self._sigma = sigma
        self._log_norm, prec, centre, const = _numeric_features(mu, sigma, active)
        # Categorical kernels: the observed choice plus prior_weight / n_kernels on every
        # choice, so smoothing fades as observations accumulate (as Optuna).
        cat_active = np.zeros((n + 1, layout.c), dtype=bool)
        cat_active[:n] = M[:, cat]
        observed = np.zeros((n + 1, layout.c))
        observed[:n] = U[:, cat]
        self._cat_active = cat_active
        self._smooth = prior_weight / (cat_active[:n].sum(axis=0) + 1.0)
        log_w = np.log(self._w)[:, None]
        self._features = np.concatenate(
            [prec, centre, const, observed * cat_active, cat_active, log_w], axis=1
        )
        self._observed = observed
        self._probs_cache: np.ndarray | None = None
        self._sampler: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def _probs(self) -> np.ndarray:
        """Categorical probabilities per kernel and one-hot column (uniform where inactive)."""
        if self._probs_cache is None:
            k, smooth = self._layout.n_choices, self._smooth
            observed = (self._observed + smooth) / (1.0 + k * smooth)
            self._probs_cache = np.where(self._cat_active, observed, 1.0 / k)
        return self._probs_cache

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
        if self.multivariate:
            return self._log_pdf_points(*_points(self._layout, U, M))
        num = self._layout.num
        m = M[:, num]
        x = np.where(m, U[:, num], 0.0)
        with np.errstate(divide="ignore"):
            log_w = np.log(self._kernel_weights(self._active))
        # log_w - (x - mu)^2 / (2 sigma^2) - log_norm per point, column and kernel, in
        # place (the arrays are large) and kernels innermost (long loops).
        z = x[:, :, None] - self._mu.T[None]
        z /= self._sigma.T[None]
        z *= z
        z *= 0.5
        np.subtract(log_w.T[None], z, out=z)
        z -= self._log_norm.T[None]
        per_column = _logsumexp(z, axis=2)
        return np.where(m, per_column, 0.0).sum(axis=1) + U[:, self._layout.cat] @ np.log(self._mixture())

    def _log_pdf_points(self, X: np.ndarray, onehot: np.ndarray, offset: np.ndarray) -> np.ndarray:
        """Multivariate log density of points given by :func:`_points`."""
        X = _with_categoricals(self._layout, X, onehot, self._smooth)
        return _logsumexp_rows(X @ self._features.T) + offset

    def log_pdf(self, configs: Sequence[Config]) -> np.ndarray:
        """Log density (on the unit scale of the encoding) of each config."""
        return self.log_pdf_encoded(*self.encoding.encode(list(configs)))

    # -- sampling ------------------------------------------------------------------------

    def sample_encoded(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` canonical points drawn from the mixture, and their activity mask."""
        layout = self._layout
        V = rng.random((n, self.encoding.n_dims))
        if self._sampler is None:
            # Per kernel: centre, width, activity and the Gaussian's cdf at 0 and its
            # mass in [0, 1] per column; cumulative weights; cumulative categorical
            # probabilities in the padded layout.
            mu, sigma = self._mu, self._sigma
            low = special.ndtr(-mu / sigma)
            table = np.concatenate([mu, sigma, self._active, low, special.ndtr((1 - mu) / sigma) - low], axis=1)
            probs = self._probs if self.multivariate else self._mixture()[None, :]
            padded = np.zeros((len(probs), layout.n_blocks * layout.k_max))
            padded[:, layout.padded] = probs
            shape = (len(probs), layout.n_blocks, layout.k_max)
            self._sampler = (table, np.cumsum(self._w), np.cumsum(padded.reshape(shape), axis=2))
        table, cum_w, cum_probs = self._sampler
        d = layout.d
        if self.multivariate:
            kernel = np.minimum(np.searchsorted(cum_w, rng.random(n) * cum_w[-1]), len(cum_w) - 1)
            rows = table[kernel]
            cumulative = cum_probs[kernel]
        else:
            kernel = _draw(rng, self._kernel_weights(self._active), n)
            rows = table[np.tile(kernel, 5), np.arange(5 * d)]
            cumulative = cum_probs
        mu, sigma, active, low, mass = (rows[:, i * d : (i + 1) * d] for i in range(5))
        x = mu + sigma * special.ndtri(low + rng.random(mu.shape) * mass)
        num = layout.num
        V[:, num] = np.where(active, np.clip(x, 0.0, 1.0), V[:, num])
        if layout.n_blocks:
            # One uniform per block, drawn block after block; the choice is the first
            # whose cumulative probability reaches it (padding never does).
            u = rng.random((layout.n_blocks, n)).T[:, :, None]
            choice = (cumulative < u * cumulative[:, :, -1:]).sum(axis=2)
            onehot = choice[:, :, None] == np.arange(layout.k_max)
            V[:, layout.cat] = onehot.reshape(n, -1)[:, layout.padded]
        return self.encoding.canonical(V)

    def sample(self, rng: np.random.Generator, n: int) -> list[Config]:
        """``n`` configs drawn from the mixture."""
        U, _ = self.sample_encoded(rng, n)
        return [self.encoding.decode(u) for u in U]


class _SubsetParzen:
    """The multivariate :class:`ParzenEstimator` of a changing subset of growing rows.

    :meth:`update` takes the rows ``U``/``M`` (the first ``trusted`` unchanged since the
    previous update) and which of them are in. Each numeric column keeps its active
    values in a sorted list; a row that leaves or joins is bisected out of or into
    them, and only the bandwidths of its neighbours are recomputed, with their
    kernels' features. Kernels are rows of one feature matrix over all rows, those not
    in weighted zero. :meth:`log_pdf_encoded` then equals that of
    ``ParzenEstimator.from_encoded(encoding, U[rows], M[rows], weights(len(rows)))``.
    """

    def __init__(self, encoding: Encoding, prior_weight: float):
        self.layout, self.prior_weight = _layout(encoding), prior_weight
        self._n = 0  # rows whose data is cached
        self._allocate(64)
        self._sorted: list[list[tuple[float, int]]] = [[] for _ in range(self.layout.d)]
        self._cat_counts = np.zeros(self.layout.c, dtype=int)  # members active per one-hot column
        self._smooth = prior_weight / (self._cat_counts + 1.0)

    def _allocate(self, capacity: int) -> None:
        layout, n = self.layout, self._n
        mu, active = np.zeros((capacity, layout.d)), np.zeros((capacity, layout.d), dtype=bool)
        gap, cat_active = np.zeros((capacity, layout.d)), np.zeros((capacity, layout.c), dtype=bool)
        features, member = np.zeros((capacity + 1, layout.n_features)), np.zeros(capacity, dtype=bool)
        if n:
            mu[:n], active[:n], gap[:n] = self._mu[:n], self._active[:n], self._gap[:n]
            cat_active[:n], features[:n] = self._cat_active[:n], self._features[:n]
            member[:n] = self._member[:n]
        self._mu, self._active, self._gap, self._cat_active = mu, active, gap, cat_active
        self._features, self._member = features, member

    def update(
        self,
        U: np.ndarray,
        M: np.ndarray,
        members: np.ndarray,
        trusted: int,
        weights: Callable[[int], np.ndarray],
    ) -> _SubsetParzen:
        """Make the density that of rows ``members`` (a mask) of ``U``/``M``; see the class."""
        n, layout, d = len(U), self.layout, self.layout.d
        trusted = min(trusted, self._n, n)
        if n + 1 > len(self._member):
            self._allocate(max(2 * len(self._member), n + 1))
        stay = np.zeros(self._n, dtype=bool)
        stay[:trusted] = members[:trusted]
        leave = np.flatnonzero(self._member[: self._n] & ~stay)
        joining = members.copy()
        joining[:trusted] &= ~self._member[:trusted]
        join = np.flatnonzero(joining)
        counts = [len(column) for column in self._sorted]
        touched: set[tuple[int, tuple[float, int]]] = set()
        if len(leave):  # before their rows are overwritten
            for r in leave.tolist():
                self._remove(r, touched)
            self._cat_counts -= self._cat_active[leave].sum(axis=0)
        if trusted < n:
            new = slice(trusted, n)
            self._mu[new], self._active[new] = U[new, layout.num], M[new, layout.num]
            cat, cat_active = U[new, layout.cat], M[new, layout.cat]
            self._cat_active[new] = cat_active
            self._features[new] = 0.0
            self._features[new, 3 * d : 3 * d + 2 * layout.c] = np.concatenate(
                [cat * cat_active, cat_active], axis=1
            )
        self._n = n
        if len(join) > MAX_INSERTS:
            self._rebuild(join)
        else:
            for r in join.tolist():
                self._insert(r, touched)
            # Below 98 observations, a column's smallest width moves with its count.
            moved = [
                j
                for j, column in enumerate(self._sorted)
                if len(column) != counts[j] and min(len(column), counts[j]) < 98
            ]
            self._refresh(touched, moved)
        if len(join):
            self._cat_counts += self._cat_active[join].sum(axis=0)
        if len(leave) or len(join):
            self._smooth = self.prior_weight / (self._cat_counts + 1.0)
        rows = np.flatnonzero(self._member[:n])
        w = _normalised_weights(weights(len(rows)), len(rows), self.prior_weight)
        self._features[n, :-1] = layout.prior
        log_w = self._features[: n + 1, -1]
        log_w[:] = -np.inf
        log_w[rows], log_w[n] = np.log(w[:-1]), np.log(w[-1])
        return self

    def _remove(self, r: int, touched: set[tuple[int, tuple[float, int]]]) -> None:
        self._member[r] = False
        for j, (value, active) in enumerate(zip(self._mu[r].tolist(), self._active[r].tolist(), strict=True)):
            if active:
                column = self._sorted[j]
                i = bisect.bisect_left(column, (value, r))
                del column[i]
                touched.update((j, column[k]) for k in (i - 1, i) if 0 <= k < len(column))

    def _insert(self, r: int, touched: set[tuple[int, tuple[float, int]]]) -> None:
        self._member[r] = True
        for j, (value, active) in enumerate(zip(self._mu[r].tolist(), self._active[r].tolist(), strict=True)):
            if active:
                column = self._sorted[j]
                i = bisect.bisect_left(column, (value, r))
                column.insert(i, (value, r))
                touched.update((j, column[k]) for k in (i - 1, i, i + 1) if 0 <= k < len(column))

    def _refresh(self, touched: set[tuple[int, tuple[float, int]]], moved: list[int]) -> None:
        """New gaps of the ``touched`` kernels (column, entry) still in, new widths and
        features of those and of every kernel in the ``moved`` columns."""
        cols, rows, gaps = [], [], []
        for j, entry in touched:
            column = self._sorted[j]
            i = bisect.bisect_left(column, entry)
            if i < len(column) and column[i] == entry:
                cols.append(j)
                rows.append(entry[1])
                gaps.append(_gap(column, i))
        r, j = np.array(rows, dtype=int), np.array(cols, dtype=int)
        self._gap[r, j] = gaps
        if moved:
            members = np.flatnonzero(self._member[: self._n])
            i, k = np.nonzero(self._active[members][:, moved])
            r, j = np.concatenate([r, members[i]]), np.concatenate([j, np.array(moved)[k]])
        if len(r):
            self._set_numeric(r, j)

    def _rebuild(self, join: np.ndarray) -> None:
        """Sort every column afresh (many rows joined)."""
        self._member[join] = True
        rows = np.flatnonzero(self._member[: self._n])
        S, order = _sort_columns(self._mu[rows], self._active[rows])
        counts = self._active[rows].sum(axis=0)
        self._sorted = [
            list(zip(S[j, :c].tolist(), rows[order[j, :c]].tolist(), strict=True))
            for j, c in enumerate(counts.tolist())
        ]
        self._gap[rows[order], np.arange(self.layout.d)[:, None]] = _sorted_gaps(S, counts)
        j, p = np.nonzero(np.arange(len(rows)) < counts[:, None])
        self._set_numeric(rows[order[j, p]], j)

    def _set_numeric(self, rows: np.ndarray, cols: np.ndarray) -> None:
        """Widths from the stored gaps, and features, of kernels' active entries."""
        counts = np.array([len(column) for column in self._sorted])
        sigma = np.clip(self._gap[rows, cols], _width_bounds(counts)[cols], 1.0)
        _, prec, centre, const = _numeric_features(self._mu[rows, cols], sigma)
        d, features = self.layout.d, self._features
        features[rows, cols], features[rows, d + cols] = prec, centre
        features[rows, 2 * d + cols] = const

    def _log_pdf_points(self, X: np.ndarray, onehot: np.ndarray, offset: np.ndarray) -> np.ndarray:
        X = _with_categoricals(self.layout, X, onehot, self._smooth)
        return _logsumexp_rows(X @ self._features[: self._n + 1].T) + offset

    def log_pdf_encoded(self, U: np.ndarray, M: np.ndarray) -> np.ndarray:
        """Log density of canonical points ``U`` with activity mask ``M``."""
        return self._log_pdf_points(*_points(self.layout, U, M))


# -- shared pieces -----------------------------------------------------------------------


def _check_prior_weight(prior_weight: float) -> None:
    if not prior_weight > 0:
        raise UserError(f"the prior weight of a Parzen estimator must be positive, got {prior_weight}")


def _normalised_weights(
    weights: Sequence[float] | np.ndarray | None, n: int, prior_weight: float
) -> np.ndarray:
    """Kernel weights with the prior kernel's appended, summing to one."""
    w = np.ones(n + 1)
    if weights is not None:
        given = np.asarray(weights, dtype=float)
        if given.shape != (n,) or (n and not given.min() >= 0):
            raise UserError(f"expected {n} non-negative weights, got {given!r}")
        w[:n] = given
    w[n] = prior_weight
    return w / w.sum()


def _numeric_features(
    mu: np.ndarray, sigma: np.ndarray, active: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Log-normaliser, precision, precision times centre and constant of truncated Gaussians.

    ``-(x - mu)^2 / (2 sigma^2) - log_norm`` is ``-x^2 / 2 * prec + x * prec * mu + const``;
    inactive entries (``active`` false; all are active if it is None) get zero features,
    a uniform contribution. ``log_norm`` includes the mass inside [0, 1]; it is exactly 1
    (in double precision) more than 9 sigma from both bounds, so erf is needed only
    near them.
    """
    if mu.size > 64:  # erf is costly: only where its result can differ from 1
        mass = np.ones(mu.shape)
        near = (mu < 9.0 * sigma) | (mu > 1.0 - 9.0 * sigma)
        m, s = mu[near], np.sqrt(2.0) * sigma[near]
        mass[near] = 0.5 * (special.erf((1.0 - m) / s) + special.erf(m / s))
    else:
        s = np.sqrt(2.0) * sigma
        mass = 0.5 * (special.erf((1.0 - mu) / s) + special.erf(mu / s))
    log_norm = np.log(sigma * mass) + _LOG_SQRT_2PI
    prec = 1.0 / sigma**2
    const = -0.5 * mu**2 * prec - log_norm
    if active is not None:
        prec, const = np.where(active, prec, 0.0), np.where(active, const, 0.0)
    return log_norm, prec, mu * prec, const


def _points(
    layout: _Layout, U: np.ndarray, M: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numeric features of points, their one-hot columns, and the uniform categorical term.

    The last is ``sum -log k`` over their active categoricals, which every kernel shares.
    """
    m = M[:, layout.num]
    x = np.where(m, U[:, layout.num], 0.0)
    onehot = U[:, layout.cat]
    return np.concatenate([-0.5 * x**2, x, m], axis=1), onehot, onehot @ layout.neg_log_k


def _with_categoricals(
    layout: _Layout, X: np.ndarray, onehot: np.ndarray, smooth: np.ndarray
) -> np.ndarray:
    """Point features completed for kernels with categorical smoothing ``smooth``.

    A categorical kernel gives its observed choice ``(1 + s) / (1 + k s)`` and every
    other choice ``s / (1 + k s)``, or ``1 / k`` if inactive; against the kernel features
    ``[observed, active]`` that is ``onehot * (log match - log other)`` and
    ``onehot * (log other + log k)``, on top of the shared ``-log k``.
    """
    denom = 1.0 + layout.n_choices * smooth
    match, other = np.log((1.0 + smooth) / denom), np.log((0.0 + smooth) / denom)
    weight = np.ones((len(X), 1))
    return np.concatenate(
        [X, onehot * (match - other), onehot * (other + layout.log_k), weight], axis=1
    )


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    """``log(sum(exp(a)))`` along ``axis``, the exponentials in single precision.

    The sum ranks candidates, so 1e-6 relative error is harmless, and single-precision
    ``exp`` is several times faster; scipy's version has more overhead than work here.
    Terms below ``exp(-80)`` of the largest count as that much, far below the precision
    of the sum: ``exp`` is slow where its single-precision result is subnormal.
    """
    top = np.max(a, axis=axis, keepdims=True)
    z = (a - top).astype(np.float32)
    np.exp(np.maximum(z, -80.0, out=z), out=z)
    return np.log(z.sum(axis=axis, dtype=np.float64)) + np.squeeze(top, axis=axis)


def _logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """``log(sum(exp(a)))`` of each row, dropping terms below ``exp(-80)`` of the largest.

    Those change the sum by less than 1e-30 relative, and with most kernels far from a
    point they are almost all terms of a multivariate density: exponentiating only the
    rest is several times faster than exponentiating everything.
    """
    top = a.max(axis=1)
    keep = np.flatnonzero(a > (top - 80.0)[:, None])
    row = keep // a.shape[1]
    total = np.bincount(row, weights=np.exp(a.ravel()[keep] - top[row]), minlength=len(a))
    return np.log(total) + top


def _sort_columns(values: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's values sorted, inactive ones last as ``inf``, ties by row; and their rows."""
    key = np.ascontiguousarray(np.where(active, values, np.inf).T)
    order = np.argsort(key, axis=1, kind="stable")
    return np.take_along_axis(key, order, axis=1), order


def _sorted_gaps(S: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Neighbour gaps of the entries of sorted columns ``S`` (one per row).

    The first ``counts[j]`` entries of column ``j`` are active; each takes the larger gap
    to its neighbours (as hyperopt and Optuna), the extremes looking inwards only, not
    at the bounds 0 and 1 (Optuna's ``consider_endpoints=False``), unless they are
    alone. :func:`_width_bounds` then keeps kernels from collapsing onto a point.
    Entries past ``counts`` are meaningless.
    """
    d, m = S.shape
    if m == 0:
        return np.zeros((d, 0))
    with np.errstate(invalid="ignore"):
        left = np.diff(S, axis=1, prepend=0.0)
        above = np.concatenate([S[:, 1:], np.ones((d, 1))], axis=1)
        right = np.where(np.arange(1, m + 1) >= counts[:, None], 1.0, above) - S
        gaps = np.maximum(left, right)
    cols = np.flatnonzero(counts >= 2)
    last = counts[cols] - 1
    gaps[cols, 0], gaps[cols, last] = right[cols, 0], left[cols, last]
    return gaps


def _gap(column: list[tuple[float, int]], i: int) -> float:
    """:func:`_sorted_gaps` for entry ``i`` of a sorted list of active ``(value, row)``."""
    c, value = len(column), column[i][0]
    left = value - (column[i - 1][0] if i > 0 else 0.0)
    right = (column[i + 1][0] if i + 1 < c else 1.0) - value
    if c >= 2 and i == 0:
        return right
    if c >= 2 and i == c - 1:
        return left
    return max(left, right)


def _width_bounds(counts: np.ndarray) -> np.ndarray:
    """Smallest kernel width per column, ``1 / min(100, n_kernels + 1)`` (prior included)."""
    return 1.0 / np.minimum(100.0, counts + 2.0)


def _draw(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """``n`` kernel indices per column, column ``j`` drawn with ``weights[:, j]``."""
    cumulative = np.cumsum(weights, axis=0)
    u = rng.random((n, weights.shape[1])) * cumulative[-1]
    idx = np.stack([np.searchsorted(cumulative[:, j], u[:, j]) for j in range(weights.shape[1])], axis=1)
    return np.minimum(idx, len(weights) - 1)


def _lowest(y: np.ndarray, k: int) -> np.ndarray:
    """Mask of the ``k`` smallest entries of ``y``, ties to the earlier ones (as a stable sort)."""
    n = len(y)
    if k >= n:
        return np.ones(n, dtype=bool)
    kth = np.partition(y, k - 1)[k - 1]
    if np.isnan(kth):
        mask = np.zeros(n, dtype=bool)
        mask[np.argsort(y, kind="stable")[:k]] = True
        return mask
    mask = y < kth
    mask[np.flatnonzero(y == kth)[: k - np.count_nonzero(mask)]] = True
    return mask


def default_gamma(n: int) -> int:
    """How many observations count as good: 10%, at most 25 (as Optuna)."""
    return min(int(np.ceil(0.1 * n)), 25)


def default_weights(n: int) -> np.ndarray:
    """Kernel weights by age: the newest 25 full, older ones ramping down (as Optuna).

    The ramp is ``np.linspace(1 / n, 1, n - 25)``, computed as linspace does it, without
    its overhead (this runs at every ask).
    """
    w = np.ones(n)
    k = n - 25
    if k > 0:
        ramp = w[:k]
        ramp[:] = np.arange(k)
        if k > 1:
            ramp *= (1.0 - 1.0 / n) / (k - 1)
        ramp += 1.0 / n
        if k > 1:
            ramp[-1] = 1.0
    return w


class Proposer:
    """TPE's proposal step, keeping its densities between calls.

    A call can promise that its first ``n_final`` rows stay as they are in every later
    call (told trials, in TPE); later calls then reuse the good density if its rows are
    the same and update the bad density in place instead of rebuilding them. The
    proposal is the same either way.
    """

    def __init__(
        self,
        encoding: Encoding,
        *,
        gamma: Callable[[int], int] = default_gamma,
        weights: Callable[[int], np.ndarray] = default_weights,
        n_candidates: int = 24,
        prior_weight: float = 1.0,
        multivariate: bool = True,
    ):
        _check_prior_weight(prior_weight)
        if n_candidates < 1:
            raise UserError(f"tpe: n_candidates must be at least 1, got {n_candidates}")
        self.encoding, self.gamma, self.weights = encoding, gamma, weights
        self.n_candidates, self.prior_weight, self.multivariate = n_candidates, prior_weight, multivariate
        self._n_final = 0
        self._good: tuple[np.ndarray, np.ndarray, ParzenEstimator] | None = None
        self._bad = _SubsetParzen(encoding, prior_weight) if multivariate else None

    def __call__(
        self, U: np.ndarray, M: np.ndarray, y: np.ndarray, rng: np.random.Generator, n_final: int = 0,
        penalty: Callable[[np.ndarray, np.ndarray], np.ndarray | None] | None = None,
    ) -> np.ndarray:
        """The candidate sampled from ``l`` that maximises ``l(x) / g(x)``.

        Rows of ``U``/``M``/``y`` are observations in chronological order (weights
        favour recent ones), the first ``n_final`` unchanged in later calls; returns one
        canonical point. ``penalty``, given the candidates and their masks, returns
        what to subtract from each one's ``log(l / g)`` (or ``None``: nothing), such as
        a cost (see :mod:`cairn.optim.bayes.cost`).
        """
        y = np.asarray(y, dtype=float)
        trusted, self._n_final = min(self._n_final, len(y)), n_final
        below = _lowest(y, min(max(1, self.gamma(len(y))), len(y)))
        options = dict(prior_weight=self.prior_weight, multivariate=self.multivariate)
        rows = np.flatnonzero(below)
        w = np.asarray(self.weights(len(rows)), dtype=float)
        cached = self._good
        if (
            cached is not None
            and len(rows)
            and rows[-1] < trusted
            and len(rows) == len(cached[0])
            and not (rows != cached[0]).any()
            and w.shape == cached[1].shape
            and not (w != cached[1]).any()
        ):
            good = cached[2]
        else:
            good = ParzenEstimator.from_encoded(self.encoding, U[rows], M[rows], w, **options)
            self._good = (rows, w, good)
        C, CM = good.sample_encoded(rng, self.n_candidates)
        if self._bad is not None:
            bad = self._bad.update(U, M, ~below, trusted, self.weights)
            points = _points(bad.layout, C, CM)
            score = good._log_pdf_points(*points) - bad._log_pdf_points(*points)
        else:
            rows = np.flatnonzero(~below)
            w = self.weights(len(rows))
            bad = ParzenEstimator.from_encoded(self.encoding, U[rows], M[rows], w, **options)
            score = good.log_pdf_encoded(C, CM) - bad.log_pdf_encoded(C, CM)
        cost = penalty(C, CM) if penalty is not None else None
        if cost is not None:
            score = score - cost
        return C[int(np.argmax(score))]


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
    """The candidate sampled from ``l`` that maximises ``l(x) / g(x)`` (no state kept).

    Rows of ``U``/``M``/``y`` are observations in chronological order (weights favour
    recent ones); returns one canonical point.
    """
    proposer = Proposer(
        encoding, gamma=gamma, weights=weights, n_candidates=n_candidates,
        prior_weight=prior_weight, multivariate=multivariate,
    )
    return proposer(U, M, y, rng)
