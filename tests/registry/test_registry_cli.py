import json

import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.linear_model import LogisticRegression

import cairn
from cairn.cli import main


@pytest.fixture
def filled(store, save_model, tmp_path) -> str:
    """A store with model 'churn' (two versions) and dataset 'd' (two versions); its URL."""
    frame = pd.DataFrame({"a": range(6), "b": list("xyzxyz")})
    cairn.register_dataset("d", frame, store=store)
    cairn.register_dataset("d", pd.concat([frame.iloc[1:], frame.iloc[[0]].assign(a=99)]), store=store)
    model = LogisticRegression().fit(frame[["a"]], [0, 1, 0, 1, 0, 1])
    for _ in range(2):
        cairn.register_model(save_model(store, model), "churn", "d:1", store=store)
    return store.url


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_models_commands(filled, store, save_model) -> None:
    listed = cli("models", "list", "--store", filled, "--json")
    assert listed.exit_code == 0 and json.loads(listed.output)[0] == {
        "name": "churn", "versions": 2, "latest": 2, "aliases": {}}
    alias = cli("models", "alias", "churn", "champion", "2", "--store", filled)
    assert alias.exit_code == 0 and "champion -> version 2" in alias.output
    shown = json.loads(cli("models", "show", "churn", "--store", filled, "--json").output)
    assert shown["aliases"] == {"champion": 2} and shown["versions"][0]["dataset_version"] == "d:1"
    table = cli("models", "show", "churn", "--store", filled)
    assert table.exit_code == 0 and "champion" in table.output and "snapshot" in table.output
    run = save_model(store, LogisticRegression().fit([[0], [1]], [0, 1]))
    registered = cli("models", "register", run[:12], "churn", "--store", filled, "--json")
    assert registered.exit_code == 0 and json.loads(registered.output) == {"name": "churn", "version": 3}


def test_datasets_commands(filled) -> None:
    listed = json.loads(cli("datasets", "list", "--store", filled, "--json").output)
    assert listed == [{"name": "d", "versions": 2, "latest": 2, "n_rows": 6}]
    versions = json.loads(cli("datasets", "show", "d", "--store", filled, "--json").output)["versions"]
    assert [(v["n_added"], v["n_removed"]) for v in versions] == [(None, None), (1, 1)]
    one = json.loads(cli("datasets", "show", "d", "--version", "2", "--rows", "2", "--store", filled, "--json").output)
    assert one["rows"] == [{"a": 1, "b": "y"}, {"a": 2, "b": "z"}] and one["version"]["n_rows"] == 6
    diff = json.loads(cli("datasets", "diff", "d", "1", "2", "--store", filled, "--json").output)
    assert diff["added"] == [{"a": 99, "b": "x"}] and diff["removed"] == [{"a": 0, "b": "x"}]
    for args in (["show", "d"], ["show", "d", "--version", "1"], ["diff", "d", "1", "2"], ["list"]):
        assert cli("datasets", *args, "--store", filled).exit_code == 0


@pytest.mark.parametrize("args, message", [
    (["models", "show", "nope"], "there is no registered model 'nope'"),
    (["models", "alias", "churn", "champion", "5"], "model 'churn' has no version 5"),
    (["models", "alias", "churn", "3", "1"], "is a number"),
    (["models", "register", "ffff", "churn"], "no run matches 'ffff'"),
    (["models", "register", "not-a-run", "churn"], "is not a model URI"),
    (["datasets", "show", "nope"], "there is no registered dataset 'nope'"),
    (["datasets", "show", "d", "--version", "9"], "dataset 'd' has no version 9"),
    (["datasets", "diff", "d", "1", "3"], "dataset 'd' has no version 3"),
])
def test_mistakes_exit_2_with_one_line(filled, args, message) -> None:
    res = CliRunner().invoke(main, [*args, "--store", filled])
    assert res.exit_code == 2 and res.output.strip().count("\n") == 0
    assert message in res.output and "Traceback" not in res.output


def test_missing_store_is_a_mistake(tmp_path) -> None:
    res = CliRunner().invoke(main, ["models", "list", "--store", str(tmp_path / "none.db")])
    assert res.exit_code == 2 and "there is no store" in res.output
