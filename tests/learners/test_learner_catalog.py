"""Every catalog learner builds and fits, for sampled configs, both tasks, several seeds."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from cairn.data import load_dataset
from cairn.learners import CATALOG, build_pipeline, cash_space, get_learner, learner_names

CLASSIFIERS = ["logreg", "linear_svm", "rbf_svm", "knn", "gaussian_nb", "tree", "random_forest",
               "extra_trees", "hist_gb", "mlp"]
# Capped iterations are deliberate; the objective silences these warnings the same way.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

REGRESSORS = ["ridge", "lasso", "elastic_net", "svr", "knn", "tree", "random_forest", "extra_trees",
              "hist_gb", "mlp", "lm_ridge", "lm_lasso", "lm_elastic_net", "steplm"]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """As in the objective: OpenMP threads on a busy small machine only add contention."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def data():
    iris = load_dataset("iris")
    diabetes = load_dataset("diabetes")
    rows = np.random.default_rng(0).permutation(len(diabetes.y))[:150]
    return {"classification": (iris.X, iris.y), "regression": (diabetes.X.iloc[rows], diabetes.y.iloc[rows])}


def test_catalog_names():
    assert learner_names("classification") == CLASSIFIERS
    assert learner_names("regression") == REGRESSORS


@pytest.mark.parametrize("task,name", [("classification", n) for n in CLASSIFIERS]
                         + [("regression", n) for n in REGRESSORS])
def test_learner_fits_sampled_configs(data, task, name):
    X, y = data[task]
    space = cash_space(task, [name])
    for seed in (0, 1, 2):
        config = space.sample(seed)
        model = build_pipeline(config, task, seed=seed).fit(X, y)
        pred = model.predict(X)
        assert pred.shape == (len(y),)
        if task == "classification":
            assert set(pred) <= set(y)
        else:
            assert np.isfinite(pred).all()


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_same_seed_gives_same_model(data, task):
    X, y = data[task]
    for name in ("random_forest", "mlp"):
        config = cash_space(task, [name]).sample(5)
        a = build_pipeline(config, task, seed=7).fit(X, y).predict(X)
        b = build_pipeline(config, task, seed=7).fit(X, y).predict(X)
        assert np.array_equal(a, b)


def test_random_state_flows_from_seed():
    est = get_learner("extra_trees", "classification").build({}, seed=42)
    assert est.get_params()["random_state"] == 42


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_iteration_fidelities(task):
    declared = {n: e.fidelity for n, e in CATALOG[task].items() if e.fidelity is not None}
    assert set(declared) == {"random_forest", "extra_trees", "hist_gb", "mlp"}
    for name, fidelity in declared.items():
        assert fidelity.low < fidelity.high <= 200
        est = get_learner(name, task).build({}, seed=0, iterations=7)
        assert est.get_params()[fidelity.param] == 7
    # Learners without a fidelity ignore the iteration count.
    assert get_learner("tree", task).build({}, seed=0, iterations=7).get_params()["max_depth"] == 10


def test_defaults_fill_missing_params_and_ints_are_coerced():
    est = get_learner("knn", "classification").build({"n_neighbors": 3.0}, seed=0)
    assert est.get_params()["n_neighbors"] == 3 and isinstance(est.n_neighbors, int)
    assert est.get_params()["weights"] == "uniform"
