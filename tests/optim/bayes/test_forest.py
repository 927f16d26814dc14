import numpy as np

from cairn.optim.bayes.forest import ForestSurrogate


def test_forest_fits_a_step_and_is_less_sure_at_the_step():
    X = np.linspace(0, 1, 101)[:, None]
    y = np.where(X[:, 0] < 0.5, 0.0, 1.0) + 0.1 * X[:, 0]
    forest = ForestSurrogate(np.random.default_rng(0)).fit(X, y)
    mean, std = forest.predict(np.array([[0.1], [0.9], [0.5]]))
    assert abs(mean[0] - 0.01) < 0.05 and abs(mean[1] - 1.09) < 0.05
    assert (std > 0).all()
    assert std[2] > 3 * max(std[0], std[1])


def test_forest_is_reproducible_by_seed():
    X = np.random.default_rng(1).random((50, 3))
    y = X.sum(axis=1)
    a = ForestSurrogate(np.random.default_rng(3)).fit(X, y).predict(X[:5])
    b = ForestSurrogate(np.random.default_rng(3)).fit(X, y).predict(X[:5])
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
