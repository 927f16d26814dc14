"""Movement and selection: reflection, affine moves (rotation, scaling, shearing,
translation) and random crops.

Affine moves turn about the image centre and resample bilinearly through
:func:`cairn.augment.warp.sample`; pixels that come from outside the image take
``fill``. Angles are in degrees, counter-clockwise as the image is shown (row 0 on top);
translations are fractions of the image's width and height.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cairn.augment.base import Params, Transform, column
from cairn.augment.checks import Span, interval, magnitude, positive, probability, signed, uniform
from cairn.augment.warp import grid, sample
from cairn.errors import UserError

_AXES = {"horizontal": 2, "vertical": 1}


class Flip(Transform):
    """Reflect each image with probability ``p``: ``horizontal`` mirrors left and right,
    ``vertical`` top and bottom.

    ``Flip(p=0.5)`` is AlexNet's random reflection; it gives what
    ``RandomApply(Flip(), 0.5)`` gives, in one pass over the batch.
    """

    def __init__(self, axis: str = "horizontal", p: float = 1.0):
        if axis not in _AXES:
            raise UserError(f"a flip's axis must be 'horizontal' or 'vertical', got {axis!r}")
        self.axis, self.p = axis, probability(p)

    def draw(self, rng: np.random.Generator, images: np.ndarray) -> Params:
        return {} if self.p == 1 else {"flipped": rng.random(len(images)) < self.p}

    def apply(self, images: np.ndarray, params: Params) -> np.ndarray:
        if "flipped" not in params:
            return np.flip(images, axis=_AXES[self.axis]).copy()
        out = images.copy()
        rows = np.flatnonzero(params["flipped"])
        out[rows] = np.flip(images[rows], axis=_AXES[self.axis])
        return out


class Affine(Transform):
    """Rotation, scaling, shearing and translation in one resampling.

    Each argument is a range to draw from per image, ``None`` to leave that part out.
    ``rotate``, ``shear_x``, ``shear_y`` (degrees) and ``translate_x``, ``translate_y``
    (fractions of the width and height) are magnitudes with a random sign: ``30`` draws
    from [-30, 30], ``(30, 30)`` is exactly 30 either way. ``scale`` is a factor range
    (``(0.9, 1.1)``; a number is that exact factor).
    """

    def __init__(self, rotate: Any = None, scale: Any = None, shear_x: Any = None, shear_y: Any = None,
                 translate_x: Any = None, translate_y: Any = None, fill: float = 0.0):
        self.rotate = None if rotate is None else magnitude(rotate, "rotate", 360)
        self.scale = None if scale is None else interval(scale, "scale", 1e-3)
        self.shear_x = None if shear_x is None else magnitude(shear_x, "shear_x", 89)
        self.shear_y = None if shear_y is None else magnitude(shear_y, "shear_y", 89)
        self.translate_x = None if translate_x is None else magnitude(translate_x, "translate_x", 1)
        self.translate_y = None if translate_y is None else magnitude(translate_y, "translate_y", 1)
        self.fill = float(fill)

    def draw(self, rng: np.random.Generator, images: np.ndarray) -> Params:
        n = len(images)
        params = {}
        for name in ("rotate", "shear_x", "shear_y", "translate_x", "translate_y"):
            span: Span | None = getattr(self, name)
            if span is not None:
                params[name] = signed(rng, n, span)
        if self.scale is not None:
            params["scale"] = uniform(rng, n, self.scale)
        return params

    def apply(self, images: np.ndarray, params: Params) -> np.ndarray:
        n, height, width, _ = images.shape
        zero = np.zeros(n)
        angle = np.radians(params.get("rotate", zero))
        scale = params.get("scale", zero + 1)
        kx, ky = (np.tan(np.radians(params.get(k, zero))) for k in ("shear_x", "shear_y"))
        # The move maps a source offset (x, y) from the centre to rotation @ shear @ scale
        # times it, plus the translation; each output pixel reads the inverse image of itself.
        cos, sin = np.cos(angle), np.sin(angle)
        rotation = np.array([[cos, sin], [-sin, cos]])
        shear = np.array([[1 + kx * ky, kx], [ky, zero + 1]])
        forward = np.einsum("ijn,jkn->nik", rotation, shear) * scale[:, None, None]
        inverse = np.linalg.inv(forward).astype(np.float32)
        ys, xs = grid(height, width)
        dx = xs - ((width - 1) / 2 + column(params.get("translate_x", zero) * width, 3)).astype(np.float32)
        dy = ys - ((height - 1) / 2 + column(params.get("translate_y", zero) * height, 3)).astype(np.float32)
        # Each coordinate is a row term (N, 1, W) plus a column term (N, H, 1): one full-size sum.
        cols = (column(inverse[:, 0, 0], 3) * dx + np.float32((width - 1) / 2)) + column(inverse[:, 0, 1], 3) * dy
        rows = (column(inverse[:, 1, 0], 3) * dx + np.float32((height - 1) / 2)) + column(inverse[:, 1, 1], 3) * dy
        return sample(images, rows, cols, self.fill)


class Rotate(Affine):
    """Rotate by an angle of magnitude in ``degrees`` (a number ``d``: up to ``d`` either way)."""

    def __init__(self, degrees: Any = 30, fill: float = 0.0):
        super().__init__(rotate=degrees, fill=fill)


class Translate(Affine):
    """Shift by up to ``x`` of the width and ``y`` of the height, either way."""

    def __init__(self, x: Any = 0.1, y: Any = 0.1, fill: float = 0.0):
        super().__init__(translate_x=x, translate_y=y, fill=fill)


class Scale(Affine):
    """Zoom by a factor drawn from ``factor`` (``(0.9, 1.1)``), about the centre."""

    def __init__(self, factor: Any = (0.9, 1.1), fill: float = 0.0):
        super().__init__(scale=factor, fill=fill)


class Shear(Affine):
    """Shear by angles (degrees) of magnitude up to ``x`` (horizontally) and ``y`` (vertically)."""

    def __init__(self, x: Any = 15, y: Any = None, fill: float = 0.0):
        super().__init__(shear_x=x, shear_y=y, fill=fill)


class RandomCrop(Transform):
    """A ``height`` x ``width`` window at a random place in each image.

    The result is smaller than the input, so it goes first in a pipeline (or alone),
    never inside ``RandomApply`` or ``OneOf``, which keep shapes.
    """

    def __init__(self, height: int, width: int | None = None):
        self.height = int(positive(height, "height"))
        self.width = self.height if width is None else int(positive(width, "width"))

    def draw(self, rng: np.random.Generator, images: np.ndarray) -> Params:
        _, height, width, _ = images.shape
        self._check_fits(height, width)
        n = len(images)
        return {"top": rng.integers(0, height - self.height + 1, n),
                "left": rng.integers(0, width - self.width + 1, n)}

    def apply(self, images: np.ndarray, params: Params) -> np.ndarray:
        self._check_fits(*images.shape[1:3])
        return crop(images, params["top"], params["left"], self.height, self.width)

    def _check_fits(self, height: int, width: int) -> None:
        if self.height > height or self.width > width:
            raise UserError(f"a {self.height}x{self.width} crop does not fit in {height}x{width} images")


def crop(images: np.ndarray, top: np.ndarray, left: np.ndarray, height: int, width: int) -> np.ndarray:
    """Each image's ``height`` x ``width`` window at (``top``, ``left``), in one gather."""
    windows = np.lib.stride_tricks.sliding_window_view(images, (height, width), axis=(1, 2))
    picked = windows[np.arange(len(images)), np.asarray(top), np.asarray(left)]  # (N, C, h, w)
    return np.ascontiguousarray(np.moveaxis(picked, 1, -1))
