"""The strategy registry, and the ask/tell contract every registered strategy keeps."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cairn.errors import SearchExhausted, UserError
from cairn.optim import STRATEGIES, Optimizer, make_optimizer
from cairn.space import Categorical, Float, Int, Space
from cairn.trial import Result

SPACE = Space(
    [Categorical("kind", ["a", "b"]), Float("lr", 1e-3, 1.0, log=True), Int("depth", 1, 6)],
    {"depth": {"kind": ["b"]}},
)


def test_unknown_strategy_is_a_user_error_naming_the_valid_ones():
    with pytest.raises(UserError) as info:
        make_optimizer("simplex", SPACE)
    assert all(name in str(info.value) for name in ("grid", "random", "anneal", "rrs"))


def test_unknown_option_is_a_user_error():
    with pytest.raises(UserError, match="anneal"):
        make_optimizer("anneal", SPACE, temperature=3)


def test_options_reach_the_constructor():
    opt = make_optimizer("grid", SPACE, seed=4, resolution=2)
    assert opt.seed == 4 and len(opt.points) == SPACE.grid_size(2)


def test_strategy_modules_load_lazily():
    code = "import sys, cairn.optim; print(any(m.startswith('cairn.optim.r') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_proposes_valid_configs_reproducibly(name):
    def run(seed: int) -> list:
        opt = make_optimizer(name, SPACE, seed=seed)
        assert isinstance(opt, Optimizer) and opt.name == name
        configs = []
        for _ in range(60):
            try:
                trial = opt.ask()
            except SearchExhausted:
                break
            assert SPACE.validate(trial.config) == trial.config
            configs.append(trial.config)
            opt.tell(trial, Result(loss=trial.config["lr"]))
        return configs

    assert run(1) == run(1)
