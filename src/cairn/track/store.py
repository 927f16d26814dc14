"""The Store: one tracking database plus a content-addressed artifact directory.

Every subsystem records through this class, so there is one schema, one place that knows
about SQL dialects, and one place where writes become transactions. SQLite (WAL mode) is
the default; PostgreSQL works by URL (``postgresql+psycopg://...``).
"""

from __future__ import annotations

import functools
import gc
import json
import math
import os
import sqlite3
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cairn.errors import ArtifactError, StoreError
from cairn.track import schema as s
from cairn.track.artifacts import BlobStore, check_path, files_to_log, join_path
from cairn.track.buffer import MetricBuffer, MetricRow
from cairn.track.heartbeat import Heartbeat
from cairn.track.prepared import Prepared
from cairn.track.query import plan_search
from cairn.track.series import CHUNK, MetricHistory, pack, unpack
from cairn.track.values import (
    check_key,
    check_step,
    check_timestamp,
    decode_param,
    encode_param,
    metric_value,
)

if TYPE_CHECKING:
    from cairn.track.run import Run

DEFAULT_URL = "sqlite:///.cairn/cairn.db"
RUN_STATUSES = s.RUN_STATUSES
BACKENDS = ("sqlite", "postgresql")
_BLOB_LOCK = 0x6361_6972_6E01  # PostgreSQL advisory lock between artifact writers and gc


def resolve_url(url: str | None = None) -> str:
    """The store URL: the argument, else ``$CAIRN_STORE``, else ``./.cairn/cairn.db``.

    A bare file path is taken as a SQLite database.
    """
    url = url or os.environ.get("CAIRN_STORE") or DEFAULT_URL
    if "://" not in url:
        url = f"sqlite:///{url}"
    return url


class Store:
    """Tracking database and artifact directory behind one URL.

    Metric points logged through a :class:`~cairn.track.run.Run` are buffered and
    written in batches (see :mod:`cairn.track.buffer`); everything else is written
    when it is called. Reads flush this process's buffer first, so a process always
    sees what it logged. Runs this store started beat every ``heartbeat_interval``
    seconds until they end (see :mod:`cairn.track.heartbeat`).
    """

    def __init__(self, url: str | None = None, artifact_root: str | Path | None = None, flush_interval: float = 1.0,
                 heartbeat_interval: float | None = None):
        self.url = resolve_url(url)
        if heartbeat_interval is None:
            heartbeat_interval = _env_seconds("CAIRN_HEARTBEAT_INTERVAL", 10.0)
        self.heartbeat_interval = heartbeat_interval
        self._experiments: dict[str, int] = {}
        try:
            sa_url = sa.engine.make_url(self.url)
        except sa.exc.ArgumentError:
            raise StoreError(f"'{self.url}' is not a valid store URL") from None
        backend = sa_url.get_backend_name()
        if backend not in BACKENDS:
            raise StoreError(f"cairn stores live in SQLite or PostgreSQL, not '{backend}'")
        self.is_sqlite = backend == "sqlite"
        db_file = Path(sa_url.database) if self.is_sqlite and sa_url.database not in (None, "", ":memory:") else None
        if db_file is not None:
            try:
                db_file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the store directory '{db_file.parent}': {exc.strerror}") from None
        default_root = db_file.parent / "artifacts" if db_file is not None else Path(".cairn") / "artifacts"
        self.artifact_root = Path(artifact_root or os.environ.get("CAIRN_ARTIFACTS") or default_root).resolve()
        self.blobs = BlobStore(self.artifact_root)
        self.flush_interval = flush_interval
        self._buffer: MetricBuffer | None = None
        self._heartbeat = Heartbeat(self._beat, heartbeat_interval)
        self.engine = self._make_engine(sa_url)
        try:
            with self.engine.begin() as conn:
                s.migrate(conn)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot open the store at '{self.url}': {_reason(exc)}") from None

    def _make_engine(self, sa_url: sa.engine.URL) -> Engine:
        if not self.is_sqlite:
            try:
                return sa.create_engine(sa_url, pool_pre_ping=True)
            except ImportError as exc:
                raise StoreError(f"the driver for '{sa_url.drivername}' is not installed ({exc.name}); "
                                 "pip install 'cairn-ml[postgres]'") from None
            except sa.exc.NoSuchModuleError:
                raise StoreError(f"'{sa_url.drivername}' is not a database driver cairn can use") from None
        engine = sa.create_engine(sa_url, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, record: Any) -> None:
            dbapi_conn.isolation_level = None  # let BEGIN below control transactions
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=60000")
            _switch_to_wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA case_sensitive_like=ON")  # LIKE as in PostgreSQL
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # Writers take the write lock up front: no lock upgrades, so no "database is
            # locked" deadlocks between concurrent writers, only waiting. Readers take no
            # lock at all (WAL gives them a snapshot), so they never hold writers up.
            begin = "BEGIN" if conn.get_execution_options().get("cairn_read") else "BEGIN IMMEDIATE"
            conn.connection.dbapi_connection.execute(begin)  # type: ignore[union-attr]

        return engine

    def close(self) -> None:
        """Write buffered points and stop beating: runs still open here will expire."""
        self.flush()
        self._heartbeat.stop()
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def __deepcopy__(self, memo: dict[int, Any]) -> Store:
        """The same store: it is a handle on a database, which a copy would share anyway.
        (scikit-learn's ``clone`` deep-copies parameters, such as an estimator's ``store``.)"""
        return self

    def _insert(self, table: sa.Table) -> Any:
        """An INSERT that knows ``ON CONFLICT`` in this store's dialect."""
        if self.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        return insert(table)

    def _json_array(self, *columns: sa.ColumnElement) -> sa.ColumnElement:
        """An aggregate: the group's rows as one JSON array of ``[column, ...]`` arrays.
        Only for text columns: SQLite writes reals into JSON with 15 digits."""
        if self.is_sqlite:
            return sa.func.json_group_array(sa.func.json_array(*columns))
        return sa.cast(sa.func.json_agg(sa.func.json_build_array(*columns)), sa.Text)

    @contextmanager
    def read(self) -> Any:
        """A read-only connection: on SQLite a WAL snapshot that takes no lock, so readers
        (the registry, the UI) never hold up a study that is writing, as a plain
        ``engine.connect()``, which begins with the write lock, would."""
        with self.engine.connect() as conn:
            yield conn.execution_options(cairn_read=True)

    @contextmanager
    def _write(self) -> Any:
        """A write transaction whose constraint violations read as one sentence."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except (sa.exc.IntegrityError, self.engine.dialect.dbapi.IntegrityError) as exc:  # type: ignore[union-attr]
            raise StoreError(f"the store refused the write: {_reason(exc)}") from None

    # -- experiments and studies ----------------------------------------------------

    def experiment_id(self, name: str, conn: Connection | None = None) -> int:
        """The id of experiment ``name``, created on first use."""
        if not isinstance(name, str) or not name:
            raise StoreError(f"an experiment name must be a non-empty string, got {name!r}")
        if name in self._experiments:
            return self._experiments[name]
        with _maybe_begin(self.engine, conn) as c:
            created = c.execute(self._insert(s.experiments).values(name=name, created_at=time.time())
                                .on_conflict_do_nothing(index_elements=["name"])).rowcount
            found = int(c.execute(sa.select(s.experiments.c.id).where(s.experiments.c.name == name)).scalar_one())
        if not created:  # committed before this call, and experiments are never deleted: safe to remember
            self._experiments[name] = found
        return found

    def create_study(self, experiment: str, name: str, strategy: str, seed: int | None,
                     space: Mapping[str, Any], settings: Mapping[str, Any]) -> tuple[int, str]:
        """Create a study and its parent run in one transaction; return both ids."""
        import json

        with self._write() as conn:
            exp_id = self.experiment_id(experiment, conn)
            study_id = int(conn.execute(s.studies.insert().values(
                experiment_id=exp_id, name=name, strategy=strategy, seed=seed,
                space=json.dumps(space), settings=json.dumps(settings, default=str),
                status="running", created_at=time.time())).inserted_primary_key[0])
            run_id = self._insert_run(conn, exp_id, name=name, study_id=study_id)
            conn.execute(s.studies.update().where(s.studies.c.id == study_id).values(parent_run_id=run_id))
            self._insert_params(conn, run_id, {"strategy": strategy, "seed": seed, **settings}, fresh=True)
        self._heartbeat.add(run_id)
        return study_id, run_id

    def reopen_study(self, study_id: int) -> str:
        """Mark an ended or interrupted study running again, for resuming it; return its
        parent run id (running again too, and beating)."""
        with self._write() as conn:
            parent = conn.execute(sa.select(s.studies.c.parent_run_id).where(s.studies.c.id == study_id)).scalar()
            if parent is None:
                raise StoreError(f"there is no study {study_id}")
            conn.execute(s.studies.update().where(s.studies.c.id == study_id).values(status="running"))
            conn.execute(s.runs.update().where(s.runs.c.id == parent)
                         .values(status="running", end_time=None, heartbeat=time.time()))
        self._heartbeat.add(parent)
        return parent

    def end_study(self, study_id: int, status: str) -> None:
        self.flush()
        with self._write() as conn:
            conn.execute(s.studies.update().where(s.studies.c.id == study_id).values(status=status))
            parent = conn.execute(sa.select(s.studies.c.parent_run_id).where(s.studies.c.id == study_id)).scalar()
            if parent:
                self._end_run(conn, parent, status)
        if parent:
            self._heartbeat.discard(parent)

    def study(self, study_id: int | None = None) -> dict[str, Any] | None:
        """A study as a dict (``None`` picks the latest); ``None`` if there is none."""
        import json

        q = sa.select(s.studies, s.experiments.c.name.label("experiment")).join(s.experiments)
        q = q.where(s.studies.c.id == study_id) if study_id is not None else q.order_by(s.studies.c.id.desc()).limit(1)
        with self.read() as conn:
            row = conn.execute(q).mappings().first()
        if row is None:
            return None
        out = dict(row)
        out["space"], out["settings"] = json.loads(out["space"]), json.loads(out["settings"])
        return out

    # -- runs -----------------------------------------------------------------------

    def start_run(self, experiment: str | int = "default", name: str | None = None, parent: str | None = None,
                  study_id: int | None = None, trial_number: int | None = None,
                  params: Mapping[str, Any] | None = None, tags: Mapping[str, Any] | None = None) -> Run:
        """Create a run and return the handle that logs to it."""
        from cairn.track.run import Run

        run_id = self.create_run(experiment, name, study_id, parent, trial_number, params, tags)
        return Run(self, run_id, name)

    def create_run(self, experiment: str | int = "default", name: str | None = None, study_id: int | None = None,
                   parent_run_id: str | None = None, trial_number: int | None = None,
                   params: Mapping[str, Any] | None = None, tags: Mapping[str, Any] | None = None) -> str:
        """Start a run (status ``running``) with its params and tags in one transaction."""
        try:
            with self._write() as conn:
                exp_id = experiment if isinstance(experiment, int) else self.experiment_id(experiment, conn)
                run_id = self._insert_run(conn, exp_id, name, study_id, parent_run_id, trial_number)
                self._insert_params(conn, run_id, params or {}, fresh=True)
                self._upsert_tags(conn, run_id, tags or {})
        except StoreError:
            # The foreign key refused a missing parent; looked up only then, off the hot path.
            if parent_run_id is not None and not self._has_run(parent_run_id):
                raise StoreError(f"there is no run '{parent_run_id}' to be the parent") from None
            raise
        self._heartbeat.add(run_id)
        return run_id

    def _insert_run(self, conn: Connection, experiment_id: int, name: str | None = None, study_id: int | None = None,
                    parent_run_id: str | None = None, trial_number: int | None = None) -> str:
        run_id, now = uuid.uuid4().hex, time.time()
        self._run_insert.run(conn, [{
            "id": run_id, "experiment_id": experiment_id, "study_id": study_id, "parent_run_id": parent_run_id,
            "name": name, "trial_number": trial_number, "status": "running", "start_time": now, "heartbeat": now}])
        return run_id

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        """Record params; logging a param again is fine only with the same value."""
        with self._write() as conn:
            self._insert_params(conn, run_id, params)

    def _insert_params(self, conn: Connection, run_id: str, params: Mapping[str, Any], fresh: bool = False) -> None:
        """``fresh``: the run was created in this transaction, so it has no params yet."""
        rows = {check_key(k, "param"): encode_param(v) for k, v in params.items()}
        if not rows:
            return
        p = s.params.c
        existing = [] if fresh else conn.execute(sa.select(p.key, p.value_type, p.value).where(
            (p.run_id == run_id) & p.key.in_(list(rows)))).all()
        for key, value_type, value in existing:
            if (value_type, value) != rows[key][:2]:
                raise StoreError(f"param '{key}' of run {run_id[:8]} is already {decode_param(value_type, value)!r}; "
                                 "a run's params cannot change")
        known = {key for key, _, _ in existing}
        new = [{"run_id": run_id, "key": k, "value_type": t, "value": text, "value_num": num}
               for k, (t, text, num) in rows.items() if k not in known]
        self._param_insert.run(conn, new)

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        with self._write() as conn:
            self._upsert_tags(conn, run_id, tags)

    def _upsert_tags(self, conn: Connection, run_id: str, tags: Mapping[str, Any]) -> None:
        self._upsert_tags_many(conn, [{"run_id": run_id, "key": check_key(k, "tag"), "value": str(v)}
                                      for k, v in tags.items()])

    def _upsert_tags_many(self, conn: Connection, rows: list[dict[str, str]]) -> None:
        """Set tags given as rows of run_id, key and value (any number of runs)."""
        self._tag_upsert.run(conn, rows)

    # The per-trial statements, compiled once (see cairn.track.prepared).

    @functools.cached_property
    def _run_insert(self) -> Prepared:
        return self._prepare(s.runs.insert(), ["id", "experiment_id", "study_id", "parent_run_id", "name",
                                               "trial_number", "status", "start_time", "heartbeat"])

    @functools.cached_property
    def _param_insert(self) -> Prepared:
        return self._prepare(s.params.insert(), ["run_id", "key", "value_type", "value", "value_num"])

    @functools.cached_property
    def _tag_upsert(self) -> Prepared:
        ins = self._insert(s.tags)
        return self._prepare(ins.on_conflict_do_update(index_elements=["run_id", "key"],
                                                       set_={"value": ins.excluded.value}), ["run_id", "key", "value"])

    @functools.cached_property
    def _chunk_insert(self) -> Prepared:
        return self._prepare(s.metric_chunks.insert(), ["run_id", "key", "n_points", "step_bytes", "value_bytes",
                                                        "time_bytes"])

    @functools.cached_property
    def _latest_upsert(self) -> Prepared:
        ins = self._insert(s.latest_metrics)
        lm, new = s.latest_metrics.c, ins.excluded
        return self._prepare(ins.on_conflict_do_update(
            index_elements=["run_id", "key"],
            set_={"value": new.value, "step": new.step, "timestamp": new.timestamp},
            where=(new.step > lm.step) | ((new.step == lm.step) & (new.timestamp >= lm.timestamp))),
            ["run_id", "key", "value", "step", "timestamp"])

    @functools.cached_property
    def _run_end(self) -> Prepared:
        return self._prepare(s.runs.update().where(s.runs.c.id == sa.bindparam("run_id")).values(
            status=sa.bindparam("status"), end_time=sa.bindparam("end_time")))

    def _prepare(self, statement: Any, keys: list[str] | None = None) -> Prepared:
        return Prepared(statement, self.engine.dialect, keys)

    # -- metrics --------------------------------------------------------------------

    @property
    def buffer(self) -> MetricBuffer:
        """This store's metric buffer (created on first use)."""
        if self._buffer is None:
            self._buffer = MetricBuffer(self.write_metrics, self.flush_interval)
        return self._buffer

    def flush(self) -> None:
        """Write this process's buffered metric points now."""
        if self._buffer is not None:
            self._buffer.flush()

    def log_metrics(self, run_id: str, values: Mapping[str, Any], step: int = 0, timestamp: float | None = None) -> None:
        """Write metric points now (unbuffered); a run handle buffers instead."""
        self.write_metrics(metric_rows(run_id, values, step, timestamp))

    def write_metrics(self, rows: Sequence[MetricRow]) -> None:
        """Append points to the history and advance ``latest_metrics``, in one transaction.

        The latest point of a metric is the one with the highest step, then the latest
        timestamp, whatever order points arrive in.
        """
        if not rows:
            return
        with self._write() as conn:
            self._insert_metrics(conn, rows)

    def _insert_metrics(self, conn: Connection, rows: Sequence[MetricRow]) -> None:
        series: dict[tuple[str, str], list[tuple[int, float | None, float]]] = {}
        newest: dict[tuple[str, str], MetricRow] = {}
        for row in rows:
            key = row[:2]
            series.setdefault(key, []).append((row[3], row[2], row[4]))
            seen = newest.get(key)
            if seen is None or (row[3], row[4]) >= (seen[3], seen[4]):
                newest[key] = row
        chunks = [{"run_id": run_id, "key": key, **pack(points[i : i + CHUNK])}
                  for (run_id, key), points in series.items() for i in range(0, len(points), CHUNK)]
        self._chunk_insert.run(conn, chunks)
        self._latest_upsert.run(conn, [{"run_id": r, "key": k, "value": v, "step": st, "timestamp": ts}
                              for r, k, v, st, ts in newest.values()])

    def metric_history(self, run_id: str, key: str) -> MetricHistory:
        """Every point of one metric of one run, by step (non-finite values as NaN)."""
        self.flush()
        c = s.metric_chunks.c
        q = sa.select(c.step_bytes, c.value_bytes, c.time_bytes).where((c.run_id == run_id) & (c.key == key))
        with self.read() as conn:
            return unpack(conn.execute(q.order_by(c.id)).all())

    # -- ending, reading, searching, deleting runs ----------------------------------

    def end_run(self, run_id: str, status: str = "complete", metrics: Mapping[str, Any] | None = None,
                tags: Mapping[str, Any] | None = None) -> None:
        """Finish a run: final metrics, tags and status land together or not at all.

        Buffered points are written first, so an ended run has all its points.
        """
        final = metric_rows(run_id, metrics or {})

        def write(buffered: list[MetricRow]) -> None:  # one transaction: a trial's end costs one commit
            with self._write() as conn:
                if buffered or final:
                    self._insert_metrics(conn, [*buffered, *final])
                self._upsert_tags(conn, run_id, tags or {})
                self._end_run(conn, run_id, status)

        if self._buffer is None:
            write([])
        else:
            self._buffer.flush(write)
        self._heartbeat.discard(run_id)

    def _end_run(self, conn: Connection, run_id: str, status: str) -> None:
        if status not in RUN_STATUSES:
            raise StoreError(f"unknown run status {status!r}; use one of {', '.join(RUN_STATUSES)}")
        self._run_end.run(conn, [{"run_id": run_id, "status": status, "end_time": time.time()}])

    def runs(self, study_id: int | None = None, parent_run_id: str | None = None,
             run_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Runs with their params, latest metrics and tags, in trial order."""
        q = sa.select(s.runs)
        if study_id is not None:
            q = q.where(s.runs.c.study_id == study_id)
        if parent_run_id is not None:
            q = q.where(s.runs.c.parent_run_id == parent_run_id)
        if run_ids is not None:
            q = q.where(s.runs.c.id.in_(list(run_ids)))
        return self._fetch(q.order_by(s.runs.c.trial_number, s.runs.c.start_time))

    def search_runs(self, filter: str | None = None, experiment: str | Sequence[str] | None = None,
                    order_by: Sequence[str] | None = None, max_results: int | None = 1000,
                    study_id: int | None = None) -> list[dict[str, Any]]:
        """Runs matching a filter (see :mod:`cairn.track.query`), compiled to SQL.

        ``order_by`` items look like ``"metrics.accuracy desc"``; ties and the default
        order are newest first.
        """
        if max_results is not None and (isinstance(max_results, bool) or not isinstance(max_results, int)
                                        or max_results < 1):
            raise StoreError(f"max_results must be a positive integer, got {max_results!r}")
        conditions = []
        if experiment is not None:
            conditions.append(s.runs.c.experiment_id.in_(self._experiment_ids(experiment)))
        if study_id is not None:
            conditions.append(s.runs.c.study_id == study_id)
        return self._fetch(*plan_search(filter, conditions, order_by or ()), limit=max_results)

    def _experiment_ids(self, experiment: str | Sequence[str]) -> list[int]:
        names = [experiment] if isinstance(experiment, str) else list(experiment)
        with self.read() as conn:
            found = dict(conn.execute(sa.select(s.experiments.c.name, s.experiments.c.id)
                                      .where(s.experiments.c.name.in_(names))).all())
        missing = [n for n in names if n not in found]
        if missing:
            raise StoreError(f"there is no experiment '{missing[0]}'")
        return list(found.values())

    def _fetch(self, *queries: sa.Select, limit: int | None = None) -> list[dict[str, Any]]:
        """Runs from queries over ``runs`` (one after the other, at most ``limit``), each
        with its params, latest metrics and tags, read in one snapshot."""
        self.flush()
        p, lm, t = s.params.c, s.latest_metrics.c, s.tags.c
        with self.read() as conn, _gc_paused():
            rows: list[dict[str, Any]] = []
            for q in queries:
                if limit is not None and len(rows) >= limit:
                    break
                q = q if limit is None else q.limit(limit - len(rows))
                rows += [dict(r) for r in conn.execute(q).mappings().all()]
            by_id = {r["id"]: r for r in rows}
            for r in rows:
                r.update(params={}, metrics={}, tags={})
                r["duration"] = (r["end_time"] - r["start_time"]) if r["end_time"] else None
            # .all() fetches in one call; iterating a result would fetch row by row
            # One JSON row per run for text values, not one row per value: most of the time
            # went into building a Python row for each of the ~20 params of a run. Metrics
            # stay rows: SQLite can print no float as text that reads back to the same bits.
            packed_params = self._json_array(p.key, p.value_type, p.value)
            packed_tags = self._json_array(t.key, t.value)
            for chunk in _chunks(list(by_id), 500):
                for run_id, items in conn.execute(sa.select(p.run_id, packed_params)
                                                  .where(p.run_id.in_(chunk)).group_by(p.run_id)).all():
                    by_id[run_id]["params"] = {k: decode_param(kind, v) for k, kind, v in json.loads(items)}
                for run_id, key, value in conn.execute(
                        sa.select(lm.run_id, lm.key, lm.value).where(lm.run_id.in_(chunk))).all():
                    by_id[run_id]["metrics"][key] = math.nan if value is None else value
                for run_id, items in conn.execute(sa.select(t.run_id, packed_tags)
                                                  .where(t.run_id.in_(chunk)).group_by(t.run_id)).all():
                    by_id[run_id]["tags"] = dict(json.loads(items))
        return rows

    def _has_run(self, run_id: str) -> bool:
        with self.read() as conn:
            return conn.execute(sa.select(s.runs.c.id).where(s.runs.c.id == run_id)).first() is not None

    def run(self, run_id: str) -> dict[str, Any]:
        """One run by id or unique id prefix."""
        return self.runs(run_ids=[self.resolve_run_id(run_id)])[0]

    def resolve_run_id(self, run_id: str, conn: Connection | None = None) -> str:
        """The full id of the one run whose id starts with ``run_id``."""
        q = sa.select(s.runs.c.id).where(s.runs.c.id.startswith(str(run_id), autoescape=True)).limit(2)
        if conn is None:
            with self.read() as c:
                ids = list(c.execute(q).scalars())
        else:
            ids = list(conn.execute(q).scalars())
        if len(ids) != 1 or not run_id:
            raise StoreError(f"no run matches '{run_id}'" if not ids else f"run id prefix '{run_id}' is ambiguous")
        return ids[0]

    def count_runs(self) -> int:
        with self.read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(s.runs)).scalar() or 0)

    def delete_runs(self, run_ids: Iterable[str]) -> dict[str, int]:
        """Delete runs with their child runs, their records and every blob only they used.

        Unknown ids change nothing. A study whose parent run goes goes with it. Returns
        the counts of runs and blobs removed and the bytes freed.
        """
        self.flush()
        with self._write() as conn:
            doomed = {self.resolve_run_id(r, conn) for r in run_ids}
            frontier = set(doomed)
            while frontier:
                children = set(conn.execute(sa.select(s.runs.c.id).where(s.runs.c.parent_run_id.in_(frontier))).scalars())
                frontier = children - doomed
                doomed |= frontier
            digests: set[str] = set()
            for chunk in _chunks(sorted(doomed), 500):
                digests |= set(conn.execute(sa.select(s.artifacts.c.digest).where(s.artifacts.c.run_id.in_(chunk))).scalars())
                for table in (s.artifacts, s.tags, s.params, s.metric_chunks, s.latest_metrics):
                    conn.execute(table.delete().where(table.c.run_id.in_(chunk)))
                conn.execute(s.runs.update().where(s.runs.c.id.in_(chunk)).values(parent_run_id=None))
            for chunk in _chunks(sorted(doomed), 500):
                conn.execute(s.runs.delete().where(s.runs.c.id.in_(chunk)))
            orphan_studies = s.studies.delete().where(
                ~sa.exists().where(s.runs.c.study_id == s.studies.c.id)
                & (s.studies.c.parent_run_id.in_(sorted(doomed))))
            conn.execute(orphan_studies)
        self._heartbeat.discard(*doomed)
        blobs, freed = self._reclaim(digests)
        return {"runs": len(doomed), "blobs": blobs, "bytes": freed}

    # -- heartbeats -----------------------------------------------------------------

    def _beat(self, run_ids: Sequence[str]) -> None:
        """Mark this process's live runs as alive now, in one UPDATE."""
        r = s.runs.c
        with self._write() as conn:
            conn.execute(s.runs.update().where(r.id.in_(run_ids) & (r.status == "running"))
                         .values(heartbeat=time.time()))

    def expire_runs(self, lease: float = 60.0) -> list[str]:
        """End as failed every running run with no heartbeat for ``lease`` seconds; return their ids.

        Such a run's process died (a beat comes every ``heartbeat_interval`` seconds, so
        the lease must be a few intervals long). Each gets an ``error`` tag saying so and
        its last heartbeat as end time; a study whose parent run expires becomes
        ``interrupted``. Runs from before heartbeats count from their start time. The
        staleness test is in the UPDATE itself, so a run that beats meanwhile is left alone.
        """
        if not lease > 0:
            raise StoreError(f"the lease must be positive, got {lease}")
        r = s.runs.c
        now = time.time()
        last_beat = sa.func.coalesce(r.heartbeat, r.start_time)
        expire = (s.runs.update().where(s.RUNNING & (last_beat < now - lease))
                  .values(status="failed", end_time=last_beat).returning(r.id, r.end_time))
        with self._write() as conn:
            expired = conn.execute(expire).all()
            self._upsert_tags_many(conn, [
                {"run_id": run_id, "key": "error",
                 "value": f"interrupted: no heartbeat for {now - last:.0f} s (the process running it died)"}
                for run_id, last in expired])
            for chunk in _chunks([run_id for run_id, _ in expired], 500):
                conn.execute(s.studies.update().where(s.studies.c.parent_run_id.in_(chunk)
                                                      & (s.studies.c.status == "running"))
                             .values(status=s.STUDY_INTERRUPTED))
        return [run_id for run_id, _ in expired]

    # -- artifacts ------------------------------------------------------------------

    def log_artifact(self, run_id: str, source: str | Path, name: str | None = None) -> list[dict[str, Any]]:
        """Store a file, or every file under a directory, as artifacts of a run.

        A file is stored at ``name`` (default: its file name); a directory's files at
        ``name/<path inside the directory>`` (default name: the directory's name).
        Returns the artifacts written as dicts of path, digest and size.
        """
        source = Path(source)
        base = check_path(name) if name else check_path(Path(os.path.abspath(source)).name)
        entries = [(file, base if not source.is_dir() else join_path(base, rel)) for file, rel in files_to_log(source)]
        staged = [(path, *self.blobs.stage(file)) for file, path in entries]
        try:
            with self._write() as conn:
                if conn.execute(sa.select(s.runs.c.id).where(s.runs.c.id == run_id)).first() is None:
                    raise StoreError(f"there is no run '{run_id}'")
                self._lock_blobs(conn, exclusive=False)
                for _, digest, _, tmp in staged:
                    self.blobs.publish(tmp, digest)
                rows = [{"run_id": run_id, "path": path, "digest": digest, "size": size}
                        for path, digest, size, _ in staged]
                ins = self._insert(s.artifacts)
                conn.execute(ins.on_conflict_do_update(
                    index_elements=["run_id", "path"], set_={"digest": ins.excluded.digest, "size": ins.excluded.size}), rows)
        finally:
            for *_, tmp in staged:
                tmp.unlink(missing_ok=True)
        return [{"path": path, "digest": digest, "size": size} for path, digest, size, _ in staged]

    def artifacts(self, run_id: str, path: str | None = None) -> list[dict[str, Any]]:
        """A run's artifacts (all, or the file or folder at ``path``) as path, digest, size."""
        a = s.artifacts.c
        q = sa.select(a.path, a.digest, a.size).where(a.run_id == run_id)
        if path:
            path = check_path(path.rstrip("/"))
            q = q.where((a.path == path) | a.path.startswith(path + "/", autoescape=True))
        with self.read() as conn:
            return [dict(r) for r in conn.execute(q.order_by(a.path)).mappings()]

    def artifact_path(self, run_id: str, name: str) -> Path:
        """Where the blob behind a run's artifact lives on disk."""
        found = [a for a in self.artifacts(run_id, name) if a["path"] == name]
        if not found:
            raise ArtifactError(f"run '{run_id}' has no artifact '{name}'")
        return self.blobs.path(found[0]["digest"])

    def download_artifacts(self, run_id: str, path: str | None, dst: str | Path) -> Path:
        """Copy a run's artifact (a file or a folder; all when ``path`` is empty) under ``dst``.

        Files keep their paths relative to the run, so ``dst/<path>`` is returned.
        """
        found = self.artifacts(run_id, path)
        if not found:
            raise ArtifactError(f"run '{run_id}' has no artifact '{path}'" if path else f"run '{run_id}' has no artifacts")
        root = Path(dst).resolve()
        for a in found:
            target = root / check_path(a["path"])
            if not target.resolve().is_relative_to(root):
                raise ArtifactError(f"'{target}' leads outside '{root}' through a link; not writing there")
            self.blobs.copy_out(a["digest"], target)
        return root / path.rstrip("/") if path else root

    def gc(self) -> dict[str, int]:
        """Remove every blob no artifact (or other reference) names; return counts and bytes."""
        self.blobs.remove_stale_staging()
        blobs, freed = self._reclaim(None)
        return {"blobs": blobs, "bytes": freed}

    def _reclaim(self, candidates: Iterable[str] | None) -> tuple[int, int]:
        """Delete the candidate blobs (all on disk when ``None``) that nothing references.

        Runs under the lock artifact writers take, so a blob cannot gain a reference
        between the check and the unlink.
        """
        removed = freed = 0
        with self.engine.begin() as conn:
            self._lock_blobs(conn, exclusive=True)
            targets = self.blobs.digests() if candidates is None else set(candidates)
            for column in s.BLOB_REFERENCES:
                for chunk in _chunks(sorted(targets), 500):
                    targets -= set(conn.execute(sa.select(column).where(column.in_(chunk)).distinct()).scalars())
            for digest in targets:
                size = self.blobs.remove(digest)
                if size is not None:
                    removed, freed = removed + 1, freed + size
        return removed, freed

    def _lock_blobs(self, conn: Connection, exclusive: bool) -> None:
        # SQLite transactions here already hold the one write lock (BEGIN IMMEDIATE).
        if not self.is_sqlite:
            fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
            conn.execute(sa.text(f"SELECT {fn}(:key)"), {"key": _BLOB_LOCK})




def metric_rows(run_id: str, values: Mapping[str, Any], step: int = 0, timestamp: float | None = None) -> list[MetricRow]:
    """Checked metric points for one run, one step and one time."""
    step = check_step(step)
    ts = time.time() if timestamp is None else check_timestamp(timestamp)
    return [(run_id, check_key(k, "metric"), metric_value(k, v), step, ts) for k, v in values.items()]


class _maybe_begin:
    """Use the caller's transaction if given, else open (and commit) a new one."""

    def __init__(self, engine: Engine, conn: Connection | None):
        self.engine, self.conn, self._ctx = engine, conn, None

    def __enter__(self) -> Connection:
        if self.conn is not None:
            return self.conn
        self._ctx = self.engine.begin()
        return self._ctx.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if self._ctx is not None:
            self._ctx.__exit__(*exc)


@contextmanager
def _gc_paused() -> Any:
    """Hold off the cyclic garbage collector while building many small dicts.

    They form no cycles, but creating tens of thousands of objects triggers collections
    that walk every object of the process; in a big process that was most of a search.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _switch_to_wal(cursor: Any, patience: float = 60.0) -> None:
    """Put a SQLite file in WAL mode, waiting out other processes doing the same.

    On a fresh file the switch needs an exclusive lock, and SQLite answers "database is
    locked" at once (without its busy handler, to avoid a deadlock) when several
    processes try it together; no transaction is open, so trying again is safe.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _reason(exc: sa.exc.SQLAlchemyError) -> str:
    """The first line of the driver's message."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _env_seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment (tests shorten intervals so)."""
    text = os.environ.get(name)
    try:
        value = float(text) if text else default
    except ValueError:
        raise StoreError(f"{name} must be a number of seconds, got {text!r}") from None
    if not value > 0:
        raise StoreError(f"{name} must be positive, got {text!r}")
    return value


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
