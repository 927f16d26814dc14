"""``cairn predict``: score new rows with a saved model.

The new data must hold every column the model was trained on (a fitted scikit-learn
estimator knows them as ``feature_names_in_``); they are taken in the training order.
Columns the model never saw, such as the target, an id or a note, are left out with a
note on stderr rather than refused, so a file that still carries its labels can be
scored as it is. A missing column is the user's mistake: one sentence naming it, exit 2.
A model that does not name its columns gets the file as it is, and its own complaint
about the columns becomes that one sentence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cairn.cli import main
from cairn.cli.options import store_option
from cairn.cli.output import write_csv
from cairn.errors import DataError, UserError

_URI_PREFIXES = ("runs:/", "models:/")


@main.command()
@click.option("--model", "model_ref", required=True, metavar="PATH|RUN_ID",
              help="A saved model file (joblib), a run id (its model.joblib), runs:/RUN_ID/PATH, "
                   "models:/NAME/VERSION or models:/NAME@ALIAS.")
@click.option("--data", "data", required=True, metavar="PATH", help="CSV or Parquet file of the rows to predict.")
@click.option("--output", default=None, metavar="PATH",
              help="Write the predictions as CSV here (default: stdout).")
@store_option
def predict(model_ref: str, data: str, output: str | None, store: str | None) -> None:
    """Predict the rows of a file with a saved model; classifiers add proba_<class> columns."""
    from cairn.data import _some, read_table

    model = _load_model(model_ref, store)
    X, ignored = _align_columns(model, read_table(Path(data)), data)
    if ignored:
        click.echo(f"note: ignoring column(s) the model was not trained on: {_some(ignored)}", err=True)
    table = _predictions(model, X, data)
    if write_csv(table, output, "predictions"):
        click.echo(f"wrote {len(table)} predictions to {output}")


def _load_model(ref: str, store: str | None) -> Any:
    """A model file, or a run's or registered model from the store."""
    path = Path(ref)
    if not ref.startswith(_URI_PREFIXES) and path.is_file():
        import joblib

        try:
            return joblib.load(path)
        except Exception as exc:  # noqa: BLE001 - whatever fails to unpickle is not a model file
            raise UserError(f"'{ref}' cannot be read as a saved model ({type(exc).__name__})") from None
    if not ref.startswith(_URI_PREFIXES) and (path.suffix or "/" in ref):
        raise UserError(f"model file '{ref}' does not exist")
    from cairn.cli.output import open_store
    from cairn.registry.models import load_model

    return load_model(ref, store=open_store(store))


def _align_columns(model: Any, frame: Any, source: str) -> tuple[Any, list[str]]:
    """The model's training columns of ``frame`` in training order, and the columns left out."""
    from cairn.data import _some

    expected = getattr(model, "feature_names_in_", None)
    if expected is None:  # trained on an array: only the number of columns can be checked
        n_features = getattr(model, "n_features_in_", frame.shape[1])
        if frame.shape[1] != n_features:
            raise DataError(f"the model was trained on {n_features} columns, but '{source}' has {frame.shape[1]}")
        return frame, []
    expected = [str(c) for c in expected]
    frame = frame.rename(columns=str)
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise DataError(f"'{source}' lacks column(s) {_some(missing)} that the model was trained on")
    known = set(expected)
    return frame[expected], [c for c in frame.columns if c not in known]


def _predictions(model: Any, X: Any, source: str) -> Any:
    """One ``prediction`` column, then ``proba_<class>`` per class where the model gives them."""
    import pandas as pd

    try:
        table = pd.DataFrame({"prediction": model.predict(X)})
        if hasattr(model, "classes_") and hasattr(model, "predict_proba"):
            proba = model.predict_proba(X)
            for i, label in enumerate(model.classes_):
                table[f"proba_{label}"] = proba[:, i]
    except (ValueError, TypeError) as exc:  # values the model cannot take, e.g. text in a numeric column
        lines = str(exc).strip().splitlines()
        raise DataError(f"the model cannot predict the rows of '{source}': "
                        f"{lines[0] if lines else type(exc).__name__}") from None
    return table
