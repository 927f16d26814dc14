"""The registry's tables: named models and datasets, their versions, model aliases.

They share :data:`cairn.track.schema.metadata` and are created by one migration step,
:func:`create`. Both kinds of version are stored the same way: a blob in the store's
content-addressed directory holding a delta against ``base_version`` (``NULL`` for a full
snapshot), ``depth`` deltas away from that snapshot. ``parent_version`` is lineage (what
the version was derived from); it differs from the delta base where a snapshot cut the
chain. The blob columns are appended to :data:`cairn.track.schema.BLOB_REFERENCES`, so
garbage collection keeps those blobs.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cairn.track.schema import BLOB_REFERENCES, metadata


def _version_columns() -> list[sa.Column]:
    """What every stored version has, model or dataset."""
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("parent_version", sa.Integer),
        sa.Column("base_version", sa.Integer),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    ]


models = sa.Table(
    "registry_models",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(256), nullable=False, unique=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

datasets = sa.Table(
    "registry_datasets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(256), nullable=False, unique=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

dataset_versions = sa.Table(
    "registry_dataset_versions",
    metadata,
    *_version_columns(),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("registry_datasets.id"), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("n_rows", sa.BigInteger, nullable=False),
    # rows added and removed against the parent; NULL without a parent of the same columns
    sa.Column("n_added", sa.BigInteger),
    sa.Column("n_removed", sa.BigInteger),
    sa.Column("columns", sa.Text, nullable=False),  # JSON [[name, dtype], ...]
    sa.UniqueConstraint("owner_id", "version"),
    sa.Index("ix_registry_dataset_versions_fingerprint", "owner_id", "fingerprint"),
)

model_versions = sa.Table(
    "registry_model_versions",
    metadata,
    *_version_columns(),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("registry_models.id"), nullable=False),
    # The run and study a version came from, without foreign keys: a version holds its own
    # blob and outlives them (deleting a run must not be refused for having registered it).
    sa.Column("run_id", sa.String(32), nullable=False),
    sa.Column("artifact", sa.String(1024), nullable=False),
    sa.Column("study_id", sa.Integer),
    sa.Column("dataset_version_id", sa.Integer, sa.ForeignKey("registry_dataset_versions.id")),
    sa.Column("model_class", sa.String(256), nullable=False),
    sa.Column("raw_size", sa.BigInteger, nullable=False),  # skeleton and array bytes, uncompressed
    sa.UniqueConstraint("owner_id", "version"),
)

aliases = sa.Table(
    "registry_aliases",
    metadata,
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("registry_models.id"), primary_key=True),
    sa.Column("alias", sa.String(256), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)

BLOB_REFERENCES.extend([model_versions.c.digest, dataset_versions.c.digest])


def create(conn: Connection) -> None:
    """The migration step that adds the registry to a store."""
    metadata.create_all(conn, tables=[models, datasets, dataset_versions, model_versions, aliases])
