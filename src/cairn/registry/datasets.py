"""Dataset versions: named tables, each version a row delta against its parent.

Registering the same content again returns the version that already holds it, so a run
can call :func:`register_dataset` on its data every time and get a stable ``name:v``.
A version is stored as the rows it adds and removes against its parent
(:mod:`cairn.registry.rows`) unless it changes the columns or most of the rows, or the
chain is due a snapshot. Checking a version out replays its chain. Differences, unions,
intersections and differences of two versions sum the deltas on the path between them,
so the right-hand version is never rebuilt and :func:`dataset_diff` rebuilds neither.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from cairn.errors import RegistryError
from cairn.registry import chain, rows, storage
from cairn.registry import tables as t
from cairn.registry.uri import check_name
from cairn.track import Store
from cairn.track.fluent import get_store


def register_dataset(name: str, data: Any, parent: int | None = None, *,
                     store: str | Store | None = None) -> int:
    """Record ``data`` (a DataFrame, a cairn ``Dataset`` or a CSV/Parquet path) as a version
    of dataset ``name`` derived from version ``parent`` (default: the latest); return its number.
    """
    st = get_store(store)
    check_name(name, "dataset")
    frame = _as_frame(data)
    hashes = rows.row_hashes(frame)
    fingerprint = rows.fingerprint(frame, hashes)
    with st.read() as conn:
        owner = chain.owner_id(conn, t.datasets, name)
        if owner is None and parent is not None:
            raise RegistryError(f"there is no registered dataset '{name}' to derive version {parent} from")
        if owner is not None:
            v = t.dataset_versions.c
            same = conn.execute(sa.select(v.version).where((v.owner_id == owner) & (v.fingerprint == fingerprint))
                                .order_by(v.version).limit(1)).scalar()
            if same is not None:
                return int(same)
        parent_row = None if owner is None else (
            chain.find(conn, t.dataset_versions, owner) if parent is None
            else chain.require(conn, t.dataset_versions, owner, int(parent), f"dataset '{name}'"))
        parent_frame = _checkout(st, conn, parent_row, name) if parent_row is not None else None
    base = chain.delta_base(parent_row)
    d = None
    if parent_frame is not None and rows.same_schema(parent_frame, frame):
        d = rows.delta(parent_frame, rows.row_hashes(parent_frame), frame, hashes)
    counts = {"n_added": len(d.added), "n_removed": len(d.removed)} if d is not None else {}
    if d is None or base is None or len(d.added) + len(d.removed) >= len(frame):
        base, d = None, rows.snapshot(frame)
    staged = storage.stage(st, pickle.dumps(vars(d), protocol=5))  # a plain dict: blobs outlive classes
    with storage.publishing(st, staged) as conn:
        owner = chain.owner_id(conn, t.datasets, name, create=True)
        return chain.insert(conn, t.dataset_versions, owner, parent_row, base, staged.digest,  # type: ignore[arg-type]
                            staged.size, fingerprint=fingerprint, n_rows=len(frame),
                            columns=json.dumps(rows.schema(frame)), **counts)


def get_dataset(name: str, version: int | None = None, *, store: str | Store | None = None) -> pd.DataFrame:
    """Version ``version`` (default: the latest) of dataset ``name``: same columns, dtypes,
    rows and row order as registered, with a fresh ``RangeIndex``."""
    st = get_store(store)
    with st.read() as conn:
        return _checkout(st, conn, _version(conn, name, version), name)


def list_datasets(*, store: str | Store | None = None) -> list[dict[str, Any]]:
    """Every registered dataset: name, number of versions, latest version and its rows."""
    st = get_store(store)
    v = t.dataset_versions.c
    latest = sa.select(v.owner_id, sa.func.max(v.version).label("latest"), sa.func.count().label("versions")) \
        .group_by(v.owner_id).subquery()
    q = (sa.select(t.datasets.c.name, latest.c.versions, latest.c.latest, v.n_rows)
         .join(latest, latest.c.owner_id == t.datasets.c.id)
         .join(t.dataset_versions, (v.owner_id == latest.c.owner_id) & (v.version == latest.c.latest))
         .order_by(t.datasets.c.name))
    with st.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def describe_dataset(name: str, *, store: str | Store | None = None) -> dict[str, Any]:
    """Dataset ``name`` with every version's lineage, size, row counts and columns."""
    st = get_store(store)
    v = t.dataset_versions.c
    cols = [v.version, v.parent_version, v.base_version, v.depth, v.n_rows, v.n_added, v.n_removed, v.size,
            v.fingerprint, v.columns, v.created_at]
    with st.read() as conn:
        owner = _owner(conn, name)
        versions = [dict(r) for r in conn.execute(sa.select(*cols).where(v.owner_id == owner).order_by(v.version)).mappings()]
    for row in versions:
        row["columns"] = [tuple(c) for c in json.loads(row["columns"])]
    return {"name": name, "versions": versions}


def dataset_diff(name: str, v1: int, v2: int, *, store: str | Store | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows version ``v2`` has beyond ``v1`` and rows ``v1`` has beyond ``v2`` (as multisets),
    summed from the deltas between them; neither version is rebuilt."""
    st = get_store(store)
    with st.read() as conn:
        return _net(st, conn, name, v1, v2)


def dataset_union(name: str, v1: int, v2: int, *, store: str | Store | None = None) -> pd.DataFrame:
    """The rows of ``v1``, then those ``v2`` has beyond them (each row as often as in the
    version that has it more often)."""
    st = get_store(store)
    with st.read() as conn:
        added, _ = _net(st, conn, name, v1, v2)
        left = _checkout(st, conn, _version(conn, name, v1), name)
    return pd.concat([left, added], ignore_index=True) if len(added) else left


def dataset_intersection(name: str, v1: int, v2: int, *, store: str | Store | None = None) -> pd.DataFrame:
    """The rows of ``v1`` that ``v2`` has too (each as often as the version with fewer), in ``v1``'s order."""
    return _split_left(name, v1, v2, store, keep_removed=False)


def dataset_difference(name: str, v1: int, v2: int, *, store: str | Store | None = None) -> pd.DataFrame:
    """The rows of ``v1`` that ``v2`` lacks (copies beyond ``v2``'s count), in ``v1``'s order."""
    return _split_left(name, v1, v2, store, keep_removed=True)


# -- helpers --------------------------------------------------------------------------


def _as_frame(data: Any) -> pd.DataFrame:
    """The table to version, with positional rows; a cairn Dataset is its features then its target."""
    from cairn.data import Dataset, read_table

    if isinstance(data, (str, Path)):
        data = read_table(Path(data))
    elif isinstance(data, Dataset):
        data = pd.concat([data.X, data.y], axis=1)
    if not isinstance(data, pd.DataFrame):
        raise RegistryError(f"a dataset version is a DataFrame, a cairn Dataset or a CSV/Parquet path, not a {type(data).__name__}")
    if data.shape[1] == 0:
        raise RegistryError("a dataset version needs at least one column")
    if not data.columns.is_unique:
        raise RegistryError(f"column names must be unique; repeated: {sorted(set(data.columns[data.columns.duplicated()].map(str)))}")
    return data.reset_index(drop=True)


def _owner(conn: Connection, name: str) -> int:
    owner = chain.owner_id(conn, t.datasets, check_name(name, "dataset"))
    if owner is None:
        raise RegistryError(f"there is no registered dataset '{name}'")
    return owner


def _version(conn: Connection, name: str, version: int | None) -> RowMapping:
    owner = _owner(conn, name)
    if version is None:
        return chain.find(conn, t.dataset_versions, owner)  # type: ignore[return-value]
    return chain.require(conn, t.dataset_versions, owner, int(version), f"dataset '{name}'")


def _delta(st: Store, row: RowMapping, name: str) -> rows.Delta:
    return rows.Delta(**pickle.loads(storage.read(st, row["digest"], f"dataset '{name}' version {row['version']}")))


def _checkout(st: Store, conn: Connection, row: RowMapping, name: str) -> pd.DataFrame:
    frame = None
    for link in chain.walk(conn, t.dataset_versions, row):
        frame = rows.apply(frame, _delta(st, link, name))
    return frame  # type: ignore[return-value]


def _net(st: Store, conn: Connection, name: str, v1: int, v2: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows gained, rows lost) from ``v1`` to ``v2``: the deltas from their last shared
    chain link up to ``v2``, minus those up to ``v1``."""
    a, b = _version(conn, name, v1), _version(conn, name, v2)
    if a["columns"] != b["columns"]:
        raise RegistryError(f"versions {v1} and {v2} of dataset '{name}' have different columns; compare them by hand")
    path_a, path_b = chain.walk(conn, t.dataset_versions, a), chain.walk(conn, t.dataset_versions, b)
    shared = 0
    while shared < min(len(path_a), len(path_b)) and path_a[shared]["version"] == path_b[shared]["version"]:
        shared += 1
    changes: list[tuple[int, pd.DataFrame]] = []
    for sign, path in ((1, path_b), (-1, path_a)):
        for link in path[shared:]:
            d = _delta(st, link, name)
            changes += [(sign, d.added), (-sign, d.removed)]
    if not changes:  # the same version twice
        empty = _delta(st, a, name).removed.iloc[:0]
        return empty, empty
    return rows.net(changes)


def _split_left(name: str, v1: int, v2: int, store: str | Store | None, keep_removed: bool) -> pd.DataFrame:
    """``v1`` rebuilt, then cut in two: the copies ``v2`` lacks and the rest."""
    st = get_store(store)
    with st.read() as conn:
        _, removed = _net(st, conn, name, v1, v2)
        left = _checkout(st, conn, _version(conn, name, v1), name)
    lacking = rows.split_removed(left, removed)
    return left[lacking if keep_removed else ~lacking].reset_index(drop=True)
