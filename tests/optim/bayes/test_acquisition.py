import numpy as np

from cairn.optim.bayes.acquisition import (
    expected_improvement,
    log_expected_improvement,
    lower_confidence_bound,
    maximise,
    probability_of_improvement,
)
from cairn.optim.bayes.encoding import Encoding
from cairn.space import Categorical, Float, Space


def test_ei_vanishes_where_mean_is_far_worse_and_certain():
    ei = expected_improvement(np.array([10.0, 0.0]), np.array([1e-3, 1.0]), best=0.0)
    assert ei[0] < 1e-100
    assert abs(ei[1] - 1 / np.sqrt(2 * np.pi)) < 1e-12


def test_log_ei_matches_ei_and_stays_finite_and_ordered_where_ei_underflows():
    mean = np.linspace(-3, 3, 61)
    np.testing.assert_allclose(
        log_expected_improvement(mean, np.ones(61), 0.0), np.log(expected_improvement(mean, np.ones(61), 0.0)), rtol=1e-9
    )
    far = log_expected_improvement(np.array([30.0, 40.0, 1e3, 1e9]), np.ones(4), 0.0)
    assert np.isfinite(far).all() and (np.diff(far) < 0).all()


def test_pi_and_lcb_prefer_low_mean_and_lcb_rewards_uncertainty():
    assert np.diff(probability_of_improvement(np.array([-1.0, 0.0, 1.0]), np.ones(3), 0.0)).max() < 0
    lcb = lower_confidence_bound(np.array([0.0, 0.0]), np.array([0.1, 1.0]), kappa=2.0)
    assert lcb[1] > lcb[0]


def test_maximise_finds_the_optimum_of_a_mixed_function():
    space = Space([Float("x", -5, 5), Float("y", 0, 1), Categorical("c", ["a", "b", "c"])])
    enc = Encoding(space)
    target = space.encode({"x": 1.234, "y": 0.8, "c": "b"})

    def score(U):
        return -np.sum((U - target) ** 2, axis=1)

    pool, values = maximise(score, enc, np.random.default_rng(0), n_random=200)
    best = space.decode(pool[np.argmax(values)])
    assert best["c"] == "b"
    assert abs(best["x"] - 1.234) < 0.01 and abs(best["y"] - 0.8) < 0.002
