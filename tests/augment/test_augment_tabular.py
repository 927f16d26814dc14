"""Gaussian noise, mixup and SMOTE on tables."""

import numpy as np
import pytest

from cairn.augment import gaussian_noise, mixup, smote
from cairn.errors import UserError

RNG = np.random.default_rng(2)
X = RNG.normal(size=(400, 3)) * [1.0, 10.0, 100.0]
Y = np.array(["a"] * 300 + ["b"] * 70 + ["c"] * 30)


def test_gaussian_noise_scales_with_each_column_and_follows_the_seed():
    noisy = gaussian_noise(X, std=0.1, seed=0)
    np.testing.assert_allclose((noisy - X).std(axis=0), 0.1 * X.std(axis=0), rtol=0.15)
    np.testing.assert_array_equal(noisy, gaussian_noise(X, std=0.1, seed=0))
    np.testing.assert_allclose((gaussian_noise(X, 2.0, seed=1, relative=False) - X).std(axis=0), 2.0, rtol=0.15)


def test_mixup_makes_convex_mixtures_of_pairs_with_matching_soft_labels():
    mixed, soft, classes = mixup(X, Y, alpha=0.4, seed=0)
    assert list(classes) == ["a", "b", "c"] and soft.shape == (400, 3)
    np.testing.assert_allclose(soft.sum(axis=1), 1)
    # Each mixed row is lam * x_i + (1 - lam) * x_j for some row j, with the labels mixed alike.
    onehot = (Y[:, None] == classes).astype(float)
    d = X[:, None, :] - X[None, :, :]  # x_i - x_j
    lam = np.einsum("ijk,ijk->ij", mixed[:, None, :] - X[None, :, :], d) / np.maximum(np.einsum("ijk,ijk->ij", d, d), 1e-12)
    residual = np.linalg.norm(mixed[:, None, :] - X[None, :, :] - lam[..., None] * d, axis=-1)
    residual[np.arange(400), np.arange(400)] = np.inf
    partner = residual.argmin(axis=1)
    assert residual[np.arange(400), partner].max() < 1e-8
    weight = lam[np.arange(400), partner][:, None]
    np.testing.assert_allclose(soft, weight * onehot + (1 - weight) * onehot[partner], atol=1e-8)
    assert ((0 <= weight) & (weight <= 1)).all() and weight.std() > 0.1


def test_smote_balances_classes_with_points_between_same_class_neighbours():
    X_res, y_res = smote(X, Y, k=5, seed=0)
    assert dict(zip(*np.unique(y_res, return_counts=True), strict=True)) == {"a": 300, "b": 300, "c": 300}
    np.testing.assert_array_equal(X_res[:400], X)
    for label in ("b", "c"):
        own = X[Y == label]
        for point in X_res[400:][y_res[400:] == label][:40]:
            # some pair of rows of the class has the point on the segment between them
            d = own[:, None, :] - own[None, :, :]
            t = np.einsum("ijk,ijk->ij", point - own[None, :, :], d) / np.maximum(np.einsum("ijk,ijk->ij", d, d), 1e-12)
            closest = own[None, :, :] + np.clip(t, 0, 1)[..., None] * d
            assert np.linalg.norm(closest - point, axis=-1).min() < 1e-8


def test_bad_tables_are_user_errors():
    with pytest.raises(UserError, match="2-D numeric"):
        gaussian_noise(np.zeros(5))
    with pytest.raises(UserError, match="one per row"):
        mixup(X, Y[:10])
    with pytest.raises(UserError, match="at least 2 rows"):
        smote(X[:5], np.array(["a", "a", "a", "a", "b"]))
    with pytest.raises(UserError, match="alpha must be a positive number"):
        mixup(X, Y, alpha=0)
