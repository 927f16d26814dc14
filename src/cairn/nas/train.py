"""Training networks on digits 8x8, and the training objective of a NAS Study.

The task is scikit-learn's bundled ``load_digits`` (1,797 images, nothing downloads),
split once, stratified and seeded, into training, validation and test images. Training
is mini-batch Adam with a cosine learning-rate schedule over the run's epochs, on one
thread, with every random choice (initial weights, batch order) drawn from the seed:
the same seed gives the same numbers in a fresh process.

``budget`` in a Study is a number of epochs (:func:`cairn.nas.table.epochs_for`;
``None`` is ``max_epochs``): Hyperband or BOHB with ``min_budget=1``, ``max_budget=9``
and ``eta=3`` train 1, 3 and 9 epochs, the table's budgets.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import Tensor, nn

from cairn.errors import UserError
from cairn.nas.build import NetSettings, build_macro, build_network, count_parameters
from cairn.nas.space import Architecture, ArchitectureSpace
from cairn.nas.table import epochs_for
from cairn.trial import Result


@dataclass(frozen=True)
class Recipe:
    """How a network trains: the data sizes, the optimiser and its schedule.

    The defaults are the table's recipe, sized so that one 9-epoch run of a table cell
    costs about 2.5 CPU seconds here: six Adam steps an epoch. With so few steps,
    BatchNorm's running statistics must follow the weights faster than torch's default
    momentum of 0.1, or early evaluations score the stale statistics, not the network.
    """

    n_train: int = 600
    n_valid: int = 400
    n_test: int = 400
    batch_size: int = 100
    lr: float = 0.02
    weight_decay: float = 3e-4
    bn_momentum: float = 0.5
    split_seed: int = 0

    def __post_init__(self) -> None:
        if min(self.n_train, self.n_valid, self.n_test) < 10:
            raise UserError("digits splits need at least 10 images each (one per class)")
        if self.n_train + self.n_valid + self.n_test > 1797:
            raise UserError(f"digits has 1797 images; the splits ask for {self.n_train + self.n_valid + self.n_test}")
        if self.batch_size < 1 or not self.lr > 0:
            raise UserError(f"the batch size and learning rate must be positive, got {self.batch_size} and {self.lr}")
        if not 0 < self.bn_momentum <= 1:
            raise UserError(f"the BatchNorm momentum must lie in (0, 1], got {self.bn_momentum}")


#: The network around the tabular benchmark's cell (8 channels, two stages of one cell):
#: real searches of the table's space train this network, so their results compare with the table.
TABLE_SETTINGS = NetSettings(channels=8, stages=2, cells_per_stage=1)


@dataclass(frozen=True)
class Split:
    """Digits as standardised ``(n, 1, 8, 8)`` float tensors and integer labels."""

    x_train: Tensor
    y_train: Tensor
    x_valid: Tensor
    y_valid: Tensor
    x_test: Tensor
    y_test: Tensor


def digits_split(recipe: Recipe | None = None) -> Split:
    """The fixed, stratified split of ``recipe`` (sizes and ``split_seed``), standardised
    with the training images' mean and standard deviation."""
    r = recipe or Recipe()
    digits = load_digits()
    x, y = digits.images.astype(np.float32), digits.target
    rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=r.n_test, stratify=y, random_state=r.split_seed)
    pool, x_valid, y_pool, y_valid = train_test_split(rest, y_rest, test_size=r.n_valid, stratify=y_rest,
                                                      random_state=r.split_seed)
    if r.n_train < len(pool):
        pool, _, y_pool, _ = train_test_split(pool, y_pool, train_size=r.n_train, stratify=y_pool,
                                              random_state=r.split_seed)
    mean, std = pool.mean(), pool.std()

    def images(a: np.ndarray) -> Tensor:
        return torch.from_numpy((a - mean) / std).unsqueeze(1)

    def labels(a: np.ndarray) -> Tensor:
        return torch.from_numpy(a.astype(np.int64))

    return Split(images(pool), labels(y_pool), images(x_valid), labels(y_valid), images(x_test), labels(y_test))


@dataclass(frozen=True)
class Curve:
    """Accuracies after each evaluated epoch, and the training seconds spent by then
    (evaluation excluded)."""

    epochs: tuple[int, ...]
    val_acc: tuple[float, ...]
    test_acc: tuple[float, ...]
    train_seconds: tuple[float, ...]
    params: int


def accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    model.eval()
    with torch.no_grad():
        return int((model(x).argmax(1) == y).sum()) / len(y)


def train_and_evaluate(network: Architecture | nn.Module, epochs: int, seed: int = 0, *,
                       settings: NetSettings | None = None, recipe: Recipe | None = None,
                       data: Split | None = None, eval_epochs: Sequence[int] | None = None) -> Curve:
    """Train ``network`` (an architecture, built with ``settings`` under ``seed``, or a
    ready module) for ``epochs`` epochs and measure validation and test accuracy after
    each epoch of ``eval_epochs`` (default: every epoch). The learning rate follows one
    cosine schedule over all ``epochs``, so an early evaluation is a shorter budget of
    the same run (as in NAS-Bench-201). Runs on one thread."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise UserError(f"epochs must be a positive integer, got {epochs!r}")
    at = sorted(set(eval_epochs)) if eval_epochs is not None else list(range(1, epochs + 1))
    if not at or at[0] < 1 or at[-1] > epochs:
        raise UserError(f"evaluation epochs must lie in 1..{epochs}, got {list(eval_epochs or [])}")
    r = recipe or Recipe()
    d = data if data is not None else digits_split(r)
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model = build_network(network, settings) if isinstance(network, Architecture) else network
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            module.momentum = r.bn_momentum
    optimiser = torch.optim.Adam(model.parameters(), lr=r.lr, weight_decay=r.weight_decay)
    steps_per_epoch = math.ceil(len(d.y_train) / r.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, epochs * steps_per_epoch)
    order = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()
    val, test, seconds, spent = [], [], [], 0.0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        for batch in torch.randperm(len(d.y_train), generator=order).split(r.batch_size):
            optimiser.zero_grad()
            loss_fn(model(d.x_train[batch]), d.y_train[batch]).backward()
            optimiser.step()
            schedule.step()
        spent += time.perf_counter() - start
        if epoch in at:
            val.append(accuracy(model, d.x_valid, d.y_valid))
            test.append(accuracy(model, d.x_test, d.y_test))
            seconds.append(spent)
    return Curve(tuple(at), tuple(val), tuple(test), tuple(seconds), count_parameters(model))


class TrainingObjective:
    """``(config, budget) -> Result`` that trains the config's network on digits.

    ``space`` is an :class:`ArchitectureSpace` (cell networks) or ``"mlp"`` / ``"cnn"``
    (configs of :func:`~cairn.nas.space.macro_space`). The loss is one minus the
    validation accuracy; the metrics carry the test accuracy, the parameter count and
    the training seconds. The data split is made once; every trial trains under ``seed``.
    """

    def __init__(self, space: ArchitectureSpace | str, max_epochs: int = 9, seed: int = 0, *,
                 settings: NetSettings | None = None, recipe: Recipe | None = None):
        if isinstance(space, str) and space not in ("mlp", "cnn"):
            raise UserError(f"a training objective's space is an ArchitectureSpace, 'mlp' or 'cnn', got {space!r}")
        if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
            raise UserError(f"max_epochs must be a positive integer, got {max_epochs!r}")
        self.space, self.max_epochs, self.seed = space, max_epochs, seed
        self.settings, self.recipe = settings or NetSettings(), recipe or Recipe()
        self.data = digits_split(self.recipe)

    def network(self, config: Mapping[str, Any]) -> Architecture | nn.Module:
        if isinstance(self.space, ArchitectureSpace):
            return self.space.decode(config)
        torch.manual_seed(self.seed)
        return build_macro(config, self.space, self.settings)

    def __call__(self, config: Mapping[str, Any], budget: float | None = None) -> Result:
        start = time.perf_counter()
        epochs = epochs_for(budget, self.max_epochs)
        curve = train_and_evaluate(self.network(config), epochs, self.seed, settings=self.settings,
                                   recipe=self.recipe, data=self.data, eval_epochs=[epochs])
        return Result(loss=1.0 - curve.val_acc[-1],
                      metrics={"val_acc": curve.val_acc[-1], "test_acc": curve.test_acc[-1],
                               "params": float(curve.params), "train_seconds": curve.train_seconds[-1],
                               "epochs": float(epochs)},
                      cost=time.perf_counter() - start)
