"""The JSON REST API under ``/api/``: what the pages fetch, and what scripts may call.

Every answer is JSON; a mistake in the request (a filter that does not parse, a bad
name) is 400 and ``{"error": sentence}``, something that does not exist 404. Non-finite
numbers are sent as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` (JSON has
no literal for them; ``Number(x)`` reads them back in a browser).
"""

from __future__ import annotations

import json
import math
from functools import partial
from pathlib import PurePosixPath
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse

from cairn.errors import UserError
from cairn.lineage.runs import load_trace
from cairn.registry import datasets as registry_datasets
from cairn.registry import models as registry_models
from cairn.track import Store
from cairn.ui import analysis, graph, queries
from cairn.ui.security import artifact_file, safe_artifact_path

#: Artifacts a page may show inline, by suffix: text is sent as text/plain, whatever it holds.
TEXT_SUFFIXES = frozenset({".txt", ".log", ".json", ".yaml", ".yml", ".csv", ".tsv", ".md", ".trace", ".py", ".cfg",
                           ".ini", ".toml"})
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp"}
#: Longest metric history sent whole; longer ones are thinned evenly (first and last kept).
MAX_POINTS = 5000
MAX_PAGE = 500


class SafeJSON(JSONResponse):
    """JSON that survives NaN and infinities (see the module docstring)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(_finite(content), ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


router = APIRouter(prefix="/api", default_response_class=SafeJSON)
# Endpoints return plain dicts that SafeJSON sends as they are; a response model (which
# FastAPI would derive from the return type) would check them again and turn every
# non-finite number into null.
get = partial(router.get, response_model=None)
post = partial(router.post, response_model=None)
delete = partial(router.delete, response_model=None)


def _store(request: Request) -> Store:
    return request.app.state.store


def _run_id(store: Store, run_id: str) -> str:
    try:
        return store.resolve_run_id(run_id)
    except UserError as exc:
        raise HTTPException(404, str(exc)) from None


# -- reading ---------------------------------------------------------------------------


@get("/info")
def info(request: Request) -> dict[str, Any]:
    """Whether this server accepts writes, and which store it shows (without a password)."""
    import sqlalchemy as sa

    store = _store(request)
    return {"allow_writes": request.app.state.allow_writes,
            "store": sa.engine.make_url(store.url).render_as_string(hide_password=True)}


@get("/experiments")
def experiments(request: Request) -> dict[str, Any]:
    """Every experiment with its number of runs, newest first."""
    return {"experiments": queries.experiments(_store(request))}


@get("/studies")
def studies(request: Request, experiment_id: int | None = None) -> dict[str, Any]:
    """Every study (of one experiment) with its status, trial count and best trial, newest first."""
    return {"studies": queries.studies(_store(request), experiment_id)}


@get("/studies/{study_id}")
def study(request: Request, study_id: int) -> dict[str, Any]:
    """A study's trials and the figures of its page: best so far, importance, learners,
    parallel-coordinate axes, Pareto front, rungs."""
    store = _store(request)
    if store.study(study_id) is None:
        raise HTTPException(404, f"there is no study {study_id}")
    return analysis.study_figures(store, study_id)


@get("/runs")
def runs(request: Request, filter: str | None = None, order_by: Annotated[list[str] | None, Query()] = None,
         experiment_id: int | None = None, study_id: int | None = None,
         page: Annotated[int, Query(ge=1)] = 1, per_page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50) -> dict[str, Any]:
    """One page of the runs matching ``filter`` (the language of ``cairn runs --filter``),
    in ``order_by`` order (e.g. ``metrics.accuracy desc``; default newest first)."""
    found, total = queries.search_page(_store(request), filter, order_by or [], experiment=experiment_id,
                                       study=study_id, offset=(page - 1) * per_page, limit=per_page)
    return {"runs": found, "total": total, "page": page, "per_page": per_page,
            "pages": max(1, math.ceil(total / per_page))}


@get("/runs/{run_id}")
def run(request: Request, run_id: str) -> dict[str, Any]:
    """A run (id or unique prefix): params, latest metrics and points per metric, tags,
    artifacts, its study, parent and first child runs."""
    store = _store(request)
    found = store.run(_run_id(store, run_id))
    return {**found, "metric_points": queries.metric_points(store, found["id"]),
            "artifacts": store.artifacts(found["id"]), "children": queries.child_runs(store, found["id"]),
            "study": store.study(found["study_id"]) if found["study_id"] is not None else None}


@get("/runs/{run_id}/metric-history")
def metric_history(request: Request, run_id: str, key: str,
                   max_points: Annotated[int, Query(ge=2, le=1_000_000)] = MAX_POINTS) -> dict[str, Any]:
    """Every point of one metric by step (evenly thinned to ``max_points``)."""
    store = _store(request)
    history = store.metric_history(_run_id(store, run_id), key)
    n = len(history)
    keep = np.unique(np.linspace(0, n - 1, max_points).round().astype(int)) if n > max_points else slice(None)
    return {"key": key, "n": n, **{column: np.asarray(getattr(history, column))[keep].tolist()
                                   for column in ("steps", "values", "timestamps")}}


@get("/runs/{run_id}/artifacts")
def artifacts(request: Request, run_id: str) -> dict[str, Any]:
    """A run's artifacts: path, digest and size."""
    store = _store(request)
    return {"artifacts": store.artifacts(_run_id(store, run_id))}


@get("/runs/{run_id}/artifact", response_class=FileResponse)
def artifact(request: Request, run_id: str, path: str, download: bool = False) -> FileResponse:
    """One artifact's bytes: text and raster images inline, everything else (and with
    ``download=true`` everything) as an attachment."""
    try:
        checked = safe_artifact_path(path)
    except UserError as exc:
        raise HTTPException(400, str(exc)) from None
    store = _store(request)
    try:
        file = artifact_file(store, _run_id(store, run_id), checked)
    except UserError as exc:
        raise HTTPException(404, str(exc)) from None
    name = PurePosixPath(checked).name
    suffix = PurePosixPath(checked).suffix.lower()
    if download or (suffix not in TEXT_SUFFIXES and suffix not in IMAGE_TYPES):
        return FileResponse(file, media_type="application/octet-stream", filename=name)
    return FileResponse(file, media_type=IMAGE_TYPES.get(suffix, "text/plain; charset=utf-8"), filename=name,
                        content_disposition_type="inline", headers={"content-security-policy": "default-src 'none'; sandbox"})


@get("/runs/{run_id}/lineage")
def lineage(request: Request, run_id: str) -> dict[str, Any]:
    """The run's lineage DAG laid out for drawing (nodes with positions, edges)."""
    store = _store(request)
    full_id = _run_id(store, run_id)
    try:
        root = load_trace(store, full_id)
    except UserError as exc:
        raise HTTPException(404, str(exc)) from None
    return graph.layout(root)


@get("/compare")
def compare(request: Request, run: Annotated[list[str], Query()]) -> dict[str, Any]:
    """Two or more runs side by side: their params (and which differ), metrics, and
    points per metric for overlaying histories."""
    store = _store(request)
    ids = list(dict.fromkeys(_run_id(store, r) for r in run))
    if len(ids) < 2:
        raise HTTPException(400, "compare needs at least two different runs")
    found = {r["id"]: r for r in store.runs(run_ids=ids)}
    ordered = [found[i] for i in ids]
    keys = sorted({k for r in ordered for k in r["params"]})
    differ = [k for k in keys if len({json.dumps(r["params"].get(k, None), default=str) for r in ordered}) > 1]
    return {"runs": ordered, "params": keys, "differ": differ,
            "metric_points": {r["id"]: queries.metric_points(store, r["id"]) for r in ordered}}


@get("/models")
def models(request: Request) -> dict[str, Any]:
    """Every registered model: versions, latest version, aliases."""
    return {"models": registry_models.list_models(store=_store(request))}


@get("/models/{name}")
def model(request: Request, name: str) -> dict[str, Any]:
    """A model's aliases and versions (run, study, dataset version, stored and raw size, delta base)."""
    try:
        return registry_models.describe_model(name, store=_store(request))
    except UserError as exc:
        raise HTTPException(404, str(exc)) from None


@get("/datasets")
def datasets(request: Request) -> dict[str, Any]:
    """Every registered dataset: versions, latest version and its rows."""
    return {"datasets": registry_datasets.list_datasets(store=_store(request))}


@get("/datasets/{name}")
def dataset(request: Request, name: str) -> dict[str, Any]:
    """A dataset's versions: parent, delta base, rows added and removed, size, columns."""
    try:
        return registry_datasets.describe_dataset(name, store=_store(request))
    except UserError as exc:
        raise HTTPException(404, str(exc)) from None


# -- writing (only with --allow-writes; see cairn.ui.security) -----------------------------


@post("/runs/{run_id}/tags")
def set_tag(request: Request, run_id: str, key: Annotated[str, Body()], value: Annotated[str, Body()]) -> dict[str, Any]:
    """Set (or overwrite) one tag of a run."""
    store = _store(request)
    full_id = _run_id(store, run_id)
    store.set_tags(full_id, {key: value})
    return {"run_id": full_id, "tags": store.run(full_id)["tags"]}


@delete("/runs/{run_id}")
def delete_run(request: Request, run_id: str) -> dict[str, Any]:
    """Delete a run with its child runs and the blobs only they used."""
    store = _store(request)
    return store.delete_runs([_run_id(store, run_id)])


@post("/models/{name}/aliases")
def set_alias(request: Request, name: str, alias: Annotated[str, Body()], version: Annotated[int, Body()]) -> dict[str, Any]:
    """Point an alias of a model at a version (moving it if set)."""
    registry_models.set_alias(name, alias, version, store=_store(request))
    return {"name": name, "aliases": registry_models.describe_model(name, store=_store(request))["aliases"]}


@delete("/models/{name}/aliases/{alias}")
def delete_alias(request: Request, name: str, alias: str) -> dict[str, Any]:
    """Remove an alias of a model."""
    registry_models.delete_alias(name, alias, store=_store(request))
    return {"name": name, "aliases": registry_models.describe_model(name, store=_store(request))["aliases"]}
