"""Lineage: what every value was computed from, and reuse of what was computed before."""

from cairn.lineage.item import Item, Patch, canonical, dataset, expand, leaf
from cairn.lineage.recompute import data_resolver, operation, recompute
from cairn.lineage.trace import parse, serialize

__all__ = ["Item", "Patch", "canonical", "data_resolver", "dataset", "expand", "leaf", "operation", "parse",
           "recompute", "serialize"]
