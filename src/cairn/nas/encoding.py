"""Path encoding of architectures (BANANAS, White et al. 2021).

A surrogate model needs a vector per architecture in which similar networks lie close.
The adjacency of a cell is a poor one: the same network has many adjacency matrices,
and one changed input can reroute everything downstream. The path encoding instead
counts, for every input-to-output path through the cell, the sequence of operations
along it: a feature is ``(cell, input state, op sequence)`` and its value the number of
such paths. Paths run along real operations only (a ``none`` edge carries nothing) and
end at the cell's loose ends, the states its output combines, so equal canonical keys
give equal encodings.

Paths grow exponentially with the number of nodes; ``max_length`` keeps only the paths
through at most that many operations (BANANAS's *truncated* path encoding), which are
the ones most architectures have.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping

import numpy as np

from cairn.errors import UserError
from cairn.nas.space import NONE, Architecture, ArchitectureSpace, Cell, CellSpace

Path = tuple[int, tuple[str, ...]]


def cell_paths(cell: Cell) -> Counter[Path]:
    """How many input-to-output paths of the cell start at each input with each op sequence."""
    reach: dict[int, Counter[Path]] = {s: Counter({(s, ()): 1}) for s in range(cell.n_inputs)}
    for i, node in enumerate(cell.nodes):
        here: Counter[Path] = Counter()
        for src, op in node.edges():
            if op != NONE:
                for (start, ops), count in reach[src].items():
                    here[(start, (*ops, op))] += count
        reach[cell.n_inputs + i] = here
    out: Counter[Path] = Counter()
    for state in cell.loose_ends():
        out.update(reach[state])
    return out


class PathEncoding:
    """Fixed-length path-count vectors for the architectures of one space."""

    def __init__(self, space: ArchitectureSpace, max_length: int | None = None):
        if max_length is not None and max_length < 1:
            raise UserError(f"paths need at least one operation, got max_length={max_length}")
        self.space = space
        cells = [space.normal] + ([space.reduce] if space.reduce is not None else [])
        self.max_length = min(max_length or space.normal.n_nodes, space.normal.n_nodes)
        self.features: list[tuple[str, int, tuple[str, ...]]] = [
            (cell.prefix, start, ops) for cell in cells for start, ops in _all_paths(cell, self.max_length)]
        self._index = {feature: i for i, feature in enumerate(self.features)}

    def __len__(self) -> int:
        return len(self.features)

    def encode(self, arch: Architecture | Mapping) -> np.ndarray:
        """The path counts of ``arch`` (an :class:`Architecture` or a config of the space)."""
        if not isinstance(arch, Architecture):
            arch = self.space.decode(arch)
        x = np.zeros(len(self.features))
        for prefix, cell in (("normal", arch.normal), ("reduce", arch.reduce)):
            if cell is None:
                continue
            for (start, ops), count in cell_paths(cell).items():
                if len(ops) <= self.max_length:
                    x[self._index[(prefix, start, ops)]] += count
        return x


def _all_paths(cell: CellSpace, max_length: int) -> list[Path]:
    """Every path feature of one cell space, shortest first: inputs times op sequences."""
    ops = [op for op in cell.ops if op != NONE]
    return [(start, seq) for length in range(1, max_length + 1)
            for start in range(cell.n_inputs) for seq in itertools.product(ops, repeat=length)]


__all__ = ["PathEncoding", "cell_paths"]
