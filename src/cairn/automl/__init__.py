"""AutoML: search, warm starts and post-hoc ensembles behind scikit-learn estimators."""

from __future__ import annotations

import importlib
from typing import Any

#: Loaded on first use, so that importing the engine (as ``cairn.cash`` does) stays light.
_EXPORTS = {"AutoClassifier": "cairn.automl.estimators", "AutoRegressor": "cairn.automl.estimators"}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cairn.automl' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = sorted(_EXPORTS)
