"""``cairn.autolog()``: record scikit-learn fits without changing the training code.

Every scikit-learn estimator class that defines its own ``fit`` (and every subclass of
``BaseEstimator`` already defined, including the user's) gets a wrapper. The outermost
``fit`` of a call chain logs to the active run, or to a run of its own: the estimator's
``get_params``, training metrics on the fit data and the fitted model. Fits nested inside
it (a Pipeline's steps, a search's candidates) run untouched. Logging never breaks a fit:
a failure to log becomes a warning. ``autolog(disable=True)`` restores every original.
"""

from __future__ import annotations

import functools
import inspect
import threading
import warnings
from collections.abc import Callable
from typing import Any

_originals: dict[type, Callable[..., Any]] = {}
_settings: dict[str, Any] = {}
_depth = threading.local()


def autolog(disable: bool = False, *, log_models: bool = True, experiment: str = "default") -> None:
    """Turn scikit-learn autologging on (or off with ``disable=True``).

    Classes defined after this call are not patched; call it again to include them.
    """
    if disable:
        for cls, fit in _originals.items():
            cls.fit = fit  # type: ignore[attr-defined]
        _originals.clear()
        return
    _settings.update(log_models=log_models, experiment=experiment)
    for cls in _estimator_classes():
        fit = cls.__dict__.get("fit")
        if cls not in _originals and inspect.isfunction(fit):
            _originals[cls] = fit
            cls.fit = _patched(fit)  # type: ignore[attr-defined]


def _estimator_classes() -> list[type]:
    from sklearn.base import BaseEstimator
    from sklearn.utils import all_estimators

    found: list[type] = [cls for _, cls in all_estimators()]
    todo = [BaseEstimator]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return list(dict.fromkeys(found))


def _patched(fit: Callable[..., Any]) -> Callable[..., Any]:
    names = list(inspect.signature(fit).parameters)[1:3]  # the data: X and (usually) y

    @functools.wraps(fit)
    def fit_and_log(self: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(_depth, "value", 0):
            return fit(self, *args, **kwargs)
        data = dict(zip(names, args, strict=False)) | {k: v for k, v in kwargs.items() if k in names}
        _depth.value = 1
        try:
            return _fit_in_run(lambda: fit(self, *args, **kwargs), self, *(data.get(n) for n in names))
        finally:
            _depth.value = 0

    return fit_and_log


def _fit_in_run(fit: Callable[[], Any], estimator: Any, X: Any = None, y: Any = None) -> Any:
    from cairn.track.fluent import start_run
    from cairn.track.run import active_run

    run = active_run()
    own = None
    if run is None:
        try:
            run = own = start_run(_settings.get("experiment", "default"), type(estimator).__name__)
        except Exception as exc:  # noqa: BLE001 - tracking trouble must not stop training
            warnings.warn(f"cairn autolog could not start a run: {exc}", stacklevel=3)
            return fit()
    try:
        fitted = fit()
    except BaseException:
        if own is not None:
            own.end("failed")
        raise
    try:
        _log_fit(run, estimator, X, y)
    except Exception as exc:  # noqa: BLE001 - the fit succeeded; only the record is incomplete
        warnings.warn(f"cairn autolog could not log the fit of {type(estimator).__name__}: {exc}", stacklevel=3)
    if own is not None:
        own.end("complete")
    return fitted


def _log_fit(run: Any, estimator: Any, X: Any, y: Any) -> None:
    params = {k: v if v is None or isinstance(v, (bool, int, float, str)) else repr(v)
              for k, v in estimator.get_params(deep=True).items()}
    run.log_params(params)
    run.set_tag("estimator.class", f"{type(estimator).__module__}.{type(estimator).__qualname__}")
    if _settings.get("log_models", True):
        run.log_model(estimator)
    if X is not None and y is not None:
        run.log_metrics(training_metrics(estimator, X, y))


def training_metrics(estimator: Any, X: Any, y: Any) -> dict[str, float]:
    """Scores of a fitted classifier or regressor on its training data."""
    from sklearn import metrics as m
    from sklearn.base import is_classifier, is_regressor

    if not (is_classifier(estimator) or is_regressor(estimator)) or not hasattr(estimator, "predict"):
        return {}
    predicted = estimator.predict(X)
    if is_classifier(estimator):
        return {"training_accuracy": m.accuracy_score(y, predicted),
                "training_f1_weighted": m.f1_score(y, predicted, average="weighted")}
    return {"training_r2": m.r2_score(y, predicted), "training_mae": m.mean_absolute_error(y, predicted),
            "training_rmse": m.root_mean_squared_error(y, predicted)}
