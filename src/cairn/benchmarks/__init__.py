"""Synthetic test functions with known optima, for measuring search strategies.

Each :class:`Benchmark` is a black-box objective over a :class:`~cairn.space.Space` of
floats ``x0 .. x{d-1}`` on the function's standard domain (as in Surjanovic & Bingham's
"Virtual Library of Simulation Experiments"), so strategies can be compared by *regret*:
the distance of the best value found from the known minimum. Multi-fidelity variants
(:mod:`cairn.benchmarks.multifidelity`) take a budget as well.
"""

from __future__ import annotations

from cairn.benchmarks.base import Benchmark
from cairn.benchmarks.functions import BENCHMARKS, get_benchmark
from cairn.benchmarks.multifidelity import MF_BENCHMARKS, MultiFidelityBenchmark

__all__ = ["BENCHMARKS", "Benchmark", "MF_BENCHMARKS", "MultiFidelityBenchmark", "get_benchmark"]
