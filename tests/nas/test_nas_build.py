import numpy as np
import pytest
import torch

from cairn.errors import UserError
from cairn.nas.build import (
    CellModule,
    NetSettings,
    build_macro,
    build_network,
    count_parameters,
    parameter_count,
)
from cairn.nas.space import Architecture, ArchitectureSpace, macro_space, table_space

torch.set_num_threads(1)
TABLE = table_space()


def table_arch(key: str) -> Architecture:
    """The table-space architecture written as ``0:identity+0:none|...`` (node by node)."""
    nodes = [[edge.split(":") for edge in node.split("+")] for node in key.split("|")]
    config = {f"normal_n{i}_{what}{j}": (int(src) if what == "in" else op)
              for i, node in enumerate(nodes) for j, (src, op) in enumerate(node)
              for what in ("in", "op")}
    return TABLE.decode(config)


def separable_params(channels: int, kernel: int) -> int:
    """Two (depthwise k x k, pointwise 1x1, BatchNorm) blocks, counted by hand."""
    return 2 * (channels * kernel * kernel + channels * channels + 2 * channels)


@pytest.mark.parametrize("space", [TABLE, ArchitectureSpace(n_nodes=3)], ids=["table", "nasnet"])
def test_cell_networks_classify_batches_of_digits(space) -> None:
    arch = space.decode(space.space().sample(np.random.default_rng(3)))
    net = build_network(arch, NetSettings(channels=8))
    assert net(torch.randn(5, 1, 8, 8)).shape == (5, 10)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_macro_networks_follow_their_config(kind) -> None:
    space = macro_space(kind, max_depth=3)
    config = space.sample(np.random.default_rng(0))
    net = build_macro(config, kind)
    assert net(torch.randn(4, 1, 8, 8)).shape == (4, 10)
    widths = [config[f"width{k}"] for k in range(config["depth"])]
    if kind == "mlp":
        sizes = [64, *widths, 10]
        expected = sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False))
    else:
        kernels = [config[f"kernel{k}"] for k in range(config["depth"])]
        sizes = [1, *widths]
        expected = sum(a * b * k * k + 2 * b for a, b, k in zip(sizes, widths, kernels, strict=False))
        expected += widths[-1] * 10 + 10
    assert count_parameters(net) == expected


def test_separable_convolutions_cost_exactly_their_weights() -> None:
    settings = NetSettings(channels=8, stages=2)
    with_sep = table_arch("0:max_pool_3x3+0:sep_conv_3x3|1:identity+1:sep_conv_5x5")
    pooling = table_arch("0:avg_pool_3x3+0:max_pool_3x3|1:avg_pool_3x3+1:identity")
    per_stage = [separable_params(c, 3) + separable_params(c, 5) for c in (8, 16)]
    assert parameter_count(with_sep, settings) - parameter_count(pooling, settings) == sum(per_stage)
    assert parameter_count(pooling, settings) == parameter_count(table_arch("0:none+0:none|0:none+0:none"), settings)


def test_parameter_count_needs_no_weights_and_matches_the_built_network() -> None:
    space = ArchitectureSpace(n_nodes=3)
    arch = space.decode(space.space().sample(np.random.default_rng(1)))
    settings = NetSettings(channels=6, cells_per_stage=2)
    assert parameter_count(arch, settings) == count_parameters(build_network(arch, settings))


def test_configs_with_equal_keys_build_equal_networks() -> None:
    # a none edge's input does not matter, and a node's edges are unordered
    a = {"normal_n0_in0": 0, "normal_n0_op0": "sep_conv_3x3", "normal_n0_in1": 0, "normal_n0_op1": "max_pool_3x3",
         "normal_n1_in0": 1, "normal_n1_op0": "none", "normal_n1_in1": 0, "normal_n1_op1": "avg_pool_3x3"}
    b = {"normal_n0_in0": 0, "normal_n0_op0": "max_pool_3x3", "normal_n0_in1": 0, "normal_n0_op1": "sep_conv_3x3",
         "normal_n1_in0": 0, "normal_n1_op0": "avg_pool_3x3", "normal_n1_in1": 0, "normal_n1_op1": "none"}
    arch_a, arch_b = TABLE.decode(a), TABLE.decode(b)
    assert arch_a != arch_b and arch_a.key() == arch_b.key()
    x = torch.randn(6, 1, 8, 8)
    outputs = []
    for arch in (arch_a, arch_b):
        torch.manual_seed(0)
        net = build_network(arch).eval()
        outputs.append((count_parameters(net), net(x)))
    assert outputs[0][0] == outputs[1][0]
    assert torch.equal(outputs[0][1], outputs[1][1])


def test_a_node_read_only_through_none_is_summed_into_the_output() -> None:
    cell = table_arch("0:none+0:sep_conv_3x3|0:identity+1:none").normal
    assert cell.loose_ends() == [1, 2]
    module = CellModule(cell, [(4, 1)], channels=4).eval()
    x = torch.randn(2, 4, 8, 8)
    separable = module.edges[0][1]  # node 0's edges, sorted: (0, none), (0, sep_conv_3x3)
    assert torch.allclose(module(x), separable(x) + x)


def test_reduction_cells_halve_the_resolution_and_double_the_channels() -> None:
    space = ArchitectureSpace(n_nodes=2)
    arch = space.decode(space.space().sample(np.random.default_rng(2)))
    module = CellModule(arch.reduce, [(8, 1), (8, 1)], channels=16, reduction=True)
    assert module(torch.randn(3, 8, 8, 8), torch.randn(3, 8, 8, 8)).shape == (3, 16, 4, 4)


def test_one_training_step_lowers_the_loss_on_a_tiny_batch() -> None:
    torch.manual_seed(0)
    net = build_network(table_arch("0:identity+0:sep_conv_3x3|0:max_pool_3x3+1:sep_conv_5x5"), NetSettings(channels=4))
    x, y = torch.randn(16, 1, 8, 8), torch.arange(16) % 10
    optimiser = torch.optim.SGD(net.parameters(), lr=0.05)
    loss_fn = torch.nn.CrossEntropyLoss()
    before = loss_fn(net(x), y)
    before.backward()
    optimiser.step()
    assert loss_fn(net(x), y).item() < before.item()


def test_bad_settings_and_configs_are_user_errors() -> None:
    with pytest.raises(UserError, match="at least 2 channels"):
        NetSettings(channels=1)
    with pytest.raises(UserError, match="lacks 'width1'"):
        build_macro({"depth": 2, "width0": 16, "kernel0": 3}, "cnn")
    with pytest.raises(UserError, match="'mlp' or 'cnn'"):
        build_macro({"depth": 1, "width0": 16}, "rnn")
