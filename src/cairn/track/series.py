"""Metric histories packed into chunks.

A flushed batch stores each (run, metric) series as one row holding three packed
arrays (int64 steps, float64 values, float64 timestamps, little-endian) instead of one
row per point. Writing a million points is then a handful of inserts, and reading a
100k-point history is a few rows and three ``frombytes`` calls instead of 100k rows
through the driver. Filters never look inside chunks: they read ``latest_metrics``.
"""

from __future__ import annotations

import math
import operator
import sys
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

#: Points per chunk at most, so one row stays a few megabytes.
CHUNK = 65_536
_SWAP = sys.byteorder != "little"


def _bytes(values: array) -> bytes:
    if _SWAP:
        values.byteswap()
    return values.tobytes()


def _array(code: str, data: bytes) -> array:
    values = array(code)
    values.frombytes(data)
    if _SWAP:
        values.byteswap()
    return values


def pack(points: Sequence[tuple[int, float | None, float]]) -> dict[str, bytes | int]:
    """Column values of one chunk for (step, value, timestamp) points (``None`` -> NaN)."""
    nan = math.nan
    return {
        "n_points": len(points),
        "step_bytes": _bytes(array("q", [p[0] for p in points])),
        "value_bytes": _bytes(array("d", [nan if p[1] is None else p[1] for p in points])),
        "time_bytes": _bytes(array("d", [p[2] for p in points])),
    }


class MetricHistory(Sequence[tuple[int, float, float]]):
    """A metric's points as parallel arrays ``steps``, ``values`` and ``timestamps``, by step.

    Indexing and iterating give (step, value, timestamp) tuples; the arrays convert to
    NumPy without copying (``numpy.frombuffer(history.values)``), so reading a long
    history never builds one Python object per point.
    """

    def __init__(self, steps: array, values: array, timestamps: array):
        self.steps, self.values, self.timestamps = steps, values, timestamps

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return list(zip(self.steps[i], self.values[i], self.timestamps[i], strict=True))
        return self.steps[i], self.values[i], self.timestamps[i]

    def __iter__(self) -> Iterator[tuple[int, float, float]]:
        return zip(self.steps, self.values, self.timestamps, strict=True)

    def __repr__(self) -> str:
        return f"MetricHistory({len(self)} points)"


def unpack(chunks: Iterable[tuple[bytes, bytes, bytes]]) -> MetricHistory:
    """The points of chunks in write order, stably sorted by step if they are not already."""
    steps, values, times = array("q"), array("d"), array("d")
    for step_bytes, value_bytes, time_bytes in chunks:
        steps += _array("q", bytes(step_bytes))
        values += _array("d", bytes(value_bytes))
        times += _array("d", bytes(time_bytes))
    if not all(map(operator.le, steps, islice(steps, 1, None))):
        order = sorted(range(len(steps)), key=steps.__getitem__)
        steps, values, times = (array(a.typecode, map(a.__getitem__, order)) for a in (steps, values, times))
    return MetricHistory(steps, values, times)
