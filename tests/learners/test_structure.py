"""Pipeline structures: every operator on mixed frames with gaps, the structure space, bad configs."""

from __future__ import annotations

import numpy as np
import pytest
from mixedframe import CATEGORICAL, NUMERIC, mixed_frame

from cairn.errors import ConfigError, SpaceError
from cairn.learners import build_pipeline, cash_space
from cairn.learners.structure import (
    OPERATORS,
    Polynomial,
    RbfFeatures,
    join,
    split,
    structure_space,
)
from cairn.lineage.item import canonical
from cairn.lineage.sklearn_ops import estimator_from_literal


@pytest.fixture(scope="module")
def frame():
    return mixed_frame(90, scale=100.0)


@pytest.mark.parametrize("operator", sorted(OPERATORS))
def test_every_operator_builds_a_pipeline_that_fits_a_mixed_frame_with_gaps(frame, operator):
    X, y = frame
    params = {f"step1.{operator}.{p.name}": p.default for p in OPERATORS[operator].space.params}
    config = {"learner": "logreg", "logreg.C": 10.0, "impute": "median",
              "n_steps": 2, "step0": "standard_scaler", "step1": operator, **params}
    model = build_pipeline(config, "classification", 0, CATEGORICAL, NUMERIC).fit(X, y)
    assert [name for name, _ in model.steps] == ["columns", "step0", "step1", "model"]
    unseen = X.head(3).assign(colour=["purple", None, "red"])
    assert len(model.predict(unseen)) == 3
    assert model.score(X, y) > 0.6


def test_the_column_step_of_a_structure_does_not_scale(frame):
    X, y = frame
    bare = build_pipeline({"learner": "logreg", "n_steps": 0}, "classification", 0, CATEGORICAL, NUMERIC)
    encoded = bare.named_steps["columns"].fit_transform(X, y)
    assert np.nanmax(np.abs(encoded)) > 50  # "num" keeps its scale of about 100
    flat = build_pipeline({"learner": "logreg"}, "classification", 0, CATEGORICAL, NUMERIC)
    assert [name for name, _ in flat.steps] == ["columns", "features", "model"]  # CASH configs as before


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_random_structures_of_the_whole_space_fit(frame, task):
    X, y = frame
    y = y if task == "classification" else X["count"] * 2.0
    space = structure_space(cash_space(task, ["knn", "tree"]))
    rng = np.random.default_rng(3)
    for _ in range(6):
        config = space.sample(rng)
        model = build_pipeline(config, task, 0, CATEGORICAL, NUMERIC).fit(X, y)
        assert len(model.steps) == config["n_steps"] + 2
        assert np.isfinite(model.score(X, y))


def test_structure_space_keeps_the_learners_and_imputation_and_adds_steps():
    space = structure_space(cash_space("classification", ["knn", "rbf_svm"]), max_steps=2)
    assert space["learner"].choices == ["knn", "rbf_svm"]
    assert "impute" in space and not {"scale", "features", "pca.fraction"} & set(space.names)
    assert space["n_steps"].high == 2 and "step1" in space and "step2" not in space
    assert not space.is_active("step1", {"n_steps": 1}) and space.is_active("step1", {"n_steps": 2})
    assert space.is_active("step0.pca.fraction", {"n_steps": 1, "step0": "pca"})
    assert not space.is_active("step0.pca.fraction", {"n_steps": 1, "step0": "nystroem"})
    assert structure_space(space, max_steps=2) == space  # a structure space is its own structure space
    with pytest.raises(SpaceError, match="at least one step"):
        structure_space(space, max_steps=0)


def test_split_and_join_are_inverse():
    space = structure_space(cash_space("regression"))
    rng = np.random.default_rng(0)
    for _ in range(20):
        config = space.sample(rng)
        base, steps = split(config)
        assert len(steps) == config["n_steps"] and "learner" in base
        assert space.validate(join(base, steps)) == config


@pytest.mark.parametrize("config, message", [
    ({"learner": "knn", "n_steps": 1}, "step0 must name an operator"),
    ({"learner": "knn", "n_steps": 1, "step0": "fourier"}, "step0 must name an operator"),
    ({"learner": "knn", "n_steps": 1.5}, "whole number"),
    ({"learner": "knn", "n_steps": 0, "step0": "pca"}, "'step0' belongs to none of the 0 steps"),
    ({"learner": "knn", "n_steps": 1, "step0": "pca", "step0.nystroem.gamma": 1.0}, "'step0.nystroem.gamma'"),
    ({"learner": "knn", "n_steps": 1, "step0": "pca", "step0.pca.fraction": 3.0}, r"step0 \(pca\).*outside"),
    ({"learner": "knn", "n_steps": 0, "scale": "standard"}, "'scale' is not a parameter of the structured"),
])
def test_bad_structures_are_config_errors(config, message):
    with pytest.raises(ConfigError, match=message):
        build_pipeline(config, "classification")


def test_polynomial_refuses_wide_inputs_and_expands_narrow_ones():
    assert Polynomial(interaction_only=True).fit_transform(np.ones((5, 4))).shape == (5, 4 + 6)
    with pytest.raises(ValueError, match="70 columns are refused"):
        Polynomial().fit(np.ones((5, 70)))


def test_rbf_features_take_no_more_components_than_rows():
    out = RbfFeatures(gamma=0.5, n_components=200, random_state=0).fit_transform(np.random.default_rng(0).normal(size=(30, 3)))
    assert out.shape == (30, 30)


@pytest.mark.parametrize("operator", sorted(OPERATORS))
def test_operators_come_back_from_their_lineage_literal(operator):
    step = OPERATORS[operator].build({}, "classification", 7)
    again = estimator_from_literal(canonical(step))
    assert type(again) is type(step) and canonical(again) == canonical(step)
