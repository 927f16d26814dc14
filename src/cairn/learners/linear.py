"""Linear models: logistic regression for classes; ridge, lasso and elastic net for numbers.

Regularisation strengths span several decades, so they are searched on a log scale.
"""

from __future__ import annotations

from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, Ridge

from cairn.learners.base import Learner, Params
from cairn.space import Float, Space


def _logreg(p: Params, seed: int) -> LogisticRegression:
    return LogisticRegression(C=p["C"], max_iter=300, random_state=seed)


def _ridge(p: Params, seed: int) -> Ridge:
    return Ridge(alpha=p["alpha"], random_state=seed)


def _lasso(p: Params, seed: int) -> Lasso:
    return Lasso(alpha=p["alpha"], max_iter=2000, random_state=seed)


def _elastic_net(p: Params, seed: int) -> ElasticNet:
    return ElasticNet(alpha=p["alpha"], l1_ratio=p["l1_ratio"], max_iter=2000, random_state=seed)


# Regression targets are standardised by the pipeline, so these alphas mean the same
# for any target scale (on standardised features, alpha >= 1 zeroes every coefficient).
SPARSE_ALPHA = Float("alpha", 1e-4, 1.0, log=True, default=1e-2)

LEARNERS = [
    Learner("logreg", "classification", _logreg,
            Space([Float("C", 1e-3, 1e3, log=True, default=1.0)])),
    Learner("ridge", "regression", _ridge,
            Space([Float("alpha", 1e-4, 1e3, log=True, default=1.0)])),
    Learner("lasso", "regression", _lasso, Space([SPARSE_ALPHA])),
    Learner("elastic_net", "regression", _elastic_net,
            Space([SPARSE_ALPHA, Float("l1_ratio", 0.05, 1.0, default=0.5)])),
]
