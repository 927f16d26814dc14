"""A lineage DAG laid out for drawing: nodes in columns, edges from inputs to users.

Items are numbered as ``cairn lineage`` numbers them (:func:`cairn.lineage.show.numbered`).
An item's column is one past the furthest of its inputs (and of its patch body), so data
flows left to right; within a column, items sit in the order of the mean row of their
inputs (one barycentre sweep), which keeps a fold's steps in line and edges short. The
items of patch bodies (those computed from a placeholder) get a band of their own below
the rest, so the page can box them as ``cairn lineage --dot`` draws a cluster. The page
draws the result as SVG; this module only decides where things go.
"""

from __future__ import annotations

import json
from typing import Any

from cairn.lineage import show
from cairn.lineage.item import ARG, Item

NODE_WIDTH = 210
NODE_HEIGHT = 38
COLUMN_GAP = 60
ROW_GAP = 14
LABEL_WIDTH = 30
BODY_GAP = 22  # room above the patch-body band for its box's title


def layout(root: Item) -> dict[str, Any]:
    """Nodes (number, op, labels, position), edges (``input`` or ``body``) and the box
    around patch bodies of ``root``'s DAG."""
    items = show.numbered(root)
    number = {item.digest: n for n, item in enumerate(items)}
    sources = [[number[i.digest] for i in item.inputs] + ([number[item.body.digest]] if item.body else [])
               for item in items]
    column: list[int] = []
    in_body: list[bool] = []  # computed from a placeholder: part of a patch body
    for item, preds in zip(items, sources, strict=True):
        column.append(1 + max((column[p] for p in preds), default=-1))
        in_body.append(item.op == ARG or any(in_body[number[i.digest]] for i in item.inputs))
    columns = max(column, default=-1) + 1
    row: dict[int, float] = {}
    # Bodies get a band of their own below everything else, so they can be boxed.
    band = max((sum(1 for n in range(len(items)) if column[n] == c and not in_body[n]) for c in range(columns)),
               default=0)
    for c in range(columns):
        for body in (False, True):
            members = [n for n in range(len(items)) if column[n] == c and in_body[n] == body]
            members.sort(key=lambda n: (sum(row[p] for p in sources[n]) / len(sources[n]) if sources[n] else n, n))
            row.update({n: float(i + (band if body else 0)) for i, n in enumerate(members)})
    nodes = [_node(n, item, column[n], int(row[n]), number, BODY_GAP if in_body[n] else 0) for n, item in enumerate(items)]
    edges = [{"source": number[i.digest], "target": n, "kind": "input"} for n, item in enumerate(items) for i in item.inputs]
    edges += [{"source": number[item.body.digest], "target": n, "kind": "body"}
              for n, item in enumerate(items) if item.body is not None]
    rows = max((int(r) for r in row.values()), default=-1) + 1
    return {"nodes": nodes, "edges": edges, "root": len(items) - 1, "body_box": _box([nd for nd in nodes if in_body[nd["id"]]]),
            "width": columns * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP if columns else 0,
            "height": rows * (NODE_HEIGHT + ROW_GAP) - ROW_GAP + (BODY_GAP if any(in_body) else 0) if rows else 0,
            "node_width": NODE_WIDTH, "node_height": NODE_HEIGHT}


def _box(members: list[dict[str, Any]]) -> dict[str, int] | None:
    """The rectangle around the patch-body nodes, with a margin (``None`` without bodies)."""
    if not members:
        return None
    pad = ROW_GAP // 2
    x0, y0 = min(m["x"] for m in members) - pad, min(m["y"] for m in members) - BODY_GAP + pad
    return {"x": x0, "y": y0, "width": max(m["x"] for m in members) + NODE_WIDTH + pad - x0,
            "height": max(m["y"] for m in members) + NODE_HEIGHT + pad - y0}


def _node(n: int, item: Item, column: int, row: int, number: dict[bytes, int], offset: int) -> dict[str, Any]:
    label = show.label(item)
    return {
        "id": n, "op": item.op, "label": show.label(item, LABEL_WIDTH), "full_label": label,
        "literal": json.loads(item.literal) if item.literal is not None else None,
        "seed": item.seed, "data": item.data, "digest": item.digest.hex(),
        "inputs": [number[i.digest] for i in item.inputs],
        "body": number[item.body.digest] if item.body is not None else None,
        "x": column * (NODE_WIDTH + COLUMN_GAP), "y": row * (NODE_HEIGHT + ROW_GAP) + offset,
    }
