"""One-shot weight sharing: paths equal stand-alone networks, scores are deterministic, tau is right."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest
import torch

from cairn.errors import UserError
from cairn.nas.build import NetSettings
from cairn.nas.oneshot import (
    OneShotRecipe,
    calibration_batches,
    kendall_tau,
    kendall_tau_vs_table,
    oneshot_accuracy,
    sample_architecture,
    train_supernet,
)
from cairn.nas.space import Architecture, ArchitectureSpace, table_space
from cairn.nas.table import Table, write_table
from cairn.nas.train import Recipe, digits_split

TINY = NetSettings(channels=4, stages=2)
RECIPE = OneShotRecipe(epochs=1, batch_size=32, calibration_batches=2, calibration_size=40)


@pytest.fixture(scope="module")
def data():
    return digits_split(Recipe(n_train=100, n_valid=60, n_test=60))


@pytest.fixture(scope="module")
def supernet(data):
    return train_supernet(table_space(), data, RECIPE, seed=0, settings=TINY, steps=2)


@pytest.mark.parametrize("space", [table_space(), ArchitectureSpace(n_nodes=2, n_inputs=2)],
                         ids=["table", "normal+reduction"])
def test_a_path_computes_what_its_standalone_network_with_the_same_weights_computes(space, data):
    net = train_supernet(space, data, RECIPE, seed=0, settings=TINY, steps=2)
    rng = np.random.default_rng(1)
    archs = [sample_architecture(space, rng) for _ in range(4)]
    if space.reduce is None:  # both edges of a node on one shared candidate: it runs twice
        archs.append(space.decode({"normal_n0_in0": 0, "normal_n0_op0": "sep_conv_3x3", "normal_n0_in1": 0,
                                   "normal_n0_op1": "avg_pool_3x3", "normal_n1_in0": 1,
                                   "normal_n1_op0": "sep_conv_5x5", "normal_n1_in1": 1,
                                   "normal_n1_op1": "sep_conv_5x5"}))
    for arch in archs:
        oneshot_accuracy(net, arch, data, calibration_batches(data, RECIPE))  # selects and recalibrates
        standalone = net.inherit(arch).eval()
        with torch.no_grad():
            torch.testing.assert_close(net(data.x_valid), standalone(data.x_valid), rtol=0, atol=1e-6)


def test_a_training_step_moves_only_the_sampled_path(data):
    space = table_space()
    before = train_supernet(space, data, RECIPE, seed=3, settings=TINY, steps=0)
    after = train_supernet(space, data, RECIPE, seed=3, settings=TINY, steps=1)
    path = sample_architecture(space, np.random.default_rng(3))  # the first path training draws
    on_path = {id(p) for cell in after.select(path)._cells() for node in cell.chosen() for m in node
               for p in m.parameters()}
    moved = {name for (name, p), q in zip(after.named_parameters(), before.parameters(), strict=True)
             if not torch.equal(p, q)}
    edge_params = {name for name, p in after.named_parameters() if ".choices." in name}
    assert moved & edge_params == {name for name, p in after.named_parameters() if id(p) in on_path}
    assert any(name.startswith("stem") for name in moved)


def test_training_and_scoring_are_deterministic_and_follow_canonical_keys(supernet, data):
    space = table_space()
    batches = calibration_batches(data, RECIPE)
    again = train_supernet(space, data, RECIPE, seed=0, settings=TINY, steps=2)
    for (name, p), q in zip(supernet.state_dict().items(), again.state_dict().values(), strict=True):
        assert torch.equal(p, q), name
    a, b = (sample_architecture(space, np.random.default_rng(s)) for s in (5, 6))
    first = oneshot_accuracy(supernet, a, data, batches)
    oneshot_accuracy(supernet, b, data, batches)
    assert oneshot_accuracy(supernet, a, data, batches) == first
    # The same cell written another way: node edges swapped, a none edge reading node 0.
    config = {"normal_n0_in0": 0, "normal_n0_op0": "sep_conv_3x3", "normal_n0_in1": 0, "normal_n0_op1": "none",
              "normal_n1_in0": 1, "normal_n1_op0": "max_pool_3x3", "normal_n1_in1": 0, "normal_n1_op1": "identity"}
    swapped = {**config, "normal_n0_in1": 0, "normal_n0_op1": "sep_conv_3x3", "normal_n0_op0": "none",
               "normal_n1_in0": 0, "normal_n1_op0": "identity", "normal_n1_in1": 1, "normal_n1_op1": "max_pool_3x3"}
    x, y = space.decode(config), space.decode(swapped)
    assert x.key() == y.key()
    assert oneshot_accuracy(supernet, x, data, batches) == oneshot_accuracy(supernet, y, data, batches)


def test_kendall_tau_on_known_rankings():
    assert kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # One discordant pair among six: (5 - 1) / 6.
    assert kendall_tau([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(4 / 6)
    assert kendall_tau([1, 1, 1], [1, 2, 3]) == 0.0  # no ranking at all
    with pytest.raises(UserError, match="equally long"):
        kendall_tau([1, 2], [1, 2, 3])


def test_kendall_tau_vs_table_correlates_the_scores_with_the_tables_accuracies(data, tmp_path):
    space = table_space()
    cells = list(space.normal.cells())[::300]  # five cells spread over the space
    rows = {Architecture(c).key(): {"val_acc": [0.1 * i, 0.2 * i], "test_acc": [0.2 * i, 0.1 * (5 - i)],
                                   "params": 100, "train_seconds": [1.0, 2.0]} for i, c in enumerate(cells)}
    table = Table.load(write_table(tmp_path / "table.json.gz", space, [1, 2], rows, {"settings": asdict(TINY)}))
    result = kendall_tau_vs_table(table, recipe=RECIPE, data=data)
    assert sorted(result.keys) == sorted(rows)
    assert result.val_acc == pytest.approx([rows[k]["val_acc"][1] for k in result.keys])
    assert result.tau_val == pytest.approx(kendall_tau(result.oneshot, result.val_acc))
    assert result.tau_test == pytest.approx(-result.tau_val)  # the test column ranks them in reverse
    sample = kendall_tau_vs_table(table, n_archs=3, recipe=RECIPE, settings=TINY, data=data, budget=1)
    assert len(sample.keys) == 3 and set(sample.keys) <= set(rows)
    # The same seed and the table's settings train the same supernet: the same scores.
    assert sample.oneshot == tuple(result.oneshot[result.keys.index(k)] for k in sample.keys)
    with pytest.raises(UserError, match="between 2 and 5"):
        kendall_tau_vs_table(table, n_archs=9, recipe=RECIPE, settings=TINY, data=data)


def test_bad_settings_and_mismatched_architectures_are_user_errors(supernet):
    with pytest.raises(UserError, match="epochs"):
        OneShotRecipe(epochs=0)
    full = ArchitectureSpace(n_nodes=2, n_inputs=2)
    with pytest.raises(UserError, match="reduction cell"):
        supernet.select(sample_architecture(full, np.random.default_rng(0)))
