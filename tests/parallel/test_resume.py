"""SIGKILL a study at a random point, resume it, and get the study that never stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from resume_workload import study

from cairn.errors import UserError
from cairn.execute import ProcessExecutor
from cairn.track import Store

ROOT = Path(__file__).resolve().parents[2]
BEAT = 0.2  # heartbeat interval of the killed study and of the resuming store


def _trials(store: Store, study_id: int) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    for run in store.runs(study_id=study_id):
        if run["trial_number"] is not None:
            out.setdefault(run["trial_number"], []).append(run)
    return out


def _kill_after(url: str, strategy: str, n_trials: int, done: int) -> int:
    """Start a study in a child process, SIGKILL it once ``done`` trials finished; its id."""
    env = dict(os.environ, CAIRN_HEARTBEAT_INTERVAL=str(BEAT))
    child = subprocess.Popen([sys.executable, str(Path(__file__).with_name("resume_workload.py")), url, strategy, str(n_trials)],
                             cwd=ROOT, env=env)
    store = Store(url, heartbeat_interval=BEAT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        study_row = store.study()
        if study_row is not None and sum(r["status"] == "complete" for rs in _trials(store, study_row["id"]).values()
                                         for r in rs) >= done:
            break
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    store.close()
    return study_row["id"]


@pytest.mark.parametrize("strategy", ["tpe", "random"])
def test_resume_after_sigkill_continues_as_if_never_stopped(tmp_path, monkeypatch, strategy) -> None:
    monkeypatch.setenv("CAIRN_HEARTBEAT_INTERVAL", str(BEAT))
    n = 16
    reference = study(Store(f"sqlite:///{tmp_path / 'ref.db'}"), strategy, n).optimize()
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    study_id = _kill_after(url, strategy, n, done=6)
    store = Store(url)
    before = _trials(store, study_id)
    completed_before = {k: rs[0]["id"] for k, rs in before.items() if rs[0]["status"] == "complete"}
    assert 6 <= len(completed_before) < n
    time.sleep(4 * BEAT)  # past the lease of the killed process
    resumed = study(store, strategy, n, resume=study_id).optimize()

    assert resumed.study_id == study_id
    by_number = {t.id: t for t in resumed.trials}
    assert sorted(by_number) == list(range(n))
    for ref in reference.trials:  # the same configs and losses, trial by trial
        assert dict(by_number[ref.id].config) == dict(ref.config) and by_number[ref.id].loss == ref.loss
    after = _trials(store, study_id)
    for number, run_id in completed_before.items():  # completed trials kept and not run again
        assert [r["id"] for r in after[number]] == [run_id]
    statuses = [r["status"] for rs in after.values() for r in rs]
    assert "running" not in statuses and store.study(study_id)["status"] == "complete"
    interrupted = [r for rs in after.values() for r in rs if r["tags"].get("error", "").startswith("interrupted")]
    assert all(len(after[r["trial_number"]]) == 2 for r in interrupted)  # re-queued: run once more


def test_resume_with_workers_keeps_the_recorded_trials(tmp_path, monkeypatch) -> None:
    """Two worker processes: completion order varies, the replay follows the recorded one."""
    monkeypatch.setenv("CAIRN_HEARTBEAT_INTERVAL", str(BEAT))
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    study_id = _kill_after(url, "tpe", 14, done=5)
    time.sleep(4 * BEAT)
    store = Store(url)
    with ProcessExecutor(2) as executor:
        resumed = study(store, "tpe", 14, resume=study_id, executor=executor).optimize()
    assert sorted(t.id for t in resumed.trials) == list(range(14))
    assert all(t.result is not None and t.result.ok for t in resumed.trials)


def test_resume_refuses_an_unknown_study(tmp_path) -> None:
    with pytest.raises(UserError, match="no study 42"):
        study(Store(f"sqlite:///{tmp_path / 'c.db'}"), "random", 3, resume=42).optimize()


def test_resume_refuses_a_study_whose_process_still_beats(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CAIRN_HEARTBEAT_INTERVAL", str(BEAT))
    url = f"sqlite:///{tmp_path / 'live.db'}"
    owner = Store(url)  # a live process: its study's parent run beats every BEAT seconds
    study_id, _ = owner.create_study("default", "live", "random", 0, {}, {})
    time.sleep(2 * BEAT)
    with pytest.raises(UserError, match="still running"):
        study(Store(url), "random", 3, resume=study_id).optimize()
    owner.close()
