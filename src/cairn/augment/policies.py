"""Augmentation policies: AutoAugment's form (Cubuk et al., 2019), RandAugment (Cubuk et
al., 2020) and TrivialAugment (Mueller and Hutter, 2021), over one library of operations
named as in the papers, each with a magnitude from 0 to 10.

Magnitude ``m`` sets an operation's strength to ``m / 10`` of its value at 10 (rotate:
30 degrees, shears: 0.3, translations: 0.45 of the side, the enhancements: factors
``1 +- 0.9``, posterize: down to 4 bits, solarize: a threshold down to 0; cutout: half
the side); signed operations go either way at random. Operations without a strength
(identity, autocontrast, equalize, invert) ignore it.

Elastic distortion is not in the papers; its magnitude is relative to the image, like
translations and cutout: the field is smoothed over a fixed fraction of the shorter side
(Simard et al.'s sigma 4 on 28x28) and scaled with the side's square, because a field
smoothed over ``sigma`` pixels moves pixels about ``alpha / sigma``; so a magnitude moves
pixels the same fraction of the side at any size. Magnitude 5 is Simard et al.'s setting
(alpha 34 on 28x28: pixels move on average about 5% of the side along each axis), 10
twice as far.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cairn.augment.base import Operation, Params, column
from cairn.augment.checks import Span, interval, probability, uniform
from cairn.augment.colour import (
    AutoContrast,
    Brightness,
    Color,
    Contrast,
    Equalize,
    Invert,
    Posterize,
    Sharpness,
    Solarize,
)
from cairn.augment.compose import Compose, Identity, OneOf, RandomApply
from cairn.augment.cutout import Cutout
from cairn.augment.elastic import Elastic, smooth
from cairn.augment.geometric import Affine, Rotate
from cairn.errors import UserError

MAX_MAGNITUDE = 10

#: Elastic's smoothing as a fraction of the shorter side, and its scale at magnitude 10
#: as a fraction of the side's square: Simard et al.'s sigma 4 and twice their alpha 34
#: on 28x28 digits.
ELASTIC_SIGMA = 4 / 28
ELASTIC_ALPHA = 2 * 34 / 28**2


class RelativeElastic(Elastic):
    """Elastic distortion sized to the image: ``sigma`` is a fraction of the shorter side,
    ``alpha`` (a range, drawn per image and recorded in these units) a fraction of its
    square, so pixels move the same fraction of the side at 8x8 as at 32x32."""

    def __init__(self, alpha: Span, sigma: float = ELASTIC_SIGMA, fill: float = 0.0):
        super().__init__(sigma=sigma, fill=fill)
        self.alpha = interval(alpha, "alpha", 0)

    def draw(self, rng: np.random.Generator, images: np.ndarray) -> Params:
        return {**super().draw(rng, images), "alpha": uniform(rng, len(images), self.alpha)}

    def displacement(self, params: Params, side: int) -> np.ndarray:
        moves = smooth(params["field"], self.sigma * side)
        moves *= column(params["alpha"] * side**2, 4).astype(moves.dtype)
        return moves


@dataclass(frozen=True)
class PolicyOp:
    """How to build one named operation from a range of strengths in its own units;
    ``strongest`` is its strength at magnitude 10 (``None``: it has no strength)."""

    build: Callable[[Span], Operation]
    strongest: float | None


OPS: dict[str, PolicyOp] = {
    "identity": PolicyOp(lambda s: Identity(), None),
    "autocontrast": PolicyOp(lambda s: AutoContrast(), None),
    "equalize": PolicyOp(lambda s: Equalize(), None),
    "invert": PolicyOp(lambda s: Invert(), None),
    "rotate": PolicyOp(lambda s: Rotate(s), 30.0),
    "shear_x": PolicyOp(lambda s: Affine(shear_x=s), math.degrees(math.atan(0.3))),
    "shear_y": PolicyOp(lambda s: Affine(shear_y=s), math.degrees(math.atan(0.3))),
    "translate_x": PolicyOp(lambda s: Affine(translate_x=s), 0.45),
    "translate_y": PolicyOp(lambda s: Affine(translate_y=s), 0.45),
    "brightness": PolicyOp(lambda s: Brightness(s), 0.9),
    "contrast": PolicyOp(lambda s: Contrast(s), 0.9),
    "color": PolicyOp(lambda s: Color(s), 0.9),
    "sharpness": PolicyOp(lambda s: Sharpness(s), 0.9),
    "posterize": PolicyOp(lambda s: Posterize((8 - round(s[1]), 8 - round(s[0]))), 4.0),
    "solarize": PolicyOp(lambda s: Solarize((256 - s[1], 256 - s[0])), 256.0),
    "cutout": PolicyOp(lambda s: Cutout(s), 0.5),
    "elastic": PolicyOp(lambda s: RelativeElastic(s), ELASTIC_ALPHA),
}

#: The 14 operations of RandAugment and TrivialAugment (no invert, no cutout).
RANDAUGMENT_OPS = ("identity", "autocontrast", "equalize", "rotate", "solarize", "color", "posterize",
                   "contrast", "brightness", "sharpness", "shear_x", "shear_y", "translate_x", "translate_y")


def policy_op(name: str, magnitude: float | Sequence[float]) -> Operation:
    """The operation ``name`` at ``magnitude`` (0 to 10), or at a magnitude drawn per image
    from a range ``(low, high)``."""
    if name not in OPS:
        raise UserError(f"unknown augmentation {name!r}; valid names are {', '.join(OPS)}")
    low, high = interval(magnitude, "magnitude", 0, MAX_MAGNITUDE)
    entry = OPS[name]
    strongest = entry.strongest or 0.0
    return entry.build((low / MAX_MAGNITUDE * strongest, high / MAX_MAGNITUDE * strongest))


class AutoAugment(OneOf):
    """A policy of sub-policies; each image gets one sub-policy, chosen uniformly, whose
    operations each apply with their probability at their magnitude.

    ``subpolicies`` is a list of sub-policies, each a list of ``(name, probability,
    magnitude)``; AutoAugment's have two operations each.
    """

    def __init__(self, subpolicies: Sequence[Sequence[tuple[str, float, float]]]):
        if isinstance(subpolicies, (str, bytes)) or not subpolicies:
            raise UserError("an AutoAugment policy needs at least one sub-policy")
        self.subpolicies = [[_step(step) for step in sub] for sub in subpolicies]
        super().__init__([Compose([RandomApply(policy_op(name, m), p) for name, p, m in sub])
                          for sub in self.subpolicies])


class RandAugment(Compose):
    """``n`` operations per image, each chosen uniformly from ``ops``, all at ``magnitude``."""

    def __init__(self, n: int = 2, magnitude: float = 9, ops: Sequence[str] = RANDAUGMENT_OPS):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise UserError(f"RandAugment's number of operations must be a positive integer, got {n!r}")
        self.n, self.magnitude = n, magnitude
        layer = OneOf([policy_op(name, magnitude) for name in ops])
        super().__init__([layer] * n)


class TrivialAugment(OneOf):
    """One operation per image, chosen uniformly from ``ops``, at a magnitude drawn
    uniformly from 0 to 10 for that image."""

    def __init__(self, ops: Sequence[str] = RANDAUGMENT_OPS):
        super().__init__([policy_op(name, (0, MAX_MAGNITUDE)) for name in ops])


def _step(step: Any) -> tuple[str, float, float]:
    if not isinstance(step, (tuple, list)) or len(step) != 3:
        raise UserError(f"a sub-policy step is (name, probability, magnitude), got {step!r}")
    name, p, m = step
    interval(m, "magnitude", 0, MAX_MAGNITUDE)
    return str(name), probability(p, f"the probability of {name}"), float(m)
