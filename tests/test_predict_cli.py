import io
import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.datasets import load_iris

from cairn.cli import main
from cairn.learners import build_pipeline


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def iris() -> pd.DataFrame:
    return load_iris(as_frame=True).frame  # features and the 'target' column


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory) -> dict:
    """A `cairn run` on iris into a fresh store: its report, with the store's path."""
    store = tmp_path_factory.mktemp("store") / "cairn.db"
    res = invoke("run", "--data", "iris", "--trials", "3", "--cv", "3", "--seed", "0",
                 "--store", str(store), "--json")
    assert res.exit_code == 0, res.output
    return {**json.loads(res.stdout), "store_path": str(store)}


def _expected(model, X: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame({"prediction": model.predict(X)})
    for i, label in enumerate(model.classes_):
        table[f"proba_{label}"] = model.predict_proba(X)[:, i]
    return table


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert np.array_equal(got["prediction"].to_numpy(), expected["prediction"].to_numpy())
    np.testing.assert_allclose(got.drop(columns="prediction").to_numpy(),
                               expected.drop(columns="prediction").to_numpy(), rtol=1e-12, atol=0)


def test_predict_by_run_id_and_by_path_equals_the_loaded_model(saved_run, iris, tmp_path) -> None:
    data = tmp_path / "new.csv"
    iris.to_csv(data, index=False)  # the target column is there too, and is ignored
    model = joblib.load(saved_run["model_path"])
    expected = _expected(model, iris.drop(columns="target"))

    out = tmp_path / "preds.csv"
    res = invoke("predict", "--model", saved_run["run_id"][:10], "--data", str(data), "--output", str(out),
                 "--store", saved_run["store_path"])
    assert res.exit_code == 0, res.output
    assert f"wrote {len(iris)} predictions" in res.stdout
    _same(pd.read_csv(out), expected)

    res = invoke("predict", "--model", saved_run["model_path"], "--data", str(data))
    assert res.exit_code == 0, res.output
    _same(pd.read_csv(io.StringIO(res.stdout)), expected)
    assert expected["prediction"].nunique() == 3


def test_missing_column_of_a_run_model_is_exit_2(saved_run, iris, tmp_path) -> None:
    data = tmp_path / "bad.csv"
    iris.drop(columns=["petal width (cm)"]).to_csv(data, index=False)
    res = invoke("predict", "--model", saved_run["run_id"], "--data", str(data), "--store", saved_run["store_path"])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "petal width (cm)" in lines[0]
    assert res.stdout == ""


@pytest.fixture(scope="module")
def pipeline_file(iris, tmp_path_factory) -> tuple[Path, object]:
    """A cairn pipeline fitted on a DataFrame, so it knows its columns (feature_names_in_)."""
    model = build_pipeline({"learner": "logreg"}, "classification", seed=0)
    model.fit(iris.drop(columns="target"), iris["target"])
    path = tmp_path_factory.mktemp("model") / "model.joblib"
    joblib.dump(model, path)
    return path, model


def test_columns_are_reordered_and_unknown_ones_ignored_with_a_note(pipeline_file, iris, tmp_path) -> None:
    path, model = pipeline_file
    shuffled = iris.iloc[:, ::-1].assign(id=np.arange(len(iris)))
    data = tmp_path / "shuffled.csv"
    shuffled.to_csv(data, index=False)
    res = invoke("predict", "--model", str(path), "--data", str(data))
    assert res.exit_code == 0, res.output
    assert "'target'" in res.stderr and "'id'" in res.stderr and res.stderr.startswith("note:")
    _same(pd.read_csv(io.StringIO(res.stdout)), _expected(model, iris.drop(columns="target")))


def test_missing_columns_are_named_in_one_sentence(pipeline_file, iris, tmp_path) -> None:
    path, _ = pipeline_file
    data = tmp_path / "bad.csv"
    iris.drop(columns=["sepal length (cm)", "petal length (cm)"]).to_csv(data, index=False)
    res = invoke("predict", "--model", str(path), "--data", str(data))
    assert res.exit_code == 2
    assert res.stderr.strip() == (f"error: '{data}' lacks column(s) 'sepal length (cm)', 'petal length (cm)' "
                                  "that the model was trained on")


@pytest.mark.parametrize("model_arg, data_name, fragment", [
    ("missing.joblib", "new.csv", "model file 'missing.joblib' does not exist"),
    ("MODEL", "absent.csv", "does not exist"),
    ("DATA", "new.csv", "cannot be read as a saved model"),
    ("0123abcd", "new.csv", "there is no store at"),
])
def test_bad_model_or_data_is_exit_2(pipeline_file, iris, tmp_path, monkeypatch, model_arg, data_name,
                                     fragment) -> None:
    monkeypatch.chdir(tmp_path)  # the default store ./.cairn/cairn.db does not exist here
    iris.to_csv(tmp_path / "new.csv", index=False)
    model_arg = {"MODEL": str(pipeline_file[0]), "DATA": str(tmp_path / "new.csv")}.get(model_arg, model_arg)
    res = invoke("predict", "--model", model_arg, "--data", str(tmp_path / data_name))
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]
