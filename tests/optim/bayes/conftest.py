"""Shared spaces for the model-based strategy tests."""

from __future__ import annotations

import pytest

from cairn.space import Categorical, Constant, Float, Int, Space


@pytest.fixture
def conditional_space() -> Space:
    """A CASH-like space: three learners, each with its own (nested) parameters."""
    return Space(
        [
            Categorical("model", ["svm", "tree", "knn"]),
            Float("svm.C", 1e-3, 1e3, log=True),
            Categorical("svm.kernel", ["rbf", "poly"]),
            Float("svm.gamma", 1e-4, 1.0, log=True),
            Int("svm.degree", 2, 5),
            Int("tree.depth", 1, 20, log=True),
            Int("knn.k", 1, 50),
            Constant("seed", 3),
            Float("lr", 0.0, 1.0),
        ],
        {
            "svm.C": {"model": ["svm"]},
            "svm.kernel": {"model": ["svm"]},
            "svm.gamma": {"svm.kernel": ["rbf"]},
            "svm.degree": {"svm.kernel": ["poly"]},
            "tree.depth": {"model": ["tree"]},
            "knn.k": {"model": ["knn"]},
        },
    )


def _cash_loss(config: dict) -> float:
    """Best at model=svm, kernel=rbf, C=10, gamma=0.01, lr=0.3."""
    loss = (config["lr"] - 0.3) ** 2
    if config["model"] != "svm":
        return loss + 1.0
    loss += (config["svm.C"] / 10 - 1) ** 2 / 100
    if config["svm.kernel"] == "rbf":
        loss += abs(config["svm.gamma"] - 0.01)
    else:
        loss += 0.5
    return loss


@pytest.fixture
def cash_loss():
    return _cash_loss
