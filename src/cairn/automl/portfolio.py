"""The warm-start portfolios, and the ``auto`` strategy that starts from them.

A portfolio is a short list of CASH configs that together did well on many tasks: built
offline by ``bench/build_portfolio.py`` (greedy construction as in auto-sklearn 2.0, over
generated tasks and datasets that ship in packages; never scikit-learn's five bundled
datasets), it ships as ``portfolios/<task>.json`` with its provenance. A search that
starts from it has strong, diverse configs in hand after a few trials; how much that
helps is measured in ``bench/results/portfolio.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from itertools import chain, zip_longest
from typing import Any

from cairn.errors import UserError
from cairn.optim.warmstart import WarmStart
from cairn.space import Categorical, Config, Constant, Int, Param, Space, Value

TASKS = ("classification", "regression")
#: The parameter whose value a config cannot do without: a portfolio config of a learner
#: the space does not offer is dropped, not turned into another learner.
LEARNER = "learner"


@cache
def portfolio_file(task: str) -> dict[str, Any]:
    """The committed portfolio of ``task``: its configs in order and its provenance."""
    if task not in TASKS:
        raise UserError(f"task must be 'classification' or 'regression', got {task!r}")
    return json.loads((files(__package__) / "portfolios" / f"{task}.json").read_text())


def load_portfolio(task: str, space: Space | None = None) -> list[dict]:
    """The portfolio configs of ``task``, in order; with ``space``, projected onto it.

    Projection keeps what the space allows and moves the rest to the nearest thing it
    does: numbers are clipped into its ranges, a choice it does not offer (or a missing
    parameter) takes the space's default, parameters it lacks are dropped; a config whose
    learner the space does not offer is left out, and configs that become equal are kept
    once. Every config returned is valid in ``space``.
    """
    configs = portfolio_file(task)["configs"]
    if space is None:
        return [dict(c) for c in configs]
    projected = (project(config, space) for config in configs)
    return [dict(c) for c in dict.fromkeys(c for c in projected if c is not None)]


def project(config: Mapping[str, Value], space: Space) -> Config | None:
    """``config`` moved into ``space`` (see :func:`load_portfolio`); ``None`` if its
    learner is not one the space offers."""
    values: dict[str, Value] = {}
    for param in space.params:  # parents first, so activity is known when a param is reached
        if not space.is_active(param.name, values):
            continue
        if param.name == LEARNER and LEARNER in config and not _offers(param, config[LEARNER]):
            return None
        values[param.name] = _nearest(param, config)
    return space.validate(values)


def _offers(param: Param, value: Value) -> bool:
    if isinstance(param, Constant):
        return param.value == value
    return not isinstance(param, Categorical) or value in param.choices


def _nearest(param: Param, config: Mapping[str, Value]) -> Value:
    """The value of ``param`` in ``space`` closest to the config's (default if it has none)."""
    if isinstance(param, Constant):
        return param.value
    if param.name not in config:
        return param.default
    value = config[param.name]
    if isinstance(param, Categorical):
        return value if value in param.choices else param.default
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        clipped = min(max(value, param.low), param.high)  # type: ignore[attr-defined]
        return int(round(clipped)) if isinstance(param, Int) else float(clipped)
    return param.default


def infer_task(space: Space) -> str | None:
    """The task whose catalog has every learner of ``space``; ``None`` if both or neither do
    (a space of learners that exist for both tasks, such as trees, cannot tell)."""
    from cairn.learners import learner_names

    if LEARNER not in space:
        return None
    param = space[LEARNER]
    chosen = param.choices if isinstance(param, Categorical) else [getattr(param, "value", None)]
    fits = [task for task in TASKS if set(chosen) <= set(learner_names(task))]
    return fits[0] if len(fits) == 1 else None


def warm_start_configs(space: Space, task: str | None = None) -> list[dict]:
    """The portfolio for ``space``: of ``task`` (inferred from the space's learners if
    ``None``), of both tasks interleaved if the learners cannot tell, none for a space
    without a ``learner`` parameter (not a CASH space)."""
    if LEARNER not in space:
        return []
    task = task or infer_task(space)
    if task is not None:
        return load_portfolio(task, space)
    both = zip_longest(*(load_portfolio(t, space) for t in TASKS))
    merged = (Config(c) for c in chain.from_iterable(both) if c is not None)
    return [dict(c) for c in dict.fromkeys(merged)]


#: Learners whose fit costs about one pass over the rows per iteration and whose
#: prediction is a product: a config of one finishes in seconds on tens of thousands of rows.
CHEAP_LEARNERS = frozenset({"gaussian_nb", "logreg", "ridge", "lm_ridge", "lasso", "lm_lasso",
                            "elastic_net", "lm_elastic_net", "tree"})


#: Learners whose fit grows about linearly with the rows and that lead on large tables:
#: gradient boosting on histograms (FLAML starts its search with LightGBM for this reason).
SCALABLE_LEARNERS = frozenset({"hist_gb"})


def cheap_config_first(configs: list[dict], large_table: bool = False) -> list[dict]:
    """``configs`` with the first one of a cheap learner moved to the front and, on a
    ``large_table``, the first one of a scalable learner right after it.

    Under a time budget on a large table, the portfolio's first configs (forests,
    nearest neighbours) can each take longer than the whole budget; one cheap config
    first makes sure the search ends with a model, at the cost of a second on small data.
    The portfolio was chosen on small tasks, where boosting comes last; on tens of
    thousands of rows it is both the strongest learner and one of the quickest.
    """
    def first(learners: frozenset[str], among: list[dict]) -> list[dict]:
        at = next((i for i, c in enumerate(among) if c.get(LEARNER) in learners), None)
        return among if at is None else [among[at], *among[:at], *among[at + 1:]]

    ordered = first(SCALABLE_LEARNERS, configs) if large_table else configs
    return first(CHEAP_LEARNERS, ordered)


class AutoSearch(WarmStart):
    """``--strategy auto``: the task's portfolio first, then ``inner`` searches on.

    ``n_warm`` caps how many portfolio configs are tried (default: all that fit the
    space); ``task`` overrides the task inferred from the space. The defaults were
    chosen on held-out tasks (``bench/results/portfolio.md``). ``cheap_first`` moves
    the first config of a cheap learner to the front (see :func:`cheap_config_first`), as the
    AutoML estimators do under a time budget, and ``large_table`` a scalable learner's
    config right after it.
    """

    name = "auto"

    def __init__(self, space: Space, seed: int | None = 0, task: str | None = None, inner: str = "tpe",
                 inner_options: dict[str, Any] | None = None, n_warm: int | None = None,
                 cheap_first: bool = False, large_table: bool = False):
        if n_warm is not None and n_warm < 0:
            raise UserError(f"auto: n_warm must be at least 0, got {n_warm}")
        configs = warm_start_configs(space, task)[:n_warm]
        super().__init__(space, seed, cheap_config_first(configs, large_table) if cheap_first and configs else configs,
                         inner, inner_options)


__all__ = ["CHEAP_LEARNERS", "SCALABLE_LEARNERS", "AutoSearch", "cheap_config_first", "infer_task", "load_portfolio", "project",
           "warm_start_configs"]
