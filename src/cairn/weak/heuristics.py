"""Ready-made labeling functions for the commonest heuristics: keywords and regular
expressions on a text column, thresholds on a numeric one. All are vectorised, so they
cost one pass over a column instead of a Python call per row."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cairn.errors import UserError
from cairn.weak.labels import ABSTAIN
from cairn.weak.lf import LabelingFunction


def keyword_lf(column: str | int, keywords: Sequence[str], label: int, *, case_sensitive: bool = False,
               name: str | None = None) -> LabelingFunction:
    """Vote ``label`` where the text in ``column`` contains any of ``keywords`` as a whole word."""
    if isinstance(keywords, str) or not keywords:
        raise UserError("keyword_lf needs a non-empty list of keywords")
    pattern = r"\b(?:" + "|".join(re.escape(word) for word in keywords) + r")\b"
    return regex_lf(column, pattern, label, flags=0 if case_sensitive else re.IGNORECASE,
                    name=name or f"keyword_{column}_{'_'.join(keywords)}"[:80])


def regex_lf(column: str | int, pattern: str, label: int, *, flags: int = 0, name: str | None = None) -> LabelingFunction:
    """Vote ``label`` where the text in ``column`` matches ``pattern`` (``re.search``)."""
    try:
        compiled = re.compile(pattern, flags)
    except re.error as exc:
        raise UserError(f"regular expression {pattern!r} does not compile: {exc}") from None
    _check_label(label)

    def match(data: Any) -> np.ndarray:
        text = pd.Series(column_values(data, column), dtype="object").astype("string")
        hit = text.str.contains(compiled, regex=True, na=False).to_numpy(dtype=bool)
        return np.where(hit, label, ABSTAIN)

    return LabelingFunction(name or f"regex_{column}", match, vectorized=True)


def threshold_lf(column: str | int, threshold: float, label: int, *, above: bool = True,
                 name: str | None = None) -> LabelingFunction:
    """Vote ``label`` where ``column`` is above ``threshold`` (below it with ``above=False``);
    missing values abstain."""
    _check_label(label)

    def compare(data: Any) -> np.ndarray:
        values = np.asarray(column_values(data, column), dtype=np.float64)
        hit = values > threshold if above else values < threshold
        return np.where(hit, label, ABSTAIN)

    side = ">" if above else "<"
    return LabelingFunction(name or f"{column}{side}{threshold:g}", compare, vectorized=True)


def column_values(data: Any, column: str | int) -> Any:
    """One column of a DataFrame (by name) or of a 2-D array (by position)."""
    if isinstance(data, pd.DataFrame):
        if column not in data.columns:
            raise UserError(f"column {column!r} is not in the data; columns: {', '.join(map(str, data.columns[:10]))}")
        return data[column].to_numpy()
    array = np.asarray(data)
    if array.ndim != 2 or not isinstance(column, (int, np.integer)) or not -array.shape[1] <= column < array.shape[1]:
        raise UserError(f"column {column!r} does not index the columns of a {array.ndim}-D array of shape {array.shape}")
    return array[:, column]


def _check_label(label: int) -> None:
    if not isinstance(label, (int, np.integer)) or isinstance(label, bool) or label < 0:
        raise UserError(f"a labeling function votes a class 0, 1, ...; got {label!r}")
