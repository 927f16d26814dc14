"""The operations of a traced CASH evaluation, registered so any trace can be replayed.

A fold of a trial is ``data -> split -> fit/transform of each preprocessing step ->
fit of the learner -> predict -> metric``, and a trial is the ``mean`` of its folds; a
final model is the ``pipeline`` of its fitted steps. As in a scikit-learn Pipeline, the
transform of the rows a step was fitted on is the output of its ``fit_transform``. The
CASH objective computes these very functions (through the reuse cache), so replaying a
trace runs the code the search ran. Literals carry everything else: a split names its
resampling, fold, part and row fraction; a fit names its estimator by class and
parameters, which :func:`estimator_from_literal` turns back into an unfitted estimator.
A trace names the classes it builds, so replay one only from a store you trust (as with
the pickled models beside it).

Values flowing between items are :class:`Rows` (features with their target), fitted
estimators, :class:`Predictions` and scores. Data leaves are resolved by fingerprint:
bundled datasets by name, or versions of a registered dataset of that name.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from sklearn.pipeline import Pipeline

from cairn.errors import UserError
from cairn.lineage.item import Item, canonical
from cairn.lineage.recompute import data_resolver, operation

if TYPE_CHECKING:
    from cairn.evaluate.metrics import Metric
    from cairn.evaluate.resampling import Holdout, KFold, Split

# cairn.evaluate is imported inside functions: its objective imports this module.


class Rows(NamedTuple):
    """Some rows' features (a DataFrame or an array) and target (an array)."""

    X: Any
    y: np.ndarray


def take(data: Any, positions: np.ndarray) -> Rows:
    """The rows of ``data`` (a Dataset or Rows) at ``positions``."""
    X = data.X.iloc[positions] if hasattr(data.X, "iloc") else data.X[positions]
    return Rows(X, np.asarray(data.y)[positions])


# --------------------------------------------------------------------------- splits


@dataclasses.dataclass(frozen=True)
class SplitSpec:
    """One side of one fold of a resampling, optionally subsampled to ``fraction`` of its
    rows (row budgets subsample the training side only, seeded by ``seed`` and the fold)."""

    resampling: Holdout | KFold
    stratify: bool
    fold: int
    part: str  # "train" or "valid"
    fraction: float = 1.0
    seed: int | None = None

    def item(self, source: Item) -> Item:
        """The split item of ``source``'s rows; the seed only matters when subsampling."""
        scheme = {"kind": type(self.resampling).__name__, **dataclasses.asdict(self.resampling)}
        literal = {"resampling": scheme, "stratify": self.stratify, "fold": self.fold, "part": self.part,
                   "fraction": self.fraction}
        return Item("split", [source], canonical(literal), seed=self.seed if self.fraction < 1 else None)

    @classmethod
    def of(cls, item: Item) -> SplitSpec:
        """The spec a split item was made from."""
        from cairn.evaluate.resampling import Holdout, KFold

        literal = json.loads(item.literal or "{}")
        scheme = dict(literal["resampling"])
        resampling = {"Holdout": Holdout, "KFold": KFold}[scheme.pop("kind")](**scheme)
        return cls(resampling, literal["stratify"], literal["fold"], literal["part"], literal["fraction"], item.seed)

    def positions(self, splits: Sequence[Split], y: np.ndarray) -> np.ndarray:
        """This side's row positions, given the resampling's ``splits`` of target ``y``."""
        from cairn.evaluate.resampling import subsample

        train, valid = splits[self.fold]
        if self.part == "valid":
            return valid
        if self.fraction < 1:
            return subsample(train, y, self.fraction, [self.seed, self.fold], self.stratify)  # type: ignore[list-item]
        return train


@operation("split")
def _split(item: Item, inputs: list[Any]) -> Rows:
    spec = SplitSpec.of(item)
    y = np.asarray(inputs[0].y)
    return take(inputs[0], spec.positions(list(spec.resampling.split(y, spec.stratify)), y))


# --------------------------------------------------------------------------- estimators


def fit_estimator(estimator: Any, rows: Rows, lineage: Item) -> Any:
    """Fit ``estimator`` on ``rows``; a learner whose ``fit`` takes ``lineage`` gets the
    item of its input (a wrapped regressor is looked at through its wrapper)."""
    return estimator.fit(rows.X, np.asarray(rows.y), **_lineage_argument(estimator, lineage))


def fit_transform(estimator: Any, rows: Rows, lineage: Item) -> tuple[Any, Rows]:
    """Fit a preprocessing step on ``rows`` and transform them in one call, as a
    scikit-learn Pipeline fits its steps: the fitted step and the transformed rows."""
    out = estimator.fit_transform(rows.X, np.asarray(rows.y), **_lineage_argument(estimator, lineage))
    return estimator, _frozen(out, rows.y)


def transforms_own_rows(item: Item) -> bool:
    """Whether ``item`` transforms the very rows its step was fitted on: its value is then
    the output of :func:`fit_transform`, not a second pass of ``transform``."""
    fit, rows = item.inputs
    return fit.op == "fit" and fit.inputs[0] == rows


def _lineage_argument(estimator: Any, lineage: Item) -> dict[str, Item]:
    inner = getattr(estimator, "regressor", estimator)
    return {"lineage": lineage} if "lineage" in inspect.signature(inner.fit).parameters else {}


def _frozen(out: Any, y: np.ndarray) -> Rows:
    if isinstance(out, np.ndarray):
        out.flags.writeable = False  # shared through the reuse cache: nobody may write into it
    return Rows(out, y)


@operation("fit")
def _fit(item: Item, inputs: list[Any]) -> Any:
    return fit_estimator(estimator_from_literal(item.literal or "null"), inputs[0], item.inputs[0])


@operation("transform")
def _transform(item: Item, inputs: list[Any]) -> Rows:
    fitted, rows = inputs
    if transforms_own_rows(item):
        fit = item.inputs[0]
        return fit_transform(estimator_from_literal(fit.literal or "null"), rows, fit.inputs[0])[1]
    return _frozen(fitted.transform(rows.X), rows.y)


class Predictions:
    """What a fitted model answered on one input, standing in for the model when a
    :class:`~cairn.evaluate.metrics.Metric` scores it, so the scoring code is the metric's own."""

    def __init__(self, model: Any, X: Any, metric: Metric):
        self.classes_ = getattr(model, "classes_", None)
        method = _answering_method(model, metric)
        self.answers = {method: getattr(model, method)(X)}

    def __getattr__(self, name: str) -> Any:
        answers = self.__dict__.get("answers", {})
        if name in answers:
            return lambda X: answers[name]
        raise AttributeError(name)


def _answering_method(model: Any, metric: Metric) -> str:
    """The one method of ``model`` that ``metric`` reads, chosen as the metric chooses it."""
    if metric.needs == "predict":
        return "predict"
    has_proba = hasattr(model, "predict_proba")
    if metric.needs == "ranking" and len(getattr(model, "classes_", ())) == 2 and not has_proba:
        return "decision_function"
    if not has_proba:
        raise ValueError(f"metric '{metric.name}' needs predicted probabilities, "
                         f"which {type(model).__name__} does not give")
    return "predict_proba"


@operation("predict")
def _predict(item: Item, inputs: list[Any]) -> Predictions:
    model, rows = inputs
    return Predictions(model, rows.X, _metric_of(item))


@operation("metric")
def _metric(item: Item, inputs: list[Any]) -> float:
    predictions, rows = inputs
    return _metric_of(item).score(predictions, None, rows.y)


def _metric_of(item: Item) -> Metric:
    from cairn.evaluate.metrics import METRICS

    name = json.loads(item.literal or "null")
    if name not in METRICS:
        raise UserError(f"the lineage trace names an unknown metric {name!r}")
    return METRICS[name]


@operation("mean")
def _mean(item: Item, inputs: list[Any]) -> float:
    return float(np.mean(inputs))


def pipeline_item(names: Sequence[str], fits: Sequence[Item | None]) -> Item:
    """The item of a pipeline assembled from fitted steps (``None``: a passthrough step)."""
    literal = canonical({"steps": list(names), "passthrough": [n for n, f in zip(names, fits, strict=True) if f is None]})
    return Item("pipeline", [f for f in fits if f is not None], literal)


@operation("pipeline")
def _pipeline(item: Item, inputs: list[Any]) -> Pipeline:
    literal = json.loads(item.literal or "{}")
    fitted = iter(inputs)
    return Pipeline([(name, "passthrough" if name in literal["passthrough"] else next(fitted))
                     for name in literal["steps"]])


def estimator_from_literal(literal: str) -> Any:
    """The unfitted estimator a canonical literal describes.

    Parameters equal to the class default take the default object itself (so ``nan``,
    dtypes and other values canonical text cannot tell apart come back exactly); the
    others are decoded, nested estimators included. Only estimator classes are built.
    """
    plain = json.loads(literal)
    if not (isinstance(plain, dict) and "class" in plain):
        raise UserError(f"the lineage literal {literal[:60]!r} does not describe an estimator")
    return _decode(plain)


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "class" in value and "params" in value:
        return _build(value["class"], value["params"])
    if "function" in value:
        return _import(value["function"])
    if "ndarray" in value and "dtype" in value:
        return np.asarray(value["ndarray"], dtype=value["dtype"])
    return {k: _decode(v) for k, v in value.items()}


def _build(path: str, params: dict[str, Any]) -> Any:
    cls = _import(path)
    if not (isinstance(cls, type) and hasattr(cls, "get_params")):
        raise UserError(f"the lineage literal names '{path}', which is not an estimator class")
    defaults = {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()
                if p.default is not inspect.Parameter.empty}
    kwargs = {name: defaults[name] if name in defaults and _same(defaults[name], value) else _decode(value)
              for name, value in params.items()}
    return cls(**kwargs)


def _same(default: Any, plain: Any) -> bool:
    try:
        return json.loads(canonical(default)) == plain
    except UserError:
        return False


def _import(path: str) -> Any:
    # The longest importable module prefix, then attributes (nested qualnames).
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
        if obj is not None:
            return obj
    raise UserError(f"the lineage literal names '{path}', which cannot be imported here")


# --------------------------------------------------------------------------- data


def find_dataset(item: Item, store: Any = None, versions: Iterable[str] = (),
                 files: Iterable[str | Path] = ()) -> Any:
    """The Dataset of data leaf ``item``, or ``None``: a bundled dataset of its name, the
    given registered ``versions`` (``name:v``) and ``files``, then every version of a
    registered dataset of its name in ``store``. A candidate counts only if its
    fingerprint is the leaf's."""
    from cairn.data import BUNDLED, load_dataset

    name = json.loads(item.literal or '""')
    loaders = [lambda: load_dataset(name)] if name in BUNDLED else []
    loaders += [lambda ref=ref: _version(ref, store) for ref in versions]
    loaders += [lambda path=path: load_dataset(Path(path)) for path in files]
    if store is not None:
        loaders += [lambda ref=ref: _version(ref, store) for ref in _registered(name, store)]
    for load in loaders:
        try:
            data = load()
        except UserError:
            continue
        if data.fingerprint == item.data:
            return data
    return None


def _version(ref: str, store: Any) -> Any:
    from cairn.data import from_frame
    from cairn.registry.datasets import get_dataset
    from cairn.registry.uri import parse_dataset_ref

    name, version = parse_dataset_ref(ref)
    return from_frame(get_dataset(name, version, store=store), name=name)


def _registered(name: str, store: Any) -> list[str]:
    """Refs of every version of the registered dataset named after ``name``, newest first."""
    from cairn.registry.datasets import describe_dataset
    from cairn.registry.uri import dataset_ref, safe_name

    try:
        versions = describe_dataset(safe_name(name), store=store)["versions"]
    except UserError:
        return []
    return [dataset_ref(safe_name(name), v["version"]) for v in reversed(versions)]


@data_resolver
def _known_data(item: Item) -> Any:
    """Bundled datasets, and registered versions in the default store if there is one."""
    return find_dataset(item, _existing_default_store())


def _existing_default_store() -> Any:
    from cairn.track import resolve_url
    from cairn.track.fluent import get_store

    url = resolve_url(None)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return None  # looking for data must not create a store
    return get_store(None)
