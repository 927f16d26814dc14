"""Fixtures of the UI tests: the populated store and the read-only UI serving it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from uitools import Populated, populate

from cairn.ui import create_app
from cairn.ui.server import serve_in_background


@pytest.fixture(autouse=True)
def _default_store_in_tmp(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CAIRN_STORE", str(tmp_path / "default.db"))


@pytest.fixture(scope="session")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Populated]:
    out = populate(tmp_path_factory.mktemp("ui-store"))
    yield out
    out.store.close()


@pytest.fixture(scope="session")
def ui_url(populated: Populated) -> Iterator[str]:
    """The read-only UI over the populated store."""
    with serve_in_background(create_app(populated.store, loopback_only=True)) as url:
        yield url
