"""What a catalog entry is: a named scikit-learn estimator with its own search space.

Entries are plain data so that the catalog, the pipeline builder and the space checker
all read the same facts, and multi-fidelity strategies can see which estimator argument
counts iterations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from cairn.errors import ConfigError
from cairn.space import Int, Space

Params = Mapping[str, Any]


@dataclass(frozen=True)
class Fidelity:
    """An estimator argument that counts iterations, and the range worth spending."""

    param: str
    low: int
    high: int


@dataclass(frozen=True)
class Learner:
    """One learner for one task.

    ``factory(params, seed)`` builds the unfitted estimator from this learner's own
    (un-prefixed) parameters; ``space`` holds those parameters with sensible ranges.
    """

    name: str
    task: str
    factory: Callable[[Params, int], Any]
    space: Space
    fidelity: Fidelity | None = None

    def build(self, params: Params, seed: int, iterations: int | None = None) -> Any:
        """The estimator for ``params`` (missing ones take defaults), optionally with
        its iteration fidelity set to ``iterations``."""
        unknown = sorted(set(params) - set(self.space.names))
        if unknown:
            raise ConfigError(f"learner '{self.name}' has no parameter '{unknown[0]}' "
                              f"(it has: {', '.join(self.space.names) or 'none'})")
        full = {**self.space.default(), **params}
        full = {k: int(v) if isinstance(self.space[k], Int) else v for k, v in full.items()}
        estimator = self.factory(full, seed)
        if iterations is not None and self.fidelity is not None:
            estimator.set_params(**{self.fidelity.param: max(1, int(iterations))})
        return estimator


def both_tasks(name: str, factory: Callable[..., Any], space: Space, classifier: type,
               regressor: type, fidelity: Fidelity | None = None) -> list[Learner]:
    """One learner for both tasks: a shared space and ``factory(estimator_class, params, seed)``."""
    return [Learner(name, task, partial(factory, cls), space, fidelity)
            for task, cls in (("classification", classifier), ("regression", regressor))]
