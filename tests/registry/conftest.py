"""Fixtures: a SQLite store in the test's tmp dir, saving a model in a run, the bench module."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import joblib
import pytest

from cairn.track import Store


@pytest.fixture(autouse=True)
def _default_store_in_tmp(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CAIRN_STORE", str(tmp_path / "default.db"))


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    st = Store(f"sqlite:///{tmp_path / 'cairn.db'}")
    yield st
    st.close()


@pytest.fixture
def save_model(tmp_path) -> Callable[[Store, Any], str]:
    """Save a model as ``model.joblib`` of a new run; return the run id."""

    def save(st: Store, model: Any) -> str:
        run = st.create_run("registry-tests")
        joblib.dump(model, tmp_path / "model.joblib")
        st.log_artifact(run, tmp_path / "model.joblib")
        return run

    return save


@pytest.fixture(scope="session")
def bench() -> ModuleType:
    """``bench/registry.py``: its series and its bit-identity check, at test sizes."""
    path = Path(__file__).parents[2] / "bench" / "registry.py"
    spec = importlib.util.spec_from_file_location("bench_registry", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module
