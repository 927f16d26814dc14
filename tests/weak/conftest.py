"""Weak-supervision tests write only under their tmp dir."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _default_store_in_tmp(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CAIRN_STORE", str(tmp_path / "default.db"))
