"""Random search: independent samples from the space, the baseline every strategy must beat."""

from __future__ import annotations

from cairn.optim.base import Optimizer
from cairn.space import Config, Float, Space


class RandomSearch(Optimizer):
    """Monte Carlo sampling with ``space.sample`` (numerics uniform on their scale).

    On a finite space (no floats) repeats are likely and waste evaluations, so a sample
    already proposed is redrawn, up to ``max_redraws`` times; after that the repeat is
    returned, as the space is then nearly used up. Continuous spaces skip the bookkeeping.
    """

    name = "random"

    def __init__(self, space: Space, seed: int | None = 0, max_redraws: int = 100):
        super().__init__(space, seed)
        self.max_redraws = max_redraws
        finite = not any(isinstance(p, Float) for p in space.params)
        self._seen: set[Config] | None = set() if finite else None

    def _propose(self) -> Config:
        config = self.space.sample(self.rng)
        if self._seen is None:
            return config
        for _ in range(self.max_redraws):
            if config not in self._seen:
                break
            config = self.space.sample(self.rng)
        self._seen.add(config)
        return config
