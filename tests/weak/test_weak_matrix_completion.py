"""MatrixCompletion's parts: the Gram-matrix loss, the starting point, relabelling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import check_grad

from cairn.weak import MatrixCompletion, make_label_matrix, matrix_completion
from cairn.weak.matrix_completion import (
    _break_symmetry,
    _co_votes,
    _group_counts,
    _majority_start,
    _Problem,
    _regroup,
)


@pytest.fixture(scope="module")
def problem_inputs():
    votes = make_label_matrix(4000, 9, cardinality=3, correlated_pairs=1, seed=4)
    columns = np.ascontiguousarray(votes.L.T)
    return votes, columns, _co_votes(columns, 3) / votes.L.shape[0]


@pytest.mark.parametrize("estimate_balance", [True, False])
def test_the_gram_loss_is_the_masked_residual_and_its_gradient_is_exact(problem_inputs, estimate_balance):
    votes, columns, overlap = problem_inputs
    m, k = 9, 3
    rng = np.random.default_rng(0)
    mu0 = rng.uniform(0.0, 0.4, (m * k, k))
    problem = _Problem(overlap, m, k, mu0, 0.05, None if estimate_balance else np.array([0.2, 0.3, 0.5]))
    groups = np.arange(m) * 3 // m
    if estimate_balance:
        problem.set_groups(_group_counts(columns, k, groups), groups)
    problem.leave_out([(0, 1), (2, 7)])
    x = np.concatenate([rng.uniform(0.0, 0.5, mu0.size), rng.normal(size=k if estimate_balance else 0)])
    mu, p = problem.unpack(x)
    residual = problem.mask * ((mu * p) @ mu.T - overlap)  # the mk x mk residual the Gram form avoids
    direct = problem.scale2 * (np.sum(residual ** 2) + np.sum((mu @ p - problem.rates) ** 2)) \
        + 0.05 * np.sum((mu - mu0) ** 2) + np.sum(np.maximum(mu.reshape(m, k, k).sum(axis=1) - 1, 0) ** 2)
    if estimate_balance:
        direct += problem._third_order(mu, p)[0]
    assert problem.loss_and_grad(x)[0] == pytest.approx(direct, rel=1e-10)
    error = check_grad(lambda z: problem.loss_and_grad(z)[0], lambda z: problem.loss_and_grad(z)[1], x)
    assert error < 1e-5 * np.linalg.norm(problem.loss_and_grad(x)[1])


def test_moving_lfs_between_groups_counts_what_a_recount_counts(problem_inputs):
    _, columns, _ = problem_inputs
    groups = np.arange(9) * 3 // 9
    merged = np.array([0, 0, 0, 1, 0, 1, 2, 2, 1])  # LF 4 joins group 0, LF 8 group 1
    moved = _regroup(_group_counts(columns, 3, groups), columns, groups, merged)
    np.testing.assert_array_equal(moved, _group_counts(columns, 3, merged))
    assert (moved.sum(axis=1) == np.bincount(merged)[:, None]).all()  # every LF has one outcome per row


def test_the_starting_point_is_near_the_truth(problem_inputs):
    votes, columns, _ = problem_inputs
    mu, balance = _majority_start(columns, 3)
    blocks = mu.reshape(9, 3, 3)
    precision = np.einsum("jyy,y->j", blocks, balance) / np.einsum("jay,y->j", blocks, balance)
    error = np.abs(precision - votes.accuracies)[2:]  # LFs 0 and 1 are the copied pair
    assert error.mean() < 0.05 and error.max() < 0.1  # a start, not the fit: majority vote's labels are noisy
    assert np.abs(balance - votes.class_balance).max() < 0.05
    assert np.all(mu > 0) and np.all(blocks.sum(axis=1) < 1)  # every outcome, abstaining too, stays possible


def test_a_uniform_given_balance_still_lets_the_classes_be_named_by_the_votes():
    m, k = 4, 2
    right = np.tile([[0.6, 0.1], [0.1, 0.6]], (m, 1))  # votes agree with their own class
    swapped = right[:, ::-1]
    mu, balance = _break_symmetry(swapped, np.array([0.5, 0.5]), m, k, fixed=True)
    np.testing.assert_array_equal(mu, right)
    mu, balance = _break_symmetry(swapped, np.array([0.3, 0.7]), m, k, fixed=True)  # unequal shares pin them
    np.testing.assert_array_equal(mu, swapped)
    np.testing.assert_array_equal(balance, [0.3, 0.7])


def test_without_the_pull_either_start_reaches_the_same_fit():
    votes = make_label_matrix(20000, 10, class_balance=[0.35, 0.65], seed=6)
    estimated = MatrixCompletion(prior_strength=0).fit(votes.L)
    fixed = MatrixCompletion(prec_init=0.7, prior_strength=0).fit(votes.L)
    assert np.abs(estimated.lf_accuracies_ - fixed.lf_accuracies_).max() < 0.001
    assert np.abs(estimated.balance_ - votes.class_balance).max() < 0.02


def test_the_pull_towards_the_start_steadies_few_rows_and_fades_on_many():
    many = make_label_matrix(50000, 10, class_balance=[0.35, 0.65], seed=6)
    pulled, free = MatrixCompletion().fit(many.L), MatrixCompletion(prior_strength=0).fit(many.L)
    assert np.abs(pulled.lf_accuracies_ - free.lf_accuracies_).max() < 0.01
    few = make_label_matrix(300, 10, class_balance=[0.35, 0.65], seed=6)
    start, _ = _majority_start(np.ascontiguousarray(few.L.T), 2)
    pulled, free = MatrixCompletion().fit(few.L), MatrixCompletion(prior_strength=0).fit(few.L)
    distance = [np.abs(model.mu_ - start).sum() for model in (pulled, free)]
    assert distance[0] < 0.5 * distance[1]


def test_co_votes_are_exact_counts_on_any_number_of_threads(monkeypatch):
    votes = make_label_matrix(3_000, 7, cardinality=3, class_balance=[0.2, 0.3, 0.5], correlated_pairs=1, seed=4)
    columns = np.ascontiguousarray(votes.L.T)
    indicators = np.concatenate([(votes.L == c)[:, :, None] for c in range(3)], axis=2).reshape(3_000, -1)
    expected = indicators.T.astype(np.int64) @ indicators.astype(np.int64)  # (LF, class) pairs in mu's order
    monkeypatch.setattr(matrix_completion, "_THREADED_ROWS", 1)  # threads from the first row on
    for threads in (1, 2, 3):
        assert np.array_equal(_co_votes(columns, 3, threads), expected)


def test_co_votes_use_no_more_threads_than_blas_may() -> None:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        assert matrix_completion._threads() == 1
    with threadpool_limits(3):
        assert matrix_completion._threads() == min(3, matrix_completion._MAX_THREADS)
