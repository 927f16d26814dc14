"""The cell operations as torch modules (the ``nn`` extra).

Each operation maps ``channels`` feature maps to ``channels`` feature maps and halves the
resolution when ``stride`` is 2, so any operation can sit on any edge of any cell.
Convolutions are ReLU-conv-BN as in NASNet and DARTS; a separable convolution is a
depthwise convolution followed by a pointwise one, applied twice.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from cairn.errors import UserError
from cairn.nas.space import OPS


class Zero(nn.Module):
    """The ``none`` operation: contributes nothing, at the output resolution."""

    def __init__(self, stride: int):
        super().__init__()
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        return x[:, :, ::self.stride, ::self.stride].mul(0.0)


class FactorizedReduce(nn.Module):
    """Identity at stride 2: two offset 1x1 convolutions, concatenated (as in NASNet)."""

    def __init__(self, channels: int):
        super().__init__()
        half = channels // 2
        self.relu = nn.ReLU()
        self.a = nn.Conv2d(channels, half, 1, stride=2, bias=False)
        self.b = nn.Conv2d(channels, channels - half, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.a(x), self.b(x[:, :, 1:, 1:])], dim=1))


def relu_conv_bn(c_in: int, c_out: int, kernel: int = 1, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.ReLU(), nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False),
                         nn.BatchNorm2d(c_out))


def _separable(channels: int, kernel: int, stride: int) -> nn.Sequential:
    def half(s: int) -> list[nn.Module]:
        return [nn.ReLU(), nn.Conv2d(channels, channels, kernel, s, kernel // 2, groups=channels, bias=False),
                nn.Conv2d(channels, channels, 1, bias=False), nn.BatchNorm2d(channels)]
    return nn.Sequential(*half(stride), *half(1))


def make_op(name: str, channels: int, stride: int = 1) -> nn.Module:
    """The module of operation ``name`` on ``channels`` maps at ``stride`` 1 or 2."""
    if stride not in (1, 2):
        raise UserError(f"an operation's stride is 1 or 2, got {stride}")
    if name == "identity":
        return nn.Identity() if stride == 1 else FactorizedReduce(channels)
    if name in ("sep_conv_3x3", "sep_conv_5x5"):
        return _separable(channels, 3 if name.endswith("3x3") else 5, stride)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride, 1, count_include_pad=False)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride, 1)
    if name == "none":
        return Zero(stride)
    raise UserError(f"unknown operation {name!r}; the operations are {list(OPS)}")
