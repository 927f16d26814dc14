"""A run handle: what a training loop, a Study and autolog all log through.

A handle buffers metric points in its store (see :mod:`cairn.track.buffer`), writes
params, tags and artifacts when called, and ends the run with a status. As a context
manager it ends the run as failed when the block raises. Runs started with
:func:`cairn.start_run` are also *active*: the module-level functions log to the
innermost active run of the calling thread, and runs still open at exit are ended then.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from cairn.errors import StoreError
from cairn.track.artifacts import join_path
from cairn.track.values import check_key, check_step, check_timestamp, metric_value

if TYPE_CHECKING:
    from cairn.track.store import Store

_local = threading.local()
_open: set[Run] = set()  # active runs of every thread, ended at exit if still running
_crashed = False  # an uncaught exception reached sys.excepthook


class Run:
    """One run of one store. ``step=None`` in :meth:`log_metric` means "the next step of
    this metric" (0, 1, 2, ...), so a loop can log without counting."""

    def __init__(self, store: Store, run_id: str, name: str | None = None):
        self.store, self.id, self.name = store, run_id, name
        self.status = "running"
        self._steps: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"Run({self.id[:8]}, {self.name!r}, {self.status})"

    def log_param(self, key: str, value: Any) -> None:
        self.store.log_params(self.id, {key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Params keep their type (int, float, bool, str, None); they cannot change later."""
        self.store.log_params(self.id, params)

    def log_metric(self, key: str, value: Any, step: int | None = None, timestamp: float | None = None) -> None:
        """Buffer one point; it reaches the database within the store's flush interval."""
        last = self._steps.get(key)
        if last is None:
            last = -1
            check_key(key, "metric")
        number = metric_value(key, value)
        step = last + 1 if step is None else check_step(step)
        ts = time.time() if timestamp is None else check_timestamp(timestamp)
        self._steps[key] = step
        self.store.buffer.add((self.id, key, number, step, ts))

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None, timestamp: float | None = None) -> None:
        for key, value in metrics.items():
            self.log_metric(key, value, step, timestamp)

    def set_tag(self, key: str, value: Any) -> None:
        self.store.set_tags(self.id, {key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        self.store.set_tags(self.id, tags)

    def log_artifact(self, path: str | Path, artifact_path: str | None = None) -> list[dict[str, Any]]:
        """Store a file or a directory (keeping its inner paths) under ``artifact_path``."""
        return self.store.log_artifact(self.id, path, join_path(artifact_path, Path(os.path.abspath(path)).name))

    def log_model(self, model: Any, name: str = "model") -> str:
        """Save ``model`` with joblib as artifact ``<name>.joblib``; tag ``<name>.class``."""
        import joblib

        artifact = join_path(f"{name}.joblib")
        with tempfile.TemporaryDirectory() as tmp:
            file = Path(tmp) / "model.joblib"
            joblib.dump(model, file)
            self.store.log_artifact(self.id, file, artifact)
        self.set_tag(f"{name}.class", f"{type(model).__module__}.{type(model).__qualname__}")
        return artifact

    def log_dataset(self, name: str, data: Any = None, *, fingerprint: str | None = None,
                    context: str = "train") -> str:
        """Record which data the run used: tags ``dataset.<context>`` (the name) and
        ``dataset.<context>.fingerprint``. Returns the fingerprint."""
        digest = fingerprint or dataset_fingerprint(data)
        self.set_tags({f"dataset.{context}": name, f"dataset.{context}.fingerprint": digest})
        return digest

    def end(self, status: str = "complete", metrics: Mapping[str, Any] | None = None,
            tags: Mapping[str, Any] | None = None) -> None:
        """Log final ``metrics`` (at each one's next step), write every buffered point, then
        the tags and the status; ending twice is a no-op."""
        if self.status != "running":
            return
        self.log_metrics(metrics or {})
        self.store.end_run(self.id, status, tags=tags)
        self.status = status
        _open.discard(self)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.end("complete")
        else:
            self.end("killed" if issubclass(exc_type, KeyboardInterrupt) else "failed")


def dataset_fingerprint(data: Any) -> str:
    """A content hash of a dataset: its own ``fingerprint``, or a hash of a DataFrame,
    Series, NumPy array or bytes."""
    if isinstance(getattr(data, "fingerprint", None), str):
        return data.fingerprint
    h = hashlib.blake2b(digest_size=16)
    if type(data).__module__.startswith("pandas"):
        import pandas as pd

        labels = list(data.columns) if hasattr(data, "columns") else [data.name]
        h.update(repr(labels).encode())
        h.update(pd.util.hash_pandas_object(data, index=False).to_numpy().tobytes())
    elif hasattr(data, "tobytes") and hasattr(data, "dtype"):
        h.update(f"{data.dtype}{data.shape}".encode())
        h.update(data.tobytes())
    elif isinstance(data, (bytes, bytearray)):
        h.update(data)
    else:
        raise StoreError(f"cairn cannot fingerprint a {type(data).__name__}; pass fingerprint=")
    return h.hexdigest()


# -- active runs --------------------------------------------------------------------

def _stack() -> list[Run]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def activate(run: Run) -> Run:
    """Make ``run`` the calling thread's active run until it ends."""
    _stack().append(run)
    _open.add(run)
    return run


def active_run() -> Run | None:
    """The innermost running run this thread started, if any."""
    stack = _stack()
    while stack and stack[-1].status != "running":
        stack.pop()
    return stack[-1] if stack else None


def _note_crash(hook: Any) -> Any:
    def excepthook(*args: Any) -> None:
        global _crashed
        _crashed = True
        hook(*args)

    return excepthook


def _end_open_runs() -> None:
    for run in list(_open):
        try:
            run.end("failed" if _crashed else "complete")
        except Exception as exc:  # noqa: BLE001 - report and end the others
            warnings.warn(f"cairn could not end run {run.id[:8]} at exit: {exc}", stacklevel=1)


sys.excepthook = _note_crash(sys.excepthook)
atexit.register(_end_open_runs)
