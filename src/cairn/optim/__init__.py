"""Search strategies behind one ask/tell protocol (see :mod:`cairn.optim.base`)."""

from __future__ import annotations

from cairn.optim.base import Optimizer

__all__ = ["Optimizer"]
