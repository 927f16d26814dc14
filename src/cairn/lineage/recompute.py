"""Rebuilding a value from its lineage: every operation a trace may name, and a runner.

Modules that trace an operation register how to compute it with :func:`operation`, so a
trace written by any part of cairn can be replayed by :func:`recompute`. Data leaves are
resolved by fingerprint: from the ``data`` mapping given, else by the resolvers
registered with :func:`data_resolver` (bundled datasets, registered dataset versions).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from cairn.errors import UserError
from cairn.lineage.item import ARG, Item, expand
from cairn.lineage.trace import parse

#: op name -> fn(item, input values) -> value
OPERATIONS: dict[str, Callable[[Item, list[Any]], Any]] = {}
#: fn(item) -> value or None, tried in order for ``data`` leaves
RESOLVERS: list[Callable[[Item], Any]] = []
#: Modules whose import registers operations; imported by :func:`recompute` on demand.
PROVIDERS: list[str] = ["cairn.lineage.linalg", "cairn.lineage.sklearn_ops", "cairn.automl.engine"]


def operation(name: str) -> Callable[[Callable[[Item, list[Any]], Any]], Callable[[Item, list[Any]], Any]]:
    """Register ``fn(item, inputs)`` as the way to compute items of operation ``name``."""
    def register(fn: Callable[[Item, list[Any]], Any]) -> Callable[[Item, list[Any]], Any]:
        OPERATIONS[name] = fn
        return fn
    return register


def data_resolver(fn: Callable[[Item], Any]) -> Callable[[Item], Any]:
    """Register ``fn(item)``: the data of a ``data`` leaf, or ``None`` if it does not know it."""
    RESOLVERS.append(fn)
    return fn


def recompute(trace: str | Item, data: Mapping[str, Any] | None = None) -> Any:
    """The value a trace (text or item) describes, computed from its data leaves.

    ``data`` maps fingerprints to the values of data leaves; leaves not in it go to the
    registered resolvers. Raises a UserError naming the first operation or data leaf
    that cannot be computed.
    """
    for module in PROVIDERS:
        importlib.import_module(module)
    root = expand(parse(trace) if isinstance(trace, str) else trace)
    values: dict[int, Any] = {}
    for item in root.walk():
        if item.op == ARG:
            raise UserError("the lineage trace has a placeholder outside a patch")
        values[id(item)] = _compute(item, [values[id(i)] for i in item.inputs], data or {})
    return values[id(root)]


def _compute(item: Item, inputs: list[Any], data: Mapping[str, Any]) -> Any:
    if item.op == "data":
        if item.data in data:
            return data[item.data]
        for resolve in RESOLVERS:
            value = resolve(item)
            if value is not None:
                return value
        raise UserError(f"no data with fingerprint {item.data} ({item.literal}) is available to recompute from")
    fn = OPERATIONS.get(item.op)
    if fn is None:
        raise UserError(f"cannot recompute lineage operation '{item.op}': no module registers it")
    return fn(item, inputs)
