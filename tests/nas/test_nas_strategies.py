"""The NAS strategies: valid, new, reproducible proposals, recorded by a Study, and better than random."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_table import SyntheticTable

from cairn.errors import UserError
from cairn.nas.regret import regret_curves
from cairn.nas.space import ArchitectureSpace, table_space
from cairn.nas.strategies.common import architecture_of, mutate
from cairn.nas.strategies.controller import ReinforceController
from cairn.nas.strategies.evolution import RegularizedEvolution
from cairn.nas.strategies.policy import LSTMPolicy
from cairn.optim import make_optimizer
from cairn.optim.halving import Hyperband
from cairn.space import Categorical, Float, Int, Space
from cairn.study import Study
from cairn.track import Store
from cairn.trial import Result

NAS_STRATEGIES = ("nas-evolution", "nas-rl", "nas-bo")
TABLE = SyntheticTable()
ARCH = TABLE.space
SPACE = ARCH.space()


def accuracy(config, budget=None) -> Result:
    return Result(loss=1.0 - TABLE.lookup(config).val_acc)


def run(name: str, seed: int, n: int = 30) -> list:
    opt = make_optimizer(name, SPACE, seed=seed)
    configs = []
    for _ in range(n):
        trial = opt.ask()
        configs.append(trial.config)
        opt.tell(trial, accuracy(trial.config))
    return configs


@pytest.mark.parametrize("name", NAS_STRATEGIES)
def test_valid_new_networks_reproducibly(name: str) -> None:
    configs = run(name, seed=3)
    assert all(SPACE.validate(c) == c for c in configs)
    assert len({ARCH.decode(c).key() for c in configs}) == len(configs)
    assert run(name, seed=3) == configs
    assert run(name, seed=4) != configs


@pytest.mark.parametrize("name", NAS_STRATEGIES)
def test_a_study_records_every_trial(name: str, tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    out = Study(make_optimizer(name, SPACE, seed=0), accuracy, store=store, n_trials=15).optimize()
    children = [r for r in store.runs(out.study_id) if r["parent_run_id"] == out.run_id]
    assert len(children) == 15 and {r["status"] for r in children} == {"complete"}
    assert store.study(out.study_id)["strategy"] == name
    best = min(children, key=lambda r: r["metrics"]["loss"])
    assert best["params"] == dict(out.best.config)


@pytest.mark.parametrize("name", NAS_STRATEGIES)
def test_lower_median_regret_than_random_search_on_the_fixture(name: str) -> None:
    seeds, n = range(5), 40
    ours = np.median(regret_curves(TABLE, name, n, seeds).at(n))
    random = np.median(regret_curves(TABLE, "random", n, seeds).at(n))
    assert ours < random


@pytest.mark.parametrize("name", NAS_STRATEGIES)
def test_runs_on_a_space_of_any_parameters(name: str) -> None:
    space = Space([Categorical("kind", ["a", "b", "c"]), Float("lr", 1e-3, 1.0, log=True), Int("depth", 1, 6)],
                  {"depth": {"kind": ["b"]}})
    opt = make_optimizer(name, space, seed=0)
    for _ in range(25):
        trial = opt.ask()
        assert space.validate(trial.config) == trial.config
        opt.tell(trial, Result(loss=trial.config["lr"] + (trial.config["kind"] != "b")))
    assert opt.best.config["kind"] == "b"


def test_architecture_spaces_are_recognised_and_others_are_not() -> None:
    nasnet = ArchitectureSpace()
    assert architecture_of(nasnet.space()).space() == nasnet.space()
    assert architecture_of(SPACE).reduce is None
    assert architecture_of(Space([Categorical("normal_n0_in0", [0]), Categorical("normal_n0_op0", ["a"])])) is None
    assert architecture_of(Space([Float("x", 0, 1)])) is None


def test_a_mutation_changes_one_input_or_operation() -> None:
    rng = np.random.default_rng(0)
    space = ArchitectureSpace(n_nodes=3, n_inputs=2).space()
    for _ in range(50):
        config = space.sample(rng)
        child = mutate(space, config, rng)
        assert space.validate(child) == child
        assert sum(child[k] != config[k] for k in config) == 1


def test_a_mutation_that_activates_a_parameter_samples_it() -> None:
    space = Space([Categorical("kind", ["a", "b"]), Int("depth", 1, 6)], {"depth": {"kind": ["b"]}})
    rng = np.random.default_rng(1)
    assert {tuple(mutate(space, space.validate({"kind": "a"}), rng)) for _ in range(5)} == {("kind", "depth")}
    children = [mutate(space, space.validate({"kind": "b", "depth": 2}), rng) for _ in range(20)]
    assert {"kind": "a"} in children
    assert all(c == {"kind": "a"} or (c["kind"] == "b" and c["depth"] != 2) for c in children)


def test_aging_evolution_keeps_the_youngest_and_breeds_from_them() -> None:
    opt = RegularizedEvolution(SPACE, seed=0, population_size=4, sample_size=2)
    for _ in range(12):
        trial = opt.ask()
        opt.tell(trial, accuracy(trial.config))
    assert [t.id for t in opt.population] == [8, 9, 10, 11]
    child = opt.ask().config
    assert min(sum(child[k] != t.config[k] for k in child) for t in opt.population) == 1


def test_bad_options_are_user_errors() -> None:
    with pytest.raises(UserError, match="sample size"):
        make_optimizer("nas-evolution", SPACE, population_size=5, sample_size=6)
    with pytest.raises(UserError, match="baseline decay"):
        make_optimizer("nas-rl", SPACE, baseline_decay=1.0)
    with pytest.raises(UserError, match="candidates"):
        make_optimizer("nas-bo", SPACE, n_mutations=0, n_random=0)


def test_policy_gradient_matches_finite_differences() -> None:
    policy = LSTMPolicy([3, 2, 4], np.random.default_rng(0), hidden_size=5)
    decisions, advantage, entropy_weight = [(0, 2), (1, 0), (2, 3)], 0.7, 0.1
    _, grads = policy.gradient(decisions, advantage, entropy_weight)
    rng = np.random.default_rng(1)
    for name in ("W", "b", "start", "embed0", "embed1", "head2", "bias1"):
        w = policy.weights[name]
        for index in map(tuple, rng.integers(0, w.shape, size=(3, w.ndim))):
            old = w[index]
            w[index] = old + 1e-6
            up = policy.gradient(decisions, advantage, entropy_weight)[0]
            w[index] = old - 1e-6
            down = policy.gradient(decisions, advantage, entropy_weight)[0]
            w[index] = old
            assert grads[name][index] == pytest.approx((up - down) / 2e-6, abs=1e-6)


def test_the_controller_learns_which_choices_pay() -> None:
    space = Space([Categorical(f"x{i}", list(range(4))) for i in range(6)])
    opt = ReinforceController(space, seed=0)
    for _ in range(60):
        trial = opt.ask()
        opt.tell(trial, Result(loss=float(sum(v != 3 for v in trial.config.values()))))
    late = [t.config for t in opt.history[-15:]]
    assert np.mean([v == 3 for c in late for v in c.values()]) > 0.5


def test_hyperband_draws_new_configs_from_a_sampler_and_tells_it() -> None:
    sampler = RegularizedEvolution(SPACE, seed=1, population_size=5, sample_size=2)
    hb = Hyperband(SPACE, seed=0, min_budget=1, max_budget=9, sampler=sampler)
    started = []
    for _ in range(40):
        trial = hb.ask()
        if trial.info["rung"] == 0:
            started.append(trial.config)
        hb.tell(trial, Result(loss=1.0 - TABLE.lookup(trial.config, int(round(trial.budget))).val_acc))
    assert [t.config for t in sampler.history] == started
    assert len({ARCH.decode(c).key() for c in started}) == len(started)


def test_hyperband_makes_a_named_sampler_on_its_space() -> None:
    assert isinstance(Hyperband(SPACE, sampler="nas-rl").sampler, ReinforceController)
    with pytest.raises(UserError, match="another space"):
        Hyperband(SPACE, sampler=RegularizedEvolution(table_space().space() + Space([Float("x", 0, 1)])))
