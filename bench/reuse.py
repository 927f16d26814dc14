"""Lineage reuse: partial reuse in linear algebra, reuse across a CASH search, and its cost.

(a) Ridge over 100 alphas x 5-fold CV on a 100,000 x 100 synthetic matrix. cairn with
reuse (each fold's Gram matrix once, every training Gram matrix as a sum of folds',
validation errors from the folds' Gram pieces) against the same code with reuse off
(everything computed directly), scikit-learn's ``GridSearchCV(Ridge(solver="cholesky"))``
on the same folds and alphas, and ``RidgeCV(alphas=...)`` (efficient leave-one-out) as
the hand-optimised floor. Each run includes the refit on all rows with the chosen alpha.
cairn's per-fold scores, chosen alpha and coefficients are checked against GridSearchCV's.

(b) steplm (forward selection by AIC) on 10,000 x 200: reuse against reuse off, with the
same selected columns checked.

(c) A random search of 50 configs, 5-fold CV, over scaler -> PCA(k) -> linear model
pipelines on a synthetic 20,000 x 100 regression table (make_regression: 30 informative
directions, noise, correlated columns): scaler in {standard, robust, minmax}; PCA keeping
10 %, 20 % or 40 % of the columns, or no PCA; ridge, lasso or elastic net with
log-uniform strengths. cairn's linear models are ``lm_ridge``, ``lm_lasso`` and
``lm_elastic_net``, on traced linear algebra (the last two by coordinate descent on the
Gram matrix), so configs that share a preprocessing also share each fold's X'X;
scikit-learn's side runs the same configs with ``Ridge``, ``Lasso`` and ``ElasticNet``
(same strengths, same model) in their place. cairn (the Study with the CASH objective
and one reuse cache, empty at the start, for both the pipeline's steps and the Gram
matrices; with reuse off, the linear models compute every X'X too)
runs against scikit-learn evaluating the same 50 pipelines on the same folds with
``cross_val_score``: with ``Pipeline(memory=joblib.Memory(tmpdir))`` (a fresh directory
per run), and plain. Each side's R2 per config is checked against the other's. The hit
ratio counts preprocessing items (each step's fit and its transforms of the training
and validation rows): requested = configs x folds x items per fold; the most a cache
can save is requested minus distinct; cairn's ratio is requested minus computed.

(d) What tracing and the cache cost when nothing can be reused: 20 configs on a
2,000 x 50 table of the same kind, sampled from cairn's whole regression space with PCA
or univariate selection always on at a continuous fraction (so no two configs share a
feature step), each trial on a cache emptied before it. Whole searches are timed with
the cache, with the cache off (tracing is always on) and with the pre-lineage loop (the
pipeline fitted and scored per fold, no items). lm_ridge and steplm, whose reuse inside
one fit is part of their algorithm, get a fresh engine cache per run in all three. As
whole-run differences of a few per cent drown in the noise of a shared machine, the two
costs are also timed alone: tracing (each config's items and trace text, built without
computing anything) and the cache's own work (time inside it that is not spent
computing values).

Seconds are medians of ``--repeats`` runs in one process, the runs of each part
interleaved (a, b, c, a, b, c, ...) so that load from elsewhere on the machine falls on
all of them alike; BLAS and OpenMP are limited to one thread (as the CASH objective runs
trials). Wall seconds decide, as the disk work of ``joblib.Memory`` is part of its cost;
CPU seconds, which other load disturbs far less, are shown beside. A run with reuse
starts from an empty cache.

    python bench/reuse.py                      # full sizes; writes bench/results/reuse.md
    python bench/reuse.py --quick              # small sizes, one repeat, minutes; printed only
    python bench/reuse.py --only ridge steplm  # some parts: ridge, steplm, cash, overhead
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
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from joblib import Memory
from sklearn.datasets import make_regression
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.model_selection import GridSearchCV, cross_val_score
from threadpoolctl import threadpool_info, threadpool_limits

from _report import RESULTS, publish
from cairn.data import Dataset, make_dataset
from cairn.evaluate import CashObjective, KFold
from cairn.evaluate.objective import quiet
from cairn.learners import PREPROCESSING, cash_space
from cairn.learners.lineage_linear import StepLM, TracedRidge
from cairn.lineage import Item, expand, serialize
from cairn.lineage.cache import CacheStats, ReuseCache
from cairn.lineage.linalg import sharing
from cairn.lineage.matrix import rbind, take_rows, traced
from cairn.optim import make_optimizer
from cairn.space import Categorical, Float, Space
from cairn.study import Study
from cairn.trial import Result

OUT = RESULTS / "reuse.md"
PARTS = ("ridge", "steplm", "cash", "overhead")
#: ridge: rows, columns, alphas; steplm: rows, columns; cash and overhead: rows, columns, configs.
FULL = {"ridge": (100_000, 100, 100), "steplm": (10_000, 200), "cash": (20_000, 100, 50),
        "overhead": (2_000, 50, 20), "folds": 5, "repeats": 3}
QUICK = {"ridge": (4_000, 20, 20), "steplm": (1_000, 30), "cash": (4_000, 40, 20),
         "overhead": (1_000, 20, 8), "folds": 3, "repeats": 1}


# --------------------------------------------------------------------------- timing


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


def relative(a: np.ndarray, b: np.ndarray) -> float:
    """The largest difference relative to the largest magnitude of ``b``."""
    return float(np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b)))


# --------------------------------------------------------------------------- (a) ridge grid


@dataclass
class Outcome:
    """What a grid search found: per-fold scores (alphas x folds), the best alpha, the refit."""

    scores: np.ndarray
    alpha: float
    coef: np.ndarray
    intercept: float
    stats: CacheStats | None = None


def ridge_data(n: int, p: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns with offsets and unequal scales, a sparse-ish truth, R^2 about one half."""
    rng = np.random.default_rng(seed)
    X = rng.normal(rng.normal(0, 2, p), rng.uniform(0.5, 2, p), size=(n, p))
    signal = X @ (rng.normal(size=p) * (rng.random(p) < 0.3))
    return X, signal + 1.5 + rng.normal(scale=signal.std(), size=n)


def cairn_grid(X: np.ndarray, y: np.ndarray, splits: list, alphas: np.ndarray, reuse: bool) -> Outcome:
    """Every (alpha, fold) fitted and scored as its own model, as a CASH grid would."""
    with sharing(ReuseCache()) if reuse else nullcontext() as la:
        X_traced, y_traced = traced(X, name="X"), traced(y, name="y")
        folds = [(take_rows(X_traced, valid), take_rows(y_traced, valid)) for _, valid in splits]
        scores = np.empty((len(alphas), len(folds)))
        for a, alpha in enumerate(alphas):
            for i, (X_valid, y_valid) in enumerate(folds):
                train = [fold for j, fold in enumerate(folds) if j != i]
                model = TracedRidge(alpha, reuse=reuse).fit(rbind(*(x for x, _ in train)), rbind(*(y for _, y in train)))
                scores[a, i] = -model.squared_error(X_valid, y_valid) / X_valid.shape[0]
        best = alphas[int(np.argmax(scores.mean(axis=1)))]
        final = TracedRidge(best, reuse=reuse).fit(rbind(*(x for x, _ in folds)), rbind(*(y for _, y in folds)))
        return Outcome(scores, float(best), final.coef_, final.intercept_, la.cache.stats if reuse else None)


def sklearn_grid(X: np.ndarray, y: np.ndarray, splits: list, alphas: np.ndarray) -> Outcome:
    search = GridSearchCV(Ridge(solver="cholesky"), {"alpha": list(alphas)}, cv=splits,
                          scoring="neg_mean_squared_error", refit=True)
    search.fit(X, y)
    scores = np.column_stack([search.cv_results_[f"split{i}_test_score"] for i in range(len(splits))])
    model = search.best_estimator_
    return Outcome(scores, float(search.best_params_["alpha"]), model.coef_, float(model.intercept_))


def ridge_cv(X: np.ndarray, y: np.ndarray, alphas: np.ndarray) -> Outcome:
    model = RidgeCV(alphas=alphas).fit(X, y)
    return Outcome(np.empty((0, 0)), float(model.alpha_), model.coef_, float(model.intercept_))


def ridge_part(size: dict[str, Any], seed: int, repeats: int) -> list[str]:
    n, p, n_alphas = size["ridge"]
    k = size["folds"]
    X, y = ridge_data(n, p, seed)
    splits = list(KFold(k, seed=seed).split(y, stratify=False))
    alphas = np.logspace(-3, 6, n_alphas)
    timings = measure({
        "cairn, reuse": lambda: cairn_grid(X, y, splits, alphas, reuse=True),
        "cairn, reuse off": lambda: cairn_grid(X, y, splits, alphas, reuse=False),
        'scikit-learn GridSearchCV(Ridge(solver="cholesky"))': lambda: sklearn_grid(X, y, splits, alphas),
        "scikit-learn RidgeCV (leave-one-out, the floor)": lambda: ridge_cv(X, y, alphas),
    }, repeats)
    ours, off, grid, floor = timings.values()
    reuse, stats = ours.result, ours.result.stats
    return [
        f"## (a) Ridge: {n_alphas} alphas x {k}-fold CV on {n:,} x {p}\n",
        "| run | wall s | CPU s | wall, x cairn with reuse | chosen alpha |",
        "|---|---|---|---|---|",
        *[f"| {name} | {t.wall:.2f} | {t.cpu:.2f} | {t.wall / ours.wall:.1f} | {t.result.alpha:.4g} |"
          for name, t in timings.items()],
        "",
        f"* GridSearchCV / cairn with reuse: **{grid.wall / ours.wall:.1f}x** (target >= 10x); "
        f"cairn with reuse / RidgeCV: **{ours.wall / floor.wall:.2f}** (target <= 1.5); "
        f"reuse on against off: {off.wall / ours.wall:.1f}x.",
        f"* Agreement with GridSearchCV: per-fold scores within {relative(reuse.scores, grid.result.scores):.1e} "
        f"(reuse) and {relative(off.result.scores, grid.result.scores):.1e} (reuse off) relative; same alpha: "
        f"{reuse.alpha == grid.result.alpha == off.result.alpha}; refit coefficients within "
        f"{relative(reuse.coef, grid.result.coef):.1e}, intercept within "
        f"{abs(reuse.intercept - grid.result.intercept) / abs(grid.result.intercept):.1e}. RidgeCV scores by "
        f"leave-one-out, not these folds, so its alpha may differ.",
        f"* Reuse cache of one run: {stats.hits} hits, {stats.misses} misses, {stats.bytes / 1e6:.1f} MB held.",
        "* cairn fits and scores every (alpha, fold) as its own `TracedRidge`: the training rows are "
        "an unmaterialised `rbind` of the other folds, whose Gram matrix is the sum of theirs, and the "
        "validation error comes from the held-out fold's Gram pieces. With reuse off the same code "
        "copies each training set and computes every Gram matrix from scratch. Both include "
        "fingerprinting X once and the refit.",
        "",
    ]


# --------------------------------------------------------------------------- (b) steplm


def steplm_data(n: int, p: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A quarter of the columns matter, with effects from strong to barely detectable."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    beta = np.zeros(p)
    active = rng.choice(p, p // 4, replace=False)
    beta[active] = np.geomspace(1.0, 0.02, active.size) * rng.choice([-1, 1], active.size)
    return X, X @ beta + 0.5 + rng.normal(size=n)


def steplm_part(size: dict[str, Any], seed: int, repeats: int) -> list[str]:
    n, p = size["steplm"]
    X, y = steplm_data(n, p, seed)

    def fit(reuse: bool) -> tuple[StepLM, CacheStats | None]:
        with sharing(ReuseCache()) if reuse else nullcontext() as la:
            return StepLM(reuse=reuse).fit(X, y), la.cache.stats if reuse else None

    timings = measure({"cairn, reuse": lambda: fit(True), "cairn, reuse off": lambda: fit(False)}, repeats)
    ours, off = timings.values()
    (on_model, stats), (off_model, _) = ours.result, off.result
    return [
        f"## (b) steplm: forward selection by AIC on {n:,} x {p}\n",
        "| run | wall s | CPU s | wall, x cairn with reuse |",
        "|---|---|---|---|",
        *[f"| {name} | {t.wall:.2f} | {t.cpu:.2f} | {t.wall / ours.wall:.1f} |" for name, t in timings.items()],
        "",
        f"* Partial reuse: **{off.wall / ours.wall:.1f}x** (target >= 4x). {len(on_model.selected_)} columns "
        f"selected ({len(on_model.selected_) + 1} steps of up to {p} candidates each); same columns in the same "
        f"order with reuse off: {on_model.selected_ == off_model.selected_}; coefficients within "
        f"{relative(on_model.coef_, off_model.coef_):.1e}.",
        f"* Reuse cache of one run: {stats.hits} hits, {stats.misses} misses, {stats.bytes / 1e6:.1f} MB held.",
        "",
    ]


# --------------------------------------------------------------------------- (c), (d) CASH search


def wide_table(rows: int, columns: int, seed: int) -> Dataset:
    X, y = make_regression(rows, columns, n_informative=30 if columns > 30 else columns // 2, noise=1.0,
                           effective_rank=columns // 3, tail_strength=0.4, random_state=seed)
    return make_dataset(X, y, "regression", "wide")


def linear_space() -> Space:
    """Scaler, optional PCA on a grid of fractions, and a regularised linear model."""
    return (Space([Categorical("scale", ["standard", "robust", "minmax"])])
            + Space.nested("features", {"none": None, "pca": Space([Categorical("fraction", [0.1, 0.2, 0.4])])})
            + Space.nested("learner", {
                "lm_ridge": Space([Float("alpha", 1e-3, 1e2, log=True)]),
                "lm_lasso": Space([Float("alpha", 1e-4, 1.0, log=True)]),
                "lm_elastic_net": Space([Float("alpha", 1e-4, 1.0, log=True), Float("l1_ratio", 0.1, 0.9)]),
            }))


def preprocessing_of(config: dict) -> tuple:
    """What a config of :func:`linear_space` does before its learner."""
    return config["scale"], config["features"], config.get("pca.fraction")


def sklearn_config(config: dict) -> dict:
    """``config`` for scikit-learn's side: ``lm_ridge``, ``lm_lasso`` and ``lm_elastic_net``
    become the catalog's ``ridge``, ``lasso`` and ``elastic_net`` (scikit-learn's own) with
    the same parameters, the same models fitted another way."""
    ours = config["learner"]
    theirs = ours.removeprefix("lm_")
    return {(f"{theirs}.{name.split('.', 1)[1]}" if name.startswith(f"{ours}.") else name): value
            for name, value in {**config, "learner": theirs}.items()}


def unshared_space() -> Space:
    """cairn's regression space with a feature step always on, at a continuous fraction."""
    full = cash_space("regression")
    fraction = Space([Float("fraction", 0.1, 1.0)])
    return (Space([full["impute"], full["scale"]])
            + Space.nested("features", {"pca": fraction, "select_k_best": fraction})
            + Space([p for p in full.params if p.name not in PREPROCESSING.names]))


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


def sklearn_scores(data: Dataset, configs: Sequence[dict], folds: int, seed: int,
                   memory: bool) -> list[tuple[float, float]]:
    """Mean R2 of each config's pipeline (:func:`sklearn_config`) by ``cross_val_score``
    on cairn's folds, and the wall seconds it took."""
    objective = CashObjective(data, resampling=KFold(folds, seed=seed), seed=seed)
    splits, y, scored = objective._splits, data.y.to_numpy(), []
    with tempfile.TemporaryDirectory() as tmp, quiet(1):
        cache = Memory(tmp, verbose=0) if memory else None
        for config in configs:
            start = time.perf_counter()
            pipeline = objective.pipeline(sklearn_config(config)).set_params(memory=cache)
            r2 = float(np.mean(cross_val_score(pipeline, data.X, y, cv=splits, scoring="r2")))
            scored.append((r2, time.perf_counter() - start))
    return scored


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


OURS, MEMORY = "cairn, reuse", "scikit-learn, Pipeline(memory=joblib.Memory(tmpdir))"


def by_learner(configs: Sequence[dict], seconds: dict[str, list[list[float]]]) -> list[str]:
    """Table rows: per learner, the summed per-config wall seconds (medians over repeats)
    of cairn with reuse and of Pipeline(memory), and their ratio."""
    medians = {name: np.median(np.asarray(runs), axis=0) for name, runs in seconds.items()}
    rows = []
    for learner, count in Counter(c["learner"] for c in configs).most_common():
        mine = np.array([c["learner"] == learner for c in configs])
        ours, memory = medians[OURS][mine].sum(), medians[MEMORY][mine].sum()
        rows.append(f"| {learner} | {count} | {ours:.2f} | {memory:.2f} | {memory / ours:.1f} |")
    return rows


def cash_part(size: dict[str, Any], seed: int, repeats: int) -> list[str]:
    rows, columns, n = size["cash"]
    k = size["folds"]
    data = wide_table(rows, columns, seed)
    with sharing(None):  # also warms up
        configs = [c for c, _ in cairn_search(data, linear_space(), n, k, seed, None)]
    last: dict[str, Any] = {}  # the cache and results of the latest run with reuse
    seconds: dict[str, list[list[float]]] = {OURS: [], MEMORY: []}  # per config, per repeat

    def with_reuse() -> list[float]:
        last["cache"] = CountingCache()
        with sharing(last["cache"]):  # the linear models' Gram matrices go to the same cache
            trials = cairn_search(data, linear_space(), n, k, seed, last["cache"])
        assert [c for c, _ in trials] == configs
        last["results"] = [r for _, r in trials]
        seconds[OURS].append([r.cost for r in last["results"]])
        return [r.metrics["r2"] for r in last["results"]]

    def without_reuse() -> list[float]:
        with sharing(None):
            return [r.metrics["r2"] for _, r in cairn_search(data, linear_space(), n, k, seed, None)]

    def scikit_learn(memory: bool) -> list[float]:
        scored = sklearn_scores(data, configs, k, seed, memory)
        if memory:
            seconds[MEMORY].append([s for _, s in scored])
        return [r2 for r2, _ in scored]

    timings = measure({
        OURS: with_reuse,
        "cairn, reuse off": without_reuse,
        MEMORY: lambda: scikit_learn(True),
        "scikit-learn, no memory": lambda: scikit_learn(False),
    }, repeats)
    ours, memory = timings[OURS], timings[MEMORY]
    agree = max(float(np.max(np.abs(np.asarray(t.result) - ours.result))) for t in timings.values())
    assert agree < 1e-6, f"the two sides' R2 differ by {agree:.1e}"  # coordinate descent stops at a tolerance
    requested = preprocessing_items(last["results"])
    distinct = set(requested)
    computed = sum(count for item, count in last["cache"].computed.items() if item in distinct)
    best_ratio, ratio = 1 - len(distinct) / len(requested), 1 - computed / len(requested)
    grams = sum(count for item, count in last["cache"].computed.items()
                if item.op == "tsmm" and item.inputs[0].op == "transform")
    linear_preprocessings = {preprocessing_of(c) for c in configs}
    stats = last["cache"].stats
    learners = Counter(c["learner"] for c in configs)
    preprocessings = {preprocessing_of(c) for c in configs}
    return [
        f"## (c) Reuse across a search: {n} configs x {k}-fold CV on {rows:,} x {columns}\n",
        f"Search space: scaler in {{standard, robust, minmax}} -> PCA keeping 10/20/40 % of the columns or none "
        f"-> ridge / lasso / elastic net (log-uniform strengths); cairn's random search, seed {seed}. The "
        f"{n} configs: {', '.join(f'{v} {name}' for name, v in learners.most_common())}; "
        f"{len(preprocessings)} distinct preprocessings. scikit-learn runs `Ridge`, `Lasso` and `ElasticNet` "
        f"where cairn runs `lm_ridge`, `lm_lasso` and `lm_elastic_net`.\n",
        "| run | wall s | CPU s | wall, x cairn with reuse |",
        "|---|---|---|---|",
        *[f"| {name} | {t.wall:.2f} | {t.cpu:.2f} | {t.wall / ours.wall:.1f} |" for name, t in timings.items()],
        "",
        f"* Pipeline(memory) / cairn with reuse: **{memory.wall / ours.wall:.1f}x** wall, {memory.cpu / ours.cpu:.1f}x "
        f"CPU (target >= 3x).",
        f"* Preprocessing items: {len(requested)} requested, {len(distinct)} distinct, {computed} computed by cairn. "
        f"Hit ratio **{ratio:.1%}** of a possible {best_ratio:.1%}: **{ratio / best_ratio:.1%}** of the maximum "
        f"(target >= 95 %).",
        f"* Linear models: {n * k} fits ({n} configs x {k} folds) on {len(linear_preprocessings) * k} distinct "
        f"transformed training folds; X'X computed {grams} times.",
        f"* Whole cache of one run: {stats.hits} hits, {stats.misses} misses, {stats.bytes / 1e6:.0f} MB held.",
        f"* The same R2 for every config in every run (cairn's linear models against scikit-learn's included): "
        f"largest difference {agree:.1e}.",
        "",
        "By learner: each config's wall seconds (the median over repeats), summed. The first config to use a "
        "preprocessing on a fold also pays for fitting it, on both sides alike; cairn's linear models take X'X "
        "from the cache where an earlier config computed it.\n",
        "| learner | configs | cairn with reuse, s | Pipeline(memory), s | ratio |",
        "|---|---|---|---|---|",
        *by_learner(configs, seconds),
        "",
    ]


def overhead_part(size: dict[str, Any], seed: int, repeats: int) -> list[str]:
    rows, columns, n = size["overhead"]
    k = size["folds"]
    data = wide_table(rows, columns, seed + 1)
    with sharing(ReuseCache()):  # also warms up
        configs = [c for c, _ in cairn_search(data, unshared_space(), n, k, seed, None)]
    caches: list[TimedCache] = []

    def with_cache() -> list[tuple[dict, Result]]:
        caches.append(TimedCache())
        with sharing(ReuseCache()):
            return cairn_search(data, unshared_space(), n, k, seed, caches[-1], empty_before_each=True)

    def without_cache() -> list[tuple[dict, Result]]:
        with sharing(ReuseCache()):
            return cairn_search(data, unshared_space(), n, k, seed, None)

    def untraced() -> list[float]:
        with sharing(ReuseCache()):
            return plain_loop(data, configs, k, seed)

    timings = measure({
        "cairn, reuse cache emptied before each trial": with_cache,
        "cairn, cache off (tracing on)": without_cache,
        "pre-lineage loop: fit and score each fold's pipeline": untraced,
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
        f"this on a shared machine; the two parts timed alone do not.",
        "",
    ]


# --------------------------------------------------------------------------- the report


def machine(seed: int) -> str:
    blas = ", ".join(sorted({f"{i['internal_api']} {i.get('version') or ''}".strip() for i in threadpool_info()}))
    return (f"Machine: {platform.machine()}, {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f} at the "
            f"start), Python {platform.python_version()}, NumPy {np.__version__}, scikit-learn {sklearn.__version__}, "
            f"{blas}; BLAS and OpenMP limited to 1 thread. Seed {seed}.")


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat, print only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, help="runs per timing (median); 3 by default, 1 with --quick")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=PARTS, help="the parts to run (default: all)")
    parser.add_argument("--out", type=Path, help=f"where to write the table (default {OUT}, none with --quick)")
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    repeats = args.repeats or size["repeats"]
    command = "python bench/reuse.py " + " ".join(argv if argv is not None else sys.argv[1:])
    parts = ["# Lineage reuse\n", f"`{command.strip()}`\n", machine(args.seed),
             f"Seconds are medians of {repeats} run(s), interleaved; CPU seconds are this process's, which "
             f"other load on the machine disturbs far less than wall seconds.\n"]
    run_part = {"ridge": ridge_part, "steplm": steplm_part, "cash": cash_part, "overhead": overhead_part}
    with threadpool_limits(limits=1):
        for name in PARTS:
            if name in args.only:
                print(f"({name})", flush=True)
                parts += run_part[name](size, args.seed, repeats)
    text = "\n".join(parts)
    publish(text, args.out or (None if args.quick else OUT))
    return text


if __name__ == "__main__":
    main()
