import numpy as np

from cairn.optim.pareto import non_dominated, pareto_front
from cairn.space import Config
from cairn.trial import Result, Trial


def test_non_dominated_keeps_trade_offs_and_duplicates():
    points = np.array([[1, 4], [2, 2], [4, 1], [3, 3], [2, 2], [5, 5]])
    assert non_dominated(points).tolist() == [True, True, True, False, True, False]


def test_pareto_front_skips_failures_and_uses_loss_without_objectives():
    trials = [Trial(i, Config(x=i)) for i in range(4)]
    trials[0].result = Result(loss=1.0, objectives=(1.0, 3.0))
    trials[1].result = Result(loss=2.0, objectives=(2.0, 1.0))
    trials[2].result = Result(loss=2.0, objectives=(2.0, 4.0))
    trials[3].result = Result.failure("boom")
    assert [t.id for t in pareto_front(trials)] == [0, 1]
    single = [Trial(i, Config(x=i), result=Result(loss=float(i))) for i in range(3)]
    assert [t.id for t in pareto_front(single)] == [0]
