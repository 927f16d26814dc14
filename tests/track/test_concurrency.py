"""Many processes, one store: nothing lost, nothing locked, migrated exactly once."""

import multiprocessing as mp
from collections.abc import Callable

import sqlalchemy as sa

from cairn.track import Store
from cairn.track import schema as s

WRITERS, RUNS, POINTS = 8, 5, 400


def _writer(url: str, root: str, worker: int, start) -> None:
    start.wait(30)
    st = Store(url, artifact_root=root)  # all open the store at once
    for i in range(RUNS):
        with st.start_run("concurrent", f"w{worker}-{i}", params={"worker": worker, "i": i}) as run:
            for step in range(POINTS):
                run.log_metric("loss", 1.0 / (step + 1))
            run.set_tag("done", "yes")


def _opener(url: str, root: str, worker: int, start) -> None:
    start.wait(30)
    Store(url, artifact_root=root).create_run("concurrent", f"w{worker}")


def _at_once(target: Callable, url: str, root: str, processes: int) -> list[int | None]:
    """Run ``target`` in that many spawned processes released together; their exit codes."""
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=target, args=(url, root, i, start)) for i in range(processes)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
    return [p.exitcode for p in procs]


def _version(st: Store) -> list[int]:
    with st.engine.connect() as conn:
        return conn.execute(sa.select(s.schema_version.c.version)).scalars().all()


def test_eight_processes_migrate_once_and_write_without_loss(store_url: str, tmp_path) -> None:
    # no "database is locked" or any other error
    assert _at_once(_writer, store_url, str(tmp_path), WRITERS) == [0] * WRITERS
    st = Store(store_url, artifact_root=tmp_path)
    assert _version(st) == [s.LATEST]
    runs = st.search_runs("tags.done = 'yes' and status = 'complete'", max_results=None)
    assert len(runs) == WRITERS * RUNS == st.count_runs()
    assert all(len(st.metric_history(r["id"], "loss")) == POINTS for r in runs)
    assert {(r["params"]["worker"], r["params"]["i"]) for r in runs} == {(w, i) for w in range(WRITERS) for i in range(RUNS)}


def test_four_processes_upgrade_an_old_store_once(version_3_store_url: str, tmp_path) -> None:
    assert _at_once(_opener, version_3_store_url, str(tmp_path), 4) == [0] * 4
    st = Store(version_3_store_url, artifact_root=tmp_path)
    assert _version(st) == [s.LATEST]
    runs = st.runs()
    assert len(runs) == 5 and sum(r["heartbeat"] is None for r in runs) == 1  # only the old run
