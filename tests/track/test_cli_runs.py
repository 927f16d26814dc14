import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cairn.cli import main
from cairn.track import Store


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "cli.db")
    st = Store(path)
    for name, learner, acc in (("a", "svm", 0.95), ("b", "svm", 0.85), ("c", "knn", 0.99)):
        (tmp_path / f"{name}.txt").write_text(name)
        with st.start_run("cli", name, params={"learner": learner}) as run:
            run.log_metric("accuracy", acc)
            run.log_artifact(tmp_path / f"{name}.txt")
    st.close()
    return path


def test_runs_filter_order_and_json(db: str) -> None:
    res = invoke("runs", "--store", db, "--filter", "params.learner = 'svm'", "--order-by", "metrics.accuracy desc",
                 "--json")
    assert res.exit_code == 0, res.output
    assert [r["name"] for r in json.loads(res.output)["runs"]] == ["a", "b"]
    res = invoke("runs", "--store", db, "--experiment", "cli", "--max-results", "1", "--order-by", "metrics.accuracy")
    assert res.exit_code == 0 and "1 runs" in res.output and "accuracy=0.85" in res.output


def test_a_bad_filter_is_exit_2_with_a_caret(db: str) -> None:
    res = subprocess.run([sys.executable, "-m", "cairn.cli", "runs", "--store", db, "--filter", "metrics.accuracy >> 1"],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    lines = res.stderr.splitlines()
    assert lines[0].startswith("error: ") and "column 19" in lines[0] and lines[-1].strip() == "^"


def test_delete_and_gc(db: str) -> None:
    st = Store(db)
    blobs = st.blobs.digests()
    victim = st.search_runs("run_name = 'a'")[0]["id"]
    res = invoke("runs", "delete", victim[:8], "--store", db)
    assert res.exit_code == 0 and "deleted 1 runs; removed 1 blobs" in res.output
    assert st.count_runs() == 2 and len(st.blobs.digests()) == len(blobs) - 1
    res = invoke("gc", "--store", db, "--json")
    assert res.exit_code == 0 and json.loads(res.output) == {"blobs": 0, "bytes": 0}
    res = subprocess.run([sys.executable, "-m", "cairn.cli", "runs", "delete", "nosuch", "--store", db],
                         capture_output=True, text=True)
    assert res.returncode == 2 and res.stderr.startswith("error: no run matches")
