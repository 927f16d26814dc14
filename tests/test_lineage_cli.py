"""``cairn lineage`` and ``cairn reproduce`` on the runs of a real CASH search."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sklearn.dummy import DummyClassifier

from cairn.cli import main
from cairn.evaluate.traced import process_cache
from cairn.lineage.runs import TRACE_ARTIFACT
from cairn.track import Run, Store


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """A 5-trial search on a CSV file: the store, the report, and the file."""
    from cairn.data import load_dataset

    tmp = tmp_path_factory.mktemp("lineage")
    iris = load_dataset("iris")
    path = tmp / "flowers.csv"
    iris.X.assign(species=iris.y).to_csv(path, index=False)
    store = str(tmp / "db.sqlite")
    res = invoke("run", "--data", str(path), "--trials", "5", "--cv", "3", "--seed", "2", "--store", store, "--json")
    assert res.exit_code == 0, res.output
    return store, json.loads(res.output), path


def _trial_ids(store: str, study_id: int) -> list[str]:
    return [r["id"] for r in Store(store).runs(study_id) if r["name"].startswith("trial-")]


def test_every_trial_and_the_model_run_store_a_trace(searched):
    store, report, _ = searched
    st = Store(store)
    for run_id in [report["run_id"], *_trial_ids(store, report["study_id"])]:
        assert [a["path"] for a in st.artifacts(run_id) if a["path"] == TRACE_ARTIFACT] == [TRACE_ARTIFACT]


def test_lineage_prints_the_dag_as_text_and_dot(searched):
    store, report, _ = searched
    model = invoke("lineage", report["run_id"][:8], "--store", store)
    assert model.exit_code == 0
    lines = model.output.splitlines()
    assert lines[0].startswith("#0  data  flowers") and "pipeline" in lines[-1]
    assert any("split" in line and "Holdout" in line for line in lines)
    columns = next(line for line in lines if "fit  ColumnTransformer(" in line)
    assert "sparse_threshold=0" in columns and "n_jobs" not in columns  # parameters off their defaults only
    trial = invoke("lineage", _trial_ids(store, report["study_id"])[0], "--store", store, "--dot")
    assert trial.exit_code == 0 and trial.output.startswith("digraph lineage {")
    assert trial.output.count("subgraph cluster_") == 1 and trial.output.count('label="body"') == 3


def test_reproduce_rebuilds_the_model_and_a_trial_metric(searched):
    store, report, path = searched
    model = invoke("reproduce", report["run_id"], "--store", store)
    assert model.exit_code == 0 and model.output.startswith("match: ") and "150 of 150 rows" in model.output
    trial = invoke("reproduce", _trial_ids(store, report["study_id"])[-1], "--store", store)
    assert trial.exit_code == 0 and trial.output.startswith("match: balanced_accuracy")


def test_reproduce_finds_the_data_in_the_registry_once_the_file_is_gone(searched, tmp_path):
    store, report, path = searched
    moved = tmp_path / "elsewhere.csv"
    path.rename(moved)
    try:
        res = invoke("reproduce", report["run_id"], "--store", store)
    finally:
        moved.rename(path)
    assert res.exit_code == 0 and res.output.startswith("match: ")


def test_a_different_stored_model_is_a_mismatch(tmp_path):
    store = str(tmp_path / "db.sqlite")
    res = invoke("run", "--data", "wine", "--trials", "2", "--cv", "3", "--store", store, "--json")
    run_id = json.loads(res.output)["run_id"]
    from cairn.data import load_dataset

    wine = load_dataset("wine")
    Run(Store(store), run_id).log_model(DummyClassifier().fit(wine.X, wine.y))  # replaces model.joblib
    mismatch = invoke("reproduce", run_id, "--store", store)
    assert mismatch.exit_code == 1 and mismatch.output.startswith("MISMATCH: ")


def test_runs_without_a_trace_are_one_line_errors(tmp_path):
    store = Store(str(tmp_path / "db.sqlite"))
    run = store.start_run("plain")
    run.end()
    for command in ("lineage", "reproduce"):
        res = CliRunner().invoke(main, [command, run.id, "--store", str(tmp_path / "db.sqlite")])
        assert res.exit_code == 2 and res.output.count("\n") == 1 and "has no lineage trace" in res.output
    missing = CliRunner().invoke(main, ["lineage", "abc", "--store", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 2 and not (tmp_path / "none.sqlite").exists()


def test_no_reuse_gives_the_same_leaderboard_and_reuse_spans_studies(tmp_path):
    def leaderboard(name: str, *extra: str) -> list:
        res = invoke("run", "--data", "iris", "--trials", "6", "--cv", "3", "--seed", "5",
                     "--store", str(tmp_path / f"{name}.db"), "--json", *extra)
        return [{k: v for k, v in row.items() if k != "fit_time"} for row in json.loads(res.output)["leaderboard"]]

    first = leaderboard("a")
    misses = process_cache().stats.misses
    assert leaderboard("b") == first and process_cache().stats.misses == misses  # all from the first study
    assert leaderboard("c", "--no-reuse") == first and process_cache().stats.misses == misses
    assert "--no-reuse" in invoke("run", "--help").output


def test_help_lists_the_lineage_commands():
    top = invoke("--help").output
    assert "lineage" in top and "reproduce" in top
    assert "--dot" in invoke("lineage", "--help").output


def test_data_that_cannot_be_found_is_a_one_line_error(tmp_path):
    from cairn.evaluate import Holdout
    from cairn.lineage import dataset
    from cairn.lineage.runs import save_trace
    from cairn.lineage.sklearn_ops import SplitSpec

    store = Store(str(tmp_path / "db.sqlite"))
    run = store.start_run("traced")
    save_trace(run, SplitSpec(Holdout(), True, 0, "train").item(dataset("0" * 32, "nowhere")))
    run.end()
    res = CliRunner().invoke(main, ["reproduce", run.id, "--store", str(tmp_path / "db.sqlite")])
    assert res.exit_code == 2 and res.output.count("\n") == 1
    assert "('nowhere', fingerprint 000" in res.output and "neither a bundled dataset" in res.output
