"""Traced matrices: a value with the lineage item that says how it was made.

The structural operations here (:func:`traced`, :func:`take_rows`, :func:`take_columns`,
:func:`cbind`, :func:`rbind`, :func:`ones`) are lazy: they build the item at once and
the value only when something reads it, so a training fold that is only ever used
through its Gram matrix is never copied. Computations on them are the business of
:class:`cairn.lineage.linalg.LinearAlgebra`.

Every operation registers its direct computation in :data:`KERNELS` and with
:func:`~cairn.lineage.recompute.operation`, so ``recompute(x.item, data={fingerprint:
array})`` rebuilds any traced value.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from cairn.errors import UserError
from cairn.lineage.item import Item, canonical, dataset, leaf
from cairn.lineage.recompute import operation

Kernel = Callable[..., np.ndarray]

#: op name -> fn(params, *input values): the direct computation, shared by the engine
#: (reuse off, or a miss without a rewrite) and by recompute.
KERNELS: dict[str, Kernel] = {}


class Traced:
    """A 2-D matrix and its lineage item; the value is made on first read, then kept.

    ``parts`` are the traced inputs of a ``cbind`` or ``rbind``, which rewrites look into.
    Values are read-only, because cached values are shared between their users.
    """

    __slots__ = ("item", "shape", "parts", "_value", "_make")

    def __init__(self, item: Item, shape: tuple[int, int], value: np.ndarray | None = None,
                 make: Callable[[], np.ndarray] | None = None, parts: tuple[Traced, ...] = ()):
        self.item = item
        self.shape = shape
        self.parts = parts
        self._value = None if value is None else readonly(value)
        self._make = make

    @property
    def op(self) -> str:
        return self.item.op

    @property
    def value(self) -> np.ndarray:
        if self._value is None:
            self._value = readonly(self._make())  # type: ignore[misc]
            self._make = None
        return self._value

    def __repr__(self) -> str:
        return f"Traced({self.op}, shape={self.shape}, id={self.item.id[:8]})"


def kernel(name: str) -> Callable[[Kernel], Kernel]:
    """Register ``fn(params, *values)`` as the direct computation of ``name``, for the
    engine and for recompute."""
    def register(fn: Kernel) -> Kernel:
        KERNELS[name] = fn
        operation(name)(lambda item, inputs: fn(json.loads(item.literal) if item.literal else {},
                                                 *map(as_matrix, inputs)))
        return fn
    return register


def as_matrix(value: Any) -> np.ndarray:
    """``value`` as a 2-D float array (a vector becomes one column), without copying
    what is already one."""
    matrix = np.asarray(value, dtype=np.float64)
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    if matrix.ndim != 2:
        raise UserError(f"traced linear algebra works on vectors and matrices, not {matrix.ndim}-D arrays")
    return matrix


def fingerprint(array: np.ndarray) -> str:
    """A content hash of an array (dtype, shape and bytes): one pass, done once per input."""
    h = hashlib.blake2b(f"{array.dtype.str}{array.shape}".encode(), digest_size=16)
    h.update(memoryview(np.ascontiguousarray(array)).cast("B"))
    return h.hexdigest()


def traced(value: Any, item: Item | None = None, name: str = "") -> Traced:
    """An input matrix with its item; without one, the data's fingerprint makes a
    ``data`` item (one pass over the data), named ``name``."""
    matrix = as_matrix(value)
    return Traced(item if item is not None else dataset(fingerprint(matrix), name), matrix.shape, matrix)


def take_rows(matrix: Traced, index: Any) -> Traced:
    """The rows at positions ``index`` of ``matrix``.

    The index enters the lineage as a ``data`` leaf known by its :func:`fingerprint` (a
    pass over the index, never over the data); recompute finds it under that fingerprint.
    """
    rows = np.asarray(index)
    if rows.ndim != 1 or not np.issubdtype(rows.dtype, np.integer):
        raise UserError("a row index must be a 1-D array of whole-number positions")
    if rows.size and (rows.min() < 0 or rows.max() >= matrix.shape[0]):
        raise UserError(f"a row index reaches outside the {matrix.shape[0]} rows of the matrix")
    item = Item("take_rows", (matrix.item, dataset(fingerprint(rows), "row index")))
    return Traced(item, (rows.size, matrix.shape[1]), make=lambda: KERNELS["take_rows"]({}, matrix.value, rows))


@kernel("take_rows")
def _take_rows(params: dict, matrix: np.ndarray, positions: np.ndarray) -> np.ndarray:
    return matrix[np.asarray(positions).ravel().astype(np.intp, copy=False)]


def take_columns(matrix: Traced, columns: list[int]) -> Traced:
    """The columns ``columns`` (positions) of ``matrix``, named in the item's literal."""
    columns = [int(c) for c in columns]
    if any(not 0 <= c < matrix.shape[1] for c in columns):
        raise UserError(f"a column position is outside the {matrix.shape[1]} columns of the matrix")
    params = {"columns": columns}
    return Traced(Item("take_columns", (matrix.item,), canonical(params)), (matrix.shape[0], len(columns)),
                  make=lambda: KERNELS["take_columns"](params, matrix.value))


@kernel("take_columns")
def _take_columns(params: dict, matrix: np.ndarray) -> np.ndarray:
    return matrix[:, params["columns"]]


def cbind(left: Traced, right: Traced) -> Traced:
    """``left`` and ``right`` side by side. Binary on purpose: a model grown one column
    at a time is a chain of cbinds, and each link's Gram matrix is a reusable piece."""
    if left.shape[0] != right.shape[0]:
        raise UserError(f"cbind needs equal row counts, got {left.shape[0]} and {right.shape[0]}")
    return Traced(Item("cbind", (left.item, right.item)), (left.shape[0], left.shape[1] + right.shape[1]),
                  make=lambda: KERNELS["cbind"]({}, *_blocks((left, right))), parts=(left, right))


def _blocks(parts: tuple[Traced, ...]) -> list[np.ndarray]:
    """The values of a cbind chain's links that are not themselves unread cbinds, left to
    right: one copy for the whole chain, and no recursion however long it is."""
    blocks, pending = [], list(reversed(parts))
    while pending:
        part = pending.pop()
        if part._value is None and part.op == "cbind" and part.parts:
            pending.extend(reversed(part.parts))
        else:
            blocks.append(part.value)
    return blocks


@kernel("cbind")
def _cbind(params: dict, *values: np.ndarray) -> np.ndarray:
    return np.hstack(values)


def rbind(*parts: Traced) -> Traced:
    """``parts`` stacked, first on top; one part is itself (the training rows of 2-fold CV)."""
    if not parts:
        raise UserError("rbind needs at least one matrix")
    if len(parts) == 1:
        return parts[0]
    if len({p.shape[1] for p in parts}) > 1:
        raise UserError(f"rbind needs equal column counts, got {', '.join(str(p.shape[1]) for p in parts)}")
    return Traced(Item("rbind", [p.item for p in parts]), (sum(p.shape[0] for p in parts), parts[0].shape[1]),
                  make=lambda: KERNELS["rbind"]({}, *(p.value for p in parts)), parts=parts)


@kernel("rbind")
def _rbind(params: dict, *values: np.ndarray) -> np.ndarray:
    return np.vstack(values)


def ones(rows: int) -> Traced:
    """A column of ``rows`` ones: the intercept's column."""
    if int(rows) != rows or rows < 1:
        raise UserError(f"a column of ones needs a whole, positive row count, got {rows!r}")
    params = {"rows": int(rows)}
    return Traced(leaf("ones", params), (int(rows), 1), make=lambda: KERNELS["ones"](params))


@kernel("ones")
def _ones(params: dict) -> np.ndarray:
    return np.ones((params["rows"], 1))


def readonly(value: np.ndarray) -> np.ndarray:
    """A read-only view of ``value`` (itself if it is one): cached values are shared."""
    if not value.flags.writeable:
        return value
    value = value.view()
    value.flags.writeable = False
    return value
