import gzip
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from cairn.errors import UserError
from cairn.nas.space import Architecture, table_space
from cairn.nas.table import Entry, Table, TableObjective, write_table
from cairn.optim import make_optimizer
from cairn.study import Study
from cairn.track import Store

SPACE = table_space()
CELLS = list(SPACE.normal.cells())
ROWS = {
    CELLS[0].key(): {"val_acc": [0.3, 0.6, 0.8], "test_acc": [0.31, 0.58, 0.79], "params": 418,
                     "train_seconds": [0.2, 0.6, 1.8]},
    CELLS[-1].key(): {"val_acc": [0.5, 0.85, 0.95], "test_acc": [0.52, 0.86, 0.94], "params": 8162,
                      "train_seconds": [0.5, 1.5, 4.5]},
}


def load_bench_script():
    path = Path(__file__).parents[2] / "bench" / "build_nas_table.py"
    spec = importlib.util.spec_from_file_location("build_nas_table", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture
def small(tmp_path) -> Table:
    return Table.load(write_table(tmp_path / "t.json.gz", SPACE, (1, 3, 9), ROWS))


def test_lookup_by_key_or_config_at_each_budget(small) -> None:
    key = CELLS[-1].key()
    config = SPACE.encode(Architecture(CELLS[-1]))
    assert small.budgets == (1, 3, 9) and sorted(small.keys) == sorted(ROWS)
    assert small.lookup(key) == small.lookup(config) == small.lookup(key, 9) == Entry(0.95, 0.94, 8162, 4.5)
    assert small.lookup(CELLS[0].key(), 3) == Entry(0.6, 0.58, 418, 0.6)
    assert small.best_test_acc == 0.94
    assert small.space.space().to_dict() == SPACE.space().to_dict()


def test_unknown_cells_budgets_and_files_are_user_errors(small, tmp_path) -> None:
    with pytest.raises(UserError, match="no cell"):
        small.lookup(CELLS[1].key())
    with pytest.raises(UserError, match=r"epoch budgets \[1, 3, 9\], not 2"):
        small.lookup(CELLS[0].key(), 2)
    with pytest.raises(UserError, match="lacks"):
        small.lookup({"normal_n0_in0": 0})
    with pytest.raises(UserError, match="cannot read"):
        Table.load(tmp_path / "missing.json.gz")
    (tmp_path / "other.json.gz").write_bytes(gzip.compress(json.dumps({"format": 99}).encode()))
    with pytest.raises(UserError, match="not a format-1 table"):
        Table.load(tmp_path / "other.json.gz")
    with pytest.raises(UserError, match="a value per budget"):
        write_table(tmp_path / "bad.json.gz", SPACE, (1, 3), ROWS)


def test_the_same_results_write_the_same_bytes(tmp_path) -> None:
    a = write_table(tmp_path / "a.json.gz", SPACE, (1, 3, 9), ROWS)
    b = write_table(tmp_path / "b.json.gz", SPACE, (1, 3, 9), dict(reversed(ROWS.items())))
    assert a.read_bytes() == b.read_bytes()


def test_the_bench_script_trains_cells_resumes_and_writes_a_table(tmp_path, capsys) -> None:
    script = load_bench_script()
    progress, out = tmp_path / "progress.jsonl", tmp_path / "table.json.gz"
    args = ["--progress", str(progress), "--out", str(out)]
    assert script.main(["--limit", "2", "--seeds", "0", *args]) == 0
    first = Table.load(out)
    assert first.keys == sorted(c.key() for c in CELLS[:2])
    with progress.open("a") as log:
        log.write('{"key": "cut short by a ki')  # a line a kill left half written
    assert script.main(["--limit", "3", "--seeds", "0", *args]) == 0
    assert "2 already trained, 1 to go" in capsys.readouterr().out
    table = Table.load(out)
    assert len(table) == 3 and table.budgets == script.BUDGETS
    for key in first.keys:
        assert table.lookup(key, 1) == first.lookup(key, 1)
    entry = table.lookup(CELLS[2].key())
    assert 0.1 < entry.val_acc <= 1 and entry.params > 0 and entry.train_seconds > table.lookup(CELLS[2].key(), 1).train_seconds
    assert script.main(["--limit", "2", "--seeds", "0", "1", *args]) == 0  # a second seed: the table holds means
    assert "4 runs (2 cells x seeds [0, 1]), 2 already trained, 2 to go" in capsys.readouterr().out
    runs = script.read_progress(progress)
    averaged = Table.load(out)
    for key in first.keys:
        mean = (runs[key, 0]["val_acc"][-1] + runs[key, 1]["val_acc"][-1]) / 2
        assert averaged.lookup(key).val_acc == round(mean, 4)
        assert runs[key, 0]["val_acc"] != runs[key, 1]["val_acc"]
    assert averaged.meta["seeds"] == [0, 1]


# The committed table (bench/build_nas_table.py's output).


def test_the_committed_table_holds_every_cell_of_the_space() -> None:
    table = Table.load()
    assert sorted(table.keys) == sorted(c.key() for c in table.space.normal.cells())
    assert len(table) == 1386 and table.budgets == (1, 3, 9)
    final = np.array([table.lookup(k).val_acc for k in table.keys])
    assert final.max() > 0.9 and np.median(final) < final.max() - 0.03
    assert table.lookup("0:none+0:none|0:none+0:none").val_acc < 0.2
    assert table.best_test_acc == max(table.lookup(k).test_acc for k in table.keys)


def test_lookups_are_deterministic_and_match_the_config_s_key() -> None:
    a, b = Table.load(), Table.load()
    for seed in range(20):
        config = SPACE.space().sample(np.random.default_rng(seed))
        key = SPACE.decode(config).key()
        for budget in (1, 3, 9):
            assert a.lookup(config, budget) == b.lookup(key, budget)


def test_a_study_searches_the_table_with_hyperband(tmp_path) -> None:
    table = Table.load()
    objective = TableObjective(table)
    optimizer = make_optimizer("hyperband", table.space.space(), seed=0, min_budget=1, max_budget=9, eta=3)
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    out = Study(optimizer, objective, store=store, n_trials=30).optimize()
    assert len(out.trials) == 30 and all(t.result.ok for t in out.trials)
    assert {t.budget for t in out.trials} == {1.0, 3.0, 9.0}
    for t in out.trials:
        entry = table.lookup(t.config, int(t.budget))
        assert t.result.loss == pytest.approx(1 - entry.val_acc)
        assert t.result.metrics["test_acc"] == entry.test_acc and t.result.cost == entry.train_seconds
    children = [r for r in store.runs(out.study_id) if r["parent_run_id"] == out.run_id]
    assert len(children) == 30
