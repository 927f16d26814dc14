"""Standardisation and min-max normalisation: the deterministic steps that put images on
the scale a model expects. They return floats (float32 for uint8 input)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cairn.augment.base import Params, Transform, work_dtype
from cairn.augment.checks import as_batch
from cairn.errors import UserError


class Standardize(Transform):
    """Subtract per-channel means (``fit`` takes them from training images)."""

    def __init__(self, mean: Any):
        self.mean = np.asarray(mean, dtype=np.float64).reshape(-1)

    @classmethod
    def fit(cls, images: np.ndarray) -> Standardize:
        data = as_batch(images).data
        return cls(data.reshape(-1, data.shape[-1]).mean(axis=0))

    def apply(self, images: np.ndarray, params: Params) -> np.ndarray:
        if images.shape[-1] != len(self.mean):
            raise UserError(f"{len(self.mean)} channel means for images with {images.shape[-1]} channels")
        dtype = work_dtype(images.dtype)
        return images.astype(dtype) - self.mean.astype(dtype)


class MinMaxNormalize(Transform):
    """Map each image's darkest value to -1 and its lightest to 1 (a flat image to 0)."""

    def apply(self, images: np.ndarray, params: Params) -> np.ndarray:
        out = images.astype(work_dtype(images.dtype))
        low = out.min(axis=(1, 2, 3), keepdims=True)
        high = out.max(axis=(1, 2, 3), keepdims=True)
        span = np.where(high > low, high - low, 1)
        out -= low
        out *= 2 / span
        out -= np.where(high > low, 1, 0).astype(out.dtype)
        return out
