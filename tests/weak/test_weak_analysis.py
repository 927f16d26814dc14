"""The per-LF analysis table, worked out by hand on a small label matrix."""

from __future__ import annotations

import numpy as np
import pytest

from cairn.errors import UserError
from cairn.weak import lf_summary

L = np.array([[0, 0, -1],
              [1, 0, -1],
              [-1, -1, 1],
              [-1, 1, 1]])


def test_polarity_coverage_overlaps_and_conflicts():
    table = lf_summary(L, ["a", "b", "c"])
    assert list(table.index) == ["a", "b", "c"]
    assert table["polarity"].tolist() == [[0, 1], [0, 1], [1]]
    assert table["coverage"].tolist() == [0.5, 0.75, 0.5]
    assert table["overlaps"].tolist() == [0.5, 0.75, 0.25]
    assert table["conflicts"].tolist() == [0.25, 0.25, 0.0]
    assert "emp_accuracy" not in table


def test_gold_labels_give_empirical_accuracy_and_unlabelled_rows_are_skipped():
    table = lf_summary(L, gold=np.array([0, 1, 1, -1]))
    assert list(table.index) == ["lf_0", "lf_1", "lf_2"]
    assert table["correct"].tolist() == [2, 1, 1]
    assert table["incorrect"].tolist() == [0, 1, 0]
    assert table["emp_accuracy"].tolist() == [1.0, 0.5, 1.0]
    silent = lf_summary(np.array([[-1], [0]]), gold=np.array([1, -1]))
    assert np.isnan(silent["emp_accuracy"].iloc[0])


@pytest.mark.parametrize("names, gold, message", [
    (["a"], None, "3 columns but 1"),
    (None, np.array([0, 1]), "one per row"),
    (None, np.array([0.5, 1, 0, 1]), "classes 0, 1"),
])
def test_bad_names_or_gold_are_user_errors(names, gold, message):
    with pytest.raises(UserError, match=message):
        lf_summary(L, names, gold)
