"""Regret against budget spent on MF-Hartmann: random search, Hyperband, ASHA and BOHB.

Random search evaluates every config at the full budget; the others use budgets from
1/27 to 1 (eta = 3). Budget is counted in full evaluations (an evaluation at budget b
costs b). The incumbent is the best config evaluated at the full budget, where the
function is exact. For each strategy the table gives the median over seeds of the
incumbent's regret after a share of the total budget, and the budget at which the
median regret first reaches random search's final median regret ("to target"), with
the speed-up over random search.

    python bench/multifidelity.py            # 30 seeds x 150 full evaluations of budget
    python bench/multifidelity.py --quick    # a smoke run: 3 seeds x 20
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from cairn.benchmarks.multifidelity import (
    MF_BENCHMARKS,
    MultiFidelityBenchmark,
    budget_to_reach,
    regret_at,
    trajectory,
)
from cairn.optim import Optimizer, make_optimizer

STRATEGIES = ("random", "hyperband", "asha", "bohb")
SHARES = (0.125, 0.25, 0.5, 1.0)


def build(strategy: str, bench: MultiFidelityBenchmark, seed: int) -> Optimizer:
    if strategy == "random":
        return make_optimizer("random", bench.space, seed=seed)
    return make_optimizer(strategy, bench.space, seed=seed, min_budget=bench.min_budget, max_budget=bench.max_budget)


def median_curve(strategy: str, bench: MultiFidelityBenchmark, seeds: int, grid: np.ndarray) -> np.ndarray:
    """Median over seeds of the incumbent's regret at each budget of ``grid``."""
    total = float(grid[-1])
    return np.median([regret_at(*trajectory(bench, build(strategy, bench, s), total), grid) for s in range(seeds)], axis=0)


def table(seeds: int, total: float) -> str:
    grid = np.linspace(0, total, 1001)[1:]
    at = [int(round(share * len(grid))) - 1 for share in SHARES]
    lines = [
        f"Median regret of the full-budget incumbent over {seeds} seeds after spending a share of "
        f"{total:g} full evaluations; *to target*: budget at which the median regret first reaches "
        "random search's final median regret (lower is better), and the speed-up over random search.",
        "",
        "| function | strategy | " + " | ".join(f"regret @ {s:g}B" for s in SHARES) + " | to target | speed-up | seconds |",
        "|---" * (len(SHARES) + 5) + "|",
    ]
    for name, factory in MF_BENCHMARKS.items():
        bench = factory()
        curves, seconds = {}, {}
        for strategy in STRATEGIES:
            start = time.perf_counter()
            curves[strategy] = median_curve(strategy, bench, seeds, grid)
            seconds[strategy] = time.perf_counter() - start
        target = curves["random"][-1]
        reach_random = budget_to_reach(grid, curves["random"], target)
        for strategy, curve in curves.items():
            reach = budget_to_reach(grid, curve, target)
            cells = [f"{curve[i]:.3g}" for i in at] + [f"{reach:.3g}", f"{reach_random / reach:.2f}x", f"{seconds[strategy]:.1f}"]
            lines.append(f"| {name} | {strategy} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--budget", type=float, default=150.0, help="total budget per run, in full evaluations")
    parser.add_argument("--quick", action="store_true", help="3 seeds x 20 full evaluations; writes nothing")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "multifidelity.md")
    args = parser.parse_args(argv)
    seeds, total = (3, 20.0) if args.quick else (args.seeds, args.budget)
    text = table(seeds, total)
    sys.stdout.write(text)
    if not args.quick:
        command = "python bench/multifidelity.py" + ("" if argv is None else " " + " ".join(argv))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(f"# Multi-fidelity: regret against budget spent\n\n`{command}`\n\n{text}")


if __name__ == "__main__":
    main()
