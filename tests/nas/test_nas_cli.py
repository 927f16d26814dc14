import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cairn.cli import main
from cairn.nas.table import Table
from cairn.track import Store


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_benchmark_search_records_a_study_whose_answers_are_table_entries(tmp_path: Path) -> None:
    store = tmp_path / "cairn.db"
    res = invoke("nas", "--strategy", "nas-evolution", "--trials", "30", "--benchmark", "--seed", "3",
                 "--store", str(store), "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["n_trials"] == 30 and report["study_id"] is not None
    table = Table.load()
    best = report["rows"][0]
    entry = table.lookup(best["architecture"])
    assert (best["val_acc"], best["test_acc"]) == (entry.val_acc, entry.test_acc)
    assert best["val_acc"] == max(r["val_acc"] for r in report["rows"])
    assert len(Store(str(store)).runs(study_id=report["study_id"])) >= 30


def test_a_real_search_trains_networks(tmp_path: Path) -> None:
    res = invoke("nas", "--space", "mlp", "--strategy", "random", "--trials", "2", "--epochs", "1",
                 "--store", str(tmp_path / "cairn.db"))
    assert res.exit_code == 0, res.output
    assert "NAS on digits: random, mlp space, training up to 1 epochs" in res.output
    assert "trials: 2" in res.output


@pytest.mark.parametrize("args, message", [
    (["--strategy", "bogus"], "unknown search strategy 'bogus'"),
    (["--space", "cell", "--benchmark"], "covers the 'table' space only"),
    (["--data", "mnist"], "digits' only"),
    (["--strategy", "hyperband", "--epochs", "2"], "at least 3 epochs"),
])
def test_bad_input_is_one_sentence_and_writes_no_store(tmp_path: Path, args: list[str], message: str) -> None:
    store = tmp_path / "cairn.db"
    res = CliRunner().invoke(main, ["nas", *args, "--store", str(store)])
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output
    assert not store.exists()
