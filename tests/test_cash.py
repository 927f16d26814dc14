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


def test_the_ensemble_is_a_row_and_the_saved_model_when_it_beats_the_best_trial(tmp_path) -> None:
    import joblib

    from cairn.automl.ensemble import EnsembleModel
    from cairn.lineage.runs import reproduce

    url = str(tmp_path / "s.db")
    report = run_cash("wine", n_trials=6, cv=3, seed=0, store=url, learners=["logreg", "knn", "gaussian_nb", "tree"])
    row = report.ensemble
    assert row["learner"] == "ensemble" and row["kept"]  # with this seed it beats the best trial out of fold
    assert set(row["config"]["members"]) <= {r["trial"] for r in report.leaderboard}
    assert len(row["config"]["members"]) >= 2 and sum(row["config"]["members"].values()) == pytest.approx(1)
    model = joblib.load(report.model_path)
    assert isinstance(model, EnsembleModel)
    run = Store(url).run(report.run_id)
    assert run["metrics"]["test_balanced_accuracy"] == report.test_score
    assert "test_balanced_accuracy_best_trial" in run["metrics"]
    assert run["metrics"]["ensemble_oof_balanced_accuracy"] == row["score"] > run["metrics"]["best_oof_balanced_accuracy"]
    assert run["tags"]["model"] == "ensemble"
    assert reproduce(report.run_id, Store(url)).match  # the ensemble's lineage rebuilds it exactly


def test_ensemble_size_zero_saves_the_best_trial(tmp_path) -> None:
    import joblib
    from sklearn.pipeline import Pipeline

    report = run_cash("wine", n_trials=6, cv=3, seed=0, store=str(tmp_path / "s.db"), ensemble_size=0,
                      learners=["logreg", "knn", "gaussian_nb", "tree"])
    assert report.ensemble is None and isinstance(joblib.load(report.model_path), Pipeline)
