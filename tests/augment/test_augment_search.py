"""Policy search runs as a cairn Study over a policy Space, records its trials in the
Store, and joins a CASH search through the augmenting objective."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier

from cairn.augment import (
    AugmentObjective,
    augmented_cash_space,
    confirm_finalists,
    policy_config,
    policy_from_config,
    policy_space,
    search_policy,
)
from cairn.errors import UserError
from cairn.evaluate.resampling import KFold, TrainOnOneFold
from cairn.optim import make_optimizer
from cairn.study import Study
from cairn.track import Store

_digits = load_digits()
IMAGES = (_digits.images[:150] / 16).astype(np.float32)
LABELS = _digits.target[:150]


def small_objective(**kwargs):
    return AugmentObjective(IMAGES, LABELS, model=MLPClassifier((16,), max_iter=20, random_state=0),
                            copies=1, **kwargs)


def test_bohb_searches_policies_on_epochs_through_a_study_and_records_every_trial(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'augment.sqlite'}")
    space = policy_space(n_subpolicies=1, ops=["rotate", "translate_x", "invert", "identity"])
    result = search_policy(small_objective(), space, strategy="bohb", n_trials=13, seed=0, store=store,
                           min_budget=2, max_budget=18)
    assert len(result.trials) == 13 and all(t.result.ok for t in result.trials)
    trials = [r for r in store.runs(result.study_id) if r["parent_run_id"] == result.run_id]
    assert len(trials) == 13 and {r["status"] for r in trials} == {"complete"}
    assert {r["params"]["budget"] for r in trials} == {2, 6, 18}
    assert all(r["params"]["augment.s0.op0"] in {"rotate", "translate_x", "invert", "identity"} for r in trials)
    assert all(0 <= r["metrics"]["accuracy"] <= 1 for r in trials)
    assert store.study(result.study_id)["strategy"] == "bohb"
    assert result.best.budget == 18
    assert policy_from_config(result.best.config).subpolicies[0][0][0] == result.best.config["augment.s0.op0"]


def test_the_objective_is_seeded_and_the_policy_changes_what_the_model_learns():
    objective = small_objective()
    invert = {"augment.s0.op0": "invert", "augment.s0.p0": 1.0}
    assert objective(invert, 20).loss == objective(invert, 20).loss
    assert objective(invert, 20).loss != objective({}, 20).loss
    with pytest.raises(UserError, match="neither 'augment"):
        objective({"width": 3})


def test_augmentation_choices_join_a_cash_search(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'cash.sqlite'}")
    space = augmented_cash_space(["knn", "logreg"], n_subpolicies=1)
    optimizer = make_optimizer("random", space, seed=1)
    result = Study(optimizer, small_objective(), store=store, n_trials=4).optimize()
    assert all(t.result.ok for t in result.trials)
    runs = [r for r in store.runs(result.study_id) if r["parent_run_id"] == result.run_id]
    assert len(runs) == 4
    assert all(r["params"]["learner"] in {"knn", "logreg"} and "augment.s0.op0" in r["params"] for r in runs)


def test_a_known_policy_becomes_a_config_of_the_space_and_back():
    space = policy_space(n_subpolicies=2, ops=["elastic", "rotate", "identity"], steps=2)
    config = policy_config([[("elastic", 1.0, 5)]])
    assert space.validate(config) == config
    assert policy_from_config(config).subpolicies == [[("elastic", 1.0, 5.0), ("identity", 0.0, 0.0)]] * 2
    both = [[("rotate", 0.5, 3), ("elastic", 0.8, 4)], [("identity", 1.0, 0)]]
    assert policy_from_config(policy_config(both)).subpolicies == [
        [("rotate", 0.5, 3.0), ("elastic", 0.8, 4.0)], [("identity", 1.0, 0.0), ("identity", 0.0, 0.0)]]
    for unfit in ([[("rotate", 1.0, 3)]] * 3, [[("rotate", 1.0, 3)] * 3]):
        with pytest.raises(UserError, match="does not fit"):
            policy_config(unfit)


def test_a_warm_started_search_tries_the_known_policies_first_and_records_them(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'warm.sqlite'}")
    space = policy_space(n_subpolicies=1, ops=["rotate", "translate_x", "identity"])
    known = [policy_config([[("rotate", 1.0, 3)]], 1), policy_config([[("translate_x", 0.5, 2)]], 1)]
    result = search_policy(small_objective(), space, strategy="tpe", n_trials=4, seed=0, store=store,
                           warm_start=known, n_initial=3)  # then one initial design point, then TPE's model
    assert [t.config for t in result.trials[:2]] == known
    assert [bool(t.info.get("warm_start")) for t in result.trials] == [True, True, False, False]
    runs = [r for r in store.runs(result.study_id) if r["parent_run_id"] == result.run_id]
    assert len(runs) == 4 and {"rotate", "translate_x"} <= {r["params"]["augment.s0.op0"] for r in runs}
    with pytest.raises(UserError, match="warm start"):
        search_policy(small_objective(), space, strategy="bohb", n_trials=2, warm_start=known)


def test_training_on_one_fold_fits_on_a_fold_and_scores_on_the_rest():
    one_fold = small_objective(resampling=TrainOnOneFold(3, seed=0))({}, 20)
    two_folds = small_objective()({}, 20)  # plain 3-fold cross-validation
    assert one_fold.metrics["train_rows"] == 2 * 50 and two_folds.metrics["train_rows"] == 2 * 100


def test_the_best_finalists_are_scored_again_on_fresh_splits_and_recorded(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'confirm.sqlite'}")
    space = policy_space(n_subpolicies=1, ops=["rotate", "translate_x", "identity"])
    result = search_policy(small_objective(), space, strategy="random", n_trials=6, seed=0, store=store)
    ranked = sorted(result.trials, key=lambda t: t.result.loss)
    fresh = small_objective(resampling=KFold(3, seed=1), seed=1)
    confirmed = confirm_finalists(result, fresh, space, finalists=3, seed=1, store=store)
    assert [t.config for t in confirmed.trials] == [t.config for t in ranked[:3]]
    assert confirmed.best.config in [t.config for t in ranked[:3]]
    again = {repr(t.config): t.result.loss for t in confirmed.trials}
    assert any(again[repr(t.config)] != t.result.loss for t in ranked[:3])  # scored anew, not copied
    runs = [r for r in store.runs(confirmed.study_id) if r["parent_run_id"] == confirmed.run_id]
    assert len(runs) == 3 and confirmed.study_id != result.study_id
    with pytest.raises(UserError, match="finalists"):
        confirm_finalists(result, fresh, space, finalists=0)
