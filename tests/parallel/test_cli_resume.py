"""`cairn run` killed with SIGKILL, then `cairn run --resume`: the study a clean run gives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cairn.track import Store

CAIRN = [sys.executable, "-m", "cairn.cli"]
BEAT = "0.2"


def _cairn(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, CAIRN_HEARTBEAT_INTERVAL=BEAT)
    return subprocess.run([*CAIRN, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, **kwargs)


def _configs(store: Store, study_id: int) -> dict[int, tuple]:
    return {r["trial_number"]: tuple(sorted(r["params"].items())) for r in store.runs(study_id=study_id)
            if r["trial_number"] is not None and r["status"] == "complete"}


def test_cairn_run_resume_after_sigkill(tmp_path) -> None:
    args = ["run", "--data", "iris", "--trials", "12", "--seed", "4", "--cv", "3"]
    clean = _cairn([*args, "--store", str(tmp_path / "clean.db")], tmp_path)
    assert clean.returncode == 0, clean.stderr
    url = str(tmp_path / "killed.db")
    child = subprocess.Popen([*CAIRN, *args, "--store", url], cwd=tmp_path,
                             env=dict(os.environ, CAIRN_HEARTBEAT_INTERVAL=BEAT),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = Store(url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(_configs(store, 1) if store.study(1) else {}) < 4:
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    done_before = {r["trial_number"]: r["id"] for r in store.runs(study_id=1) if r["status"] == "complete"}
    assert 4 <= len(done_before) < 12
    time.sleep(1.0)  # past the lease of three missed beats

    resumed = _cairn(["run", "--resume", "1", "--store", url], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    after = _configs(store, 1)
    assert sorted(after) == list(range(12))
    assert after == _configs(Store(str(tmp_path / "clean.db")), 1)  # same trials as the run never killed
    for number, run_id in done_before.items():
        assert [r["id"] for r in store.runs(study_id=1) if r["trial_number"] == number] == [run_id]
    assert all(r["status"] != "running" for r in store.runs(study_id=1))
    assert store.study(1)["status"] == "complete"


def test_resume_of_a_missing_study_is_one_line(tmp_path) -> None:
    out = _cairn(["run", "--resume", "7", "--store", str(tmp_path / "c.db")], tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [f"error: there is no study 7 in the store at sqlite:///{tmp_path / 'c.db'}"]
