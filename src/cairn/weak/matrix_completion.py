"""The matrix-completion label model (Ratner et al., AAAI 2019; Snorkel's LabelModel).

Under conditional independence of the labeling functions given the true class Y, the
overlap matrix of their one-hot votes, ``O = E[v v^T]`` (``mk x mk`` for m LFs and k
classes), has off-diagonal blocks ``O_ij = mu_i P mu_j^T``, where
``mu_i[a, y] = P(LF i votes a | Y = y)`` and ``P = diag(p)``, the class balance; its
diagonal gives each LF's vote rates, ``mu_i p``. The model fits ``mu`` to O by bounded
least squares (L-BFGS-B).

Second moments leave a rotation of the latent classes free (``mu_i P^1/2 Q`` fits as
well for any orthogonal Q that keeps the entries valid), and with it the class
balance. So, unless the balance is given, a third-order moment pins it: the LFs are
dealt into three groups, and the tensor ``E[s_0 x s_1 x s_2]`` of the groups' outcome
counts (abstains included) must equal ``sum_y p_y M_0[:, y] x M_1[:, y] x M_2[:, y]``,
with ``M_g[:, y]`` the group's expected counts given y. Both moments come from one
pass over the rows; everything after is independent of the number of rows, which is why
a fit takes milliseconds where stochastic gradient descent over epochs takes seconds. A
row's posterior is the naive-Bayes product of the class balance and each LF's
likelihood of what it did on the row, abstaining included.

The fit starts from what majority vote's soft labels imply (each LF's vote rates given
the class most LFs name, and the classes' shares) and is pulled back towards that start
with a weight that shrinks as rows grow (``prior_strength / n``): moments of a few
hundred rows are noisy, and with LFs that depend on each other (stumps on neighbouring
pixels) the least-squares optimum can sit far from the truth, while on many rows the
moments speak for themselves.

Where the time goes, and what keeps it short: the co-vote counts are exact popcounts of
bit-packed votes; the loss works on ``k x k`` Gram matrices rather than the ``mk x mk``
residual; the start is counted on a few thousand rows; and the first fit, which only
screens for dependent pairs, holds the balance still, since the loss is nearly flat
along it (the third moment alone pins it) and letting it wander costs most of the
iterations.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numpy as np
from scipy.optimize import Bounds, linear_sum_assignment, minimize
from scipy.special import chdtri
from threadpoolctl import ThreadpoolController

from cairn.errors import UserError
from cairn.weak.base import LabelModel, check_balance
from cairn.weak.labels import ABSTAIN, one_hot

#: Probabilities are kept inside [_EPS, 1 - _EPS] so that their logs stay finite.
_EPS = 1e-6
#: LF groups of the third-order moment.
_GROUPS = 3
#: Fits at most: the first screens for dependent pairs, and each later one follows a round
#: of leaving the pairs found out (and is screened in turn).
_ROUNDS = 3
#: L-BFGS-B's relative loss tolerance: of the fits after the first, and of the first, which only screens.
_FTOL, _SCREEN_FTOL = 1e-7, 1e-5
#: Rows the third-order moment is taken on, at most.
_TENSOR_ROWS = 20_000
#: Rows majority vote's soft labels are counted on for the starting point, at most.
_START_ROWS = 5_000
#: Rows from which co-votes are counted on several threads, and the most threads used.
_THREADED_ROWS, _MAX_THREADS = 20_000, 4


@cache
def _blas() -> ThreadpoolController:
    """numpy's BLAS, found once: looking for it on every fit costs milliseconds."""
    return ThreadpoolController()


class MatrixCompletion(LabelModel):
    """Fit per-LF conditional vote probabilities from the LFs' agreements alone.

    ``class_balance``: the class prior P(Y) if known; ``None`` estimates it (from the
    third-order moment, which needs at least three LFs; with fewer it stays uniform).
    The fit starts from majority vote's view of each LF (its vote rates given majority
    vote's soft labels) and class balance; ``prec_init`` instead starts every LF at this
    precision (P(vote right | it votes), wrong votes spread evenly), Snorkel's start.
    Either start is better than chance, which is also what decides which latent class
    is which. ``prior_strength`` pulls the estimates towards the start with weight
    ``prior_strength / n`` for n rows, steadying fits on few rows (0: no pull).
    ``max_iter`` bounds the L-BFGS-B iterations of each fit.

    ``dependency_alpha``: LF pairs whose agreements the fitted model cannot explain (a
    chi-square test of their block of O at this level, Bonferroni-corrected over the
    pairs) are taken as dependent, left out, and the model is fitted again, up to
    :data:`_ROUNDS` times; ``None`` fits every pair. ``dependencies_`` lists them.
    """

    def __init__(self, cardinality: int | None = None, class_balance: object = None, prec_init: float | None = None,
                 prior_strength: float = 3000.0, dependency_alpha: float | None = 1e-3, max_iter: int = 500,
                 seed: int = 0):
        self.cardinality, self.class_balance, self.prec_init = cardinality, class_balance, prec_init
        self.prior_strength, self.dependency_alpha, self.max_iter, self.seed = \
            prior_strength, dependency_alpha, max_iter, seed

    def _fit(self, L: np.ndarray) -> None:
        k, m = self.cardinality_, L.shape[1]
        if self.prec_init is not None and not 0 < self.prec_init < 1 or self.max_iter < 1 or \
                not self.prior_strength >= 0:
            raise UserError(f"prec_init must be between 0 and 1 (or None), max_iter at least 1 and prior_strength "
                            f"at least 0, got {self.prec_init}, {self.max_iter} and {self.prior_strength}")
        given = None if self.class_balance is None else check_balance(self.class_balance, k)
        columns = np.ascontiguousarray(L.T)  # one LF per row (no copy: L comes column-major)
        sample = _tensor_rows(columns)
        threads = _threads()  # read before the limit below
        # One BLAS thread: the matrices after O are tiny, and sums then run in one fixed
        # order, so a fit is bit-identical whatever the machine's core count.
        with _blas().limit(limits=1):
            overlap = _co_votes(columns, k, threads) / L.shape[0]
            groups = np.arange(m) * _GROUPS // m  # consecutive thirds of the canonical order
            mu0, start = _majority_start(sample, k)
            if given is not None:
                start = given
            if self.prec_init is not None:
                mu0 = _initial_mu(np.diag(overlap).reshape(m, k), start, np.full(m, self.prec_init))
            problem = _Problem(overlap, m, k, mu0, self.prior_strength / L.shape[0], given)
            if given is None:
                problem.set_groups(_group_counts(sample, k, groups), groups)
            x, dependent = self._solve(problem, problem.pack(mu0, start), sample, L.shape[0])
        mu, self.balance_ = _break_symmetry(*problem.unpack(x), m, k, fixed=given is not None)
        self.mu_ = self._user_order(mu)  # mu_[j * k + a, y] = P(LF j votes a | y)
        self.dependencies_ = sorted(tuple(sorted((int(self.order_[i]), int(self.order_[j])))) for i, j in dependent)

    def _solve(self, problem: _Problem, x: np.ndarray, sample: np.ndarray,
               n: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """Fit; while pairs are found dependent, leave them out and fit again, up to
        :data:`_ROUNDS` fits. A dependent pair also joins one group of the third-order
        moment, which only needs the groups to be independent of each other.

        The first fit only screens for dependent pairs: it holds the class balance at
        its start (majority vote's) and stops early, since the loss is flat along the
        balance and freeing it costs most of a fit's iterations while the residuals the
        screen reads barely move. Every later fit frees the balance and runs to the full
        tolerance, and is screened in turn; so when the screen finds pairs once, as it
        does on most label matrices, the fit after it is already the last."""
        size, k = problem.mu0.size, problem.k if problem.estimate_balance else 0
        held = Bounds(np.r_[np.zeros(size), x[size:]], np.r_[np.ones(size), x[size:]])
        free = Bounds(np.r_[np.zeros(size), np.full(k, -np.inf)], np.r_[np.ones(size), np.full(k, np.inf)])
        dependent: list[tuple[int, int]] = []
        self.n_iter_ = 0
        if self.dependency_alpha is None:
            return self._minimize(problem, x, free, _FTOL), dependent
        x = self._minimize(problem, x, held, _SCREEN_FTOL)
        for _ in range(_ROUNDS - 1):
            pairs = problem.unexplained(x, n, self.dependency_alpha)
            if not pairs:
                break
            problem.leave_out(pairs)
            dependent += pairs
            if problem.estimate_balance:
                problem.regroup(sample, _merge_groups(problem.groups, pairs))
            x = self._minimize(problem, x, free, _FTOL)
        return (x if dependent else self._minimize(problem, x, free, _FTOL)), dependent  # else x only screened

    def _minimize(self, problem: _Problem, x: np.ndarray, bounds: Bounds, ftol: float) -> np.ndarray:
        found = minimize(problem.loss_and_grad, x, jac=True, method="L-BFGS-B", bounds=bounds,
                         options={"maxiter": self.max_iter, "ftol": ftol, "gtol": 1e-6, "maxcor": 20})
        self.n_iter_ += int(found.nit)
        return found.x

    def _proba(self, L: np.ndarray) -> np.ndarray:
        """P(y) times, per LF, P(its vote | y), or P(it abstains | y) = 1 - sum_a mu[a, y]:
        when an LF abstains says something too, most of all for one that votes one class."""
        k = self.cardinality_
        mu = np.clip(self._canonical_order(self.mu_), _EPS, 1 - _EPS)
        abstain = np.clip(1 - mu.reshape(-1, k, k).sum(axis=1), _EPS, 1)
        scores = one_hot(L, k, np.float64) @ np.log(mu) + (L == ABSTAIN) @ np.log(abstain) \
            + np.log(np.clip(self.balance_, _EPS, None))
        scores -= scores.max(axis=1, keepdims=True)
        proba = np.exp(scores)
        return proba / proba.sum(axis=1, keepdims=True)

    def _accuracies(self) -> np.ndarray:
        mu = self.mu_.reshape(-1, self.cardinality_, self.cardinality_)
        right = np.einsum("jyy,y->j", mu, self.balance_)
        voted = np.einsum("jay,y->j", mu, self.balance_)
        return right / np.maximum(voted, _EPS)


def _tensor_rows(columns: np.ndarray) -> np.ndarray:
    """The votes the third-order moment is taken on: all rows, or on more than
    :data:`_TENSOR_ROWS` evenly spaced ones, at most that many (it only has to pin the
    class balance)."""
    return np.ascontiguousarray(columns[:, ::-(-columns.shape[1] // _TENSOR_ROWS)])


def _group_counts(sample: np.ndarray, k: int, groups: np.ndarray) -> np.ndarray:
    """Per LF group, its outcome counts on each row: ``groups x (k+1) x rows``
    (outcome 0 = abstain, ``c + 1`` = class c)."""
    counts = np.empty((_GROUPS, k + 1, sample.shape[1]))
    for g in range(_GROUPS):
        block = sample[groups == g]
        for c in range(k):
            counts[g, c + 1] = (block == c).view(np.int8).sum(axis=0, dtype=np.int32)
        counts[g, 0] = len(block) - counts[g, 1:].sum(axis=0)
    return counts


def _regroup(counts: np.ndarray, sample: np.ndarray, groups: np.ndarray, merged: np.ndarray) -> np.ndarray:
    """The group counts after the LFs whose group changed have moved: their outcomes
    leave one group's counts and join another's, instead of counting every group again
    (whole numbers, so the result is exactly a recount's)."""
    counts = counts.copy()
    outcomes = np.arange(-1, counts.shape[1] - 1, dtype=sample.dtype)[:, None]  # ABSTAIN, 0, 1, ...
    for j in np.flatnonzero(groups != merged):
        moved = sample[j] == outcomes
        counts[groups[j]] -= moved
        counts[merged[j]] += moved
    return counts


def _third_moment(counts: np.ndarray, groups: np.ndarray) -> np.ndarray | None:
    """E[s_0 x s_1 x s_2] of the groups' outcome counts per row, ``(k+1)^3``; ``None``
    when a group is empty."""
    if np.bincount(groups, minlength=_GROUPS).min() == 0:
        return None
    size, n = counts[0].shape
    pairs = (counts[0][:, None, :] * counts[1][None, :, :]).reshape(size * size, n)
    return (pairs @ counts[2].T).reshape(size, size, size) / n


def _majority_start(columns: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Where the fit starts: ``mu`` and the class balance as majority vote's soft labels
    imply them (one M step of Dawid-Skene from majority vote), counted on at most
    :data:`_START_ROWS` evenly spaced rows of ``columns`` (one LF per row). A row nobody
    votes on counts towards every class evenly in ``mu`` but not in the balance. A
    pseudo-row per class, spread over its outcomes, keeps every rate off 0 and 1; a
    class majority vote never picks keeps a small share, so it still starts at a finite
    logit."""
    votes = np.ascontiguousarray(columns[:, ::-(-columns.shape[1] // _START_ROWS)])
    indicators = [(votes == a).astype(np.float64) for a in range(k)]  # per class: LFs x rows
    tallies = np.stack([indicator.sum(axis=0) for indicator in indicators], axis=1)
    top = tallies == tallies.max(axis=1, keepdims=True)
    soft = top / top.sum(axis=1, keepdims=True)
    voted = np.stack([indicator @ soft for indicator in indicators], axis=1)  # [j, a, y]
    mu = (voted + 1.0 / (k + 1)) / (soft.sum(axis=0) + 1.0)
    covered = tallies.sum(axis=1) > 0
    shares = soft[covered].mean(axis=0) if covered.any() else np.full(k, 1.0 / k)
    shares = np.clip(shares, 0.05 / k, None)
    return mu.reshape(-1, k), shares / shares.sum()


def _merge_groups(groups: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Groups with each dependent pair, and whatever it chains to, moved into one group."""
    groups = groups.copy()
    for _ in pairs:  # enough passes to carry a group along the longest chain
        for i, j in pairs:
            groups[i] = groups[j] = groups[min(i, j)]
    return groups


def _co_votes(columns: np.ndarray, k: int, threads: int = 1) -> np.ndarray:
    """``mk x mk`` counts of rows where LF i voted a and LF j voted b, by popcount.

    Each (LF, class) indicator is packed into bits, so a pair of them costs n / 64 ANDs
    and popcounts instead of n multiply-adds of a float Gram matrix: several times
    faster, and exact for any n. One pass per LF ANDs its k indicators with every later
    one at once, so the Python loop runs m times, not mk. On many rows the LFs are dealt
    out to up to ``threads`` threads (numpy's bit operations run without the GIL); the
    counts are whole numbers, so they are the same however many threads there are."""
    m, n = columns.shape
    bits = np.packbits(columns[:, None, :] == np.arange(k, dtype=columns.dtype)[:, None], axis=2)
    bits = np.pad(bits, ((0, 0), (0, 0), (0, -bits.shape[2] % 8))).reshape(m * k, -1).view(np.uint64)
    size = m * k
    counts = np.empty((size, size))
    threads = min(threads, m) if n >= _THREADED_ROWS else 1

    def count(first: int) -> None:  # LFs first, first + threads, ...: a share of every length
        both = np.empty((k, *bits.shape), dtype=np.uint64)  # reused: no allocation per LF
        ones = np.empty(both.shape, dtype=np.uint8)  # popcounts in bytes: an eighth of the memory traffic
        for r in range(first * k, size, threads * k):
            block = both[:, :size - r]
            np.bitwise_and(bits[r:r + k, None, :], bits[None, r:, :], out=block)
            pairs = np.bitwise_count(block, out=ones[:, :size - r]).sum(axis=2, dtype=np.uint32)
            counts[r:r + k, r:] = pairs  # each LF writes its own rows and columns: no overlap
            counts[r:, r:r + k] = pairs.T

    if threads == 1:
        count(0)
    else:
        list(_pool().map(count, range(threads)))
    return counts


def _threads() -> int:
    """Threads for counting co-votes: as many as numpy's BLAS may use now, so that a
    ``threadpoolctl`` limit holds for them too, at most :data:`_MAX_THREADS`."""
    allowed = [c.num_threads for c in _blas().select(user_api="blas").lib_controllers]
    return max(1, min([*allowed, _MAX_THREADS]))


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(_MAX_THREADS, thread_name_prefix="cairn-co-votes")


class _Problem:
    """The least-squares objective on the moments and its gradient, over ``mu`` (each
    entry in [0, 1]) and, when estimated, the class balance as softmax logits. Each
    moment's squared error is divided by its mean square entry, so neither outweighs the
    other by its scale."""

    def __init__(self, overlap: np.ndarray, m: int, k: int, mu0: np.ndarray, l2: float, balance: np.ndarray | None):
        self.overlap, self.m, self.k, self.mu0, self.l2 = overlap, m, k, mu0, l2
        self.balance, self.estimate_balance = balance, balance is None
        self.excluded = np.eye(m)  # LF pairs whose block of O is not fitted: itself, dependent partners
        self.rates = np.diag(overlap).copy()
        self.scale2 = 1.0 / max(float(np.mean(self.rates ** 2)), 1e-12)
        self.tensor: np.ndarray | None = None
        self._mask_overlap()

    @property
    def mask(self) -> np.ndarray:
        """``mk x mk``: 1 on the entries of O that are fitted."""
        return 1.0 - np.kron(self.excluded, np.ones((self.k, self.k)))

    def _mask_overlap(self) -> None:
        self.fitted = self.overlap * self.mask
        self.fitted_square = float(np.vdot(self.fitted, self.fitted))

    def set_groups(self, counts: np.ndarray, groups: np.ndarray) -> None:
        """Fit the third-order moment of these LF groups too, from their outcome counts
        per row (:func:`_group_counts`); no such term while a group is empty."""
        k = self.k
        self.counts, self.groups = counts, groups
        tensor = _third_moment(counts, groups)
        self.tensor = None if tensor is None else tensor.reshape((k + 1) ** 2, k + 1)  # [(a, b), c]
        self.scale3 = 0.0 if tensor is None else 1.0 / max(float(np.mean(tensor ** 2)), 1e-12)
        self.member = (groups[None, :] == np.arange(_GROUPS)[:, None]).astype(np.float64)
        self.sizes = self.member.sum(axis=1)[:, None]

    def regroup(self, sample: np.ndarray, groups: np.ndarray) -> None:
        """Move LFs to these groups (a dependent pair must share one)."""
        if not np.array_equal(groups, self.groups):
            self.set_groups(_regroup(self.counts, sample, self.groups, groups), groups)

    def pack(self, mu: np.ndarray, balance: np.ndarray) -> np.ndarray:
        logits = np.log(balance) if self.estimate_balance else np.empty(0)
        return np.concatenate([mu.ravel(), logits])

    def unpack(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mu, balance = x[: self.m * self.k * self.k].reshape(self.m * self.k, self.k), self.balance
        if self.estimate_balance:
            logits = x[mu.size:]
            balance = np.exp(logits - logits.max())
            balance /= balance.sum()
        return mu, balance

    def unexplained(self, x: np.ndarray, n: int, alpha: float) -> list[tuple[int, int]]:
        """LF pairs still fitted whose block of O the model misses by more than sampling
        noise (the sum of squared standardised residuals exceeds the chi-square quantile)
        and which are each other's worst-fitted partner: a dependent pair also bends the
        fit of every block its two LFs share with others, and those must not be blamed."""
        mu, p = self.unpack(x)
        m, k = self.m, self.k
        variance = np.maximum(self.overlap * (1 - self.overlap), 1.0 / n) / n
        z = (self.mask * (self.overlap - (mu * p) @ mu.T) ** 2 / variance).reshape(m, k, m, k).sum(axis=(1, 3))
        fitted = self.excluded == 0
        if not fitted.any():
            return []
        limit = chdtri(k * k, alpha / (fitted.sum() / 2))  # the chi-square quantile; scipy.stats costs 100x more
        worst = z.argmax(axis=1)
        i, j = np.triu_indices(m, 1)
        bad = fitted[i, j] & (z[i, j] > limit) & (worst[i] == j) & (worst[j] == i)
        return list(zip(i[bad].tolist(), j[bad].tolist(), strict=True))

    def leave_out(self, pairs: list[tuple[int, int]]) -> None:
        for i, j in pairs:
            self.excluded[i, j] = self.excluded[j, i] = 1.0
        self._mask_overlap()

    def loss_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """The fitted entries of ``mu P mu^T - O`` by way of k x k Gram matrices (the
        ``mk x mk`` residual is never formed): with ``A = mu P``, ``G_j = mu_j^T mu_j``
        and ``S_i`` the sum of ``G_j`` over the blocks (i, j) not fitted, the residual
        times mu is ``A_i (G - S_i) - O_fitted mu`` per block row, and its squared norm
        ``<A^T A, G> - sum_i <A_i^T A_i, S_i> - 2 <A, O_fitted mu> + |O_fitted|^2``, that is
        ``<residual mu - O_fitted mu, A> + |O_fitted|^2``."""
        mu, p = self.unpack(x)
        m, k = self.m, self.k
        scaled = mu * p
        blocks = mu.reshape(m, k, k)
        near = (self.excluded @ (blocks.transpose(0, 2, 1) @ blocks).reshape(m, k * k)).reshape(m, k, k)
        fitted_mu = self.fitted @ mu
        shared = scaled @ (mu.T @ mu) - (scaled.reshape(m, k, k) @ near).reshape(-1, k) - fitted_mu  # residual @ mu
        square = np.vdot(shared - fitted_mu, scaled) + self.fitted_square
        rate_resid = mu @ p - self.rates
        excess = np.maximum(blocks.sum(axis=1) - 1.0, 0.0)  # P(abstain | y) < 0
        loss = self.scale2 * (square + rate_resid @ rate_resid) + np.vdot(excess, excess)
        grad_mu = self.scale2 * (4.0 * shared + 2.0 * rate_resid[:, None]) * p
        grad_mu.reshape(m, k, k)[...] += 2.0 * excess[:, None, :]
        grad_p = self.scale2 * 2.0 * ((shared * mu).sum(axis=0) + rate_resid @ mu)
        if self.l2:
            drift = mu - self.mu0
            loss += self.l2 * np.vdot(drift, drift)
            grad_mu += 2.0 * self.l2 * drift
        if self.tensor is not None:
            loss_3, grad_mu_3, grad_p_3 = self._third_order(mu, p)
            loss, grad_mu, grad_p = loss + loss_3, grad_mu + grad_mu_3, grad_p + grad_p_3
        if not self.estimate_balance:
            return float(loss), grad_mu.ravel()
        return float(loss), np.concatenate([grad_mu.ravel(), p * (grad_p - p @ grad_p)])

    def _third_order(self, mu: np.ndarray, p: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """The tensor term: loss and gradients for mu and p (matrix products, not einsum,
        whose set-up costs more than these tiny tensors)."""
        m, k = self.m, self.k
        votes = (self.member @ mu.reshape(m, k * k)).reshape(_GROUPS, k, k)
        abstains = self.sizes - votes.sum(axis=1)
        a, b, c = np.concatenate([abstains[:, None, :], votes], axis=1)  # E[group outcome counts | y]
        ab = (a[:, None, :] * b[None, :, :]).reshape(-1, k)  # [(a, b), y]
        err = (ab * p) @ c.T - self.tensor  # [(a, b), c]
        ebc = (err @ c).reshape(k + 1, k + 1, k)  # sum over c of err * c: [a, b, y]
        grad_a = (ebc * b[None, :, :]).sum(axis=1)
        grads = np.stack([grad_a, (ebc * a[:, None, :]).sum(axis=0), err.T @ ab])
        # A vote's rate enters its own row and, negated, the abstain row (row 0).
        per_group = (grads[:, 1:, :] - grads[:, :1, :]) * p
        grad_mu = (self.member.T @ per_group.reshape(_GROUPS, k * k)).reshape(-1, k)
        grad_p = (grad_a * a).sum(axis=0)
        return self.scale3 * float(np.vdot(err, err)), 2.0 * self.scale3 * grad_mu, 2.0 * self.scale3 * grad_p


def _initial_mu(rates: np.ndarray, balance: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """The ``prec_init`` start: mu as Bayes' rule gives it if each LF j had precision ``precision[j]``:
    P(vote a | y) = P(y | vote a) P(vote a) / P(y)."""
    m, k = rates.shape
    given_vote = np.empty((m, k, k))  # P(y | LF j votes a): [j, a, y]
    given_vote[:] = ((1 - precision) / (k - 1))[:, None, None]
    given_vote[:, np.arange(k), np.arange(k)] = precision[:, None]
    mu = rates[:, :, None] * given_vote / balance[None, None, :]
    return np.clip(mu, 0.0, 1.0).reshape(m * k, k)


def _break_symmetry(mu: np.ndarray, balance: np.ndarray, m: int, k: int, fixed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Relabel the latent classes so that, summed over LFs, votes agree with them most.

    The moments are unchanged when the columns of mu and the class balance are permuted
    together, so the fit alone cannot tell which latent class is which; LFs better than
    chance can. A given class balance pins the labels of classes whose shares differ,
    but not of classes with equal shares (a uniform balance pins none), so then only
    those may trade places.
    """
    agreement = (mu * balance).reshape(m, k, k).sum(axis=0)  # [vote a, latent y]
    cost = -agreement
    if fixed:
        cost = np.where(np.isclose(balance[:, None], balance[None, :]), cost, np.inf)
    _, latent = linear_sum_assignment(cost)
    return mu[:, latent], balance[latent]
