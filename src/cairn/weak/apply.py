"""Appliers: run labeling functions over a DataFrame or an array and collect the label
matrix L (rows x LFs, ``-1`` = abstain).

Row LFs see one row at a time: a DataFrame row as a :class:`Row` (``x.col`` and
``x["col"]`` both work), an array row as a 1-D array (``x[0]``). Vectorised LFs see the
whole data once. Whatever goes wrong inside an LF is reported with the LF's name and
the row it failed on, and so is a vote that is not a class or ``ABSTAIN``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cairn.errors import UserError
from cairn.weak.labels import ABSTAIN, vote_dtype
from cairn.weak.lf import LabelingFunction


class LFError(UserError):
    """A labeling function that raised, or returned something that is not a vote."""


class Row(dict):
    """One DataFrame row: a dict whose keys are also attributes (``x.text``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"the row has no column {name!r}") from None


def apply_lfs(lfs: Sequence[LabelingFunction], data: Any) -> np.ndarray:
    """The label matrix of ``lfs`` on ``data`` (a DataFrame, or an array whose rows are
    the items): ``n x len(lfs)``, the smallest integer type that holds the votes."""
    lfs = check_lfs(lfs)
    if not isinstance(data, pd.DataFrame):
        data = np.asarray(data)
        if data.ndim not in (1, 2):
            raise UserError(f"labeling functions apply to a DataFrame or a 1-D or 2-D array, not {data.ndim}-D")
    columns = [_vectorized_votes(lf, data) if lf.vectorized else _row_votes(lf, data) for lf in lfs]
    top = max(int(c.max(initial=ABSTAIN)) for c in columns)
    return np.stack(columns, axis=1).astype(vote_dtype(max(top + 1, 2)))


def check_lfs(lfs: Sequence[LabelingFunction]) -> list[LabelingFunction]:
    """A non-empty list of labeling functions with distinct names."""
    if isinstance(lfs, LabelingFunction):
        lfs = [lfs]
    lfs = list(lfs)
    if not lfs:
        raise UserError("give at least one labeling function")
    for lf in lfs:
        if not isinstance(lf, LabelingFunction):
            raise UserError(f"{lf!r} is not a labeling function; wrap it with @labeling_function()")
    names = [lf.name for lf in lfs]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise UserError(f"labeling function names must be distinct; {', '.join(map(repr, twice))} appear more than once")
    return lfs


def _rows(data: Any) -> Iterator[Any]:
    if isinstance(data, pd.DataFrame):
        names = [str(c) for c in data.columns]
        for values in data.itertuples(index=False, name=None):
            yield Row(zip(names, values, strict=True))
    else:
        yield from data


def _row_votes(lf: LabelingFunction, data: Any) -> np.ndarray:
    out = np.empty(len(data), dtype=np.int64)
    for i, row in enumerate(_rows(data)):
        try:
            vote = lf(row)
        except Exception as exc:  # noqa: BLE001 - any failure of user code is reported as the LF's
            raise LFError(f"labeling function '{lf.name}' raised {type(exc).__name__} on row {_where(data, i)}: "
                          f"{exc}") from exc
        out[i] = _check_vote(lf, vote, data, i)
    return out


def _vectorized_votes(lf: LabelingFunction, data: Any) -> np.ndarray:
    try:
        votes = lf(data)
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise LFError(f"labeling function '{lf.name}' raised {type(exc).__name__} on the data: {exc}") from exc
    votes = np.asarray(votes)
    if votes.shape != (len(data),):
        raise LFError(f"vectorized labeling function '{lf.name}' returned shape {votes.shape}; "
                      f"it must return one vote per row ({len(data)},)")
    whole = np.issubdtype(votes.dtype, np.integer) or (
        np.issubdtype(votes.dtype, np.floating) and np.array_equal(votes, np.round(votes)))
    if votes.dtype == bool or not whole:
        raise LFError(f"vectorized labeling function '{lf.name}' returned {votes.dtype} values; "
                      f"votes are classes 0, 1, ... or {ABSTAIN}")
    bad = np.flatnonzero(votes < ABSTAIN)
    if bad.size:
        _check_vote(lf, votes[bad[0]].item(), data, int(bad[0]))
    return votes.astype(np.int64)


def _check_vote(lf: LabelingFunction, vote: Any, data: Any, i: int) -> int:
    if isinstance(vote, (bool, np.bool_)) or not isinstance(vote, (int, np.integer)) or vote < ABSTAIN:
        raise LFError(f"labeling function '{lf.name}' returned {vote!r} on row {_where(data, i)}; "
                      f"a vote is a class 0, 1, ... or {ABSTAIN} (abstain)")
    return int(vote)


def _where(data: Any, i: int) -> str:
    """Row position ``i``, with its index label when a DataFrame's index says otherwise."""
    if isinstance(data, pd.DataFrame) and data.index[i] != i:
        return f"{i} (index {data.index[i]!r})"
    return str(i)
