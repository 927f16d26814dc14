"""Lineage DAGs as compact text traces, and back.

One line per distinct item (by digest), inputs before the items that use them, fields
separated by tabs::

    cairn-lineage 1
    <n> <op> <input numbers, comma-separated> <seed> <data> <literal as JSON> <body number>

A patch body is written once, before its first instance, however many instances (folds,
epochs) use it; that is the deduplication of loops. The last line is the root.
"""

from __future__ import annotations

import json

from cairn.errors import UserError
from cairn.lineage.item import Item

HEADER = "cairn-lineage 1"


def serialize(root: Item) -> str:
    """The text trace of ``root``'s whole DAG, each item once."""
    numbers: dict[bytes, int] = {}
    lines = [HEADER]
    pending = [root]
    while pending:  # bodies go first; a body is entered only when first met
        item = pending[-1]
        bodies = [n.body for n in item.walk() if n.body is not None and n.body.digest not in numbers]
        if bodies:
            pending.append(bodies[0])
            continue
        pending.pop()
        for node in item.walk():
            if node.digest in numbers:
                continue
            numbers[node.digest] = len(numbers)
            fields = (str(numbers[node.digest]), node.op, ",".join(str(numbers[i.digest]) for i in node.inputs),
                      "" if node.seed is None else str(node.seed), node.data or "", json.dumps(node.literal),
                      "" if node.body is None else str(numbers[node.body.digest]))
            lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


def parse(text: str) -> Item:
    """The root item of a trace written by :func:`serialize`."""
    lines = text.strip("\n").split("\n")
    if not lines or lines[0] != HEADER:
        raise UserError(f"not a lineage trace: the first line must be '{HEADER}'")
    items: list[Item] = []
    for n, line in enumerate(lines[1:], 2):
        try:
            fields = line.split("\t")
            if len(fields) != 7:
                raise ValueError(f"it has {len(fields)} tab-separated fields instead of 7")
            number, op, inputs, seed, data, literal, body = fields
            if int(number) != len(items):
                raise ValueError(f"item {number} comes out of order")
            refs = [_defined(items, i) for i in inputs.split(",")] if inputs else []
            item = Item(op, refs, json.loads(literal), data or None, int(seed) if seed else None,
                        body=_defined(items, body) if body else None)
        except (ValueError, UserError) as exc:
            raise UserError(f"line {n} of the lineage trace is malformed: {exc}") from None
        items.append(item)
    if not items:
        raise UserError("the lineage trace holds no items")
    return item


def _defined(items: list[Item], number: str) -> Item:
    """The item a reference names, which must come earlier in the trace."""
    k = int(number)
    if not 0 <= k < len(items):
        raise ValueError(f"item {k} is used before it is defined")
    return items[k]
