"""Preprocessing choices and the transformers they build.

Numeric columns are imputed (mean or median) and scaled; categorical columns are
imputed with their most frequent value and one-hot encoded, ignoring categories unseen
in training. An optional feature step then keeps a fraction of the encoded features by
PCA or by univariate selection.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectKBest, f_classif, f_regression
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    RobustScaler,
    StandardScaler,
)

from cairn.space import Categorical, Float, Space

_FRACTION = Space([Float("fraction", 0.1, 1.0, default=0.5)])

#: The preprocessing part of every CASH space.
PREPROCESSING = Space([
    Categorical("impute", ["median", "mean"]),
    Categorical("scale", ["standard", "minmax", "robust", "none"]),
]) + Space.nested("features", {"none": None, "pca": _FRACTION, "select_k_best": _FRACTION})

_SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}


def preprocessing_params(config: Mapping[str, Any]) -> dict[str, Any]:
    """The preprocessing values of ``config``, defaults filled and choices checked."""
    values = dict(PREPROCESSING.default())
    for name in ("impute", "scale", "features"):
        if name in config:
            values[name] = PREPROCESSING[name].check(config[name])
    feature = values["features"]
    if feature != "none":
        values["fraction"] = config.get(f"{feature}.fraction", _FRACTION["fraction"].default)
    return values


def build_columns(params: Mapping[str, Any], categorical_columns: Sequence[str],
                  numeric_columns: Sequence[str] | None) -> ColumnTransformer:
    """Impute and scale numbers, impute and one-hot encode categories.

    With ``numeric_columns=None`` every column that is not categorical is numeric, which
    also lets plain arrays through.
    """
    scaler = _SCALERS[params["scale"]]() if params["scale"] != "none" else "passthrough"
    numeric = Pipeline([("impute", SimpleImputer(strategy=params["impute"])), ("scale", scaler)])
    categorical = Pipeline([
        ("as_object", FunctionTransformer(_as_object)),
        ("impute", SimpleImputer(strategy="most_frequent")),
        ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
    ])
    parts = [("cat", categorical, list(categorical_columns))]
    if numeric_columns is None:
        return ColumnTransformer(parts, remainder=numeric, sparse_threshold=0)
    return ColumnTransformer([("num", numeric, list(numeric_columns)), *parts], sparse_threshold=0)


def build_feature_step(params: Mapping[str, Any], task: str, seed: int) -> Any:
    if params["features"] == "none":
        return "passthrough"
    return KeepFraction(params["features"], params["fraction"], task, seed)


def _as_object(X: Any) -> pd.DataFrame:
    """Categorical columns as objects with NaN gaps: the imputer cannot compare pandas.NA."""
    frame = pd.DataFrame(X).astype(object)
    return frame.where(frame.notna(), np.nan)


class KeepFraction(TransformerMixin, BaseEstimator):
    """Keep a fraction of the incoming features by PCA or by univariate selection.

    The feature count after one-hot encoding is only known at fit time, so the
    fraction becomes a count there: at least one, at most the rows (for PCA).
    """

    def __init__(self, method: str = "pca", fraction: float = 0.5, task: str = "classification",
                 random_state: int | None = None):
        self.method = method
        self.fraction = fraction
        self.task = task
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> KeepFraction:
        if not 0 < self.fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {self.fraction}")
        n_rows, n_features = np.shape(X)
        k = max(1, min(n_features, round(self.fraction * n_features)))
        if self.method == "pca":
            self.step_ = PCA(n_components=min(k, n_rows), random_state=self.random_state)
        elif self.method == "select_k_best":
            score = f_classif if self.task == "classification" else f_regression
            self.step_ = SelectKBest(score, k=k)
        else:
            raise ValueError(f"unknown feature method {self.method!r}")
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            # Constant columns (common in one-hot or image data) have no F-statistic.
            warnings.filterwarnings("ignore", message="Features .* are constant")
            self.step_.fit(X, y)
        return self

    def transform(self, X: Any) -> Any:
        return self.step_.transform(X)
