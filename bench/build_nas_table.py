"""Build the tabular NAS benchmark: train every distinct cell of ``table_space()``.

Each of the 1,386 cells (``CellSpace.cells()``) becomes a network of
:data:`cairn.nas.train.TABLE_SETTINGS` (8 channels, two stages of one cell,
a fixed ReLU-conv1x1(stride 2)-BN reduction between them) and trains with the default
:class:`cairn.nas.train.Recipe` (600 training digits, batches of 100, Adam at 0.02 with
a cosine schedule, BatchNorm momentum 0.5) for 9 epochs under each of ``--seeds``
(the committed table: seeds 0, 1 and 2); the table holds each cell's mean over them. Validation
(400 images) and test (400 images) accuracy are recorded after 1, 3 and 9 epochs of
that one run, as NAS-Bench-201 records its budgets: the shorter budgets share the
longest run's learning-rate schedule. Training seconds (evaluation excluded) are
cumulative at each budget. One cell costs about 2 CPU seconds here (2.05 s mean over
the first 160 cells, measured as the workers' CPU time).

Results are appended to a JSON-lines file as they come (``--progress``), so a killed
build resumes where it stopped; once every cell is in, the compact table is written to
``src/cairn/nas/data/`` (gzipped JSON, read by :class:`cairn.nas.table.Table`).

    nohup python bench/build_nas_table.py --workers 2 --seeds 0 1 2 > /tmp/nas_table.log 2>&1 &
    python bench/build_nas_table.py --limit 5 --progress /tmp/p.jsonl --out /tmp/t.json.gz
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

import torch

from cairn.nas.space import Architecture, Cell, table_space
from cairn.nas.table import TABLE_FILE, write_table
from cairn.nas.train import TABLE_SETTINGS, Recipe, digits_split, train_and_evaluate

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = TABLE_SETTINGS
RECIPE = Recipe()
BUDGETS = (1, 3, 9)
SEEDS = (0, 1, 2)
DEFAULT_PROGRESS = ROOT / "bench" / "results" / "nas_table.jsonl"
DEFAULT_OUT = ROOT / "src" / "cairn" / "nas" / "data" / TABLE_FILE

_DATA = None


def train_cell(job: tuple[Cell, int]) -> dict:
    """One cell's row under one training seed: accuracies and cumulative training seconds
    at each budget."""
    global _DATA
    cell, seed = job
    if _DATA is None:
        _DATA = digits_split(RECIPE)
    curve = train_and_evaluate(Architecture(cell), max(BUDGETS), seed, settings=SETTINGS, recipe=RECIPE,
                               data=_DATA, eval_epochs=BUDGETS)
    return {"key": cell.key(), "seed": seed, "val_acc": list(curve.val_acc), "test_acc": list(curve.test_acc),
            "params": curve.params, "train_seconds": list(curve.train_seconds)}


def read_progress(path: Path) -> dict[tuple[str, int], dict]:
    """Rows already trained, by (key, seed); a row without a seed is seed 0 (the first
    table's file); a line cut short by a kill is ignored (it is trained again)."""
    rows = {}
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            rows[row["key"], row.get("seed", 0)] = row
    return rows


def mean_row(runs: list[dict]) -> dict:
    """A cell's table row: each budget's accuracies and seconds averaged over its seeds."""
    return {name: [sum(values) / len(runs) for values in zip(*(r[name] for r in runs), strict=True)]
            for name in ("val_acc", "test_acc", "train_seconds")} | {"params": runs[0]["params"]}


def results(jobs: list[tuple[Cell, int]], workers: int) -> Iterator[dict]:
    if workers == 1:
        yield from map(train_cell, jobs)
        return
    with ProcessPoolExecutor(workers) as pool:
        for future in as_completed([pool.submit(train_cell, job) for job in jobs]):
            yield future.result()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="training processes (one thread each)")
    parser.add_argument("--progress", type=Path, default=DEFAULT_PROGRESS, help="JSON-lines results, resumed from")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the table written once every cell is in")
    parser.add_argument("--limit", type=int, default=None, help="train only the first N cells (a trial run)")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS),
                        help="training seeds; the table holds each cell's mean over them")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    space = table_space()
    cells = list(space.normal.cells())
    if args.limit is not None:
        cells = cells[: args.limit]
    done = read_progress(args.progress)
    jobs = [(cell, seed) for seed in args.seeds for cell in cells]
    todo = [(cell, seed) for cell, seed in jobs if (cell.key(), seed) not in done]
    print(f"{len(jobs)} runs ({len(cells)} cells x seeds {args.seeds}), {len(jobs) - len(todo)} already trained, "
          f"{len(todo)} to go, {args.workers} worker(s)", flush=True)
    args.progress.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with args.progress.open("a") as log:
        for n, row in enumerate(results(todo, args.workers), 1):
            log.write(json.dumps(row) + "\n")
            log.flush()
            done[row["key"], row["seed"]] = row
            elapsed = time.perf_counter() - start
            eta = elapsed / n * (len(todo) - n)
            print(f"[{len(jobs) - len(todo) + n}/{len(jobs)}] {row['key']} seed {row['seed']} val={row['val_acc']} "
                  f"params={row['params']} {elapsed / 60:.1f} min, ETA {eta / 60:.1f} min", flush=True)
    rows = {cell.key(): mean_row([done[cell.key(), seed] for seed in args.seeds]) for cell in cells}
    meta = {"task": "digits 8x8 (sklearn load_digits)", "seeds": list(args.seeds), "settings": asdict(SETTINGS),
            "recipe": asdict(RECIPE), "script": "bench/build_nas_table.py", "cells": len(rows)}
    out = write_table(args.out, space, BUDGETS, rows, meta)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB, {len(rows)} cells)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
