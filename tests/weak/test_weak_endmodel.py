"""End to end: LFs -> label model -> end model, recorded as a run with its artifacts."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from cairn.errors import UserError
from cairn.track import Store
from cairn.weak import MatrixCompletion, apply_lfs, threshold_lf, train_end_model


@pytest.fixture(scope="module")
def task():
    data = load_breast_cancer(as_frame=True)
    X, y = data.data, data.target.to_numpy()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    train, test = order[:400], order[400:]
    # larger, more concave cells: malignant (class 0); smaller ones: benign (class 1)
    lfs = [threshold_lf(f, X[f].quantile(0.7), 0) for f in ("mean radius", "worst concave points", "worst area")]
    lfs += [threshold_lf(f, X[f].quantile(0.4), 1, above=False) for f in ("mean radius", "mean concavity")]
    X_train = X.iloc[train].reset_index(drop=True)
    return X_train, y[train], X.iloc[test], y[test], lfs, apply_lfs(lfs, X_train)


@pytest.fixture
def store(tmp_path):
    st = Store(f"sqlite:///{tmp_path / 'cairn.db'}", artifact_root=tmp_path / "artifacts")
    yield st
    st.close()


def test_the_end_to_end_path_records_a_run_with_its_artifacts(task, store, tmp_path):
    X, y, X_test, y_test, lfs, L = task
    report = train_end_model(X, L, MatrixCompletion(), learner="logreg", lfs=lfs, gold=y, X_test=X_test,
                             y_test=y_test, store=store, experiment="ws")
    run = store.run(report.run_id)
    assert run["status"] == "complete" and run["params"]["labels"] == "soft"
    assert run["params"]["label_model"] == "MatrixCompletion" and run["params"]["n_lfs"] == 5
    assert run["metrics"]["test_accuracy"] == pytest.approx(report.test_accuracy) and report.test_accuracy > 0.85
    assert report.label_accuracy > 0.9
    paths = {a["path"] for a in store.artifacts(report.run_id)}
    assert paths == {"label_matrix.npy", "lf_analysis.csv", "label_model.joblib", "model.joblib"}
    np.testing.assert_array_equal(np.load(store.artifact_path(report.run_id, "label_matrix.npy")), L)
    analysis = pd.read_csv(store.artifact_path(report.run_id, "lf_analysis.csv"), index_col=0)
    assert list(analysis.index) == [lf.name for lf in lfs] and "emp_accuracy" in analysis
    model = joblib.load(store.artifact_path(report.run_id, "model.joblib"))
    np.testing.assert_array_equal(model.predict(X_test), report.model.predict(X_test))


def test_learners_without_sample_weights_learn_hard_labels(task, store):
    X, y, X_test, y_test, lfs, L = task
    report = train_end_model(X, L, MatrixCompletion(), learner="knn", store=store)
    assert report.labels == "hard" and store.run(report.run_id)["params"]["labels"] == "hard"
    with pytest.raises(UserError, match="no sample weights"):
        train_end_model(X, L, MatrixCompletion(), learner="knn", labels="soft", store=store)


def test_soft_and_hard_labels_train_different_models(task, store):
    X, y, X_test, y_test, lfs, L = task
    soft = train_end_model(X, L, MatrixCompletion(), labels="soft", store=store).model
    hard = train_end_model(X, L, MatrixCompletion(), labels="hard", store=store).model
    assert not np.allclose(soft.predict_proba(X_test), hard.predict_proba(X_test))


def test_bad_input_writes_no_run(task, store):
    X, y, X_test, y_test, lfs, L = task
    with pytest.raises(UserError, match="rows"):
        train_end_model(X.iloc[:10], L, MatrixCompletion(), store=store)
    with pytest.raises(UserError, match="nothing to train on"):
        train_end_model(X, np.full_like(L, -1), MatrixCompletion(cardinality=2), store=store)
    with pytest.raises(UserError, match="unknown classification learner"):
        train_end_model(X, L, MatrixCompletion(), learner="nope", store=store)
    with pytest.raises(UserError, match="gold labels must be one per row"):
        train_end_model(X, L, MatrixCompletion(), gold=y[:5], store=store)
    with pytest.raises(UserError, match="labeling functions were named"):
        train_end_model(X, L, MatrixCompletion(), lfs=lfs[:2], store=store)
    with pytest.raises(UserError, match="one label per test row"):
        train_end_model(X, L, MatrixCompletion(), X_test=X_test, y_test=y_test[:3], store=store)
    assert store.count_runs() == 0
