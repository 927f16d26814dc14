"""The classic test functions (definitions, domains and optima after Surjanovic & Bingham).

Branin and the Hartmann functions have fixed dimension; Rosenbrock, Levy and Ackley take
``dim`` (default 5).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from cairn.benchmarks.base import Benchmark
from cairn.errors import UserError

DEFAULT_DIM = 5


def _branin(x: np.ndarray) -> float:
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10


def _hartmann(alpha: np.ndarray, a: np.ndarray, p: np.ndarray) -> Callable[[np.ndarray], float]:
    """``-sum_i alpha_i exp(-sum_j a_ij (x_j - p_ij)^2)``."""

    def fn(x: np.ndarray) -> float:
        return -float(alpha @ np.exp(-np.sum(a * (x - p) ** 2, axis=1)))

    return fn


HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
HARTMANN3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
HARTMANN3_P = 1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]])
HARTMANN6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
HARTMANN6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_hartmann3 = _hartmann(HARTMANN_ALPHA, HARTMANN3_A, HARTMANN3_P)
_hartmann6 = _hartmann(HARTMANN_ALPHA, HARTMANN6_A, HARTMANN6_P)


def _rosenbrock(x: np.ndarray) -> float:
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def _levy(x: np.ndarray) -> float:
    w = 1 + (x - 1) / 4
    middle = (w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2)
    last = (w[-1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[-1]) ** 2)
    return float(np.sin(np.pi * w[0]) ** 2 + np.sum(middle) + last)


def _ackley(x: np.ndarray) -> float:
    a, b, c = 20.0, 0.2, 2 * math.pi
    return float(
        -a * np.exp(-b * np.sqrt(np.mean(x**2))) - np.exp(np.mean(np.cos(c * x))) + a + math.e
    )


def branin() -> Benchmark:
    return Benchmark(
        "branin",
        _branin,
        [(-5.0, 10.0), (0.0, 15.0)],
        0.397887357729739,
        [(-math.pi, 12.275), (math.pi, 2.275), (3 * math.pi, 2.475)],
    )


def hartmann3() -> Benchmark:
    return Benchmark(
        "hartmann3", _hartmann3, [(0.0, 1.0)] * 3, -3.86278214782076, [(0.114614, 0.555649, 0.852547)]
    )


def hartmann6() -> Benchmark:
    return Benchmark(
        "hartmann6",
        _hartmann6,
        [(0.0, 1.0)] * 6,
        -3.32236801141551,
        [(0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)],
    )


def rosenbrock(dim: int = DEFAULT_DIM) -> Benchmark:
    d = _at_least(2, dim)
    return Benchmark(f"rosenbrock{d}", _rosenbrock, [(-5.0, 10.0)] * d, 0.0, [(1.0,) * d])


def levy(dim: int = DEFAULT_DIM) -> Benchmark:
    d = _at_least(1, dim)
    return Benchmark(f"levy{d}", _levy, [(-10.0, 10.0)] * d, 0.0, [(1.0,) * d])


def ackley(dim: int = DEFAULT_DIM) -> Benchmark:
    d = _at_least(1, dim)
    return Benchmark(f"ackley{d}", _ackley, [(-32.768, 32.768)] * d, 0.0, [(0.0,) * d])


def _at_least(low: int, dim: int) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < low:
        raise UserError(f"this benchmark needs an integer dimension of at least {low}, got {dim!r}")
    return int(dim)


#: Benchmark factories by name; the last three take a ``dim`` argument.
BENCHMARKS: dict[str, Callable[..., Benchmark]] = {
    "branin": branin,
    "hartmann3": hartmann3,
    "hartmann6": hartmann6,
    "rosenbrock": rosenbrock,
    "levy": levy,
    "ackley": ackley,
}

_SCALABLE = ("rosenbrock", "levy", "ackley")


def get_benchmark(name: str, dim: int | None = None) -> Benchmark:
    """The benchmark called ``name``; ``dim`` sets the dimension of the scalable ones."""
    if name not in BENCHMARKS:
        raise UserError(f"unknown benchmark {name!r}; valid names are {', '.join(BENCHMARKS)}")
    if dim is None:
        return BENCHMARKS[name]()
    if name not in _SCALABLE:
        raise UserError(f"benchmark {name!r} has a fixed dimension; only {', '.join(_SCALABLE)} take one")
    return BENCHMARKS[name](dim)
