"""Resampling: which rows train and which validate, decided by the seed alone.

Splits are stratified by class for classification whenever every class is common enough
to appear on both sides; otherwise they fall back to plain shuffled splits rather than
fail, since rare classes are a property of the data, not a user mistake.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from sklearn import model_selection as ms

from cairn.errors import UserError

Split = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Holdout:
    """One split: ``fraction`` of the rows validate, the rest train."""

    fraction: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.fraction < 1:
            raise UserError(f"holdout fraction must be between 0 and 1, got {self.fraction}")

    @property
    def min_rows(self) -> int:
        return 2

    def split(self, y: np.ndarray, stratify: bool) -> Iterator[Split]:
        y = np.asarray(y)
        n_valid = int(np.ceil(self.fraction * len(y)))
        counts = _class_counts(y) if stratify else None
        if counts is not None and counts.min() >= 2 and len(counts) <= min(n_valid, len(y) - n_valid):
            splitter = ms.StratifiedShuffleSplit(1, test_size=self.fraction, random_state=self.seed)
        else:
            splitter = ms.ShuffleSplit(1, test_size=self.fraction, random_state=self.seed)
        for train, valid in splitter.split(np.zeros(len(y)), y):
            yield np.sort(train), np.sort(valid)


@dataclass(frozen=True)
class KFold:
    """``k`` folds, each validating once; ``repeats`` reshuffles the whole scheme."""

    k: int = 5
    repeats: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if int(self.k) != self.k or self.k < 2:
            raise UserError(f"k-fold needs a whole number k of at least 2 folds, got {self.k}")
        if int(self.repeats) != self.repeats or self.repeats < 1:
            raise UserError(f"k-fold repeats must be a whole number of at least 1, got {self.repeats}")

    @property
    def min_rows(self) -> int:
        return self.k

    def split(self, y: np.ndarray, stratify: bool) -> Iterator[Split]:
        y = np.asarray(y)
        counts = _class_counts(y) if stratify else None
        cls = ms.RepeatedStratifiedKFold if counts is not None and counts.min() >= self.k else ms.RepeatedKFold
        splitter = cls(n_splits=self.k, n_repeats=self.repeats, random_state=self.seed)
        yield from splitter.split(np.zeros(len(y)), y)


@dataclass(frozen=True)
class TrainOnOneFold(KFold):
    """k-fold with the roles swapped: each fold trains once and the other ``k - 1`` validate.

    For asking what helps a model that will see few labelled rows (an augmentation policy,
    say): each fit sees as few rows as the model will, while each score averages over many
    validation rows, which cuts its noise. ``repeats`` reshuffles the whole scheme.
    """

    def split(self, y: np.ndarray, stratify: bool) -> Iterator[Split]:
        for train, valid in super().split(y, stratify):
            yield valid, train


def subsample(rows: np.ndarray, y: np.ndarray, fraction: float, seed: int | list[int],
              stratify: bool) -> np.ndarray:
    """A sorted ``fraction`` of ``rows``; with ``stratify`` every class keeps its share
    (and at least one row), so a low budget still sees every class."""
    if not 0 < fraction <= 1:
        raise ValueError(f"a row budget must be a fraction in (0, 1], got {fraction}")
    rng = np.random.default_rng(seed)
    groups = [rows[y[rows] == c] for c in np.unique(y[rows])] if stratify else [rows]
    keep = [rng.permutation(g)[: max(1, round(fraction * len(g)))] for g in groups]
    return np.sort(np.concatenate(keep))


def _class_counts(y: np.ndarray) -> np.ndarray:
    return np.unique(y, return_counts=True)[1]
