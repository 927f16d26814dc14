import subprocess
import sys
import textwrap
import time

import pytest

import cairn
from cairn.track import Store


def test_a_run_in_a_with_block(store: Store) -> None:
    with cairn.start_run(experiment="fluent", run_name="outer", store=store) as run:
        cairn.log_params({"lr": 0.1, "layers": 3, "opt": "adam", "nesterov": False, "decay": None})
        for loss in (0.9, 0.5, 0.2):
            cairn.log_metric("loss", loss)  # steps count themselves: 0, 1, 2
        cairn.log_metrics({"acc": 0.7, "f1": 0.6}, step=10, timestamp=1_700_000_000.0)
        cairn.set_tags({"stage": "dev"})
        with cairn.start_run(run_name="inner") as inner:  # a child of the active run
            cairn.log_metric("loss", 1.0)
        assert cairn.active_run() is run
    assert cairn.active_run() is None
    got = store.run(run.id)
    assert got["status"] == "complete" and got["name"] == "outer"
    assert got["params"] == {"lr": 0.1, "layers": 3, "opt": "adam", "nesterov": False, "decay": None}
    assert got["metrics"] == {"loss": 0.2, "acc": 0.7, "f1": 0.6} and got["tags"] == {"stage": "dev"}
    assert [p[:2] for p in cairn.get_metric_history(run.id, "loss", store=store)] == [(0, 0.9), (1, 0.5), (2, 0.2)]
    assert cairn.get_metric_history(run.id, "acc", store=store)[0] == (10, 0.7, 1_700_000_000.0)
    assert store.run(inner.id)["parent_run_id"] == run.id and store.run(inner.id)["metrics"] == {"loss": 1.0}


def test_final_metrics_continue_the_steps(store: Store) -> None:
    run = store.start_run("fluent")
    for loss in (0.9, 0.5):
        run.log_metric("loss", loss)
    run.end("complete", metrics={"loss": 0.1, "acc": 0.8}, tags={"final": "yes"})
    got = store.run(run.id)
    assert got["metrics"] == {"loss": 0.1, "acc": 0.8} and got["tags"] == {"final": "yes"}
    assert [p[:2] for p in store.metric_history(run.id, "loss")] == [(0, 0.9), (1, 0.5), (2, 0.1)]


def test_a_block_that_raises_ends_failed(store: Store) -> None:
    with pytest.raises(ZeroDivisionError):
        with cairn.start_run("fluent", store=store) as run:
            cairn.log_metric("x", 1.0)
            1 / 0  # noqa: B018
    with pytest.raises(KeyboardInterrupt):
        with cairn.start_run("fluent", store=store) as stopped:
            raise KeyboardInterrupt
    assert store.run(run.id)["status"] == "failed" and store.run(run.id)["metrics"] == {"x": 1.0}
    assert store.run(stopped.id)["status"] == "killed"


def test_logging_without_a_run_starts_one(store: Store) -> None:
    cairn.set_store(store)
    try:
        cairn.log_param("auto", True)
        run = cairn.active_run()
        cairn.end_run("pruned")
    finally:
        cairn.set_store(None)
    assert store.run(run.id)["status"] == "pruned" and store.run(run.id)["params"] == {"auto": True}


def test_metrics_are_buffered_and_flushed_within_a_second(store_url: str, tmp_path) -> None:
    writer = Store(store_url, artifact_root=tmp_path)
    assert writer.flush_interval <= 1.0
    reader = Store(store_url, artifact_root=tmp_path)
    run = writer.start_run("buffered")
    run.log_metric("loss", 0.5)
    assert len(reader.metric_history(run.id, "loss")) == 0  # not a transaction per call
    deadline = time.monotonic() + 3.0
    while not reader.metric_history(run.id, "loss") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(reader.metric_history(run.id, "loss"))[0][1] == 0.5
    assert reader.run(run.id)["status"] == "running"
    run.end()


def _script(store: str, body: str) -> subprocess.CompletedProcess:
    code = textwrap.dedent(f"""
        import os, sys, time
        import cairn
        cairn.set_store({store!r})
        run = cairn.start_run("exit", "r")
        print(run.id, flush=True)
    """) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_a_crash_loses_at_most_the_last_second(tmp_path) -> None:
    db = str(tmp_path / "crash.db")
    out = _script(db, """
        for i in range(100):
            cairn.log_metric("early", i)
        time.sleep(2.0)
        for i in range(100):
            cairn.log_metric("late", i)
        os._exit(1)  # killed: no atexit, no flush
    """)
    run = Store(db).run(out.stdout.split()[0])
    assert out.returncode == 1 and run["status"] == "running"
    assert len(Store(db).metric_history(run["id"], "early")) == 100


@pytest.mark.parametrize(("body", "status"), [
    ("for i in range(100):\n    cairn.log_metric('m', i)\n", "complete"),
    ("for i in range(100):\n    cairn.log_metric('m', i)\nraise ValueError('boom')\n", "failed"),
])
def test_exit_flushes_and_ends_open_runs(tmp_path, body: str, status: str) -> None:
    db = str(tmp_path / "exit.db")
    out = _script(db, body)
    run = Store(db).run(out.stdout.split()[0])
    assert run["status"] == status and len(Store(db).metric_history(run["id"], "m")) == 100
