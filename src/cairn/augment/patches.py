"""AlexNet's patches (Krizhevsky, Sutskever and Hinton, 2012): train on random
``size x size`` patches and their horizontal reflections; predict by averaging the
model's outputs over the four corner patches, the centre patch and the reflections of
all five."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cairn.augment.checks import as_batch
from cairn.augment.compose import Compose, RandomApply
from cairn.augment.geometric import Flip, RandomCrop, crop
from cairn.errors import UserError


def alexnet_patches(size: int) -> Compose:
    """Training-time patches: a random ``size x size`` window, reflected with probability 1/2."""
    return Compose([RandomCrop(size), RandomApply(Flip("horizontal"), 0.5)])


def ten_patches(images: np.ndarray, size: int) -> np.ndarray:
    """The ten test-time patches of every image, shaped (10, N, size, size[, C]): top-left,
    top-right, bottom-left, bottom-right, centre, then the same five reflected."""
    batch = as_batch(images)
    n, height, width, _ = batch.data.shape
    if not 0 < size <= min(height, width):
        raise UserError(f"a patch of side {size} does not fit in {height}x{width} images")
    places = [(0, 0), (0, width - size), (height - size, 0), (height - size, width - size),
              ((height - size) // 2, (width - size) // 2)]
    five = [crop(batch.data, np.full(n, top), np.full(n, left), size, size) for top, left in places]
    reflected = [patch[:, :, ::-1] for patch in five]
    return np.stack([batch.restore(p) for p in five + reflected])


def predict_patches(predict: Callable[[np.ndarray], np.ndarray], images: np.ndarray, size: int) -> np.ndarray:
    """The mean of ``predict`` (a batch of patches -> one row of scores per image, such as
    class probabilities) over the ten patches of every image."""
    patches = ten_patches(images, size)
    return np.mean([np.asarray(predict(p)) for p in patches], axis=0)
