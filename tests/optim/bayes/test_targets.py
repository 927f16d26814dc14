import numpy as np
from scipy import stats

from cairn.optim.bayes.targets import impute_failures, lies, parego, warp


def test_failures_take_the_worst_finite_value_per_column():
    values = np.array([[1.0, 5.0], [np.inf, 2.0], [3.0, np.nan]])
    np.testing.assert_array_equal(impute_failures(values), [[1, 5], [3, 2], [3, 5]])
    np.testing.assert_array_equal(impute_failures(np.array([np.inf, np.inf])), [0, 0])


def test_parego_scalarises_on_a_normalised_scale_and_keeps_pareto_order():
    F = np.array([[0.0, 1000.0], [1.0, 0.0], [0.5, 500.0], [1.0, 1000.0]])
    y = parego(F, np.random.default_rng(0))
    assert y.shape == (4,) and (y >= 0).all() and (y <= 1 + 0.05 * 2).all()
    assert y[3] == y.max()  # dominated by every other point


def test_lies_follow_the_liar():
    y = np.array([1.0, 3.0, 2.0])
    assert lies(y, 2, "worst").tolist() == [3.0, 3.0]
    assert lies(y, 1, "best").tolist() == [1.0]
    assert lies(y, 1, "mean").tolist() == [2.0]


def test_power_warp_is_monotone_standardised_and_tames_heavy_tails():
    y = np.random.default_rng(0).lognormal(0, 2, 200)
    z = warp(y, "power")
    assert (np.diff(z[np.argsort(y)]) > 0).all()
    assert abs(z.mean()) < 1e-9 and abs(z.std() - 1) < 1e-9
    assert abs(stats.skew(z)) < stats.skew(y) / 3
    np.testing.assert_array_equal(np.argsort(warp(y, "rank")), np.argsort(y))
