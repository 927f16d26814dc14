"""Post-hoc ensemble selection against the best single model, on held-out test rows.

For each bundled dataset and seed: a stratified 80/20 train/test split (cairn run's), a
random search of ``--trials`` configs over the whole CASH space with 5-fold CV on the
training rows (the objective keeps out-of-fold predictions), then

* *single*: the best trial's config refitted on all training rows (what ``cairn run``
  ships), and
* *ensemble*: Caruana selection (50 picks with replacement, the seed's tie-breaks) over
  the trials' out-of-fold predictions, its members refitted on all training rows
  (``build_ensemble``; when it keeps one trial, that trial's model is the answer),

both scored on the test rows by the search metric (balanced accuracy, R2). The table
gives the median over seeds of each test score, the median paired difference, how often
the ensemble wins, ties or loses, and the median seconds ``build_ensemble`` took (the
selection and the members' refits). The search is the same for both, so its cost is
left out. One BLAS thread per fit.

    python bench/ensemble.py            # 3 datasets x 5 seeds x 20 trials; writes bench/results/ensemble.md
                                        # (30 min wall on 2 cores shared at load ~9; far less alone)
    python bench/ensemble.py --quick    # 2 seeds x 8 trials; printed only
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import sklearn

from _report import RESULTS, publish
from cairn.automl.ensemble import build_ensemble
from cairn.data import load_dataset, split_train_test
from cairn.evaluate import CashObjective, KFold
from cairn.learners import cash_space
from cairn.lineage.cache import ReuseCache
from cairn.optim import make_optimizer
from cairn.study import Study

DATASETS = ("breast_cancer", "digits", "diabetes")
ENSEMBLE_SIZE = 50


def one_run(name: str, seed: int, trials: int) -> dict[str, float]:
    """The test scores of the best single model and of the ensemble for one seed."""
    train, test = split_train_test(load_dataset(name), seed=seed)
    objective = CashObjective(train, resampling=KFold(5, seed=seed), seed=seed, cache=ReuseCache(),
                              keep_predictions=True)
    optimizer = make_optimizer("random", cash_space(train.task), seed=seed)
    result = Study(optimizer, objective, n_trials=trials).optimize()
    single = objective.score(objective.refit(result.best.config), test)
    start = time.perf_counter()
    model, info = build_ensemble(objective, result.trials, size=ENSEMBLE_SIZE, seed=seed)
    seconds = time.perf_counter() - start
    if model is None:  # the selection kept one trial: its model is the answer
        model = objective.refit(next(t.config for t in result.trials if t.id == info["trial_ids"][0]))
    return {"single": single, "ensemble": objective.score(model, test), "members": len(info["trial_ids"]),
            "seconds": seconds}


def table(seeds: int, trials: int) -> str:
    lines = [
        f"Test score of the best single model and of the Caruana ensemble ({ENSEMBLE_SIZE} picks) after a "
        f"random search of {trials} configs, 5-fold CV, seeds 0-{seeds - 1}: medians over seeds, the median "
        "paired difference (ensemble - single) and the ensemble's wins/ties/losses. Members: median count "
        "of distinct trials in the ensemble (1: the selection kept one model). Seconds: median time of "
        "`build_ensemble` (selection and the members' refits).",
        "",
        "| dataset | metric | single | ensemble | difference | wins/ties/losses | members | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in DATASETS:
        runs = [one_run(name, seed, trials) for seed in range(seeds)]
        diff = [r["ensemble"] - r["single"] for r in runs]
        wtl = "/".join(str(sum(f(d) for d in diff)) for f in (lambda d: d > 0, lambda d: d == 0, lambda d: d < 0))
        metric = "r2" if load_dataset(name).task == "regression" else "balanced_accuracy"
        lines.append(f"| {name} | {metric} | {statistics.median(r['single'] for r in runs):.4f} "
                     f"| {statistics.median(r['ensemble'] for r in runs):.4f} | {statistics.median(diff):+.4f} "
                     f"| {wtl} | {statistics.median(r['members'] for r in runs):g} "
                     f"| {statistics.median(r['seconds'] for r in runs):.1f} |")
        print(name, [{k: round(v, 4) for k, v in r.items()} for r in runs], flush=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines += ["", f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
              f"numpy {np.__version__}, {platform.machine()}, {os.cpu_count()} CPUs, load average "
              f"at the end {load} (seconds are wall time on a shared machine)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="2 seeds x 8 trials; writes nothing")
    parser.add_argument("--out", type=Path, default=RESULTS / "ensemble.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.trials, args.out = 2, 8, None
    publish(table(args.seeds, args.trials), args.out)


if __name__ == "__main__":
    main()
