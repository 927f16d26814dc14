"""The tracking schema and its migrations.

The schema grows by appending migrations to :data:`MIGRATIONS`; a store records the
version it is at in ``schema_version`` and applies the missing steps in one transaction
when it opens, so an old store upgrades in place and a new one is built the same way.
That transaction holds a lock (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory
lock), so many processes opening a fresh store at once migrate it exactly once.

Step ``_v1`` creates tables from their current definitions, so a later step that changes
an existing table must leave a store built by today's ``_v1`` unchanged (``IF EXISTS``,
``checkfirst``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cairn.errors import StoreError

metadata = sa.MetaData()

RUN_STATUSES = ("running", "complete", "failed", "pruned", "killed")

#: A study whose process died while it ran (its parent run's heartbeat expired).
STUDY_INTERRUPTED = "interrupted"

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
    sa.Column("heartbeat", sa.Float),  # epoch seconds of the running process's last beat; added by _v4
    sa.Index("ix_runs_study", "study_id", "trial_number"),
    sa.Index("ix_runs_experiment", "experiment_id", "start_time"),
    sa.Index("ix_runs_parent", "parent_run_id"),
)

#: The condition "the run is running", with the status as a literal: SQLite uses a
#: partial index only for a query that repeats its WHERE clause, bound values do not count.
RUNNING = runs.c.status == sa.literal_column("'running'")

#: The running runs alone, so looking for expired heartbeats reads a few index entries
#: instead of every run ever recorded.
runs_running = sa.Index("ix_runs_running", runs.c.heartbeat, sqlite_where=RUNNING, postgresql_where=RUNNING)

params = sa.Table(
    "params",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("key", sa.String(256), primary_key=True),
    sa.Column("value_type", sa.String(8), nullable=False),
    sa.Column("value", sa.Text),
    sa.Column("value_num", sa.Float),
)  # its filter indexes are made by _v2

#: Version 1's metric history, one row per point; ``_v2`` moves it into chunks and drops it.
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

#: Metric history: each row packs a run's points of one metric from one flush
#: (see :mod:`cairn.track.series`); a history is its rows in id order.
metric_chunks = sa.Table(
    "metric_chunks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("key", sa.String(256), nullable=False),
    sa.Column("n_points", sa.Integer, nullable=False),
    sa.Column("step_bytes", sa.LargeBinary, nullable=False),
    sa.Column("value_bytes", sa.LargeBinary, nullable=False),
    sa.Column("time_bytes", sa.LargeBinary, nullable=False),
    sa.Index("ix_metric_chunks_run_key", "run_id", "key", "id"),
)

#: The latest point of every (run, metric), maintained on write: filters and orderings
#: on metrics read one indexed row per run instead of the whole history.
latest_metrics = sa.Table(
    "latest_metrics",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("key", sa.String(256), primary_key=True),
    sa.Column("value", sa.Float),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("timestamp", sa.Float, nullable=False),
    sa.Index("ix_latest_metrics_key_value", "key", "value", "run_id"),
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
    sa.Column("size", sa.BigInteger, nullable=False),
)


def _v1(conn: Connection) -> None:
    """The first schema: experiments, studies, runs, typed params, metrics, tags, artifacts."""
    metadata.create_all(conn, tables=[experiments, studies, runs, params, metrics, tags, artifacts])


def _v2(conn: Connection) -> None:
    """Chunked metric history, latest metrics maintained on write, value indexes, 64-bit sizes.

    PostgreSQL cannot put a long text in a btree entry, so there param and tag values
    get hash indexes (equality is what filters on text need); SQLite gets btrees.
    """
    from cairn.track.series import CHUNK, pack

    metric_chunks.create(conn)
    latest_metrics.create(conn)
    m = metrics.c
    history = conn.execute(sa.select(m.run_id, m.key, m.step, m.value, m.timestamp)
                           .order_by(m.run_id, m.key, m.id)).all()
    series: dict[tuple[str, str], list[Any]] = {}
    for run_id, key, step, value, ts in history:
        series.setdefault((run_id, key), []).append((step, value, ts))
    for (run_id, key), points in series.items():
        for i in range(0, len(points), CHUNK):
            conn.execute(metric_chunks.insert().values(run_id=run_id, key=key, **pack(points[i : i + CHUNK])))
        step, value, ts = max(reversed(points), key=lambda p: (p[0], p[2]))  # ties: the last
        conn.execute(latest_metrics.insert().values(run_id=run_id, key=key, value=value, step=step, timestamp=ts))
    metrics.drop(conn)
    # Filter indexes end in run_id, so a filter reads the run ids from the index alone.
    for old in ("ix_params_key_num", "ix_params_key_value"):  # version 1's, without run_id
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {old}")
    conn.exec_driver_sql("CREATE INDEX ix_params_key_num ON params (key, value_num, run_id)")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE artifacts ALTER COLUMN size TYPE BIGINT")
        conn.exec_driver_sql("CREATE INDEX ix_params_value_hash ON params USING hash (value)")
        conn.exec_driver_sql("CREATE INDEX ix_tags_value_hash ON tags USING hash (value)")
    else:
        conn.exec_driver_sql("CREATE INDEX ix_params_key_value ON params (key, value, run_id)")
        conn.exec_driver_sql("CREATE INDEX ix_tags_key_value ON tags (key, value, run_id)")


def _v3(conn: Connection) -> None:
    """The model and dataset registry (its tables live in :mod:`cairn.registry.tables`)."""
    registry_tables.create(conn)


def _v4(conn: Connection) -> None:
    """Run heartbeats, so a run whose process died can be told from one still running."""
    if "heartbeat" not in {c["name"] for c in sa.inspect(conn).get_columns("runs")}:  # today's _v1 has it
        column_type = runs.c.heartbeat.type.compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE runs ADD COLUMN heartbeat {column_type}")
    runs_running.create(conn, checkfirst=True)


#: Ordered schema steps; step ``i`` brings a store from version ``i`` to ``i + 1``.
MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2, _v3, _v4]

LATEST = len(MIGRATIONS)


#: Columns that hold blob digests. Garbage collection keeps every blob one of them
#: names; a table that references blobs appends its column here.
BLOB_REFERENCES: list[sa.Column] = [artifacts.c.digest]

#: Key of the PostgreSQL advisory lock that serialises migrations.
_MIGRATION_LOCK = 0x6361_6972_6E00  # "cairn\0"


def migrate(conn: Connection) -> int:
    """Bring the schema to :data:`LATEST` inside the caller's transaction; return the version.

    The caller's SQLite transaction already holds the write lock (``BEGIN IMMEDIATE``);
    on PostgreSQL an advisory lock makes concurrent openers wait for the first one.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    schema_version.create(conn, checkfirst=True)
    current = conn.execute(sa.select(schema_version.c.version).where(schema_version.c.id == 1)).scalar()
    if current is None:
        conn.execute(schema_version.insert().values(id=1, version=0))
        current = 0
    if current > LATEST:
        raise StoreError(f"the store is at schema version {current}, newer than this cairn knows ({LATEST}); upgrade cairn")
    for step in MIGRATIONS[current:]:
        step(conn)
    if current != LATEST:
        conn.execute(schema_version.update().where(schema_version.c.id == 1).values(version=LATEST))
    return LATEST


# Imported last and always: the registry's tables share this metadata and add their blob
# columns to BLOB_REFERENCES, which garbage collection must see in every process.
from cairn.registry import tables as registry_tables  # noqa: E402
