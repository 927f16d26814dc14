"""Partial reuse: results assembled from cached pieces instead of computed from scratch.

LIMA's partial reuse rewrites (Phani, Rath and Boehm, SIGMOD 2021). Each rewrite gets the
engine and the traced inputs of one operation and returns its value, or ``None`` when
the inputs have no structure it can use. Pieces are requested through the engine, so a
piece already cached is a hit, and a missing one is computed once and cached for the
requests that follow:

* ``tsmm(cbind(A, B)) = [[tsmm(A), A'B], [B'A, tsmm(B)]]``: adding a column to a model
  (a step of stepwise regression, an intercept) costs one crossproduct with the column.
* ``tsmm(rbind(A1, ..., Ak)) = tsmm(A1) + ... + tsmm(Ak)``: k-fold cross-validation
  computes each fold's Gram matrix once and every training Gram matrix as a sum.
* ``A %*% cbind(B, C) = cbind(A %*% B, A %*% C)`` and ``A %*% ones = rowSums(A)``, so
  with an intercept ``X %*% cbind(Y, 1) = cbind(X %*% Y, rowSums(X))``.
* ``crossprod``, ``colsums`` and ``rowsums`` split the same ways over ``cbind``,
  ``rbind`` and columns of ones.

Splitting a ``cbind`` recurses into its left part, which is itself a ``cbind`` when a
model grows a column at a time. Rewrites split such a chain only where the left part's
piece is cached, so a long chain with nothing cached is computed directly instead of one
nested call per column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from cairn.lineage.linalg import LinearAlgebra
    from cairn.lineage.matrix import Traced

Rewrite = Callable[..., "np.ndarray | None"]

#: op name -> fn(engine, *traced inputs) -> value, or None where it does not apply.
REWRITES: dict[str, Rewrite] = {}


def _rewrite(op: str) -> Callable[[Rewrite], Rewrite]:
    def register(fn: Rewrite) -> Rewrite:
        REWRITES[op] = fn
        return fn
    return register


@_rewrite("tsmm")
def _tsmm(la: LinearAlgebra, a: Traced) -> np.ndarray | None:
    if _is(a, "cbind"):
        left, right = a.parts
        gram = _piece(la, left, "tsmm", left)
        if gram is not None:
            cross = la.crossprod(left, right).value
            return _symmetric_blocks(gram, cross, la.tsmm(right).value)
    if _is(a, "rbind"):
        return _total(la.tsmm(part).value for part in a.parts)
    if a.op == "ones":
        return np.full((1, 1), float(a.shape[0]))
    return None


@_rewrite("crossprod")
def _crossprod(la: LinearAlgebra, a: Traced, b: Traced) -> np.ndarray | None:
    if a.item == b.item:
        return la.tsmm(a).value
    if _is(a, "cbind"):
        top = _piece(la, a.parts[0], "crossprod", a.parts[0], b)
        if top is not None:
            return np.vstack([top, la.crossprod(a.parts[1], b).value])
    if _is(b, "cbind"):
        left = _piece(la, b.parts[0], "crossprod", a, b.parts[0])
        if left is not None:
            return np.hstack([left, la.crossprod(a, b.parts[1]).value])
    if a.op == "ones":
        return la.colsums(b).value
    if b.op == "ones":
        return la.colsums(a).value.T
    if _is(a, "rbind") and _is(b, "rbind") and _heights(a) == _heights(b):
        return _total(la.crossprod(x, y).value for x, y in zip(a.parts, b.parts, strict=True))
    return None


@_rewrite("matmul")
def _matmul(la: LinearAlgebra, a: Traced, b: Traced) -> np.ndarray | None:
    if _is(b, "cbind"):
        left = _piece(la, b.parts[0], "matmul", a, b.parts[0])
        if left is not None:
            return np.hstack([left, la.matmul(a, b.parts[1]).value])
    if b.op == "ones":
        return la.rowsums(a).value
    return None


@_rewrite("colsums")
def _colsums(la: LinearAlgebra, a: Traced) -> np.ndarray | None:
    if _is(a, "rbind"):
        return _total(la.colsums(part).value for part in a.parts)
    if _is(a, "cbind"):
        left = _piece(la, a.parts[0], "colsums", a.parts[0])
        if left is not None:
            return np.hstack([left, la.colsums(a.parts[1]).value])
    if a.op == "ones":
        return np.full((1, 1), float(a.shape[0]))
    return None


@_rewrite("rowsums")
def _rowsums(la: LinearAlgebra, a: Traced) -> np.ndarray | None:
    if _is(a, "cbind"):
        left = _piece(la, a.parts[0], "rowsums", a.parts[0])
        if left is not None:
            return left + la.rowsums(a.parts[1]).value
    if _is(a, "rbind"):
        return np.vstack([la.rowsums(part).value for part in a.parts])
    return None


def _is(a: Traced, op: str) -> bool:
    """Whether ``a`` is an ``op`` whose traced parts are at hand."""
    return a.op == op and bool(a.parts)


def _piece(la: LinearAlgebra, left: Traced, op: str, *inputs: Traced) -> np.ndarray | None:
    """``op(*inputs)``, a piece of a cbind split whose left part is ``left``: through the
    engine, except that a ``left`` that is itself a cbind gives only a cached piece
    (``None`` if there is none), so splitting a chain never recurses past one link."""
    if _is(left, "cbind"):
        return la.lookup(op, *inputs)
    return getattr(la, op)(*inputs).value


def _symmetric_blocks(top_left: np.ndarray, top_right: np.ndarray, bottom_right: np.ndarray) -> np.ndarray:
    """``[[top_left, top_right], [top_right', bottom_right]]``."""
    k = top_left.shape[0]
    out = np.empty((k + bottom_right.shape[0],) * 2)
    out[:k, :k], out[:k, k:], out[k:, :k], out[k:, k:] = top_left, top_right, top_right.T, bottom_right
    return out


def _heights(a: Traced) -> list[int]:
    return [part.shape[0] for part in a.parts]


def _total(values: Iterable[np.ndarray]) -> np.ndarray:
    parts = iter(values)
    total = np.array(next(parts))
    for value in parts:
        total += value
    return total
