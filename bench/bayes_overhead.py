"""Overhead and sample efficiency of the model-based strategies (GP-BO, forest-BO, TPE).

Overhead: milliseconds per ask+tell on a 10-D mixed space (6 floats, two on a log
scale; 2 ints; 2 categoricals) with a trivial objective, once the history holds ``n``
trials. TPE runs its own history; GP's history is filled with random trials first (its
own 500 asks would take minutes) and the window timed after one warm-up ask spans a
hyperparameter refit, so the mean is the amortised cost.

Regret: median regret (IQR) after ``--evals`` evaluations over ``--seeds`` seeds on
Branin, Hartmann3/6 and Rosenbrock/Levy/Ackley in 10-D, against random search.

    python bench/bayes_overhead.py                   # 5 seeds x 100 evaluations, both parts
    python bench/bayes_overhead.py --only overhead   # just the timings
    python bench/bayes_overhead.py --jobs 4          # regret runs in 4 processes
    python bench/bayes_overhead.py --only overhead --tpe-trials 100,1000,10000
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from cairn.benchmarks import get_benchmark
from cairn.benchmarks.run import best_regret
from cairn.optim import Optimizer, make_optimizer
from cairn.optim.bayes import TPE, BayesianOptimization
from cairn.space import Categorical, Float, Int, Space
from cairn.trial import Result, Trial

FUNCTIONS = (("branin", None), ("hartmann3", None), ("hartmann6", None),
             ("rosenbrock", 10), ("levy", 10), ("ackley", 10))
STRATEGIES = ("random", "tpe", "gp", "forest")


def mixed_space() -> Space:
    return Space([
        Float("a", 0, 1), Float("b", -5, 5), Float("c", 1e-4, 1, log=True), Float("d", 1e-3, 1e3, log=True),
        Float("e", 0, 10), Float("f", -1, 1), Int("g", 1, 100), Int("h", 1, 1024, log=True),
        Categorical("i", ["x", "y", "z"]), Categorical("j", [1, 2, 3, 4]),
    ])


def trivial(config: dict) -> float:
    return config["a"] ** 2 + abs(config["b"]) + (config["i"] == "x") + config["g"] / 100


def build(strategy: str, space: Space, seed: int) -> Optimizer:
    if strategy == "tpe":
        return TPE(space, seed=seed)
    if strategy in ("gp", "forest"):
        return BayesianOptimization(space, seed=seed, surrogate=strategy)
    return make_optimizer(strategy, space, seed=seed)


def ms_per_trial(opt: Optimizer, n_trials: int) -> float:
    start = time.perf_counter()
    for _ in range(n_trials):
        trial = opt.ask()
        opt.tell(trial, Result(loss=trivial(trial.config)))
    return (time.perf_counter() - start) / n_trials * 1e3


def prefill(opt: Optimizer, n: int, rng: np.random.Generator) -> None:
    """Tell ``n`` random trials without asking, as a resumed study would."""
    for i in range(n):
        config = opt.space.sample(rng)
        opt.tell(Trial(10_000_000 + i, config), Result(loss=trivial(config)))


def reference_ms() -> float:
    """A machine yardstick: milliseconds for a million-step Python loop (best of 3)."""
    best = float("inf")
    for _ in range(3):
        start, total = time.perf_counter(), 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def overhead(tpe_trials: tuple[int, ...] = (100, 1000)) -> list[str]:
    space, rows = mixed_space(), []
    tpe = TPE(space, seed=0)
    done = 0
    for n in sorted(tpe_trials):
        ms_per_trial(tpe, n - 10 - done)
        rows.append(f"| TPE | {n} | {ms_per_trial(tpe, 20):.2f} |")
        done = n + 10
    for n in (100, 500):
        gp = BayesianOptimization(space, seed=0)
        prefill(gp, n, np.random.default_rng(0))
        ms_per_trial(gp, 1)
        rows.append(f"| GP | {n} | {ms_per_trial(gp, max(10, n // 20)):.0f} |")
    return [
        f"Machine yardstick: a million-step Python loop takes {reference_ms():.0f} ms here.",
        "",
        "| strategy | trials | ms per ask+tell |",
        "|---|---|---|",
        *rows,
    ]


def run(args: tuple[str, str, int | None, int, int]) -> float:
    strategy, name, dim, seed, evals = args
    bench = get_benchmark(name, dim)
    return best_regret(bench, build(strategy, bench.space, seed), evals)


def regret(seeds: int, evals: int, jobs: int) -> list[str]:
    tasks = [(s, f, d, seed, evals) for f, d in FUNCTIONS for s in STRATEGIES for seed in range(seeds)]
    with ProcessPoolExecutor(jobs) as pool:
        values = np.array(list(pool.map(run, tasks))).reshape(len(FUNCTIONS), len(STRATEGIES), seeds)
    rows = ["| function | " + " | ".join(STRATEGIES) + " |", "|---" * (len(STRATEGIES) + 1) + "|"]
    for (name, dim), per_strategy in zip(FUNCTIONS, values, strict=True):
        cells = []
        for v in per_strategy:
            q25, median, q75 = np.percentile(v, [25, 50, 75])
            cells.append(f"{median:.3g} ({q75 - q25:.2g})")
        rows.append(f"| {get_benchmark(name, dim).name} | " + " | ".join(cells) + " |")
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--evals", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--only", choices=("overhead", "regret"))
    parser.add_argument("--tpe-trials", default="100,1000", help="history sizes at which TPE is timed")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "bayes_overhead.md")
    args = parser.parse_args(argv)
    command = "python bench/bayes_overhead.py " + " ".join(argv if argv is not None else sys.argv[1:])
    parts = [f"# Model-based strategies: overhead and regret\n\n`{command.strip()}`\n"]
    if args.only != "regret":
        tpe_trials = tuple(int(n) for n in args.tpe_trials.split(","))
        parts += ["## Overhead on a 10-D mixed space\n", *overhead(tpe_trials), ""]
        print("\n".join(parts))
    if args.only != "overhead":
        body = regret(args.seeds, args.evals, args.jobs)
        parts += [f"## Median regret (IQR) after {args.evals} evaluations, {args.seeds} seeds\n", *body, ""]
        print("\n".join(body))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(parts))


if __name__ == "__main__":
    main()
