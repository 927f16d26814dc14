"""HELIX-style reuse in the CASH search, and what tracing costs when nothing is reused.

(c) A random search of 50 configs, 5-fold CV, over scaler -> PCA(k) -> linear model
pipelines on a synthetic 20,000 x 100 regression table (make_regression: 30 informative
directions, noise, correlated columns): scaler in {standard, robust, minmax}; PCA keeping
10 %, 20 % or 40 % of the columns, or no PCA; ridge, lasso or elastic net with log-uniform
strengths. That is a search a user runs on a wide table: a few preprocessing choices,
many learner settings. cairn (the Study with the CASH objective and a reuse cache, empty
at the start) against scikit-learn evaluating the same 50 pipelines on the same folds
with ``cross_val_score``: with ``Pipeline(memory=joblib.Memory(tmpdir))`` (a fresh
directory per run), and plain. Each side's R2 per config is checked against the other's.
The hit ratio counts preprocessing items (each step's fit and its transforms of the
training and validation rows): requested = configs x folds x items per fold; the most a
cache can save is requested minus distinct; cairn's ratio is requested minus computed.

(d) What tracing and the cache cost when nothing can be reused: 20 configs on a
2,000 x 50 table of the same kind, sampled from cairn's whole regression space with PCA
or univariate selection always on at a continuous fraction (so no two configs share a
feature step), each trial on a cache emptied before it. Whole searches are timed with
the cache, with the cache off (tracing is always on) and with the pre-lineage loop (the
pipeline fitted and scored per fold, no items). As whole-run differences of a few per
cent drown in the noise of a shared machine, the two costs are also timed alone:
tracing (each config's items and trace text, built without computing anything) and the
cache's own work (time inside it that is not spent computing values).

Seconds are medians of ``--repeats`` runs in one process, interleaved, BLAS and OpenMP
limited to one thread (as the CASH objective runs trials). Wall seconds decide (c), as
the disk work of ``joblib.Memory`` is part of its cost; CPU seconds are shown beside.

    python bench/reuse_cash.py           # writes bench/results/reuse-cash.md
    python bench/reuse_cash.py --quick   # smaller tables, fewer configs, 3 folds; printed only
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from joblib import Memory
from sklearn.datasets import make_regression
from sklearn.model_selection import cross_val_score
from threadpoolctl import threadpool_limits

from _report import publish
from cairn.data import Dataset, make_dataset
from cairn.evaluate import CashObjective, KFold
from cairn.evaluate.objective import quiet
from cairn.learners import PREPROCESSING, cash_space
from cairn.lineage import Item, expand, serialize
from cairn.lineage.cache import ReuseCache
from cairn.optim import make_optimizer
from cairn.space import Categorical, Float, Space
from cairn.study import Study
from cairn.trial import Result

RESULTS = Path(__file__).parent / "results" / "reuse-cash.md"
#: (c): rows, columns, configs; (d): rows, columns, configs; folds of both; repeats.
FULL = {"reuse": (20_000, 100, 50), "overhead": (2_000, 50, 20), "folds": 5, "repeats": 3}
QUICK = {"reuse": (4_000, 40, 20), "overhead": (1_000, 20, 8), "folds": 3, "repeats": 1}


def wide_table(rows: int, columns: int, seed: int) -> Dataset:
    X, y = make_regression(rows, columns, n_informative=30 if columns > 30 else columns // 2, noise=1.0,
                           effective_rank=columns // 3, tail_strength=0.4, random_state=seed)
    return make_dataset(X, y, "regression", "wide")


def linear_space() -> Space:
    """Scaler, optional PCA on a grid of fractions, and a regularised linear model."""
    return (Space([Categorical("scale", ["standard", "robust", "minmax"])])
            + Space.nested("features", {"none": None, "pca": Space([Categorical("fraction", [0.1, 0.2, 0.4])])})
            + Space.nested("learner", {
                "ridge": Space([Float("alpha", 1e-3, 1e2, log=True)]),
                "lasso": Space([Float("alpha", 1e-4, 1.0, log=True)]),
                "elastic_net": Space([Float("alpha", 1e-4, 1.0, log=True), Float("l1_ratio", 0.1, 0.9)]),
            }))


def unshared_space() -> Space:
    """cairn's regression space with a feature step always on, at a continuous fraction."""
    full = cash_space("regression")
    fraction = Space([Float("fraction", 0.1, 1.0)])
    return (Space([full["impute"], full["scale"]])
            + Space.nested("features", {"pca": fraction, "select_k_best": fraction})
            + Space([p for p in full.params if p.name not in PREPROCESSING.names]))


@dataclass
class Timing:
    """Medians over repeats of wall and CPU seconds, and the last run's result."""

    wall: float
    cpu: float
    result: Any


def measure(runs: dict[str, Callable[[], Any]], repeats: int) -> dict[str, Timing]:
    """Every run ``repeats`` times, interleaved (a, b, c, a, b, c, ...) so that load from
    elsewhere on the machine falls on all of them alike."""
    walls: dict[str, list[float]] = {name: [] for name in runs}
    cpus: dict[str, list[float]] = {name: [] for name in runs}
    results: dict[str, Any] = {}
    for _ in range(repeats):
        for name, run in runs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            results[name] = run()
            walls[name].append(time.perf_counter() - wall)
            cpus[name].append(time.process_time() - cpu)
            print(f"  {name}: {walls[name][-1]:.2f} s wall, {cpus[name][-1]:.2f} s CPU", flush=True)
    return {name: Timing(float(np.median(walls[name])), float(np.median(cpus[name])), results[name])
            for name in runs}


class CountingCache(ReuseCache):
    """A reuse cache that also counts what was computed, by item."""

    def __init__(self) -> None:
        super().__init__()
        self.computed: Counter[Item] = Counter()

    def get_or_compute(self, item: Item, compute: Callable[[], Any]) -> Any:
        def counted() -> Any:
            self.computed[item] += 1
            return compute()
        return super().get_or_compute(item, counted)

    def put(self, item: Item, value: Any, cost: float = 0.0) -> None:
        self.computed[item] += 1  # a fitted step that came with its fit_transform
        super().put(item, value, cost)


class TimedCache(ReuseCache):
    """A reuse cache that also adds up its own bookkeeping: the time spent in it that is
    not spent computing values (a value's computation includes its inputs' requests)."""

    def __init__(self) -> None:
        super().__init__()
        self.bookkeeping = 0.0

    def get_or_compute(self, item: Item, compute: Callable[[], Any]) -> Any:
        computing = 0.0

        def timed() -> Any:
            nonlocal computing
            start = time.process_time()
            try:
                return compute()
            finally:
                computing = time.process_time() - start

        start = time.process_time()
        value = super().get_or_compute(item, timed)
        self.bookkeeping += time.process_time() - start - computing
        return value

    def put(self, item: Item, value: Any, cost: float = 0.0) -> None:
        start = time.process_time()
        super().put(item, value, cost)
        self.bookkeeping += time.process_time() - start


def cairn_search(data: Dataset, space: Space, n: int, folds: int, seed: int, cache: ReuseCache | None,
                 empty_before_each: bool = False) -> list[tuple[dict, Result]]:
    """The Study over ``space`` with the CASH objective; (config, result) per trial."""
    objective = CashObjective(data, resampling=KFold(folds, seed=seed), seed=seed, cache=cache)
    run = objective
    if empty_before_each:
        def run(config: Any, budget: Any = None) -> Result:
            cache.clear()  # type: ignore[union-attr]
            return objective(config, budget)
    result = Study(make_optimizer("random", space, seed=seed), run, n_trials=n).optimize()
    return [(dict(t.config), t.result) for t in result.trials]  # type: ignore[misc]


def tracing_work(data: Dataset, configs: Sequence[dict], folds: int, seed: int) -> float:
    """CPU seconds to trace ``configs`` without computing anything: each config's items
    (with its pipeline, as every evaluation builds it) and the trace text a Study stores."""
    objective = CashObjective(data, resampling=KFold(folds, seed=seed), seed=seed)
    start = time.process_time()
    for config in configs:
        serialize(objective.trace(config).root)
    return time.process_time() - start


def sklearn_scores(data: Dataset, configs: Sequence[dict], folds: int, seed: int, memory: bool) -> list[float]:
    """Mean R2 of each config's cairn pipeline by ``cross_val_score`` on cairn's folds."""
    objective = CashObjective(data, resampling=KFold(folds, seed=seed), seed=seed)
    splits = objective._splits
    with tempfile.TemporaryDirectory() as tmp, quiet(1):
        cache = Memory(tmp, verbose=0) if memory else None
        return [float(np.mean(cross_val_score(objective.pipeline(c).set_params(memory=cache), data.X,
                                              data.y.to_numpy(), cv=splits, scoring="r2")))
                for c in configs]


def plain_loop(data: Dataset, configs: Sequence[dict], folds: int, seed: int) -> list[float]:
    """The evaluation before lineage: per fold, fit the pipeline and score it; no items."""
    objective = CashObjective(data, resampling=KFold(folds, seed=seed), seed=seed)
    y, scores = objective._y, []
    with quiet(1):
        for config in configs:
            fold_scores = []
            for train, valid in objective._splits:
                model = objective.pipeline(config).fit(data.X.iloc[train], y[train])
                fold_scores.append(objective.metric.score(model, data.X.iloc[valid], y[valid]))
            scores.append(float(np.mean(fold_scores)))
    return scores


def preprocessing_items(results: Sequence[Result]) -> list[Item]:
    """Every preprocessing item (step fits, transforms) the trials requested, once per request:
    the fit and transform items of their traces, less the learners' fits."""
    requested = []
    for result in results:
        dag = list(expand(result.lineage).walk())  # type: ignore[arg-type]
        learner_fits = {i.inputs[0] for i in dag if i.op == "predict"}
        requested += [i for i in dag if i.op in ("fit", "transform") and i not in learner_fits]
    return requested


def reuse_part(size: dict[str, Any], seed: int, repeats: int) -> list[str]:
    rows, columns, n = size["reuse"]
    k = size["folds"]
    data = wide_table(rows, columns, seed)
    configs = [c for c, _ in cairn_search(data, linear_space(), n, k, seed, None)]  # also warms up
    last: dict[str, Any] = {}  # the cache and results of the latest run with reuse

    def with_reuse() -> list[float]:
        last["cache"] = CountingCache()
        trials = cairn_search(data, linear_space(), n, k, seed, last["cache"])
        assert [c for c, _ in trials] == configs
        last["results"] = [r for _, r in trials]
        return [r.metrics["r2"] for _, r in trials]

    timings = measure({
        "cairn, reuse": with_reuse,
        "cairn, reuse off": lambda: [r.metrics["r2"] for _, r in cairn_search(data, linear_space(), n, k, seed, None)],
        "scikit-learn, Pipeline(memory=joblib.Memory(tmpdir))": lambda: sklearn_scores(data, configs, k, seed, True),
        "scikit-learn, no memory": lambda: sklearn_scores(data, configs, k, seed, False),
    }, repeats)
    ours = timings["cairn, reuse"]
    memory = timings["scikit-learn, Pipeline(memory=joblib.Memory(tmpdir))"]
    agree = max(float(np.max(np.abs(np.asarray(t.result) - ours.result))) for t in timings.values())
    requested = preprocessing_items(last["results"])
    distinct = set(requested)
    computed = sum(count for item, count in last["cache"].computed.items() if item in distinct)
    best_ratio, ratio = 1 - len(distinct) / len(requested), 1 - computed / len(requested)
    stats = last["cache"].stats
    learners = Counter(c["learner"] for c in configs)
    preprocessings = {(c["scale"], c["features"], c.get("pca.fraction")) for c in configs}
    return [
        f"## (c) Reuse across a search: {n} configs x {k}-fold CV on {rows:,} x {columns}\n",
        f"Search space: scaler in {{standard, robust, minmax}} -> PCA keeping 10/20/40 % of the columns or none "
        f"-> ridge / lasso / elastic net (log-uniform strengths); cairn's random search, seed {seed}. The "
        f"{n} configs: {', '.join(f'{v} {name}' for name, v in learners.most_common())}; "
        f"{len(preprocessings)} distinct preprocessings.\n",
        "| run | wall s | CPU s | wall, x cairn with reuse |",
        "|---|---|---|---|",
        *[f"| {name} | {t.wall:.2f} | {t.cpu:.2f} | {t.wall / ours.wall:.1f} |" for name, t in timings.items()],
        "",
        f"* Pipeline(memory) / cairn with reuse: **{memory.wall / ours.wall:.1f}x** wall, {memory.cpu / ours.cpu:.1f}x "
        f"CPU (target >= 3x).",
        f"* Preprocessing items: {len(requested)} requested, {len(distinct)} distinct, {computed} computed by cairn. "
        f"Hit ratio **{ratio:.1%}** of a possible {best_ratio:.1%}: **{ratio / best_ratio:.1%}** of the maximum "
        f"(target >= 95 %).",
        f"* Whole cache of one run: {stats.hits} hits, {stats.misses} misses, {stats.bytes / 1e6:.0f} MB held.",
        f"* The same R2 for every config in every run: largest difference {agree:.1e}.",
        "",
    ]


def overhead_part(size: dict[str, Any], seed: int, repeats: int) -> list[str]:
    rows, columns, n = size["overhead"]
    k = size["folds"]
    data = wide_table(rows, columns, seed + 1)
    configs = [c for c, _ in cairn_search(data, unshared_space(), n, k, seed, None)]  # also warms up
    caches: list[TimedCache] = []

    def with_cache() -> list[tuple[dict, Result]]:
        caches.append(TimedCache())
        return cairn_search(data, unshared_space(), n, k, seed, caches[-1], empty_before_each=True)

    timings = measure({
        "cairn, reuse cache emptied before each trial": with_cache,
        "cairn, cache off (tracing on)": lambda: cairn_search(data, unshared_space(), n, k, seed, None),
        "pre-lineage loop: fit and score each fold's pipeline": lambda: plain_loop(data, configs, k, seed),
    }, repeats)
    on, off, floor = timings.values()
    bookkeeping = float(np.median([c.bookkeeping for c in caches]))
    tracing = float(np.median([tracing_work(data, configs, k, seed) for _ in range(repeats)]))
    learners = Counter(c["learner"] for c in configs)
    return [
        f"## (d) Tracing and caching with nothing to reuse: {n} configs x {k}-fold CV on {rows:,} x {columns}\n",
        f"Configs: {', '.join(f'{v} {name}' for name, v in learners.most_common())} (cairn's random search over "
        f"its regression space with PCA or univariate selection always on, seed {seed}).\n",
        "| run | wall s | CPU s | CPU / cache off |",
        "|---|---|---|---|",
        *[f"| {name} | {t.wall:.2f} | {t.cpu:.2f} | {t.cpu / off.cpu:.3f} |" for name, t in timings.items()],
        "",
        f"* Tracing (literals, items, patches and trace text for all {n} configs, timed alone): "
        f"**{tracing:.2f} s**; the reuse cache's own work (lookups, sizing and storing values, eviction), timed "
        f"inside it: **{bookkeeping:.2f} s**. Together **{(tracing + bookkeeping) / on.cpu:.1%}** of the "
        f"{on.cpu:.2f} CPU seconds of the search (target < 5 %).",
        f"* Whole runs, CPU seconds: with the cache against without it {on.cpu / off.cpu - 1:+.1%}; tracing and the "
        f"cache against the untraced loop {on.cpu / floor.cpu - 1:+.1%} (wall: {on.wall / off.wall - 1:+.1%} and "
        f"{on.wall / floor.wall - 1:+.1%}). Whole runs differ from repeat to repeat by more than "
        f"this (the sign changes between runs on a shared machine); the two parts timed alone do not.",
        "",
    ]


def machine(seed: int) -> str:
    return (f"Machine: {platform.machine()}, {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f} at the "
            f"start), Python {platform.python_version()}, NumPy {np.__version__}, scikit-learn {sklearn.__version__}; "
            f"BLAS and OpenMP limited to 1 thread. Seed {seed}.")


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat, print only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, help="runs per timing (median); 3 by default, 1 with --quick")
    parser.add_argument("--only", choices=("reuse", "overhead"))
    parser.add_argument("--out", type=Path, help=f"where to write the table (default {RESULTS}, none with --quick)")
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    repeats = args.repeats or size["repeats"]
    command = "python bench/reuse_cash.py " + " ".join(argv if argv is not None else sys.argv[1:])
    parts = ["# Reuse in the CASH search\n", f"`{command.strip()}`\n", machine(args.seed),
             f"Seconds are medians of {repeats} run(s), interleaved; CPU seconds are this process's, which "
             f"other load on the machine disturbs far less than wall seconds.\n"]
    with threadpool_limits(limits=1):
        if args.only != "overhead":
            parts += reuse_part(size, args.seed, repeats)
        if args.only != "reuse":
            parts += overhead_part(size, args.seed, repeats)
    text = "\n".join(parts)
    publish(text, args.out or (None if args.quick else RESULTS))
    return text


if __name__ == "__main__":
    main()
