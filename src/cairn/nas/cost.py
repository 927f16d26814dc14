"""What a network costs, and multi-objective NAS: accuracy against parameters and CPU latency.

Parameters and FLOPs are counted; latency is measured, as the median of several timed forward
passes on one thread after warm-up runs (the median shrugs off the odd slow pass a
shared machine throws in). :class:`CostObjective` puts both beside any accuracy
objective's loss as a trial's objectives, and :func:`pareto_search` runs it as a cairn
Study and returns the Pareto front: every trial no other trial beats on error,
parameters and latency at once.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from cairn.errors import UserError
from cairn.nas.build import NetSettings, build_macro, build_network, count_parameters
from cairn.nas.space import ArchitectureSpace, macro_space
from cairn.optim import make_optimizer
from cairn.optim.pareto import pareto_front
from cairn.space import Space
from cairn.study import Study, StudyResult
from cairn.track import Store
from cairn.trial import Result, Trial


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread inside the block, as every timing here assumes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def latency(module: nn.Module, example: Tensor, *, repeats: int = 15, warmup: int = 3) -> float:
    """Median seconds of one forward pass of ``example`` through ``module`` in evaluation
    mode on one thread, over ``repeats`` timed passes after ``warmup`` untimed ones."""
    if repeats < 1 or warmup < 0:
        raise UserError(f"latency needs at least one timed pass and no negative warm-up, got {repeats} and {warmup}")
    module.eval()
    times = []
    with one_thread(), torch.no_grad():
        for i in range(warmup + repeats):
            start = time.perf_counter()
            module(example)
            if i >= warmup:
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def flops(module: nn.Module, example: Tensor) -> int:
    """Floating-point operations of one forward pass of ``example`` (torch's count:
    convolutions and matrix products, two per multiply-add; pooling is free)."""
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(example)
    return int(counter.get_total_flops())


@dataclass(frozen=True)
class Cost:
    """A network's trainable parameters and its median CPU latency in milliseconds."""

    params: int
    latency_ms: float


def network_cost(module: nn.Module, input_shape: tuple[int, ...], *, batch: int = 1, repeats: int = 15,
                 warmup: int = 3) -> Cost:
    """The :class:`Cost` of ``module`` on a batch of ``batch`` inputs of ``input_shape``
    (per example, e.g. ``(1, 8, 8)``)."""
    example = torch.zeros(batch, *input_shape)
    return Cost(count_parameters(module), 1000.0 * latency(module, example, repeats=repeats, warmup=warmup))


@dataclass
class CostObjective:
    """``(config, budget) -> Result`` with objectives (loss, parameters, latency in ms).

    ``accuracy`` is any objective of the same configs (a
    :class:`~cairn.nas.train.TrainingObjective`, a table look-up); its loss stays the
    trial's loss, so single-objective strategies still optimise accuracy, while the
    objectives let :func:`~cairn.optim.pareto.pareto_front` and ParEGO-style strategies
    trade it against cost. ``space`` is an :class:`ArchitectureSpace` or ``"mlp"`` /
    ``"cnn"`` for macro configs; networks are built with ``settings``. A network's cost
    is measured once and kept under its canonical key, so equal networks cost the same.
    """

    accuracy: Callable[..., Result]
    space: ArchitectureSpace | str
    settings: NetSettings = field(default_factory=NetSettings)
    batch: int = 1
    repeats: int = 15
    warmup: int = 3
    _costs: dict[Any, Cost] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.space, str) and self.space not in ("mlp", "cnn"):
            raise UserError(f"a cost objective's space is an ArchitectureSpace, 'mlp' or 'cnn', got {self.space!r}")
        if self.batch < 1:
            raise UserError(f"the latency batch must be at least 1, got {self.batch}")

    def network(self, config: Mapping[str, Any]) -> nn.Module:
        if isinstance(self.space, ArchitectureSpace):
            return build_network(self.space.decode(config), self.settings)
        return build_macro(config, self.space, self.settings)

    def _key(self, config: Mapping[str, Any]) -> Any:
        if isinstance(self.space, ArchitectureSpace):
            return self.space.decode(config).key()
        return tuple(sorted(config.items()))

    def cost(self, config: Mapping[str, Any]) -> Cost:
        """The parameters and latency of ``config``'s network (measured on first request)."""
        key = self._key(config)
        if key not in self._costs:
            shape = (self.settings.in_channels, self.settings.image_size, self.settings.image_size)
            self._costs[key] = network_cost(self.network(config), shape, batch=self.batch,
                                            repeats=self.repeats, warmup=self.warmup)
        return self._costs[key]

    def __call__(self, config: Mapping[str, Any], budget: float | None = None) -> Result:
        inner = self.accuracy(config, budget)
        if not inner.ok:
            return inner
        start = time.perf_counter()
        c = self.cost(config)
        return Result(loss=inner.loss, metrics={**inner.metrics, "params": float(c.params), "latency_ms": c.latency_ms},
                      cost=inner.cost + time.perf_counter() - start, objectives=(inner.loss, float(c.params),
                                                                                 c.latency_ms),
                      lineage=inner.lineage)


@dataclass
class ParetoSearch:
    """A multi-objective study and its Pareto front (the non-dominated successful trials)."""

    study: StudyResult
    front: list[Trial]


def pareto_search(objective: CostObjective, space: Space | None = None, *, strategy: str = "random",
                  n_trials: int | None = 50, time_budget: float | None = None, seed: int = 0,
                  store: Store | None = None, experiment: str = "nas", **options: Any) -> ParetoSearch:
    """Search ``space`` (default: the objective's cell space, or its macro space with the
    default depth) with a cairn Study (any strategy by name; ``options`` go to it) and
    return the study with its Pareto front."""
    if space is None:
        space = objective.space.space() if isinstance(objective.space, ArchitectureSpace) else macro_space(objective.space)
    optimizer = make_optimizer(strategy, space, seed=seed, **options)
    study = Study(optimizer, objective, store=store, experiment=experiment, n_trials=n_trials,
                  time_budget=time_budget, name=f"nas-pareto-{strategy}-seed{seed}")
    result = study.optimize()
    return ParetoSearch(result, pareto_front(result.trials))
