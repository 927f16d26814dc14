"""Many processes, one store: nothing lost, nothing locked, migrated exactly once."""

import multiprocessing as mp

import sqlalchemy as sa

from cairn.track import Store
from cairn.track import schema as s

WRITERS, RUNS, POINTS = 8, 5, 400


def _writer(url: str, root: str, worker: int, start) -> None:
    start.wait(30)
    st = Store(url, artifact_root=root)  # all open the fresh store at once
    for i in range(RUNS):
        with st.start_run("concurrent", f"w{worker}-{i}", params={"worker": worker, "i": i}) as run:
            for step in range(POINTS):
                run.log_metric("loss", 1.0 / (step + 1))
            run.set_tag("done", "yes")


def test_eight_processes_migrate_once_and_write_without_loss(store_url: str, tmp_path) -> None:
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(store_url, str(tmp_path), i, start)) for i in range(WRITERS)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * WRITERS  # no "database is locked" or any other error
    st = Store(store_url, artifact_root=tmp_path)
    with st.engine.connect() as conn:
        assert conn.execute(sa.select(s.schema_version.c.version)).scalars().all() == [s.LATEST]
    runs = st.search_runs("tags.done = 'yes' and status = 'complete'", max_results=None)
    assert len(runs) == WRITERS * RUNS == st.count_runs()
    assert all(len(st.metric_history(r["id"], "loss")) == POINTS for r in runs)
    assert {(r["params"]["worker"], r["params"]["i"]) for r in runs} == {(w, i) for w in range(WRITERS) for i in range(RUNS)}
