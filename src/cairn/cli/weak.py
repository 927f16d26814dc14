"""``cairn weak``: labeling functions on a data file, from analysis to a trained model.

``analyze`` prints what each labeling function does, ``label`` writes a label model's
labels, ``train`` trains an end model on them and records the run. Labeling functions
come from ``--lfs MODULE:ATTR`` (or ``FILE.py:ATTR``): a list of them. The ``--gold``
column, if any, is hidden from the labeling functions and the end model.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import click

from cairn.cli import main
from cairn.cli.options import json_option, store_option
from cairn.cli.output import json_default, make_console, write_csv
from cairn.cli.show import print_table
from cairn.errors import UserError

_MODELS = ("matrix_completion", "dawid_skene", "majority")

data_option = click.option("--data", "data", required=True, metavar="NAME|PATH",
                           help="CSV or Parquet file, or a bundled dataset (iris, wine, breast_cancer, digits, diabetes).")
lfs_option = click.option("--lfs", "lfs_spec", required=True, metavar="MODULE:ATTR",
                          help="The labeling functions: a list ATTR in module MODULE or file FILE.py.")
gold_option = click.option("--gold", default=None, metavar="COL",
                           help="Column of gold labels (classes 0, 1, ...; empty for unlabelled rows).")
model_option = click.option("--model", "model_name", type=click.Choice(_MODELS), default="matrix_completion",
                            show_default=True, help="Label model.")
seed_option = click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random choice.")


@main.group()
def weak() -> None:
    """Weak supervision: labeling functions, label models, end models."""


@weak.command()
@data_option
@lfs_option
@gold_option
@json_option
def analyze(data: str, lfs_spec: str, gold: str | None, as_json: bool) -> None:
    """Per labeling function: polarity, coverage, overlaps, conflicts (and accuracy with --gold)."""
    from cairn.weak.analysis import lf_summary
    from cairn.weak.apply import apply_lfs

    frame, truth = _load(data, gold)
    lfs = load_lfs(lfs_spec)
    table = lf_summary(apply_lfs(lfs, frame), lfs, truth)
    if as_json:
        click.echo(json.dumps(table.reset_index().to_dict(orient="records"), default=json_default))
        return
    columns = ["lf", *table.columns]
    print_table(f"Labeling functions on {data}: {len(frame)} rows", columns,
                [[name, *(_cell(v) for v in row)] for name, row in zip(table.index, table.itertuples(index=False),
                                                                         strict=True)])


@weak.command()
@data_option
@lfs_option
@gold_option
@model_option
@click.option("--output", default=None, metavar="PATH",
              help="Write label and proba_<class> columns as CSV here (default: stdout).")
@seed_option
@json_option
def label(data: str, lfs_spec: str, gold: str | None, model_name: str, output: str | None, seed: int,
          as_json: bool) -> None:
    """Label the rows with a label model: label (-1 where no LF voted) and proba_<class>."""
    import numpy as np
    import pandas as pd

    from cairn.weak.apply import apply_lfs
    from cairn.weak.labels import ABSTAIN
    from cairn.weak.select import LABEL_MODELS

    frame, truth = _load(data, gold)
    votes = apply_lfs(load_lfs(lfs_spec), frame)
    model = LABEL_MODELS[model_name](seed=seed).fit(votes)
    covered = (votes != ABSTAIN).any(axis=1)
    proba = model.predict_proba(votes)
    table = pd.DataFrame({"label": np.where(covered, model.predict(votes), ABSTAIN),
                          **{f"proba_{c}": proba[:, c] for c in model.classes_}})
    summary = {"rows": len(table), "coverage": float(covered.mean()), "model": model_name,
               "classes": {int(c): int(n) for c, n in zip(*np.unique(table["label"][covered], return_counts=True),
                                                          strict=True)}}
    if truth is not None:
        known = covered & (truth != ABSTAIN)
        summary["label_accuracy"] = float(np.mean(table["label"][known] == truth[known])) if known.any() else None
    if write_csv(table, output, "labels"):
        _report(summary, as_json, f"wrote {len(table)} labels to {output}")


@weak.command()
@data_option
@lfs_option
@gold_option
@model_option
@click.option("--learner", default="logreg", show_default=True, metavar="NAME",
              help="End model: a classification learner of the catalog (logreg, random_forest, knn, ...).")
@click.option("--labels", "labels", type=click.Choice(["auto", "soft", "hard"]), default="auto", show_default=True,
              help="Soft labels as sample weights, hard labels, or soft where the learner takes weights.")
@click.option("--test", "test", default=None, metavar="PATH",
              help="File of test rows holding the --gold column: reports the end model's test accuracy.")
@click.option("--experiment", default="weak-supervision", show_default=True, help="Experiment of the run.")
@seed_option
@store_option
@json_option
def train(data: str, lfs_spec: str, gold: str | None, model_name: str, learner: str, labels: str, test: str | None,
          experiment: str, seed: int, store: str | None, as_json: bool) -> None:
    """Train an end model on the label model's labels and record it as a run."""
    from cairn.learners.catalog import get_learner
    from cairn.weak.apply import apply_lfs
    from cairn.weak.endmodel import train_end_model
    from cairn.weak.select import LABEL_MODELS

    get_learner(learner, "classification")
    frame, truth = _load(data, gold)
    lfs = load_lfs(lfs_spec)
    votes = apply_lfs(lfs, frame)
    X_test = y_test = None
    if test is not None:
        if gold is None:
            raise UserError("--test needs --gold: the column of the test file that holds the true classes")
        X_test, y_test = _load(test, gold)
    report = train_end_model(frame, votes, LABEL_MODELS[model_name](seed=seed), learner=learner, labels=labels,
                             lfs=lfs, gold=truth, X_test=X_test, y_test=y_test, store=store, experiment=experiment,
                             seed=seed)
    summary = {"run_id": report.run_id, "learner": learner, "labels": report.labels, "n_train": report.n_train,
               "coverage": report.coverage, "test_accuracy": report.test_accuracy,
               "label_accuracy": report.label_accuracy}
    text = (f"run {report.run_id}: {learner} on {report.n_train} rows ({report.coverage:.1%} covered), "
            f"{report.labels} labels from {model_name}")
    if report.test_accuracy is not None:
        text += f"; test accuracy {report.test_accuracy:.4f}"
    _report(summary, as_json, text)


def load_lfs(spec: str) -> list[Any]:
    """The labeling functions named by ``MODULE:ATTR`` or ``FILE.py:ATTR``."""
    from cairn.weak.apply import check_lfs

    source, _, attr = spec.rpartition(":")
    if not source or not attr:
        raise UserError(f"--lfs takes MODULE:ATTR or FILE.py:ATTR, got {spec!r}")
    try:
        if source.endswith(".py"):
            path = Path(source)
            if not path.is_file():
                raise UserError(f"labeling function file '{source}' does not exist")
            found = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(found)  # type: ignore[arg-type]
            found.loader.exec_module(module)  # type: ignore[union-attr]
        else:
            sys.path.insert(0, str(Path.cwd()))
            try:
                module = importlib.import_module(source)
            finally:
                sys.path.remove(str(Path.cwd()))
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the user's module does wrong is reported in one line
        raise UserError(f"cannot import the labeling functions from '{source}': {type(exc).__name__}: {exc}") from None
    if not hasattr(module, attr):
        raise UserError(f"'{source}' has no attribute '{attr}'")
    return check_lfs(getattr(module, attr))


def _load(data: str, gold: str | None) -> tuple[Any, Any]:
    """The rows (without the gold column) and the gold labels (``-1`` where missing)."""
    import numpy as np
    import pandas as pd

    from cairn.data import BUNDLED, load_dataset, read_table

    if data in BUNDLED:
        dataset = load_dataset(data)
        frame = pd.concat([dataset.X, dataset.y], axis=1)
    else:
        frame = read_table(Path(data))
    if gold is None:
        return frame, None
    if gold not in frame.columns:
        raise UserError(f"gold column '{gold}' is not in '{data}'; columns: {', '.join(map(str, frame.columns[:10]))}")
    values = frame[gold]
    known = values.notna()
    numbers = pd.to_numeric(values[known], errors="coerce")
    if numbers.isna().any() or not np.all(numbers == np.round(numbers)) or (numbers < 0).any():
        raise UserError(f"gold column '{gold}' must hold classes 0, 1, ... (or be empty for unlabelled rows)")
    truth = np.full(len(frame), -1, dtype=np.int64)
    truth[known.to_numpy()] = numbers.to_numpy(dtype=np.int64)
    return frame.drop(columns=[gold]), truth


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:.3f}"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def _report(summary: dict[str, Any], as_json: bool, text: str) -> None:
    if as_json:
        click.echo(json.dumps(summary, default=json_default))
    else:
        make_console().print(text, highlight=False)
