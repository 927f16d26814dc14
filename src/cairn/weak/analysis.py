"""What each labeling function does: polarity, coverage, overlaps, conflicts, accuracy.

The table a user reads before trusting a label model: an LF that covers nothing, or
conflicts with everyone, or (given a few gold labels) is worse than chance shows up
here first. The columns follow Snorkel's ``LFAnalysis`` so the numbers compare.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cairn.errors import UserError
from cairn.weak.labels import ABSTAIN, check_label_matrix
from cairn.weak.lf import LabelingFunction


def lf_summary(L: object, lfs: Sequence[LabelingFunction | str] | None = None, gold: object = None) -> pd.DataFrame:
    """One row per labeling function (index: its name, or ``lf_<j>``):

    * ``polarity``: the classes it voted, sorted;
    * ``coverage``: the fraction of rows it voted on;
    * ``overlaps``: the fraction of rows it and at least one other LF voted on;
    * ``conflicts``: the fraction of rows where another LF voted a different class;
    * with ``gold`` labels (``-1`` marks a row without one): ``correct``,
      ``incorrect`` (counts on labelled rows it voted on) and ``emp_accuracy``
      (NaN where it voted on no labelled row).
    """
    votes, _ = check_label_matrix(L)
    n, m = votes.shape
    names = _names(lfs, m)
    voted = votes != ABSTAIN
    others = voted.sum(axis=1, keepdims=True) - voted
    lowest = np.where(voted, votes, np.iinfo(votes.dtype).max).min(axis=1, keepdims=True)
    highest = votes.max(axis=1, keepdims=True)
    disagree = voted & ((lowest != votes) | (highest != votes))
    table = pd.DataFrame({
        "j": np.arange(m),
        "polarity": [sorted(int(v) for v in np.unique(votes[voted[:, j], j])) for j in range(m)],
        "coverage": voted.mean(axis=0) if n else np.zeros(m),
        "overlaps": (voted & (others > 0)).mean(axis=0) if n else np.zeros(m),
        "conflicts": disagree.mean(axis=0) if n else np.zeros(m),
    }, index=pd.Index(names, name="lf"))
    if gold is not None:
        truth = check_gold(gold, n)
        labelled = voted & (truth[:, None] != ABSTAIN)
        correct = (labelled & (votes == truth[:, None])).sum(axis=0)
        attempts = labelled.sum(axis=0)
        table["correct"], table["incorrect"] = correct, attempts - correct
        with np.errstate(invalid="ignore", divide="ignore"):
            table["emp_accuracy"] = np.where(attempts > 0, correct / np.maximum(attempts, 1), np.nan)
    return table


def _names(lfs: Sequence[LabelingFunction | str] | None, m: int) -> list[str]:
    if lfs is None:
        return [f"lf_{j}" for j in range(m)]
    names = [lf.name if isinstance(lf, LabelingFunction) else str(lf) for lf in lfs]
    if len(names) != m:
        raise UserError(f"the label matrix has {m} columns but {len(names)} labeling functions were named")
    return names


def check_gold(gold: object, n: int) -> np.ndarray:
    """Gold labels as one int per row: classes 0, 1, ... or ``-1`` for an unlabelled row."""
    truth = np.asarray(gold)
    if truth.shape != (n,):
        raise UserError(f"gold labels must be one per row ({n}), got shape {truth.shape}")
    if truth.size and (not np.issubdtype(truth.dtype, np.integer) or truth.min() < ABSTAIN):
        raise UserError(f"gold labels must be classes 0, 1, ... (or {ABSTAIN} for unlabelled rows), got {truth.dtype}")
    return truth.astype(np.int64)
