"""The operation protocol: draw parameters from a seed, apply them, record, replay.

Every operation works on a whole batch at once. A leaf :class:`Transform` first draws
its parameters for every image (one array per parameter, one entry per image), then
applies them; both steps are split so that a :class:`Record` of what was drawn can be
applied again to the same images, in this process or another, with the same result.
Composite operations (:mod:`cairn.augment.compose`) record their own choices and their
children's records, so a whole pipeline replays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from cairn.augment.checks import Seed, as_batch, as_rng
from cairn.errors import UserError

Params = dict[str, np.ndarray]

#: Values (pixels x channels) a transform works on at once. A batch is applied in chunks
#: of whole images this size, so the temporaries of each step stay small: the allocator
#: recycles them instead of mapping fresh pages per call (page faults cost more than the
#: arithmetic on small images), and they stay in cache. Per-image parameters make the
#: result the same whatever the chunking.
CHUNK = 65536


@dataclass(frozen=True)
class Record:
    """What one operation drew for one batch: its name, its parameters (an array per
    parameter, one entry per image) and the records of its children (``None`` for a
    child that no image went to)."""

    op: str
    params: Mapping[str, np.ndarray] = field(default_factory=dict)
    children: tuple[Record | None, ...] = ()


class Operation:
    """An augmentation of an image batch; ``op(images, seed)`` returns the new batch.

    Subclasses implement :meth:`forward`, which either draws from ``rng`` (``record`` is
    ``None``) or takes every choice from ``record``; it never changes its input.
    """

    @property
    def name(self) -> str:
        return type(self).__name__

    def __call__(self, images: np.ndarray, seed: Seed = None) -> np.ndarray:
        return self.run(images, seed)[0]

    def run(self, images: np.ndarray, seed: Seed = None) -> tuple[np.ndarray, Record]:
        """The augmented batch and the record of every parameter drawn for it."""
        batch = as_batch(images)
        out, record = self.forward(batch.data, as_rng(seed), None)
        return batch.restore(out), record

    def replay(self, images: np.ndarray, record: Record) -> np.ndarray:
        """Apply exactly what ``record`` says was drawn, to a batch of the same size."""
        if not isinstance(record, Record):
            raise UserError(f"replay needs a Record from run(), got {type(record).__name__}")
        batch = as_batch(images)
        return batch.restore(self.forward(batch.data, None, record)[0])

    def forward(self, images: np.ndarray, rng: np.random.Generator | None,
                record: Record | None) -> tuple[np.ndarray, Record]:
        """Augment a checked ``(N, H, W, C)`` batch; draw from ``rng`` or replay ``record``."""
        raise NotImplementedError

    def expect(self, record: Record, n_children: int = 0) -> Record:
        """``record`` if this operation could have made it, else a UserError."""
        if record.op != self.name or len(record.children) != n_children:
            raise UserError(f"this record was made by {record.op}, not by {self.name}, so it cannot be replayed here")
        return record

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{self.name}({args})"


class Transform(Operation):
    """A leaf operation: :meth:`draw` per-image parameters, then :meth:`apply` them."""

    def draw(self, rng: np.random.Generator, images: np.ndarray) -> Params:
        """Parameters for every image of the batch (none by default: deterministic)."""
        return {}

    def apply(self, images: np.ndarray, params: Params) -> np.ndarray:
        raise NotImplementedError

    def forward(self, images: np.ndarray, rng: np.random.Generator | None,
                record: Record | None) -> tuple[np.ndarray, Record]:
        if record is None:
            params = self.draw(rng, images)
        else:
            params = dict(self.expect(record).params)
            drawn = {len(v) for v in params.values()} - {len(images)}
            if drawn:
                raise UserError(f"this record of {self.name} was drawn for {drawn.pop()} images, not {len(images)}")
        return self.apply_chunked(images, params), Record(self.name, params)

    def apply_chunked(self, images: np.ndarray, params: Params) -> np.ndarray:
        """:meth:`apply` chunk by chunk of :data:`CHUNK` values, into one output array."""
        step = max(1, CHUNK // images[0].size)
        if len(images) <= step:
            return self.apply(images, params)
        out = None
        for start in range(0, len(images), step):
            part = slice(start, start + step)
            done = self.apply(images[part], {k: v[part] for k, v in params.items()})
            if out is None:
                out = np.empty((len(images), *done.shape[1:]), dtype=done.dtype)
            out[part] = done
        return out


def column(values: np.ndarray, ndim: int = 4) -> np.ndarray:
    """Per-image values shaped to broadcast against an ``ndim``-D batch."""
    return np.asarray(values).reshape((-1,) + (1,) * (ndim - 1))


def work_dtype(dtype: np.dtype) -> type:
    """The float type to compute in: float64 for float64 images, float32 otherwise."""
    return np.float64 if dtype == np.float64 else np.float32


def restore_dtype(values: np.ndarray, dtype: np.dtype, low: float = 0.0, high: float = 255.0) -> np.ndarray:
    """Float results back to the images' dtype; uint8 is clipped and rounded in place."""
    if dtype != np.uint8:
        return values.astype(dtype, copy=False)
    np.clip(values, low, high, out=values)
    values += 0.5
    return values.astype(np.uint8)
