import numpy as np
import pytest

from cairn.benchmarks import get_benchmark
from cairn.benchmarks.run import best_regret
from cairn.errors import UserError
from cairn.optim.bayes import TPE, BayesianOptimization
from cairn.optim.pareto import non_dominated, pareto_front
from cairn.optim.random import RandomSearch
from cairn.space import Float, Space
from cairn.trial import Result


def _median_regret(make, seeds, evals=30):
    branin = get_benchmark("branin")
    return np.median([best_regret(branin, make(branin.space, s), evals) for s in range(seeds)])


@pytest.fixture(scope="module")
def random_regret():
    return _median_regret(lambda space, s: RandomSearch(space, seed=s), seeds=10)


def test_gp_bo_beats_random_search_on_branin(random_regret):
    assert _median_regret(lambda space, s: BayesianOptimization(space, seed=s), seeds=5) < 0.05 * random_regret


def test_tpe_beats_random_search_on_branin(random_regret):
    assert _median_regret(lambda space, s: TPE(space, seed=s), seeds=10) < 0.5 * random_regret


@pytest.mark.parametrize("make", [
    lambda space: BayesianOptimization(space, seed=0, n_initial=5),
    lambda space: BayesianOptimization(space, seed=0, n_initial=5, surrogate="forest"),
    lambda space: TPE(space, seed=0, n_initial=5),
])
def test_asks_before_tells_give_distinct_valid_configs(conditional_space, cash_loss, make):
    opt = make(conditional_space)
    for _ in range(8):
        trial = opt.ask()
        opt.tell(trial, Result(loss=cash_loss(trial.config)))
    batch = [opt.ask() for _ in range(8)]
    assert len({t.config for t in batch}) == 8
    assert len({t.id for t in batch}) == 8
    for t in batch:
        assert conditional_space.validate(t.config) == t.config
        opt.tell(t, Result(loss=cash_loss(t.config)))
    assert not opt._pending


@pytest.mark.parametrize("make", [
    lambda space, seed: BayesianOptimization(space, seed=seed, n_initial=4),
    lambda space, seed: BayesianOptimization(space, seed=seed, n_initial=4, surrogate="forest", acquisition="lcb"),
    lambda space, seed: TPE(space, seed=seed, n_initial=4),
])
def test_same_seed_same_trials(conditional_space, cash_loss, make):
    def run(seed):
        opt = make(conditional_space, seed)
        for _ in range(8):
            trial = opt.ask()
            opt.tell(trial, Result(loss=cash_loss(trial.config)))
        return [t.config for t in opt.history]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_failures_are_imputed_with_the_worst_loss_and_avoided():
    space = Space([Float("x", 0, 1), Float("y", 0, 1)])
    opt = BayesianOptimization(space, seed=0, n_initial=6)
    for _ in range(20):
        trial = opt.ask()
        x, y = trial.config["x"], trial.config["y"]
        opt.tell(trial, Result.failure("crashed") if x > 0.6 else Result(loss=(x - 0.5) ** 2 + (y - 0.5) ** 2))
    targets = opt._targets()
    finite = np.isfinite(opt._losses)
    assert np.isfinite(targets).all() and (~finite).any()
    assert (targets[~finite] == opt._losses[finite].max()).all()
    assert sum(t.config["x"] > 0.6 for t in opt.history[-8:]) <= 2
    assert opt.best.loss < 0.01


def test_parego_front_is_mutually_non_dominated_and_spread():
    space = Space([Float("x", 0, 1), Float("y", 0, 1)])
    opt = BayesianOptimization(space, seed=0, n_initial=6)
    for _ in range(30):
        trial = opt.ask()
        x, y = trial.config["x"], trial.config["y"]
        f1, f2 = x**2 + 0.5 * y**2, (x - 1) ** 2 + 0.5 * y**2
        opt.tell(trial, Result(loss=f1, objectives=(f1, f2)))
    front = pareto_front(opt.history)
    points = np.array([t.result.objectives for t in front])
    assert non_dominated(points).all()
    assert len(front) >= 6
    assert np.ptp(points[:, 0]) > 0.5  # covers both ends of the trade-off
    assert np.median([t.config["y"] for t in opt.history[6:]]) < 0.2  # learnt that y > 0 never pays


@pytest.mark.parametrize("options", [
    {"surrogate": "svm"}, {"acquisition": "ucb"}, {"liar": "maybe"}, {"warp": "log"}, {"initial": "halton"},
])
def test_unknown_options_are_user_errors(options):
    with pytest.raises(UserError):
        BayesianOptimization(Space([Float("x", 0, 1)]), **options)


def test_initial_design_is_space_filling_and_then_the_model_takes_over():
    space = Space([Float("x", 0, 1)])
    opt = BayesianOptimization(space, seed=0, n_initial=8)
    xs = []
    for _ in range(12):
        trial = opt.ask()
        xs.append(trial.config["x"])
        opt.tell(trial, Result(loss=(trial.config["x"] - 0.3) ** 2))
    first = np.sort(xs[:8])
    assert np.histogram(first, bins=4, range=(0, 1))[0].tolist() == [2, 2, 2, 2]
    assert all(abs(x - 0.3) < 0.1 for x in xs[9:])
