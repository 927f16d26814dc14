import time
from collections import Counter

import numpy as np
import pandas as pd
import pytest

import cairn
from cairn.data import load_dataset
from cairn.errors import UserError
from cairn.registry import datasets as ds


def _tricky() -> pd.DataFrame:
    """Values that equal-looking hashes would confuse: -0.0, NaN, None, 1 vs 1.0 vs True."""
    return pd.DataFrame({
        "f": [0.0, -0.0, np.nan, 1.5, 0.0, 0.0],
        "i": np.array([1, 2, 3, 4, 1, 1], dtype=np.int32),
        "b": [True, False, True, True, True, True],
        "s": ["a", "b", "c", "d", "a", "a"],
        "o": [None, np.nan, 1, 1.0, True, None],
        "c": pd.Categorical(["x", "y", "x", "y", "x", "x"]),
        "n": pd.array([1, None, 3, 4, 1, 1], dtype="Int64"),
        "t": pd.to_datetime(["2024-01-01", "2024-01-02", None, "2024-01-04", "2024-01-01", "2024-01-01"]),
    })


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True), check_exact=True)
    assert list(got.dtypes) == list(want.dtypes)
    assert np.signbit(got["f"].to_numpy()).tolist() == np.signbit(want["f"].to_numpy()).tolist()
    assert [type(v) for v in got["o"]] == [type(v) for v in want["o"]]


def test_versions_round_trip_exactly_with_duplicates(store) -> None:
    v1 = _tricky()
    v2 = pd.concat([v1.iloc[[5, 3, 0, 0, 2, 4]], v1.iloc[[1]].assign(s="new")])  # reorder, copy, drop, add
    v3 = pd.concat([v2, v2.iloc[[0]]])
    numbers = [cairn.register_dataset("t", v, store=store) for v in (v1, v2, v3)]
    assert numbers == [1, 2, 3]
    for number, frame in zip(numbers, (v1, v2, v3), strict=True):
        _same(cairn.get_dataset("t", number, store=store), frame)
    _same(cairn.get_dataset("t", store=store), v3)  # the latest
    info = cairn.describe_dataset("t", store=store)["versions"]
    # Rows 0 and 5 of v1 are equal (row 4 differs in "o": True, not None). v2 holds three
    # copies of that row, so one copy is added (with the "new" row); row 1 goes.
    assert [(v["n_added"], v["n_removed"]) for v in info] == [(None, None), (2, 1), (1, 0)]
    assert [v["base_version"] for v in info] == [None, 1, 2]
    added, removed = cairn.dataset_diff("t", 1, 2, store=store)
    assert sorted(added["s"]) == ["a", "new"] and removed["s"].tolist() == ["b"]
    assert added["o"].tolist()[0] is None


def test_same_content_is_the_same_version_whatever_the_source(store, tmp_path) -> None:
    iris = load_dataset("iris")
    assert cairn.register_dataset("iris", iris, store=store) == 1
    frame = pd.concat([iris.X, iris.y], axis=1)
    assert cairn.register_dataset("iris", frame.set_index(frame.index + 100), store=store) == 1
    frame.to_csv(tmp_path / "iris.csv", index=False)
    assert cairn.register_dataset("iris", tmp_path / "iris.csv", store=store) == 1  # read back equal
    assert cairn.register_dataset("iris", frame.iloc[:-1], store=store) == 2


def test_snapshots_when_columns_change_rows_mostly_change_or_chain_is_long(store) -> None:
    from cairn.registry.chain import SNAPSHOT_EVERY

    base = pd.DataFrame({"a": np.arange(50), "b": np.arange(50) * 0.5})
    cairn.register_dataset("d", base, store=store)
    cairn.register_dataset("d", base.assign(c=1), store=store)  # new column
    cairn.register_dataset("d", base.assign(c=2) + 1000, store=store)  # every row new
    for k in range(SNAPSHOT_EVERY):
        cairn.register_dataset("d", pd.concat([base.assign(c=2) + 1000, base.assign(c=k).iloc[:1]]), store=store)
    info = cairn.describe_dataset("d", store=store)["versions"]
    assert [v["base_version"] is None for v in info[:3]] == [True, True, True]
    assert [v["depth"] for v in info[3:]] == [*range(1, SNAPSHOT_EVERY), 0]
    assert [v["parent_version"] for v in info[1:]] == list(range(1, len(info)))
    with pytest.raises(UserError, match="different columns"):
        cairn.dataset_union("d", 1, 2, store=store)


def _rows(frame: pd.DataFrame) -> list[tuple]:
    return list(frame.itertuples(index=False, name=None))


def _truth(a: list[tuple], b: list[tuple]) -> dict[str, list[tuple]]:
    """Multiset intersection and difference in ``a``'s order, and the rows ``b`` adds and
    removes, from plain counting. (A union is ``a`` followed by the added rows.)"""
    ca, cb = Counter(a), Counter(b)
    seen: Counter = Counter()
    inter, diff = [], []
    for row in a:
        (inter if seen[row] < cb[row] else diff).append(row)
        seen[row] += 1
    return {"intersection": inter, "difference": diff, "added": +(cb - ca), "removed": +(ca - cb)}


def test_set_operations_match_counting_across_branches(store) -> None:
    rng = np.random.default_rng(7)

    def rows(n: int) -> pd.DataFrame:  # few distinct values: many duplicate rows
        return pd.DataFrame({"k": rng.integers(0, 4, n), "s": rng.choice(["p", "q"], n), "x": rng.integers(0, 2, n) / 4})

    v1 = rows(40)
    v2 = pd.concat([v1.sample(frac=0.7, random_state=1), rows(6)])
    v3 = pd.concat([v2.iloc[3:], rows(4), v2.iloc[:2]])
    v4 = pd.concat([v1.iloc[10:], rows(8)])
    for frame in (v1, v2, v3):
        cairn.register_dataset("s", frame, store=store)
    assert cairn.register_dataset("s", v4, parent=1, store=store) == 4  # a branch off version 1
    frames = {1: v1, 2: v2, 3: v3, 4: v4}
    for a, b in [(1, 2), (2, 1), (1, 3), (3, 1), (2, 4), (4, 3), (3, 3)]:
        want = _truth(_rows(frames[a]), _rows(frames[b]))
        union = _rows(cairn.dataset_union("s", a, b, store=store))
        n = len(frames[a])
        assert union[:n] == _rows(frames[a]) and Counter(union[n:]) == want["added"]
        assert _rows(cairn.dataset_intersection("s", a, b, store=store)) == want["intersection"]
        assert _rows(cairn.dataset_difference("s", a, b, store=store)) == want["difference"]
        added, removed = cairn.dataset_diff("s", a, b, store=store)
        assert Counter(_rows(added)) == want["added"] and Counter(_rows(removed)) == want["removed"]
        assert list(added.dtypes) == list(v1.dtypes)


def test_diff_rebuilds_no_version_and_union_only_the_left(store, monkeypatch) -> None:
    cairn.register_dataset("s", pd.DataFrame({"a": range(30)}), store=store)
    cairn.register_dataset("s", pd.DataFrame({"a": range(5, 40)}), store=store)
    rebuilt = []
    real = ds._checkout
    monkeypatch.setattr(ds, "_checkout", lambda st, conn, row, name: rebuilt.append(row["version"]) or real(st, conn, row, name))
    added, removed = cairn.dataset_diff("s", 1, 2, store=store)
    assert rebuilt == [] and added["a"].tolist() == list(range(30, 40)) and removed["a"].tolist() == list(range(5))
    assert len(cairn.dataset_union("s", 2, 1, store=store)) == 40 and rebuilt == [2]


@pytest.mark.parametrize("call, message", [
    (lambda st: cairn.get_dataset("nope", 1, store=st), "no registered dataset 'nope'"),
    (lambda st: cairn.get_dataset("d", 5, store=st), "has no version 5; its versions are 1 to 1"),
    (lambda st: cairn.register_dataset("d", pd.DataFrame({"a": [9]}), parent=3, store=st), "has no version 3"),
    (lambda st: cairn.register_dataset("new", pd.DataFrame({"a": [9]}), parent=1, store=st), "no registered dataset 'new'"),
    (lambda st: cairn.register_dataset("d", [1, 2], store=st), "not a list"),
    (lambda st: cairn.register_dataset("d", pd.DataFrame([[1, 2]], columns=["a", "a"]), store=st), "must be unique"),
    (lambda st: cairn.register_dataset("d", pd.DataFrame(index=range(3)), store=st), "at least one column"),
    (lambda st: cairn.register_dataset("d/1", pd.DataFrame({"a": [1]}), store=st), "not valid"),
    (lambda st: cairn.register_dataset("d", "missing.csv", store=st), "does not exist"),
    (lambda st: cairn.dataset_diff("d", 1, 4, store=st), "has no version 4"),
])
def test_bad_input_is_one_sentence_and_changes_nothing(store, call, message) -> None:
    cairn.register_dataset("d", pd.DataFrame({"a": [1, 2]}), store=store)
    blobs = store.blobs.digests()
    with pytest.raises(UserError, match=message) as err:
        call(store)
    assert "\n" not in str(err.value)
    assert store.blobs.digests() == blobs and len(cairn.describe_dataset("d", store=store)["versions"]) == 1


def test_reading_the_registry_waits_for_no_writer(store, tmp_path) -> None:
    """Registry reads take SQLite snapshots, not the write lock: a study that holds the
    lock (here, another connection's open write transaction) does not hold them up."""
    cairn.register_dataset("t", _tricky(), store=store)
    writer = cairn.track.Store(store.url)
    try:
        with writer._write():
            start = time.perf_counter()
            assert [d["name"] for d in ds.list_datasets(store=store)] == ["t"]
            assert len(ds.get_dataset("t", store=store)) == len(_tricky())
            assert ds.describe_dataset("t", store=store)["name"] == "t"
            assert time.perf_counter() - start < 10  # a wait for the lock would last the 60 s busy timeout
    finally:
        writer.close()
