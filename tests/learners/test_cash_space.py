"""The joint CASH space and the checker for user-written spaces."""

from __future__ import annotations

import pytest

from cairn.errors import SpaceError, UserError
from cairn.learners import PREPROCESSING, build_pipeline, cash_space, check_space, learner_names
from cairn.space import Categorical, Constant, Float, Int, Space


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_joint_space_shape(task):
    space = cash_space(task)
    assert space["learner"].choices == learner_names(task)
    assert space.default()["learner"] == "random_forest"
    for name in PREPROCESSING.names:
        assert name in space
    for seed in range(20):  # learner parameters appear only under their learner
        config = space.sample(seed)
        assert all(k.split(".")[0] in (config["learner"], "pca", "select_k_best")
                   for k in config if "." in k)
        build_pipeline(config, task)


def test_log_scales_for_scale_parameters():
    space = cash_space("classification")
    for name in ("logreg.C", "rbf_svm.C", "rbf_svm.gamma", "hist_gb.learning_rate", "mlp.alpha"):
        assert space[name].log, name
    assert cash_space("regression")["lasso.alpha"].log


def test_subset_and_unknown_learners():
    space = cash_space("regression", ["ridge", "svr"])
    assert space["learner"].choices == ["ridge", "svr"] and space.default()["learner"] == "ridge"
    assert cash_space("regression", "ridge")["learner"].choices == ["ridge"]
    with pytest.raises(UserError, match="unknown regression learner 'logreg'; choose from ridge, lasso"):
        cash_space("regression", ["ridge", "logreg"])
    with pytest.raises(UserError, match="at least one learner"):
        cash_space("regression", [])


def test_check_space_accepts_catalog_and_narrowed_spaces(tmp_path):
    check_space(cash_space("classification"), "classification")
    path = tmp_path / "space.yaml"
    path.write_text(
        "params:\n"
        "  scale: {type: categorical, choices: [standard, none]}\n"
        "  learner: {type: categorical, choices: [logreg, knn]}\n"
        "  logreg.C: {type: float, low: 0.01, high: 100000, log: true, when: {learner: [logreg]}}\n"
        "  knn.n_neighbors: {type: int, low: 1, high: 9, when: {learner: [knn]}}\n"
        "  knn.weights: {type: constant, value: distance, when: {learner: [knn]}}\n"
    )
    space = Space.from_file(path)
    check_space(space, "classification")
    for seed in range(5):
        build_pipeline(space.sample(seed), "classification")


@pytest.mark.parametrize("params,match", [
    ([Categorical("learner", ["knn"]), Float("knn.leaf", 1, 2)],
     "parameter 'knn.leaf': learner 'knn' has no parameter 'leaf' \\(it has: n_neighbors, weights\\)"),
    ([Categorical("learner", ["knn"]), Float("ridge.alpha", 1, 2)], "learner 'ridge' is not available for classification"),
    ([Categorical("learner", ["knn"]), Float("dropout", 0, 1)], "'dropout' is not known to the classification pipeline"),
    ([Categorical("learner", ["knn"]), Float("scale", 0, 1)], "'scale' must be categorical, not float"),
    ([Categorical("learner", ["knn"]), Float("knn.n_neighbors", 1, 5)], "'knn.n_neighbors' must be int, not float"),
    ([Categorical("learner", ["knn"]), Categorical("scale", ["standard", "l2"])], "'scale' has value 'l2'.*valid: standard"),
    ([Categorical("learner", ["knn", "boost"])], "'learner' has value 'boost'"),
    ([Constant("learner", "knn"), Constant("knn.n_neighbors", "five")], "'knn.n_neighbors' has value 'five'"),
    ([Categorical("scale", ["none"])], "needs a 'learner' parameter"),
    ([Categorical("learner", ["knn"]), Int("tree.max_depth", 1, 3)], "'tree.max_depth' belongs to learner 'tree', which"),
])
def test_check_space_names_the_bad_parameter(params, match):
    with pytest.raises(SpaceError, match=match):
        check_space(Space(params), "classification")
