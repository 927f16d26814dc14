"""Run an ask/tell optimiser on a benchmark: the loop shared by tests and ``bench/``."""

from __future__ import annotations

from cairn.benchmarks.base import Benchmark
from cairn.errors import SearchExhausted
from cairn.optim.base import Optimizer
from cairn.trial import Result


def best_regret(benchmark: Benchmark, optimizer: Optimizer, n_evals: int) -> float:
    """Regret of the best of up to ``n_evals`` evaluations (fewer if the strategy runs out)."""
    best = float("inf")
    for _ in range(n_evals):
        try:
            trial = optimizer.ask()
        except SearchExhausted:
            break
        loss = benchmark(trial.config)
        optimizer.tell(trial, Result(loss=loss))
        best = min(best, loss)
    return benchmark.regret(best)
