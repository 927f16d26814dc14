"""Cost cooling: a cost model over the encoded space and TPE steered by it."""

import numpy as np
import pytest

from cairn.errors import UserError
from cairn.optim.bayes import TPE
from cairn.optim.bayes.cost import CostCooling
from cairn.optim.bayes.encoding import Encoding
from cairn.space import Categorical, Float, Space
from cairn.trial import Result

SPACE = Space([Categorical("learner", ["cheap", "dear"]), Float("x", 0, 1)])


def test_a_candidate_costs_what_its_nearest_told_trials_cost():
    encoding = Encoding(SPACE)
    cooling = CostCooling(budget=100.0, k=2)
    told = [({"learner": "cheap", "x": 0.1}, 0.1), ({"learner": "cheap", "x": 0.9}, 0.3),
            ({"learner": "dear", "x": 0.5}, 10.0), ({"learner": "dear", "x": 0.6}, 30.0)]
    for _, cost in told:
        cooling.observe(cost)
    U, M = encoding.encode([config for config, _ in told])
    C, CM = encoding.encode([{"learner": "cheap", "x": 0.5}, {"learner": "dear", "x": 0.55}])
    assert cooling.log_cost(C, CM, U, M) == pytest.approx([np.log(0.1 * 0.3) / 2, np.log(10.0 * 30.0) / 2])
    assert cooling.spent == pytest.approx(40.4) and cooling.alpha == pytest.approx(0.596)


def test_the_penalty_cools_to_nothing_as_the_budget_is_spent():
    encoding = Encoding(SPACE)
    U, M = encoding.encode([{"learner": "dear", "x": 0.5}])
    cooling = CostCooling(budget=10.0)
    assert cooling.penalty(U, M, U[:0], M[:0]) is None  # nothing told yet: no cost model
    cooling.observe(4.0)
    assert cooling.penalty(U, M, U, M) == pytest.approx([0.6 * np.log(4.0)])
    cooling.observe(6.0)
    assert cooling.alpha == 0.0 and cooling.penalty(U, M, np.vstack([U, U]), np.vstack([M, M])) is None


@pytest.mark.parametrize("budget,k", [(0.0, 3), (-1.0, 3), (10.0, 0)])
def test_cost_cooling_refuses_a_budget_or_k_that_cannot_work(budget, k):
    with pytest.raises(UserError):
        CostCooling(budget, k)


def picks_of_the_cheap_learner(cost_budget):
    """How many of 30 TPE trials pick the cheap learner when both learners score alike
    and the dear one costs 100 times as much."""
    tpe = TPE(SPACE, seed=0, n_initial=4, cost_budget=cost_budget)
    picks = 0
    for _ in range(30):
        trial = tpe.ask()
        cheap = trial.config["learner"] == "cheap"
        picks += cheap
        loss = (trial.config["x"] - 0.5) ** 2
        tpe.tell(trial, Result(loss=loss, cost=0.01 if cheap else 1.0))
    return picks


def test_tpe_with_cost_cooling_gives_the_cheap_learner_more_trials():
    assert picks_of_the_cheap_learner(cost_budget=1e6) > picks_of_the_cheap_learner(cost_budget=None) + 5


def test_tpe_once_the_cost_budget_is_spent_asks_as_without_it():
    without = TPE(SPACE, seed=3, n_initial=4)
    spent = TPE(SPACE, seed=3, n_initial=4, cost_budget=1e-9)
    for _ in range(15):
        a, b = without.ask(), spent.ask()
        assert a.config == b.config
        result = Result(loss=a.config["x"], cost=1.0)
        without.tell(a, result)
        spent.tell(b, result)
