"""Batches of configs as unit-hypercube matrices, so models never loop over configs.

Model-based strategies score thousands of candidates per proposal; building a ``Config``
for each would dominate their cost. :class:`Encoding` works on matrices with the layout
of :meth:`Space.encode` (one-hot categoricals, numerics on their unit scale) and turns
arbitrary points into *canonical* ones, row by row ``space.encode(space.decode(u))``,
plus a mask of which columns are active.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cairn.space import INACTIVE, Categorical, Config, Constant, Int, Param, Space

#: Integers with at most this many values snap through a lookup table, others one by one.
MAX_INT_TABLE = 4096


class Encoding:
    """The unit-hypercube layout of one :class:`Space`, with vectorised operations."""

    def __init__(self, space: Space):
        self.space = space
        self.n_dims = space.n_dims
        self._params = space.params
        self.columns: dict[str, slice] = {}
        i = 0
        for p in self._params:
            self.columns[p.name] = slice(i, i + p.n_dims)
            i += p.n_dims
        searchable = [p for p in self._params if p.n_dims]
        self.n_searchable = len(searchable)
        self.numeric = np.array(
            [self.columns[p.name].start for p in searchable if not isinstance(p, Categorical)], dtype=int
        )
        self.blocks = [self.columns[p.name] for p in searchable if isinstance(p, Categorical)]
        self.one_hot = np.array([i for b in self.blocks for i in range(b.start, b.stop)], dtype=int)
        self.n_choices = np.array([b.stop - b.start for b in self.blocks for _ in range(b.start, b.stop)], dtype=float)
        self._categoricals = [p for p in searchable if isinstance(p, Categorical)]
        self._ints = [(p, self.columns[p.name].start, _IntSnap(p)) for p in searchable if isinstance(p, Int)]
        self._conditions = space.conditions
        self._conditional = [p for p in self._params if p.name in self._conditions]

    # -- conversions -------------------------------------------------------------------

    def encode(self, configs: Sequence[Config]) -> tuple[np.ndarray, np.ndarray]:
        """Matrix ``(n, n_dims)`` of encoded configs and its column activity mask."""
        U = np.array([self.space.encode(c) for c in configs], dtype=float).reshape(len(configs), self.n_dims)
        M = np.ones(U.shape, dtype=bool)
        for p in self._conditional:
            if p.n_dims:
                M[:, self.columns[p.name]] = np.array([p.name in c for c in configs])[:, None]
        return U, M

    def decode(self, u: np.ndarray) -> Config:
        return self.space.decode(u)

    def canonical(self, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Snap rows of ``V`` to the encodings of the configs they decode to.

        Categorical blocks become one-hot at their argmax, integers move to the centre
        of their cell, and parameters made inactive by their parents get the inactive
        encoding. Returns the canonical matrix and its column activity mask.
        """
        U = np.clip(np.asarray(V, dtype=float), 0.0, 1.0)
        rows = np.arange(len(U))
        codes: dict[str, np.ndarray] = {}
        for p in self._categoricals:
            cols = self.columns[p.name]
            codes[p.name] = np.argmax(U[:, cols], axis=1)
            U[:, cols] = 0.0
            U[rows, cols.start + codes[p.name]] = 1.0
        for _, col, snap in self._ints:
            U[:, col] = snap(U[:, col])
        M = np.ones(U.shape, dtype=bool)
        active: dict[str, np.ndarray] = {}
        for p in self._conditional:
            on = np.ones(len(U), dtype=bool)
            for parent, allowed in self._conditions[p.name].items():
                if parent in active:
                    on &= active[parent]
                on &= self._parent_matches(self.space[parent], allowed, U, codes)
            active[p.name] = on
            if p.n_dims:
                cols = self.columns[p.name]
                M[:, cols] = on[:, None]
                U[~on, cols] = 0.0 if isinstance(p, Categorical) else INACTIVE
        return U, M

    def _parent_matches(self, parent: Param, allowed: list, U: np.ndarray, codes: dict) -> np.ndarray:
        if isinstance(parent, Categorical):
            return np.isin(codes[parent.name], [parent.index(v) for v in allowed])
        if isinstance(parent, Constant):
            return np.full(len(U), parent.value in allowed)
        col = self.columns[parent.name].start
        return np.array([parent.from_unit(u) in allowed for u in U[:, col]], dtype=bool)

    # -- random points -------------------------------------------------------------------

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` canonical points distributed like ``space.sample``."""
        return self.canonical(rng.random((n, self.n_dims)))

    def perturb(
        self, U: np.ndarray, M: np.ndarray, rng: np.random.Generator, scale: float | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Random neighbours of canonical points, for local search.

        Numerics move by ``N(0, scale)`` (reflected at the bounds); each categorical
        switches to a random choice with probability ``scale``; parameters that become
        active start from random values. ``scale`` is one number or one per row.
        """
        scale = np.broadcast_to(np.asarray(scale, dtype=float).reshape(-1, 1), (len(U), 1))
        R = rng.random(U.shape)
        V = np.where(M, U, R)
        V[:, self.numeric] = _reflect(V[:, self.numeric] + scale * rng.standard_normal((len(V), len(self.numeric))))
        for cols in self.blocks:
            switch = rng.random(len(V)) < scale[:, 0]
            V[switch, cols] = R[switch, cols]
        return self.canonical(V)


class _IntSnap:
    """Moves unit positions to the centre of their integer's cell, as decode+encode would.

    Cell edges are where ``from_unit`` rounds to the next integer, ``to_unit(k + 0.5)``;
    a table of them makes snapping one ``searchsorted``.
    """

    def __init__(self, p: Int):
        self.p = p
        self.table = p.high - p.low < MAX_INT_TABLE
        if self.table:
            ints = np.arange(p.low, p.high + 1)
            self.centres = np.array([p.to_unit(int(k)) for k in ints])
            self.edges = np.array([p.to_unit(k + 0.5) for k in ints[:-1]])

    def __call__(self, u: np.ndarray) -> np.ndarray:
        if self.table:
            return self.centres[np.searchsorted(self.edges, u)]
        return np.array([self.p.to_unit(self.p.from_unit(x)) for x in u])


def _reflect(u: np.ndarray) -> np.ndarray:
    """Fold values back into [0, 1] by mirroring at the bounds."""
    u = np.abs(u) % 2.0
    return np.where(u > 1.0, 2.0 - u, u)
