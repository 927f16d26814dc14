"""The store fixture: every test that takes ``store`` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cairn.track import Store


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
