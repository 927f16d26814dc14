import json

import pytest
from click.testing import CliRunner

from cairn.automl.baseline import BASELINES, run_baseline
from cairn.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _scores(report) -> dict[str, float]:
    return {s.model: s.score for s in report.scores}


def test_breast_cancer_best_baseline_beats_the_majority_class_by_a_margin() -> None:
    report = run_baseline("breast_cancer", cv=3, seed=0)
    scores = _scores(report)
    assert set(scores) == {b.name for b in BASELINES["classification"]}
    assert report.metric == "balanced_accuracy"
    assert scores["dummy"] == pytest.approx(0.5)  # predicting the majority class
    assert report.best.score > scores["dummy"] + 0.35
    assert all(s.error is None and s.fit_time >= 0 for s in report.scores)
    losses = [1 - s.score for s in report.scores]
    assert losses == sorted(losses)


def test_regression_baselines_use_r2_and_beat_the_mean() -> None:
    report = run_baseline("diabetes", cv=3, seed=0)
    scores = _scores(report)
    assert report.task == "regression" and report.metric == "r2"
    assert set(scores) == {b.name for b in BASELINES["regression"]}
    assert scores["dummy"] <= 0.0 < 0.3 < scores["ridge"]


def test_same_seed_same_scores_and_other_metric() -> None:
    a = run_baseline("iris", cv=3, seed=4, metric="accuracy")
    b = run_baseline("iris", cv=3, seed=4, metric="accuracy")
    assert a.metric == "accuracy" and _scores(a) == _scores(b)


def test_cli_json_output_lists_every_model_best_first() -> None:
    res = invoke("baseline", "--data", "wine", "--cv", "3", "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert (report["dataset"], report["cv"], report["seed"]) == ("wine", 3, 0)
    names = [row["model"] for row in report["scores"]]
    assert sorted(names) == sorted(b.name for b in BASELINES["classification"])
    assert names[-1] == "dummy"
    assert all(0 <= row["score"] <= 1 for row in report["scores"])


def test_cli_table_names_the_floor() -> None:
    res = invoke("baseline", "--data", "iris", "--cv", "3")
    assert res.exit_code == 0, res.output
    assert "random_forest" in res.stdout and "floor to beat:" in res.stdout


@pytest.mark.parametrize("args, fragment", [
    (["--data", "no_such_file.csv"], "does not exist"),
    (["--data", "iris", "--metric", "r2"], "is for regression"),
    (["--data", "iris", "--metric", "bogus"], "unknown metric"),
    (["--data", "TINY", "--cv", "5"], "fewer than the 5 cross-validation folds"),
])
def test_cli_bad_input_is_one_sentence_and_exit_2(tmp_path, args, fragment) -> None:
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("x,y\n1,0\n2,1\n3,0\n4,1\n")
    args = [str(tiny) if a == "TINY" else a for a in args]
    res = invoke("baseline", *args)
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0]
    assert res.stdout == ""
