"""Grid search enumerates the discretised space exactly once, then reports exhaustion."""

from __future__ import annotations

import pytest

from cairn.errors import SearchExhausted, UserError
from cairn.optim.grid import GridSearch, resolution_for
from cairn.space import Categorical, Float, Int, Space


def mixed_space() -> Space:
    return Space(
        [Categorical("kind", ["a", "b"]), Float("lr", 1e-3, 1.0, log=True), Int("depth", 1, 4)],
        {"depth": {"kind": ["b"]}},
    )


def drain(opt: GridSearch) -> list:
    configs = []
    while True:
        try:
            configs.append(opt.ask().config)
        except SearchExhausted:
            return configs


def test_enumerates_every_config_once_in_order_then_exhausts():
    space = mixed_space()
    opt = GridSearch(space, resolution=3)
    configs = drain(opt)
    assert configs == space.grid(3)
    assert len(set(configs)) == len(configs) == 3 + 3 * 3
    with pytest.raises(SearchExhausted):
        opt.ask()


def test_shuffle_permutes_by_seed():
    space = mixed_space()
    a, b, c = (drain(GridSearch(space, seed=s, resolution=3, shuffle=True)) for s in (1, 1, 2))
    assert a == b
    assert a != c
    assert a != space.grid(3)
    assert len(a) == len(space.grid(3)) and set(a) == set(space.grid(3))


def test_resolution_mapping_is_passed_to_the_grid():
    configs = drain(GridSearch(mixed_space(), resolution={"lr": 2, "depth": 4}))
    assert len(configs) == 2 + 2 * 4
    assert sorted({c["lr"] for c in configs}) == pytest.approx([1e-3, 1.0])


def test_resolution_for_fills_the_budget_and_is_maximal():
    space = Space([Float(f"x{i}", 0, 1) for i in range(6)])
    res = resolution_for(space, 200)
    assert space.grid_size(res) == 192  # 4 * 3 * 2**4; 3**3 * 2**3 = 216 would not fit
    for name in res:
        assert space.grid_size(dict(res, **{name: res[name] + 1})) > 200


def test_resolution_for_stops_integers_at_their_range():
    space = Space([Int("k", 1, 3), Float("x", 0, 1)])
    res = resolution_for(space, 30)
    assert res == {"k": 3, "x": 10}


def test_resolution_for_rejects_a_budget_below_the_coarsest_grid():
    with pytest.raises(UserError):
        resolution_for(Space([Categorical("c", list("abcd"))]), 3)
