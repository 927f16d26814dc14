"""Benchmark functions: known optima, domains and lookup by name."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cairn.benchmarks import BENCHMARKS, get_benchmark
from cairn.errors import UserError


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_known_minimisers_reach_the_known_optimum(name):
    bench = get_benchmark(name)
    assert bench.minimisers
    for x in bench.minimisers:
        config = {f"x{i}": v for i, v in enumerate(x)}
        assert bench.regret(bench(config)) == pytest.approx(0.0, abs=1e-4)


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_optimum_is_a_lower_bound_over_the_domain(name):
    bench = get_benchmark(name)
    rng = np.random.default_rng(0)
    values = [bench(bench.space.sample(rng)) for _ in range(500)]
    assert min(values) >= bench.optimum - 1e-9
    assert max(values) > bench.optimum + 0.1  # not a constant function


@pytest.mark.parametrize(
    "name, point, value",
    [
        ("branin", [0.0, 0.0], 36 + 10 * (1 - 1 / (8 * math.pi)) + 10),
        ("rosenbrock", [0.0] * 5, 4.0),
        ("ackley", [1.0] * 5, 20 - 20 * math.exp(-0.2)),
        ("levy", [1.0] * 5, 0.0),
    ],
)
def test_values_away_from_the_optimum(name, point, value):
    bench = get_benchmark(name)
    assert bench({f"x{i}": v for i, v in enumerate(point)}) == pytest.approx(value)


def test_spaces_use_standard_domains_and_names():
    branin = get_benchmark("branin").space
    assert branin.names == ["x0", "x1"]
    assert (branin["x0"].low, branin["x0"].high, branin["x1"].low, branin["x1"].high) == (-5, 10, 0, 15)
    ackley = get_benchmark("ackley", dim=10)
    assert ackley.dim == 10 and ackley.space.names == [f"x{i}" for i in range(10)]
    assert ackley.space["x9"].low == -32.768 and ackley.name == "ackley10"
    assert get_benchmark("hartmann6").dim == 6
    assert get_benchmark("levy").dim == 5


def test_lookup_mistakes_are_user_errors():
    with pytest.raises(UserError, match="branin"):
        get_benchmark("sphere")
    with pytest.raises(UserError, match="fixed dimension"):
        get_benchmark("branin", dim=3)
    with pytest.raises(UserError):
        get_benchmark("rosenbrock", dim=1)
