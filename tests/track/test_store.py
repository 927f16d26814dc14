import math
import multiprocessing as mp

import pytest
import sqlalchemy as sa

from cairn.errors import StoreError
from cairn.track import Store
from cairn.track import schema as s


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'cairn.db'}")


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


def test_metrics_steps_tags_status(store: Store) -> None:
    run = store.create_run("exp", name="r")
    for step in range(3):
        store.log_metrics(run, {"loss": 1.0 / (step + 1)}, step=step)
    store.end_run(run, "complete", metrics={"acc": 0.9}, tags={"stage": "dev"})
    got = store.run(run[:8])
    assert got["status"] == "complete" and got["end_time"] >= got["start_time"]
    assert got["metrics"] == {"loss": pytest.approx(1 / 3), "acc": 0.9}
    assert got["tags"] == {"stage": "dev"}
    with store.engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(s.metrics).where(s.metrics.c.run_id == run)).scalar()
    assert n == 4


def test_non_finite_metrics_are_stored_as_missing(store: Store) -> None:
    run = store.create_run("exp")
    store.log_metrics(run, {"x": math.inf})
    assert math.isnan(store.run(run)["metrics"]["x"])


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


def test_artifacts_are_content_addressed(store: Store, tmp_path) -> None:
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"same bytes")
    b.write_bytes(b"same bytes")
    r1, r2 = store.create_run("e"), store.create_run("e")
    d1, d2 = store.log_artifact(r1, a, "model.joblib"), store.log_artifact(r2, b)
    assert d1 == d2
    assert store.artifact_path(r1, "model.joblib") == store.artifact_path(r2, "b.bin")
    assert store.artifact_path(r1, "model.joblib").read_bytes() == b"same bytes"
    assert len(list(store.artifact_root.rglob("*"))) == 2  # one folder, one blob
    with pytest.raises(StoreError):
        store.artifact_path(r1, "nope")


def test_unknown_run_and_bad_url(store: Store) -> None:
    with pytest.raises(StoreError, match="no run matches"):
        store.run("doesnotexist")
    with pytest.raises(StoreError):
        Store("nosuchdialect://x")


def test_migrations_record_version_and_reopen(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    Store(url).create_run("e")
    st = Store(url)
    with st.engine.connect() as conn:
        assert conn.execute(sa.select(s.schema_version.c.version)).scalar() == s.LATEST
    assert st.count_runs() == 1


def _writer(url: str, n: int) -> None:
    st = Store(url)
    for i in range(n):
        run = st.create_run("concurrent", params={"i": i})
        st.end_run(run, "complete", metrics={"m": i})


def test_concurrent_processes_lose_nothing(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    Store(url)
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(url, 25)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert Store(url).count_runs() == 100
