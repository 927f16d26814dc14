"""Labeling functions: named heuristics that vote a class or abstain.

A labeling function (LF) is a plain Python function wrapped with a name, so that its
votes, its analysis and its errors can be told apart from the others'. It either takes
one row and returns a class (``0, 1, ...``) or :data:`ABSTAIN`, or, when
``vectorized``, takes the whole DataFrame or array and returns one vote per row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cairn.errors import UserError
from cairn.weak.labels import ABSTAIN


@dataclass(frozen=True)
class LabelingFunction:
    """``fn`` with a ``name``; ``resources`` are passed to it as keyword arguments
    (lexicons, thresholds, models), so one function can serve several LFs."""

    name: str
    fn: Callable[..., Any]
    vectorized: bool = False
    resources: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise UserError("a labeling function needs a non-empty name")
        if not callable(self.fn):
            raise UserError(f"labeling function '{self.name}' wraps {self.fn!r}, which is not callable")

    def __call__(self, x: Any) -> Any:
        return self.fn(x, **self.resources)

    def __repr__(self) -> str:
        kind = "vectorized " if self.vectorized else ""
        return f"LabelingFunction({self.name!r}, {kind}{getattr(self.fn, '__qualname__', self.fn)!r})"


def labeling_function(name: str | None = None, *, vectorized: bool = False,
                      resources: Mapping[str, Any] | None = None) -> Callable[[Callable[..., Any]], LabelingFunction]:
    """Decorator: ``@labeling_function()`` turns a function into a :class:`LabelingFunction`
    named after it (or ``name``). With ``vectorized=True`` the function receives the whole
    DataFrame or array and returns one vote per row."""

    def wrap(fn: Callable[..., Any]) -> LabelingFunction:
        return LabelingFunction(name or fn.__name__, fn, vectorized, dict(resources or {}))

    return wrap


__all__ = ["ABSTAIN", "LabelingFunction", "labeling_function"]
