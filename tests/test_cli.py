import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cairn.cli import main
from cairn.track import Store


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_import_cairn_is_light() -> None:
    code = "import sys, cairn; heavy = {'sklearn', 'pandas', 'sqlalchemy', 'scipy'} & set(sys.modules); print(sorted(heavy))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_help_documents_every_command() -> None:
    top = invoke("--help")
    assert top.exit_code == 0 and "run" in top.output and "runs" in top.output
    run_help = invoke("run", "--help").output
    for option in ("--data", "--target", "--task", "--strategy", "--trials", "--time", "--cv", "--holdout",
                   "--metric", "--seed", "--store", "--json", "--space", "--ensemble-size"):
        assert option in run_help
    assert "--json" in invoke("runs", "--help").output


def _leaderboard(tmp_path: Path, name: str, *extra: str) -> list:
    res = invoke("run", "--data", "iris", "--trials", "8", "--seed", "3", "--cv", "3",
                 "--store", str(tmp_path / f"{name}.db"), "--json", *extra)
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    return [{k: v for k, v in row.items() if k != "fit_time"} for row in report["leaderboard"]], report


def test_same_seed_same_leaderboard_and_model_saved(tmp_path) -> None:
    a, report = _leaderboard(tmp_path, "a")
    b, _ = _leaderboard(tmp_path, "b")
    assert a == b and len(a) >= 1
    assert [r["rank"] for r in a] == list(range(1, len(a) + 1))
    assert all(a[i]["loss"] <= a[i + 1]["loss"] for i in range(len(a) - 1))
    assert Path(report["model_path"]).is_file()
    assert 0.5 <= report["test_score"] <= 1.0
    st = Store(str(tmp_path / "a.db"))
    runs = st.runs(report["study_id"])
    assert len(runs) == 9  # parent + 8 trials
    assert st.run(report["run_id"])["metrics"][f"test_{report['metric']}"] == pytest.approx(report["test_score"])


def test_runs_lists_latest_study(tmp_path) -> None:
    _, report = _leaderboard(tmp_path, "r")
    res = invoke("runs", "--store", str(tmp_path / "r.db"), "--json")
    assert res.exit_code == 0
    data = json.loads(res.output)
    assert data["study"]["id"] == report["study_id"] and len(data["runs"]) == 8
    table = invoke("runs", "--store", str(tmp_path / "r.db"))
    assert table.exit_code == 0 and "complete" in table.output


def _bad(tmp_path: Path, *args: str):
    db = tmp_path / "store.db"
    Store(str(db))  # an existing, empty store must stay unchanged
    res = subprocess.run([sys.executable, "-m", "cairn.cli", "run", "--store", str(db), *args],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert Store(str(db)).count_runs() == 0
    return lines[0]


def test_missing_file_is_one_sentence_exit_2_and_no_run(tmp_path) -> None:
    assert "missing.csv" in _bad(tmp_path, "--data", "missing.csv")


def test_missing_file_creates_no_store(tmp_path) -> None:
    res = subprocess.run([sys.executable, "-m", "cairn.cli", "run", "--data", "missing.csv"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 2 and not (tmp_path / ".cairn").exists()


@pytest.mark.parametrize(
    ("content", "args", "fragment"),
    [
        ("a,b,y\n1,2,0\n3,4,1\n", ["--target", "nope"], "nope"),
        ("", [], "empty"),
        ("a,y\n1,\n2,\n3,1\n", [], "missing"),
        ("a,y\n" + "".join(f"{i},1\n" for i in range(20)), [], "class"),
    ],
)
def test_bad_files(tmp_path, content: str, args: list, fragment: str) -> None:
    path = tmp_path / "data.csv"
    path.write_text(content)
    assert fragment in _bad(tmp_path, "--data", str(path), *args).lower()


def test_bad_space_file(tmp_path) -> None:
    path = tmp_path / "space.yaml"
    path.write_text("params:\n  learner: {type: categorical, choices: []}\n")
    assert "learner" in _bad(tmp_path, "--data", "iris", "--space", str(path))


def test_unknown_metric(tmp_path) -> None:
    assert "banana" in _bad(tmp_path, "--data", "iris", "--metric", "banana")


def test_runs_without_store_is_clear(tmp_path) -> None:
    res = subprocess.run([sys.executable, "-m", "cairn.cli", "runs"], capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 2 and res.stderr.startswith("error: ") and "Traceback" not in res.stderr


def test_the_leaderboard_prints_the_ensemble_row(tmp_path) -> None:
    args = ["run", "--data", "wine", "--trials", "6", "--cv", "3", "--store", str(tmp_path / "s.db")]
    table = invoke(*args)
    assert table.exit_code == 0, table.output
    line = next(ln for ln in table.output.splitlines() if "ensemble" in ln)
    assert "trial:weight" in line and "out of fold" in line and "(saved)" in line
    assert "test balanced_accuracy of the ensemble" in table.output
    off = json.loads(invoke(*args, "--ensemble-size", "0", "--json").output)
    assert off["ensemble"] is None
