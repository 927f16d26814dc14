"""Successive halving, Hyperband and ASHA: bracket shapes, promotion rules, asynchrony."""

from __future__ import annotations

import pytest

from cairn.errors import UserError
from cairn.optim.halving import ASHA, Hyperband, SuccessiveHalving, bracket, max_bracket
from cairn.space import Float, Space
from cairn.trial import Result

SPACE = Space([Float("x", 0, 1)])

#: Li et al. (JMLR 2018), Table 1: R = 81, eta = 3; (n_i, r_i) per bracket s = 4 .. 0.
PAPER_TABLE = {
    4: [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
    3: [(34, 3), (11, 9), (3, 27), (1, 81)],
    2: [(15, 9), (5, 27), (1, 81)],
    1: [(8, 27), (2, 81)],
    0: [(5, 81)],
}


def test_hyperband_brackets_match_the_paper_table():
    s_max = max_bracket(1, 81, 3)
    assert s_max == 4
    for s, rungs in PAPER_TABLE.items():
        assert bracket(s, s_max, 3, 81) == [(n, pytest.approx(r)) for n, r in rungs]


def test_hyperband_runs_the_brackets_of_the_table_in_order():
    opt = Hyperband(SPACE, seed=0, min_budget=1, max_budget=81)
    seen: dict[int, list[float]] = {}
    for _ in range(sum(n for rungs in PAPER_TABLE.values() for n, _ in rungs)):
        trial = opt.ask()
        seen.setdefault(trial.info["bracket"], []).append(trial.budget)
        opt.tell(trial, Result(loss=trial.config["x"]))
    for index, s in enumerate(range(4, -1, -1)):
        expected = [r for n, r in PAPER_TABLE[s] for _ in range(n)]
        assert seen[index] == pytest.approx(expected)


def test_successive_halving_keeps_the_top_third_of_each_rung():
    opt = SuccessiveHalving(SPACE, seed=3, min_budget=1, max_budget=9, eta=3)
    first = [opt.ask() for _ in range(9)]
    assert all(t.budget == 1 for t in first)
    for t in first:
        opt.tell(t, Result(loss=t.config["x"]))
    second = [opt.ask() for _ in range(3)]
    best3 = sorted(first, key=lambda t: t.config["x"])[:3]
    assert [t.config for t in second] == [t.config for t in best3]
    assert all(t.budget == 3 for t in second)
    for t in second:
        opt.tell(t, Result(loss=-t.config["x"]))  # a different ranking at the larger budget
    final = opt.ask()
    assert final.budget == 9 and final.config == best3[-1].config


def test_failed_trials_are_never_promoted():
    opt = SuccessiveHalving(SPACE, seed=0, min_budget=1, max_budget=3, n_configs=3)
    trials = [opt.ask() for _ in range(3)]
    for t in trials:
        opt.tell(t, Result.failure("boom"))
    nxt = opt.ask()
    assert nxt.budget == 1 and nxt.info["bracket"] == 1


def test_waiting_rungs_start_a_new_bracket_instead_of_blocking():
    opt = Hyperband(SPACE, seed=0, min_budget=1, max_budget=9)  # brackets of 9, 5 and 3 configs
    out = [opt.ask() for _ in range(12)]  # no results yet: 9 of bracket 0, then bracket 1
    assert [t.info["bracket"] for t in out] == [0] * 9 + [1] * 3
    assert [t.budget for t in out] == [1] * 9 + [3] * 3
    for t in reversed(out[:9]):  # results arrive in any order
        opt.tell(t, Result(loss=t.config["x"]))
    promoted = opt.ask()  # bracket 0's second rung goes first
    assert promoted.info == {"bracket": 0, "rung": 1} and promoted.budget == 3
    assert promoted.config == min(out[:9], key=lambda t: t.config["x"]).config


def test_asha_promotes_without_waiting_for_the_rung():
    opt = ASHA(SPACE, seed=0, min_budget=1, max_budget=9)
    out = [opt.ask() for _ in range(5)]
    assert all(t.budget == 1 and t.info["rung"] == 0 for t in out)
    opt.tell(out[0], Result(loss=0.0))
    assert opt.ask().budget == 1  # one result is not yet a top third
    opt.tell(out[1], Result(loss=5.0))
    opt.tell(out[2], Result(loss=7.0))  # three results, two trials still out
    promoted = opt.ask()
    assert promoted.budget == 3 and promoted.info["rung"] == 1 and promoted.config == out[0].config
    assert opt.ask().budget == 1  # promoted once only


def test_asha_promotes_from_the_highest_rung_first():
    opt = ASHA(SPACE, seed=0, min_budget=1, max_budget=9)
    bottom = [opt.ask() for _ in range(9)]
    for i, t in enumerate(bottom):
        opt.tell(t, Result(loss=float(i)))
    middle = [opt.ask() for _ in range(3)]
    assert [t.config for t in middle] == [t.config for t in bottom[:3]]
    for i, t in enumerate(middle):
        opt.tell(t, Result(loss=float(i)))
    top = opt.ask()
    assert top.budget == 9 and top.config == bottom[0].config


def test_best_is_taken_at_the_largest_budget():
    opt = ASHA(SPACE, seed=0, min_budget=1, max_budget=3)
    low = [opt.ask() for _ in range(3)]
    for t, loss in zip(low, [0.5, -10.0, 0.7], strict=True):
        opt.tell(t, Result(loss=loss))
    assert opt.best is low[1]
    high = opt.ask()
    opt.tell(high, Result(loss=0.9))
    assert opt.best is high


@pytest.mark.parametrize("cls", [SuccessiveHalving, Hyperband, ASHA])
def test_reproducible_by_seed(cls):
    def run(seed: int) -> list:
        opt = cls(SPACE, seed=seed)
        out = []
        for _ in range(40):
            t = opt.ask()
            opt.tell(t, Result(loss=(t.config["x"] - 0.3) ** 2))
            out.append((t.config, t.budget))
        return out

    assert run(5) == run(5) != run(6)


def test_default_budgets_are_row_fractions():
    opt = Hyperband(SPACE)
    assert (opt.min_budget, opt.max_budget, opt.s_max) == (pytest.approx(1 / 9), 1.0, 2)
    assert opt.ask().budget == pytest.approx(1 / 9)


@pytest.mark.parametrize("options", [dict(min_budget=0), dict(min_budget=2, max_budget=1), dict(eta=1)])
def test_bad_settings_are_user_errors(options):
    with pytest.raises(UserError):
        Hyperband(SPACE, **options)
