"""Cutout (DeVries and Taylor, 2017): hide a square of each image behind a constant.

The square's centre is uniform over the image, so it may hang over the border and hide
less than its full size; that is the paper's choice, which keeps every pixel equally
likely to be hidden. Its side is a fraction of the image's shorter side, so one policy
means the same at any size (the paper's 16 pixels on 32x32 CIFAR images is ``0.5``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cairn.augment.base import Params, Transform, column
from cairn.augment.checks import interval, positive, uniform


class Cutout(Transform):
    """``holes`` squares per image, each of side ``size`` (a fraction of the shorter side,
    or a range to draw it from), filled with ``fill``."""

    def __init__(self, size: Any = 0.5, holes: int = 1, fill: float = 0.0):
        self.size = interval(size, "size", 0, 1)
        self.holes = int(positive(holes, "holes"))
        self.fill = float(fill)

    def draw(self, rng: np.random.Generator, images: np.ndarray) -> Params:
        n, height, width, _ = images.shape
        shape = (n, self.holes)
        side = np.rint(uniform(rng, n * self.holes, self.size).reshape(shape) * min(height, width))
        return {"row": rng.integers(0, height, shape), "col": rng.integers(0, width, shape),
                "side": side.astype(np.int64)}

    def apply(self, images: np.ndarray, params: Params) -> np.ndarray:
        _, height, width, _ = images.shape
        rows, cols = np.arange(height).reshape(1, -1, 1), np.arange(width).reshape(1, 1, -1)
        hidden = np.zeros(images.shape[:3], dtype=bool)
        for hole in range(params["row"].shape[1]):
            side = column(params["side"][:, hole], 3)
            top = column(params["row"][:, hole], 3) - side // 2
            left = column(params["col"][:, hole], 3) - side // 2
            hidden |= (rows >= top) & (rows < top + side) & (cols >= left) & (cols < left + side)
        out = images.copy()
        out[hidden] = self.fill
        return out
