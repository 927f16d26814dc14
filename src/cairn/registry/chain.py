"""Version chains: which blobs rebuild a version, and where a new one starts its delta.

A version is stored as a delta against its base, which is stored the same way, down to a
full snapshot. Loading replays the chain from the snapshot, so its length is capped: a
new version becomes a snapshot when a delta would put it :data:`SNAPSHOT_EVERY` steps
from the last one (so every tenth version in a straight line is whole, and any version
is rebuilt from at most ten blobs).
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from cairn.errors import RegistryError

SNAPSHOT_EVERY = 10


def owner_id(conn: Connection, owners: sa.Table, name: str, create: bool = False) -> int | None:
    """The id of the model or dataset called ``name`` (created when asked), else ``None``."""
    found = conn.execute(sa.select(owners.c.id).where(owners.c.name == name)).scalar()
    if found is None and create:
        found = conn.execute(owners.insert().values(name=name, created_at=time.time())).inserted_primary_key[0]
    return None if found is None else int(found)


def find(conn: Connection, versions: sa.Table, owner: int, version: int | None = None) -> RowMapping | None:
    """One version row (``None``: the latest), or ``None`` if there is no such version."""
    q = sa.select(versions).where(versions.c.owner_id == owner)
    q = q.where(versions.c.version == version) if version is not None else q.order_by(versions.c.version.desc())
    return conn.execute(q.limit(1)).mappings().first()


def require(conn: Connection, versions: sa.Table, owner: int, version: int, what: str) -> RowMapping:
    """Like :func:`find`, but an unknown version is the user's mistake."""
    row = find(conn, versions, owner, version)
    if row is None:
        latest = find(conn, versions, owner)
        raise RegistryError(f"{what} has no version {version}; its versions are 1 to {latest['version'] if latest else 0}")
    return row


def walk(conn: Connection, versions: sa.Table, row: RowMapping) -> list[RowMapping]:
    """The rows whose blobs rebuild ``row``: its snapshot first, ``row`` last."""
    rows = [row]
    while rows[-1]["base_version"] is not None:
        rows.append(find(conn, versions, row["owner_id"], rows[-1]["base_version"]))  # type: ignore[arg-type]
    return rows[::-1]


def delta_base(parent: RowMapping | None) -> RowMapping | None:
    """The version a new child of ``parent`` is stored against (``None``: a snapshot)."""
    if parent is None or parent["depth"] + 1 >= SNAPSHOT_EVERY:
        return None
    return parent


def insert(conn: Connection, versions: sa.Table, owner: int, parent: RowMapping | None, base: RowMapping | None,
           digest: str, size: int, **values: Any) -> int:
    """Add the owner's next version; return its number."""
    latest = find(conn, versions, owner)
    number = 1 if latest is None else latest["version"] + 1
    conn.execute(versions.insert().values(
        owner_id=owner, version=number, parent_version=parent["version"] if parent is not None else None,
        base_version=base["version"] if base is not None else None, depth=0 if base is None else base["depth"] + 1,
        digest=digest, size=size, created_at=time.time(), **values))
    return number
