import numpy as np
import pytest

from cairn.errors import UserError
from cairn.nas.space import (
    NONE,
    OPS,
    ArchitectureSpace,
    Cell,
    CellSpace,
    Node,
    macro_space,
    table_space,
)


def test_every_sampled_config_is_a_valid_cell_in_the_enumeration() -> None:
    arch = table_space()
    enumerated = {cell.key() for cell in arch.normal.cells()}
    rng = np.random.default_rng(0)
    sampled = {arch.decode(arch.space().sample(rng)).key() for _ in range(5000)}
    assert sampled <= enumerated
    assert len(enumerated) == 1386  # 21 first nodes x 66 second nodes, counted by hand in space.py


def test_node_inputs_only_offer_earlier_states() -> None:
    cells = CellSpace("normal", n_nodes=3, n_inputs=2)
    choices = {p.name: p.choices for p in cells.params() if "_in" in p.name}
    assert choices["normal_n0_in0"] == [0, 1]
    assert choices["normal_n2_in1"] == [0, 1, 2, 3]


def test_key_ignores_edge_order_and_the_input_of_a_none_edge() -> None:
    a = Cell((Node((0, 0), ("sep_conv_3x3", "max_pool_3x3")), Node((1, 0), (NONE, "identity"))), 1)
    b = Cell((Node((0, 0), ("max_pool_3x3", "sep_conv_3x3")), Node((0, 0), ("identity", NONE))), 1)
    assert a.key() == b.key()
    assert a.key() != Cell((a.nodes[0], Node((1, 0), ("identity", NONE))), 1).key()


def test_loose_ends_do_not_count_reads_through_none() -> None:
    through_none = Cell((Node((0, 0), ("identity", "identity")), Node((1, 0), (NONE, "identity"))), 1)
    through_op = Cell((Node((0, 0), ("identity", "identity")), Node((1, 0), ("identity", "identity"))), 1)
    assert through_none.loose_ends() == [1, 2]
    assert through_op.loose_ends() == [2]


def test_encode_decode_round_trip_on_the_full_space() -> None:
    arch_space = ArchitectureSpace()
    config = arch_space.space().sample(np.random.default_rng(3))
    arch = arch_space.decode(config)
    assert arch_space.decode(arch_space.encode(arch)) == arch
    assert "//" in arch.key()


@pytest.mark.parametrize("config", [
    {"normal_n0_in0": 0, "normal_n0_op0": "identity", "normal_n0_in1": 0, "normal_n0_op1": "identity",
     "normal_n1_in0": 2, "normal_n1_op0": "identity", "normal_n1_in1": 0, "normal_n1_op1": "identity"},
    {"normal_n0_in0": 0, "normal_n0_op0": "conv_7x7", "normal_n0_in1": 0, "normal_n0_op1": "identity",
     "normal_n1_in0": 1, "normal_n1_op0": "identity", "normal_n1_in1": 0, "normal_n1_op1": "identity"},
    {"normal_n0_in0": 0, "normal_n0_op0": "identity"},
])
def test_impossible_configs_are_rejected_with_one_sentence(config: dict) -> None:
    with pytest.raises(UserError):
        table_space().decode(config)


def test_bad_cell_space_arguments() -> None:
    with pytest.raises(UserError, match="distinct"):
        CellSpace(ops=["identity", "conv_7x7"])
    with pytest.raises(UserError, match="at least one node"):
        CellSpace(n_nodes=0)
    assert set(OPS) == {"identity", "sep_conv_3x3", "sep_conv_5x5", "avg_pool_3x3", "max_pool_3x3", "none"}


def test_macro_space_only_carries_the_layers_of_its_depth() -> None:
    space = macro_space("cnn", max_depth=4)
    rng = np.random.default_rng(0)
    for _ in range(50):
        config = space.sample(rng)
        depth = config["depth"]
        assert all(f"width{k}" in config and f"kernel{k}" in config for k in range(depth))
        assert not any(f"width{k}" in config for k in range(depth, 4))
    with pytest.raises(UserError):
        macro_space("rnn")
