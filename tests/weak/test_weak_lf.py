"""Labeling functions and appliers: DataFrames, arrays, vectorised LFs, helpers, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cairn.weak as weak
from cairn.errors import UserError
from cairn.weak import (
    ABSTAIN,
    LFError,
    apply_lfs,
    keyword_lf,
    labeling_function,
    regex_lf,
    threshold_lf,
)


@labeling_function()
def long_text(x):
    return 1 if len(x.text) > 10 else ABSTAIN


@labeling_function(name="cheap", resources={"limit": 5})
def cheap(x, limit):
    return 0 if x["price"] < limit else ABSTAIN


FRAME = pd.DataFrame({"text": ["great value, loved it", "awful", "GREAT", "refund please now", None],
                      "price": [3.0, 9.0, 4.0, 20.0, np.nan]})


def test_row_lfs_see_attributes_and_items_of_a_dataframe_row():
    L = apply_lfs([long_text, cheap], FRAME.iloc[:4])
    assert L.tolist() == [[1, 0], [-1, -1], [-1, 0], [1, -1]]
    assert L.dtype == np.int8
    assert cheap.name == "cheap" and long_text.name == "long_text"


def test_row_lfs_on_an_array_get_array_rows():
    first_positive = labeling_function(name="pos")(lambda row: 1 if row[0] > 0 else 0)
    assert apply_lfs([first_positive], np.array([[1.0, 2.0], [-1.0, 0.0]])).tolist() == [[1], [0]]


def test_vectorised_lfs_and_helpers_match_their_row_meaning():
    lfs = [keyword_lf("text", ["great", "loved"], 1), regex_lf("text", r"refund|awful", 0),
           threshold_lf("price", 10, 0, above=True), threshold_lf("price", 5, 1, above=False)]
    L = apply_lfs(lfs, FRAME)
    assert L[:, 0].tolist() == [1, -1, 1, -1, -1]  # case-insensitive whole words; missing text abstains
    assert L[:, 1].tolist() == [-1, 0, -1, 0, -1]
    assert L[:, 2].tolist() == [-1, -1, -1, 0, -1]  # NaN abstains
    assert L[:, 3].tolist() == [1, -1, 1, -1, -1]
    assert apply_lfs([threshold_lf(1, 0.5, 1)], np.array([[0, 1.0], [0, 0.0]])).tolist() == [[1], [-1]]


def test_an_lf_that_raises_is_reported_with_its_name_and_row():
    @labeling_function()
    def fragile(x):
        return 1 if x.text.startswith("g") else 0

    with pytest.raises(LFError, match=r"'fragile' raised AttributeError on row 4"):
        apply_lfs([fragile], FRAME)
    indexed = FRAME.set_axis(["a", "b", "c", "d", "e"])
    with pytest.raises(LFError, match=r"row 4 \(index 'e'\)"):
        apply_lfs([fragile], indexed)


@pytest.mark.parametrize("vote", ["yes", 1.5, -2, True, None])
def test_a_vote_that_is_not_a_class_is_refused(vote):
    bad = labeling_function(name="bad")(lambda x: vote)
    with pytest.raises(LFError, match="'bad' returned"):
        apply_lfs([bad], FRAME)


def test_vectorised_lfs_must_return_one_whole_vote_per_row():
    short = labeling_function(name="short", vectorized=True)(lambda df: np.zeros(2))
    fractional = labeling_function(name="frac", vectorized=True)(lambda df: np.full(len(df), 0.5))
    for lf in (short, fractional):
        with pytest.raises(LFError, match=lf.name):
            apply_lfs([lf], FRAME)


def test_lf_lists_are_checked():
    with pytest.raises(UserError, match="distinct"):
        apply_lfs([cheap, cheap], FRAME)
    with pytest.raises(UserError, match="not a labeling function"):
        apply_lfs([lambda x: 1], FRAME)
    with pytest.raises(UserError, match="column 'nope'"):
        apply_lfs([threshold_lf("nope", 1, 0)], FRAME)
    with pytest.raises(UserError, match="does not compile"):
        regex_lf("text", "(", 1)


def test_the_package_exports_load_lazily():
    assert weak.labeling_function is labeling_function
    with pytest.raises(AttributeError):
        weak.nothing_here  # noqa: B018
