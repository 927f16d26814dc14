import numpy as np
from scipy import optimize

from cairn.optim.bayes.gp import GaussianProcess, _neg_log_posterior


def _data(n=30, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    return X, np.sin(6 * X[:, 0]) + X[:, 1] ** 2


def test_posterior_interpolates_and_is_uncertain_far_away():
    X, y = _data()
    gp = GaussianProcess(np.random.default_rng(0)).fit(X, y)
    mean, std = gp.predict(X)
    assert np.abs(mean - y).max() < 0.02
    assert std.max() < 0.05
    far_mean, far_std = gp.predict(np.array([[3.0, 3.0], [-2.0, 4.0]]))
    assert far_std.min() > 10 * std.max()


def test_generalises_between_training_points():
    X, y = _data(n=40)
    gp = GaussianProcess(np.random.default_rng(0)).fit(X, y)
    T = np.random.default_rng(9).random((200, 2))
    truth = np.sin(6 * T[:, 0]) + T[:, 1] ** 2
    mean, _ = gp.predict(T)
    assert np.sqrt(np.mean((mean - truth) ** 2)) < 0.05 * truth.std()


def test_posterior_gradient_matches_finite_differences():
    X, y = _data(n=25, d=3)
    z = (y - y.mean()) / y.std()
    sq = ((X[:, None] - X[None]) ** 2).reshape(-1, 3)
    theta = np.r_[np.log([0.3, 0.5, 2.0]), 0.1, np.log(1e-3), 0.2]
    error = optimize.check_grad(
        lambda t: _neg_log_posterior(t, sq, z)[0], lambda t: _neg_log_posterior(t, sq, z)[1], theta
    )
    assert error < 1e-3


def test_fit_is_reproducible_and_reuses_hyperparameters_between_refits():
    X, y = _data()
    a = GaussianProcess(np.random.default_rng(5)).fit(X, y)
    b = GaussianProcess(np.random.default_rng(5)).fit(X, y)
    np.testing.assert_array_equal(a.theta, b.theta)
    theta = a.theta.copy()
    wiggly = np.sin(25 * X[:, 0])
    a.fit(np.vstack([X, [[0.5, 0.5]]]), np.r_[wiggly, 0.0])  # grew by 1 of 31: under 5%, no refit
    np.testing.assert_array_equal(a.theta, theta)
    a.fit(X, wiggly, optimise=True)
    assert a.theta[0] < theta[0] - 0.5  # a much shorter length scale along x0


def test_constant_targets_give_finite_predictions():
    X, _ = _data(n=5)
    mean, std = GaussianProcess(np.random.default_rng(0)).fit(X, np.full(5, 3.0)).predict(X)
    np.testing.assert_allclose(mean, 3.0)
    assert np.isfinite(std).all()
