"""The tabular NAS benchmark (the NAS-Bench-101 idea): every cell of a small space, trained.

``bench/build_nas_table.py`` trained each distinct cell of
:func:`~cairn.nas.space.table_space` on digits 8x8 under three fixed seeds and recorded
the mean validation and test accuracy, parameters and training seconds at several epoch
budgets (the mean, because one run's accuracy on 400 images is too noisy to rank the
best cells by). The results ship as gzipped JSON in ``cairn/nas/data/``; a search strategy is
then compared by look-ups, a trial in microseconds. This module needs no torch.

A Study runs against the table through :class:`TableObjective`; ``budget`` is a number
of epochs (:func:`epochs_for`), so Hyperband or BOHB with ``min_budget=1``,
``max_budget=9`` and ``eta=3`` read the table's budgets 1, 3 and 9.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from cairn.errors import UserError
from cairn.nas.space import ArchitectureSpace
from cairn.trial import Result

#: The committed table's file name inside the ``cairn.nas`` package's ``data`` folder.
TABLE_FILE = "digits_table.json.gz"
FORMAT = 1


def epochs_for(budget: float | None, max_epochs: int) -> int:
    """The epochs a Study's ``budget`` asks for: ``None`` is ``max_epochs``, a number is an
    epoch count (rounded; Hyperband's float rungs such as ``9 / 3``).

    Fractions are refused rather than read as shares of ``max_epochs``: with cairn's
    row-fraction convention a budget of 1 would be ambiguous (one epoch, or all of them).
    """
    if budget is None:
        return max_epochs
    if not budget >= 1 - 1e-6:
        raise UserError(f"a NAS budget is a number of epochs (at least 1), got {budget:g}: give multi-fidelity "
                        f"strategies min_budget and max_budget in epochs, e.g. 1 and {max_epochs}")
    return max(1, round(budget))


@dataclass(frozen=True)
class Entry:
    """One cell at one budget: what training it for that many epochs gave."""

    val_acc: float
    test_acc: float
    params: int
    train_seconds: float


class Table:
    """Look-ups into a trained table: ``.space``, ``.budgets``, ``.keys``, ``.lookup``."""

    def __init__(self, space: ArchitectureSpace, budgets: Sequence[int], rows: Mapping[str, Mapping[str, Any]],
                 meta: Mapping[str, Any] | None = None):
        self.space, self.budgets = space, tuple(budgets)
        self._rows = dict(rows)
        self.meta = dict(meta or {})
        self.keys = list(self._rows)
        top = len(self.budgets) - 1
        self.best_test_acc = max(row["test_acc"][top] for row in self._rows.values())

    @classmethod
    def load(cls, path: str | Path | None = None) -> Table:
        """The table at ``path``, by default the one shipped with cairn."""
        try:
            if path is None:
                raw = resources.files("cairn.nas").joinpath("data", TABLE_FILE).read_bytes()
            else:
                raw = Path(path).read_bytes()
            data = json.loads(gzip.decompress(raw))
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot read the NAS table {str(path or TABLE_FILE)!r}: {exc}") from None
        if data.get("format") != FORMAT:
            raise UserError(f"the NAS table {str(path or TABLE_FILE)!r} is not a format-{FORMAT} table")
        space = ArchitectureSpace(**data["space"])
        rows = {key: {name: data[name][i] for name in ("val_acc", "test_acc", "params", "train_seconds")}
                for i, key in enumerate(data["keys"])}
        return cls(space, data["budgets"], rows, data.get("meta"))

    def key_of(self, config_or_key: Mapping[str, Any] | str) -> str:
        """The canonical key of a config of :attr:`space` (a key is returned as is)."""
        return config_or_key if isinstance(config_or_key, str) else self.space.decode(config_or_key).key()

    def lookup(self, config_or_key: Mapping[str, Any] | str, budget: int | None = None) -> Entry:
        """The entry of a config or canonical key at ``budget`` epochs (``None``: the largest)."""
        key = self.key_of(config_or_key)
        row = self._rows.get(key)
        if row is None:
            raise UserError(f"the NAS table has no cell {key!r}")
        if budget is None:
            i = len(self.budgets) - 1
        elif budget in self.budgets:
            i = self.budgets.index(budget)
        else:
            raise UserError(f"the NAS table has epoch budgets {list(self.budgets)}, not {budget!r}")
        return Entry(row["val_acc"][i], row["test_acc"][i], row["params"], row["train_seconds"][i])

    def __len__(self) -> int:
        return len(self._rows)


def write_table(path: str | Path, space: ArchitectureSpace, budgets: Sequence[int],
                rows: Mapping[str, Mapping[str, Any]], meta: Mapping[str, Any] | None = None) -> Path:
    """Write ``rows`` (key -> ``val_acc``/``test_acc``/``train_seconds`` lists, one value
    per budget, and ``params``) as a table :meth:`Table.load` reads, keys sorted, so the
    same results always give the same bytes."""
    keys = sorted(rows)
    for key in keys:
        if any(len(rows[key][name]) != len(budgets) for name in ("val_acc", "test_acc", "train_seconds")):
            raise UserError(f"cell {key!r} lacks a value per budget {list(budgets)}")
    normal = space.normal
    data = {
        "format": FORMAT,
        "space": {"n_nodes": normal.n_nodes, "n_inputs": normal.n_inputs, "ops": list(normal.ops),
                  "reduction_cell": space.reduce is not None},
        "budgets": [int(b) for b in budgets],
        "meta": dict(meta or {}),
        "keys": keys,
        "val_acc": [[round(v, 4) for v in rows[k]["val_acc"]] for k in keys],
        "test_acc": [[round(v, 4) for v in rows[k]["test_acc"]] for k in keys],
        "params": [int(rows[k]["params"]) for k in keys],
        "train_seconds": [[round(v, 3) for v in rows[k]["train_seconds"]] for k in keys],
    }
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(gzip.compress(json.dumps(data, separators=(",", ":")).encode(), mtime=0))
    return out


class TableObjective:
    """``(config, budget) -> Result`` by table look-up: loss is one minus the validation
    accuracy, the metrics carry the test accuracy, parameters and epochs, and the cost is
    the training seconds the table recorded (what the trial would have cost)."""

    def __init__(self, table: Table | None = None):
        self.table = table if table is not None else Table.load()

    def __call__(self, config: Mapping[str, Any], budget: float | None = None) -> Result:
        epochs = epochs_for(budget, self.table.budgets[-1])
        entry = self.table.lookup(config, epochs)
        return Result(loss=1.0 - entry.val_acc,
                      metrics={"val_acc": entry.val_acc, "test_acc": entry.test_acc,
                               "params": float(entry.params), "epochs": float(epochs)},
                      cost=entry.train_seconds)
