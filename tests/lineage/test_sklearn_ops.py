"""The traced CASH operations: estimators rebuilt from literals, splits, predictions,
data found by fingerprint, and recompute of serialised traces."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.svm import SVC

from cairn.data import load_dataset, split_train_test
from cairn.errors import UserError
from cairn.evaluate import CashObjective, Holdout, KFold, get_metric
from cairn.learners import build_pipeline, cash_space, learner_names
from cairn.lineage import Item, canonical, dataset, recompute, serialize
from cairn.lineage.sklearn_ops import (
    Predictions,
    Rows,
    SplitSpec,
    estimator_from_literal,
    find_dataset,
    fit_estimator,
    pipeline_item,
)
from cairn.registry.datasets import register_dataset
from cairn.track import Store


@pytest.fixture(scope="module")
def wine():
    return load_dataset("wine")


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_every_catalog_step_is_rebuilt_exactly_from_its_literal(task):
    data = load_dataset("wine" if task == "classification" else "diabetes")
    for learner in learner_names(task):
        space = cash_space(task, [learner])
        for i in range(3):
            pipeline = build_pipeline(space.sample(i), task, 7, data.categorical_columns, data.numeric_columns)
            for name, step in pipeline.steps:
                if step == "passthrough":
                    continue
                rebuilt = estimator_from_literal(canonical(step))
                assert type(rebuilt) is type(step) and canonical(rebuilt) == canonical(step), (learner, name)


def test_defaults_that_text_cannot_tell_apart_come_back_as_the_objects():
    columns = build_pipeline({"learner": "knn"}, "classification", 0, [], ["a"]).named_steps["columns"]
    rebuilt = estimator_from_literal(canonical(columns).replace('"strategy":"median"', '"strategy":"mean"'))
    simple = rebuilt.transformers[0][1].named_steps["impute"]
    assert np.isnan(simple.missing_values) and simple.strategy == "mean"


@pytest.mark.parametrize("literal", ['{"class":"os.system","params":{"command":"true"}}',
                                     '{"class":"cairn.no_such_module.Thing","params":{}}', '"just text"'])
def test_literals_that_are_not_estimators_are_refused(literal):
    with pytest.raises(UserError):
        estimator_from_literal(literal)


def test_the_split_operation_reproduces_the_train_test_split_and_subsamples(wine):
    source = dataset(wine.fingerprint, wine.name)
    train, _ = split_train_test(wine, test_size=0.3, seed=4)
    item = SplitSpec(Holdout(0.3, 4), True, 0, "train").item(source)
    rows = recompute(item, {wine.fingerprint: wine})
    assert rows.X.equals(train.X) and np.array_equal(rows.y, train.y.to_numpy())
    half = SplitSpec(Holdout(0.3, 4), True, 0, "train", 0.5, seed=1).item(source)
    other_seed = SplitSpec(Holdout(0.3, 4), True, 0, "train", 0.5, seed=2).item(source)
    assert half.seed == 1 and item.seed is None and half != other_seed
    subsampled = recompute(half, {wine.fingerprint: wine})
    assert len(subsampled.y) == pytest.approx(len(rows.y) / 2, abs=3) and set(subsampled.X.index) < set(rows.X.index)
    assert SplitSpec.of(half) == SplitSpec(Holdout(0.3, 4), True, 0, "train", 0.5, seed=1)


def test_a_serialised_trial_trace_recomputes_to_its_metric():
    diabetes = load_dataset("diabetes")
    objective = CashObjective(diabetes, resampling=KFold(3, seed=2), metric="rmse", seed=2)
    for learner in ("ridge", "knn", "lm_ridge"):
        config = {**cash_space("regression", [learner]).default(), "features": "pca"}
        result = objective(config, budget=0.6)
        text = serialize(result.lineage)
        assert recompute(text, {diabetes.fingerprint: diabetes}) == result.metrics["rmse"], learner


class _RecordsLineage(RegressorMixin, BaseEstimator):
    def fit(self, X, y, lineage=None):
        self.lineage_ = lineage
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


def test_learners_that_take_lineage_get_the_item_of_their_input():
    rows, item = Rows(np.zeros((4, 2)), np.arange(4.0)), Item("transform", [dataset("f" * 32, "x")])
    assert fit_estimator(_RecordsLineage(), rows, item).lineage_ is item
    assert fit_estimator(SVC(), Rows(np.eye(4), np.array([0, 1, 0, 1])), item).support_ is not None


def test_predictions_stand_in_for_the_model_and_missing_probabilities_name_it(wine):
    model = SVC(random_state=0).fit(wine.X, wine.y)
    accuracy = get_metric("accuracy", "classification")
    assert accuracy.score(Predictions(model, wine.X, accuracy), None, wine.y) == accuracy.score(model, wine.X, wine.y)
    with pytest.raises(ValueError, match="needs predicted probabilities, which SVC does not give"):
        Predictions(model, wine.X, get_metric("log_loss", "classification"))


def test_a_pipeline_item_keeps_passthrough_steps(wine):
    objective = CashObjective(wine, resampling=KFold(3))
    model, item = objective.refit_traced({"learner": "knn", "features": "none"})
    assert item == pipeline_item(["columns", "features", "model"], [item.inputs[0], None, item.inputs[1]])
    rebuilt = recompute(item, {wine.fingerprint: wine})
    assert rebuilt.named_steps["features"] == "passthrough"
    assert np.array_equal(rebuilt.predict(wine.X), model.predict(wine.X))


def test_data_is_found_by_fingerprint_bundled_or_registered(tmp_path, monkeypatch, wine):
    monkeypatch.setenv("CAIRN_STORE", str(tmp_path / "default.db"))  # a default store that does not exist
    assert find_dataset(dataset(wine.fingerprint, "wine")).fingerprint == wine.fingerprint
    assert find_dataset(dataset("0" * 32, "wine")) is None  # the name alone is not enough
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    frame = wine.X.assign(target=wine.y).iloc[:100]
    path = tmp_path / "vintage.csv"
    frame.to_csv(path, index=False)
    data = load_dataset(path)
    register_dataset("vintage", data, store=store)
    leaf = dataset(data.fingerprint, "vintage")
    assert find_dataset(leaf) is None  # not bundled, and there is no default store to look in
    assert not (tmp_path / "default.db").exists()
    assert find_dataset(leaf, store).fingerprint == data.fingerprint
    assert find_dataset(leaf, None, files=[path]).fingerprint == data.fingerprint
    with pytest.raises(UserError, match="no data with fingerprint"):
        recompute(SplitSpec(Holdout(), True, 0, "train").item(leaf))
