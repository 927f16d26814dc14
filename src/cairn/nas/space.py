"""Architecture spaces: a network is one more config of a cairn :class:`~cairn.space.Space`.

A cell (NASNet, Zoph et al. 2018; ENAS) has ``n_nodes`` nodes. Node ``i`` picks two
inputs among the cell's inputs and the nodes before it, applies an operation to each and
adds the results. States are numbered: ``0 .. n_inputs - 1`` are the cell's inputs (the
outputs of the previous one or two cells) and ``n_inputs + i`` is node ``i``. Node ``i``'s
input parameters only offer states below ``n_inputs + i``, so every config of the space
is a valid directed acyclic cell: an invalid architecture cannot be expressed.

The cell's output combines its *loose ends*, the nodes no other node reads through a
real operation. An edge whose operation is ``none`` (the zero operation) contributes
nothing, so its input does not matter and it does not consume that input; the canonical
key below relies on that, and builders must too.

This module needs no torch: spaces, decoding and keys serve table look-ups and the
search strategies on any machine.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from cairn.errors import UserError
from cairn.space import Categorical, Config, Int, Space

#: The cell operations of the issue: the order is the order of every op choice.
OPS: tuple[str, ...] = ("identity", "sep_conv_3x3", "sep_conv_5x5", "avg_pool_3x3", "max_pool_3x3", "none")
NONE = "none"


@dataclass(frozen=True)
class Node:
    """One node: two (input state, operation) edges whose results are added."""

    inputs: tuple[int, int]
    ops: tuple[str, str]

    def edges(self) -> list[tuple[int, str]]:
        return list(zip(self.inputs, self.ops, strict=True))


@dataclass(frozen=True)
class Cell:
    """A decoded cell: its nodes in order and the number of cell inputs."""

    nodes: tuple[Node, ...]
    n_inputs: int

    def loose_ends(self) -> list[int]:
        """States of the nodes no later node reads through a real operation."""
        read = {src for node in self.nodes for src, op in node.edges() if op != NONE}
        return [self.n_inputs + i for i in range(len(self.nodes)) if self.n_inputs + i not in read]

    def canonical(self) -> Cell:
        """The same function written one way: a ``none`` edge reads state 0, each node's
        two edges are sorted. Two configs with equal canonical cells build equal networks."""
        nodes = []
        for node in self.nodes:
            edges = sorted((0 if op == NONE else src, op) for src, op in node.edges())
            nodes.append(Node((edges[0][0], edges[1][0]), (edges[0][1], edges[1][1])))
        return Cell(tuple(nodes), self.n_inputs)

    def key(self) -> str:
        """A compact canonical string, e.g. ``0:sep_conv_3x3+0:max_pool_3x3|...``."""
        return "|".join("+".join(f"{src}:{op}" for src, op in node.edges()) for node in self.canonical().nodes)


class CellSpace:
    """The parameters of one cell: ``{prefix}_n{i}_in{j}`` and ``{prefix}_n{i}_op{j}``."""

    def __init__(self, prefix: str = "normal", n_nodes: int = 5, n_inputs: int = 2, ops: Sequence[str] = OPS):
        if n_nodes < 1:
            raise UserError(f"a cell needs at least one node, got n_nodes={n_nodes}")
        if n_inputs not in (1, 2):
            raise UserError(f"a cell reads one or two earlier cells, got n_inputs={n_inputs}")
        unknown = sorted(set(ops) - set(OPS))
        if unknown or len(set(ops)) != len(ops) or not ops:
            raise UserError(f"cell operations must be distinct names from {list(OPS)}, got {list(ops)}")
        self.prefix, self.n_nodes, self.n_inputs, self.ops = prefix, n_nodes, n_inputs, tuple(ops)

    def _name(self, node: int, what: str, edge: int) -> str:
        return f"{self.prefix}_n{node}_{what}{edge}"

    def params(self) -> list[Categorical]:
        out = []
        for i in range(self.n_nodes):
            for j in (0, 1):
                out.append(Categorical(self._name(i, "in", j), list(range(self.n_inputs + i)), default=self.n_inputs + i - 1))
                out.append(Categorical(self._name(i, "op", j), list(self.ops), default=self.ops[0]))
        return out

    def decode(self, config: Config | dict) -> Cell:
        nodes = []
        for i in range(self.n_nodes):
            try:
                inputs = tuple(int(config[self._name(i, "in", j)]) for j in (0, 1))
                ops = tuple(str(config[self._name(i, "op", j)]) for j in (0, 1))
            except KeyError as exc:
                raise UserError(f"the architecture config lacks {exc.args[0]!r}") from None
            if any(not 0 <= s < self.n_inputs + i for s in inputs) or any(op not in self.ops for op in ops):
                raise UserError(f"node {i} of cell '{self.prefix}' reads {inputs} through {ops}: "
                                f"inputs must be below {self.n_inputs + i} and ops among {list(self.ops)}")
            nodes.append(Node(inputs, ops))  # type: ignore[arg-type]
        return Cell(tuple(nodes), self.n_inputs)

    def encode(self, cell: Cell) -> dict:
        config = {}
        for i, node in enumerate(cell.nodes):
            for j, (src, op) in enumerate(node.edges()):
                config[self._name(i, "in", j)] = src
                config[self._name(i, "op", j)] = op
        return config

    def cells(self) -> Iterator[Cell]:
        """Every distinct cell of this space, once each (by canonical key)."""
        per_node = []
        for i in range(self.n_nodes):
            edges = [(0, NONE)] if NONE in self.ops else []
            edges += [(src, op) for src in range(self.n_inputs + i) for op in self.ops if op != NONE]
            per_node.append([Node((a[0], b[0]), (a[1], b[1]))
                             for a, b in itertools.combinations_with_replacement(sorted(edges), 2)])
        for nodes in itertools.product(*per_node):
            yield Cell(tuple(nodes), self.n_inputs)


@dataclass(frozen=True)
class Architecture:
    """A decoded network: a normal cell and, in the full space, a reduction cell."""

    normal: Cell
    reduce: Cell | None = None

    def key(self) -> str:
        return self.normal.key() if self.reduce is None else f"{self.normal.key()}//{self.reduce.key()}"


class ArchitectureSpace:
    """The NASNet space (normal and reduction cells) or the one-cell space of the table."""

    def __init__(self, n_nodes: int = 5, n_inputs: int = 2, ops: Sequence[str] = OPS, reduction_cell: bool = True):
        self.normal = CellSpace("normal", n_nodes, n_inputs, ops)
        self.reduce = CellSpace("reduce", n_nodes, n_inputs, ops) if reduction_cell else None

    def space(self) -> Space:
        return Space(self.normal.params() + (self.reduce.params() if self.reduce else []))

    def decode(self, config: Config | dict) -> Architecture:
        return Architecture(self.normal.decode(config), self.reduce.decode(config) if self.reduce else None)

    def encode(self, arch: Architecture) -> dict:
        config = self.normal.encode(arch.normal)
        if self.reduce is not None:
            if arch.reduce is None:
                raise UserError("this space has a reduction cell and the architecture has none")
            config.update(self.reduce.encode(arch.reduce))
        return config


def table_space() -> ArchitectureSpace:
    """The small space the tabular benchmark trains exhaustively: one two-node cell read
    from one input, all six operations (1,386 distinct cells)."""
    return ArchitectureSpace(n_nodes=2, n_inputs=1, reduction_cell=False)


def macro_space(kind: str = "cnn", max_depth: int = 4) -> Space:
    """A plain space of depth, per-layer width and (for CNNs) kernel size.

    Layer ``k``'s parameters are active only when ``depth > k``, so a config never
    carries a layer the network does not have.
    """
    if kind not in ("mlp", "cnn"):
        raise UserError(f"a macro space is for 'mlp' or 'cnn', got {kind!r}")
    if max_depth < 1:
        raise UserError(f"a macro space needs max_depth of at least 1, got {max_depth}")
    params: list = [Int("depth", 1, max_depth, default=2)]
    conditions: dict[str, dict[str, list[int]]] = {}
    widths = [16, 32, 64, 128] if kind == "cnn" else [32, 64, 128, 256]
    for k in range(max_depth):
        layer = [Categorical(f"width{k}", widths, default=widths[1])]
        if kind == "cnn":
            layer.append(Categorical(f"kernel{k}", [3, 5], default=3))
        for p in layer:
            params.append(p)
            if k > 0:
                conditions[p.name] = {"depth": list(range(k + 1, max_depth + 1))}
    return Space(params, conditions)
