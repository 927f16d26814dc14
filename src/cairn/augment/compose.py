"""Composition: ``Compose`` (in order), ``OneOf`` (one per image), ``RandomApply`` (with
probability ``p`` per image), and ``Identity``.

Choices are per image, and each chosen operation runs once on the sub-batch of images
that chose it, so a pipeline costs a handful of vectorised calls whatever the batch
size. Operations under ``OneOf`` and ``RandomApply`` must keep the images' shape and
dtype, since their results are written back among the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cairn.augment.base import Operation, Params, Record, Transform
from cairn.augment.checks import probability
from cairn.errors import UserError


class Identity(Transform):
    """Leave the images as they are (a copy)."""

    def apply(self, images: np.ndarray, params: Params) -> np.ndarray:
        return images.copy()


class Compose(Operation):
    """Apply ``ops`` one after the other."""

    def __init__(self, ops: Sequence[Operation]):
        self.ops = _operations(ops, self.name)

    def forward(self, images: np.ndarray, rng: np.random.Generator | None,
                record: Record | None) -> tuple[np.ndarray, Record]:
        children = self.expect(record, len(self.ops)).children if record is not None else (None,) * len(self.ops)
        records = []
        for op, child in zip(self.ops, children, strict=True):
            images, done = op.forward(images, rng, child)
            records.append(done)
        return images, Record(self.name, {}, tuple(records))


class OneOf(Operation):
    """Each image gets one of ``ops``, chosen with ``weights`` (default: equally likely)."""

    def __init__(self, ops: Sequence[Operation], weights: Sequence[float] | None = None):
        self.ops = _operations(ops, self.name)
        if not self.ops:
            raise UserError(f"{self.name} needs at least one operation")
        weights = np.ones(len(self.ops)) if weights is None else np.asarray(_numbers(weights))
        if len(weights) != len(self.ops) or not np.all(np.isfinite(weights) & (weights >= 0)) or weights.sum() <= 0:
            raise UserError(f"{self.name} needs one non-negative weight per operation, not all zero; "
                            f"got {list(weights)} for {len(self.ops)} operations")
        self.weights = weights / weights.sum()

    def forward(self, images: np.ndarray, rng: np.random.Generator | None,
                record: Record | None) -> tuple[np.ndarray, Record]:
        if record is None:
            choice = rng.choice(len(self.ops), size=len(images), p=self.weights)
            children: Sequence[Record | None] = (None,) * len(self.ops)
        else:
            choice, children = self.expect(record, len(self.ops)).params["choice"], record.children
            if len(choice) != len(images):
                raise UserError(f"this record of {self.name} was drawn for {len(choice)} images, not {len(images)}")
        out = images.copy()
        records: list[Record | None] = []
        for index, (op, child) in enumerate(zip(self.ops, children, strict=True)):
            rows = np.flatnonzero(choice == index)
            if len(rows) == 0 or isinstance(op, Identity):
                records.append(None if len(rows) == 0 else Record(op.name, {}))
                continue
            done, made = op.forward(images[rows], rng, child)
            if done.shape != (len(rows), *images.shape[1:]) or done.dtype != images.dtype:
                raise UserError(f"{op.name} changes the images' shape or dtype, so it cannot run inside {self.name}")
            out[rows] = done
            records.append(made)
        return out, Record(self.name, {"choice": choice}, tuple(records))


class RandomApply(OneOf):
    """Apply ``op`` to each image with probability ``p``; the others stay as they are."""

    def __init__(self, op: Operation, p: float = 0.5):
        self.p = probability(p)
        super().__init__([op, Identity()], [self.p, 1 - self.p])


def _operations(ops: Any, owner: str) -> list[Operation]:
    if isinstance(ops, Operation) or not isinstance(ops, Sequence):
        raise UserError(f"{owner} takes a list of operations, got {type(ops).__name__}")
    for op in ops:
        if not isinstance(op, Operation):
            raise UserError(f"{owner} takes operations, got {type(op).__name__}")
    return list(ops)


def _numbers(values: Any) -> list[float]:
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError):
        raise UserError(f"weights must be numbers, got {values!r}") from None
