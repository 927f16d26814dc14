"""Traces stored with runs, and reproducing a run from its trace.

A trace is a text artifact of its run (:data:`TRACE_ARTIFACT`), so deleting runs and
collecting garbage treat it like any other artifact. Reproducing recomputes the trace
from the run's data: for a run that saved a model, the model, whose predictions must
equal the stored model's; for a trial, its metric, which must equal the recorded one.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import ArtifactError, UserError
from cairn.lineage.item import Item
from cairn.lineage.trace import parse, serialize

if TYPE_CHECKING:
    from cairn.track import Run, Store

TRACE_ARTIFACT = "lineage.trace"


def save_trace(run: Run, item: Item) -> None:
    """Store ``item``'s trace as the run's :data:`TRACE_ARTIFACT`."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / TRACE_ARTIFACT
        path.write_text(serialize(item), encoding="utf-8")
        run.log_artifact(path)


def load_trace(store: Store, run_id: str) -> Item:
    """The trace stored with run ``run_id`` (an id or unique prefix)."""
    full_id = store.resolve_run_id(run_id)
    try:
        path = store.artifact_path(full_id, TRACE_ARTIFACT)
    except ArtifactError:
        raise UserError(f"run '{run_id}' has no lineage trace; only CASH trials and the runs that "
                        "save their final model are traced") from None
    return parse(path.read_text(encoding="utf-8"))


@dataclass
class Reproduction:
    """Whether a run's recomputed result equals what the run recorded, and in one line
    what was compared: for a run that saved a model, the predictions of the stored and
    the recomputed model on the run's data; for a trial, its metric."""

    run_id: str
    match: bool
    summary: str


def reproduce(run_id: str, store: Store) -> Reproduction:
    """Recompute run ``run_id`` from its trace and compare it with what the run recorded."""
    import joblib
    import numpy as np

    from cairn.evaluate.objective import quiet
    from cairn.lineage.recompute import recompute
    from cairn.registry.uri import MODEL_ARTIFACT

    root = load_trace(store, run_id)
    run = store.run(run_id)
    settings = (store.study(run["study_id"]) or {}).get("settings", {}) if run["study_id"] is not None else {}
    data = _data(run_id, root, store, settings)
    with quiet(1):  # as the objective fits: one thread, so sums add up in the same order
        value = recompute(root, data)
        if root.op in ("pipeline", "ensemble"):
            X = next(iter(data.values())).X
            stored = joblib.load(store.artifact_path(run["id"], MODEL_ARTIFACT))
            equal = int(np.sum(_same(stored.predict(X), value.predict(X))))
            return Reproduction(run["id"], equal == len(X), f"the model recomputed from lineage predicts as the "
                                                            f"stored model on {equal} of {len(X)} rows")
    metric = settings.get("metric")
    if root.op != "mean" or metric not in run["metrics"]:
        raise UserError(f"run '{run_id}' records neither a model nor the metric its trace computes")
    recorded = run["metrics"][metric]
    return Reproduction(run["id"], recorded == value, f"{metric} recomputed from lineage: {value!r}, "
                                                      f"recorded: {recorded!r}")


def _data(run_id: str, root: Item, store: Store, settings: dict[str, Any]) -> dict[str, Any]:
    """The dataset of every data leaf of ``root``, by fingerprint, found as the run's
    study recorded it: its registered version, its file, or a bundled dataset."""
    from cairn.lineage.sklearn_ops import find_dataset
    from cairn.registry.uri import DATASET_KEY

    versions = [settings[DATASET_KEY]] if settings.get(DATASET_KEY) else []
    files = [settings["source"]] if settings.get("source") else []
    found = {}
    for leaf in (node for node in root.walk() if node.op == "data"):
        value = find_dataset(leaf, store, versions, files)
        if value is None:
            name = json.loads(leaf.literal) if leaf.literal else ""
            raise UserError(f"the data run '{run_id}' was computed from ('{name}', fingerprint {leaf.data}) is "
                            "neither a bundled dataset, a registered dataset version nor the file the run was given")
        found[leaf.data] = value
    return found


def _same(a: Any, b: Any) -> Any:
    """Elementwise equality that counts NaN as equal to NaN."""
    import numpy as np

    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        return (a == b) | (np.isnan(a) & np.isnan(b))
    return a == b
