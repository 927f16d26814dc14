"""One entry point for an architecture search, by real training or by table look-up.

``run_nas`` is what ``cairn nas`` calls: it picks the space and the objective, runs an
ordinary cairn :class:`~cairn.study.Study` (so every architecture is a recorded trial),
and returns a report. Searching the tabular benchmark (``benchmark=True``) looks each
architecture up instead of training it, so the same search costs milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cairn.errors import UserError
from cairn.nas.space import ArchitectureSpace, macro_space, table_space
from cairn.optim import STRATEGIES, make_optimizer, strategy_class
from cairn.optim.halving import Hyperband
from cairn.trial import Trial, TrialState

#: Architecture spaces by the names ``cairn nas --space`` accepts.
SPACES = ("table", "cell", "mlp", "cnn")
#: Epoch rungs of a multi-fidelity search on real training: max_epochs / 9 (at least 1), / 3, / 1.
ETA = 3


@dataclass
class NASReport:
    """What a search found: its rows, best first, and where it was recorded."""

    strategy: str
    space: str
    benchmark: bool
    seed: int
    n_trials: int
    elapsed: float
    rows: list[dict[str, Any]] = field(default_factory=list)
    store: str | None = None
    study_id: int | None = None

    @property
    def best(self) -> dict[str, Any] | None:
        return self.rows[0] if self.rows else None

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "space": self.space, "benchmark": self.benchmark, "seed": self.seed,
                "n_trials": self.n_trials, "elapsed": self.elapsed, "store": self.store, "study_id": self.study_id,
                "rows": self.rows}


def architecture_space(name: str) -> ArchitectureSpace | str:
    """The space ``name`` stands for: an :class:`ArchitectureSpace`, or ``"mlp"``/``"cnn"``."""
    if name == "table":
        return table_space()
    if name == "cell":
        return ArchitectureSpace()
    if name in ("mlp", "cnn"):
        return name
    raise UserError(f"unknown architecture space {name!r}; the spaces are {', '.join(SPACES)}")


def run_nas(*, strategy: str = "nas-evolution", n_trials: int | None = 50, time_budget: float | None = None,
            space: str = "table", max_epochs: int = 9, benchmark: bool = False, seed: int = 0,
            store: Any = None, experiment: str = "nas") -> NASReport:
    """Search architectures for digits 8x8 with ``strategy`` and record it as a study.

    Multi-fidelity strategies (``hyperband``, ``bohb``, ...) get epochs as their fidelity:
    ``max_epochs / 9`` up to ``max_epochs`` on real training, the table's own budgets
    under ``benchmark``. ``store`` is a :class:`~cairn.track.Store`, a URL, or ``None``
    (nothing recorded).
    """
    import time

    from cairn.study import Study
    from cairn.track import Store

    if strategy not in STRATEGIES:
        raise UserError(f"unknown search strategy {strategy!r}; valid names are {', '.join(STRATEGIES)}")
    if benchmark and space != "table":
        raise UserError(f"the tabular benchmark covers the 'table' space only, not {space!r}")
    searched = architecture_space(space)
    objective, options = _objective(searched, space == "table", benchmark, max_epochs, seed, strategy)
    config_space = searched.space() if isinstance(searched, ArchitectureSpace) else macro_space(searched)
    optimizer = make_optimizer(strategy, config_space, seed=seed, **options)
    if store is not None and not isinstance(store, Store):
        store = Store(store)
    settings = {"space": space, "benchmark": benchmark, "max_epochs": max_epochs, "data": "digits"}
    start = time.perf_counter()
    study = Study(optimizer, objective, store=store, experiment=experiment, n_trials=n_trials,
                  time_budget=time_budget, settings=settings,
                  name=f"nas-{strategy}-{'table' if benchmark else space}-seed{seed}")
    result = study.optimize()
    return NASReport(strategy, space, benchmark, seed, len(result.trials), time.perf_counter() - start,
                     _rows(result.trials, searched),
                     store.url if store is not None else None, result.study_id)


def _objective(searched: ArchitectureSpace | str, table_network: bool, benchmark: bool, max_epochs: int, seed: int,
               strategy: str) -> tuple[Any, dict[str, float]]:
    multi_fidelity = issubclass(strategy_class(strategy), Hyperband)
    if benchmark:
        from cairn.nas.regret import fidelity_options
        from cairn.nas.table import Table, TableObjective

        table = Table.load()
        return TableObjective(table), fidelity_options(table.budgets) if multi_fidelity else {}
    from cairn.nas.train import TABLE_SETTINGS, TrainingObjective

    if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
        raise UserError(f"the epochs of a search must be a positive integer, got {max_epochs!r}")
    options = {}
    if multi_fidelity:
        if max_epochs < ETA:
            raise UserError(f"a multi-fidelity search needs at least {ETA} epochs as its top budget, got {max_epochs}")
        options = {"min_budget": max(1.0, max_epochs / ETA**2), "max_budget": float(max_epochs), "eta": float(ETA)}
    settings = TABLE_SETTINGS if table_network else None
    return TrainingObjective(searched, max_epochs=max_epochs, seed=seed, settings=settings), options


def _rows(trials: list[Trial], searched: ArchitectureSpace | str) -> list[dict[str, Any]]:
    """One row per finished trial, the best (validation accuracy at the highest budget) first."""
    done = [t for t in trials if t.state == TrialState.COMPLETE and t.result is not None]
    top = max((t.budget or 1.0 for t in done), default=1.0)
    rows = []
    for t in done:
        arch = searched.decode(t.config).key() if isinstance(searched, ArchitectureSpace) else _macro_key(t.config)
        m = t.result.metrics  # type: ignore[union-attr]
        rows.append({"trial": t.id, "architecture": arch, "epochs": int(m.get("epochs", 0)),
                     "val_acc": m.get("val_acc", 1.0 - t.result.loss),  # type: ignore[union-attr]
                     "test_acc": m.get("test_acc"), "params": int(m.get("params", 0)),
                     "seconds": m.get("train_seconds"), "full": (t.budget or 1.0) >= top})
    rows.sort(key=lambda r: (not r["full"], -r["val_acc"], r["trial"]))
    return rows


def _macro_key(config: Any) -> str:
    depth = config["depth"]
    return "-".join(f"{config[f'width{k}']}" + (f"k{config[f'kernel{k}']}" if f"kernel{k}" in config else "")
                    for k in range(depth))
