"""``cairn weak``: analyze, label and train on a CSV with labeling functions from a file."""

from __future__ import annotations

import json
import textwrap

import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.datasets import load_breast_cancer

from cairn.cli import main
from cairn.track import Store

LFS = textwrap.dedent("""
    from cairn.weak import ABSTAIN, labeling_function, threshold_lf

    @labeling_function()
    def big(x):
        return 0 if x["mean radius"] > 16 else ABSTAIN

    lfs = [big, threshold_lf("worst area", 500, 1, above=False), threshold_lf("mean concave points", 0.08, 0)]
    not_lfs = [1, 2]
""")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def files(tmp_path):
    frame = load_breast_cancer(as_frame=True).frame
    frame.iloc[:400].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[400:].to_csv(tmp_path / "test.csv", index=False)
    (tmp_path / "rules.py").write_text(LFS)
    return tmp_path


def test_analyze_prints_one_row_per_lf_with_accuracy(files):
    res = invoke("weak", "analyze", "--data", str(files / "train.csv"), "--lfs", f"{files / 'rules.py'}:lfs",
                 "--gold", "target", "--json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["lf"] for r in rows] == ["big", "worst area<500", "mean concave points>0.08"]
    assert all(0 < r["coverage"] < 1 and r["emp_accuracy"] > 0.9 for r in rows)
    text = invoke("weak", "analyze", "--data", str(files / "train.csv"), "--lfs", f"{files / 'rules.py'}:lfs")
    assert text.exit_code == 0 and "worst area<500" in text.stdout and "emp_accuracy" not in text.stdout


def test_label_writes_labels_and_probabilities(files):
    out = files / "labels.csv"
    res = invoke("weak", "label", "--data", str(files / "train.csv"), "--lfs", f"{files / 'rules.py'}:lfs",
                 "--gold", "target", "--model", "dawid_skene", "--output", str(out), "--json")
    assert res.exit_code == 0, res.output
    summary, table = json.loads(res.stdout), pd.read_csv(out)
    assert list(table.columns) == ["label", "proba_0", "proba_1"] and len(table) == 400
    assert summary["coverage"] == pytest.approx((table["label"] != -1).mean())
    assert summary["label_accuracy"] > 0.9


def test_train_records_a_run(files):
    store = files / "cairn.db"
    res = invoke("weak", "train", "--data", str(files / "train.csv"), "--lfs", f"{files / 'rules.py'}:lfs",
                 "--gold", "target", "--test", str(files / "test.csv"), "--store", str(store), "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    st = Store(str(store))
    run = st.run(report["run_id"])
    assert run["status"] == "complete" and run["metrics"]["test_accuracy"] == pytest.approx(report["test_accuracy"])
    assert {a["path"] for a in st.artifacts(report["run_id"])} >= {"label_matrix.npy", "lf_analysis.csv"}
    st.close()


@pytest.mark.parametrize("lfs, extra, message", [
    ("rules.py:nope", [], "has no attribute 'nope'"),
    ("rules.py:not_lfs", [], "not a labeling function"),
    ("missing.py:lfs", [], "does not exist"),
    ("no_such_module:lfs", [], "cannot import"),
    ("rules.py", [], "MODULE:ATTR"),
    ("rules.py:lfs", ["--gold", "nope"], "gold column 'nope'"),
    ("rules.py:lfs", ["--gold", "mean radius"], "classes 0, 1"),
])
def test_bad_input_is_one_sentence_exit_2_and_no_store(files, lfs, extra, message):
    spec = lfs if lfs.startswith("no_such") else f"{files}/{lfs}"
    res = CliRunner().invoke(main, ["weak", "train", "--data", str(files / "train.csv"), "--lfs", spec,
                                    "--store", str(files / "cairn.db"), *extra])
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output
    assert not (files / "cairn.db").exists()
