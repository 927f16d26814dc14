"""Tree learners: a single tree, random forests, extra trees, histogram gradient boosting.

Ensembles declare their number of trees (or boosting iterations) as the iteration
fidelity, capped at 200 so that fits stay quick on small data.
"""

from __future__ import annotations

from typing import Any

from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from cairn.learners.base import Fidelity, Params, both_tasks
from cairn.space import Float, Int, Space


def _tree(cls: type, p: Params, seed: int) -> Any:
    return cls(max_depth=p["max_depth"], min_samples_leaf=p["min_samples_leaf"],
               max_features=p["max_features"], random_state=seed)


def _forest(cls: type, p: Params, seed: int) -> Any:
    return cls(n_estimators=p["n_estimators"], min_samples_leaf=p["min_samples_leaf"],
               max_features=p["max_features"], n_jobs=1, random_state=seed)


def _hist_gb(cls: type, p: Params, seed: int) -> Any:
    return cls(learning_rate=p["learning_rate"], max_iter=p["max_iter"],
               max_leaf_nodes=p["max_leaf_nodes"], min_samples_leaf=p["min_samples_leaf"],
               l2_regularization=p["l2_regularization"], early_stopping=False, random_state=seed)


def _leaf_params(max_features_default: float) -> list[Int | Float]:
    return [Int("min_samples_leaf", 1, 20, log=True, default=1),
            Float("max_features", 0.1, 1.0, default=max_features_default)]


_TREE_SPACE = Space([Int("max_depth", 2, 20, default=10), *_leaf_params(1.0)])
_FOREST_SPACE = Space([Int("n_estimators", 10, 200, log=True, default=100), *_leaf_params(0.5)])
_HIST_GB_SPACE = Space([
    Float("learning_rate", 0.01, 0.5, log=True, default=0.1),
    Int("max_iter", 10, 200, log=True, default=100),
    Int("max_leaf_nodes", 4, 64, log=True, default=31),
    Int("min_samples_leaf", 2, 50, log=True, default=20),
    Float("l2_regularization", 1e-6, 10.0, log=True, default=1e-6),
])

_N_TREES = Fidelity("n_estimators", 10, 200)

LEARNERS = [
    *both_tasks("tree", _tree, _TREE_SPACE, DecisionTreeClassifier, DecisionTreeRegressor),
    *both_tasks("random_forest", _forest, _FOREST_SPACE, RandomForestClassifier,
                RandomForestRegressor, _N_TREES),
    *both_tasks("extra_trees", _forest, _FOREST_SPACE, ExtraTreesClassifier,
                ExtraTreesRegressor, _N_TREES),
    *both_tasks("hist_gb", _hist_gb, _HIST_GB_SPACE, HistGradientBoostingClassifier,
                HistGradientBoostingRegressor, Fidelity("max_iter", 10, 200)),
]
