"""The Store: one tracking database plus a content-addressed artifact directory.

Every subsystem records through this class, so there is one schema, one place that knows
about SQL dialects, and one place where writes become transactions. SQLite (WAL mode) is
the default; any SQLAlchemy URL works.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cairn.errors import StoreError
from cairn.track import schema as s

DEFAULT_URL = "sqlite:///.cairn/cairn.db"
RUN_STATUSES = ("running", "complete", "failed", "pruned", "killed")


def resolve_url(url: str | None = None) -> str:
    """The store URL: the argument, else ``$CAIRN_STORE``, else ``./.cairn/cairn.db``.

    A bare file path is taken as a SQLite database.
    """
    url = url or os.environ.get("CAIRN_STORE") or DEFAULT_URL
    if "://" not in url:
        url = f"sqlite:///{url}"
    return url


def encode_param(value: Any) -> tuple[str, str | None, float | None]:
    """Split a parameter value into (type, text, number) so types survive the round trip."""
    if value is None:
        return "none", None, None
    if isinstance(value, bool):
        return "bool", "true" if value else "false", float(value)
    if isinstance(value, int) or type(value).__name__.startswith(("int", "uint")):
        return "int", str(int(value)), float(value)
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        return "float", repr(float(value)), float(value)
    return "str", str(value), None


def decode_param(value_type: str, value: str | None) -> Any:
    if value_type == "none":
        return None
    if value_type == "bool":
        return value == "true"
    if value_type == "int":
        return int(value)  # type: ignore[arg-type]
    if value_type == "float":
        return float(value)  # type: ignore[arg-type]
    return value


class Store:
    """Tracking database and artifact directory behind one URL."""

    def __init__(self, url: str | None = None, artifact_root: str | Path | None = None):
        self.url = resolve_url(url)
        try:
            sa_url = sa.engine.make_url(self.url)
        except sa.exc.ArgumentError:
            raise StoreError(f"'{self.url}' is not a valid store URL") from None
        self.is_sqlite = sa_url.get_backend_name() == "sqlite"
        db_file = Path(sa_url.database) if self.is_sqlite and sa_url.database not in (None, "", ":memory:") else None
        if db_file is not None:
            try:
                db_file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the store directory '{db_file.parent}': {exc.strerror}") from None
        default_root = db_file.parent / "artifacts" if db_file is not None else Path(".cairn") / "artifacts"
        self.artifact_root = Path(artifact_root or os.environ.get("CAIRN_ARTIFACTS") or default_root).resolve()
        self.engine = self._make_engine(sa_url)
        try:
            with self.engine.begin() as conn:
                s.migrate(conn)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot open the store at '{self.url}': {exc.orig if hasattr(exc, 'orig') else exc}") from None

    def _make_engine(self, sa_url: sa.engine.URL) -> Engine:
        if not self.is_sqlite:
            try:
                return sa.create_engine(sa_url, pool_pre_ping=True)
            except ImportError as exc:
                raise StoreError(f"the driver for '{sa_url.get_backend_name()}' is not installed ({exc.name})") from None
            except sa.exc.NoSuchModuleError:
                raise StoreError(f"'{sa_url.get_backend_name()}' is not a database cairn can use") from None
        engine = sa.create_engine(sa_url, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, record: Any) -> None:
            dbapi_conn.isolation_level = None  # let BEGIN below control transactions
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # Take the write lock up front: no lock upgrades, so no "database is locked"
            # deadlocks between concurrent writers, only waiting.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    # -- experiments and studies ----------------------------------------------------

    def experiment_id(self, name: str, conn: Connection | None = None) -> int:
        """The id of experiment ``name``, created on first use."""
        with _maybe_begin(self.engine, conn) as c:
            found = c.execute(sa.select(s.experiments.c.id).where(s.experiments.c.name == name)).scalar()
            if found is not None:
                return int(found)
            return int(c.execute(s.experiments.insert().values(name=name, created_at=time.time())).inserted_primary_key[0])

    def create_study(self, experiment: str, name: str, strategy: str, seed: int | None,
                     space: Mapping[str, Any], settings: Mapping[str, Any]) -> tuple[int, str]:
        """Create a study and its parent run in one transaction; return both ids."""
        with self.engine.begin() as conn:
            exp_id = self.experiment_id(experiment, conn)
            study_id = int(conn.execute(s.studies.insert().values(
                experiment_id=exp_id, name=name, strategy=strategy, seed=seed,
                space=json.dumps(space), settings=json.dumps(settings, default=str),
                status="running", created_at=time.time())).inserted_primary_key[0])
            run_id = self._insert_run(conn, exp_id, name=name, study_id=study_id)
            conn.execute(s.studies.update().where(s.studies.c.id == study_id).values(parent_run_id=run_id))
            self._insert_params(conn, run_id, {"strategy": strategy, "seed": seed, **settings})
        return study_id, run_id

    def end_study(self, study_id: int, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(s.studies.update().where(s.studies.c.id == study_id).values(status=status))
            parent = conn.execute(sa.select(s.studies.c.parent_run_id).where(s.studies.c.id == study_id)).scalar()
            if parent:
                self._end_run(conn, parent, status)

    def study(self, study_id: int | None = None) -> dict[str, Any] | None:
        """A study as a dict (``None`` picks the latest); ``None`` if there is none."""
        q = sa.select(s.studies, s.experiments.c.name.label("experiment")).join(s.experiments)
        q = q.where(s.studies.c.id == study_id) if study_id is not None else q.order_by(s.studies.c.id.desc()).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(q).mappings().first()
        if row is None:
            return None
        out = dict(row)
        out["space"], out["settings"] = json.loads(out["space"]), json.loads(out["settings"])
        return out

    # -- runs -----------------------------------------------------------------------

    def create_run(self, experiment: str | int = "default", name: str | None = None, study_id: int | None = None,
                   parent_run_id: str | None = None, trial_number: int | None = None,
                   params: Mapping[str, Any] | None = None, tags: Mapping[str, str] | None = None) -> str:
        """Start a run (status ``running``) with its params and tags in one transaction."""
        with self.engine.begin() as conn:
            exp_id = experiment if isinstance(experiment, int) else self.experiment_id(experiment, conn)
            run_id = self._insert_run(conn, exp_id, name, study_id, parent_run_id, trial_number)
            self._insert_params(conn, run_id, params or {})
            self._upsert_tags(conn, run_id, tags or {})
        return run_id

    def _insert_run(self, conn: Connection, experiment_id: int, name: str | None = None, study_id: int | None = None,
                    parent_run_id: str | None = None, trial_number: int | None = None) -> str:
        run_id = uuid.uuid4().hex
        conn.execute(s.runs.insert().values(
            id=run_id, experiment_id=experiment_id, study_id=study_id, parent_run_id=parent_run_id,
            name=name, trial_number=trial_number, status="running", start_time=time.time()))
        return run_id

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        with self.engine.begin() as conn:
            self._insert_params(conn, run_id, params)

    def _insert_params(self, conn: Connection, run_id: str, params: Mapping[str, Any]) -> None:
        rows = []
        for key, value in params.items():
            vtype, text, num = encode_param(value)
            rows.append({"run_id": run_id, "key": str(key), "value_type": vtype, "value": text, "value_num": num})
        if rows:
            conn.execute(s.params.insert(), rows)

    def log_metrics(self, run_id: str, values: Mapping[str, float], step: int = 0, timestamp: float | None = None) -> None:
        with self.engine.begin() as conn:
            self._insert_metrics(conn, run_id, values, step, timestamp)

    def _insert_metrics(self, conn: Connection, run_id: str, values: Mapping[str, float], step: int = 0,
                        timestamp: float | None = None) -> None:
        ts = time.time() if timestamp is None else timestamp
        rows = [{"run_id": run_id, "key": str(k), "value": _finite_or_none(v), "step": int(step), "timestamp": ts}
                for k, v in values.items()]
        if rows:
            conn.execute(s.metrics.insert(), rows)

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        with self.engine.begin() as conn:
            self._upsert_tags(conn, run_id, tags)

    def _upsert_tags(self, conn: Connection, run_id: str, tags: Mapping[str, Any]) -> None:
        for key, value in tags.items():
            conn.execute(s.tags.delete().where((s.tags.c.run_id == run_id) & (s.tags.c.key == str(key))))
            conn.execute(s.tags.insert().values(run_id=run_id, key=str(key), value=str(value)))

    def end_run(self, run_id: str, status: str = "complete", metrics: Mapping[str, float] | None = None,
                tags: Mapping[str, Any] | None = None) -> None:
        """Finish a run: final metrics, tags and status land together or not at all."""
        with self.engine.begin() as conn:
            self._insert_metrics(conn, run_id, metrics or {})
            self._upsert_tags(conn, run_id, tags or {})
            self._end_run(conn, run_id, status)

    def _end_run(self, conn: Connection, run_id: str, status: str) -> None:
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        conn.execute(s.runs.update().where(s.runs.c.id == run_id).values(status=status, end_time=time.time()))

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
        q = q.order_by(s.runs.c.trial_number, s.runs.c.start_time)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(q).mappings()]
            ids = [r["id"] for r in rows]
            by_id = {r["id"]: r for r in rows}
            for r in rows:
                r.update(params={}, metrics={}, tags={})
                r["duration"] = (r["end_time"] - r["start_time"]) if r["end_time"] else None
            for chunk in _chunks(ids, 500):
                for p in conn.execute(sa.select(s.params).where(s.params.c.run_id.in_(chunk))).mappings():
                    by_id[p["run_id"]]["params"][p["key"]] = decode_param(p["value_type"], p["value"])
                mq = sa.select(s.metrics).where(s.metrics.c.run_id.in_(chunk)).order_by(s.metrics.c.step, s.metrics.c.id)
                for m in conn.execute(mq).mappings():
                    by_id[m["run_id"]]["metrics"][m["key"]] = m["value"] if m["value"] is not None else math.nan
                for t in conn.execute(sa.select(s.tags).where(s.tags.c.run_id.in_(chunk))).mappings():
                    by_id[t["run_id"]]["tags"][t["key"]] = t["value"]
        return rows

    def run(self, run_id: str) -> dict[str, Any]:
        """One run by id or unique id prefix."""
        with self.engine.connect() as conn:
            ids = list(conn.execute(sa.select(s.runs.c.id).where(s.runs.c.id.like(f"{run_id}%")).limit(2)).scalars())
        if len(ids) != 1:
            raise StoreError(f"no run matches '{run_id}'" if not ids else f"run id prefix '{run_id}' is ambiguous")
        return self.runs(run_ids=ids)[0]

    # -- artifacts ------------------------------------------------------------------

    def log_artifact(self, run_id: str, source: str | Path, name: str | None = None) -> str:
        """Copy a file into the content-addressed blob store and link it to the run."""
        source = Path(source)
        digest, size = _sha256(source), source.stat().st_size
        blob = self._blob_path(digest)
        if not blob.exists():
            blob.parent.mkdir(parents=True, exist_ok=True)
            tmp = blob.with_suffix(f".tmp{uuid.uuid4().hex}")
            shutil.copyfile(source, tmp)
            os.replace(tmp, blob)
        rel = name or source.name
        with self.engine.begin() as conn:
            conn.execute(s.artifacts.delete().where((s.artifacts.c.run_id == run_id) & (s.artifacts.c.path == rel)))
            conn.execute(s.artifacts.insert().values(run_id=run_id, path=rel, digest=digest, size=size))
        return digest

    def artifact_path(self, run_id: str, name: str) -> Path:
        """Where the blob behind a run's artifact lives on disk."""
        with self.engine.connect() as conn:
            digest = conn.execute(sa.select(s.artifacts.c.digest).where(
                (s.artifacts.c.run_id == run_id) & (s.artifacts.c.path == name))).scalar()
        if digest is None:
            raise StoreError(f"run '{run_id}' has no artifact '{name}'")
        return self._blob_path(digest)

    def artifacts(self, run_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            q = sa.select(s.artifacts).where(s.artifacts.c.run_id == run_id).order_by(s.artifacts.c.path)
            return [dict(r) for r in conn.execute(q).mappings()]

    def _blob_path(self, digest: str) -> Path:
        return self.artifact_root / digest[:2] / digest

    def count_runs(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(s.runs)).scalar() or 0)


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


def _finite_or_none(value: float) -> float | None:
    v = float(value)
    return v if math.isfinite(v) else None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
