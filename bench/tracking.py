"""Tracking speed: cairn's store beside MLflow's, both on SQLite, same machine and process.

(a) logging metric points one call at a time from one process: points/s and p99 latency
    per call (MLflow synchronous, its default, and asynchronous, ``synchronous=False``);
(b) ``search_runs`` over 10,000 runs x 20 params x 10 metrics with an and/or filter;
(c) reading a 100k-point metric history;
(d) 8 processes logging to one store at once: rows lost and errors.

MLflow's filter language has no ``or`` and no parentheses, so for (b) MLflow runs one
query per branch and the results are merged in Python, as a user would have to.

    python bench/tracking.py            # the full comparison (several minutes)
    python bench/tracking.py --quick    # a small version
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # nothing leaves the machine
os.environ.setdefault("DO_NOT_TRACK", "true")

SEED = 0
FILTER = "metrics.m0 > 0.5 and (params.p0 = 'a' or params.p1 = 'b')"
MLFLOW_BRANCHES = ["metrics.m0 > 0.5 and params.p0 = 'a'", "metrics.m0 > 0.5 and params.p1 = 'b'"]
FULL = {"points": 1_000_000, "mlflow_points": 2_000, "runs": 10_000, "searches": 20, "history": 100_000,
        "writer_runs": 5, "writer_points": 2_000, "mlflow_writer_runs": 2, "mlflow_writer_points": 25}
QUICK = {"points": 20_000, "mlflow_points": 100, "runs": 500, "searches": 5, "history": 10_000,
         "writer_runs": 2, "writer_points": 200, "mlflow_writer_runs": 1, "mlflow_writer_points": 5}


def quiet_mlflow():
    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    import mlflow

    return mlflow


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


# -- (a) logging from one process --------------------------------------------------

def cairn_logging(root: Path, n: int) -> dict:
    from cairn.track import Store

    store = Store(f"sqlite:///{root / 'log.db'}")
    values = np.random.default_rng(SEED).random(n).tolist()
    latencies = np.empty(n)
    clock = time.perf_counter_ns
    start = time.perf_counter()
    with store.start_run("bench", "logging") as run:
        log = run.log_metric
        for i, v in enumerate(values):
            t = clock()
            log("loss", v, i)
            latencies[i] = clock() - t
    seconds = time.perf_counter() - start  # includes the final flush at run end
    assert len(store.metric_history(run.id, "loss")) == n
    return {"n": n, "rate": n / seconds, "p99_us": percentile(latencies, 99) / 1e3, "seconds": seconds}


def mlflow_logging(root: Path, n: int, synchronous: bool) -> dict:
    mlflow = quiet_mlflow()
    mlflow.set_tracking_uri(f"sqlite:///{root / ('mlflow-sync.db' if synchronous else 'mlflow-async.db')}")
    mlflow.set_experiment("bench")
    values = np.random.default_rng(SEED).random(n).tolist()
    latencies = np.empty(n)
    clock = time.perf_counter_ns
    start = time.perf_counter()
    with mlflow.start_run() as run:
        for i, v in enumerate(values):
            t = clock()
            mlflow.log_metric("loss", v, step=i, synchronous=synchronous)
            latencies[i] = clock() - t
    seconds = time.perf_counter() - start  # includes draining the async queue at run end
    got = len(mlflow.MlflowClient().get_metric_history(run.info.run_id, "loss"))
    assert got == n, (got, n)
    return {"n": n, "rate": n / seconds, "p99_us": percentile(latencies, 99) / 1e3, "seconds": seconds}


# -- (b) search over many runs -----------------------------------------------------

def run_data(n_runs: int) -> list[tuple[dict, dict]]:
    rng = np.random.default_rng(SEED)
    out = []
    for _ in range(n_runs):
        params = {"p0": str(rng.choice(list("abcd"))), "p1": str(rng.choice(list("abcd")))}
        params.update({f"p{j}": float(rng.random()) for j in range(2, 11)})
        params.update({f"p{j}": int(rng.integers(0, 1000)) for j in range(11, 20)})
        out.append((params, {f"m{j}": float(rng.random()) for j in range(10)}))
    return out


def populate_cairn(store, data: list) -> None:
    for i, (params, metrics) in enumerate(data):
        store.start_run("search", f"run-{i}", params=params).end("complete", metrics=metrics)


def populate_mlflow(uri: str, data: list) -> str:
    """Bulk-insert through MLflow's own ORM models (the client would take an hour here)."""
    mlflow = quiet_mlflow()
    from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlMetric, SqlParam, SqlRun
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    mlflow.set_tracking_uri(uri)
    exp_id = mlflow.set_experiment("search").experiment_id
    store = SqlAlchemyStore(uri, str(Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts"))
    now = int(time.time() * 1000)
    with store.ManagedSessionMaker() as session:
        for i, (params, metrics) in enumerate(data):
            rid = uuid.uuid4().hex
            session.add(SqlRun(run_uuid=rid, name=f"run-{i}", source_type="LOCAL", source_name="", entry_point_name="",
                               user_id="bench", status="FINISHED", start_time=now + i, end_time=now + i + 1,
                               source_version="", lifecycle_stage="active", artifact_uri="", experiment_id=int(exp_id)))
            session.add_all([SqlParam(run_uuid=rid, key=k, value=str(v)) for k, v in params.items()])
            for k, v in metrics.items():
                session.add(SqlMetric(run_uuid=rid, key=k, value=v, timestamp=now, step=0, is_nan=False))
                session.add(SqlLatestMetric(run_uuid=rid, key=k, value=v, timestamp=now, step=0, is_nan=False))
    return exp_id


def expected_matches(data: list) -> set[str]:
    return {f"run-{i}" for i, (p, m) in enumerate(data) if m["m0"] > 0.5 and (p["p0"] == "a" or p["p1"] == "b")}


def search_cairn(store, max_results: int) -> list[dict]:
    return store.search_runs(FILTER, experiment="search", order_by=["metrics.m0 desc"], max_results=max_results)


def search_mlflow(client, exp_id: str, max_results: int) -> list:
    merged = {}
    for branch in MLFLOW_BRANCHES:
        for run in client.search_runs([exp_id], branch, max_results=max_results, order_by=["metrics.m0 DESC"]):
            merged[run.info.run_id] = run
    return sorted(merged.values(), key=lambda r: -r.data.metrics["m0"])[:max_results]


def timed(fn, repeats: int) -> list[float]:
    fn()  # warm up caches and connections
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def search_bench(root: Path, cfg: dict) -> dict:
    from cairn.track import Store

    data = run_data(cfg["runs"])
    store = Store(f"sqlite:///{root / 'search.db'}")
    t = time.perf_counter()
    populate_cairn(store, data)
    fill_cairn = time.perf_counter() - t
    mlflow = quiet_mlflow()
    uri = f"sqlite:///{root / 'mlflow-search.db'}"
    exp_id = populate_mlflow(uri, data)
    client = mlflow.MlflowClient(uri)
    want = expected_matches(data)
    out = {"fill_cairn": fill_cairn, "matches": len(want)}
    for k in (100, 1000):
        got_cairn = search_cairn(store, k)
        got_mlflow = search_mlflow(client, exp_id, k)
        assert [r["name"] for r in got_cairn] == [r.info.run_name for r in got_mlflow], "different answers"
        assert {r["name"] for r in got_cairn} <= want and len(got_cairn) == min(k, len(want))
        out[k] = {"cairn": timed(lambda k=k: search_cairn(store, k), cfg["searches"]),
                  "mlflow": timed(lambda k=k: search_mlflow(client, exp_id, k), cfg["searches"])}
    return out


# -- (c) reading a long history ----------------------------------------------------

def history_bench(root: Path, n: int, repeats: int = 5) -> dict:
    from cairn.track import Store

    values = np.random.default_rng(SEED).random(n).tolist()
    store = Store(f"sqlite:///{root / 'history.db'}")
    with store.start_run("history") as run:
        for i, v in enumerate(values):
            run.log_metric("loss", v, i)
    mlflow = quiet_mlflow()
    from mlflow.entities import Metric

    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow-history.db'}")
    mlflow.set_experiment("history")
    client = mlflow.MlflowClient()
    with mlflow.start_run() as mrun:
        now = int(time.time() * 1000)
        for lo in range(0, n, 1000):
            client.log_batch(mrun.info.run_id, metrics=[Metric("loss", values[i], now, i) for i in range(lo, min(n, lo + 1000))])
    assert len(store.metric_history(run.id, "loss")) == n == len(client.get_metric_history(mrun.info.run_id, "loss"))
    return {"cairn": timed(lambda: store.metric_history(run.id, "loss"), repeats),
            "cairn_tuples": timed(lambda: list(store.metric_history(run.id, "loss")), repeats),
            "mlflow": timed(lambda: client.get_metric_history(mrun.info.run_id, "loss"), repeats)}


# -- (d) concurrent writers --------------------------------------------------------

def cairn_writer(url: str, worker: int, runs: int, points: int, start, results) -> None:
    from cairn.track import Store

    ok = errors = 0
    try:
        store = Store(url)
        start.wait()
        for r in range(runs):
            with store.start_run("writers", f"w{worker}-{r}", params={"worker": worker}) as run:
                for step in range(points):
                    try:
                        run.log_metric("loss", 1.0 / (step + 1), step)
                        ok += 1
                    except Exception:  # noqa: BLE001 - counted, not hidden
                        errors += 1
    except Exception:  # noqa: BLE001
        errors += 1
        start.abort()  # a writer that fails before the start must not leave the others waiting
    results.put((ok, errors))


def mlflow_writer(uri: str, worker: int, runs: int, points: int, start, results) -> None:
    ok = errors = 0
    try:
        mlflow = quiet_mlflow()
        mlflow.set_tracking_uri(uri)
        client = mlflow.MlflowClient()
        exp_id = client.get_experiment_by_name("writers").experiment_id
        start.wait()
        for r in range(runs):
            try:
                run_id = client.create_run(exp_id, run_name=f"w{worker}-{r}").info.run_id
            except Exception:  # noqa: BLE001
                errors += 1
                continue
            for step in range(points):
                try:
                    client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
                    ok += 1
                except Exception:  # noqa: BLE001
                    errors += 1
            try:
                client.set_terminated(run_id)
            except Exception:  # noqa: BLE001
                errors += 1
    except Exception:  # noqa: BLE001
        errors += 1
        start.abort()  # a writer that fails before the start must not leave the others waiting
    results.put((ok, errors))


def run_writers(target, url: str, runs: int, points: int, n: int = 8) -> dict:
    ctx = mp.get_context("spawn")
    start, results = ctx.Barrier(n + 1), ctx.Queue()  # the clock starts when every writer is ready
    procs = [ctx.Process(target=target, args=(url, w, runs, points, start, results)) for w in range(n)]
    for p in procs:
        p.start()
    try:
        start.wait()
    except threading.BrokenBarrierError:
        pass  # a writer failed to start; it reports an error
    t = time.perf_counter()
    outcomes = [results.get(timeout=1800) for _ in procs]
    seconds = time.perf_counter() - t
    for p in procs:
        p.join(60)
    ok, errors = sum(o[0] for o in outcomes), sum(o[1] for o in outcomes)
    return {"attempted": n * runs * points, "ok": ok, "errors": errors + sum(p.exitcode != 0 for p in procs),
            "seconds": seconds}


def writers_bench(root: Path, cfg: dict) -> dict:
    from cairn.track import Store

    url = f"sqlite:///{root / 'writers.db'}"
    Store(url)
    cairn = run_writers(cairn_writer, url, cfg["writer_runs"], cfg["writer_points"])
    st = Store(url)
    cairn["stored"] = sum(len(st.metric_history(r["id"], "loss"))
                          for r in st.search_runs("", experiment="writers", max_results=None))
    mlflow = quiet_mlflow()
    muri = f"sqlite:///{root / 'mlflow-writers.db'}"
    mlflow.MlflowClient(muri).create_experiment("writers")
    ml = run_writers(mlflow_writer, muri, cfg["mlflow_writer_runs"], cfg["mlflow_writer_points"])
    with sqlite3.connect(root / "mlflow-writers.db") as conn:
        ml["stored"] = conn.execute("SELECT count(*) FROM metrics WHERE key = 'loss'").fetchone()[0]
    return {"cairn": cairn, "mlflow": ml}


# -- the table ---------------------------------------------------------------------

def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    import mlflow

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    if subprocess.run(["git", "status", "--porcelain", "src"], capture_output=True, text=True).stdout.strip():
        commit += " + uncommitted changes"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu}, {os.cpu_count()} cores (shared; load {load:.1f} at start), Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, MLflow {mlflow.__version__}, cairn at {commit or '?'}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def table(cfg: dict, note: str, log: dict, search: dict, history: dict, writers: dict) -> str:
    c, ms_sync, ms_async = log["cairn"], log["mlflow_sync"], log["mlflow_async"]
    rows = [
        "| measure | cairn | MLflow | cairn vs MLflow |",
        "|---|---|---|---|",
        f"| (a) logging, points/s (one call per point) | {c['rate']:,.0f} ({c['n']:,} points) "
        f"| {ms_sync['rate']:,.0f} ({ms_sync['n']:,} points, synchronous; extrapolated: {c['n']:,} points would take "
        f"{c['n'] / ms_sync['rate'] / 3600:.1f} h) | {c['rate'] / ms_sync['rate']:,.0f}x |",
        f"| (a) logging, points/s, MLflow `synchronous=False` | | {ms_async['rate']:,.0f} ({ms_async['n']:,} points) "
        f"| {c['rate'] / ms_async['rate']:,.0f}x |",
        f"| (a) p99 latency of one call | {c['p99_us']:.1f} µs | {ms_sync['p99_us'] / 1000:.1f} ms synchronous, "
        f"{ms_async['p99_us'] / 1000:.2f} ms async | {ms_sync['p99_us'] / c['p99_us']:,.0f}x lower |",
    ]
    for k in (100, 1000):
        cs, ml = search[k]["cairn"], search[k]["mlflow"]
        rows.append(f"| (b) search_runs, {cfg['runs']:,} runs, max_results={k}: p50 / p95 | {ms(statistics.median(cs))} / "
                    f"{ms(percentile(cs, 95))} | {ms(statistics.median(ml))} / {ms(percentile(ml, 95))} "
                    f"| {statistics.median(ml) / statistics.median(cs):,.1f}x |")
    h = {k: statistics.median(v) for k, v in history.items()}
    rows.append(f"| (c) read a {cfg['history']:,}-point history (median of 5) | {ms(h['cairn'])} (arrays); "
                f"{ms(h['cairn_tuples'])} as a list of tuples | {ms(h['mlflow'])} (list of Metric) "
                f"| {h['mlflow'] / h['cairn']:,.0f}x ({h['mlflow'] / h['cairn_tuples']:,.0f}x as tuples) |")
    wc, wm = writers["cairn"], writers["mlflow"]
    rows.append(f"| (d) 8 writer processes: points lost / errors | {wc['ok'] - wc['stored']} lost / {wc['errors']} errors "
                f"({wc['attempted']:,} points in {wc['seconds']:.1f} s) | {wm['ok'] - wm['stored']} lost / "
                f"{wm['errors']} errors ({wm['attempted']:,} points tried, {wm['ok']:,} accepted, in {wm['seconds']:.1f} s) | |")
    return "\n".join([
        f"Seed {SEED}; one process per side for (a)-(c), the same machine and Python process, SQLite for both: "
        "cairn's store (WAL) and MLflow's `sqlite:///` tracking URI in a temp dir.",
        f"Machine: {note}.",
        "",
        *rows,
        "",
        f"(a) MLflow cannot log {cfg['points']:,} points one call at a time within minutes here, so it logged "
        f"{cfg['mlflow_points']:,} points per mode and its rate is measured on those; cairn's time includes the "
        "final flush when the run ends, MLflow async's includes draining its queue. Latency is timed around "
        "each call with `perf_counter_ns`.",
        f"(b) Filter `{FILTER}` ordered by `metrics.m0 desc`; {search['matches']:,} runs match. MLflow has no "
        "`or`/parentheses, so it runs the two and-branches and merges them in Python; both sides return the same "
        f"runs in the same order (checked). {cfg['searches']} timed searches after one warm-up. MLflow's runs "
        f"were bulk-inserted through its own ORM models; cairn's through its API ({search['fill_cairn']:.0f} s).",
        "(c) cairn returns parallel arrays (steps, values, timestamps); the tuple column includes turning them "
        "into a list of Python tuples. MLflow's points were written with `log_batch` (1,000 per call).",
        f"(d) Each cairn process logs {cfg['writer_runs']} runs x {cfg['writer_points']:,} points through its "
        f"buffer; each MLflow process {cfg['mlflow_writer_runs']} runs x {cfg['mlflow_writer_points']} points with "
        "`MlflowClient.log_metric`. Lost = calls that returned without error minus points found in the database.",
    ]) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small version (about a minute)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "tracking.md")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    note = machine()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        log = {"cairn": cairn_logging(root, cfg["points"]),
               "mlflow_sync": mlflow_logging(root, cfg["mlflow_points"], synchronous=True),
               "mlflow_async": mlflow_logging(root, cfg["mlflow_points"], synchronous=False)}
        print("logging done", log, flush=True)
        search = search_bench(root, cfg)
        print("search done", flush=True)
        history = history_bench(root, cfg["history"])
        print("history done", flush=True)
        writers = writers_bench(root, cfg)
        print("writers done", writers, flush=True)
    command = "python bench/tracking.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = f"# Tracking: cairn vs MLflow\n\n`{command.strip()}`\n\n{table(cfg, note, log, search, history, writers)}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
