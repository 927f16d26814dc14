"""The :class:`Benchmark` wrapper: a vectorised function on a box plus its known optimum."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from cairn.space import Float, Space


@dataclass(frozen=True)
class Benchmark:
    """A minimisation problem ``f: box -> R`` with a known minimum ``optimum``.

    ``fn`` takes one point as a 1-D numpy array in the function's own coordinates;
    ``minimisers`` lists known global minimisers so tests can check ``optimum``.
    """

    name: str
    fn: Callable[[np.ndarray], float]
    bounds: Sequence[tuple[float, float]]
    optimum: float
    minimisers: Sequence[Sequence[float]] = field(default_factory=tuple)

    @property
    def dim(self) -> int:
        return len(self.bounds)

    @cached_property
    def space(self) -> Space:
        """Floats ``x0 .. x{d-1}`` on the standard domain."""
        return Space([Float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(self.bounds)])

    def point(self, config: Mapping[str, float]) -> np.ndarray:
        """The config as a vector ``[x0, ..., x{d-1}]``."""
        return np.array([config[f"x{i}"] for i in range(self.dim)], dtype=float)

    def __call__(self, config: Mapping[str, float]) -> float:
        return float(self.fn(self.point(config)))

    def regret(self, value: float) -> float:
        """How far ``value`` lies above the known minimum (0 at the optimum)."""
        return float(value) - self.optimum
