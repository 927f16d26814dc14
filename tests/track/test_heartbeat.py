"""Heartbeats: live runs beat, ended ones stop, and runs of dead processes expire."""

import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from cairn.errors import StoreError
from cairn.track import Store
from cairn.track import schema as s

BEAT = 0.2


def _heartbeat(st: Store, run_id: str) -> float | None:
    return st.run(run_id)["heartbeat"]


def _age(st: Store, run_id: str, seconds: float) -> None:
    """Make a run look as if its last beat was ``seconds`` ago."""
    with st.engine.begin() as conn:
        conn.execute(s.runs.update().where(s.runs.c.id == run_id).values(heartbeat=time.time() - seconds))


def test_live_runs_beat_and_ended_runs_stop(store_url: str, tmp_path) -> None:
    st = Store(store_url, artifact_root=tmp_path, heartbeat_interval=BEAT)
    _, study_run = st.create_study("exp", "study", "random", 0, {}, {})
    trial = st.start_run("exp", parent=study_run)
    first = st.run(trial.id)
    assert first["heartbeat"] == first["start_time"]  # beating from the start
    time.sleep(3 * BEAT)
    assert _heartbeat(st, trial.id) > first["heartbeat"]
    assert _heartbeat(st, study_run) > first["heartbeat"]
    trial.end()
    ended_at = _heartbeat(st, trial.id)
    study_beat = _heartbeat(st, study_run)
    time.sleep(3 * BEAT)
    assert _heartbeat(st, trial.id) == ended_at
    assert _heartbeat(st, study_run) > study_beat
    st.close()


def test_a_closed_store_stops_beating(store_url: str, tmp_path) -> None:
    st = Store(store_url, artifact_root=tmp_path, heartbeat_interval=BEAT)
    run_id = st.create_run("exp")
    st.close()
    reader = Store(store_url, artifact_root=tmp_path)
    last = _heartbeat(reader, run_id)
    time.sleep(3 * BEAT)
    assert _heartbeat(reader, run_id) == last and reader.run(run_id)["status"] == "running"


def test_expire_runs_ends_stale_runs_only(store: Store) -> None:
    stale, fresh, ended = (store.create_run("exp", name) for name in ("stale", "fresh", "ended"))
    study, study_run = store.create_study("exp", "study", "random", 0, {}, {})
    live_study, live_study_run = store.create_study("exp", "live", "random", 0, {}, {})
    for run_id in (stale, ended, study_run):
        _age(store, run_id, 120)
    store.end_run(ended)
    ended_before = store.run(ended)
    last_beat = _heartbeat(store, stale)

    assert sorted(store.expire_runs(lease=60)) == sorted([stale, study_run])

    got = store.run(stale)
    assert got["status"] == "failed" and got["end_time"] == last_beat
    assert got["tags"]["error"].startswith("interrupted: no heartbeat for 12")
    assert "the process running it died" in got["tags"]["error"]
    assert store.run(fresh)["status"] == store.run(live_study_run)["status"] == "running"
    assert store.run(ended) == ended_before
    assert store.study(study)["status"] == "interrupted"
    assert store.study(live_study)["status"] == "running"
    assert store.expire_runs(lease=60) == []
    with pytest.raises(StoreError, match="lease"):
        store.expire_runs(lease=0)


def test_expiry_reads_only_the_running_runs(tmp_path) -> None:
    st = Store(str(tmp_path / "plan.db"))
    statements: list[tuple[str, tuple]] = []
    sa.event.listen(st.engine, "before_cursor_execute",
                    lambda conn, cursor, sql, params, *_: statements.append((sql, params)))
    st.expire_runs()
    sql, params = next((q, p) for q, p in statements if q.startswith("UPDATE runs"))
    with st.engine.connect() as conn:
        plan = " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
    assert "USING INDEX ix_runs_running" in plan, plan


_CHILD = """
import sys, time
from cairn.track import Store
st = Store(sys.argv[1], artifact_root=sys.argv[2], heartbeat_interval=float(sys.argv[3]))
study, study_run = st.create_study("exp", sys.argv[4], "random", 0, {}, {})
trial = st.start_run("exp", parent=study_run, study_id=study, trial_number=0)
print(study, study_run, trial.id, flush=True)
time.sleep(600)
"""


def _start_child(url: str, root: str, name: str) -> tuple[subprocess.Popen, list[str]]:
    """A process that starts a study with one trial run, beating, and then just waits."""
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, url, root, str(BEAT), name],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line, f"the child process died (exit code {proc.wait()})"
    return proc, line.split()


def test_runs_of_a_killed_process_expire_and_a_live_process_keeps_its_runs(store_url: str, tmp_path) -> None:
    lease = 1.5
    killed, (killed_study, *killed_runs) = _start_child(store_url, str(tmp_path), "killed")
    live, (live_study, *live_runs) = _start_child(store_url, str(tmp_path), "live")
    try:
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait(30)
        st = Store(store_url, artifact_root=tmp_path)
        last_beats = {r: _heartbeat(st, r) for r in killed_runs}
        time.sleep(max(0.0, max(last_beats.values()) + lease + 0.2 - time.time()))
        assert [st.run(r)["status"] for r in killed_runs + live_runs] == ["running"] * 4  # nothing ends them

        assert sorted(st.expire_runs(lease=lease)) == sorted(killed_runs)

        for run_id in killed_runs:
            run = st.run(run_id)
            assert run["status"] == "failed" and run["tags"]["error"].startswith("interrupted: no heartbeat")
            assert run["end_time"] == last_beats[run_id]
        assert st.study(int(killed_study))["status"] == "interrupted"
        assert [st.run(r)["status"] for r in live_runs] == ["running"] * 2
        assert st.study(int(live_study))["status"] == "running"
        assert live.poll() is None
    finally:
        for proc in (killed, live):
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
            proc.stdout.close()


_FORKING = """
import os, sys, time
from cairn.track import Store
st = Store(sys.argv[1], artifact_root=sys.argv[2], heartbeat_interval=float(sys.argv[3]))
inherited = st.create_run("exp", "parent's")
if os.fork() == 0:
    st.engine.dispose(close=False)  # the parent's connections stay the parent's
    own = st.create_run("exp", "child's")
    print(os.getpid(), inherited, own, flush=True)
time.sleep(600)
"""


def test_a_forked_child_beats_only_for_its_own_runs(store_url: str, tmp_path) -> None:
    lease = 1.5
    parent = subprocess.Popen([sys.executable, "-c", _FORKING, store_url, str(tmp_path), str(BEAT)],
                              stdout=subprocess.PIPE, text=True)
    child_pid, inherited, own = parent.stdout.readline().split()
    try:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(30)
        st = Store(store_url, artifact_root=tmp_path)
        time.sleep(max(0.0, _heartbeat(st, inherited) + lease + 0.2 - time.time()))
        assert st.expire_runs(lease=lease) == [inherited]
        assert st.run(own)["status"] == "running"
    finally:
        os.kill(int(child_pid), signal.SIGKILL)
        if parent.poll() is None:
            os.kill(parent.pid, signal.SIGKILL)
        parent.wait(30)
        parent.stdout.close()


def test_version_3_store_upgrades_with_heartbeats(version_3_store_url: str, tmp_path) -> None:
    st = Store(version_3_store_url, artifact_root=tmp_path)
    with st.engine.connect() as conn:
        assert conn.execute(sa.select(s.schema_version.c.version)).scalar() == s.LATEST == 4
    [old] = st.runs()
    assert old["status"] == "running" and old["heartbeat"] is None
    new = st.create_run("exp")
    assert _heartbeat(st, new) is not None

    assert st.expire_runs(lease=60) == [old["id"]]  # no heartbeat: counted from its start

    got = st.run(old["id"])
    assert got["status"] == "failed" and got["end_time"] == old["start_time"]
    assert got["tags"]["error"].startswith("interrupted: no heartbeat for 360")
    assert st.run(new)["status"] == "running"
    st.close()
