"""Regret on a table: NAS-Bench-101's convention, epochs as cost, and the one-sided test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from synthetic_table import SyntheticTable

from cairn.errors import UserError
from cairn.nas.regret import (
    RegretCurves,
    compare,
    fidelity_options,
    regret_curves,
    search_regret,
    table_budget,
)
from cairn.nas.space import table_space
from cairn.nas.table import Table
from cairn.optim.base import Optimizer
from cairn.optim.halving import Hyperband
from cairn.trial import Result, best_trial

SPACE = table_space()
CELLS = list(SPACE.normal.cells())[:3]


@dataclass(frozen=True)
class Entry:
    val_acc: float
    test_acc: float


class ThreeCells:
    """A table of three networks: the second has the best validation accuracy, the third
    the best test accuracy."""

    space, budgets = SPACE, (9,)
    accuracies = {CELLS[0].key(): (0.5, 0.5), CELLS[1].key(): (0.9, 0.7), CELLS[2].key(): (0.8, 0.95)}
    best_test_acc = 0.95
    keys = list(accuracies)

    def lookup(self, config_or_key, budget=None):
        key = config_or_key if isinstance(config_or_key, str) else SPACE.decode(config_or_key).key()
        return Entry(*self.accuracies[key])


class InOrder(Optimizer):
    """Proposes the three cells in order."""

    def _propose(self):
        return SPACE.space().validate(SPACE.normal.encode(CELLS[self._next_id % 3]))


def test_the_answer_is_the_best_validation_accuracy_judged_on_test() -> None:
    regret = search_regret(ThreeCells(), InOrder(SPACE.space()), 3)
    assert regret == pytest.approx([0.45, 0.25, 0.25])


def test_multi_fidelity_searches_pay_epochs_over_max_epochs() -> None:
    table = SyntheticTable()
    regret = search_regret(table, Hyperband(SPACE.space(), seed=0, **fidelity_options(table.budgets)), 3)
    # The first bracket: 9 configs for 1 epoch, the best 3 for 3, the best one for 9: a
    # full-evaluation equivalent per rung, so each rung ends one equivalent.
    replay, trials = Hyperband(SPACE.space(), seed=0, min_budget=1, max_budget=9, eta=3), []
    for _ in range(13):
        trial = replay.ask()
        replay.tell(trial, Result(loss=1 - table.lookup(trial.config, round(trial.budget)).val_acc))
        trials.append(trial)
    assert [t.budget for t in trials] == [1] * 9 + [3] * 3 + [9]
    expected = [table.best_test_acc - table.lookup(best_trial(trials[:n]).config).test_acc for n in (9, 12, 13)]
    assert regret == pytest.approx(expected)


def test_regret_curves_run_registered_strategies_per_seed_and_say_their_unit() -> None:
    table = SyntheticTable()
    curves = regret_curves(table, "random", 20, seeds=[0, 1, 2])
    assert curves.regret.shape == (3, 20) and curves.unit == "evaluations"
    assert (curves.regret >= -1e-12).all() and np.isfinite(curves.regret).all()
    again = regret_curves(table, "random", 20, seeds=[0, 1, 2])
    assert np.array_equal(curves.regret, again.regret)
    hyperband = regret_curves(table, "hyperband", 6, seeds=[0])
    assert hyperband.multi_fidelity and hyperband.unit.startswith("full-evaluation equivalents")


def test_compare_is_a_one_sided_mann_whitney_test_at_n_evaluations() -> None:
    rng = np.random.default_rng(0)
    low = RegretCurves("low", list(range(30)), rng.uniform(0.0, 0.1, (30, 5)), False)
    high = RegretCurves("high", list(range(30)), rng.uniform(0.05, 0.2, (30, 5)), False)
    better, worse = compare(low, high, 5), compare(high, low, 5)
    assert better.p_value < 0.01 < 0.99 < worse.p_value
    assert better.median_a == pytest.approx(np.median(low.regret[:, 4]))
    assert better.statistic + worse.statistic == 30 * 30
    with pytest.raises(UserError, match="1 to 5"):
        low.at(6)


def test_fidelity_options_read_a_geometric_ladder_of_epochs() -> None:
    assert fidelity_options((1, 3, 9)) == {"min_budget": 1.0, "max_budget": 9.0, "eta": 3.0}
    with pytest.raises(UserError, match="constant factor"):
        fidelity_options((1, 4, 12))
    assert table_budget(SyntheticTable(), 9 / 3) == 3 and table_budget(SyntheticTable(), None) == 9
    with pytest.raises(UserError, match="budgets are"):
        table_budget(SyntheticTable(), 2)


def test_validation_regret_measures_the_search_without_test_noise() -> None:
    regret = search_regret(ThreeCells(), InOrder(SPACE.space()), 3, metric="val")
    assert regret == pytest.approx([0.4, 0.0, 0.0])
    with pytest.raises(UserError, match="test or val"):
        search_regret(ThreeCells(), InOrder(SPACE.space()), 3, metric="train")


def test_on_the_real_table_evolution_finds_better_validation_accuracy_than_random() -> None:
    table = Table.load()
    evolution = regret_curves(table, "nas-evolution", 100, seeds=range(20), metric="val")
    random = regret_curves(table, "random", 100, seeds=range(20), metric="val")
    assert compare(evolution, random, 100).p_value < 0.05


def test_hyperband_with_a_nas_sampler_reads_the_real_tables_epochs() -> None:
    table = Table.load()
    curves = regret_curves(table, "hyperband", 10, seeds=[0, 1], options={"sampler": "nas-evolution"})
    assert curves.multi_fidelity and np.isfinite(curves.regret).all()
    assert ((curves.regret >= 0) & (curves.regret <= table.best_test_acc)).all()
