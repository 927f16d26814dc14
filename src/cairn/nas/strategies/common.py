"""What the NAS strategies share: spotting an architecture space, canonical keys, mutation.

The strategies take any :class:`~cairn.space.Space`, so they run wherever cairn makes
optimisers by name. When the space is exactly the space of an
:class:`~cairn.nas.space.ArchitectureSpace` they recognise it and work on networks rather
than configs: two configs with the same canonical cell build the same network, so a
strategy that has proposed one does not propose the other.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np

from cairn.errors import UserError
from cairn.nas.space import ArchitectureSpace
from cairn.space import Categorical, Config, Param, Space

#: Attempts at drawing a config not proposed before, per source of configs.
MAX_TRIES = 100


def architecture_of(space: Space) -> ArchitectureSpace | None:
    """The architecture space whose ``.space()`` is ``space``, or ``None``."""
    if "normal_n0_in0" not in space or "normal_n0_op0" not in space:
        return None
    inputs, ops = space["normal_n0_in0"], space["normal_n0_op0"]
    if not (isinstance(inputs, Categorical) and isinstance(ops, Categorical)):
        return None
    n_nodes = 0
    while f"normal_n{n_nodes}_in0" in space:
        n_nodes += 1
    try:
        arch = ArchitectureSpace(n_nodes, len(inputs.choices), ops.choices, reduction_cell="reduce_n0_in0" in space)
    except UserError:
        return None
    return arch if arch.space() == space else None


def mutable_params(space: Space, config: Config) -> list[Param]:
    """The active parameters of ``config`` that can take another value."""
    return [p for p in space.params if p.name in config and p.n_dims
            and not (isinstance(p, Categorical) and len(p.choices) < 2)]


def mutate(space: Space, config: Config, rng: np.random.Generator) -> Config:
    """``config`` with one active parameter changed to another value (Real et al. 2019).

    In an architecture space that is one operation or one input of one node. Parameters
    that the change makes active are sampled; those it makes inactive are dropped.
    """
    params = mutable_params(space, config)
    if not params:
        return config
    p = params[int(rng.integers(len(params)))]
    new = config[p.name]
    for _ in range(MAX_TRIES):
        new = p.sample(rng)
        if new != config[p.name]:
            break
    return space.complete({**config, p.name: new}, rng)


class Proposals:
    """The networks (or, in other spaces, the configs) a strategy has proposed."""

    def __init__(self, space: Space):
        self.space = space
        self.architecture = architecture_of(space)
        self.keys: set[Hashable] = set()

    def key(self, config: Config) -> Hashable:
        """The canonical key of an architecture config; any other config is its own key."""
        return self.architecture.decode(config).key() if self.architecture is not None else config

    def __contains__(self, config: Config) -> bool:
        return self.key(config) in self.keys

    def add(self, config: Config) -> None:
        self.keys.add(self.key(config))

    def novel(self, make: Callable[[], Config], rng: np.random.Generator) -> Config:
        """The first of up to :data:`MAX_TRIES` configs from ``make`` not proposed before,
        else the first such random sample; a repeat only when both run dry. It is recorded."""
        config = make()
        for source in (make, lambda: self.space.sample(rng)):
            for _ in range(MAX_TRIES):
                if config not in self:
                    self.add(config)
                    return config
                config = source()
        return config


__all__ = ["MAX_TRIES", "Proposals", "architecture_of", "mutable_params", "mutate"]
