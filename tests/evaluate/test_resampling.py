"""Resampling: deterministic, stratified, and every row validates exactly once per repeat."""

from __future__ import annotations

import numpy as np
import pytest

from cairn.errors import UserError
from cairn.evaluate import Holdout, KFold, subsample
from cairn.evaluate.resampling import TrainOnOneFold

Y = np.array([0] * 30 + [1] * 20 + [2] * 10)


def _splits(resampling, y=Y, stratify=True):
    return [(t.copy(), v.copy()) for t, v in resampling.split(y, stratify)]


def test_kfold_covers_every_row_once_and_is_stratified():
    splits = _splits(KFold(5, seed=1))
    assert len(splits) == 5
    valid = np.concatenate([v for _, v in splits])
    assert np.array_equal(np.sort(valid), np.arange(len(Y)))
    for train, v in splits:
        assert np.intersect1d(train, v).size == 0 and len(train) + len(v) == len(Y)
        assert np.bincount(Y[v]).tolist() == [6, 4, 2]


def test_repeats_reshuffle_and_each_repeat_covers_all_rows():
    splits = _splits(KFold(3, repeats=2, seed=0))
    assert len(splits) == 6
    counts = np.bincount(np.concatenate([v for _, v in splits]), minlength=len(Y))
    assert (counts == 2).all()
    assert not np.array_equal(splits[0][1], splits[3][1])


def test_same_seed_same_splits_other_seed_other_splits():
    for make in (lambda s: KFold(4, seed=s), lambda s: Holdout(0.25, seed=s)):
        a, b, c = _splits(make(7)), _splits(make(7)), _splits(make(8))
        assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b, strict=True))
        assert not all(np.array_equal(x[1], y[1]) for x, y in zip(a, c, strict=True))


def test_holdout_fraction_and_stratification():
    [(train, valid)] = _splits(Holdout(0.2, seed=0))
    assert len(valid) == 12 and len(train) == 48
    assert np.bincount(Y[valid]).tolist() == [6, 4, 2]


def test_rare_classes_fall_back_to_plain_splits():
    y = np.array([0] * 10 + [1])  # one member: cannot be stratified
    assert len(_splits(KFold(3), y)) == 3
    assert len(_splits(Holdout(0.3), y)[0][1]) == 4


def test_regression_splits_are_not_stratified():
    y = np.linspace(0, 1, 20)
    valid = np.concatenate([v for _, v in _splits(KFold(4), y, stratify=False)])
    assert np.array_equal(np.sort(valid), np.arange(20))


def test_bad_arguments():
    for bad in (lambda: KFold(1), lambda: KFold(2.5), lambda: KFold(3, repeats=0),
                lambda: Holdout(0.0), lambda: Holdout(1.0)):
        with pytest.raises(UserError):
            bad()


def test_subsample_keeps_every_class_and_is_deterministic():
    rows = np.arange(len(Y))
    part = subsample(rows, Y, 0.1, seed=3, stratify=True)
    assert len(part) == 6 and set(Y[part]) == {0, 1, 2}
    assert np.array_equal(part, subsample(rows, Y, 0.1, seed=3, stratify=True))
    assert not np.array_equal(part, subsample(rows, Y, 0.1, seed=4, stratify=True))
    assert len(subsample(rows, Y, 0.5, seed=0, stratify=False)) == 30
    with pytest.raises(ValueError):
        subsample(rows, Y, 1.5, seed=0, stratify=False)


def test_train_on_one_fold_swaps_the_roles_of_kfold():
    folds, swapped = _splits(KFold(4, repeats=2, seed=3)), _splits(TrainOnOneFold(4, repeats=2, seed=3))
    assert len(swapped) == 8
    for (train, valid), (small, large) in zip(folds, swapped, strict=True):
        assert np.array_equal(small, valid) and np.array_equal(large, train)
    assert all(len(train) == len(Y) // 4 for train, _ in swapped)
    with pytest.raises(UserError):
        TrainOnOneFold(1)
