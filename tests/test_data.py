"""Loading, validating and splitting data: every user mistake is one DataError sentence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cairn.data import (
    BUNDLED,
    check_folds,
    infer_task,
    load_dataset,
    make_dataset,
    split_train_test,
)
from cairn.errors import DataError, UserError


def _csv(tmp_path, frame: pd.DataFrame, name: str = "data.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _raises(match: str, *args, **kwargs) -> str:
    with pytest.raises(DataError, match=match) as info:
        load_dataset(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.fixture
def mixed() -> pd.DataFrame:
    return pd.DataFrame({
        "age": [23, 35, np.nan, 51, 42, 29, 60, 38],
        "city": ["a", "b", "a", None, "c", "b", "a", "c"],
        "flag": [True, False, True, True, False, False, True, False],
        "label": ["yes", "no", "yes", "no", "yes", "no", "yes", "no"],
    })


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_datasets_load_with_their_task(name):
    ds = load_dataset(name)
    assert ds.name == name and len(ds.X) == len(ds.y) > 100
    assert all(isinstance(c, str) for c in ds.X.columns)
    assert ds.task == ("regression" if name == "diabetes" else "classification")
    assert ds.numeric_columns == list(ds.X.columns) and ds.categorical_columns == []


def test_default_is_wine_and_fingerprint_is_stable():
    a, b = load_dataset(), load_dataset("wine")
    assert a.name == "wine" and a.fingerprint == b.fingerprint
    assert a.fingerprint != load_dataset("iris").fingerprint
    changed = a.X.copy()
    changed.iloc[0, 0] += 1
    assert make_dataset(changed, a.y).fingerprint != make_dataset(a.X, a.y).fingerprint


def test_csv_target_defaults_to_last_column(tmp_path, mixed):
    ds = load_dataset(_csv(tmp_path, mixed))
    assert ds.target == "label" and ds.task == "classification" and ds.name == "data"
    assert ds.numeric_columns == ["age"] and ds.categorical_columns == ["city", "flag"]


def test_parquet_and_explicit_target(tmp_path, mixed):
    path = tmp_path / "data.parquet"
    mixed.to_parquet(path)
    ds = load_dataset(str(path), target="flag")
    assert ds.target == "flag" and ds.task == "classification" and "label" in ds.X.columns
    assert ds.fingerprint == load_dataset(path, target="flag").fingerprint


def test_task_inference():
    assert infer_task(pd.Series(["a", "b"] * 10)) == "classification"
    assert infer_task(pd.Series([True, False] * 10)) == "classification"
    assert infer_task(pd.Series([0, 1, 2] * 10)) == "classification"
    assert infer_task(pd.Series(np.linspace(0, 1, 30))) == "regression"
    assert infer_task(pd.Series(np.arange(100))) == "regression"  # many distinct integers


def test_task_override_is_respected():
    ds = load_dataset("iris", task="regression")
    assert ds.task == "regression"
    assert load_dataset("diabetes", task="classification").task == "classification"  # whole numbers


def test_make_dataset_from_arrays():
    ds = make_dataset(np.arange(20.0).reshape(10, 2), np.array([0, 1] * 5))
    assert list(ds.X.columns) == ["0", "1"] and ds.target == "target" and ds.task == "classification"
    with pytest.raises(DataError, match="rows"):
        make_dataset(np.zeros((10, 2)), [0, 1] * 4)


def test_split_is_stratified_disjoint_and_deterministic():
    ds = load_dataset("iris")
    train, test = split_train_test(ds, test_size=0.2, seed=3)
    assert len(test.y) == 30 and len(train.y) == 120
    assert set(train.X.index).isdisjoint(test.X.index)
    assert test.y.value_counts().tolist() == [10, 10, 10]
    again, _ = split_train_test(ds, test_size=0.2, seed=3)
    assert train.fingerprint == again.fingerprint
    other, _ = split_train_test(ds, test_size=0.2, seed=4)
    assert other.fingerprint != train.fingerprint


# --------------------------------------------------------------------------- errors


def test_missing_file(tmp_path):
    _raises("does not exist", tmp_path / "nope.csv")
    assert "bundled datasets" in _raises("does not exist", "not_a_dataset")


def test_unknown_extension(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_text("a,b\n1,2\n")
    _raises("unknown extension '.xlsx'", path)


def test_empty_file_and_header_only(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    _raises("is empty", tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("a,b\n")
    _raises("no data rows", tmp_path / "header.csv")


def test_malformed_files(tmp_path):
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3,4,5,6\n")
    _raises("cannot be read as csv", tmp_path / "ragged.csv")
    (tmp_path / "junk.parquet").write_bytes(b"this is not parquet")
    _raises("cannot be read as parquet", tmp_path / "junk.parquet")


def test_missing_target_lists_columns_truncated(tmp_path):
    wide = pd.DataFrame({f"col{i}": [0, 1] for i in range(15)})
    message = _raises("target column 'y' is not in", _csv(tmp_path, wide), target="y")
    assert "'col0'" in message and "(5 more)" in message and "'col14'" not in message


def test_target_with_missing_values(tmp_path, mixed):
    _raises("target 'age' has 1 missing value", _csv(tmp_path, mixed), target="age")


def test_single_class(tmp_path, mixed):
    _raises("target 'label' has a single class \\('yes'\\)", _csv(tmp_path, mixed.assign(label="yes")))
    _raises("target 'y' has a single value \\(1.5\\)", _csv(tmp_path, mixed.assign(y=1.5)), task="regression")
    _raises("single class \\(1\\)", _csv(tmp_path, mixed.assign(y=1)))


def test_all_missing_columns_are_named(tmp_path, mixed):
    message = _raises("no values at all", _csv(tmp_path, mixed.assign(empty=np.nan, void=None)), target="label")
    assert "'empty'" in message and "'void'" in message


def test_wrong_task_override(tmp_path, mixed):
    _raises("regression needs a numeric target", _csv(tmp_path, mixed), task="regression")
    _raises("classification needs class labels", "diabetes", target="bmi", task="classification")
    _raises("task must be", "iris", task="clustering")


def test_fewer_rows_than_folds(mixed):
    ds = make_dataset(mixed.drop(columns="label"), mixed["label"])
    check_folds(ds, 8)
    with pytest.raises(DataError, match="8 rows, fewer than the 10"):
        check_folds(ds, 10)


def test_only_target_column(tmp_path):
    _raises("at least one feature", _csv(tmp_path, pd.DataFrame({"y": [0, 1, 0]})))


def test_bad_split_fraction():
    with pytest.raises(UserError):
        split_train_test(load_dataset("iris"), test_size=1.5)
