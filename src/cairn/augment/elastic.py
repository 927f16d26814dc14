"""Elastic distortion (Simard, Steinkraus and Platt, ICDAR 2003).

Each image gets two random fields of displacements, uniform in [-1, 1) per pixel, one
for rows and one for columns; each is smoothed by a Gaussian of standard deviation
``sigma`` and scaled by ``alpha``, and the image is resampled at its pixels plus the
displacement. A 1-D Gaussian filter along an axis of length ``n`` is an ``n x n`` matrix,
so the whole batch's fields are smoothed by two matrix products (the matrix is the
filter applied to the identity, hence equal to ``scipy.ndimage.gaussian_filter``), and
resampled by one gather: no loop over images, no per-image convolution.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.ndimage import gaussian_filter1d

from cairn.augment.base import Params, Transform, work_dtype
from cairn.augment.checks import positive
from cairn.augment.warp import grid, sample

#: How the smoothing treats the fields' borders (scipy's default mode).
MODE = "reflect"


class Elastic(Transform):
    """Displace pixels by a smooth random field: ``alpha`` scales it, ``sigma`` smooths it
    (in pixels; Simard et al. used ``alpha=34, sigma=4`` on 28x28 digits)."""

    def __init__(self, alpha: float = 34.0, sigma: float = 4.0, fill: float = 0.0):
        self.alpha = positive(alpha, "alpha", allow_zero=True)
        self.sigma = positive(sigma, "sigma")
        self.fill = float(fill)

    def draw(self, rng: np.random.Generator, images: np.ndarray) -> Params:
        n, height, width, _ = images.shape
        field = rng.random((n, 2, height, width), dtype=work_dtype(images.dtype))
        field *= 2
        field -= 1
        return {"field": field}

    def apply(self, images: np.ndarray, params: Params) -> np.ndarray:
        _, height, width, _ = images.shape
        displacement = self.displacement(params, min(height, width))
        ys, xs = grid(height, width, displacement.dtype)
        return sample(images, ys + displacement[:, 0], xs + displacement[:, 1], self.fill)

    def displacement(self, params: Params, side: int) -> np.ndarray:
        """Each image's (2, H, W) field of pixel moves: the drawn field smoothed and scaled."""
        return smooth(params["field"], self.sigma) * self.alpha


def smooth(fields: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing of the last two axes of ``fields`` (..., H, W), as two matrix products."""
    *lead, height, width = fields.shape
    rows = gaussian_matrix(height, sigma, fields.dtype.str)
    cols = gaussian_matrix(width, sigma, fields.dtype.str)
    along_cols = fields.reshape(-1, width) @ cols.T
    flipped = np.ascontiguousarray(along_cols.reshape(-1, height, width).transpose(0, 2, 1))
    along_rows = flipped.reshape(-1, height) @ rows.T
    return along_rows.reshape(-1, width, height).transpose(0, 2, 1).reshape(*lead, height, width)


@lru_cache(maxsize=64)
def gaussian_matrix(n: int, sigma: float, dtype: str) -> np.ndarray:
    """The ``n x n`` matrix of a 1-D Gaussian filter of std ``sigma`` (columns: filtered unit vectors)."""
    matrix = gaussian_filter1d(np.eye(n), sigma, axis=0, mode=MODE).astype(dtype)
    matrix.setflags(write=False)
    return matrix
