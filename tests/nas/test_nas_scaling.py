"""Compound scaling: the formula, the cost constraint, and more phi costing more."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from cairn.errors import UserError
from cairn.nas.build import NetSettings
from cairn.nas.scaling import (
    Coefficients,
    CompoundScaler,
    build_scaled,
    coefficient_grid,
    scaled_settings,
    validation_accuracy,
)
from cairn.nas.space import table_space
from cairn.nas.train import Recipe, digits_split

BASE = NetSettings(channels=4, stages=2)
ARCH = table_space().decode({"normal_n0_in0": 0, "normal_n0_op0": "sep_conv_3x3", "normal_n0_in1": 0,
                             "normal_n0_op1": "identity", "normal_n1_in0": 1, "normal_n1_op0": "max_pool_3x3",
                             "normal_n1_in1": 0, "normal_n1_op1": "sep_conv_3x3"})


def test_the_grid_keeps_the_compound_constraint():
    grid = coefficient_grid(step=0.1, tolerance=0.1)
    assert Coefficients(2.0, 1.0, 1.0) in grid and Coefficients(1.2, 1.1, 1.2) in grid
    assert Coefficients(1.2, 1.2, 1.2) not in grid  # growth 2.99
    for c in grid:
        assert min(c.alpha, c.beta, c.gamma) >= 1 and abs(c.growth - 2) <= 0.1 + 1e-9
    with pytest.raises(UserError, match="at least 1"):
        Coefficients(0.9, 1.0, 1.0)


def test_scaled_settings_follow_the_formula():
    c = Coefficients(1.2, 1.1, 1.15)
    assert scaled_settings(BASE, c, 0) == BASE
    s = scaled_settings(BASE, c, 2)
    assert s.cells_per_stage == math.ceil(1.2 ** 2) == 2
    assert s.channels == round(4 * 1.1 ** 2) == 5
    assert s.image_size == round(8 * 1.15 ** 2) == 11
    assert (s.stages, s.n_classes) == (BASE.stages, BASE.n_classes)


def test_a_scaled_network_upsamples_digits_to_its_resolution():
    settings = scaled_settings(BASE, Coefficients(1.0, 1.0, 1.5), 1)
    net = build_scaled(ARCH, settings)
    assert isinstance(net[0], nn.Upsample) and net[0].size == 12
    assert net(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
    assert not isinstance(build_scaled(ARCH, BASE), nn.Sequential)  # nothing to upsample at the base size


@pytest.mark.parametrize("cost", ["flops", "params"])
def test_more_phi_costs_more_and_scaling_stops_at_the_budget(cost):
    scaler = CompoundScaler(ARCH, NetSettings(channels=8, stages=2), cost=cost)
    c = Coefficients(1.2, 1.1, 1.15)
    costs = [scaler.measure(c, phi).cost for phi in range(4)]
    assert all(a < b for a, b in zip(costs, costs[1:], strict=False))
    budget = (costs[2] + costs[3]) / 2
    scaled = scaler.scale(c, budget)
    assert scaled.phi == 2 and scaled.cost == costs[2] <= budget
    assert scaler.scale(c, costs[0]).phi == 0
    with pytest.raises(UserError, match="exceeds the budget"):
        scaler.scale(c, costs[0] / 2)


def test_the_coefficient_search_trains_only_candidates_within_the_cost_limit():
    data = digits_split(Recipe(n_train=100, n_valid=50, n_test=50))
    scaler = CompoundScaler(ARCH, BASE, cost="flops")
    grid = [Coefficients(2.0, 1.0, 1.0), Coefficients(1.0, 1.4, 1.0), Coefficients(1.0, 1.0, 1.4),
            Coefficients(1.2, 1.2, 1.2)]
    limit = 2.2 * scaler.base_cost()
    scored: list[nn.Module] = []

    def score(module: nn.Module) -> float:
        scored.append(module)
        return validation_accuracy(module, epochs=1, data=data)

    best, fitting = scaler.search(score, grid, max_cost=limit)
    expected = [c for c in grid if scaler.measure(c, 1).cost <= limit]
    assert [s.coefficients for s in fitting] == expected and Coefficients(1.2, 1.2, 1.2) not in expected
    assert len(scored) == len(fitting) and all(s.cost <= limit for s in fitting)
    assert best.score == max(s.score for s in fitting) and best.phi == 1  # type: ignore[type-var]
    with pytest.raises(UserError, match="no scaling coefficients"):
        scaler.search(score, grid, max_cost=scaler.base_cost())
