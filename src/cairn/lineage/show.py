"""Lineage DAGs for people: numbered text lines, or Graphviz dot.

Both views number items as the stored trace does (a patch body before its first
instance, inputs before the items that use them) and show a patch body once: in text as
a block headed ``patch NAME``, in dot as a cluster, with each instance a node whose
dashed edge points at its body. Labels are the operation and a short literal: an
estimator as its class with the parameters that differ from the class defaults.
"""

from __future__ import annotations

import importlib
import inspect
import json
from typing import Any

from cairn.errors import UserError
from cairn.lineage.item import ARG, Item, canonical

LABEL_WIDTH = 72


def numbered(root: Item) -> list[Item]:
    """Every item once, each patch body before its first instance, inputs first."""
    order: list[Item] = []
    seen: set[bytes] = set()

    def add(item: Item) -> None:
        for node in item.walk():
            if node.body is not None and node.body.digest not in seen:
                add(node.body)
            if node.digest not in seen:
                seen.add(node.digest)
                order.append(node)

    add(root)
    return order


def text(root: Item) -> str:
    """One line per item (number, operation, label, inputs, extras); the items of a patch
    body indented under a ``patch NAME`` header."""
    items = numbered(root)
    number = {item.digest: n for n, item in enumerate(items)}
    members = _body_members(items)
    names = {number[i.body.digest]: label(i) for i in items if i.body is not None}
    lines, current = [], None
    for n, item in enumerate(items):
        body = members.get(n)
        if body is not None and body != current:
            lines.append(f"patch {names.get(body, '')} (body #{body}, shown once):")
        current = body
        inputs = ", ".join(f"#{number[i.digest]}" for i in item.inputs)
        extras = [f"{name} {value}" for name, value in (("seed", item.seed), ("data", item.data and item.data[:12]),
                  ("body", item.body and f"#{number[item.body.digest]}")) if value is not None]
        fields = [f"#{n}", item.op, label(item), f"<- {inputs}" if inputs else "", f"({', '.join(extras)})" if extras else ""]
        lines.append(("    " if body is not None else "") + "  ".join(f for f in fields if f))
    return "\n".join(lines) + "\n"


def dot(root: Item) -> str:
    """The DAG in Graphviz dot: edges from inputs to users, patch bodies as clusters."""
    items = numbered(root)
    number = {item.digest: n for n, item in enumerate(items)}
    members = _body_members(items)
    names = {number[i.body.digest]: label(i) for i in items if i.body is not None}
    clusters: dict[int | None, list[str]] = {}
    for n, item in enumerate(items):
        text = f"#{n} {item.op}" + (f"\n{label(item)}" if item.literal is not None else "")
        style = ", style=dashed" if item.op == ARG else ""
        clusters.setdefault(members.get(n), []).append(f'n{n} [label="{_escape(text)}"{style}];')
    lines = ["digraph lineage {", '  node [shape=box, fontname="monospace", fontsize=10];']
    lines += [f"  {node}" for node in clusters.pop(None, [])]
    for body, nodes in clusters.items():
        lines += [f"  subgraph cluster_{body} {{", f'    label="patch {_escape(names.get(body, ""))} (body, once)";',
                  *(f"    {node}" for node in nodes), "  }"]
    for n, item in enumerate(items):
        lines += [f"  n{number[i.digest]} -> n{n};" for i in item.inputs]
        if item.body is not None:
            lines.append(f'  n{n} -> n{number[item.body.digest]} [style=dashed, label="body"];')
    return "\n".join([*lines, "}"]) + "\n"


def _body_members(items: list[Item]) -> dict[int, int]:
    """Item number -> number of its patch body, for the items of a body: those that
    depend on one of its placeholders."""
    number = {item.digest: n for n, item in enumerate(items)}
    members: dict[int, int] = {}
    for body in {i.body.digest: i.body for i in items if i.body is not None}.values():
        placeholder_bound: set[bytes] = set()
        for node in body.walk():
            if node.op == ARG or any(i.digest in placeholder_bound for i in node.inputs):
                placeholder_bound.add(node.digest)
                members.setdefault(number[node.digest], number[body.digest])
    return members


def label(item: Item, width: int = LABEL_WIDTH) -> str:
    """A short literal: estimators as class and non-default parameters, the rest compact."""
    if item.literal is None:
        return ""
    text = _short(json.loads(item.literal), top=True)
    return text if len(text) <= width else text[: width - 1] + "…"


def _short(value: Any, top: bool = False) -> str:
    if isinstance(value, dict) and "class" in value and "params" in value:
        defaults = _defaults(value["class"])
        shown = [f"{k}={_short(v)}" for k, v in sorted(value["params"].items())
                 if k not in defaults or defaults[k] != v]
        return f"{value['class'].rsplit('.', 1)[-1]}({', '.join(shown)})"
    if isinstance(value, dict) and "function" in value:
        return value["function"].rsplit(".", 1)[-1]
    if isinstance(value, dict):
        pairs = " ".join(f"{k}={_short(v)}" for k, v in value.items())
        return pairs if top else f"{{{pairs}}}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


def _defaults(path: str) -> dict[str, Any]:
    """The canonical default parameters of the estimator class at ``path``, if importable."""
    module, _, name = path.rpartition(".")
    try:
        params = inspect.signature(getattr(importlib.import_module(module), name).__init__).parameters.values()
        return {p.name: json.loads(canonical(p.default)) for p in params if p.default is not inspect.Parameter.empty}
    except (ImportError, AttributeError, TypeError, ValueError, UserError):
        return {}  # labels only: without defaults, every parameter is shown


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
