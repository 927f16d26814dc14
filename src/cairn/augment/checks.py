"""Argument checks shared by every operation: one clear sentence per mistake.

Images are batches, ``(N, H, W)`` or ``(N, H, W, C)``, of ``uint8`` or floating values;
every operation works on the 4-D form internally, so a grey batch is viewed with one
channel and given back in the shape it came in.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from cairn.errors import UserError

Span = tuple[float, float]
Seed = int | np.random.Generator | None

_DTYPES = (np.uint8, np.float32, np.float64)


@dataclass(frozen=True)
class Batch:
    """A checked image batch as ``(N, H, W, C)`` and how to give results back."""

    data: np.ndarray
    grey: bool

    def restore(self, images: np.ndarray) -> np.ndarray:
        """``images`` in the caller's layout: without the channel axis if it came without one."""
        return images[..., 0] if self.grey and images.shape[-1] == 1 else images


def as_batch(images: Any) -> Batch:
    """Check an image batch and view it as ``(N, H, W, C)``."""
    if not isinstance(images, np.ndarray):
        raise UserError(f"images must be a numpy array, got {type(images).__name__}")
    if images.ndim not in (3, 4):
        raise UserError(f"images must be a batch of rank 3 (N, H, W) or 4 (N, H, W, C), got rank {images.ndim}")
    if images.dtype not in _DTYPES:
        raise UserError(f"images must be uint8, float32 or float64, got {images.dtype}")
    if 0 in images.shape:
        raise UserError(f"images must not be empty, got shape {images.shape}")
    grey = images.ndim == 3
    return Batch(images[..., None] if grey else images, grey)


def as_rng(seed: Seed) -> np.random.Generator:
    """A generator from a seed (the same seed, the same draws in any process) or a generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0):
        raise UserError(f"a seed must be a non-negative integer or a numpy Generator, got {seed!r}")
    return np.random.default_rng(seed)


def probability(value: Any, name: str = "p") -> float:
    """``value`` as a probability, or a UserError if it is not one."""
    if not _is_real(value) or not 0 <= float(value) <= 1:
        raise UserError(f"{name} must be a probability in [0, 1], got {value!r}")
    return float(value)


def magnitude(value: Any, name: str, maximum: float | None = None) -> Span:
    """A range of non-negative magnitudes: a number ``v`` means ``(0, v)``, a pair is kept.

    Signed operations (rotate, shear, translate, brightness, ...) draw a magnitude from it
    and a random sign, so ``(30, 30)`` rotates by exactly 30 degrees either way.
    """
    low, high = (0.0, value) if _is_real(value) else _pair(value, name)
    return interval((low, high), name, 0.0, maximum)


def interval(value: Any, name: str, minimum: float | None = None, maximum: float | None = None) -> Span:
    """A range ``(low, high)`` within the bounds: a number ``v`` means exactly ``(v, v)``."""
    low, high = (value, value) if _is_real(value) else _pair(value, name)
    low, high = float(low), float(high)
    if not low <= high:
        raise UserError(f"{name} must be a range (low, high) with low <= high, got {value!r}")
    if (minimum is not None and low < minimum) or (maximum is not None and high > maximum):
        bounds = f"[{'-inf' if minimum is None else minimum}, {'inf' if maximum is None else maximum}]"
        raise UserError(f"{name} must lie within {bounds}, got {value!r}")
    return low, high


def positive(value: Any, name: str, allow_zero: bool = False) -> float:
    """A finite number above zero (or at least zero)."""
    if not _is_real(value) or not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        need = "a non-negative" if allow_zero else "a positive"
        raise UserError(f"{name} must be {need} number, got {value!r}")
    return float(value)


def uniform(rng: np.random.Generator, n: int, span: Span) -> np.ndarray:
    """``n`` draws, uniform in ``span``."""
    return rng.uniform(span[0], span[1], n)


def signed(rng: np.random.Generator, n: int, span: Span) -> np.ndarray:
    """``n`` magnitudes uniform in ``span``, each with a random sign."""
    return uniform(rng, n, span) * rng.choice(np.array([-1.0, 1.0]), n)


def _pair(value: Any, name: str) -> tuple[Any, Any]:
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_real(v) for v in value):
        return value[0], value[1]
    raise UserError(f"{name} must be a number or a pair (low, high), got {value!r}")


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
