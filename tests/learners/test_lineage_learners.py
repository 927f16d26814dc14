"""Learners on traced linear algebra: they agree with scikit-learn (and R's step), and
a search over them reuses X'X."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.linear_model import ElasticNet, Ridge
from sklearn.model_selection import GridSearchCV

from cairn.errors import UserError
from cairn.learners import build_pipeline, cash_space, learner_names
from cairn.learners.lineage_linear import StepLM, TracedElasticNet, TracedPCA, TracedRidge
from cairn.lineage import matrix
from cairn.lineage.cache import ReuseCache
from cairn.lineage.item import leaf
from cairn.lineage.linalg import sharing
from cairn.lineage.matrix import rbind, take_rows, traced


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts from an empty process-wide cache."""
    with sharing(ReuseCache()) as la:
        yield la


@pytest.fixture
def grams(monkeypatch):
    """The input shapes of every Gram matrix computed directly (tsmm)."""
    shapes = []
    tsmm = matrix.KERNELS["tsmm"]

    def counted(params, a):
        shapes.append(a.shape)
        return tsmm(params, a)

    monkeypatch.setitem(matrix.KERNELS, "tsmm", counted)
    return shapes


def regression(n=300, p=5, seed=0):
    """Columns with offsets and unequal scales, so the intercept matters."""
    rng = np.random.default_rng(seed)
    X = rng.normal(rng.normal(0, 3, p), rng.uniform(0.5, 2, p), size=(n, p))
    return X, X @ rng.normal(size=p) + 4 + rng.normal(size=n)


@pytest.mark.parametrize("reuse", [True, False])
@pytest.mark.parametrize("alpha", [0.0, 1e-3, 1.0, 1e3])
def test_ridge_agrees_with_scikit_learn(alpha, reuse):
    X, y = regression()
    ours = TracedRidge(alpha, reuse=reuse).fit(X, y)
    theirs = Ridge(alpha, solver="cholesky").fit(X, y)
    assert np.allclose(ours.coef_, theirs.coef_, rtol=1e-8, atol=0)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-8)
    assert np.allclose(ours.predict(X), theirs.predict(X), rtol=1e-8)


def test_a_grid_over_alpha_and_folds_computes_each_folds_gram_matrix_once(grams):
    X, y = regression(n=250)
    folds = np.array_split(np.random.default_rng(1).permutation(250), 5)
    splits = [(np.setdiff1d(np.arange(250), valid), valid) for valid in folds]
    alphas = [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
    X_t, y_t = traced(X), traced(y)
    parts = [(take_rows(X_t, valid), take_rows(y_t, valid)) for valid in folds]
    scores = np.empty((len(alphas), 5))
    for a, alpha in enumerate(alphas):
        for i, (X_valid, y_valid) in enumerate(parts):
            train = [part for j, part in enumerate(parts) if j != i]
            model = TracedRidge(alpha).fit(rbind(*(x for x, _ in train)), rbind(*(y for _, y in train)))
            scores[a, i] = -model.squared_error(X_valid, y_valid) / len(folds[i])
    assert grams.count((50, 5)) == 5 and not any(n > 50 for n, _ in grams)
    search = GridSearchCV(Ridge(solver="cholesky"), {"alpha": alphas}, cv=splits,
                          scoring="neg_mean_squared_error").fit(X, y)
    theirs = np.column_stack([search.cv_results_[f"split{i}_test_score"] for i in range(5)])
    assert np.allclose(scores, theirs, rtol=1e-8, atol=0)


def test_without_lineage_the_data_is_fingerprinted_and_reused(grams):
    X, y = regression()
    for alpha in (0.1, 1.0, 10.0):
        TracedRidge(alpha).fit(X, y)
    assert grams.count(X.shape) == 1


def test_a_given_lineage_item_spares_the_fingerprint(monkeypatch, grams):
    X, y = regression()
    hashed = []
    fingerprint = matrix.fingerprint
    monkeypatch.setattr(matrix, "fingerprint", lambda a: hashed.append(a.shape) or fingerprint(a))
    item = leaf("transformed training fold", {"fold": 0})
    for alpha in (0.1, 1.0):
        TracedRidge(alpha).fit(X, y, lineage=item)
    assert X.shape not in hashed and grams.count(X.shape) == 1


def test_squared_error_is_the_sum_of_squared_residuals():
    X, y = regression()
    model = TracedRidge(2.0).fit(X[:200], y[:200])
    residuals = y[200:] - model.predict(X[200:])
    assert model.squared_error(X[200:], y[200:]) == pytest.approx(residuals @ residuals, rel=1e-9)


@pytest.mark.parametrize("reuse", [True, False])
@pytest.mark.parametrize(("alpha", "l1_ratio"), [(1e-3, 0.5), (0.05, 1.0), (0.5, 0.2), (1e-4, 0.05)])
def test_elastic_net_agrees_with_scikit_learn(alpha, l1_ratio, reuse):
    X, y = regression(n=400, p=8)
    ours = TracedElasticNet(alpha, l1_ratio, tol=1e-10, reuse=reuse).fit(X, y)
    theirs = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-10, max_iter=2000).fit(X, y)
    assert np.allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-8)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-6)
    assert np.array_equal(ours.coef_ == 0, theirs.coef_ == 0)  # the same coefficients are zeroed


def test_elastic_net_strengths_share_the_gram_matrix_of_ridge(grams):
    X, y = regression()
    TracedRidge(1.0).fit(X, y)
    for alpha, l1_ratio in [(0.01, 1.0), (0.1, 0.5), (0.3, 0.9)]:
        TracedElasticNet(alpha, l1_ratio).fit(X, y)
    assert grams.count(X.shape) == 1


def forward_selection_by_aic(X, y):
    """R's step(lm(y ~ 1), scope = ~ all columns, direction = "forward"), with lstsq."""
    n, p = X.shape

    def fit(columns):
        design = np.column_stack([np.ones(n), X[:, columns]])
        coef = np.linalg.lstsq(design, y, rcond=None)[0]
        rss = np.sum((y - design @ coef) ** 2)
        return n * np.log(rss / n) + 2 * design.shape[1], coef

    selected, (aic, coef) = [], fit([])
    while len(selected) < p:
        best_aic, best = min((fit([*selected, j])[0], j) for j in range(p) if j not in selected)
        if best_aic >= aic:
            break
        selected.append(best)
        aic, coef = fit(selected)
    return selected, aic, coef


@pytest.mark.parametrize("reuse", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_steplm_selects_as_r_step_does(seed, reuse):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, 12))
    y = X[:, [3, 7, 1, 9]] @ [3.0, -2.0, 1.0, 0.3] + rng.normal(size=200)
    selected, aic, coef = forward_selection_by_aic(X, y)
    model = StepLM(reuse=reuse).fit(X, y)
    assert model.selected_ == selected and model.selected_[:3] == [3, 7, 1]
    assert model.aic_ == pytest.approx(aic, rel=1e-10)
    assert model.intercept_ == pytest.approx(coef[0], rel=1e-8)
    assert np.allclose(model.coef_[selected], coef[1:], rtol=1e-8)
    assert np.count_nonzero(model.coef_) == len(selected)


def test_steplm_computes_gram_matrices_of_single_columns_only(grams):
    X, y = regression(n=150, p=10)
    StepLM().fit(X, y)
    assert grams and all(columns == 1 for _, columns in grams)
    grams.clear()
    StepLM(reuse=False).fit(X, y)
    assert max(columns for _, columns in grams) > 3


def test_steplm_never_takes_an_aliased_column():
    """On a near-perfect fit, roundoff can pass for progress: as in R's lm, a column that
    is (within 1e-7) a combination of the selected ones is never added."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(50, 3)) + 10
    X = np.column_stack([X, X[:, 0] - X[:, 1], np.full(50, 5.0)])
    selected = set(StepLM().fit(X, X[:, 0] + X[:, 1] + 1e-12 * rng.normal(size=50)).selected_)
    assert {0, 1} <= selected and 3 not in selected and 4 not in selected


def test_pca_agrees_with_scikit_learn_up_to_sign():
    X, _ = regression(n=200, p=6)
    ours, theirs = TracedPCA(4).fit(X), PCA(4, svd_solver="full").fit(X)
    signs = np.sign(np.sum(ours.components_ * theirs.components_, axis=1))
    assert np.allclose(ours.components_ * signs[:, None], theirs.components_, atol=1e-9)
    assert np.allclose(ours.explained_variance_, theirs.explained_variance_, rtol=1e-9)
    assert np.allclose(ours.explained_variance_ratio_, theirs.explained_variance_ratio_, rtol=1e-9)
    assert np.allclose(ours.transform(X) * signs, theirs.transform(X), atol=1e-8)


def test_pca_after_ridge_on_the_same_data_reads_no_rows(grams, fresh_cache):
    X, y = regression()
    TracedRidge(1.0).fit(X, y)
    hits, count = fresh_cache.cache.stats.hits, len(grams)
    TracedPCA(2).fit(X)
    assert len(grams) == count and fresh_cache.cache.stats.hits == hits + 2  # X'X and the column sums


@pytest.mark.parametrize("estimator", [TracedRidge(0.5), TracedElasticNet(0.1), StepLM(), TracedPCA(2)])
def test_estimator_contract(estimator):
    X, y = regression()
    copy = clone(estimator).set_params(reuse=False)
    assert copy.get_params()["reuse"] is False and estimator.get_params()["reuse"] is True
    fitted = estimator.fit(X, y)
    again = pickle.loads(pickle.dumps(fitted))
    method = "transform" if isinstance(estimator, TracedPCA) else "predict"
    assert np.array_equal(getattr(again, method)(X), getattr(fitted, method)(X))
    with pytest.raises(ValueError):
        getattr(fitted, method)(X[:, :3])


@pytest.mark.parametrize("bad", [
    lambda X, y: TracedRidge(-1.0).fit(X, y),
    lambda X, y: TracedElasticNet(-0.1).fit(X, y),
    lambda X, y: TracedElasticNet(0.1, l1_ratio=1.5).fit(X, y),
    lambda X, y: TracedPCA(0).fit(X),
    lambda X, y: TracedPCA(7).fit(X),
    lambda X, y: TracedRidge().fit(traced(X), traced(y[:10])),
])
def test_bad_input_is_a_user_error(bad):
    X, y = regression()
    with pytest.raises(UserError):
        bad(X, y)


@pytest.mark.parametrize("name", ["lm_ridge", "lm_lasso", "lm_elastic_net", "steplm"])
def test_catalog_learners_fit_in_the_cash_pipeline(name):
    assert name in learner_names("regression")
    X, y = regression()
    for seed in (0, 1):
        config = cash_space("regression", [name]).sample(seed)
        prediction = build_pipeline(config, "regression", seed=seed).fit(X, y).predict(X)
        assert prediction.shape == (len(y),) and np.all(np.isfinite(prediction))
