"""Labels decided for balanced accuracy: the class with the largest probability per class share."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.svm import SVC

from cairn.learners import build_pipeline
from cairn.learners.decision import BalancedDecision, balanced_labels, class_shares, decision_prior


def _imbalanced(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two overlapping Gaussians, 10 % positives: argmax rarely predicts the minority."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.1).astype(int)
    return rng.normal(size=(n, 2)) + y[:, None] * 1.5, y


def test_a_row_goes_to_the_class_most_probable_relative_to_its_share() -> None:
    proba = np.array([[0.7, 0.3], [0.95, 0.05]])
    assert list(balanced_labels(proba, np.array(["a", "b"]), np.array([0.9, 0.1]))) == ["b", "a"]
    assert list(class_shares(["a", "b", "b", "b"], np.array(["a", "b"]))) == [0.25, 0.75]


def test_the_decision_raises_balanced_accuracy_on_imbalanced_data_and_keeps_the_probabilities() -> None:
    X, y = _imbalanced(4000, seed=0)
    X_test, y_test = _imbalanced(4000, seed=1)
    plain = LogisticRegression().fit(X, y)
    decided = BalancedDecision(LogisticRegression()).fit(X, y)
    np.testing.assert_allclose(decided.predict_proba(X_test), plain.predict_proba(X_test))
    np.testing.assert_allclose(decided.prior_, [np.mean(y == 0), np.mean(y == 1)])
    gain = balanced_accuracy_score(y_test, decided.predict(X_test)) - balanced_accuracy_score(y_test, plain.predict(X_test))
    assert gain > 0.05  # measured: 0.099


def test_pipelines_are_made_to_serve_balanced_accuracy_only_when_it_is_the_metric() -> None:
    def model(config: dict, metric: str | None) -> object:
        return build_pipeline(config, "classification", metric=metric).steps[-1][1]

    assert isinstance(model({"learner": "logreg"}, "balanced_accuracy"), BalancedDecision)
    assert not isinstance(model({"learner": "logreg"}, "accuracy"), BalancedDecision)
    assert not isinstance(model({"learner": "logreg"}, None), BalancedDecision)
    svm = model({"learner": "rbf_svm"}, "balanced_accuracy")  # no probabilities: balanced class weights
    assert isinstance(svm, SVC) and svm.class_weight == "balanced"
    assert model({"learner": "rbf_svm"}, "accuracy").class_weight is None
    assert decision_prior("accuracy", [0, 1, 1]) is None
    np.testing.assert_allclose(decision_prior("balanced_accuracy", [0, 1, 1]), [1 / 3, 2 / 3])
