"""Loading and validating user data, and the bundled datasets.

Every later stage (resampling, pipelines, metrics, the store) trusts a :class:`Dataset`:
string column names, a target without gaps, a task that fits the target, and a
fingerprint that identifies the data. So all checks happen here, once, and each failure
is a :class:`~cairn.errors.DataError` with one sentence instead of a deep traceback.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from cairn.errors import DataError

TASKS = ("classification", "regression")
BUNDLED = ("iris", "wine", "breast_cancer", "digits", "diabetes")
DEFAULT_DATASET = "wine"
#: Integer targets with at most this many distinct values are taken as class labels.
MAX_INFERRED_CLASSES = 20
_READERS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass
class Dataset:
    """Features ``X`` and target ``y`` for one task; treat it as immutable.

    ``fingerprint`` is computed once at construction from the data itself (values,
    column names, target name), so equal data gives equal fingerprints whatever the
    file or index it came from.
    """

    name: str
    X: pd.DataFrame
    y: pd.Series
    task: str
    target: str
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        self.fingerprint = _fingerprint(self.X, self.y)

    @cached_property
    def numeric_columns(self) -> list[str]:
        """Columns of numbers (booleans excluded); they are imputed and scaled. Read once:
        every trial's pipeline asks, and looking at each column costs milliseconds."""
        return [c for c in self.X.columns if _is_number_column(self.X[c])]

    @cached_property
    def categorical_columns(self) -> list[str]:
        """Every other column (strings, categories, booleans); they are one-hot encoded."""
        numeric = set(self.numeric_columns)
        return [c for c in self.X.columns if c not in numeric]

    @property
    def n_rows(self) -> int:
        return len(self.y)

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, rows={self.n_rows}, features={self.X.shape[1]}, "
                f"task={self.task!r}, target={self.target!r})")


# --------------------------------------------------------------------------- loading


def load_dataset(source: str | Path | None = None, target: str | None = None,
                 task: str | None = None) -> Dataset:
    """Load a bundled dataset by name or a CSV/Parquet file by path.

    ``target`` defaults to the last column; ``task`` ("classification" or "regression")
    is inferred from the target unless given.
    """
    source = DEFAULT_DATASET if source is None else source
    if isinstance(source, str) and source in BUNDLED:
        frame, name = _bundled_frame(source), source
    else:
        path = Path(source)
        frame, name = read_table(path), path.stem
    return from_frame(frame, target=target, task=task, name=name)


def from_frame(frame: pd.DataFrame, target: str | None = None, task: str | None = None,
               name: str = "data") -> Dataset:
    """A dataset from one table holding features and target (default: the last column)."""
    frame = frame.rename(columns=str)
    _check_columns(frame, name)
    if frame.shape[1] < 2:
        raise DataError(f"dataset '{name}' needs at least one feature column besides the target")
    target = frame.columns[-1] if target is None else target
    if target not in frame.columns:
        raise DataError(f"target column '{target}' is not in dataset '{name}'; "
                        f"available columns: {_some(list(frame.columns))}")
    return _make(name, frame.drop(columns=[target]), frame[target], task)


def make_dataset(X: pd.DataFrame | np.ndarray, y: pd.Series | np.ndarray | list,
                 task: str | None = None, name: str = "data") -> Dataset:
    """A dataset from in-memory features and target (arrays get columns "0", "1", ...)."""
    X = pd.DataFrame(X).rename(columns=str)
    y = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y))
    if len(X) != len(y):
        raise DataError(f"X has {len(X)} rows but y has {len(y)}; they must match")
    y = y.set_axis(X.index).rename("target" if y.name is None else str(y.name))
    _check_columns(X, name)
    return _make(name, X, y, task)


def _bundled_frame(name: str) -> pd.DataFrame:
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, f"load_{name}")(as_frame=True)
    return bunch.frame


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as a table; a missing, empty or unreadable file is a DataError."""
    suffix = path.suffix.lower()
    if not path.exists():
        hint = f" (bundled datasets: {', '.join(BUNDLED)})" if not suffix else ""
        raise DataError(f"data file '{path}' does not exist{hint}")
    if suffix not in _READERS:
        raise DataError(f"cannot read '{path}': unknown extension '{suffix}' "
                        f"(use {', '.join(sorted(_READERS))})")
    if path.is_dir() or path.stat().st_size == 0:
        raise DataError(f"data file '{path}' is empty")
    kind = _READERS[suffix]
    try:
        frame = pd.read_csv(path) if kind == "csv" else pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the user's file
        raise DataError(f"data file '{path}' cannot be read as {kind}: {_first_line(exc)}") from None
    if frame.empty:
        raise DataError(f"data file '{path}' has no data rows")
    return frame


# --------------------------------------------------------------------------- validation


def _make(name: str, X: pd.DataFrame, y: pd.Series, task: str | None) -> Dataset:
    if len(y) == 0:
        raise DataError(f"dataset '{name}' has no rows")
    if X.shape[1] == 0:
        raise DataError(f"dataset '{name}' has no feature columns")
    target = str(y.name)
    n_missing = int(y.isna().sum())
    if n_missing:
        raise DataError(f"target '{target}' has {n_missing} missing value(s); drop or fill those rows first")
    empty = [c for c in X.columns if X[c].isna().all()]
    if empty:
        raise DataError(f"column(s) {_some(empty)} of dataset '{name}' have no values at all; drop them")
    task = _check_task(y, target, task)
    if y.nunique() < 2:
        kind = "class" if task == "classification" else "value"
        raise DataError(f"target '{target}' has a single {kind} ({_show(y.iloc[0])}); there is nothing to learn")
    return Dataset(name=name, X=X, y=y, task=task, target=target)


def infer_task(y: pd.Series) -> str:
    """Class labels (non-numeric, boolean, or few distinct whole numbers) or regression."""
    if not _is_number_column(y):
        return "classification"
    if _is_whole(y) and y.nunique() <= max(2, min(MAX_INFERRED_CLASSES, len(y) // 2)):
        return "classification"
    return "regression"


def _check_task(y: pd.Series, target: str, task: str | None) -> str:
    if task is None:
        return infer_task(y)
    if task not in TASKS:
        raise DataError(f"task must be 'classification' or 'regression', got {task!r}")
    if task == "regression" and not _is_number_column(y):
        raise DataError(f"regression needs a numeric target, but '{target}' holds "
                        f"{y.dtype} values such as {_show(y.iloc[0])}; use task='classification'")
    if task == "classification" and _is_number_column(y) and not _is_whole(y):
        raise DataError(f"classification needs class labels, but target '{target}' holds "
                        "fractional numbers; use task='regression'")
    return task


def check_folds(dataset: Dataset, k: int) -> None:
    """Refuse a dataset too small to give every one of ``k`` folds a validation row."""
    if dataset.n_rows < k:
        raise DataError(f"dataset '{dataset.name}' has {dataset.n_rows} rows, fewer than the "
                        f"{k} cross-validation folds; use fewer folds or more data")


def _check_columns(frame: pd.DataFrame, name: str) -> None:
    dupes = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dupes:
        raise DataError(f"dataset '{name}' has duplicate column name(s) {_some(dupes)}")


def _is_number_column(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _is_whole(s: pd.Series) -> bool:
    values = s.to_numpy(dtype=float, na_value=np.nan)
    finite = values[np.isfinite(values)]
    return bool(np.all(finite == np.round(finite)))


# --------------------------------------------------------------------------- splitting


def split_train_test(dataset: Dataset, test_size: float = 0.2, seed: int = 0) -> tuple[Dataset, Dataset]:
    """Hold out a test set (stratified by class where the classes allow) for a final score."""
    from cairn.evaluate.resampling import Holdout  # late: cairn.evaluate imports this module

    split = Holdout(test_size, seed).split(dataset.y.to_numpy(), dataset.task == "classification")
    train, test = next(split)
    return _subset(dataset, train, "train"), _subset(dataset, test, "test")


def _subset(dataset: Dataset, positions: np.ndarray, part: str) -> Dataset:
    return Dataset(name=f"{dataset.name}[{part}]", X=dataset.X.iloc[positions], y=dataset.y.iloc[positions],
                   task=dataset.task, target=dataset.target)


# --------------------------------------------------------------------------- helpers


def _fingerprint(X: pd.DataFrame, y: pd.Series) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((list(X.columns), str(y.name))).encode())
    try:
        for part in (X, y):
            h.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
    except TypeError as exc:
        raise DataError(f"data holds values that cannot be hashed: {_first_line(exc)}") from None
    return h.hexdigest()


def _some(names: list[str], limit: int = 10) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:limit])
    return shown + (f" ... ({len(names) - limit} more)" if len(names) > limit else "")


def _show(value: object) -> str:
    """A value as the user wrote it (``1``, not ``np.int64(1)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
