"""AlexNet's PCA lighting (Krizhevsky, Sutskever and Hinton, 2012).

The principal components ``p_i`` and eigenvalues ``lambda_i`` of the pixel colours of a
training set describe how its colours vary; each image then gets
``sum_i alpha_i lambda_i p_i`` added to every pixel, with ``alpha_i ~ N(0, std)`` drawn
once per image, so it changes in intensity and colour the way natural images do while
its labels stay valid. Values are in the images' own units; uint8 results are clipped
to [0, 255], float results are not clipped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cairn.augment.base import Params, Transform, restore_dtype, work_dtype
from cairn.augment.checks import as_batch, positive
from cairn.errors import UserError


class PCALighting(Transform):
    """Add ``eigenvectors @ (alpha * eigenvalues)`` to each image, ``alpha ~ N(0, std)``.

    ``eigenvalues`` (k,) and ``eigenvectors`` (C, k), as columns, come from
    :meth:`fit` on training images, or from elsewhere (AlexNet's ImageNet values).
    """

    def __init__(self, eigenvalues: Any, eigenvectors: Any, std: float = 0.1):
        self.eigenvalues = np.asarray(eigenvalues, dtype=np.float64).reshape(-1)
        self.eigenvectors = np.asarray(eigenvectors, dtype=np.float64)
        if self.eigenvectors.ndim != 2 or self.eigenvectors.shape[1] != len(self.eigenvalues):
            raise UserError(f"eigenvectors must be a (channels, {len(self.eigenvalues)}) matrix, one column per "
                            f"eigenvalue, got shape {self.eigenvectors.shape}")
        self.std = positive(std, "std", allow_zero=True)

    @classmethod
    def fit(cls, images: np.ndarray, std: float = 0.1) -> PCALighting:
        """Lighting along the principal components of the pixel colours of ``images``."""
        pixels = as_batch(images).data
        pixels = pixels.reshape(-1, pixels.shape[-1]).astype(np.float64)
        covariance = np.atleast_2d(np.cov(pixels, rowvar=False))
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)
        order = np.argsort(eigenvalues)[::-1]
        return cls(np.clip(eigenvalues[order], 0, None), eigenvectors[:, order], std)

    def draw(self, rng: np.random.Generator, images: np.ndarray) -> Params:
        return {"alpha": rng.normal(0.0, self.std, (len(images), len(self.eigenvalues)))}

    def apply(self, images: np.ndarray, params: Params) -> np.ndarray:
        channels = images.shape[-1]
        if channels != len(self.eigenvectors):
            raise UserError(f"this lighting was fitted on {len(self.eigenvectors)} channels, "
                            f"the images have {channels}")
        shift = (params["alpha"] * self.eigenvalues) @ self.eigenvectors.T  # (N, C)
        dtype = work_dtype(images.dtype)
        out = images.astype(dtype) + shift[:, None, None, :].astype(dtype)
        return restore_dtype(out, images.dtype)
