"""From a flat CASH config to an unfitted scikit-learn pipeline.

The pipeline is ``columns`` (ColumnTransformer) -> ``features`` -> ``model``; a structure
config (:mod:`cairn.learners.structure`) has ``columns`` (imputation and one-hot
encoding, unscaled) -> ``step0`` -> ``step1`` -> ... -> ``model`` instead. Regressors
are wrapped to learn a standardised target, so that the regularisation ranges in the
catalog mean the same whatever the scale of the target; for balanced accuracy,
classifiers decide their labels by it (:mod:`cairn.learners.decision`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from cairn.errors import ConfigError
from cairn.learners.catalog import get_learner, learner_names
from cairn.learners.decision import decided_for
from cairn.learners.preprocess import (
    PREPROCESSING,
    build_columns,
    build_feature_step,
    preprocessing_params,
)
from cairn.learners.structure import COLUMN_PARAMS, build_steps, is_structure_name, is_structured


def build_pipeline(config: Mapping[str, Any], task: str, seed: int = 0,
                   categorical_columns: Sequence[str] = (),
                   numeric_columns: Sequence[str] | None = None,
                   iterations: int | None = None, metric: str | None = None) -> Pipeline:
    """The pipeline for ``config``; missing parameters take the catalog defaults.

    ``iterations`` sets the learner's iteration fidelity (trees, boosting rounds,
    epochs) and is ignored by learners without one. Parameters of other learners than
    ``config["learner"]`` are ignored, as they are inactive. ``metric`` names the
    metric a classifier's labels are decided for (see :mod:`cairn.learners.decision`).
    """
    if "learner" not in config:
        raise ConfigError("a CASH config needs a 'learner' value")
    learner = get_learner(config["learner"], task)
    _check_names(config, task)
    prefix = f"{learner.name}."
    own = {k[len(prefix):]: v for k, v in config.items() if k.startswith(prefix)}
    model = learner.build(own, seed, iterations)
    if task == "regression":
        model = TransformedTargetRegressor(regressor=model, transformer=StandardScaler())
    else:
        model = decided_for(metric, model)
    prep = preprocessing_params(config)
    if is_structured(config):
        middle = build_steps(config, task, seed)
        prep["scale"] = "none"  # scalers are steps of the structure
    else:
        middle = [("features", build_feature_step(prep, task, seed))]
    return Pipeline([
        ("columns", build_columns(prep, categorical_columns, numeric_columns)),
        *middle,
        ("model", model),
    ])


def _check_names(config: Mapping[str, Any], task: str) -> None:
    learners = set(learner_names(task))
    structured = is_structured(config)
    for name in config:
        own = name == "learner" or name.split(".", 1)[0] in learners
        preprocessing = (name in COLUMN_PARAMS or is_structure_name(name)) if structured else name in PREPROCESSING
        if not (own or preprocessing):
            kind = "structured " if structured else ""
            raise ConfigError(f"'{name}' is not a parameter of the {kind}{task} pipeline")
