"""Bilinear resampling of a batch at given source coordinates: the one gather behind every
geometric distortion (affine moves and elastic fields alike).

The batch is padded with one ring of the fill value (two on the far side), coordinates
are clipped into the padded frame, and each output pixel blends its four neighbours, so
a point outside the image reads the fill and an integer coordinate reads its pixel
exactly. Four ``take`` calls serve the whole batch, one per neighbour, each reading a
shifted view of the padded pixels with the same indices: no loop over images, and as
few passes over the coordinates as the blend needs.
"""

from __future__ import annotations

import numpy as np

from cairn.augment.base import restore_dtype, work_dtype


def sample(images: np.ndarray, rows: np.ndarray, cols: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """``images`` (N, H, W, C) read at ``rows``, ``cols`` (each N, h, w) by bilinear interpolation."""
    n, height, width, channels = images.shape
    dtype = work_dtype(images.dtype)
    stride = width + 3
    padded = np.full((n, height + 3, stride, channels), fill, dtype=images.dtype)
    padded[:, 1:height + 1, 1:width + 1] = images
    r = np.clip(rows, -1, height, dtype=dtype)
    c = np.clip(cols, -1, width, dtype=dtype)
    r0, c0 = np.floor(r), np.floor(c)
    r -= r0
    c -= c0
    # Flat index of each top-left neighbour in the padded batch, computed in floats
    # (exact below 2**24) over the floors' own memory, and cast once.
    index = r0 if padded.size // channels < 2**24 else r0.astype(np.float64)
    index *= stride
    index += c0
    index += (np.arange(n, dtype=index.dtype) * ((height + 3) * stride) + (stride + 1)).reshape(-1, 1, 1)
    base = index.astype(np.intp)
    flat = padded.reshape(-1) if channels == 1 else padded.reshape(-1, channels)
    if channels > 1:
        r, c = r[..., None], c[..., None]

    def neighbour(offset: int) -> np.ndarray:
        return np.take(flat[offset:], base, axis=0)

    top = _blend(neighbour(0), neighbour(1), c, dtype)
    bottom = _blend(neighbour(stride), neighbour(stride + 1), c, dtype)
    bottom -= top
    bottom *= r
    bottom += top
    return restore_dtype(bottom if channels > 1 else bottom[..., None], images.dtype)


def _blend(a: np.ndarray, b: np.ndarray, weight: np.ndarray, dtype: type) -> np.ndarray:
    """``a + weight * (b - a)`` in ``dtype``, in one new array."""
    out = np.subtract(b, a, dtype=dtype)
    out *= weight
    out += a
    return out


def grid(height: int, width: int, dtype: type = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Row and column coordinates of every pixel, shaped (1, H, 1) and (1, 1, W)."""
    return (np.arange(height, dtype=dtype).reshape(1, -1, 1), np.arange(width, dtype=dtype).reshape(1, 1, -1))
