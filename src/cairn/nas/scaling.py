"""Compound scaling of a found architecture (EfficientNet, Tan & Le 2019).

A network grows in depth (cells per stage), width (channels) and input resolution
together: at compound coefficient ``phi`` depth is multiplied by ``alpha ** phi``, width
by ``beta ** phi`` and resolution by ``gamma ** phi``. FLOPs grow about linearly with
depth and quadratically with width and resolution, so ``alpha * beta**2 * gamma**2 ~ 2``
makes each step of ``phi`` about double them. A small grid search at ``phi = 1`` picks
the coefficients that train best among those within a cost limit; then ``phi`` grows to
the largest value whose network still fits a cost budget.

Digits are 8x8: a scaled network upsamples its input (bilinear) to its resolution as its
first layer, so the data and the training code stay the same at every scale. Depths
round up and widths to the nearest integer, so every real cost is measured on the
network actually built, never taken from the formula.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from cairn.errors import UserError
from cairn.nas.build import NetSettings, build_network, count_parameters
from cairn.nas.cost import flops, latency
from cairn.nas.space import Architecture
from cairn.nas.train import Split, train_and_evaluate

#: The costs a constraint or budget may be stated in.
COSTS = ("flops", "params", "latency")
#: The factor the cost should grow by per step of phi.
GROWTH = 2.0


@dataclass(frozen=True)
class Coefficients:
    """Depth, width and resolution multipliers per step of phi (each at least 1)."""

    alpha: float
    beta: float
    gamma: float

    def __post_init__(self) -> None:
        if min(self.alpha, self.beta, self.gamma) < 1:
            raise UserError(f"scaling coefficients must be at least 1, got {self.alpha}, {self.beta}, {self.gamma}")

    @property
    def growth(self) -> float:
        """``alpha * beta**2 * gamma**2``: the FLOPs factor per step of phi the formula predicts."""
        return self.alpha * self.beta ** 2 * self.gamma ** 2


def coefficient_grid(step: float = 0.1, tolerance: float = 0.1, target: float = GROWTH) -> list[Coefficients]:
    """Every (alpha, beta, gamma) on a grid of ``step`` from 1 with ``|growth - target|``
    at most ``tolerance`` (EfficientNet's constraint)."""
    if not 0 < step <= 1 or tolerance < 0 or target < 1:
        raise UserError(f"a coefficient grid needs 0 < step <= 1, tolerance >= 0 and target >= 1, "
                        f"got {step}, {tolerance} and {target}")
    values = np.round(np.arange(1.0, target + step / 2, step), 10)
    return [Coefficients(float(a), float(b), float(g)) for a, b, g in itertools.product(values, repeat=3)
            if abs(a * b * b * g * g - target) <= tolerance]


def scaled_settings(base: NetSettings, coefficients: Coefficients, phi: float) -> NetSettings:
    """``base`` scaled by ``coefficients ** phi``: cells per stage rounded up (as in
    EfficientNet), channels and image size to the nearest integer."""
    if phi < 0:
        raise UserError(f"the compound coefficient phi must be at least 0, got {phi}")
    return replace(base, cells_per_stage=math.ceil(base.cells_per_stage * coefficients.alpha ** phi - 1e-9),
                   channels=max(2, round(base.channels * coefficients.beta ** phi)),
                   image_size=round(base.image_size * coefficients.gamma ** phi))


def build_scaled(arch: Architecture, settings: NetSettings, source_size: int = 8) -> nn.Module:
    """``arch``'s network at ``settings``, reading ``source_size`` images and upsampling
    them to ``settings.image_size`` first when that is larger."""
    net = build_network(arch, settings)
    if settings.image_size == source_size:
        return net
    return nn.Sequential(nn.Upsample(size=settings.image_size, mode="bilinear", align_corners=False), net)


def cost_of(module: nn.Module, kind: str, settings: NetSettings, source_size: int = 8) -> float:
    """``module``'s cost of ``kind`` (see :data:`COSTS`) on one ``source_size`` image;
    latency in milliseconds."""
    example = torch.zeros(1, settings.in_channels, source_size, source_size)
    if kind == "flops":
        return float(flops(module, example))
    if kind == "params":
        return float(count_parameters(module))
    if kind == "latency":
        return 1000.0 * latency(module, example)
    raise UserError(f"unknown cost {kind!r}; the costs are {', '.join(COSTS)}")


def validation_accuracy(module: nn.Module, epochs: int = 6, seed: int = 0, data: Split | None = None) -> float:
    """The validation accuracy of ``module`` after ``epochs`` epochs of the standard
    digits training (:func:`cairn.nas.train.train_and_evaluate`)."""
    return train_and_evaluate(module, epochs, seed, data=data, eval_epochs=[epochs]).val_acc[-1]


@dataclass(frozen=True)
class Scaled:
    """One scaled network: its coefficients, phi, settings, cost and (if trained) score."""

    coefficients: Coefficients
    phi: float
    settings: NetSettings
    cost: float
    score: float | None = None


class CompoundScaler:
    """Scale ``arch`` from ``base`` settings, with costs of ``cost`` kind measured on
    networks built under ``seed``."""

    def __init__(self, arch: Architecture, base: NetSettings | None = None, *, cost: str = "flops", seed: int = 0,
                 source_size: int = 8):
        if cost not in COSTS:
            raise UserError(f"unknown cost {cost!r}; the costs are {', '.join(COSTS)}")
        self.arch, self.base, self.kind = arch, base or NetSettings(), cost
        self.seed, self.source_size = seed, source_size

    def build(self, settings: NetSettings) -> nn.Module:
        torch.manual_seed(self.seed)
        return build_scaled(self.arch, settings, self.source_size)

    def measure(self, coefficients: Coefficients, phi: float) -> Scaled:
        settings = scaled_settings(self.base, coefficients, phi)
        module = self.build(settings)
        return Scaled(coefficients, phi, settings, cost_of(module, self.kind, settings, self.source_size))

    def base_cost(self) -> float:
        return self.measure(Coefficients(1.0, 1.0, 1.0), 0).cost

    def search(self, score: Callable[[nn.Module], float] | None = None, grid: Sequence[Coefficients] | None = None,
               max_cost: float | None = None) -> tuple[Scaled, list[Scaled]]:
        """Grid search at phi = 1: every candidate of ``grid`` (default
        :func:`coefficient_grid`) whose network costs at most ``max_cost`` (default
        :data:`GROWTH` times the base network's) is trained and scored by ``score``
        (default :func:`validation_accuracy`, higher is better). Returns the best and
        every candidate that fit, in grid order."""
        score = score or validation_accuracy
        limit = max_cost if max_cost is not None else GROWTH * self.base_cost()
        fitting = [s for s in (self.measure(c, 1) for c in (grid if grid is not None else coefficient_grid()))
                   if s.cost <= limit]
        if not fitting:
            raise UserError(f"no scaling coefficients keep the {self.kind} at phi=1 within {limit:g}")
        scored = [replace(s, score=float(score(self.build(s.settings)))) for s in fitting]
        return max(scored, key=lambda s: s.score), scored  # type: ignore[arg-type,return-value]

    def scale(self, coefficients: Coefficients, budget: float, max_phi: int = 16) -> Scaled:
        """The network at the largest integer phi (up to ``max_phi``) whose cost is within
        ``budget``; phi = 0 (the base network) must fit."""
        best = self.measure(coefficients, 0)
        if best.cost > budget:
            raise UserError(f"the base network's {self.kind} ({best.cost:g}) already exceeds the budget {budget:g}")
        for phi in range(1, max_phi + 1):
            candidate = self.measure(coefficients, phi)
            if candidate.cost > budget:
                break
            best = candidate
        return best
