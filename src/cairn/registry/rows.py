"""Rows as a multiset keyed by row hash: exact hashing, deltas, net changes, set operations.

A table version is a sequence of rows; two rows are the same row when every cell is the
same value of the same type, bit for bit (``0.0`` is not ``-0.0``, ``1`` is not ``1.0``,
``None`` is not ``NaN``). Each row gets a 128-bit hash of that exact content. Duplicate
rows are a multiset: the k-th copy of a row in a child is matched to the k-th copy in its
parent, so a delta adds and removes *copies* and counts stay right.

A delta stores the rows it adds and the rows it removes (so it can be read in both
directions, as in DEX), plus ``source``: for every row of the child, its position in the
parent (``>= 0``) or ``-(k + 1)`` for the k-th added row. A snapshot is the delta
against the empty table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

_KEYS = ("cairn-rows-key-1", "cairn-rows-key-2")  # 16 characters each, as pandas asks
_SALT = np.uint64(0x9E3779B97F4A7C15)
_H = ["h1", "h2"]


@dataclass
class Delta:
    """A child table as rows added to and removed from its parent, and their order."""

    added: pd.DataFrame
    removed: pd.DataFrame
    source: np.ndarray


def _exact_columns(frame: pd.DataFrame) -> list[np.ndarray]:
    """Columns whose pandas hashes tell apart exactly the values that differ."""
    out: list[np.ndarray] = []
    for _, col in frame.items():
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.cat.codes  # the categories are part of the dtype, compared apart
        if isinstance(col.dtype, np.dtype) and col.dtype.kind in "biufcmMSV":
            values = np.ascontiguousarray(col.to_numpy())
            raw = values.view(np.uint8).reshape(len(values), values.dtype.itemsize)
            pad = -raw.shape[1] % 8
            words = np.pad(raw, ((0, 0), (0, pad))).view("<u8") if pad else raw.view("<u8")
            out.extend(np.ascontiguousarray(words.T))
        elif pd.api.types.infer_dtype(col, skipna=False) == "string":
            out.append(col.to_numpy(dtype=object))
        else:  # mixed objects, missing values, extension arrays: type and repr say it all
            out.append(np.array([f"{type(v).__module__}.{type(v).__qualname__}:{v!r}"
                                 for v in col.to_numpy(dtype=object)], dtype=object))
    return out


def _hash(columns: list[np.ndarray], key: str, salt: np.uint64) -> np.ndarray:
    frame = pd.DataFrame({i: c ^ salt if c.dtype == np.uint64 else c for i, c in enumerate(columns)})
    return pd.util.hash_pandas_object(frame, index=False, hash_key=key).to_numpy()


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 128-bit hash per row, as an ``(n, 2)`` uint64 array (the index is ignored)."""
    cols = _exact_columns(frame)
    if len(frame) == 0:
        return np.zeros((0, 2), dtype=np.uint64)
    # Two independent 64-bit hashes: other column order, other key, salted numbers.
    return np.stack([_hash(cols, _KEYS[0], np.uint64(0)), _hash(cols[::-1], _KEYS[1], _SALT)], axis=1)


def schema(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """Column names and dtypes, as shown to users."""
    return [(str(name), str(dtype)) for name, dtype in frame.dtypes.items()]


def same_schema(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Same column names in the same order with equal dtypes (categories included)."""
    return list(a.columns) == list(b.columns) and all(x == y for x, y in zip(a.dtypes, b.dtypes, strict=True))


def fingerprint(frame: pd.DataFrame, hashes: np.ndarray) -> str:
    """Identity of a table version: its columns, dtypes and rows in order."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr([(name, repr(dtype)) for name, dtype in frame.dtypes.items()]).encode())
    h.update(hashes.tobytes())
    return h.hexdigest()


def _keyed(hashes: np.ndarray) -> pd.DataFrame:
    """Hashes with the copy number of each row among equal rows (0, 1, ... in order)."""
    keyed = pd.DataFrame(hashes, columns=_H)
    keyed["copy"] = keyed.groupby(_H, sort=False).cumcount()
    return keyed


def delta(parent: pd.DataFrame, parent_hashes: np.ndarray, child: pd.DataFrame, child_hashes: np.ndarray) -> Delta:
    """The delta that turns ``parent`` into ``child`` (both with positional rows)."""
    p = _keyed(parent_hashes)
    p["pos"] = np.arange(len(p))
    matched = _keyed(child_hashes).merge(p, on=[*_H, "copy"], how="left")["pos"]  # keeps child order
    source = matched.fillna(-1).to_numpy(dtype=np.int64, copy=True)
    added = np.flatnonzero(source < 0)
    source[added] = -np.arange(1, len(added) + 1)
    kept = np.zeros(len(parent), dtype=bool)
    kept[source[source >= 0]] = True
    return Delta(_take(child, added), _take(parent, np.flatnonzero(~kept)), source)


def snapshot(frame: pd.DataFrame) -> Delta:
    """The whole table as a delta against the empty table."""
    return Delta(frame.reset_index(drop=True), frame.iloc[:0].reset_index(drop=True),
                 -np.arange(1, len(frame) + 1, dtype=np.int64))


def apply(parent: pd.DataFrame | None, d: Delta) -> pd.DataFrame:
    """The child ``d`` describes, given its parent (``None`` for a snapshot)."""
    n_parent = 0 if parent is None else len(parent)
    if parent is None or len(d.added) == 0:
        pool = d.added if parent is None else parent
    else:
        pool = pd.concat([parent, d.added], ignore_index=True)
    return pool.take(np.where(d.source >= 0, d.source, n_parent - d.source - 1)).reset_index(drop=True)


def net(changes: list[tuple[int, pd.DataFrame]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sum signed row multisets (+1: rows gained, -1: rows lost) into (added, removed).

    Rows that cancel out disappear; each remaining row appears as many times as its net
    count, in order of first appearance.
    """
    frames = [f for _, f in changes]
    rows = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    keyed = pd.DataFrame(row_hashes(rows), columns=_H)
    keyed["sign"] = np.concatenate([np.full(len(f), sign) for sign, f in changes])
    groups = keyed.groupby(_H, sort=False)
    count = groups["sign"].transform("sum").to_numpy()
    first = (groups.cumcount() == 0).to_numpy()
    gained = np.flatnonzero(first & (count > 0))
    lost = np.flatnonzero(first & (count < 0))
    return (_take(rows, np.repeat(gained, count[gained])), _take(rows, np.repeat(lost, -count[lost])))


def split_removed(base: pd.DataFrame, removed: pd.DataFrame) -> np.ndarray:
    """Which rows of ``base`` are the removed copies (the last copies of each row).

    ``removed`` must be a sub-multiset of ``base``; returns a boolean mask over ``base``.
    """
    keyed = pd.DataFrame(row_hashes(base), columns=_H)
    keyed["from_end"] = keyed.groupby(_H, sort=False).cumcount(ascending=False)
    drop = pd.DataFrame(row_hashes(removed), columns=_H).value_counts().rename("n").reset_index()
    n = keyed.merge(drop, on=_H, how="left")["n"].fillna(0).to_numpy()
    return keyed["from_end"].to_numpy() < n


def _take(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    return frame.take(positions).reset_index(drop=True)
