"""Path encoding: its length, its counts on hand-made cells, and that it sees networks, not configs."""

from __future__ import annotations

import numpy as np
import pytest

from cairn.errors import UserError
from cairn.nas.encoding import PathEncoding, cell_paths
from cairn.nas.space import Architecture, ArchitectureSpace, Cell, Node, table_space


def cell(*nodes: tuple[int, str, int, str], n_inputs: int = 1) -> Cell:
    return Cell(tuple(Node((a, b), (op_a, op_b)) for a, op_a, b, op_b in nodes), n_inputs)


def test_length_counts_every_op_sequence_from_every_input_in_every_cell() -> None:
    assert len(PathEncoding(table_space())) == 1 * (5 + 5**2)
    nasnet = ArchitectureSpace()  # 5 nodes, 2 inputs, normal and reduction cells
    assert len(PathEncoding(nasnet)) == 2 * 2 * sum(5**k for k in range(1, 6))
    assert len(PathEncoding(nasnet, max_length=2)) == 2 * 2 * (5 + 25)


def test_a_chain_has_one_path_per_route_through_it() -> None:
    chain = cell((0, "sep_conv_3x3", 0, "max_pool_3x3"), (1, "sep_conv_5x5", 0, "none"))
    assert cell_paths(chain) == {(0, ("sep_conv_3x3", "sep_conv_5x5")): 1, (0, ("max_pool_3x3", "sep_conv_5x5")): 1}
    enc = PathEncoding(table_space())
    x = enc.encode(Architecture(chain))
    assert x.sum() == 2 and x.max() == 1
    assert {enc.features[i] for i in np.flatnonzero(x)} == {
        ("normal", 0, ("sep_conv_3x3", "sep_conv_5x5")), ("normal", 0, ("max_pool_3x3", "sep_conv_5x5"))}


def test_parallel_equal_edges_count_twice_and_every_loose_end_is_an_output() -> None:
    wide = cell((0, "identity", 0, "identity"), (0, "avg_pool_3x3", 0, "none"))
    assert cell_paths(wide) == {(0, ("identity",)): 2, (0, ("avg_pool_3x3",)): 1}


def test_a_node_fed_only_by_none_edges_starts_no_path() -> None:
    dead = cell((0, "none", 0, "none"), (1, "sep_conv_3x3", 1, "sep_conv_3x3"))
    assert not cell_paths(dead)
    assert not PathEncoding(table_space()).encode(Architecture(dead)).any()


def test_paths_start_at_the_input_they_read_and_truncation_drops_long_ones() -> None:
    two_inputs = cell((1, "max_pool_3x3", 0, "none"), (2, "identity", 0, "sep_conv_3x3"), n_inputs=2)
    assert cell_paths(two_inputs) == {(1, ("max_pool_3x3", "identity")): 1, (0, ("sep_conv_3x3",)): 1}
    space = ArchitectureSpace(n_nodes=2, n_inputs=2, reduction_cell=False)
    short = PathEncoding(space, max_length=1)
    assert short.encode(Architecture(two_inputs)).tolist() == [
        float(f == ("normal", 0, ("sep_conv_3x3",))) for f in short.features]


def test_configs_of_one_network_share_an_encoding() -> None:
    space = ArchitectureSpace(n_nodes=3, n_inputs=2)
    enc, rng = PathEncoding(space), np.random.default_rng(0)
    for _ in range(100):
        config = space.space().sample(rng)
        arch = space.decode(config)
        canonical = Architecture(arch.normal.canonical(), arch.reduce.canonical())
        assert np.array_equal(enc.encode(config), enc.encode(canonical))


def test_paths_need_an_operation() -> None:
    with pytest.raises(UserError, match="max_length"):
        PathEncoding(table_space(), max_length=0)
