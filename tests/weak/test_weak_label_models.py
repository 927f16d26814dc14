"""Label models: recovery of known accuracies, ties, LF order, seeds and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from cairn.errors import UserError
from cairn.weak import DawidSkene, MajorityVote, MatrixCompletion, make_label_matrix
from cairn.weak.base import seeded_argmax

MODELS = [MajorityVote, DawidSkene, MatrixCompletion]


@pytest.fixture(scope="module", params=[2, 3], ids=["binary", "three-class"])
def votes(request):
    balance = [0.3, 0.7] if request.param == 2 else [0.2, 0.3, 0.5]
    return make_label_matrix(20000, 10, cardinality=request.param, accuracy=(0.6, 0.9), coverage=(0.3, 0.7),
                             class_balance=balance, seed=0)


@pytest.mark.parametrize("model_class", [DawidSkene, MatrixCompletion])
def test_label_models_recover_known_accuracies_and_class_balance(votes, model_class):
    model = model_class().fit(votes.L)
    assert np.abs(model.lf_accuracies_ - votes.accuracies).max() < 0.02
    assert np.abs(model.balance_ - votes.class_balance).max() < 0.02
    covered = (votes.L != -1).any(axis=1)
    accuracy = np.mean(model.predict(votes.L)[covered] == votes.y[covered])
    majority = np.mean(MajorityVote().fit(votes.L).predict(votes.L)[covered] == votes.y[covered])
    assert accuracy > majority  # weighting LFs by their accuracy beats counting votes


def test_a_given_class_balance_is_kept():
    votes = make_label_matrix(5000, 8, seed=1)
    model = MatrixCompletion(class_balance=[0.4, 0.6]).fit(votes.L)
    assert model.balance_.tolist() == [0.4, 0.6]


def test_majority_vote_ties_are_uniform_probabilities_and_a_seeded_pick():
    L = np.array([[0, 1, -1], [0, 0, 1], [-1, -1, -1], [2, 2, 1]])
    model = MajorityVote(cardinality=3, seed=0).fit(L)
    proba = model.predict_proba(L)
    np.testing.assert_array_equal(proba, [[0.5, 0.5, 0], [1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0, 0, 1]])
    pred = model.predict(L)
    assert pred[1] == 0 and pred[3] == 2 and pred[0] in (0, 1)
    tied = np.tile([[0, 1]], (400, 1))
    picks = MajorityVote(seed=3).fit(tied).predict(tied)
    assert 150 < np.count_nonzero(picks == 0) < 250  # uniform among the tied classes
    np.testing.assert_array_equal(picks, MajorityVote(seed=3).fit(tied).predict(tied))
    assert not np.array_equal(picks, MajorityVote(seed=4).fit(tied).predict(tied))
    np.testing.assert_array_equal(picks, seeded_argmax(np.full((400, 2), 0.5), 3))


@pytest.mark.parametrize("model_class", MODELS)
def test_the_order_of_the_labeling_functions_does_not_change_results(model_class):
    votes = make_label_matrix(3000, 9, cardinality=3, correlated_pairs=1, seed=2)
    perm = np.random.default_rng(0).permutation(9)
    model = model_class(seed=5).fit(votes.L)
    shuffled = model_class(seed=5).fit(votes.L[:, perm])
    np.testing.assert_array_equal(model.predict_proba(votes.L), shuffled.predict_proba(votes.L[:, perm]))
    np.testing.assert_array_equal(model.predict(votes.L), shuffled.predict(votes.L[:, perm]))
    if model_class is not MajorityVote:
        np.testing.assert_array_equal(model.lf_accuracies_[perm], shuffled.lf_accuracies_)


def test_matrix_completion_finds_a_copied_lf_and_is_better_for_leaving_it_out():
    votes = make_label_matrix(20000, 10, correlated_pairs=1, copy_rate=0.9, seed=1)
    covered = (votes.L != -1).any(axis=1)
    robust = MatrixCompletion().fit(votes.L)
    naive = MatrixCompletion(dependency_alpha=None).fit(votes.L)
    assert (0, 1) in robust.dependencies_ and naive.dependencies_ == []
    accuracy = [np.mean(m.predict(votes.L)[covered] == votes.y[covered]) for m in (robust, naive)]
    assert accuracy[0] > accuracy[1] + 0.05


@pytest.mark.parametrize("model_class", MODELS)
def test_models_are_seeded_scikit_learn_estimators(model_class):
    votes = make_label_matrix(2000, 6, seed=3)
    model = model_class(seed=7)
    assert clone(model).get_params() == model.get_params()
    first = model.fit(votes.L).predict_proba(votes.L)
    np.testing.assert_array_equal(first, clone(model).fit(votes.L).predict_proba(votes.L))
    assert np.allclose(first.sum(axis=1), 1.0)


@pytest.mark.parametrize("make, message", [
    (lambda: MatrixCompletion().predict(np.zeros((2, 2), int)), "not fitted"),
    (lambda: MajorityVote().fit(np.zeros((2, 2), int)).predict(np.zeros((2, 3), int)), "fitted on 2"),
    (lambda: MatrixCompletion(class_balance=[0.5, 0.6]).fit(np.zeros((3, 3), int)), "sum to 1"),
    (lambda: DawidSkene(cardinality=2).fit(np.array([[0, 2, 1]])), "cardinality is 2"),
    (lambda: MajorityVote().fit(np.array([[0, -3]])), "abstain"),
    (lambda: MajorityVote().fit(np.array([0, 1])), "2-D"),
    (lambda: DawidSkene().fit(np.empty((0, 3), int)), "at least one row"),
    (lambda: DawidSkene(max_iter=0).fit(np.zeros((3, 3), int)), "max_iter"),
    (lambda: MatrixCompletion(prec_init=1.2).fit(np.zeros((3, 3), int)), "prec_init"),
])
def test_bad_input_is_a_user_error(make, message):
    with pytest.raises(UserError, match=message):
        make()
