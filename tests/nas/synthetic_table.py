"""A synthetic table for the strategy tests: a known, structured function of the cell.

Not a stand-in for the real benchmark: a fixture whose optimum is known, on which a
strategy that exploits structure (good operations on long paths) should beat random
search. Validation accuracy grows with the number of input-to-output paths and the
quality of the operations along them, plus a small deterministic per-network "noise";
test accuracy adds independent noise of the same size, so the network with the best
validation accuracy is not always the one with the best test accuracy, as in a real
table. Lower epoch budgets shrink accuracies towards chance, with more noise.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cairn.errors import UserError
from cairn.nas.encoding import cell_paths
from cairn.nas.space import table_space

QUALITY = {"identity": 0.3, "sep_conv_3x3": 0.9, "sep_conv_5x5": 1.0, "avg_pool_3x3": 0.5, "max_pool_3x3": 0.6}
NOISE = 0.01
BUDGETS = (1, 3, 9)


@dataclass(frozen=True)
class Entry:
    val_acc: float
    test_acc: float


def _noise(key: str, salt: str) -> float:
    """A deterministic draw in [-NOISE, NOISE] for one network."""
    digest = hashlib.sha256(f"{salt}/{key}".encode()).digest()
    return NOISE * (2 * int.from_bytes(digest[:8], "big") / 2**64 - 1)


def _score(cell) -> float:
    total = 0.0
    for (_, ops), count in cell_paths(cell).items():
        quality = 1.0
        for op in ops:
            quality *= QUALITY[op]
        total += count * quality * len(ops)
    return total


class SyntheticTable:
    """The :class:`cairn.nas.regret.TableLike` interface over every cell of ``table_space()``."""

    def __init__(self) -> None:
        self.space = table_space()
        self.budgets = BUDGETS
        scores = {cell.key(): _score(cell) for cell in self.space.normal.cells()}
        top = max(scores.values())
        self._val = {k: 0.6 + 0.35 * s / top + _noise(k, "val") for k, s in scores.items()}
        self._test = {k: 0.6 + 0.35 * s / top + _noise(k, "test") for k, s in scores.items()}
        self.keys = list(scores)
        self.best_test_acc = max(self._test.values())

    def lookup(self, config_or_key, budget: int | None = None) -> Entry:
        key = config_or_key if isinstance(config_or_key, str) else self.space.decode(config_or_key).key()
        budget = max(self.budgets) if budget is None else budget
        if budget not in self.budgets:
            raise UserError(f"no budget {budget}")
        shrink = budget / max(self.budgets)
        return Entry(0.1 + (self._val[key] - 0.1) * shrink ** 0.2 + _noise(key, f"val{budget}") * (budget < 9),
                     self._test[key])
