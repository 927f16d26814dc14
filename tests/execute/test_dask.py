"""The Dask executor on a real LocalCluster and on a scheduler and workers started with Dask's CLI."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import distributed
import pytest
from workload import Behaviour, drain, fail_beside_others, make_trial

from cairn.errors import UserError
from cairn.execute import make_executor
from cairn.execute.dask import DaskExecutor

MEMORY_LIMIT = 300 * 10**6
HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def local():
    """A LocalCluster of two workers shared by the fault tests: each must leave it usable."""
    with DaskExecutor(n_workers=2, memory_limit=MEMORY_LIMIT, grace=0.5) as executor:
        yield executor


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """The address of a ``dask scheduler`` with two ``dask worker`` processes on loopback.

    The workers find this directory's ``workload`` module on their ``PYTHONPATH``.
    """
    folder = tmp_path_factory.mktemp("dask")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))
    dask, file = [sys.executable, "-m", "dask"], str(folder / "scheduler.json")
    commands = [[*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", file]]
    commands += [[*dask, "worker", "--scheduler-file", file, "--host", "127.0.0.1", "--nthreads", "1",
                  "--no-dashboard"]] * 2
    with open(folder / "cluster.log", "wb") as log:
        # Own sessions, so that teardown can kill each command with the worker process its nanny started.
        processes = [subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
                     for command in commands]
        try:
            address = _scheduler_address(folder / "scheduler.json", folder / "cluster.log")
            with distributed.Client(address, timeout=30) as client:
                client.wait_for_workers(2, timeout=60)
            yield address
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _scheduler_address(path: Path, log: Path, timeout: float = 60) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            return json.loads(path.read_text())["address"]
        except (OSError, ValueError):  # not written yet, or not completely
            time.sleep(0.1)
    pytest.fail(f"the dask scheduler did not start: {log.read_text()[-2000:]}")


def test_runs_trials_on_a_running_scheduler_and_survives_a_crash(scheduler):
    with make_executor("dask", scheduler=scheduler, memory_limit=MEMORY_LIMIT) as executor:
        assert (executor.n_workers, executor.idle) == (2, 2)
        objective = Behaviour()
        for i in range(4):
            executor.submit(objective, make_trial(i, "sleep", seconds=0.2))
        results = drain(executor)
        assert {i: r.loss for i, r in results.items()} == {i: i**2 for i in range(4)}
        assert len({r.metrics["pid"] for r in results.values()}) == 2  # both workers ran trials
        assert {r.metrics["loads"] for r in results.values()} == {1}  # the objective went once to each
        failed, _ = fail_beside_others(executor, "segfault", None)
        assert failed.error.startswith("WorkerDied: the Dask worker running this trial died")


@pytest.mark.parametrize(("do", "limit", "reason"), [
    ("hang", 1.0, r"TrialTimeout: stopped after \d+\.\d s, over the time limit of 1 s; its worker was restarted"),
    ("allocate", None, r"MemoryError: exceeded the memory limit of 300 MB"),
    ("segfault", None, r"WorkerDied: the Dask worker running this trial died \(.*\)"),
    ("exit", None, r"WorkerDied: the Dask worker running this trial died \(.*\)"),
    ("raise", None, r"ValueError: no good: x=0"),
])
def test_a_failing_trial_on_a_local_cluster_is_recorded_and_the_others_go_on(local, do, limit, reason):
    failed, _ = fail_beside_others(local, do, limit)
    assert re.fullmatch(reason, failed.error), failed.error


def test_wait_returns_nothing_when_its_timeout_passes_first(local):
    local.submit(Behaviour(), make_trial(3, "sleep", seconds=1))
    assert local.wait(timeout=0.2) == []
    assert drain(local)[3].loss == 9
    assert local.wait(timeout=5) == []  # nothing pending: no waiting at all


def test_an_unreachable_scheduler_is_a_user_error_within_seconds():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    start = time.monotonic()
    with pytest.raises(UserError, match=f"cannot reach the Dask scheduler at {address}: "):
        make_executor("dask", scheduler=address)
    assert time.monotonic() - start < 15

