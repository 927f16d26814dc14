"""Multi-layer perceptrons; training epochs (``max_iter``) are the iteration fidelity."""

from __future__ import annotations

from typing import Any

from sklearn.neural_network import MLPClassifier, MLPRegressor

from cairn.learners.base import Fidelity, Params, both_tasks
from cairn.space import Float, Int, Space

MAX_EPOCHS = 200


def _mlp(cls: type, p: Params, seed: int) -> Any:
    return cls(hidden_layer_sizes=(p["width"],) * p["layers"], alpha=p["alpha"],
               learning_rate_init=p["learning_rate_init"], max_iter=MAX_EPOCHS, random_state=seed)


_MLP_SPACE = Space([
    Int("layers", 1, 2, default=1),
    Int("width", 16, 128, log=True, default=64),
    Float("alpha", 1e-6, 1e-1, log=True, default=1e-4),
    Float("learning_rate_init", 1e-4, 1e-1, log=True, default=1e-3),
])

LEARNERS = both_tasks("mlp", _mlp, _MLP_SPACE, MLPClassifier, MLPRegressor,
                      Fidelity("max_iter", 10, MAX_EPOCHS))
