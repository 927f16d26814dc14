"""Linear models on traced linear algebra, so that searches reuse X'X (LIMA's lm, steplm, pca).

Ridge regression (ordinary least squares at ``alpha=0``) with an intercept, the elastic
net (the lasso at ``l1_ratio=1``), forward stepwise regression by AIC, and PCA, each
written over :mod:`cairn.lineage.linalg`: a fit asks for Gram matrices, column sums and
crossproducts of traced inputs, so with reuse on, a grid over ``alpha`` and the folds
computes each fold's X'X once, and each step of stepwise regression costs one
crossproduct per candidate column.

``fit(X, y, lineage=None)`` takes the lineage item of ``X`` when the caller knows it (the
item of the transformed training fold); without one the estimator fingerprints ``X``
once itself. ``X`` and ``y`` may also be :class:`~cairn.lineage.matrix.Traced`, so a
training fold can stay an unmaterialised ``rbind`` of the other folds. Estimators with
``reuse=True`` use the process-wide engine (:func:`~cairn.lineage.linalg.shared`); they
cannot hold a cache, as ``clone`` would copy it.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.linear_model import enet_path
from sklearn.utils.validation import check_is_fitted, validate_data

from cairn.errors import UserError
from cairn.learners.base import Learner, Params
from cairn.learners.linear import SPARSE_ALPHA
from cairn.lineage.item import Item
from cairn.lineage.linalg import LinearAlgebra, shared, spd_solve
from cairn.lineage.matrix import Traced, cbind, ones, take_columns, traced
from cairn.space import Float, Space


def engine(reuse: bool) -> LinearAlgebra:
    """The shared engine with its reuse cache, or a direct one that reuses nothing."""
    return shared() if reuse else LinearAlgebra()


def residual_sum_of_squares(gram: np.ndarray, xy: np.ndarray, yy: float, coef: np.ndarray) -> float:
    """``||y - D b||^2`` from ``D'D``, ``D'y`` and ``y'y``: ``y'y - 2 b'D'y + b'D'D b``.
    Where those pieces are cached, scoring a model costs no pass over the rows."""
    b = np.asarray(coef, dtype=np.float64).ravel()
    return float(yy - 2 * b @ np.ravel(xy) + b @ gram @ b)


class _TracedRegressor(RegressorMixin, BaseEstimator):
    """Shared by the linear models: traced inputs, prediction and the squared error."""

    reuse: bool
    coef_: np.ndarray
    intercept_: float

    def _inputs(self, X: Any, y: Any, lineage: Item | None) -> tuple[Traced, Traced]:
        if isinstance(X, Traced):
            self.n_features_in_ = X.shape[1]
            X_traced = X
        elif isinstance(y, Traced):
            X_traced = traced(validate_data(self, X, dtype=np.float64), lineage)
        else:
            X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
            X_traced = traced(X, lineage)
        y_traced = y if isinstance(y, Traced) else traced(y, name="y")
        if y_traced.shape != (X_traced.shape[0], 1):
            raise UserError(f"y must be one value per row of X ({X_traced.shape[0]}), got shape {y_traced.shape}")
        return X_traced, y_traced

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X @ self.coef_ + self.intercept_

    def squared_error(self, X: Any, y: Any) -> float:
        """The sum of squared errors on ``X``, ``y`` (arrays or traced), from their Gram
        pieces: on a cached validation fold it costs O(features^2), not a pass over it."""
        check_is_fitted(self, "coef_")
        la = engine(self.reuse)
        X_traced = X if isinstance(X, Traced) else traced(validate_data(self, X, dtype=np.float64, reset=False))
        y_traced = y if isinstance(y, Traced) else traced(y)
        design = cbind(X_traced, ones(X_traced.shape[0]))
        return residual_sum_of_squares(la.tsmm(design).value, la.crossprod(design, y_traced).value,
                                       la.tsmm(y_traced).value[0, 0], np.append(self.coef_, self.intercept_))


class TracedRidge(_TracedRegressor):
    """Ridge regression with an unpenalised intercept; ``alpha=0`` is least squares.

    Solves ``(D'D + alpha I') b = D'y`` for the design ``D = cbind(X, 1)``, where ``I'``
    spares the intercept: the same model as scikit-learn's ``Ridge(fit_intercept=True)``.
    """

    def __init__(self, alpha: float = 1.0, reuse: bool = True):
        self.alpha = alpha
        self.reuse = reuse

    def fit(self, X: Any, y: Any, lineage: Item | None = None) -> TracedRidge:
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, numbers.Real) or not self.alpha >= 0:
            raise UserError(f"ridge alpha must be a number >= 0, got {self.alpha!r}")
        la = engine(self.reuse)
        X_traced, y_traced = self._inputs(X, y, lineage)
        design = cbind(X_traced, ones(X_traced.shape[0]))
        gram = la.add_diagonal(la.tsmm(design), float(self.alpha), count=X_traced.shape[1])
        coef = la.solve(gram, la.crossprod(design, y_traced)).value[:, 0]
        self.coef_, self.intercept_ = coef[:-1].copy(), float(coef[-1])
        return self


class TracedElasticNet(_TracedRegressor):
    """The elastic net by coordinate descent on the Gram matrix; ``l1_ratio=1`` is the lasso.

    Minimises scikit-learn's ``ElasticNet`` objective, ``||y - Xw - b||^2 / (2n) + alpha
    l1_ratio ||w||_1 + alpha (1 - l1_ratio) ||w||^2 / 2``, with the same solver and
    tolerance, but on ``X'X`` and ``X'y`` centred from the cached ``D'D`` and ``D'y`` of
    ``D = cbind(X, 1)``: every strength and mix on a fold shares one pass over its rows
    (and lm_ridge's). Coefficients agree with ``ElasticNet`` to the solver's tolerance.
    """

    def __init__(self, alpha: float = 1.0, l1_ratio: float = 0.5, max_iter: int = 2000,
                 tol: float = 1e-4, reuse: bool = True):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.max_iter = max_iter
        self.tol = tol
        self.reuse = reuse

    def fit(self, X: Any, y: Any, lineage: Item | None = None) -> TracedElasticNet:
        for name, value, high in (("alpha", self.alpha, np.inf), ("l1_ratio", self.l1_ratio, 1.0)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= high:
                raise UserError(f"elastic net {name} must be a number from 0 to {high}, got {value!r}")
        la = engine(self.reuse)
        X_traced, y_traced = self._inputs(X, y, lineage)
        n, p = X_traced.shape
        design = cbind(X_traced, ones(n))
        gram, xy = la.tsmm(design).value, la.crossprod(design, y_traced).value[:, 0]
        x_mean, y_mean = gram[-1, :-1] / n, xy[-1] / n
        centred_gram = np.ascontiguousarray(gram[:-1, :-1] - n * np.outer(x_mean, x_mean))
        centred_xy = xy[:-1] - n * x_mean * y_mean
        # The solver reads X only for its shape and y only for its norm (the stopping rule).
        _, coefs, _ = enet_path(np.broadcast_to(0.0, (n, p)), y_traced.value[:, 0] - y_mean,
                                l1_ratio=self.l1_ratio, alphas=[self.alpha], precompute=centred_gram,
                                Xy=centred_xy, max_iter=self.max_iter, tol=self.tol, check_input=False)
        self.coef_ = coefs[:, 0].copy()
        self.intercept_ = float(y_mean - x_mean @ self.coef_)
        return self


#: R's ``lm`` tolerance: a column whose residual on the others is below this fraction of
#: its norm is aliased with them and adds nothing.
ALIASED = 1e-7


class StepLM(_TracedRegressor):
    """Forward stepwise least squares by AIC, as R's ``step`` from ``y ~ 1``.

    Each step adds the column whose model has the lowest ``AIC = n log(RSS/n) + 2k`` (k
    coefficients, the intercept included; ties go to the first column) and stops when
    no column lowers the AIC. A model is traced as ``cbind(y, 1, selected columns...)``,
    whose Gram matrix holds ``y'y``, ``D'y`` and ``D'D`` at once, and a candidate as
    ``cbind(model, column)``: with reuse its Gram matrix is the model's plus one
    crossproduct with the column, and the model's own was cached by the step before.
    RSS comes from Gram matrices too, so on a near-perfect fit (RSS below about 1e-10 of
    ``y'y``) it is roundoff, and the choice can differ from R's QR-based one.
    """

    def __init__(self, reuse: bool = True):
        self.reuse = reuse

    def fit(self, X: Any, y: Any, lineage: Item | None = None) -> StepLM:
        la = engine(self.reuse)
        X_traced, y_traced = self._inputs(X, y, lineage)
        n, p = X_traced.shape
        columns = [take_columns(X_traced, [j]) for j in range(p)]
        model, selected = cbind(y_traced, ones(n)), []
        coef, aic = self._least_squares(la, model)
        while len(selected) < p:
            best = None
            for j in sorted(set(range(p)) - set(selected)):
                candidate = cbind(model, columns[j])
                try:
                    fit = self._least_squares(la, candidate)
                except np.linalg.LinAlgError:  # a column aliased with the selected ones
                    continue
                if best is None or fit[1] < best[1]:
                    best = (*fit, j, candidate)
            if best is None or best[1] >= aic:
                break
            coef, aic, j, model = best
            selected.append(j)
        self.selected_, self.aic_ = selected, aic
        self.coef_ = np.zeros(p)
        self.coef_[selected] = coef[1:]
        self.intercept_ = float(coef[0])
        return self

    @staticmethod
    def _least_squares(la: LinearAlgebra, model: Traced) -> tuple[np.ndarray, float]:
        """The coefficients and AIC of the least-squares fit of ``model``'s first column
        on the others."""
        gram = la.tsmm(model).value
        design, xy = gram[1:, 1:], gram[1:, :1]
        coef = spd_solve(design, xy, tolerance=ALIASED)[:, 0]
        rss = max(residual_sum_of_squares(design, xy, gram[0, 0], coef), np.finfo(float).tiny)
        n, k = model.shape[0], model.shape[1] - 1
        return coef, n * np.log(rss / n) + 2 * k


class TracedPCA(TransformerMixin, BaseEstimator):
    """PCA from the eigendecomposition of the covariance, itself made of the cached
    column sums and Gram matrix: ``(X'X - n m m') / (n - 1)`` with ``m`` the column means.

    Components agree with scikit-learn's PCA up to sign; the sign here makes each
    component's largest entry positive. Forming X'X squares the condition number, so
    columns whose mean dwarfs their spread lose precision; centre such data first.
    """

    def __init__(self, n_components: int | None = None, reuse: bool = True):
        self.n_components = n_components
        self.reuse = reuse

    def fit(self, X: Any, y: Any = None, lineage: Item | None = None) -> TracedPCA:
        la = engine(self.reuse)
        if isinstance(X, Traced):
            self.n_features_in_ = X.shape[1]
            X_traced = X
        else:
            X_traced = traced(validate_data(self, X, dtype=np.float64, ensure_min_samples=2), lineage)
        n, p = X_traced.shape
        k = min(n, p) if self.n_components is None else self.n_components
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= min(n, p):
            raise UserError(f"PCA n_components must be a whole number from 1 to {min(n, p)}, got {k!r}")
        mean = la.colsums(X_traced).value[0] / n
        covariance = (la.tsmm(X_traced).value - n * np.outer(mean, mean)) / (n - 1)
        values, vectors = np.linalg.eigh(covariance)
        values, vectors = values[::-1], vectors[:, ::-1].T
        signs = np.sign(vectors[np.arange(p), np.argmax(np.abs(vectors), axis=1)])
        self.mean_ = mean
        self.n_components_ = int(k)
        self.components_ = vectors[:k] * signs[:k, None]
        self.explained_variance_ = np.clip(values[:k], 0, None)
        self.explained_variance_ratio_ = self.explained_variance_ / max(np.trace(covariance), np.finfo(float).tiny)
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "components_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return (X - self.mean_) @ self.components_.T


def _ridge(p: Params, seed: int) -> TracedRidge:
    return TracedRidge(alpha=p["alpha"])


def _lasso(p: Params, seed: int) -> TracedElasticNet:
    return TracedElasticNet(alpha=p["alpha"], l1_ratio=1.0)


def _elastic_net(p: Params, seed: int) -> TracedElasticNet:
    return TracedElasticNet(alpha=p["alpha"], l1_ratio=p["l1_ratio"])


def _steplm(p: Params, seed: int) -> StepLM:
    return StepLM()


# As for the catalog's "ridge", "lasso" and "elastic_net": targets are standardised by
# the pipeline, so alpha means the same for any target scale.
LEARNERS = [
    Learner("lm_ridge", "regression", _ridge, Space([Float("alpha", 1e-4, 1e3, log=True, default=1.0)])),
    Learner("lm_lasso", "regression", _lasso, Space([SPARSE_ALPHA])),
    Learner("lm_elastic_net", "regression", _elastic_net,
            Space([SPARSE_ALPHA, Float("l1_ratio", 0.05, 1.0, default=0.5)])),
    Learner("steplm", "regression", _steplm, Space([])),
]
