import time

import pytest

from cairn.cash import run_cash
from cairn.errors import UserError
from cairn.track import Store


def test_time_budget_covers_the_whole_run(tmp_path) -> None:
    start = time.perf_counter()
    report = run_cash("breast_cancer", time_budget=6, store=str(tmp_path / "s.db"), seed=1,
                      learners=["logreg", "knn", "gaussian_nb", "tree"])
    took = time.perf_counter() - start
    assert took <= 6 + 2  # the tolerance: max(2 s, 5 %)
    assert report.n_trials >= 2
    assert Store(str(tmp_path / "s.db")).run(report.run_id)["metrics"]["test_balanced_accuracy"] > 0.8


def test_holdout_and_regression_metric(tmp_path) -> None:
    report = run_cash("diabetes", n_trials=4, holdout=0.25, metric="rmse", store=str(tmp_path / "s.db"),
                      learners=["ridge", "knn"])
    assert report.task == "regression" and report.metric == "rmse"
    assert {row["learner"] for row in report.leaderboard} <= {"ridge", "knn"}
    # rmse is lower-is-better: the leaderboard is sorted by ascending score
    scores = [row["score"] for row in report.leaderboard]
    assert scores == sorted(scores)


def test_every_trial_failing_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(UserError, match="every trial failed"):
        run_cash("iris", n_trials=2, metric="log_loss", learners=["linear_svm"], store=str(tmp_path / "s.db"))
