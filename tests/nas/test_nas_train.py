import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from cairn.errors import UserError
from cairn.nas.build import NetSettings, build_macro, count_parameters
from cairn.nas.space import macro_space, table_space
from cairn.nas.table import epochs_for
from cairn.nas.train import Recipe, TrainingObjective, digits_split, train_and_evaluate
from cairn.optim import make_optimizer
from cairn.study import Study
from cairn.track import Store

TINY = Recipe(n_train=100, n_valid=50, n_test=50, batch_size=20)
SMALL_NET = NetSettings(channels=4, stages=1)
SPACE = table_space()
SEP_CELL = {"normal_n0_in0": 0, "normal_n0_op0": "sep_conv_3x3", "normal_n0_in1": 0, "normal_n0_op1": "identity",
            "normal_n1_in0": 1, "normal_n1_op0": "sep_conv_3x3", "normal_n1_in1": 0, "normal_n1_op1": "max_pool_3x3"}

# Run in a fresh interpreter: same seed, same numbers, whatever ran before in the process.
_FRESH = """
import json
from cairn.nas.build import NetSettings
from cairn.nas.space import table_space
from cairn.nas.train import Recipe, train_and_evaluate
arch = table_space().decode(json.loads({config!r}))
curve = train_and_evaluate(arch, 2, seed=5, settings=NetSettings(channels=4, stages=1),
                           recipe=Recipe(n_train=100, n_valid=50, n_test=50, batch_size=20))
print(json.dumps([curve.val_acc, curve.test_acc, curve.params]))
"""


def test_digits_split_is_fixed_stratified_and_standardised() -> None:
    a, b = digits_split(TINY), digits_split(TINY)
    assert [len(y) for y in (a.y_train, a.y_valid, a.y_test)] == [100, 50, 50]
    assert a.x_train.shape == (100, 1, 8, 8)
    assert torch.equal(a.x_valid, b.x_valid) and torch.equal(a.y_train, b.y_train)
    assert np.bincount(a.y_valid.numpy()).tolist() == [5] * 10
    assert abs(float(a.x_train.mean())) < 1e-4 and abs(float(a.x_train.std()) - 1) < 1e-2
    other = digits_split(Recipe(n_train=100, n_valid=50, n_test=50, split_seed=1))
    assert not torch.equal(a.y_test, other.y_test)


def test_training_gives_the_same_numbers_in_a_fresh_process() -> None:
    arch = SPACE.decode(SEP_CELL)
    here = train_and_evaluate(arch, 2, seed=5, settings=SMALL_NET, recipe=TINY)
    again = train_and_evaluate(arch, 2, seed=5, settings=SMALL_NET, recipe=TINY)
    assert (here.val_acc, here.test_acc, here.params) == (again.val_acc, again.test_acc, again.params)
    out = subprocess.run([sys.executable, "-c", _FRESH.format(config=json.dumps(SEP_CELL))],
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [list(here.val_acc), list(here.test_acc), here.params]
    other_seed = train_and_evaluate(arch, 2, seed=6, settings=SMALL_NET, recipe=TINY)
    assert other_seed.val_acc != here.val_acc


def test_training_learns_and_reports_each_evaluated_epoch() -> None:
    recipe = Recipe(n_train=200, n_valid=50, n_test=50, batch_size=50)
    curve = train_and_evaluate(SPACE.decode(SEP_CELL), 6, settings=NetSettings(channels=8, stages=2),
                               recipe=recipe, eval_epochs=[1, 6])
    assert curve.epochs == (1, 6)
    assert curve.val_acc[1] > max(curve.val_acc[0], 0.5)
    assert 0 < curve.train_seconds[0] < curve.train_seconds[1]
    assert all(0 <= a <= 1 for a in curve.test_acc)


def test_bad_training_requests_are_user_errors() -> None:
    arch = SPACE.decode(SEP_CELL)
    with pytest.raises(UserError, match="epochs must be a positive integer"):
        train_and_evaluate(arch, 0, recipe=TINY)
    with pytest.raises(UserError, match="evaluation epochs must lie in 1..2"):
        train_and_evaluate(arch, 2, recipe=TINY, eval_epochs=[3])
    with pytest.raises(UserError, match="1797 images"):
        Recipe(n_train=1500)
    with pytest.raises(UserError, match="number of epochs"):
        epochs_for(1 / 9, 9)
    assert [epochs_for(b, 9) for b in (None, 1.0, 9 / 3, 9.0)] == [9, 1, 3, 9]


def test_hyperband_searches_real_architectures_with_epochs_as_the_fidelity(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    objective = TrainingObjective(SPACE, max_epochs=3, settings=SMALL_NET, recipe=TINY)
    optimizer = make_optimizer("hyperband", SPACE.space(), seed=0, min_budget=1, max_budget=3, eta=3)
    out = Study(optimizer, objective, store=store, n_trials=5).optimize()
    assert len(out.trials) == 5 and all(t.result.ok for t in out.trials)
    assert {t.budget for t in out.trials} == {1.0, 3.0}
    assert all(t.result.metrics["epochs"] == t.budget for t in out.trials)
    assert all(t.result.loss == pytest.approx(1 - t.result.metrics["val_acc"]) for t in out.trials)
    children = [r for r in store.runs(out.study_id) if r["parent_run_id"] == out.run_id]
    assert len(children) == 5 and all("test_acc" in r["metrics"] for r in children)


def test_macro_objective_trains_the_configs_network() -> None:
    config = macro_space("mlp", max_depth=2).sample(np.random.default_rng(0))
    result = TrainingObjective("mlp", max_epochs=2, recipe=TINY)(config)
    assert result.ok and result.metrics["epochs"] == 2
    assert result.metrics["params"] == count_parameters(build_macro(config, "mlp"))
    with pytest.raises(UserError, match="'mlp' or 'cnn'"):
        TrainingObjective("rnn")
