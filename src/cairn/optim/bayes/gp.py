"""A Gaussian-process surrogate: Matérn-5/2 with one length scale per dimension.

Hyperparameters (log length scales, log signal variance, log noise variance) are the
maximum a posteriori under weak priors, found by L-BFGS-B with analytic gradients from a
warm start plus a few draws from the prior. The length scales share a common centre
whose prior grows with the dimension (Hvarfner et al., 2024, "Vanilla Bayesian
optimization performs great in high dimensions"), which keeps the model smooth where
data are sparse, and each scatters around that centre by a factor of about two: with
independent length scales, a few dozen points in 10-D are "explained" by switching
most dimensions off, and the search then stalls. The noise prior (Gamma(1.1, 30) on
the variance of standardised targets, as Optuna's) keeps a rugged function from being
explained away as noise. Fitting is O(n^3) per likelihood evaluation, so
hyperparameters are re-estimated only as the data grow and reused otherwise.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, optimize

SQRT5 = np.sqrt(5.0)
LOG_2PI = np.log(2 * np.pi)

# Bounds and priors on log parameters (inputs in [0, 1], targets standardised).
LOG_LS_BOUNDS = (np.log(1e-2), np.log(1e2))
LOG_SIGNAL_BOUNDS, LOG_SIGNAL_PRIOR = (np.log(1e-2), np.log(1e2)), (0.0, 1.5)
LOG_NOISE_BOUNDS = (np.log(1e-6), np.log(1.0))
NOISE_PRIOR = (1.1, 30.0)  # Gamma(shape, rate) on the noise variance, as Optuna
LS_PRIOR_SCALE = np.sqrt(3.0)  # of the common centre of the log length scales
LS_SPREAD = 0.75  # of each log length scale around the centre


class GaussianProcess:
    """GP regression on the unit cube with standardised targets and MAP hyperparameters."""

    def __init__(
        self,
        rng: np.random.Generator,
        n_restarts: int = 2,
        max_fit_points: int = 250,
        refit_fraction: float = 0.05,
    ):
        self.rng = rng
        self.n_restarts = n_restarts
        self.max_fit_points = max_fit_points
        self.refit_fraction = refit_fraction
        self.theta: np.ndarray | None = None
        self._n_at_fit = 0

    # -- fitting -------------------------------------------------------------------------

    def fit(self, X: np.ndarray, y: np.ndarray, optimise: bool | None = None) -> GaussianProcess:
        """Condition on ``(X, y)``, re-estimating hyperparameters if ``optimise``.

        By default they are re-estimated once the data have grown by ``refit_fraction``
        since the last estimate (and at least by one point), and reused otherwise.
        """
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        self._y_mean, std = y.mean(), y.std()
        self._y_std = std if std > 0 else 1.0
        z = (y - self._y_mean) / self._y_std
        n, d = X.shape
        if self.theta is None or len(self.theta) != d + 3:
            self.theta, self._n_at_fit = self._default_theta(d), 0
        if optimise is None:
            optimise = n - self._n_at_fit >= max(1.0, self.refit_fraction * n)
        if optimise and n > 1:
            self.theta, self._n_at_fit = self._optimise(X, z), n
        self._X = X
        self._condition(z)
        return self

    def _bounds(self, d: int) -> list[tuple[float, float]]:
        """Bounds of ``theta = [log l_1..l_d, log signal, log noise, centre of log l]``."""
        return [LOG_LS_BOUNDS] * d + [LOG_SIGNAL_BOUNDS, LOG_NOISE_BOUNDS, LOG_LS_BOUNDS]

    def _default_theta(self, d: int) -> np.ndarray:
        centre = _ls_centre(d)
        noise = np.log((NOISE_PRIOR[0] - 1.0) / NOISE_PRIOR[1])  # the prior's mode
        return self._clip(np.r_[np.full(d, centre), LOG_SIGNAL_PRIOR[0], noise, centre], d)

    def _prior_draw(self, d: int) -> np.ndarray:
        centre = self.rng.normal(_ls_centre(d), LS_PRIOR_SCALE)
        ls = self.rng.normal(centre, LS_SPREAD, d)
        signal = self.rng.normal(*LOG_SIGNAL_PRIOR)
        noise = np.log(self.rng.gamma(NOISE_PRIOR[0], 1.0 / NOISE_PRIOR[1]))
        return self._clip(np.r_[ls, signal, noise, centre], d)

    def _clip(self, theta: np.ndarray, d: int) -> np.ndarray:
        low, high = np.array(self._bounds(d)).T
        return np.clip(theta, low, high)

    def _optimise(self, X: np.ndarray, z: np.ndarray) -> np.ndarray:
        if len(X) > self.max_fit_points:
            keep = self.rng.choice(len(X), self.max_fit_points, replace=False)
            X, z = X[keep], z[keep]
        d = X.shape[1]
        sq = ((X[:, None, :] - X[None, :, :]) ** 2).reshape(-1, d)
        starts = [self.theta] + [self._prior_draw(d) for _ in range(self.n_restarts)]
        best_theta, best_value = self.theta, np.inf
        for start in starts:
            res = optimize.minimize(
                _neg_log_posterior, start, args=(sq, z), jac=True,
                method="L-BFGS-B", bounds=self._bounds(d), options={"maxiter": 60},
            )
            if np.isfinite(res.fun) and res.fun < best_value:
                best_theta, best_value = res.x, res.fun
        return best_theta

    def _condition(self, z: np.ndarray) -> None:
        d = self._X.shape[1]
        signal, noise = np.exp(self.theta[d]), np.exp(self.theta[d + 1])
        K = self._kernel(self._X, self._X)
        self._L = _cholesky(K + noise * np.eye(len(K)))
        self._alpha = linalg.cho_solve((self._L, True), z)
        self._K_inv = _inverse_from_cholesky(self._L)
        self._signal = signal

    # -- prediction ----------------------------------------------------------------------

    def _kernel(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        d = A.shape[1]
        inv_ls = np.exp(-self.theta[:d])
        A, B = A * inv_ls, B * inv_ls
        r2 = (A**2).sum(1)[:, None] + (B**2).sum(1)[None, :] - 2.0 * A @ B.T
        return np.exp(self.theta[d]) * _matern52(np.maximum(r2, 0.0))[0]

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the latent function at ``X``."""
        Ks = self._kernel(np.asarray(X, dtype=float), self._X)
        mean = Ks @ self._alpha
        var = self._signal - np.einsum("ij,ij->i", Ks @ self._K_inv, Ks)
        std = np.sqrt(np.maximum(var, 1e-12))
        return mean * self._y_std + self._y_mean, std * self._y_std


def _matern52(r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Matérn-5/2 correlation at squared distance ``r2`` and its derivative factor.

    The second value ``g`` gives ``d k / d log(l_j) = g * sq_j / l_j^2``.
    """
    r = np.sqrt(r2)
    e = np.exp(-SQRT5 * r)
    return (1.0 + SQRT5 * r + 5.0 / 3.0 * r2) * e, 5.0 / 3.0 * (1.0 + SQRT5 * r) * e


def _ls_centre(d: int) -> float:
    """Prior mean of the log length scales' centre: longer in more dimensions."""
    return float(np.sqrt(2.0) + 0.5 * np.log(max(d, 1)))


def _log_prior(theta: np.ndarray, d: int) -> tuple[float, np.ndarray]:
    """Log prior density (up to a constant) of ``theta`` and its gradient."""
    centre = theta[d + 2]
    dev_ls = (theta[:d] - centre) / LS_SPREAD
    dev_centre = (centre - _ls_centre(d)) / LS_PRIOR_SCALE
    dev_signal = (theta[d] - LOG_SIGNAL_PRIOR[0]) / LOG_SIGNAL_PRIOR[1]
    shape, rate = NOISE_PRIOR
    noise = np.exp(theta[d + 1])
    value = -0.5 * (dev_ls @ dev_ls + dev_centre**2 + dev_signal**2) + shape * theta[d + 1] - rate * noise
    grad = np.r_[
        -dev_ls / LS_SPREAD,
        -dev_signal / LOG_SIGNAL_PRIOR[1],
        shape - rate * noise,
        dev_ls.sum() / LS_SPREAD - dev_centre / LS_PRIOR_SCALE,
    ]
    return value, grad


def _neg_log_posterior(theta: np.ndarray, sq: np.ndarray, z: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative log marginal likelihood plus log prior, and its gradient in ``theta``."""
    n, d = len(z), sq.shape[1]
    inv_l2 = np.exp(-2.0 * theta[:d])
    signal, noise = np.exp(theta[d]), np.exp(theta[d + 1])
    k, g = _matern52((sq @ inv_l2).reshape(n, n))
    try:
        L = _cholesky(signal * k + noise * np.eye(n))
    except np.linalg.LinAlgError:
        return np.inf, np.zeros_like(theta)
    alpha = linalg.cho_solve((L, True), z)
    lml = -0.5 * z @ alpha - np.log(np.diag(L)).sum() - 0.5 * n * LOG_2PI
    A = np.outer(alpha, alpha) - _inverse_from_cholesky(L)
    prior, grad = _log_prior(theta, d)
    grad[:d] += 0.5 * signal * ((A * g).ravel() @ sq) * inv_l2
    grad[d] += 0.5 * signal * np.sum(A * k)
    grad[d + 1] += 0.5 * noise * np.trace(A)
    return -(lml + prior), -grad


def _cholesky(K: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor, adding growing jitter if ``K`` is numerically singular."""
    jitter = 0.0
    for _ in range(5):
        try:
            return linalg.cholesky(K + jitter * np.eye(len(K)), lower=True, check_finite=False)
        except linalg.LinAlgError:
            jitter = max(jitter * 10.0, 1e-8 * np.mean(np.diag(K)))
    raise np.linalg.LinAlgError("covariance matrix is not positive definite")


def _inverse_from_cholesky(L: np.ndarray) -> np.ndarray:
    inv, info = linalg.lapack.dpotri(L, lower=True)
    if info:
        raise np.linalg.LinAlgError("cannot invert the covariance matrix")
    return np.tril(inv) + np.tril(inv, -1).T
