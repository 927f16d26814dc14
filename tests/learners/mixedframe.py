"""A small mixed frame with gaps, shared by the pipeline tests: numbers, a float count,
object and string categories, and missing values of each kind (NaN, None, pandas.NA)."""

from __future__ import annotations

import numpy as np
import pandas as pd

CATEGORICAL, NUMERIC = ["colour", "size"], ["num", "count"]


def mixed_frame(n: int, scale: float = 1.0) -> tuple[pd.DataFrame, pd.Series]:
    """``n`` rows; ``num`` is normal times ``scale``; the class is whether ``count > 2``."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({
        "num": rng.normal(size=n) * scale,
        "count": rng.integers(0, 5, size=n).astype(float),
        "colour": rng.choice(["red", "green", "blue"], size=n).astype(object),
        "size": pd.Series(rng.choice(["s", "m", "l"], size=n), dtype="string"),
    })
    X.loc[::7, "num"] = np.nan
    X.loc[::5, "colour"] = None
    X.loc[::9, "size"] = pd.NA
    return X, pd.Series(np.where(X["count"] > 2, "high", "low"))
