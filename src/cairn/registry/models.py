"""The model registry: named models, numbered versions, aliases, loading by URI.

A version is a run's saved model (``model.joblib``, as ``run_cash`` and ``log_model``
write it) copied into the registry as a lossless delta against the model's previous
version (:mod:`cairn.registry.delta`). It links to the run, the run's study and the
dataset version the run trained on. Everything the user names is checked before
anything is written, so a mistake leaves the store as it was.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from cairn.errors import RegistryError
from cairn.registry import chain, delta, storage
from cairn.registry import tables as t
from cairn.registry.uri import (
    DATASET_KEY,
    ModelRef,
    RunRef,
    check_alias,
    check_name,
    dataset_ref,
    parse_dataset_ref,
    parse_model_uri,
)
from cairn.track import Store
from cairn.track.fluent import get_store


def register_model(source: str, name: str, dataset_version: str | None = None, *,
                   store: str | Store | None = None) -> int:
    """Register the model a run saved as the next version of model ``name``; return its number.

    ``source`` is a run id (or unique prefix; its ``model.joblib``) or ``runs:/<id>/<path>``.
    ``dataset_version`` ("name:version") defaults to the run's ``dataset_version`` tag or
    param (``run_cash`` records it as a param of the study's run).
    """
    import joblib

    st = get_store(store)
    check_name(name, "model")
    ref = parse_model_uri(source)
    if not isinstance(ref, RunRef):
        raise RegistryError(f"register a run's model (a run id or runs:/RUN_ID/PATH), not {source!r}")
    run = st.run(ref.run_id)
    model = joblib.load(st.artifact_path(run["id"], ref.path))
    parts = delta.split(model)
    with st.read() as conn:
        recorded = run["tags"].get(DATASET_KEY) or run["params"].get(DATASET_KEY)
        dataset_id = _dataset_version_id(conn, dataset_version or recorded)
        owner = chain.owner_id(conn, t.models, name)
        parent = chain.find(conn, t.model_versions, owner) if owner is not None else None
        base = chain.delta_base(parent)
        base_arrays = _parts(st, conn, base, name).arrays if base is not None else None
    payload, n_delta = delta.encode(parts, base_arrays)
    if base is not None and n_delta == 0:  # nothing shared with the parent: a snapshot loads faster
        base = None
    staged = storage.stage(st, payload)
    with storage.publishing(st, staged) as conn:
        owner = chain.owner_id(conn, t.models, name, create=True)
        return chain.insert(
            conn, t.model_versions, owner, parent, base, staged.digest, staged.size,  # type: ignore[arg-type]
            run_id=run["id"], artifact=ref.path, study_id=run["study_id"], dataset_version_id=dataset_id,
            model_class=f"{type(model).__module__}.{type(model).__qualname__}", raw_size=_raw_size(parts))


def load_model(uri: str, *, store: str | Store | None = None) -> Any:
    """The model behind ``models:/NAME/VERSION``, ``models:/NAME@ALIAS``,
    ``runs:/RUN_ID/PATH`` or a bare run id (its ``model.joblib``)."""
    st = get_store(store)
    ref = parse_model_uri(uri)
    if isinstance(ref, RunRef):
        import joblib

        return joblib.load(st.artifact_path(st.resolve_run_id(ref.run_id), ref.path))
    with st.read() as conn:
        row = _resolve(conn, ref)
        return delta.join(_parts(st, conn, row, ref.name))


def set_alias(name: str, alias: str, version: int, *, store: str | Store | None = None) -> None:
    """Point ``alias`` (e.g. ``champion``) of model ``name`` at ``version``, moving it if set."""
    st = get_store(store)
    check_alias(alias)
    with st.engine.begin() as conn:
        owner = _owner(conn, name)
        chain.require(conn, t.model_versions, owner, int(version), f"model '{name}'")
        conn.execute(t.aliases.delete().where((t.aliases.c.owner_id == owner) & (t.aliases.c.alias == alias)))
        conn.execute(t.aliases.insert().values(owner_id=owner, alias=alias, version=int(version)))


def delete_alias(name: str, alias: str, *, store: str | Store | None = None) -> None:
    """Remove ``alias`` from model ``name``."""
    st = get_store(store)
    with st.engine.begin() as conn:
        owner = _owner(conn, name)
        gone = conn.execute(t.aliases.delete().where((t.aliases.c.owner_id == owner) & (t.aliases.c.alias == alias)))
        if gone.rowcount == 0:
            raise RegistryError(f"model '{name}' has no alias '{alias}'")


def list_models(*, store: str | Store | None = None) -> list[dict[str, Any]]:
    """Every registered model: name, number of versions, latest version, aliases."""
    st = get_store(store)
    v = t.model_versions.c
    q = (sa.select(t.models.c.id, t.models.c.name, sa.func.count(v.id).label("versions"),
                   sa.func.max(v.version).label("latest"))
         .join(t.model_versions, v.owner_id == t.models.c.id).group_by(t.models.c.id).order_by(t.models.c.name))
    with st.read() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
        for r in rows:
            r["aliases"] = _aliases(conn, r.pop("id"))
    return rows


def describe_model(name: str, *, store: str | Store | None = None) -> dict[str, Any]:
    """Model ``name`` with its aliases and every version's links and stored size."""
    st = get_store(store)
    v, d = t.model_versions.c, t.dataset_versions.c
    with st.read() as conn:
        owner = _owner(conn, name)
        q = (sa.select(v.version, v.parent_version, v.base_version, v.depth, v.run_id, v.artifact, v.study_id,
                       v.model_class, v.size, v.raw_size, v.created_at, t.datasets.c.name.label("dataset"),
                       d.version.label("dataset_v"))
             .outerjoin(t.dataset_versions, d.id == v.dataset_version_id)
             .outerjoin(t.datasets, t.datasets.c.id == d.owner_id)
             .where(v.owner_id == owner).order_by(v.version))
        versions = [dict(r) for r in conn.execute(q).mappings()]
        aliases = _aliases(conn, owner)
    for row in versions:
        dataset, number = row.pop("dataset"), row.pop("dataset_v")
        row["dataset_version"] = dataset_ref(dataset, number) if dataset else None
    return {"name": name, "aliases": aliases, "versions": versions}


# -- helpers --------------------------------------------------------------------------


def _owner(conn: Connection, name: str) -> int:
    owner = chain.owner_id(conn, t.models, check_name(name, "model"))
    if owner is None:
        raise RegistryError(f"there is no registered model '{name}'")
    return owner


def _resolve(conn: Connection, ref: ModelRef) -> RowMapping:
    owner = _owner(conn, ref.name)
    version = ref.version
    if ref.alias is not None:
        a = t.aliases.c
        version = conn.execute(sa.select(a.version).where((a.owner_id == owner) & (a.alias == ref.alias))).scalar()
        if version is None:
            raise RegistryError(f"model '{ref.name}' has no alias '{ref.alias}'")
    return chain.require(conn, t.model_versions, owner, version, f"model '{ref.name}'")  # type: ignore[arg-type]


def _parts(st: Store, conn: Connection, row: RowMapping, name: str) -> delta.Parts:
    """Rebuild a version's parts by replaying its chain from the snapshot."""
    arrays: list[np.ndarray] | None = None
    parts = None
    for link in chain.walk(conn, t.model_versions, row):
        blob = storage.read(st, link["digest"], f"model '{name}' version {link['version']}")
        parts = delta.decode(blob, arrays)
        arrays = parts.arrays
    return parts  # type: ignore[return-value]


def _aliases(conn: Connection, owner: int) -> dict[str, int]:
    a = t.aliases.c
    return dict(conn.execute(sa.select(a.alias, a.version).where(a.owner_id == owner).order_by(a.alias)).all())


def _dataset_version_id(conn: Connection, ref: str | None) -> int | None:
    """The row id of dataset version ``name:v``; an unknown one is the user's mistake."""
    if ref is None:
        return None
    name, version = parse_dataset_ref(ref)
    owner = chain.owner_id(conn, t.datasets, name)
    if owner is None:
        raise RegistryError(f"there is no registered dataset '{name}'")
    return int(chain.require(conn, t.dataset_versions, owner, version, f"dataset '{name}'")["id"])


def _raw_size(parts: delta.Parts) -> int:
    return len(parts.skeleton) + sum(a.nbytes for a in parts.arrays)
