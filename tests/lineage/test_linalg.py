"""Traced linear algebra: every rewrite gives what direct computation gives, from cached pieces."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from cairn.errors import UserError
from cairn.lineage import recompute, serialize
from cairn.lineage.cache import ReuseCache
from cairn.lineage.linalg import LinearAlgebra, shared, sharing
from cairn.lineage.matrix import (
    KERNELS,
    cbind,
    fingerprint,
    ones,
    rbind,
    take_columns,
    take_rows,
    traced,
)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def la():
    return LinearAlgebra(ReuseCache())


@pytest.fixture
def calls(monkeypatch):
    """The input shapes of every direct computation, by op."""
    seen = defaultdict(list)
    for op, kernel in list(KERNELS.items()):
        def counted(params, *values, _op=op, _kernel=kernel):
            seen[_op].append(tuple(np.shape(v) for v in values))
            return _kernel(params, *values)
        monkeypatch.setitem(KERNELS, op, counted)
    return seen


def matrices(rng, *shapes):
    return [traced(rng.normal(size=shape), name=f"m{i}") for i, shape in enumerate(shapes)]


def test_tsmm_of_cbind_from_cached_tsmm(rng, la, calls):
    X, dX = matrices(rng, (300, 6), (300, 2))
    la.tsmm(X)
    calls.clear()
    full = np.hstack([X.value, dX.value])
    assert np.allclose(la.tsmm(cbind(X, dX)).value, full.T @ full, rtol=1e-12, atol=1e-12)
    # Only the pieces with the new columns were computed, and cbind was never copied.
    assert dict(calls) == {"crossprod": [((300, 6), (300, 2))], "tsmm": [((300, 2),)]}


def test_kfold_gram_matrices_are_sums_of_fold_gram_matrices(rng, la, calls):
    X = rng.normal(size=(500, 4))
    folds = np.array_split(rng.permutation(500), 5)
    parts = [take_rows(traced(X), rows) for rows in folds]
    for _ in range(2):  # e.g. two values of a hyperparameter
        for i in range(5):
            train = rbind(*(p for j, p in enumerate(parts) if j != i))
            rows = np.concatenate([f for j, f in enumerate(folds) if j != i])
            assert np.allclose(la.tsmm(train).value, X[rows].T @ X[rows], rtol=1e-12, atol=1e-12)
    assert calls["tsmm"] == [((100, 4),)] * 5  # each fold's Gram matrix once, nothing else
    assert len(calls["take_rows"]) == 5 and "rbind" not in calls  # no training set copied


def test_matmul_with_an_intercept_column(rng, la, calls):
    X, Y = matrices(rng, (50, 4), (4, 3))
    got = la.matmul(X, cbind(Y, ones(4))).value
    assert np.allclose(got, np.hstack([X.value @ Y.value, X.value.sum(axis=1, keepdims=True)]))
    assert calls["matmul"] == [((50, 4), (4, 3))] and calls["rowsums"] == [((50, 4),)]
    assert "cbind" not in calls


def test_stepwise_candidates_only_ever_touch_single_columns(rng, la, calls):
    """As forward selection does: each step tries every remaining column, then keeps one."""
    values = list(rng.normal(size=(6, 200, 1)))
    model, kept, remaining = ones(200), [np.ones((200, 1))], list(range(6))
    while remaining:
        for j in remaining:
            full = np.hstack([*kept, values[j]])
            got = la.tsmm(cbind(model, traced(values[j]))).value
            assert np.allclose(got, full.T @ full, rtol=1e-12, atol=1e-12)
        j = remaining.pop(0)
        model, kept = cbind(model, traced(values[j])), [*kept, values[j]]
    assert all(shape[1] == 1 for op in ("tsmm", "crossprod", "colsums") for shapes in calls[op] for shape in shapes)
    assert "cbind" not in calls


def test_a_long_chain_with_nothing_cached_is_computed_directly(la, calls):
    values = np.arange(5 * 2000, dtype=float).reshape(2000, 5, 1) % 7
    chain = traced(values[0])
    for column in values[1:]:
        chain = cbind(chain, traced(column))
    full = np.hstack(list(values))
    assert np.array_equal(la.tsmm(chain).value, full.T @ full)
    assert len(calls["cbind"]) == 1  # one copy for the whole chain


EXPRESSIONS = {
    "tsmm(cbind)": lambda la, a, b, c, n: la.tsmm(cbind(a, b)),
    "tsmm(rbind)": lambda la, a, b, c, n: la.tsmm(rbind(a, c)),
    "tsmm(ones)": lambda la, a, b, c, n: la.tsmm(ones(n)),
    "crossprod(cbind, x)": lambda la, a, b, c, n: la.crossprod(cbind(a, b), a),
    "crossprod(x, cbind)": lambda la, a, b, c, n: la.crossprod(b, cbind(a, ones(n))),
    "crossprod(rbind, rbind)": lambda la, a, b, c, n: la.crossprod(rbind(a, c), rbind(c, a)),
    "crossprod(ones, x)": lambda la, a, b, c, n: la.crossprod(ones(n), b),
    "crossprod(x, ones)": lambda la, a, b, c, n: la.crossprod(b, ones(n)),
    "crossprod(x, x)": lambda la, a, b, c, n: la.crossprod(a, a),
    "colsums(rbind)": lambda la, a, b, c, n: la.colsums(rbind(a, c, a)),
    "colsums(cbind)": lambda la, a, b, c, n: la.colsums(cbind(cbind(a, b), ones(n))),
    "rowsums(cbind)": lambda la, a, b, c, n: la.rowsums(cbind(cbind(a, b), ones(n))),
    "rowsums(rbind)": lambda la, a, b, c, n: la.rowsums(rbind(a, c)),
    "matmul(x, cbind)": lambda la, a, b, c, n: la.matmul(a, cbind(take_rows(c, np.arange(3)), ones(3))),
    "ridge": lambda la, a, b, c, n: la.solve(la.add_diagonal(la.tsmm(cbind(a, ones(n))), 0.5, count=3),
                                             la.crossprod(cbind(a, ones(n)), take_columns(b, [1]))),
}


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
@pytest.mark.parametrize("seed", [0, 1])
def test_rewrites_give_the_direct_result(name, seed):
    rng = np.random.default_rng(seed)
    a, b, c = (traced(v) for v in (rng.normal(size=(40, 3)), rng.normal(size=(40, 2)), rng.normal(size=(40, 3))))
    expression = EXPRESSIONS[name]
    direct = expression(LinearAlgebra(), a, b, c, 40)
    reuse = LinearAlgebra(ReuseCache())
    first, again = expression(reuse, a, b, c, 40), expression(reuse, a, b, c, 40)
    assert first.item == direct.item and first.shape == direct.shape == direct.value.shape
    assert np.allclose(first.value, direct.value, rtol=1e-12, atol=1e-12)
    assert again.value is first.value  # the second time is a hit


def test_recompute_rebuilds_a_traced_value_from_its_trace(rng, la):
    X, y = rng.normal(size=(60, 3)), rng.normal(size=60)
    folds = np.array_split(np.arange(60), 3)
    X_t, y_t = traced(X, name="X"), traced(y, name="y")
    train = [0, 2]
    design = cbind(rbind(*(take_rows(X_t, folds[i]) for i in train)), ones(40))
    coef = la.solve(la.add_diagonal(la.tsmm(design), 0.3, count=3),
                    la.crossprod(design, rbind(*(take_rows(y_t, folds[i]) for i in train))))
    data = {fingerprint(X): X, fingerprint(y[:, None]): y, **{fingerprint(folds[i]): folds[i] for i in train}}
    assert np.allclose(recompute(serialize(coef.item), data=data), coef.value, rtol=1e-12)


def test_values_are_read_only(rng, la):
    (X,) = matrices(rng, (10, 2))
    for value in (X.value, la.tsmm(X).value, LinearAlgebra().tsmm(X).value):
        with pytest.raises(ValueError):
            value[0, 0] = 1.0


def test_an_input_keeps_its_given_item_and_the_data_is_not_copied(rng):
    X = rng.normal(size=(5, 2))
    a, b = traced(X), traced(X.copy())
    assert a.item == b.item and np.shares_memory(a.value, X)
    assert traced(X + 1).item != a.item


@pytest.mark.parametrize("bad", [
    lambda a, b: cbind(a, take_rows(b, np.arange(3))),
    lambda a, b: rbind(a, b),
    lambda a, b: rbind(),
    lambda a, b: take_rows(a, np.array([0, 10])),
    lambda a, b: take_rows(a, np.array([0.0, 1.0])),
    lambda a, b: take_columns(a, [3]),
    lambda a, b: ones(0),
    lambda a, b: traced(np.zeros((2, 2, 2))),
    lambda a, b: LinearAlgebra().crossprod(a, take_rows(b, np.arange(3))),
    lambda a, b: LinearAlgebra().matmul(a, b),
    lambda a, b: LinearAlgebra().add_diagonal(a, 1.0),
    lambda a, b: LinearAlgebra().add_diagonal(LinearAlgebra().tsmm(a), 1.0, count=4),
    lambda a, b: LinearAlgebra().solve(a, b),
    lambda a, b: LinearAlgebra().solve(traced(np.array([[1.0, 2.0], [0.0, 1.0]])), traced(np.ones(2))),
])
def test_bad_input_is_a_user_error(rng, bad):
    a, b = matrices(rng, (10, 3), (10, 2))
    with pytest.raises(UserError):
        bad(a, b)


def test_solve_refuses_a_matrix_that_is_not_positive_definite():
    a = traced(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(np.linalg.LinAlgError):
        LinearAlgebra(ReuseCache()).solve(a, traced(np.ones(2)))


def test_rbind_of_one_part_is_the_part(rng):
    (X,) = matrices(rng, (4, 2))
    assert rbind(X) is X


def test_sharing_swaps_the_process_wide_engine_for_a_block():
    cache = ReuseCache(budget_bytes=1 << 20)
    before = shared()
    with sharing(cache) as la:
        assert shared() is la and la.cache is cache
    assert shared() is before and before.cache is not cache


def test_sharing_nothing_turns_reuse_off_for_a_block(rng):
    (X,) = matrices(rng, (5, 3))
    with sharing(None) as la:
        assert shared() is la and not la.reuse
        assert la.tsmm(X).value is not la.tsmm(X).value  # computed twice, kept nowhere
