"""Which strategy should ``cairn run`` use by default? Every strategy on the CASH search it runs.

Each strategy searches the full CASH space of the catalog (every learner plus
preprocessing) on bundled datasets, exactly as ``cairn run`` does: 80 % of the rows for
the search (3-fold cross-validation, the default metric), the rest as a test set scored
once by the refitted best config. Reported per dataset: the median over seeds of the
best cross-validated loss after 10, 20 and 40 trials and of the test loss, and the mean
rank of each strategy over datasets and seeds (1 = best loss at 40 trials, ties
averaged). Runs are cached in a JSON-lines file, so an interrupted run resumes.

    python bench/cash_strategies.py            # writes bench/results/cash_strategies.md
    python bench/cash_strategies.py --quick    # two datasets, two seeds, printed only
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import rankdata

from _report import publish

RESULTS = Path(__file__).parent / "results" / "cash_strategies.md"
STRATEGIES = ("random", "anneal", "tpe", "bo-forest", "bo-gp", "bandit")
DATASETS = ("wine", "breast_cancer", "diabetes", "digits")
CHECKPOINTS = (10, 20, 40)
FOLDS = 3


def run_one(dataset: str, strategy: str, seed: int, n_trials: int) -> dict[str, Any]:
    """One search as ``cairn run`` does it: best CV loss after each trial, test loss, seconds."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from cairn.data import load_dataset, split_train_test
    from cairn.evaluate import CashObjective, KFold
    from cairn.learners import cash_space
    from cairn.optim import make_optimizer
    from cairn.study import Study
    from cairn.track import Store

    data = load_dataset(dataset)
    train, test = split_train_test(data, test_size=0.2, seed=seed)
    objective = CashObjective(train, resampling=KFold(FOLDS, seed=seed), seed=seed)
    optimizer = make_optimizer(strategy, cash_space(data.task), seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = Study(optimizer, objective, store=Store(f"sqlite:///{tmp}/cairn.db"), n_trials=n_trials).optimize()
        seconds = time.perf_counter() - start
    losses = [t.loss if t.result is not None and t.result.ok else float("inf") for t in result.trials]
    best = result.best
    model = objective.refit(best.config, train)  # type: ignore[union-attr]
    test_loss = objective.metric.loss(objective.score(model, test))
    return {"best": np.minimum.accumulate(losses).tolist(), "test": test_loss, "seconds": seconds,
            "learner": best.config["learner"]}  # type: ignore[union-attr]


def run_all(cells: list[tuple[str, str, int]], n_trials: int, jobs: int, cache: Path) -> dict[tuple, dict]:
    done: dict[tuple, dict] = {}
    if cache.exists():
        for line in cache.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line
            done[tuple(record.pop("key"))] = record
    todo = [c for c in cells if c not in done]
    print(f"{len(todo)} searches to run on {jobs} processes", flush=True)
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(run_one, *c, n_trials): c for c in todo}
        for k, future in enumerate(as_completed(futures), 1):
            cell, record = futures[future], future.result()
            done[cell] = record
            with cache.open("a") as f:
                f.write(json.dumps({"key": list(cell), **record}) + "\n")
            print(f"[{k}/{len(todo)}] {cell} best {record['best'][-1]:.4f} in {record['seconds']:.0f}s", flush=True)
    return done


def report(done: dict[tuple, dict], datasets: tuple[str, ...], seeds: int, n_trials: int) -> str:
    points = [c for c in CHECKPOINTS if c <= n_trials]
    lines = ["| dataset | strategy | " + " | ".join(f"CV loss @ {c}" for c in points)
             + " | test loss | s per search | best learner (most seeds) |", "|---" * (len(points) + 5) + "|"]
    ranks: dict[str, list[float]] = {s: [] for s in STRATEGIES}
    for dataset in datasets:
        for strategy in STRATEGIES:
            runs = [done[dataset, strategy, s] for s in range(seeds)]
            cv = [f"{np.median([r['best'][c - 1] for r in runs]):.4f}" for c in points]
            learners = [r["learner"] for r in runs]
            lines.append(f"| {dataset} | {strategy} | " + " | ".join(cv)
                         + f" | {np.median([r['test'] for r in runs]):.4f} | {np.median([r['seconds'] for r in runs]):.0f}"
                         + f" | {max(set(learners), key=learners.count)} |")
        for s in range(seeds):
            final = [done[dataset, strategy, s]["best"][-1] for strategy in STRATEGIES]
            for strategy, rank in zip(STRATEGIES, rankdata(final), strict=True):
                ranks[strategy].append(float(rank))
    order = sorted(STRATEGIES, key=lambda s: np.mean(ranks[s]))
    summary = ["| strategy | mean rank at " + f"{n_trials} trials (of {len(STRATEGIES)}) | runs |", "|---|---|---|"]
    summary += [f"| {s} | {np.mean(ranks[s]):.2f} | {len(ranks[s])} |" for s in order]
    return "\n".join(summary) + "\n\n" + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two datasets, two seeds, 20 trials; print only")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cache", type=Path, help="JSON-lines cache of finished searches")
    args = parser.parse_args(argv)
    datasets, seeds, n_trials = (DATASETS[:2], 2, 20) if args.quick else (DATASETS, args.seeds, 40)
    cache = args.cache or Path(tempfile.gettempdir()) / f"cairn-cash-strategies{'-quick' if args.quick else ''}.jsonl"
    cells = [(d, st, s) for d in datasets for s in range(seeds) for st in STRATEGIES]
    done = run_all(cells, n_trials, args.jobs, cache)
    command = "python bench/cash_strategies.py" + (" --quick" if args.quick else "")
    text = (f"# CASH strategies: the default of `cairn run`\n\n`{command}`\n\n"
            + " ".join(__doc__.split("\n\n")[1].split()) + "\n\n"
            + f"Seeds 0..{seeds - 1}, {n_trials} trials per search, {FOLDS}-fold CV, one thread per process, "
              f"{os.cpu_count()} cores (shared with other jobs, so seconds are rough).\n\n"
            + report(done, datasets, seeds, n_trials))
    publish(text, None if args.quick else RESULTS)


if __name__ == "__main__":
    main()
