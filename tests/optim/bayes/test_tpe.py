import numpy as np
import pytest

from cairn.errors import UserError
from cairn.optim.bayes import TPE, ParzenEstimator
from cairn.space import Categorical, Float, Space
from cairn.trial import Result


@pytest.mark.parametrize("multivariate", [True, False])
def test_density_integrates_to_one_on_the_unit_scale(multivariate):
    space = Space([Float("x", -3, 3)])
    configs = [{"x": v} for v in (-2.9, -1.0, 0.5, 0.6, 2.99)]
    pe = ParzenEstimator(space, configs, multivariate=multivariate)
    grid = np.linspace(-3, 3, 4001)
    density = np.exp(pe.log_pdf([{"x": v} for v in grid]))
    assert abs(np.trapezoid(density, dx=1 / 4000) - 1) < 1e-3


@pytest.mark.parametrize("multivariate", [True, False])
def test_categorical_probabilities_sum_to_one_and_follow_counts(multivariate):
    space = Space([Categorical("c", ["a", "b", "c", "d"])])
    pe = ParzenEstimator(space, [{"c": "a"}] * 6 + [{"c": "b"}] * 2, multivariate=multivariate)
    p = np.exp(pe.log_pdf([{"c": c} for c in "abcd"]))
    assert abs(p.sum() - 1) < 1e-6
    assert p[0] > p[1] > p[2] == pytest.approx(p[3])


def test_samples_concentrate_near_the_observations_and_weights_move_mass():
    space = Space([Float("x", 0, 1), Float("y", 0, 1)])
    configs = [{"x": 0.2 + 0.01 * i, "y": 0.7} for i in range(10)] + [{"x": 0.9, "y": 0.1}]
    rng = np.random.default_rng(0)
    samples = ParzenEstimator(space, configs).sample(rng, 400)
    assert np.mean([abs(c["x"] - 0.25) < 0.25 and abs(c["y"] - 0.7) < 0.25 for c in samples]) > 0.6
    def near_the_outlier(pe):
        return np.mean([c["x"] > 0.6 and c["y"] < 0.4 for c in pe.sample(rng, 400)])

    plain = near_the_outlier(ParzenEstimator(space, configs))
    weighted = near_the_outlier(ParzenEstimator(space, configs, [0.01] * 10 + [1.0], prior_weight=0.1))
    assert weighted > 0.2 and weighted > 3 * plain


def test_conditional_estimator_samples_valid_configs_like_its_data(conditional_space):
    configs = [conditional_space.sample(np.random.default_rng(i)) for i in range(200)]
    svm = [c for c in configs if c["model"] == "svm"][:15]
    pe = ParzenEstimator(conditional_space, svm)
    samples = pe.sample(np.random.default_rng(0), 300)
    for c in samples:
        assert conditional_space.validate(c) == c
    assert np.mean([c["model"] == "svm" for c in samples]) > 0.5
    assert np.isfinite(pe.log_pdf(configs)).all()
    assert pe.log_pdf(svm).mean() > pe.log_pdf([c for c in configs if c["model"] != "svm"]).mean()


def test_prior_weight_must_be_positive():
    with pytest.raises(UserError):
        ParzenEstimator(Space([Float("x", 0, 1)]), [{"x": 0.5}], prior_weight=0)


@pytest.mark.parametrize("multivariate", [True, False])
def test_tpe_on_a_conditional_space_proposes_valid_configs_and_finds_the_right_branch(
    conditional_space, cash_loss, multivariate
):
    opt = TPE(conditional_space, seed=0, multivariate=multivariate)
    for _ in range(60):
        trial = opt.ask()
        assert conditional_space.validate(trial.config) == trial.config
        opt.tell(trial, Result(loss=cash_loss(trial.config)))
    assert opt.best.config["model"] == "svm"
    late = [t.config["model"] for t in opt.history[-20:]]
    assert late.count("svm") >= 12
