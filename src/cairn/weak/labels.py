"""The label matrix L: checks, one-hot votes and the canonical order of its columns.

Every label model and the analysis read L through these functions, so a bad matrix is
refused in one place with one sentence, and every model sees its labeling functions in
the same content-defined order whatever order the user listed them in.
"""

from __future__ import annotations

import numpy as np

from cairn.errors import UserError

#: The vote of a labeling function that does not label a row.
ABSTAIN = -1


def check_label_matrix(L: object, cardinality: int | None = None) -> tuple[np.ndarray, int]:
    """``L`` as a 2-D integer array with votes in ``-1 .. cardinality - 1``, and the
    cardinality (default: the largest vote plus one, at least 2)."""
    array = np.asarray(L)
    if array.ndim != 2:
        raise UserError(f"a label matrix must be 2-D (rows x labeling functions), got {array.ndim}-D")
    if array.shape[1] == 0:
        raise UserError("a label matrix needs at least one labeling function (column)")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.issubdtype(array.dtype, np.floating) or not np.array_equal(array, np.round(array)):
            raise UserError(f"label matrix votes must be whole numbers (classes or {ABSTAIN}), got dtype {array.dtype}")
    top = int(array.max(initial=ABSTAIN))
    if array.size and int(array.min()) < ABSTAIN:
        raise UserError(f"label matrix votes must be classes 0, 1, ... or {ABSTAIN} (abstain), got {int(array.min())}")
    if cardinality is None:
        cardinality = max(top + 1, 2)
    elif cardinality < 2:
        raise UserError(f"the cardinality (number of classes) must be at least 2, got {cardinality}")
    elif top >= cardinality:
        raise UserError(f"label matrix has vote {top}, but the cardinality is {cardinality} (classes 0..{cardinality - 1})")
    return array.astype(vote_dtype(cardinality), copy=False), int(cardinality)


def vote_dtype(cardinality: int) -> np.dtype:
    """The smallest signed integer type that holds every class and ``ABSTAIN``."""
    return np.dtype(np.int8 if cardinality <= 127 else np.int16 if cardinality <= 32767 else np.int32)


def one_hot(L: np.ndarray, cardinality: int, dtype: type = np.float32) -> np.ndarray:
    """Votes as an ``n x (m * cardinality)`` indicator matrix: column ``j * k + c`` is 1
    where labeling function ``j`` voted ``c``; an abstain is a row of zeros in its block.

    The result is column-major (the transpose of a C array): built class by class on
    contiguous rows, which is several times faster than scattering into a row-major
    matrix, and BLAS multiplies either layout without a copy."""
    votes = np.ascontiguousarray(L.T)
    out = np.empty((votes.shape[0], cardinality, votes.shape[1]), dtype=dtype)
    for c in range(cardinality):
        np.equal(votes, c, out=out[:, c, :])
    return out.reshape(-1, votes.shape[1]).T


def vote_counts(L: np.ndarray, cardinality: int) -> np.ndarray:
    """``n x cardinality``: how many labeling functions voted each class on each row."""
    counts = np.zeros((L.shape[0], cardinality), dtype=np.int32)
    for c in range(cardinality):
        counts[:, c] = (L == c).sum(axis=1)
    return counts


def canonical_order(L: np.ndarray) -> np.ndarray:
    """A permutation of L's columns that depends only on their contents.

    Columns sort by their bytes, so listing the labeling functions in another order
    gives the same sorted matrix and therefore bit-identical fits (floating-point sums
    do not commute with reordering). Identical columns are interchangeable.
    """
    columns = np.ascontiguousarray(L.T)
    keys = [column.tobytes() for column in columns]
    return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.intp)
