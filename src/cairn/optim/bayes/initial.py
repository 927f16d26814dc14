"""Space-filling initial designs, so the first model sees the whole space evenly."""

from __future__ import annotations

import numpy as np
from scipy.stats import qmc

from cairn.errors import UserError
from cairn.optim.bayes.encoding import Encoding

DESIGNS = ("sobol", "lhs", "random")


def initial_design(encoding: Encoding, n: int, rng: np.random.Generator, kind: str = "sobol") -> np.ndarray:
    """``n`` canonical points of a seeded Sobol, Latin hypercube or random design.

    Points are drawn in the encoding's unit cube (one-hot blocks pick their argmax), then
    snapped through the space's conditions, so categorical and conditional spaces work.
    """
    if kind not in DESIGNS:
        raise UserError(f"unknown initial design {kind!r}; valid names are {', '.join(DESIGNS)}")
    if n <= 0:
        return np.zeros((0, encoding.n_dims))
    d = encoding.n_dims
    if kind == "random" or d == 0:
        V = rng.random((n, d))
    elif kind == "sobol":
        sobol = qmc.Sobol(d, scramble=True, seed=rng)
        V = sobol.random_base2(int(np.ceil(np.log2(n))))[:n]
    else:
        V = qmc.LatinHypercube(d, seed=rng).random(n)
    return encoding.canonical(V)[0]
