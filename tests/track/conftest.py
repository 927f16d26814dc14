"""The store fixture: every test that takes ``store`` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from cairn.track import Store
from cairn.track import schema as s


@pytest.fixture(autouse=True)
def _default_store_in_tmp(tmp_path, monkeypatch) -> None:
    """A test that falls back to the default store writes under its tmp dir, not the repo."""
    monkeypatch.setenv("CAIRN_STORE", str(tmp_path / "default.db"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cairn.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(store_url: str, tmp_path) -> Iterator[Store]:
    st = Store(store_url, artifact_root=tmp_path / "artifacts")
    yield st
    st.close()


@pytest.fixture
def version_3_store_url(store_url: str) -> str:
    """A store as cairn left it at schema version 3 (before heartbeats), with one run
    still marked running that started an hour ago."""
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        s.schema_version.create(conn)
        for step in s.MIGRATIONS[:3]:
            step(conn)
        # Today's _v1 builds runs with version 4's additions; take them away again.
        conn.exec_driver_sql("DROP INDEX ix_runs_running")
        conn.exec_driver_sql("ALTER TABLE runs DROP COLUMN heartbeat")
        conn.execute(s.schema_version.insert().values(id=1, version=3))
        experiment = conn.execute(s.experiments.insert().values(name="old", created_at=0.0)).inserted_primary_key[0]
        conn.exec_driver_sql("INSERT INTO runs (id, experiment_id, status, start_time) "
                             f"VALUES ('{'r' * 32}', {experiment}, 'running', {time.time() - 3600})")
    engine.dispose()
    return store_url
