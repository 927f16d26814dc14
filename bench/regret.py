"""Regret of grid, random, annealing and RRS search on the synthetic benchmarks.

Each strategy gets ``--evals`` evaluations per run, over ``--seeds`` seeds; the grid gets
the largest grid of at most ``--evals`` points (it is the same for every seed). The table
of median regret (and its interquartile range) is printed and written as markdown.

    python bench/regret.py                # 10 seeds x 200 evaluations
    python bench/regret.py --quick        # a smoke run: 3 seeds x 50 evaluations
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from cairn.benchmarks import BENCHMARKS, Benchmark, get_benchmark
from cairn.benchmarks.run import best_regret
from cairn.optim import Optimizer, make_optimizer
from cairn.optim.grid import resolution_for

STRATEGIES = ("grid", "random", "anneal", "rrs")
SCALABLE = ("rosenbrock", "levy", "ackley")


def build(strategy: str, bench: Benchmark, seed: int, evals: int) -> Optimizer:
    if strategy == "grid":
        return make_optimizer("grid", bench.space, seed=seed, resolution=resolution_for(bench.space, evals))
    return make_optimizer(strategy, bench.space, seed=seed)


def regrets(strategy: str, bench: Benchmark, seeds: int, evals: int) -> np.ndarray:
    return np.array([best_regret(bench, build(strategy, bench, s, evals), evals) for s in range(seeds)])


def cell(values: np.ndarray) -> str:
    q25, median, q75 = np.percentile(values, [25, 50, 75])
    return f"{median:.3g} ({q75 - q25:.2g})"


def table(seeds: int, evals: int, dim: int) -> str:
    lines = [
        f"Median regret (IQR) after {evals} evaluations over {seeds} seeds; lower is better.",
        f"The grid is the largest of at most {evals} points, so it does not vary by seed.",
        "",
        "| function | " + " | ".join(STRATEGIES) + " |",
        "|---" * (len(STRATEGIES) + 1) + "|",
    ]
    for name in BENCHMARKS:
        bench = get_benchmark(name, dim if name in SCALABLE else None)
        cells = [cell(regrets(s, bench, seeds, evals)) for s in STRATEGIES]
        lines.append(f"| {bench.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--evals", type=int, default=200)
    parser.add_argument("--dim", type=int, default=5, help="dimension of rosenbrock, levy, ackley")
    parser.add_argument("--quick", action="store_true", help="3 seeds x 50 evaluations")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "regret.md")
    args = parser.parse_args(argv)
    seeds, evals = (3, 50) if args.quick else (args.seeds, args.evals)
    body = table(seeds, evals, args.dim)
    command = "python bench/regret.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = f"# Regret on synthetic benchmarks\n\n`{command.strip()}`\n\n{body}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
