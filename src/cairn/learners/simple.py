"""Simple baselines without iterative training: k-nearest neighbours and naive Bayes."""

from __future__ import annotations

from typing import Any

from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from cairn.learners.base import Learner, Params, both_tasks
from cairn.space import Categorical, Float, Int, Space


def _knn(cls: type, p: Params, seed: int) -> Any:
    return cls(n_neighbors=p["n_neighbors"], weights=p["weights"])


def _gaussian_nb(p: Params, seed: int) -> GaussianNB:
    return GaussianNB(var_smoothing=p["var_smoothing"])


_KNN_SPACE = Space([Int("n_neighbors", 1, 50, log=True, default=5),
                    Categorical("weights", ["uniform", "distance"])])

LEARNERS = [
    *both_tasks("knn", _knn, _KNN_SPACE, KNeighborsClassifier, KNeighborsRegressor),
    Learner("gaussian_nb", "classification", _gaussian_nb,
            Space([Float("var_smoothing", 1e-12, 1e-3, log=True, default=1e-9)])),
]
