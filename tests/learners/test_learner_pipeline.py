"""Pipelines: mixed-type frames with gaps, every preprocessing choice, bad configs."""

from __future__ import annotations

import numpy as np
import pytest
from mixedframe import CATEGORICAL, NUMERIC, mixed_frame

from cairn.errors import ConfigError, UserError
from cairn.learners import build_pipeline
from cairn.learners.preprocess import KeepFraction


@pytest.fixture(scope="module")
def frame():
    return mixed_frame(80)


@pytest.mark.parametrize("scale", ["standard", "minmax", "robust", "none"])
@pytest.mark.parametrize("features", ["none", "pca", "select_k_best"])
def test_mixed_frame_with_missing_values(frame, scale, features):
    X, y = frame
    config = {"learner": "logreg", "scale": scale, "impute": "mean", "features": features}
    if features != "none":
        config[f"{features}.fraction"] = 0.5
    model = build_pipeline(config, "classification", 0, CATEGORICAL, NUMERIC).fit(X, y)
    unseen = X.head(3).assign(colour=["purple", None, "red"])
    assert len(model.predict(unseen)) == 3
    assert model.score(X, y) > 0.6


def test_regression_learns_a_standardised_target(frame):
    X, _ = frame
    y = 1000.0 + 500.0 * X["count"]
    model = build_pipeline({"learner": "ridge", "ridge.alpha": 1e-3}, "regression", 0,
                           CATEGORICAL, NUMERIC).fit(X, y)
    assert abs(model.predict(X).mean() - y.mean()) < 1.0
    assert model.named_steps["model"].regressor_.__class__.__name__ == "Ridge"


def test_plain_arrays_need_no_column_lists():
    X = np.random.default_rng(1).normal(size=(40, 6))
    y = (X[:, 0] > 0).astype(int)
    model = build_pipeline({"learner": "tree"}, "classification").fit(X, y)
    assert model.score(X, y) > 0.9


def test_feature_fractions_are_bounded_by_the_data():
    X = np.random.default_rng(2).normal(size=(5, 20))
    y = np.array([0, 1, 0, 1, 0])
    assert KeepFraction("pca", 1.0).fit(X).transform(X).shape == (5, 5)  # no more than the rows
    assert KeepFraction("select_k_best", 0.25).fit(X, y).transform(X).shape == (5, 5)
    assert KeepFraction("select_k_best", 0.01).fit(X, y).transform(X).shape == (5, 1)
    with pytest.raises(ValueError):
        KeepFraction("pca", 0.0).fit(X)


def test_bad_configs():
    with pytest.raises(ConfigError, match="needs a 'learner'"):
        build_pipeline({"scale": "none"}, "classification")
    with pytest.raises(UserError, match="unknown classification learner 'ridge'.*logreg"):
        build_pipeline({"learner": "ridge"}, "classification")
    with pytest.raises(ConfigError, match="learner 'knn' has no parameter 'depth'"):
        build_pipeline({"learner": "knn", "knn.depth": 3}, "classification")
    with pytest.raises(ConfigError, match="'colour' is not a parameter"):
        build_pipeline({"learner": "knn", "colour": 3}, "classification")
    with pytest.raises(ConfigError, match="scale"):
        build_pipeline({"learner": "knn", "scale": "l2"}, "classification")
    with pytest.raises(UserError, match="task must be"):
        build_pipeline({"learner": "knn"}, "ranking")
    # Parameters of other (inactive) learners are ignored.
    build_pipeline({"learner": "knn", "tree.max_depth": 3}, "classification")
