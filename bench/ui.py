"""First page of a 10,000-run experiment in cairn's web UI, beside MLflow's.

The same runs in both stores (10,000 runs x 20 params x 10 metrics, seed 0, from
``bench/tracking.py``), both served over HTTP on loopback from this machine:

(a) the REST call behind the first page of the runs table, 50 runs: cairn's
    ``GET /api/runs`` (newest first; ordered by a metric; filtered and ordered) against
    MLflow's ``POST /api/2.0/mlflow/runs/search`` with the same page size, order and, for
    the filter, the and-only part MLflow's language can say;
(b) the whole page in headless Chromium (Debian's, through playwright): from navigation
    start to DOMContentLoaded and to the table showing the first page, on a fresh
    browser profile (cold: nothing cached) and reloaded in the same one (warm). cairn's
    table is "shown" when its 50 rows are in the DOM; MLflow's when the newest run's name
    is on its experiment page. Both are detected by the same polling on every frame.

    python bench/ui.py            # 10,000 runs, 7 loads per measure
    python bench/ui.py --quick    # 1,000 runs, 3 loads, no table written
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from _report import RESULTS, publish
from tracking import machine, populate_cairn, populate_mlflow, run_data, timed

SEED = 0  # the seed of run_data's params and metrics
PAGE = 50
SETTLE = 30  # seconds given MLflow's server after it answers, before timing it
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FILTER = "metrics.m0 > 0.5 and params.p0 = 'a'"
#: What the page waits for, polled on every animation frame; records when it first held.
SEEN = "() => {{ if ({cond}) {{ window.__shown = window.__shown || performance.now(); return true; }} return false; }}"


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def http(url: str, body: dict | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())


# -- the servers ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_mlflow(uri: str, artifacts: Path) -> tuple[subprocess.Popen, str]:
    """MLflow's tracking server (REST API and UI) as its ``mlflow server`` command runs it."""
    port = free_port()
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    process = subprocess.Popen([str(Path(sys.executable).with_name("mlflow")), "server", "--backend-store-uri", uri,
                                "--default-artifact-root", str(artifacts), "--host", "127.0.0.1", "--port", str(port),
                                "--workers", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            urllib.request.urlopen(f"{url}/health", timeout=5).read()
            return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("mlflow server did not answer within 300 s")


def name_mlflow_runs(uri: str) -> None:
    """Give each bulk-inserted MLflow run the ``mlflow.runName`` tag its client sets on every
    run: MLflow's UI fails to list runs that have no tags at all."""
    from mlflow.store.tracking.dbmodels.models import SqlRun, SqlTag
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(uri, str(Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts"))
    with store.ManagedSessionMaker() as session:
        names = session.query(SqlRun.run_uuid, SqlRun.name).all()
        session.add_all([SqlTag(run_uuid=run, key="mlflow.runName", value=name) for run, name in names])


# -- (a) the REST call ----------------------------------------------------------------


#: (cairn query, MLflow search body) of each first page timed.
CASES = {
    "newest first": ({}, {"order_by": ["attributes.start_time DESC"]}),
    "ordered by metrics.m0 desc": ({"order_by": "metrics.m0 desc"}, {"order_by": ["metrics.m0 DESC"]}),
    f"filter `{FILTER}`, by m0 desc": ({"order_by": "metrics.m0 desc", "filter": FILTER},
                                      {"order_by": ["metrics.m0 DESC"], "filter": FILTER}),
}


def cairn_rest(url: str, experiment: int, repeats: int) -> dict[str, Any]:
    """Per case: the run names of the first page, the number of matches, the call times."""
    out = {}
    for name, (query, _) in CASES.items():
        page = f"{url}/api/runs?{urllib.parse.urlencode({'experiment_id': experiment, 'per_page': PAGE, **query})}"
        got = http(page)
        out[name] = {"names": [r["name"] for r in got["runs"]], "total": got["total"],
                     "times": timed(lambda p=page: http(p), repeats)}
        print("cairn", name, f"{median_ms(out[name]['times']):.1f} ms", flush=True)
    return out


def mlflow_rest(url: str, experiment: str, repeats: int) -> dict[str, Any]:
    out = {}
    for name, (_, body) in CASES.items():
        search = {"experiment_ids": [experiment], "max_results": PAGE, **body}
        got = http(f"{url}/api/2.0/mlflow/runs/search", search)
        out[name] = {"names": [r["info"]["run_name"] for r in got["runs"]],
                     "times": timed(lambda s=search: http(f"{url}/api/2.0/mlflow/runs/search", s), repeats)}
        print("mlflow", name, f"{median_ms(out[name]['times']):.1f} ms", flush=True)
    return out


# -- (b) the page in a browser ----------------------------------------------------------


def page_loads(browser: Any, url: str, shown: str, loads: int) -> dict[str, list[float]]:
    """Seconds to DOMContentLoaded and to the table shown, cold (new profile each load)
    and warm (the same profile, reloaded)."""
    out: dict[str, list[float]] = {"cold_dcl": [], "cold_shown": [], "warm_dcl": [], "warm_shown": []}

    def load(page: Any, kind: str) -> None:
        page.goto(url)
        page.wait_for_function(SEEN.format(cond=shown), polling="raf", timeout=300_000)
        dcl, seen = page.evaluate("[performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,"
                                  " window.__shown]")
        out[f"{kind}_dcl"].append(dcl / 1000)
        out[f"{kind}_shown"].append(seen / 1000)

    for _ in range(loads):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        load(context.new_page(), "cold")
        context.close()
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    load(page, "warm")  # fills the cache; not counted
    out["warm_dcl"].clear()
    out["warm_shown"].clear()
    for _ in range(loads):
        load(page, "warm")
    context.close()
    return out


def browser_loads(url: str, shown: str, loads: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            out = page_loads(browser, url, shown, loads)
        finally:
            browser.close()
    print(url, {k: f"{median_ms(v):.0f} ms" for k, v in out.items()}, flush=True)
    return out


# -- the table ---------------------------------------------------------------------------


def report(command: str, note: str, n_runs: int, fill: float, api: dict, pages: dict, loads: int, repeats: int) -> str:
    rows = ["| measure | cairn | MLflow | MLflow / cairn |", "|---|---|---|---|"]
    for name, ours in api["cairn"].items():
        c, m = median_ms(ours["times"]), median_ms(api["mlflow"][name]["times"])
        rows.append(f"| (a) REST, first {PAGE} runs, {name} ({ours['total']:,} match) | {c:.1f} ms | {m:.1f} ms | {m / c:.1f}x |")
    labels = {"cold_dcl": "DOMContentLoaded, cold", "cold_shown": "table shown, cold",
              "warm_dcl": "DOMContentLoaded, warm", "warm_shown": "table shown, warm"}
    for key, label in labels.items():
        c, m = median_ms(pages["cairn"][key]), median_ms(pages["mlflow"][key])
        rows.append(f"| (b) page, {label} | {c:.0f} ms | {m:.0f} ms | {m / c:.1f}x |")
    return "\n".join([
        "# Web UI: first page of a 10,000-run experiment, cairn vs MLflow", "", f"`{command}`", "",
        f"Seed {SEED}; {n_runs:,} runs x 20 params x 10 metrics in one experiment, the same runs in both stores "
        f"(SQLite both). Machine: {note}.", "", *rows, "",
        f"(a) Median of {repeats} calls after one warm-up, over HTTP on loopback from this process (urllib): cairn's "
        f"`GET /api/runs?experiment_id=..&per_page={PAGE}` served by `cairn ui`'s app (uvicorn, in a thread of this "
        f"process) and MLflow's `POST /api/2.0/mlflow/runs/search` with `max_results={PAGE}` served by `mlflow server "
        "--workers 1`. Both return the same runs in the same order (checked). cairn's answer also counts the matches "
        "(for its pager); MLflow's does not. One side at a time: cairn's first, then MLflow's, "
        f"{SETTLE} s after its server answered (it keeps worker processes busy for a while after it starts).",
        f"(b) Median of {loads} page loads in headless Chromium (`/usr/bin/chromium` via playwright): milliseconds "
        "from navigation start (the page's `performance.now()`). Cold: a fresh browser profile per load, so every "
        "script is fetched and compiled; warm: the same profile reloaded. cairn's runs page fetches the first page "
        f"from its API and builds the table ({PAGE} rows); MLflow's experiment page (its React UI from the mlflow "
        "package) shows its first page of runs, detected as the newest run's name appearing on the page. "
        f"cairn's store was filled through its API in {fill:.0f} s; MLflow's was bulk-inserted through its ORM "
        "models (bench/tracking.py), with the `mlflow.runName` tag its client would set (its UI lists no run "
        "without tags).",
        "", "The issue's target: an experiment with 10,000 runs shows its first page in under 1 s.", ""])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 runs and 3 loads; writes no table")
    args = parser.parse_args(argv)
    n_runs, loads, repeats = (1_000, 3, 5) if args.quick else (10_000, 7, 10)
    note = machine()
    from cairn.track import Store
    from cairn.ui import create_app
    from cairn.ui.server import serve_in_background

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = run_data(n_runs)
        store = Store(f"sqlite:///{root / 'cairn.db'}")
        start = time.perf_counter()
        populate_cairn(store, data)
        fill = time.perf_counter() - start
        experiment = store.search_runs(max_results=1)[0]["experiment_id"]
        uri = f"sqlite:///{root / 'mlflow.db'}"
        mlflow_experiment = populate_mlflow(uri, data)
        name_mlflow_runs(uri)
        print(f"stores filled ({fill:.0f} s for cairn)", flush=True)
        # One side at a time: MLflow's server keeps worker processes busy for a while
        # after it starts, which would slow whatever ran beside it.
        with serve_in_background(create_app(store, loopback_only=True)) as cairn_url:
            api = {"cairn": cairn_rest(cairn_url, experiment, repeats)}
            pages = {"cairn": browser_loads(f"{cairn_url}/runs?experiment_id={experiment}",
                                            f"document.querySelectorAll('#runs tbody tr').length === {PAGE}", loads)}
        store.close()
        mlflow, mlflow_url = start_mlflow(uri, root / "mlartifacts")
        try:
            time.sleep(SETTLE)
            api["mlflow"] = mlflow_rest(mlflow_url, mlflow_experiment, repeats)
            pages["mlflow"] = browser_loads(f"{mlflow_url}/#/experiments/{mlflow_experiment}/runs",
                                            f"document.body && document.body.innerText.includes('run-{n_runs - 1}')",
                                            loads)
        finally:
            mlflow.terminate()
            mlflow.wait(30)
        for name, ours in api["cairn"].items():
            assert ours["names"] == api["mlflow"][name]["names"], f"different first pages: {name}"
    command = "python bench/ui.py" + (" --quick" if args.quick else "")
    publish(report(command, note, n_runs, fill, api, pages, loads, repeats), None if args.quick else RESULTS / "ui.md")


if __name__ == "__main__":
    main()
