"""Builders: an :class:`~cairn.nas.space.Architecture` or a macro config as a torch module.

A cell network is a stem convolution, ``stages`` stages of ``cells_per_stage`` normal
cells, a reduction between stages and a head (global average pooling and a linear
layer). Each reduction doubles the channels and halves the resolution. With a reduction
cell in the architecture the reduction is that cell, whose edges reading the cell's
inputs have stride 2; without one (the table space, as in NAS-Bench-101/201) it is a
fixed ReLU-conv1x1(stride 2)-BN block.

The networks follow :mod:`cairn.nas.space`'s semantics exactly: cells are built from
their canonical form (so configs with equal keys build the same modules in the same
order, hence equal networks under the same seed), a ``none`` edge contributes zeros at
the node's resolution, and the cell's output is the **sum** of its loose ends. Summing
keeps a cell's output at its own channel count whatever the number of loose ends, so
a cell's cost depends only on its operations; concatenation and a 1x1 convolution would
add parameters for the wiring alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from cairn.errors import UserError
from cairn.nas.ops import make_op, relu_conv_bn
from cairn.nas.space import Architecture, Cell


@dataclass(frozen=True)
class NetSettings:
    """The network around the cells: widths, depth and the input images' shape."""

    channels: int = 16
    cells_per_stage: int = 1
    stages: int = 3
    in_channels: int = 1
    image_size: int = 8
    n_classes: int = 10

    def __post_init__(self) -> None:
        for name in ("channels", "cells_per_stage", "stages", "in_channels", "image_size"):
            if getattr(self, name) < 1:
                raise UserError(f"network setting {name} must be at least 1, got {getattr(self, name)}")
        if self.channels < 2:
            raise UserError(f"a cell network needs at least 2 channels, got {self.channels}")
        if self.n_classes < 2:
            raise UserError(f"a classifier needs at least 2 classes, got {self.n_classes}")


class CellModule(nn.Module):
    """One cell at ``channels`` maps. ``inputs`` gives each cell input's (channels, scale):
    scale 2 means twice this cell's input resolution (the input before a reduction),
    brought down by a strided 1x1 preprocessing. A reduction cell's edges reading cell
    inputs have stride 2."""

    def __init__(self, cell: Cell, inputs: Sequence[tuple[int, int]], channels: int, reduction: bool = False):
        super().__init__()
        if len(inputs) != cell.n_inputs:
            raise UserError(f"the cell reads {cell.n_inputs} inputs, the network gives it {len(inputs)}")
        cell = cell.canonical()
        self.preprocess = nn.ModuleList(
            nn.Identity() if (c, scale) == (channels, 1) else relu_conv_bn(c, channels, 1, scale)
            for c, scale in inputs)
        self.sources = tuple(tuple(src for src, _ in node.edges()) for node in cell.nodes)
        self.edges = nn.ModuleList(
            nn.ModuleList(make_op(op, channels, 2 if reduction and src < cell.n_inputs else 1)
                          for src, op in node.edges())
            for node in cell.nodes)
        self.loose_ends = tuple(cell.loose_ends())

    def forward(self, *inputs: Tensor) -> Tensor:
        states = [pre(x) for pre, x in zip(self.preprocess, inputs, strict=True)]
        for sources, ops in zip(self.sources, self.edges, strict=True):
            states.append(sum(op(states[src]) for src, op in zip(sources, ops, strict=True)))
        return sum(states[i] for i in self.loose_ends)


class _FixedReduction(nn.Module):
    """The reduction between stages of a one-cell network: ReLU-conv1x1(stride 2)-BN."""

    n_inputs = 1

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.block = relu_conv_bn(c_in, c_out, 1, 2)

    def forward(self, x: Tensor) -> Tensor:
        return self.block(x)


class CellNetwork(nn.Module):
    """Stem, stacked cells and reductions, global average pooling and a linear head."""

    def __init__(self, arch: Architecture, settings: NetSettings):
        super().__init__()
        n_inputs = arch.normal.n_inputs
        if arch.reduce is not None and arch.reduce.n_inputs != n_inputs:
            raise UserError("the normal and reduction cells must read the same number of inputs")
        c = settings.channels
        self.stem = nn.Sequential(nn.Conv2d(settings.in_channels, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        # (channels, resolution level) of the last two outputs; the stem feeds both.
        history = [(c, 0), (c, 0)]
        layers: list[nn.Module] = []
        for stage in range(settings.stages):
            if stage > 0:
                c_in, level = history[-1]
                if arch.reduce is None:
                    layers.append(_FixedReduction(c_in, 2 * c))
                else:
                    layers.append(self._cell(arch.reduce, history, 2 * c, level, reduction=True))
                c *= 2
                history = [history[-1], (c, level + 1)]
            for _ in range(settings.cells_per_stage):
                layers.append(self._cell(arch.normal, history, c, history[-1][1]))
                history = [history[-1], (c, history[-1][1])]
        self.n_inputs = tuple(getattr(layer, "n_inputs", n_inputs) for layer in layers)
        self.layers = nn.ModuleList(layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, settings.n_classes))

    @staticmethod
    def _cell(cell: Cell, history: list[tuple[int, int]], channels: int, level: int,
              reduction: bool = False) -> CellModule:
        inputs = [(c, 2 ** (level - lvl)) for c, lvl in history[-cell.n_inputs:]]
        return CellModule(cell, inputs, channels, reduction)

    def forward(self, x: Tensor) -> Tensor:
        x = self.stem(x)
        states = [x, x]
        for layer, n in zip(self.layers, self.n_inputs, strict=True):
            states = [states[-1], layer(*states[-n:])]
        return self.head(states[-1])


def build_network(arch: Architecture, settings: NetSettings | None = None) -> CellNetwork:
    """The torch module of a cell architecture (see the module docstring for the layout)."""
    return CellNetwork(arch, settings or NetSettings())


def build_macro(config: Mapping[str, Any], kind: str, settings: NetSettings | None = None) -> nn.Module:
    """The network of a :func:`~cairn.nas.space.macro_space` config.

    An MLP is ``depth`` Linear-ReLU layers on the flattened pixels; a CNN is ``depth``
    conv-BN-ReLU layers at full resolution (``kernel{k}`` wide, padded to keep the size),
    then global average pooling. Both end in a linear head.
    """
    s = settings or NetSettings()
    try:
        depth = int(config["depth"])
        widths = [int(config[f"width{k}"]) for k in range(depth)]
        kernels = [int(config[f"kernel{k}"]) for k in range(depth)] if kind == "cnn" else []
    except KeyError as exc:
        raise UserError(f"the macro config lacks {exc.args[0]!r}") from None
    layers: list[nn.Module] = []
    if kind == "mlp":
        width = s.in_channels * s.image_size ** 2
        layers.append(nn.Flatten())
        for w in widths:
            layers += [nn.Linear(width, w), nn.ReLU()]
            width = w
    elif kind == "cnn":
        width = s.in_channels
        for w, k in zip(widths, kernels, strict=True):
            layers += [nn.Conv2d(width, w, k, padding=k // 2, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
            width = w
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    else:
        raise UserError(f"a macro network is 'mlp' or 'cnn', got {kind!r}")
    return nn.Sequential(*layers, nn.Linear(width, s.n_classes))


def count_parameters(module: nn.Module) -> int:
    """The number of trainable weights (buffers such as BatchNorm statistics excluded)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def parameter_count(arch: Architecture, settings: NetSettings | None = None) -> int:
    """The parameter count of ``arch``'s network, built on the meta device: no memory, no training."""
    with torch.device("meta"):
        return count_parameters(build_network(arch, settings))
