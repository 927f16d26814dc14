"""cairn: model selection and model management.

Only re-exports live here. Heavy modules (scikit-learn, pandas, SQLAlchemy) load on first
use so that ``import cairn`` stays fast.
"""

from __future__ import annotations

from cairn.exports import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "Space": "cairn.space",
    "Float": "cairn.space",
    "Int": "cairn.space",
    "Categorical": "cairn.space",
    "Constant": "cairn.space",
    "Config": "cairn.space",
    "Trial": "cairn.trial",
    "Result": "cairn.trial",
    "TrialState": "cairn.trial",
    "UserError": "cairn.errors",
    "AutoClassifier": "cairn.automl.estimators",
    "AutoRegressor": "cairn.automl.estimators",
    # tracking (cairn.track.fluent): the MLflow-like API
    **dict.fromkeys([
        "start_run", "end_run", "active_run", "log_param", "log_params", "log_metric", "log_metrics",
        "set_tag", "set_tags", "log_artifact", "log_model", "log_dataset", "search_runs",
        "get_metric_history", "list_artifacts", "download_artifacts", "delete_runs", "gc", "set_store",
        "get_store",
    ], "cairn.track.fluent"),
    "autolog": "cairn.track.autolog",
    "Store": "cairn.track.store",
    "Run": "cairn.track.run",
    # registry: model versions and dataset versions. Its load_model reads models:/ and
    # runs:/ URIs and bare run ids (as the fluent one does), so it takes that name.
    **dict.fromkeys([
        "register_model", "load_model", "set_alias", "delete_alias", "list_models", "describe_model",
    ], "cairn.registry.models"),
    **dict.fromkeys([
        "register_dataset", "get_dataset", "list_datasets", "describe_dataset", "dataset_diff",
        "dataset_union", "dataset_intersection", "dataset_difference",
    ], "cairn.registry.datasets"),
}


__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS, globals())
