"""Random search is reproducible by seed and avoids repeats on finite spaces."""

from __future__ import annotations

from cairn.optim.random import RandomSearch
from cairn.space import Categorical, Float, Int, Space


def configs(space: Space, seed: int, n: int) -> list:
    opt = RandomSearch(space, seed=seed)
    return [opt.ask().config for _ in range(n)]


def test_same_seed_same_configs_different_seed_different():
    space = Space([Float("x", -1, 1), Categorical("c", ["a", "b", "c"]), Int("k", 1, 100, log=True)])
    first = configs(space, 7, 20)
    assert first == configs(space, 7, 20)
    assert first != configs(space, 8, 20)
    assert all(space.validate(c) == c for c in first)


def test_finite_space_is_covered_without_repeats():
    space = Space([Categorical("c", ["a", "b", "c"]), Int("k", 1, 4)])
    seen = configs(space, 0, 12)
    assert len(set(seen)) == 12  # every config of the 3 x 4 space once


def test_finite_space_repeats_once_exhausted():
    space = Space([Categorical("c", ["a", "b"])])
    assert len(configs(space, 0, 5)) == 5
