"""Computations on traced matrices, with partial reuse of cached results (after LIMA).

A :class:`LinearAlgebra` engine computes Gram matrices, crossproducts, products, sums
and solves of :class:`~cairn.lineage.matrix.Traced` matrices. With a reuse cache, a
repeated computation is a hit and a new one is first tried as a rewrite over cached
pieces (:mod:`cairn.lineage.rewrites`); without one (reuse off), every computation runs
directly on materialised inputs. Both build the same items, so the switch changes
nothing but what is reused. Importing this module registers every traced operation (its
own and :mod:`cairn.lineage.matrix`'s) for recompute.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from scipy.linalg import lapack

from cairn.errors import UserError
from cairn.lineage.cache import ReuseCache
from cairn.lineage.item import Item, canonical
from cairn.lineage.matrix import KERNELS, Traced, kernel, readonly
from cairn.lineage.rewrites import REWRITES


class LinearAlgebra:
    """Computations on traced matrices. With ``cache`` (reuse on) each is looked up,
    else rewritten over cached pieces, else computed, and kept; with ``None``, computed."""

    def __init__(self, cache: ReuseCache | None = None):
        self.cache = cache

    @property
    def reuse(self) -> bool:
        return self.cache is not None

    def tsmm(self, a: Traced) -> Traced:
        """``a' a`` (transpose-self matrix multiply): the Gram matrix."""
        return self._compute("tsmm", (a,), (a.shape[1], a.shape[1]))

    def crossprod(self, a: Traced, b: Traced) -> Traced:
        """``a' b``."""
        _check_inner("crossprod", a.shape[0], b.shape[0])
        return self._compute("crossprod", (a, b), (a.shape[1], b.shape[1]))

    def matmul(self, a: Traced, b: Traced) -> Traced:
        """``a b``."""
        _check_inner("matmul", a.shape[1], b.shape[0])
        return self._compute("matmul", (a, b), (a.shape[0], b.shape[1]))

    def colsums(self, a: Traced) -> Traced:
        """Column sums, as one row."""
        return self._compute("colsums", (a,), (1, a.shape[1]))

    def rowsums(self, a: Traced) -> Traced:
        """Row sums, as one column."""
        return self._compute("rowsums", (a,), (a.shape[0], 1))

    def add_diagonal(self, a: Traced, value: float, count: int | None = None) -> Traced:
        """``a`` plus ``value`` on the first ``count`` diagonal entries (all by default):
        a ridge that spares the intercept. Cheap, so never cached."""
        count = a.shape[0] if count is None else int(count)
        if a.shape[0] != a.shape[1] or not 0 <= count <= a.shape[0]:
            raise UserError(f"add_diagonal needs a square matrix and at most {a.shape[0]} entries, "
                            f"got shape {a.shape} and {count}")
        return self._compute("add_diagonal", (a,), a.shape, {"value": float(value), "count": count}, cached=False)

    def solve(self, a: Traced, b: Traced) -> Traced:
        """``x`` with ``a x = b`` for symmetric positive definite ``a`` (normal equations),
        by Cholesky; raises numpy's LinAlgError if ``a`` is not positive definite."""
        if a.shape[0] != a.shape[1]:
            raise UserError(f"solve needs a square matrix, got shape {a.shape}")
        _check_inner("solve", a.shape[1], b.shape[0])
        return self._compute("solve", (a, b), (a.shape[1], b.shape[1]))

    def lookup(self, op: str, *inputs: Traced) -> np.ndarray | None:
        """The cached value of ``op`` (one without params) of ``inputs``, or None."""
        return None if self.cache is None else self.cache.get(Item(op, [i.item for i in inputs]))

    def _compute(self, op: str, inputs: tuple[Traced, ...], shape: tuple[int, int],
                 params: dict | None = None, cached: bool = True) -> Traced:
        item = Item(op, [i.item for i in inputs], None if params is None else canonical(params))
        compute_directly = KERNELS[op]

        def direct() -> np.ndarray:
            return compute_directly(params or {}, *(i.value for i in inputs))

        if self.cache is None or not cached:
            return Traced(item, shape, direct())
        rewrite = REWRITES.get(op)

        def compute() -> np.ndarray:
            value = rewrite(self, *inputs) if rewrite is not None else None
            return readonly(direct() if value is None else value)

        return Traced(item, shape, self.cache.get_or_compute(item, compute))


def _check_inner(op: str, left: int, right: int) -> None:
    if left != right:
        raise UserError(f"{op} needs matching inner dimensions, got {left} and {right}")


@kernel("tsmm")
def _tsmm(params: dict, a: np.ndarray) -> np.ndarray:
    return a.T @ a


@kernel("crossprod")
def _crossprod(params: dict, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a.T @ b


@kernel("matmul")
def _matmul(params: dict, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a @ b


@kernel("colsums")
def _colsums(params: dict, a: np.ndarray) -> np.ndarray:
    return a.sum(axis=0, keepdims=True)


@kernel("rowsums")
def _rowsums(params: dict, a: np.ndarray) -> np.ndarray:
    return a.sum(axis=1, keepdims=True)


@kernel("add_diagonal")
def _add_diagonal(params: dict, a: np.ndarray) -> np.ndarray:
    out = np.array(a)
    k = params["count"]
    out[np.arange(k), np.arange(k)] += params["value"]
    return out


@kernel("solve")
def _solve(params: dict, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if np.max(np.abs(a - a.T), initial=0) > 1e-10 * np.max(np.abs(a), initial=0):
        raise UserError("solve needs a symmetric positive definite matrix, and this one is not symmetric")
    return spd_solve(a, b)


def spd_solve(a: np.ndarray, b: np.ndarray, tolerance: float = 0.0) -> np.ndarray:
    """``x`` with ``a x = b`` for symmetric positive definite ``a`` (only its upper
    triangle is read), by LAPACK's Cholesky solver, as ``scipy.linalg.solve(assume_a=
    "pos")`` does but without scipy's per-call checks, which cost more than a small
    system: a stepwise search solves thousands.

    Raises numpy's LinAlgError unless ``a`` is positive definite, or, for a Gram matrix,
    when a column is within ``tolerance`` of the span of those before it (R's ``lm``
    drops a column whose residual norm is below ``1e-7`` of its norm).
    """
    factor, x, info = lapack.dposv(a, b)
    if info > 0 or np.any(np.diag(factor) ** 2 <= tolerance**2 * np.diag(a)):
        raise np.linalg.LinAlgError("the matrix of the normal equations is not positive definite")
    return x


# --------------------------------------------------------------------------- the shared engine


_SHARED: list[LinearAlgebra] = []


def shared() -> LinearAlgebra:
    """The process-wide engine with reuse, made on first use. Estimators use it because
    they cannot hold a cache themselves: ``clone`` would copy it."""
    if not _SHARED:
        _SHARED.append(LinearAlgebra(ReuseCache()))
    return _SHARED[-1]


@contextmanager
def sharing(cache: ReuseCache | None) -> Iterator[LinearAlgebra]:
    """Make ``cache`` the process-wide reuse cache inside the block (a fresh one per
    benchmark repeat, a small one in a test), or with ``None`` turn reuse off there (a
    baseline whose learners keep ``reuse=True``); not for use from several threads."""
    _SHARED.append(LinearAlgebra(cache))
    try:
        yield _SHARED[-1]
    finally:
        _SHARED.pop()
