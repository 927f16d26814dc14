"""The module-level tracking API: ``cairn.start_run``, ``cairn.log_metric``, ...

The ``log_*`` functions write to the calling thread's innermost active run, starting one
when none is active (as MLflow does). Everything goes to the default store:
:func:`set_store`, else ``$CAIRN_STORE``, else ``./.cairn/cairn.db``; every function also
takes ``store=`` (a URL or a :class:`Store`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cairn.errors import UserError
from cairn.track.run import Run, activate, active_run
from cairn.track.series import MetricHistory
from cairn.track.store import Store, resolve_url

_stores: dict[str, Store] = {}
_default: Store | None = None


def set_store(store: str | Store | None) -> Store | None:
    """Make ``store`` the default for this process (``None``: back to ``$CAIRN_STORE``)."""
    global _default
    _default = None if store is None else get_store(store)
    return _default


def get_store(store: str | Store | None = None) -> Store:
    """The store for a URL or path, one instance per URL; ``None`` gives the default."""
    if isinstance(store, Store):
        return store
    if store is None and _default is not None:
        return _default
    url = resolve_url(store)
    if url not in _stores:
        _stores[url] = Store(url)
    return _stores[url]


def start_run(experiment: str = "default", run_name: str | None = None, parent: Run | str | None = None, *,
              params: Mapping[str, Any] | None = None, tags: Mapping[str, Any] | None = None,
              store: str | Store | None = None) -> Run:
    """Start a run and make it active; ``with cairn.start_run() as run:`` ends it.

    Without ``parent``, a run started while another run of the same store is active
    becomes its child (and, without ``store``, goes to that run's store).
    """
    current = active_run()
    if store is None and (isinstance(parent, Run) or (parent is None and current is not None)):
        st = parent.store if isinstance(parent, Run) else current.store  # type: ignore[union-attr]
    else:
        st = get_store(store)
    if parent is None and current is not None and current.store is st:
        parent = current
    parent_id = parent.id if isinstance(parent, Run) else (st.resolve_run_id(parent) if parent else None)
    return activate(st.start_run(experiment, run_name, parent=parent_id, params=params, tags=tags))


def end_run(status: str = "complete") -> None:
    """End the active run (if any) with ``status``."""
    run = active_run()
    if run is not None:
        run.end(status)


def _current() -> Run:
    return active_run() or start_run()


def log_param(key: str, value: Any) -> None:
    _current().log_param(key, value)


def log_params(params: Mapping[str, Any]) -> None:
    _current().log_params(params)


def log_metric(key: str, value: float, step: int | None = None, timestamp: float | None = None) -> None:
    _current().log_metric(key, value, step, timestamp)


def log_metrics(metrics: Mapping[str, float], step: int | None = None, timestamp: float | None = None) -> None:
    _current().log_metrics(metrics, step, timestamp)


def set_tag(key: str, value: Any) -> None:
    _current().set_tag(key, value)


def set_tags(tags: Mapping[str, Any]) -> None:
    _current().set_tags(tags)


def log_artifact(path: str | Path, artifact_path: str | None = None) -> list[dict[str, Any]]:
    return _current().log_artifact(path, artifact_path)


def log_model(model: Any, name: str = "model") -> str:
    return _current().log_model(model, name)


def log_dataset(name: str, data: Any = None, *, fingerprint: str | None = None, context: str = "train") -> str:
    return _current().log_dataset(name, data, fingerprint=fingerprint, context=context)


def search_runs(filter: str | None = None, experiment: str | Sequence[str] | None = None,
                order_by: Sequence[str] | str | None = None, max_results: int | None = 1000,
                output: str = "list", store: str | Store | None = None) -> Any:
    """Runs matching a filter (see :mod:`cairn.track.query`) as a list of dicts or a DataFrame."""
    if output not in ("list", "pandas"):
        raise UserError(f"output must be 'list' or 'pandas', not {output!r}")
    if isinstance(order_by, str):
        order_by = [order_by]
    found = get_store(store).search_runs(filter, experiment, order_by, max_results)
    return found if output == "list" else runs_frame(found)


def runs_frame(runs: list[dict[str, Any]]) -> Any:
    """Runs as a DataFrame: attributes, then ``params.*``, ``metrics.*`` and ``tags.*`` columns."""
    import pandas as pd

    base = ["run_id", "run_name", "experiment_id", "status", "start_time", "end_time", "duration"]
    records = []
    for r in runs:
        record = {"run_id": r["id"], "run_name": r["name"], "experiment_id": r["experiment_id"],
                  "status": r["status"], "start_time": r["start_time"], "end_time": r["end_time"],
                  "duration": r["duration"]}
        for section in ("params", "metrics", "tags"):
            record.update({f"{section}.{k}": v for k, v in r[section].items()})
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    return frame if records else pd.DataFrame(columns=base)


def get_metric_history(run_id: str, key: str, store: str | Store | None = None) -> MetricHistory:
    """Every point of one metric of a run, by step: (step, value, timestamp) items with
    ``steps``, ``values`` and ``timestamps`` arrays."""
    st = get_store(store)
    return st.metric_history(st.resolve_run_id(run_id), key)


def list_artifacts(run_id: str, path: str | None = None, store: str | Store | None = None) -> list[dict[str, Any]]:
    """A run's artifacts (or those under ``path``) as dicts of path, digest and size."""
    st = get_store(store)
    return st.artifacts(st.resolve_run_id(run_id), path)


def download_artifacts(run_id: str, path: str | None = None, dst: str | Path = ".",
                       store: str | Store | None = None) -> Path:
    """Copy a run's artifact file or folder (all when ``path`` is empty) to ``dst/<path>``."""
    st = get_store(store)
    return st.download_artifacts(st.resolve_run_id(run_id), path, dst)


def delete_runs(run_ids: Iterable[str], store: str | Store | None = None) -> dict[str, int]:
    """Delete runs (and their child runs) and every blob only they used."""
    return get_store(store).delete_runs(run_ids)


def gc(store: str | Store | None = None) -> dict[str, int]:
    """Remove every blob that no artifact references any more."""
    return get_store(store).gc()
