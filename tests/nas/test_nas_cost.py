"""Network costs and multi-objective NAS: the study returns exactly its Pareto front."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cairn.errors import UserError
from cairn.nas.build import NetSettings, build_network, count_parameters
from cairn.nas.cost import CostObjective, flops, latency, network_cost, pareto_search
from cairn.nas.space import table_space
from cairn.nas.train import Recipe, TrainingObjective
from cairn.optim.pareto import pareto_front
from cairn.replay import recorded_trials
from cairn.track import Store
from cairn.trial import Trial

TINY = NetSettings(channels=4, stages=2)
SMALL = Recipe(n_train=100, n_valid=50, n_test=50)


def dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(x < y for x, y in zip(a, b, strict=True))


def test_flops_of_a_convolution_are_two_per_multiply_add():
    conv = nn.Conv2d(3, 5, 3, padding=1, bias=False)
    assert flops(conv, torch.zeros(2, 3, 8, 8)) == 2 * (2 * 8 * 8) * (5 * 3 * 3 * 3)


def test_network_cost_counts_the_parameters_and_a_bigger_network_takes_longer():
    space = table_space()
    arch = space.decode({"normal_n0_in0": 0, "normal_n0_op0": "sep_conv_5x5", "normal_n0_in1": 0,
                         "normal_n0_op1": "sep_conv_3x3", "normal_n1_in0": 1, "normal_n1_op0": "sep_conv_5x5",
                         "normal_n1_in1": 0, "normal_n1_op1": "sep_conv_3x3"})
    small, big = build_network(arch, TINY), build_network(arch, NetSettings(channels=64, cells_per_stage=3))
    cost = network_cost(small, (1, 8, 8), batch=8, repeats=5)
    assert cost.params == count_parameters(small)
    assert 0 < cost.latency_ms < network_cost(big, (1, 8, 8), batch=8, repeats=5).latency_ms
    with pytest.raises(UserError, match="timed pass"):
        latency(small, torch.zeros(1, 1, 8, 8), repeats=0)


def test_pareto_search_returns_exactly_the_non_dominated_trials_and_records_them(tmp_path):
    space = table_space()
    objective = CostObjective(TrainingObjective(space, max_epochs=1, settings=TINY, recipe=SMALL), space, TINY,
                              repeats=3, warmup=1)
    store = Store(f"sqlite:///{tmp_path / 'nas.sqlite'}")
    search = pareto_search(objective, n_trials=8, seed=0, store=store)
    trials = [t for t in search.study.trials if t.result is not None and t.result.ok]
    assert len(trials) == 8
    vectors = {t.id: t.result.objectives for t in trials}  # type: ignore[union-attr]
    on_front = {t.id for t in search.front}
    for t in trials:
        loss, params, latency_ms = vectors[t.id]
        assert loss == t.loss and latency_ms > 0
        assert params == count_parameters(build_network(space.decode(t.config), TINY))
        assert (t.id in on_front) == (not any(dominates(vectors[o.id], vectors[t.id]) for o in trials))
    for i in range(3):  # the best trial on each objective (ties broken by the others) is on the front
        assert min(trials, key=lambda t: (vectors[t.id][i], vectors[t.id])).id in on_front
    recorded = [Trial(r.number, r.config, r.budget, result=r.result)
                for r in recorded_trials(store, search.study.study_id)]  # type: ignore[arg-type]
    assert {t.id for t in pareto_front(recorded)} == on_front  # the front can be read back from the store


def test_equal_networks_cost_the_same_and_bad_spaces_are_user_errors():
    space = table_space()
    objective = CostObjective(TrainingObjective(space, max_epochs=1, settings=TINY, recipe=SMALL), space, TINY,
                              repeats=2)
    config = {"normal_n0_in0": 0, "normal_n0_op0": "none", "normal_n0_in1": 0, "normal_n0_op1": "avg_pool_3x3",
              "normal_n1_in0": 1, "normal_n1_op0": "none", "normal_n1_in1": 0, "normal_n1_op1": "sep_conv_3x3"}
    same = {**config, "normal_n1_in0": 0, "normal_n0_op0": "avg_pool_3x3", "normal_n0_op1": "none"}
    assert objective.cost(config) is objective.cost(same)
    with pytest.raises(UserError, match="'mlp' or 'cnn'"):
        CostObjective(objective.accuracy, "rnn")
