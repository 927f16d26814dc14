import numpy as np
import pytest

from cairn.errors import UserError
from cairn.optim.bayes import TPE, ParzenEstimator, tpe
from cairn.optim.bayes.encoding import Encoding
from cairn.space import Categorical, Float, Int, Space
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


# -- the incremental bad density and the cached proposal ------------------------------------


SPACES = {
    "mixed": Space([Float("a", 0, 1), Int("b", 1, 4), Categorical("c", ["x", "y", "z"]),
                    Float("d", 1e-3, 1, log=True)]),
    "numeric": Space([Int("a", 1, 3), Float("b", -1, 1)]),
    "categorical": Space([Categorical("a", [1, 2]), Categorical("b", list("abcde"))]),
}


@pytest.mark.parametrize("seed", range(6))
def test_subset_density_equals_the_density_built_from_scratch(conditional_space, seed):
    """Rows join and leave (a few or many at once, told or pending, on a conditional
    space and with many ties); the kernels always equal those built from scratch."""
    rng = np.random.default_rng(seed)
    space = [conditional_space, *SPACES.values()][seed % 4]
    encoding = Encoding(space)
    U, M = encoding.sample(rng, 410)
    C, CM = encoding.sample(rng, 16)
    subset = tpe._SubsetParzen(encoding, prior_weight=0.7)
    members = np.zeros(0, dtype=bool)
    n_final = 0
    for step in range(60):
        # Told rows grow; a few pending rows after them change every step.
        n_told = min(400, n_final + int(rng.integers(0, 12 if step % 9 else 150)))
        n_pending = int(rng.integers(0, 4))
        rows_U, rows_M = U[: n_told + n_pending].copy(), M[: n_told + n_pending].copy()
        if n_pending:
            rows_U[n_told:], rows_M[n_told:] = encoding.sample(rng, n_pending)
        old, members = members, rng.random(len(rows_U)) < 0.8
        keep = min(len(old), n_told)
        flip = rng.random(keep) < (0.02 if step % 5 else 0.3)
        members[:keep] = old[:keep] ^ flip
        subset.update(rows_U, rows_M, members, n_final, tpe.default_weights)
        n_final = n_told

        rows = np.flatnonzero(members)
        fresh = tpe.ParzenEstimator.from_encoded(
            encoding, rows_U[rows], rows_M[rows], tpe.default_weights(len(rows)), prior_weight=0.7
        )
        kernels = subset._features[np.r_[rows, len(rows_U)]]
        assert np.array_equal(kernels, fresh._features)
        assert np.array_equal(subset._smooth, fresh._smooth)
        assert np.allclose(subset.log_pdf_encoded(C, CM), fresh.log_pdf_encoded(C, CM), rtol=0, atol=1e-9)


@pytest.mark.parametrize("multivariate", [True, False])
def test_cached_proposals_equal_stateless_ones(conditional_space, cash_loss, multivariate):
    def run(stateless: bool) -> list[dict]:
        opt = TPE(conditional_space, seed=3, multivariate=multivariate)
        if stateless:
            opt._suggest = lambda U, M, y: tpe.suggest(opt.encoding, U, M, y, opt.rng, **opt.options)
        configs = []
        for i in range(120):
            trial = opt.ask()
            if i % 5 == 2:  # a second worker
                other = opt.ask()
                opt.tell(other, Result(loss=cash_loss(other.config)))
                configs.append(other.config)
            loss = float("nan") if i % 11 == 4 else cash_loss(trial.config)
            opt.tell(trial, Result(loss=loss))
            configs.append(trial.config)
        return configs

    assert run(stateless=False) == run(stateless=True)


@pytest.mark.parametrize("name", sorted(SPACES))
def test_tpe_runs_on_spaces_without_numerics_or_categoricals(name):
    space = SPACES[name]
    opt = TPE(space, seed=0)
    for i in range(40):
        trial = opt.ask()
        assert space.validate(trial.config) == trial.config
        opt.tell(trial, Result(loss=float(i % 7)))


def test_tpe_rejects_bad_options():
    space = Space([Float("x", 0, 1)])
    with pytest.raises(UserError):
        TPE(space, prior_weight=0)
    with pytest.raises(UserError):
        TPE(space, n_candidates=0)


def test_split_and_weights_match_their_plain_definitions():
    rng = np.random.default_rng(0)
    for n in (1, 5, 26, 27, 300):
        y = rng.integers(0, 4, n).astype(float)  # many ties
        y[rng.random(n) < 0.1] = np.nan
        for k in {1, min(n, 3), min(n, 25), n}:
            expected = np.zeros(n, dtype=bool)
            expected[np.argsort(y, kind="stable")[:k]] = True
            assert np.array_equal(tpe._lowest(y, k), expected)
        ramp = np.r_[np.linspace(1.0 / n, 1.0, n - 25), np.ones(25)] if n >= 25 else np.ones(n)
        assert np.array_equal(tpe.default_weights(n), ramp)
