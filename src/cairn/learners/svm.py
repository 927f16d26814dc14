"""Support vector machines: linear and RBF classifiers, RBF regression.

Neither classifier predicts probabilities (Platt scaling would cost five extra fits), so
metrics that need them fail for these learners with a clear message; ROC AUC on two
classes uses the decision function instead.
"""

from __future__ import annotations

from sklearn.svm import SVC, SVR, LinearSVC

from cairn.learners.base import Learner, Params
from cairn.space import Float, Space


def _linear_svm(p: Params, seed: int) -> LinearSVC:
    return LinearSVC(C=p["C"], max_iter=2000, random_state=seed)


def _rbf_svm(p: Params, seed: int) -> SVC:
    return SVC(kernel="rbf", C=p["C"], gamma=p["gamma"], random_state=seed)


def _svr(p: Params, seed: int) -> SVR:
    return SVR(kernel="rbf", C=p["C"], gamma=p["gamma"], epsilon=p["epsilon"])


def _rbf_params() -> list[Float]:
    return [Float("C", 1e-2, 1e3, log=True, default=1.0), Float("gamma", 1e-4, 10.0, log=True, default=0.1)]


LEARNERS = [
    Learner("linear_svm", "classification", _linear_svm,
            Space([Float("C", 1e-3, 1e2, log=True, default=1.0)])),
    Learner("rbf_svm", "classification", _rbf_svm, Space(_rbf_params())),
    # epsilon is in units of the standardised target.
    Learner("svr", "regression", _svr,
            Space([*_rbf_params(), Float("epsilon", 1e-3, 1.0, log=True, default=0.1)])),
]
