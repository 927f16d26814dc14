"""Snuba: heuristics generated from a few labels label the rest well, reproducibly."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from cairn.errors import UserError
from cairn.weak import DawidSkene, MajorityVote, Snuba


@pytest.fixture(scope="module")
def split():
    data = load_breast_cancer(as_frame=True)
    X, y = data.data, data.target.to_numpy()
    order = np.random.default_rng(0).permutation(len(y))
    labelled, unlabelled = order[:60], order[60:]
    return X.iloc[labelled], y[labelled], X.iloc[unlabelled], y[unlabelled]


@pytest.fixture(scope="module")
def fitted(split):
    X_lab, y_lab, X_unl, _ = split
    return Snuba(seed=0).fit(X_lab, y_lab, X_unl)


def test_generated_heuristics_label_the_unlabelled_rows_well(split, fitted):
    _, _, X_unl, y_unl = split
    L = fitted.label_matrix(X_unl)
    assert 3 <= L.shape[1] == len(fitted.lfs_) <= fitted.max_heuristics
    covered = (L != -1).any(axis=1)
    assert covered.mean() > 0.9
    accuracy = np.mean(fitted.label_model_.predict(L)[covered] == y_unl[covered])
    assert accuracy > 0.85
    assert all(lf.name.startswith("snuba_") and lf.vectorized for lf in fitted.lfs_)
    assert max(fitted.history_[:len(fitted.lfs_)]) == max(fitted.history_)  # kept up to the best round


def test_generation_is_seeded_and_heuristics_pickle(split, fitted):
    X_lab, y_lab, X_unl, _ = split
    again = Snuba(seed=0).fit(X_lab, y_lab, X_unl)
    assert [lf.name for lf in again.lfs_] == [lf.name for lf in fitted.lfs_]
    np.testing.assert_array_equal(again.label_matrix(X_unl), fitted.label_matrix(X_unl))
    restored = pickle.loads(pickle.dumps(fitted.lfs_))
    np.testing.assert_array_equal(restored[0](X_unl), fitted.lfs_[0](X_unl))


def test_pairs_of_features_and_other_label_models(split):
    X_lab, y_lab, X_unl, y_unl = split
    columns = list(X_lab.columns[:6])
    for model in (DawidSkene(), MajorityVote()):
        snuba = Snuba(model, subset_size=2, max_heuristics=4, seed=1).fit(X_lab[columns], y_lab, X_unl[columns])
        assert type(snuba.label_model_) is type(model) and snuba.label_model_ is not model
        assert all(len(lf.fn.columns) == 2 for lf in snuba.lfs_)


def test_unusable_input_is_a_user_error(split):
    X_lab, y_lab, X_unl, _ = split
    with pytest.raises(UserError, match="two classes"):
        Snuba().fit(X_lab, np.zeros(len(y_lab), dtype=int), X_unl)
    with pytest.raises(UserError, match="same columns"):
        Snuba().fit(X_lab, y_lab, X_unl.iloc[:, :3])
    with pytest.raises(UserError, match="call fit first"):
        Snuba().label_matrix(X_unl)
