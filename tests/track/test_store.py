import math
import time

import pytest
import sqlalchemy as sa

from cairn.errors import StoreError
from cairn.track import Store
from cairn.track import schema as s


def test_default_location_and_wal(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAIRN_STORE", raising=False)
    st = Store()
    assert (tmp_path / ".cairn" / "cairn.db").exists()
    with st.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_env_variable_and_bare_path(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CAIRN_STORE", str(tmp_path / "x.db"))
    assert Store().url == f"sqlite:///{tmp_path / 'x.db'}"


def test_params_keep_their_types(store: Store) -> None:
    values = {"i": 3, "f": 0.1, "b": True, "s": "rbf", "n": None, "big": 2**40}
    run = store.create_run("exp", params=values)
    assert store.run(run)["params"] == values
    assert type(store.run(run)["params"]["b"]) is bool


def test_params_cannot_change(store: Store) -> None:
    run = store.create_run("exp", params={"C": 1.0})
    store.log_params(run, {"C": 1.0, "kernel": "rbf"})  # the same value again is fine
    with pytest.raises(StoreError, match="param 'C' .* already 1.0"):
        store.log_params(run, {"gamma": 2, "C": 2.0})
    assert store.run(run)["params"] == {"C": 1.0, "kernel": "rbf"}  # the whole call was refused


def test_metrics_steps_tags_status(store: Store) -> None:
    run = store.create_run("exp", name="r")
    for step in range(3):
        store.log_metrics(run, {"loss": 1.0 / (step + 1)}, step=step)
    store.end_run(run, "complete", metrics={"acc": 0.9}, tags={"stage": "dev"})
    got = store.run(run[:8])
    assert got["status"] == "complete" and got["end_time"] >= got["start_time"]
    assert got["metrics"] == {"loss": pytest.approx(1 / 3), "acc": 0.9}
    assert got["tags"] == {"stage": "dev"}
    assert [(p[0], p[1]) for p in store.metric_history(run, "loss")] == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]


def test_latest_metric_is_the_highest_step_whatever_the_order(store: Store) -> None:
    run = store.start_run("exp")
    run.log_metric("x", 5.0, step=10)
    run.log_metric("x", 1.0, step=3)  # an old step arriving late
    store.flush()
    run.log_metric("x", 2.0, step=4)  # in a later batch, still older
    run.end()
    assert store.run(run.id)["metrics"]["x"] == 5.0
    assert [p[0] for p in store.metric_history(run.id, "x")] == [3, 4, 10]


def test_non_finite_metrics_are_stored_as_missing(store: Store) -> None:
    run = store.create_run("exp")
    store.log_metrics(run, {"x": math.inf})
    assert math.isnan(store.run(run)["metrics"]["x"])
    assert math.isnan(store.metric_history(run, "x")[0][1])


@pytest.mark.parametrize(("call", "match"), [
    (lambda r: r.log_metric("acc", "high"), "must be a number"),
    (lambda r: r.log_metric("", 1.0), "non-empty"),
    (lambda r: r.log_metric("acc", 1.0, step=1.5), "integer"),
    (lambda r: r.log_param("x" * 300, 1), "at most 256"),
    (lambda r: r.set_tags({None: "x"}), "tag name"),
])
def test_bad_names_and_values_fail_at_the_call(store: Store, call, match: str) -> None:
    run = store.start_run("exp")
    with pytest.raises(StoreError, match=match):
        call(run)
    run.end()
    got = store.run(run.id)
    assert got["metrics"] == {} and got["params"] == {} and got["tags"] == {}


def test_study_with_parent_and_child_runs(store: Store) -> None:
    study_id, parent = store.create_study("exp", "st", "random", 0, {"params": {}}, {"metric": "accuracy"})
    child = store.create_run("exp", study_id=study_id, parent_run_id=parent, trial_number=0)
    store.end_run(child, "failed", tags={"error": "boom"})
    store.end_study(study_id, "complete")
    st = store.study()
    assert st["id"] == study_id and st["status"] == "complete" and st["settings"] == {"metric": "accuracy"}
    runs = store.runs(study_id)
    assert [r["id"] for r in runs if r["parent_run_id"] == parent] == [child]
    assert store.run(parent)["params"]["strategy"] == "random"


def test_unknown_run_bad_url_and_backend(store: Store) -> None:
    with pytest.raises(StoreError, match="no run matches"):
        store.run("doesnotexist")
    with pytest.raises(StoreError, match="no run"):
        store.create_run("exp", parent_run_id="doesnotexist")
    with pytest.raises(StoreError):
        Store("nosuchdialect://x")
    with pytest.raises(StoreError, match="SQLite or PostgreSQL"):
        Store("mysql://u@localhost/db")
    with pytest.raises(StoreError, match="status"):
        store.end_run(store.create_run("exp"), "finished")


def test_migrations_record_version_and_reopen(store_url: str, tmp_path) -> None:
    Store(store_url, artifact_root=tmp_path).create_run("e")
    st = Store(store_url, artifact_root=tmp_path)
    with st.engine.connect() as conn:
        assert conn.execute(sa.select(s.schema_version.c.version)).scalar() == s.LATEST
    assert st.count_runs() == 1


def test_version_1_store_is_upgraded_in_place(store_url: str, tmp_path) -> None:
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:  # a store as version 1 left it: one row per metric point
        s.schema_version.create(conn)
        s.MIGRATIONS[0](conn)
        conn.execute(s.schema_version.insert().values(id=1, version=1))
        conn.execute(s.experiments.insert().values(id=1, name="old", created_at=0.0))
        conn.execute(s.runs.insert().values(id="r" * 32, experiment_id=1, status="complete", start_time=0.0))
        conn.execute(s.metrics.insert(), [{"run_id": "r" * 32, "key": "loss", "value": 1.0 / (i + 1), "step": i,
                                           "timestamp": float(i)} for i in (2, 0, 1)])
    engine.dispose()
    st = Store(store_url, artifact_root=tmp_path)
    assert [p[:2] for p in st.metric_history("r" * 32, "loss")] == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    assert st.search_runs("metrics.loss < 0.4")[0]["id"] == "r" * 32
    assert "metrics" not in sa.inspect(st.engine).get_table_names()


def test_a_newer_store_is_refused(store_url: str, tmp_path) -> None:
    st = Store(store_url, artifact_root=tmp_path)
    with st.engine.begin() as conn:
        conn.execute(s.schema_version.update().values(version=s.LATEST + 1))
    with pytest.raises(StoreError, match="newer"):
        Store(store_url, artifact_root=tmp_path)


def test_history_of_100k_points_reads_fast(store: Store) -> None:
    run = store.start_run("exp")
    for i in range(100_000):
        run.log_metric("loss", 1.0 / (i + 1))
    run.end()
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        history = store.metric_history(run.id, "loss")
        best = min(best, time.perf_counter() - start)
    assert len(history) == 100_000 and history[99_999][0] == 99_999
    assert best < 0.1, f"reading 100k points took {best * 1000:.0f} ms"


def test_filters_read_indexes_not_tables(tmp_path) -> None:
    from cairn.track.query import compile_filter

    st = Store(f"sqlite:///{tmp_path / 'q.db'}")
    q = sa.select(s.runs.c.id).where(compile_filter("metrics.acc > 0.9 and params.C >= 1 and params.learner = 'svm'"))
    sql = q.compile(st.engine, compile_kwargs={"literal_binds": True})
    with st.engine.connect() as conn:
        plan = " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    assert "SCAN params" not in plan and "SCAN latest_metrics" not in plan, plan
    assert "ix_latest_metrics_key_value" in plan and "ix_params_key_num" in plan, plan
