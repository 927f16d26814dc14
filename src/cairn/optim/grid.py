"""Grid search: every config of the discretised space, each exactly once."""

from __future__ import annotations

from collections.abc import Mapping

from cairn.errors import SearchExhausted, UserError
from cairn.optim.base import Optimizer
from cairn.space import Config, Float, Int, Space


class GridSearch(Optimizer):
    """Enumerate ``space.grid(resolution)``, in order or shuffled by the seed.

    Shuffling helps when the run may stop early: a prefix of a shuffled grid covers the
    space evenly instead of sweeping one corner. ``ask`` raises
    :class:`~cairn.errors.SearchExhausted` once every point has been proposed.
    """

    name = "grid"

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        resolution: int | Mapping[str, int] = 5,
        shuffle: bool = False,
    ):
        super().__init__(space, seed)
        self.points = space.grid(resolution)
        if shuffle:
            self.points = [self.points[i] for i in self.rng.permutation(len(self.points))]
        self._cursor = 0

    def _propose(self) -> Config:
        if self._cursor >= len(self.points):
            raise SearchExhausted(f"grid search has proposed all {len(self.points)} points")
        self._cursor += 1
        return self.points[self._cursor - 1]


def resolution_for(space: Space, n_points: int) -> dict[str, int]:
    """Per-parameter grid resolutions for a grid of at most ``n_points`` configs.

    Numeric resolutions grow one at a time, coarsest first, while the grid still fits, so
    budgets between powers (e.g. 200 points in 6-D) are used instead of rounding down to
    ``floor(n ** (1 / d))`` per dimension. Categoricals always take all their choices; an
    integer stops growing once its grid holds every value of its range.
    """
    res = {p.name: 1 for p in space.params if isinstance(p, (Float, Int))}
    if space.grid_size(res) > n_points:
        raise UserError(f"the coarsest grid of this space has more than {n_points} points")
    order = {name: i for i, name in enumerate(res)}
    growing = set(res)
    while growing:
        name = min(growing, key=lambda n: (res[n], order[n]))
        candidate = dict(res, **{name: res[name] + 1})
        if space.grid_size(candidate) > n_points:
            growing.discard(name)
            continue
        res = candidate
        p = space[name]
        if isinstance(p, Int) and len(p.grid(res[name])) == p.high - p.low + 1:
            growing.discard(name)
    return res
