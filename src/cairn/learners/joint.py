"""The joint CASH space, and the check that a user's own space fits the pipeline builder."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from cairn.errors import ConfigError, SpaceError, UserError
from cairn.learners.catalog import CATALOG, check_task, get_learner, learner_names
from cairn.learners.preprocess import PREPROCESSING
from cairn.space import Categorical, Constant, Float, Int, Param, Space

#: Chosen first when no strategy has a better idea: robust on most tabular data.
DEFAULT_LEARNER = "random_forest"


def cash_space(task: str, learners: Sequence[str] | str | None = None) -> Space:
    """Preprocessing choices plus ``learner`` with each learner's own nested parameters."""
    if learners is None:
        names = learner_names(task)
    else:
        names = [learners] if isinstance(learners, str) else list(learners)
    if not names:
        raise UserError(f"choose at least one learner from {', '.join(learner_names(task))}")
    options = {name: get_learner(name, task).space for name in names}
    default = DEFAULT_LEARNER if DEFAULT_LEARNER in options else None
    return PREPROCESSING + Space.nested("learner", options, default=default)


def check_space(space: Space, task: str) -> None:
    """Raise a SpaceError naming the first parameter the pipeline builder cannot use.

    Ranges may differ from the catalog's; names, kinds and categorical choices may not.
    """
    reference = cash_space(check_task(task))
    if "learner" not in space:
        raise SpaceError("a CASH space needs a 'learner' parameter listing the learners to try")
    for param in space.params:
        _check_kind(param, _reference(param.name, reference, task))
    learner = space["learner"]
    chosen = set(learner.choices if isinstance(learner, Categorical) else [learner.default])
    for param in space.params:
        owner = param.name.split(".", 1)[0]
        if owner in reference["learner"].choices and owner not in chosen:
            raise SpaceError(f"parameter '{param.name}' belongs to learner '{owner}', "
                             "which the 'learner' parameter never chooses")


def _reference(name: str, reference: Space, task: str) -> Param:
    if name in reference:
        return reference[name]
    owner, _, rest = name.partition(".")
    if owner in reference["learner"].choices:
        known = ", ".join(get_learner(owner, task).space.names)
        raise SpaceError(f"parameter '{name}': learner '{owner}' has no parameter '{rest}' (it has: {known})")
    if any(owner in entries for entries in CATALOG.values()):
        raise SpaceError(f"parameter '{name}': learner '{owner}' is not available for {task}")
    known = ", ".join(PREPROCESSING.names)
    raise SpaceError(f"parameter '{name}' is not known to the {task} pipeline "
                     f"(known: {known}, learner, and '<learner>.<parameter>')")


def _check_kind(param: Param, ref: Param) -> None:
    allowed = {Categorical: (Categorical, Constant), Int: (Int, Constant),
               Float: (Float, Int, Constant)}[type(ref)]
    if not isinstance(param, allowed):
        raise SpaceError(f"parameter '{param.name}' must be {ref.kind}, not {param.kind}")
    values = param.choices if isinstance(param, Categorical) else [param.value] if isinstance(param, Constant) else []
    for value in values:
        if not _fits(ref, value):
            valid = f" (valid: {', '.join(map(str, ref.choices))})" if isinstance(ref, Categorical) else ""
            raise SpaceError(f"parameter '{param.name}' has value {value!r}, which the pipeline "
                             f"cannot use as a {ref.kind}{valid}")


def _fits(ref: Param, value: object) -> bool:
    """Whether ``value`` has the right type (and choice); ranges are the user's to pick."""
    if isinstance(ref, Categorical):
        try:
            ref.check(value)
        except ConfigError:
            return False
        return True
    is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    return is_number and (isinstance(ref, Float) or float(value).is_integer())
