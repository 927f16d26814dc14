"""The tracking schema and its migrations.

The schema grows by appending migrations to :data:`MIGRATIONS`; a store records the
version it is at in ``schema_version`` and applies the missing steps in one transaction
when it opens, so an old store upgrades in place and a new one is built the same way.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)

experiments = sa.Table(
    "experiments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(256), nullable=False, unique=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

studies = sa.Table(
    "studies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("experiment_id", sa.Integer, sa.ForeignKey("experiments.id"), nullable=False),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("strategy", sa.String(64), nullable=False),
    sa.Column("seed", sa.Integer),
    sa.Column("space", sa.Text, nullable=False),
    sa.Column("settings", sa.Text, nullable=False),
    sa.Column("parent_run_id", sa.String(32)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("experiment_id", sa.Integer, sa.ForeignKey("experiments.id"), nullable=False),
    sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.id")),
    sa.Column("parent_run_id", sa.String(32), sa.ForeignKey("runs.id")),
    sa.Column("name", sa.String(256)),
    sa.Column("trial_number", sa.Integer),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("start_time", sa.Float, nullable=False),
    sa.Column("end_time", sa.Float),
    sa.Index("ix_runs_study", "study_id", "trial_number"),
    sa.Index("ix_runs_experiment", "experiment_id", "start_time"),
    sa.Index("ix_runs_parent", "parent_run_id"),
)

params = sa.Table(
    "params",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("key", sa.String(256), primary_key=True),
    sa.Column("value_type", sa.String(8), nullable=False),
    sa.Column("value", sa.Text),
    sa.Column("value_num", sa.Float),
    sa.Index("ix_params_key_num", "key", "value_num"),
    sa.Index("ix_params_key_value", "key", "value"),
)

metrics = sa.Table(
    "metrics",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("key", sa.String(256), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("timestamp", sa.Float, nullable=False),
    sa.Index("ix_metrics_run_key_step", "run_id", "key", "step"),
    sa.Index("ix_metrics_key_value", "key", "value"),
)

tags = sa.Table(
    "tags",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("key", sa.String(256), primary_key=True),
    sa.Column("value", sa.Text),
)

artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("path", sa.String(1024), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
)


def _v1(conn: Connection) -> None:
    """The first schema: experiments, studies, runs, typed params, metrics, tags, artifacts."""
    metadata.create_all(conn, tables=[experiments, studies, runs, params, metrics, tags, artifacts])


#: Ordered schema steps; step ``i`` brings a store from version ``i`` to ``i + 1``.
MIGRATIONS: list[Callable[[Connection], None]] = [_v1]

LATEST = len(MIGRATIONS)


def migrate(conn: Connection) -> int:
    """Bring the schema to :data:`LATEST` inside the caller's transaction; return the version."""
    schema_version.create(conn, checkfirst=True)
    current = conn.execute(sa.select(schema_version.c.version).where(schema_version.c.id == 1)).scalar()
    if current is None:
        conn.execute(schema_version.insert().values(id=1, version=0))
        current = 0
    for step in MIGRATIONS[current:]:
        step(conn)
    if current != LATEST:
        conn.execute(schema_version.update().where(schema_version.c.id == 1).values(version=LATEST))
    return LATEST
