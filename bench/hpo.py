"""HPO benchmark: cairn's search strategies against Optuna, Hyperopt, scikit-optimize and SMAC3.

Four parts, all with the same budgets and seeds for every method:

* **synthetic**: simple regret after 25, 50 and 100 evaluations on Branin, Hartmann3/6
  and Rosenbrock/Levy/Ackley in 10-D (``bench/bayes_overhead.py``'s functions);
* **real**: tuning rbf_svm, hist_gb and mlp (plus the scaler) on digits and
  breast_cancer, scored by balanced-accuracy loss on one fixed 25 % holdout split; the
  regret is the loss minus the best loss any method found on that task;
* **multi-fidelity**: regret of the full-budget incumbent against the budget spent on
  MF-Hartmann3/6 and on the real tasks with a row-fraction fidelity (cairn's Hyperband,
  ASHA and BOHB against random search and Optuna's TPE + Hyperband pruner);
* **overhead**: milliseconds per ask+tell on a 10-D mixed space with no objective cost.

Finished runs are appended to a JSON-lines cache, so an interrupted run continues where it
stopped when started again with the same arguments; ``--report-only`` writes the tables
from whatever the cache holds. Runs go to a pool of ``--jobs`` processes (seeds in
parallel), each with one BLAS/OpenMP thread; every seed-0 run goes first, and the log then
projects the time the rest will take.

    python bench/hpo.py --quick             # a smoke run in minutes: prints the tables
    python bench/hpo.py                     # the full run; writes bench/results/hpo.md
    python bench/hpo.py --report-only       # tables from the cache so far
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import platform
import sys
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from importlib.metadata import version
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import wilcoxon
from threadpoolctl import threadpool_limits

from bayes_overhead import FUNCTIONS, mixed_space, ms_per_trial, prefill, reference_ms, trivial
from cairn.benchmarks import MF_BENCHMARKS, get_benchmark
from cairn.benchmarks.multifidelity import budget_to_reach, regret_at, trajectory
from cairn.data import load_dataset
from cairn.evaluate.objective import CashObjective
from cairn.evaluate.resampling import Holdout
from cairn.learners import PREPROCESSING, get_learner
from cairn.optim import make_optimizer
from cairn.space import Space
from cairn.trial import Result
from multifidelity import SHARES
from multifidelity import build as build_multifidelity
from peers import PEER_PACKAGES, PEERS, native, optuna_distributions, optuna_hyperband, optuna_study
from regret import cell

CAIRN = ("random", "anneal", "rrs", "tpe", "bo-gp", "bo-forest")
MODEL_BASED = ("tpe", "bo-gp", "bo-forest")
MULTI_FIDELITY = ("random", "hyperband", "asha", "bohb", "optuna-hb")
CHECKPOINTS = (25, 50, 100)
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
RESULTS = Path(__file__).parent / "results"


# --------------------------------------------------------------------------- tasks


@functools.cache
def _objective(dataset: str) -> CashObjective:
    return CashObjective(load_dataset(dataset), resampling=Holdout(0.25, seed=0), seed=0)


@dataclass(frozen=True)
class TuningTask:
    """One learner's hyperparameters plus the scaler on a bundled dataset.

    ``task(config, budget)`` is the balanced-accuracy loss on a fixed holdout split after
    training on a ``budget`` fraction of the training rows (a stratified subsample); a
    config that fails scores the worst loss, 1. An evaluation costs ``budget``. It quacks
    like a :class:`~cairn.benchmarks.MultiFidelityBenchmark` whose regret is the raw loss.
    """

    dataset: str
    learner: str
    min_budget: float = 1 / 9
    max_budget: float = 1.0

    @property
    def name(self) -> str:
        return f"{self.dataset}/{self.learner}"

    @property
    def space(self) -> Space:
        nested = Space.nested("learner", {self.learner: get_learner(self.learner, "classification").space})
        return Space([PREPROCESSING["scale"], *(p for p in nested.params if p.name != "learner")])

    def __call__(self, config: dict[str, Any], budget: float | None = None) -> float:
        try:
            return _objective(self.dataset)({"learner": self.learner, **config}, budget).loss
        except Exception:  # a config that cannot be fitted is a bad config, not a crash
            return 1.0

    def cost(self, budget: float | None) -> float:
        return 1.0 if budget is None else float(budget) / self.max_budget

    def fidelity(self, budget: float | None) -> float:
        return 1.0 if budget is None else min(1.0, float(budget) / self.max_budget)

    def regret(self, value: float) -> float:
        return value


SYNTHETIC = tuple(get_benchmark(f, d).name for f, d in FUNCTIONS)
REAL = tuple(f"{d}/{m}" for d in ("digits", "breast_cancer") for m in ("rbf_svm", "hist_gb", "mlp"))


@functools.cache
def get_task(name: str) -> Any:
    if name in MF_BENCHMARKS:
        return MF_BENCHMARKS[name]()
    if "/" in name:
        return TuningTask(*name.split("/"))
    return get_benchmark(*next((f, d) for f, d in FUNCTIONS if get_benchmark(f, d).name == name))


# --------------------------------------------------------------------------- one run


def losses(task: Any, method: str, seed: int, n_evals: int) -> list[float]:
    """The losses of ``n_evals`` full-budget evaluations, in order."""
    if method in PEERS:
        return PEERS[method](task.space, task, n_evals, seed)
    optimizer, out = make_optimizer(method, task.space, seed=seed), []
    for _ in range(n_evals):
        trial = optimizer.ask()
        out.append(float(task(trial.config)))
        optimizer.tell(trial, Result(loss=out[-1]))
    return out


def spend(task: Any, method: str, seed: int, total: float) -> dict[str, list[float]]:
    """Budget spent and incumbent regret, kept only where the regret changes (lossless
    for :func:`regret_at` and :func:`budget_to_reach`)."""
    if method == "optuna-hb":
        spent, best = optuna_hyperband(task, seed, total)
    else:
        spent, best = trajectory(task, build_multifidelity(method, task, seed), total)
    keep = np.r_[True, best[1:] != best[:-1]]
    keep[-1] = True
    return {"spent": spent[keep].tolist(), "best": best[keep].tolist()}


def run_cell(key: str) -> tuple[str, dict[str, Any]]:
    """Run one cache cell ``mode|task|method|seed|size`` (mode ``ff``: a number of
    evaluations; ``mf``: a total budget in full evaluations)."""
    mode, task, method, seed, size = key.split("|")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if mode == "ff":
            out: dict[str, Any] = {"losses": losses(get_task(task), method, int(seed), int(size))}
        else:
            out = spend(get_task(task), method, int(seed), float(size))
    out["seconds"] = time.perf_counter() - start
    return key, out


# --------------------------------------------------------------------------- protocol


@dataclass
class Protocol:
    """What to run: tasks, methods, seeds and sizes of each part."""

    seeds: int = 20
    evals: int = 100
    synthetic: tuple[str, ...] = SYNTHETIC
    peers: tuple[str, ...] = ("optuna-tpe", "optuna-gp", "hyperopt-tpe", "skopt-gp", "smac-hpo")
    #: Fewer seeds for the slowest peers on the synthetic functions (timed on seed 0).
    peer_seeds: dict[str, int] = field(default_factory=lambda: {"optuna-gp": 10, "skopt-gp": 6, "smac-hpo": 6, "smac-bb": 3})
    mf_tasks: tuple[str, ...] = tuple(MF_BENCHMARKS)
    mf_budget: float = 100.0
    real: tuple[str, ...] = REAL
    real_methods: tuple[str, ...] = ("random", "tpe", "bo-gp", "bo-forest")
    real_seeds: int = 3
    real_evals: int = 25
    real_budget: float = 10.0
    overhead_n: tuple[int, ...] = (100, 1000, 10_000)
    overhead_gp_n: tuple[int, ...] = (100, 500)

    def seeds_for(self, method: str) -> int:
        return min(self.seeds, self.peer_seeds.get(method, self.seeds))

    def cells(self) -> Iterator[tuple[int, str]]:
        """(part, cache key) of every run; parts 0-2 are synthetic, multi-fidelity, real."""
        for task in self.synthetic:
            for method in (*CAIRN, *self.peers):
                yield from ((0, f"ff|{task}|{method}|{s}|{self.evals}") for s in range(self.seeds_for(method)))
        for part, tasks, seeds, budget in ((1, self.mf_tasks, self.seeds, self.mf_budget),
                                           (2, self.real, self.real_seeds, self.real_budget)):
            for task in tasks:
                yield from ((part, f"mf|{task}|{m}|{s}|{budget:g}") for m in MULTI_FIDELITY for s in range(seeds))
        for task in self.real:
            for method in (*self.real_methods, *self.peers):
                yield from ((2, f"ff|{task}|{method}|{s}|{self.real_evals}") for s in range(self.real_seeds))


FULL = Protocol()
QUICK = Protocol(seeds=3, evals=50, peer_seeds={"skopt-gp": 2, "smac-hpo": 2}, synthetic=("branin", "hartmann6"),
                 mf_tasks=("mf-hartmann3",), mf_budget=30.0, real=("breast_cancer/rbf_svm",), real_seeds=3,
                 real_evals=20, real_budget=6.0, overhead_n=(100, 1000), overhead_gp_n=(100,))


# --------------------------------------------------------------------------- the cache


class Cache:
    """Finished runs, one JSON object per line; a torn last line is ignored."""

    def __init__(self, path: Path):
        self.path, self.data = path, {}
        self._cells: dict[tuple[str, str, str, float], dict[int, dict[str, Any]]] = defaultdict(dict)
        self._seconds: dict[str, list[float]] = defaultdict(list)
        lines = path.read_text().splitlines() if path.exists() else []
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            self._index(record.pop("key"), record)

    def _index(self, key: str, record: dict[str, Any]) -> None:
        self.data[key] = record
        mode, *rest = key.split("|")
        if mode in ("ff", "mf"):
            task, method, seed, size = rest
            self._cells[mode, task, method, float(size)][int(seed)] = record
            self._seconds[method].append(record["seconds"])

    def add(self, key: str, record: dict[str, Any]) -> None:
        self._index(key, record)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as f:
            f.write(json.dumps({"key": key, **record}) + "\n")

    def runs(self, mode: str, task: str, method: str, size: float) -> dict[int, dict[str, Any]]:
        """The finished runs of one cell, by seed."""
        return self._cells.get((mode, task, method, float(size)), {})

    def estimate(self, key: str) -> float:
        """Expected seconds of a run: the mean of its cell's finished seeds, else of the
        method's runs anywhere, else 10."""
        mode, task, method, _, size = key.split("|")
        same = [r["seconds"] for r in self.runs(mode, task, method, float(size)).values()]
        alike = same or self._seconds.get(method, [])
        return float(np.mean(alike)) if alike else 10.0


def _init_worker() -> None:
    threadpool_limits(1)


def run_all(protocol: Protocol, cache: Cache, jobs: int, seed0_only: bool = False) -> None:
    """Run every missing cell in a pool, part by part; within a part seed 0 of every cell
    first (the log then projects the total time again), then the longest first."""
    cells = [(part, key) for part, key in protocol.cells() if key not in cache.data]
    cells = [c for c in cells if not seed0_only or _seed(c[1]) == 0]
    cells.sort(key=lambda c: (c[0], _seed(c[1]) != 0, -cache.estimate(c[1])))
    if not cells:
        return
    pending = Counter(_group(key) for _, key in cells)
    seed0_left = Counter(part for part, key in cells if _seed(key) == 0)
    part_of = dict((key, part) for part, key in cells)
    start = time.perf_counter()
    print(f"{len(cells)} runs to do on {jobs} processes", flush=True)
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=_init_worker) as pool:
        futures = [pool.submit(run_cell, key) for _, key in cells]
        for done, future in enumerate(as_completed(futures), 1):
            key, record = future.result()
            cache.add(key, record)
            pending[_group(key)] -= 1
            left = sum(n * cache.estimate(group) for group, n in pending.items()) / jobs
            print(f"[{done}/{len(cells)}] {key} {record['seconds']:.1f}s; "
                  f"{(time.perf_counter() - start) / 60:.1f} min so far, ~{left / 60:.0f} min left", flush=True)
            if _seed(key) == 0:
                seed0_left[part_of[key]] -= 1
            if _seed(key) == 0 and seed0_left[part_of[key]] == 0:
                print(projection(protocol, cache, jobs), flush=True)


def _seed(key: str) -> int:
    return int(key.split("|")[3])


def _group(key: str) -> str:
    """The key of a cell with seed 0: stands for every seed of that cell."""
    mode, task, method, _, size = key.split("|")
    return f"{mode}|{task}|{method}|0|{size}"


def projection(protocol: Protocol, cache: Cache, jobs: int) -> str:
    """Seconds per run by method and part (from the runs so far), and the total projected."""
    by_method: dict[str, list[float]] = defaultdict(list)
    total = 0.0
    for _, key in protocol.cells():
        seconds = cache.data[key]["seconds"] if key in cache.data else cache.estimate(key)
        by_method[f"{key.split('|')[0]} {key.split('|')[2]}"].append(seconds)
        total += seconds
    lines = [f"projected: {total / jobs / 60:.0f} min on {jobs} processes for the whole protocol"]
    lines += [f"  {name}: {len(v)} runs x {np.mean(v):.1f}s" for name, v in sorted(by_method.items())]
    return "\n".join(lines)


# --------------------------------------------------------------------------- overhead


def _optuna_ms(sampler: str, n: int, window: int) -> float:
    from optuna.trial import create_trial

    space, rng = mixed_space(), np.random.default_rng(0)
    study, dists = optuna_study(sampler, 0), optuna_distributions(space)
    configs = [space.sample(rng) for _ in range(n)]
    study.add_trials([create_trial(params=dict(c), distributions=dists, value=trivial(c)) for c in configs])

    def step() -> None:
        trial = study.ask(dists)
        study.tell(trial, trivial(native(space, trial.params)))

    return _timed(step, window)


def _cairn_ms(strategy: str, n: int, window: int) -> float:
    optimizer = make_optimizer(strategy, mixed_space(), seed=0)
    prefill(optimizer, n, np.random.default_rng(0))
    return _timed(lambda: ms_per_trial(optimizer, 1), window)


def _timed(step: Callable[[], Any], window: int, limit_s: float = 120.0) -> float:
    """Mean CPU ms per ``step`` over ``window`` steps after one warm-up, fewer (at least 3)
    if that would take over ``limit_s``; NaN if the warm-up alone takes over ``limit_s / 3``.

    CPU time of this process, not wall-clock: on a shared machine wall-clock would count
    the other jobs too (everything here runs on one thread)."""
    start = time.process_time()
    step()
    warm = time.process_time() - start
    if warm > limit_s / 3:
        return math.nan
    count = max(3, min(window, int(limit_s / max(warm, 1e-9))))
    start = time.process_time()
    for _ in range(count):
        step()
    return (time.process_time() - start) / count * 1e3


def overhead_cells(protocol: Protocol) -> list[tuple[str, str, int, int]]:
    """(library, strategy, trials, timed window) of each overhead measurement."""
    cells = [(lib, s, n, 20) for n in protocol.overhead_n for lib, s in
             (("cairn", "tpe"), ("optuna", "tpe"), ("cairn", "random"), ("optuna", "random"))]
    cells += [(lib, s, n, max(10, n // 20)) for n in protocol.overhead_gp_n for lib, s in
              (("cairn", "bo-gp"), ("optuna", "gp"))]
    return cells


def measure_overhead(protocol: Protocol, cache: Cache, again: bool = False) -> None:
    """Time each overhead cell in this process, alone (before the pool starts); ``again``
    measures cells the cache already holds too (the newest measurement wins)."""
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lib, strategy, n, window in overhead_cells(protocol):
            key = f"overhead-cpu|{lib}|{strategy}|{n}"
            if again or key not in cache.data:
                ms = (_cairn_ms if lib == "cairn" else _optuna_ms)(strategy, n, window)
                cache.add(key, {"ms": ms})
                print(f"{key}: {ms:.2f} ms", flush=True)
        if again or "overhead-cpu|yardstick" not in cache.data:
            cache.add("overhead-cpu|yardstick", {"ms": reference_ms(), "load": os.getloadavg()[0]})


# --------------------------------------------------------------------------- statistics


def paired_p(a: dict[int, float], b: dict[int, float]) -> tuple[float, int]:
    """Two-sided Wilcoxon signed-rank p-value over the seeds both have, and their count."""
    seeds = sorted(set(a) & set(b))
    diff = np.array([a[s] - b[s] for s in seeds])
    if len(diff) == 0:
        return math.nan, 0
    if not np.any(diff):
        return 1.0, len(diff)
    return float(wilcoxon(diff).pvalue), len(diff)


def median(values: Iterable[float]) -> float:
    values = list(values)
    return float(np.median(values)) if values else math.nan


@dataclass
class FixedBudget:
    """Regret by seed after ``k`` evaluations, for each (task, method) of one part."""

    cache: Cache
    tasks: tuple[str, ...]
    methods: tuple[str, ...]
    evals: int

    def reference(self, task: str) -> float:
        """The optimum of a synthetic function; for a real task the best loss any method found."""
        if task not in REAL:
            return get_task(task).optimum
        found = [min(v["losses"]) for k, v in self.cache.data.items() if k.startswith(f"ff|{task}|")]
        found += [min(v["best"]) for k, v in self.cache.data.items() if k.startswith(f"mf|{task}|")]
        return min(found, default=math.nan)

    def regrets(self, task: str, method: str, k: int) -> dict[int, float]:
        ref = self.reference(task)
        return {s: min(r["losses"][:k]) - ref for s, r in self.cache.runs("ff", task, method, self.evals).items()}

    def best(self, task: str, methods: Iterable[str], k: int) -> str | None:
        medians = {m: median(self.regrets(task, m, k).values()) for m in methods}
        medians = {m: v for m, v in medians.items() if not math.isnan(v)}
        return min(medians, key=medians.get) if medians else None

    def compare(self, task: str, k: int) -> dict[str, Any] | None:
        """cairn's best model-based strategy against the best peer, by median regret."""
        ours = self.best(task, [m for m in MODEL_BASED if m in self.methods], k)
        theirs = self.best(task, [m for m in self.methods if m in PEERS], k)
        if ours is None or theirs is None:
            return None
        a, b = self.regrets(task, ours, k), self.regrets(task, theirs, k)
        p, n = paired_p(a, b)
        return {"ours": ours, "theirs": theirs, "a": median(a.values()), "b": median(b.values()), "p": p, "n": n}


def mf_curves(cache: Cache, task: str, budget: float, methods: Iterable[str], ref: float) -> dict[str, np.ndarray]:
    """Median over seeds of the incumbent's regret on a grid of 1000 budgets up to ``budget``."""
    grid = np.linspace(0, budget, 1001)[1:]
    curves = {}
    for m in methods:
        runs = cache.runs("mf", task, m, budget).values()
        if runs:
            curves[m] = np.median([regret_at(np.array(r["spent"]), np.array(r["best"]) - ref, grid) for r in runs], axis=0)
    return curves


def reach(curves: dict[str, np.ndarray], budget: float) -> dict[str, float]:
    """Budget at which each median curve first reaches random search's final median regret."""
    grid = np.linspace(0, budget, 1001)[1:]
    target = curves["random"][-1]
    return {m: budget_to_reach(grid, c, target) for m, c in curves.items()}


# --------------------------------------------------------------------------- tables


def checkpoints(evals: int) -> list[int]:
    return sorted({c for c in CHECKPOINTS if c < evals} | {evals})


def _fmt(x: float | None, inf: str = "–") -> str:
    if x is None or math.isnan(x):
        return "–"
    return inf if math.isinf(x) else f"{x:.3g}"


def fixed_budget_tables(fb: FixedBudget, seeds_for: Callable[[str], int]) -> list[str]:
    head = [f"{m} ({seeds_for(m)})" if seeds_for(m) != max(map(seeds_for, fb.methods)) else m for m in fb.methods]
    out = []
    for k in checkpoints(fb.evals):
        out += [f"**After {k} evaluations**: median regret (IQR)", "",
                "| task | " + " | ".join(head) + " |", "|---" * (len(head) + 1) + "|"]
        for task in fb.tasks:
            cells = [cell(np.array(list(r.values()))) if (r := fb.regrets(task, m, k)) else "pending" for m in fb.methods]
            out.append(f"| {task} | " + " | ".join(cells) + " |")
        out.append("")
    k = fb.evals
    out += [f"**cairn's best model-based strategy against the best peer** after {k} evaluations "
            "(each chosen by median regret; p: two-sided Wilcoxon signed-rank test over the seeds both ran)", "",
            "| task | cairn | median | peer | median | seeds | p | cairn is |", "|---" * 9 + "|"]
    for task in fb.tasks:
        c = fb.compare(task, k)
        if c is None:
            out.append(f"| {task} | pending |" + " |" * 7)
            continue
        verdict = "better" if c["a"] < c["b"] and c["p"] < 0.05 else "at or below" if c["a"] <= c["b"] else "worse"
        out.append(f"| {task} | {c['ours']} | {_fmt(c['a'])} | {c['theirs']} | {_fmt(c['b'])} | {c['n']} | {_fmt(c['p'])} | {verdict} |")
    return out + [""]


def mf_table(cache: Cache, tasks: Iterable[str], budget: float) -> list[str]:
    at = [int(round(share * 1000)) - 1 for share in SHARES]
    out = ["| task | method | seeds | " + " | ".join(f"regret @ {s:g}B" for s in SHARES)
           + " | to target | vs random | vs hyperband | s per run |", "|---" * (len(SHARES) + 7) + "|"]
    for task in tasks:
        ref = FixedBudget(cache, (task,), (), 0).reference(task) if task in REAL else 0.0
        curves = mf_curves(cache, task, budget, MULTI_FIDELITY, ref)
        if "random" not in curves:
            out.append(f"| {task} | pending |" + " |" * (len(SHARES) + 5))
            continue
        reached = reach(curves, budget)
        for m, curve in curves.items():
            runs = cache.runs("mf", task, m, budget)
            seconds = median(r["seconds"] for r in runs.values())
            speed = [_ratio(reached[base], reached[m]) for base in ("random", "hyperband")]
            out.append(f"| {task} | {m} | {len(runs)} | " + " | ".join(_fmt(curve[i]) for i in at)
                       + f" | {_fmt(reached[m], 'not reached')} | {speed[0]} | {speed[1]} | {seconds:.1f} |")
    return out + [""]


def _ratio(base: float | None, x: float) -> str:
    if base is None or math.isinf(x):
        return "–"
    return f"{base / x:.2f}x"


def overhead_table(protocol: Protocol, cache: Cache) -> list[str]:
    out = ["| library | strategy | trials in history | ms per ask+tell |", "|---|---|---|---|"]
    for lib, strategy, n, _ in overhead_cells(protocol):
        record = cache.data.get(f"overhead-cpu|{lib}|{strategy}|{n}")
        value = "pending" if record is None else "skipped: one ask+tell took over 40 s" if math.isnan(record["ms"]) else f"{record['ms']:.2f}"
        out.append(f"| {lib} | {strategy} | {n} | {value} |")
    return out + [""]


# --------------------------------------------------------------------------- targets


def targets(protocol: Protocol, cache: Cache) -> list[str]:
    """Each target of the issue, met or not, with the figures behind it."""
    out = []
    fb = FixedBudget(cache, protocol.synthetic, (*CAIRN, *protocol.peers), protocol.evals)
    k = protocol.evals
    rows = {t: fb.compare(t, k) for t in protocol.synthetic}
    done = {t: c for t, c in rows.items() if c is not None}
    le = [t for t, c in done.items() if c["a"] <= c["b"]]
    strict = [t for t, c in done.items() if c["a"] < c["b"] and c["p"] < 0.05]
    figures = "; ".join(f"{t}: {c['ours']} {_fmt(c['a'])} vs {c['theirs']} {_fmt(c['b'])} (p={_fmt(c['p'])})" for t, c in done.items())
    need_le, need_strict = len(rows) - 1, math.ceil(len(rows) / 2)  # 5 and 3 of the 6 functions
    status = "pending" if len(done) < len(rows) else _met(len(le) >= need_le and len(strict) >= need_strict)
    out.append(f"- **{status}**: cairn's best model-based median regret at {k} evaluations at or below the best "
               f"peer's on {len(le)}/{len(rows)} synthetic functions (target {need_le}), strictly better with "
               f"p < 0.05 on {len(strict)} (target {need_strict}). {figures}.")
    for lib, strategy, n, limit, unit in (("cairn", "tpe", 1000, 2.0, "ms"), ("cairn", "bo-gp", 500, 1000.0, "ms")):
        record = cache.data.get(f"overhead-cpu|{lib}|{strategy}|{n}")
        measured = n in (protocol.overhead_gp_n if strategy == "bo-gp" else protocol.overhead_n)
        text = "not measured in this protocol" if not measured else "pending" if record is None else _met(record["ms"] < limit)
        value = "–" if record is None else f"{record['ms']:.2f} ms"
        out.append(f"- **{text}**: cairn {strategy} overhead at {n} trials is {value} per ask+tell (target under {limit:g} {unit}).")
    for label, tasks, budget in (("MF-Hartmann", protocol.mf_tasks, protocol.mf_budget),
                                 ("real tasks with a row-fraction fidelity", protocol.real, protocol.real_budget)):
        out.append(_bohb_target(label, cache, tasks, budget))
    return out


def _bohb_target(label: str, cache: Cache, tasks: Iterable[str], budget: float) -> str:
    figures, verdicts = [], []
    for task in tasks:
        ref = FixedBudget(cache, (task,), (), 0).reference(task) if task in REAL else 0.0
        curves = mf_curves(cache, task, budget, ("random", "hyperband", "bohb"), ref)
        if len(curves) < 3:
            verdicts.append(None)
            continue
        r = reach(curves, budget)
        ok = r["random"] / r["bohb"] >= 2 and r["bohb"] <= r["hyperband"]
        verdicts.append(ok)
        never = "never"
        figures.append(f"{task}: BOHB {_fmt(r['bohb'], never)}, Hyperband {_fmt(r['hyperband'], never)}, "
                       f"random {_fmt(r['random'], never)}, so BOHB is {_ratio(r['random'], r['bohb'])} sooner than random")
    status = "pending" if None in verdicts or not verdicts else _met(all(verdicts))
    return (f"- **{status}** on {label}: BOHB reaches random search's final median regret at least 2x sooner "
            f"in budget spent, and no later than Hyperband. Budget to reach it: {'; '.join(figures) or '–'}.")


def _met(ok: bool) -> str:
    return "met" if ok else "not met"


# --------------------------------------------------------------------------- report


def machine(cache: Cache) -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    yardstick = cache.data.get("overhead-cpu|yardstick", {})
    return (f"{cpu}, {os.cpu_count()} cores (shared with other jobs while this ran), {platform.platform()}, "
            f"Python {platform.python_version()}; when the overhead was timed, a million-step Python loop took "
            f"{yardstick.get('ms', math.nan):.0f} ms (wall-clock) and the load average was {yardstick.get('load', math.nan):.1f}. "
            "Each run uses one BLAS/OpenMP thread; seconds per run are wall-clock, the overhead is CPU time.")


def versions() -> str:
    names = {"cairn": "cairn-ml", **PEER_PACKAGES, "greenlet": "greenlet", "scikit-learn": "scikit-learn", "numpy": "numpy", "scipy": "scipy"}
    return ", ".join(f"{name} {version(dist)}" for name, dist in names.items())


def report(protocol: Protocol, cache: Cache, command: str) -> str:
    seeds = ", ".join(f"{m} {protocol.seeds_for(m)}" for m in (*CAIRN, *protocol.peers) if protocol.seeds_for(m) != protocol.seeds)
    real_methods = (*protocol.real_methods, *protocol.peers)
    parts = [
        "# HPO: cairn against Optuna, Hyperopt, scikit-optimize and SMAC3", "",
        f"`{command}` ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; runs are cached, so the figures may "
        "come from several sessions of this command)", "",
        "## Targets", "", *targets(protocol, cache), "",
        "## Setup", "",
        f"- Versions: {versions()}.",
        f"- Machine: {machine(cache)}",
        f"- Seeds 0..{protocol.seeds - 1} on the synthetic functions, {protocol.evals} evaluations per run"
        + (f"; fewer seeds for the slowest peers, timed on seed 0: {seeds}" if seeds else "") + ". "
        f"Multi-fidelity: {protocol.seeds} seeds, {protocol.mf_budget:g} full evaluations of budget. "
        f"Real tasks: {protocol.real_seeds} seeds, {protocol.real_evals} evaluations, "
        f"{protocol.real_budget:g} full evaluations of budget for the multi-fidelity methods "
        "(a model fit takes seconds, so this part is kept small).",
        "- Each library runs with its defaults, through its ask/tell interface where it has one; Optuna's "
        "GPSampler and SMAC are told the objective is deterministic. Peers: optuna-tpe/-gp (TPESampler, "
        "GPSampler), hyperopt-tpe (`fmin` with `tpe.suggest`), skopt-gp (`gp_minimize`), smac-hpo "
        "(HyperparameterOptimizationFacade, a random forest), smac-bb (BlackBoxFacade, a GP; opt-in with "
        "`--peers`: one 100-evaluation run on Hartmann6 took 338 s when timed for this benchmark).",
        "- Regret: on the synthetic functions, the best value found minus the known minimum; on the real tasks, "
        "the best balanced-accuracy loss on the fixed holdout split minus the best loss any method found on "
        "that task in any run, so 0 is the best seen, not a known optimum.",
        "- Multi-fidelity budget is counted in full evaluations: cairn's Hyperband, ASHA and BOHB pay `b` for an "
        "evaluation at budget `b` (eta = 3, budgets 1/27..1 on MF-Hartmann, 1/9..1 row fractions on the real "
        "tasks). Optuna's TPE + HyperbandPruner reports at the same rung budgets; continuing a trial is treated "
        "as resuming it, so a trial costs the largest budget it reached. The incumbent is the best config "
        "evaluated at the full budget. *To target*: budget at which the median regret first reaches random "
        "search's final median regret; *vs random*/*vs hyperband*: how many times sooner than they did.", "",
        "## Synthetic functions", "",
        *fixed_budget_tables(FixedBudget(cache, protocol.synthetic, (*CAIRN, *protocol.peers), protocol.evals), protocol.seeds_for),
        "## Multi-fidelity: regret against budget spent", "",
        f"Median regret of the full-budget incumbent after spending a share of B = {protocol.mf_budget:g} "
        "full evaluations (MF-Hartmann) ", "",
        *mf_table(cache, protocol.mf_tasks, protocol.mf_budget),
        f"Real tasks, B = {protocol.real_budget:g} full evaluations (row fractions 1/9, 1/3, 1):", "",
        *mf_table(cache, protocol.real, protocol.real_budget),
        "## Real tuning tasks (full budget)", "",
        *fixed_budget_tables(FixedBudget(cache, protocol.real, real_methods, protocol.real_evals), lambda m: protocol.real_seeds),
        "## Optimiser overhead", "",
        "Milliseconds per ask+tell on a 10-D mixed space (6 floats, two on a log scale; 2 ints; 2 categoricals) "
        "with a trivial objective, once the history holds the given number of trials: the history is filled "
        "with the same random trials for every library (Optuna: `add_trials`), then one warm-up ask+tell, then "
        "the mean over 20 asks (GP: n/20, at least 10; fewer if that would take over 2 minutes). CPU time of "
        "the measuring process on one thread (the machine is shared, so wall-clock would count other jobs), "
        "measured alone before the pool of runs starts.", "",
        *overhead_table(protocol, cache),
    ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run in minutes; prints the tables")
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--seeds", type=int, help="seeds on synthetic and multi-fidelity tasks (default 20)")
    parser.add_argument("--peers", help="comma-separated peers (default all but smac-bb): " + ", ".join(PEERS))
    parser.add_argument("--plan", action="store_true", help="run seed 0 of every cell and print the projected time")
    parser.add_argument("--report-only", action="store_true", help="write the report from the cache; run nothing")
    parser.add_argument("--remeasure-overhead", action="store_true", help="time the overhead again, then go on")
    parser.add_argument("--cache", type=Path, help="JSON-lines cache (default /tmp/cairn-hpo[-quick].jsonl)")
    parser.add_argument("--out", type=Path, help="report (default bench/results/hpo.md; --quick prints only)")
    args = parser.parse_args(argv)
    protocol = QUICK if args.quick else FULL
    if args.seeds:
        protocol = replace(protocol, seeds=args.seeds)
    if args.peers:
        protocol = replace(protocol, peers=tuple(args.peers.split(",")))
    cache = Cache(args.cache or Path(f"/tmp/cairn-hpo{'-quick' if args.quick else ''}.jsonl"))
    os.environ.update(THREAD_ENV)  # inherited by the spawned workers before they import numpy
    if not args.report_only:
        measure_overhead(protocol, cache, again=args.remeasure_overhead)
        run_all(protocol, cache, args.jobs, seed0_only=args.plan)
        print(projection(protocol, cache, args.jobs))
    command = "python bench/hpo.py " + " ".join(sys.argv[1:] if argv is None else argv)
    text = report(protocol, cache, command.strip())
    print(text)
    out = args.out or (None if args.quick else RESULTS / "hpo.md")
    if out is not None and not args.plan:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)


if __name__ == "__main__":
    main()
