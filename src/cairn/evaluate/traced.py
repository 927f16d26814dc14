"""Traced evaluation: a config's pipeline as lineage items, computed through the reuse cache.

Every step of a fold is an item (see :mod:`cairn.lineage.sklearn_ops`), so a value is
known by what it was computed from. That makes HELIX-style reuse a cache lookup: two
configs with the same preprocessing on the same fold build equal ``fit`` and
``transform`` items for that prefix, and whichever comes second takes the first one's
fitted steps and transformed rows, whatever learner follows. The items are also the
trace stored with the run, so what was computed and what was recorded cannot drift apart.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.base import clone
from sklearn.pipeline import Pipeline

from cairn.evaluate.metrics import Metric
from cairn.lineage.cache import ReuseCache
from cairn.lineage.item import Item, canonical
from cairn.lineage.recompute import OPERATIONS
from cairn.lineage.sklearn_ops import (
    estimator_from_literal,
    fit_estimator,
    fit_transform,
    pipeline_item,
    transforms_own_rows,
)

#: Operations whose values are worth keeping: fitted steps and transformed rows. A split
#: is one ``iloc`` away and would hold copies of the data; predictions and scores are
#: cheap and belong to one config.
CACHED_OPS = frozenset({"fit", "transform"})


@functools.cache
def process_cache() -> ReuseCache:
    """The reuse cache every CASH search in this process shares (reuse across studies)."""
    return ReuseCache()


@dataclass(frozen=True)
class Stage:
    """One step of a pipeline: its unfitted estimator and canonical literal, or a passthrough."""

    name: str
    estimator: Any = None
    literal: str | None = None

    @property
    def passthrough(self) -> bool:
        return self.estimator is None


def stages(pipeline: Pipeline) -> list[Stage]:
    """The steps of an unfitted pipeline; each literal is computed once, here."""
    return [Stage(name) if step in (None, "passthrough") else Stage(name, step, canonical(step))
            for name, step in pipeline.steps]


@dataclass(frozen=True)
class FoldItems:
    """The items of one fold: its rows, the fitted learner, its answers on the validation
    rows (what the metric reads) and their score."""

    train: Item
    valid: Item
    model: Item
    predictions: Item
    score: Item


@dataclass(frozen=True)
class TrialItems:
    """What evaluating one config computes: its pipeline's stages, each fold's items and
    the trial's root (the mean of its folds, each a patch instance)."""

    steps: list[Stage]
    folds: list[FoldItems]
    root: Item


def _prefix(steps: Sequence[Stage], train: Item, others: Sequence[Item]) -> tuple[list[Item | None], Item, list[Item]]:
    """Fit each preprocessing step on ``train`` in turn, transforming ``train`` and ``others``.

    Returns the fit items (``None`` for a passthrough) and the transformed train and others.
    """
    fits: list[Item | None] = []
    others = list(others)
    for stage in steps:
        if stage.passthrough:
            fits.append(None)
            continue
        fit = Item("fit", [train], stage.literal)
        fits.append(fit)
        train, others = Item("transform", [fit, train]), [Item("transform", [fit, o]) for o in others]
    return fits, train, others


def fold_items(steps: Sequence[Stage], metric: Metric, train: Item, valid: Item) -> FoldItems:
    """Fit the pipeline on ``train``, predict ``valid`` and score the predictions."""
    _, x_train, (x_valid,) = _prefix(steps[:-1], train, [valid])
    model = Item("fit", [x_train], steps[-1].literal)
    name = canonical(metric.name)
    predictions = Item("predict", [model, x_valid], name)
    return FoldItems(train, valid, model, predictions, Item("metric", [predictions, valid], name))


def final_item(steps: Sequence[Stage], rows: Item) -> Item:
    """The pipeline fitted on ``rows``, assembled from its fitted steps."""
    fits, x_rows, _ = _prefix(steps[:-1], rows, [])
    return pipeline_item([s.name for s in steps], [*fits, Item("fit", [x_rows], steps[-1].literal)])


class Evaluator:
    """Computes items lazily by the registered operations, through an optional reuse cache.

    ``known`` gives values outright (the objective's own data). ``overrides`` replaces
    the operation of some ops (the objective computes splits from splits it made once).
    A fit of a literal in ``estimators`` clones that estimator instead of rebuilding it
    from text. A value the cache holds is taken without computing its inputs. A step's
    transform of its own training rows runs ``fit_transform``, which also yields the
    fitted step, so the training rows are transformed once, as in a Pipeline.
    """

    def __init__(self, cache: ReuseCache | None, known: Mapping[Item, Any],
                 overrides: Mapping[str, Callable[[Item, list[Any]], Any]] | None = None,
                 estimators: Mapping[str, Any] | None = None):
        self.cache = cache
        self.values: dict[Item, Any] = dict(known)
        self.operations = {**OPERATIONS, **(overrides or {}), "fit": self._fit}
        self.estimators = estimators or {}

    def __call__(self, item: Item) -> Any:
        if item in self.values:
            return self.values[item]
        if self.cache is not None and item.op in CACHED_OPS:
            value = self.cache.get_or_compute(item, lambda: self._compute(item))
        else:
            value = self._compute(item)
        self.values[item] = value
        return value

    def _compute(self, item: Item) -> Any:
        if item.op == "transform" and transforms_own_rows(item):
            return self._fit_transform(item)
        return self.operations[item.op](item, [self(i) for i in item.inputs])

    def _fit(self, item: Item, inputs: list[Any]) -> Any:
        return fit_estimator(self._unfitted(item), inputs[0], item.inputs[0])

    def _fit_transform(self, item: Item) -> Any:
        """The transformed training rows; the fitted step that comes with them is kept
        unless it is known already (then it is the same fit, computed before)."""
        fit, rows = item.inputs
        start = time.perf_counter()
        fitted, out = fit_transform(self._unfitted(fit), self(rows), rows)
        if fit not in self.values and (self.cache is None or fit not in self.cache):
            self.values[fit] = fitted
            if self.cache is not None:
                self.cache.put(fit, fitted, cost=time.perf_counter() - start)
        return out

    def _unfitted(self, fit: Item) -> Any:
        prototype = self.estimators.get(fit.literal)  # type: ignore[arg-type]
        return clone(prototype) if prototype is not None else estimator_from_literal(fit.literal or "null")
