"""Colour and intensity: brightness, contrast, saturation, sharpness, posterize, solarize,
equalize, autocontrast and invert, as PIL defines them (``ImageEnhance``, ``ImageOps``).

Every operation works on PIL's 0-255 scale: uint8 images as they are, float images
(taken to lie in [0, 1]) multiplied by 255 and divided back afterwards. Each is a few
array operations over the whole batch, with per-image factors broadcast along it; only
equalize needs a table per image, built from one ``bincount`` of the batch. Results are
clipped to the scale and, for uint8, rounded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cairn.augment.base import Params, Transform, column, restore_dtype, work_dtype
from cairn.augment.checks import interval, magnitude, signed, uniform

#: ITU-R 601-2 luma weights, PIL's conversion to grey.
LUMA = np.array([0.299, 0.587, 0.114])


class ColourTransform(Transform):
    """A transform of intensities: subclasses implement :meth:`adjust` on the 0-255 scale."""

    def apply(self, images: np.ndarray, params: Params) -> np.ndarray:
        dtype = work_dtype(images.dtype)
        levels = images.astype(dtype) if images.dtype == np.uint8 else images * dtype(255)
        out = self.adjust(levels, params)
        if images.dtype == np.uint8:
            return restore_dtype(out, images.dtype)
        np.clip(out, 0, 255, out=out)
        out /= 255
        return out.astype(images.dtype, copy=False)

    def adjust(self, levels: np.ndarray, params: Params) -> np.ndarray:
        """New levels for ``levels`` (N, H, W, C), a fresh array it may overwrite."""
        raise NotImplementedError


class BrightnessContrast(ColourTransform):
    """Contrast, then brightness, in one pass; each factor is ``1 +`` a signed magnitude
    drawn from its range (``0.2``: a factor in [0.8, 1.2]; ``None``: left alone).

    Contrast blends each image with the mean of its grey version, brightness with black.
    """

    def __init__(self, brightness: Any = 0.2, contrast: Any = 0.2):
        self.brightness = None if brightness is None else magnitude(brightness, "brightness", 1)
        self.contrast = None if contrast is None else magnitude(contrast, "contrast", 1)

    def draw(self, rng: np.random.Generator, images: np.ndarray) -> Params:
        return {name: 1 + signed(rng, len(images), span)
                for name, span in (("contrast", self.contrast), ("brightness", self.brightness)) if span is not None}

    def adjust(self, levels: np.ndarray, params: Params) -> np.ndarray:
        scale, shift = 1.0, 0.0
        if "contrast" in params:
            factor = column(params["contrast"]).astype(levels.dtype)
            scale, shift = factor, (1 - factor) * grey(levels).mean(axis=(1, 2, 3), keepdims=True)
        if "brightness" in params:
            factor = column(params["brightness"]).astype(levels.dtype)
            scale, shift = scale * factor, shift * factor
        levels *= scale
        levels += shift
        return levels


class Brightness(BrightnessContrast):
    """Blend with black by a factor ``1 +`` a signed magnitude up to ``delta``."""

    def __init__(self, delta: Any = 0.2):
        super().__init__(brightness=delta, contrast=None)


class Contrast(BrightnessContrast):
    """Blend with the grey mean by a factor ``1 +`` a signed magnitude up to ``delta``."""

    def __init__(self, delta: Any = 0.2):
        super().__init__(brightness=None, contrast=delta)


class Color(ColourTransform):
    """Saturation: blend with the grey image by a factor ``1 +`` a signed magnitude up to
    ``delta`` (grey images are left as they are)."""

    def __init__(self, delta: Any = 0.2):
        self.delta = magnitude(delta, "delta", 1)

    def draw(self, rng: np.random.Generator, images: np.ndarray) -> Params:
        return {"factor": 1 + signed(rng, len(images), self.delta)}

    def adjust(self, levels: np.ndarray, params: Params) -> np.ndarray:
        base = grey(levels)
        return blend(base, levels, params["factor"])


class Sharpness(ColourTransform):
    """Blend with a smoothed copy (PIL's 3x3 SMOOTH kernel; borders kept) by a factor
    ``1 +`` a signed magnitude up to ``delta``: above 1 sharpens, below 1 blurs."""

    def __init__(self, delta: Any = 0.2):
        self.delta = magnitude(delta, "delta", 1)

    def draw(self, rng: np.random.Generator, images: np.ndarray) -> Params:
        return {"factor": 1 + signed(rng, len(images), self.delta)}

    def adjust(self, levels: np.ndarray, params: Params) -> np.ndarray:
        if min(levels.shape[1:3]) < 3:
            return levels
        rows = levels[:, :-2] + levels[:, 1:-1] + levels[:, 2:]
        box = rows[:, :, :-2] + rows[:, :, 1:-1] + rows[:, :, 2:]
        smoothed = levels.copy()
        smoothed[:, 1:-1, 1:-1] = (box + 4 * levels[:, 1:-1, 1:-1]) / 13
        return blend(smoothed, levels, params["factor"])


class Posterize(ColourTransform):
    """Keep the top ``bits`` bits of each level (an integer range in [1, 8], drawn per image)."""

    def __init__(self, bits: Any = (4, 8)):
        low, high = interval(bits, "bits", 1, 8)
        self.bits = (int(low), int(high))

    def draw(self, rng: np.random.Generator, images: np.ndarray) -> Params:
        return {"bits": rng.integers(self.bits[0], self.bits[1] + 1, len(images))}

    def adjust(self, levels: np.ndarray, params: Params) -> np.ndarray:
        step = column(2.0 ** (8 - params["bits"])).astype(levels.dtype)
        levels /= step
        np.floor(levels, out=levels)
        levels *= step
        return levels


class Solarize(ColourTransform):
    """Invert every level at or above a threshold drawn from ``threshold`` (in [0, 256];
    256 inverts nothing)."""

    def __init__(self, threshold: Any = 128):
        self.threshold = interval(threshold, "threshold", 0, 256)

    def draw(self, rng: np.random.Generator, images: np.ndarray) -> Params:
        return {"threshold": uniform(rng, len(images), self.threshold)}

    def adjust(self, levels: np.ndarray, params: Params) -> np.ndarray:
        return np.where(levels >= column(params["threshold"]), 255 - levels, levels)


class Invert(ColourTransform):
    """Every level ``v`` becomes ``255 - v``."""

    def adjust(self, levels: np.ndarray, params: Params) -> np.ndarray:
        return np.subtract(255, levels, out=levels)


class AutoContrast(ColourTransform):
    """Stretch each channel of each image so its darkest level is 0 and its lightest 255."""

    def adjust(self, levels: np.ndarray, params: Params) -> np.ndarray:
        low = levels.min(axis=(1, 2), keepdims=True)
        high = levels.max(axis=(1, 2), keepdims=True)
        flat = high <= low
        scale = 255 / np.where(flat, 255, high - low)
        levels -= np.where(flat, 0, low)
        levels *= scale
        return levels


class Equalize(ColourTransform):
    """Histogram equalisation of each channel of each image (PIL's ``ImageOps.equalize``);
    float images are first rounded to 256 levels."""

    def adjust(self, levels: np.ndarray, params: Params) -> np.ndarray:
        n, _, _, channels = levels.shape
        tables = n * channels
        offsets = (np.arange(tables, dtype=np.int32) * 256).reshape(n, 1, 1, channels)
        index = np.add(np.clip(np.rint(levels), 0, 255).astype(np.uint8), offsets, dtype=np.int32)
        hist = np.bincount(index.ravel(), minlength=tables * 256).reshape(tables, 256)
        last = hist[np.arange(tables), 255 - np.argmax(hist[:, ::-1] > 0, axis=1)]
        step = (hist.sum(axis=1) - last) // 255
        below = np.cumsum(hist, axis=1) - hist  # pixels under each level
        table = (below + step[:, None] // 2) // np.maximum(step, 1)[:, None]
        table = np.where(step[:, None] > 0, np.minimum(table, 255), np.arange(256))
        return np.take(table.astype(levels.dtype).ravel(), index)


def grey(levels: np.ndarray) -> np.ndarray:
    """The grey version (N, H, W, 1) of a batch: luma for RGB, the mean of other channels."""
    channels = levels.shape[-1]
    if channels == 1:
        return levels
    if channels == 3:
        return (levels @ LUMA.astype(levels.dtype))[..., None]
    return levels.mean(axis=-1, keepdims=True)


def blend(base: np.ndarray, levels: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``base + factor * (levels - base)`` with one factor per image (PIL's ``Image.blend``)."""
    out = levels - base
    out *= column(factor).astype(levels.dtype)
    out += base
    return out
