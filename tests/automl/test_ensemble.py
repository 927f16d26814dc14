"""Caruana ensemble selection over the out-of-fold predictions a search keeps."""

from __future__ import annotations

import dataclasses
import pickle
import warnings

import numpy as np
import pytest

from cairn.automl.ensemble import (
    EnsembleModel,
    build_ensemble,
    ensemble_score,
    ensemble_selection,
    rows_right,
)
from cairn.data import load_dataset, split_train_test
from cairn.errors import UserError
from cairn.evaluate import CashObjective, Holdout, KFold, get_metric
from cairn.execute import evaluate_trial
from cairn.learners import cash_space
from cairn.learners.decision import class_shares
from cairn.space import Config
from cairn.trial import Result, Trial

#: Learners that fit in milliseconds here, so a search of 8 configs takes seconds.
FAST = ["logreg", "knn", "gaussian_nb", "tree", "rbf_svm", "linear_svm"]


def search(objective, n_trials, seed=0, learners=None):
    """A small random search, evaluated as the Study does."""
    space = cash_space(objective.task, learners)
    rng = np.random.default_rng(seed)
    trials = []
    for i in range(n_trials):
        trial = Trial(i, Config(space.sample(rng)))
        trial.result = evaluate_trial(objective, trial)
        trials.append(trial)
    return trials


@pytest.fixture(scope="module")
def cancer():
    train, test = split_train_test(load_dataset("breast_cancer"), seed=0)
    objective = CashObjective(train, resampling=KFold(3, seed=0), keep_predictions=True)
    return objective, search(objective, 8, learners=FAST), test


def test_selection_scores_at_least_as_well_as_every_member(cancer):
    objective, trials, _ = cancer
    ok = [t for t in trials if t.result.ok]
    assert len(ok) >= 4
    y = objective.dataset.y.to_numpy()
    predictions = [t.result.predictions for t in ok]
    weights = ensemble_selection(predictions, y, objective.metric, size=20, seed=0)
    assert weights.shape == (len(ok),) and weights.sum() == pytest.approx(1.0) and (weights >= 0).all()
    singles = [ensemble_score([1.0], [p], y, objective.metric) for p in predictions]
    assert ensemble_score(weights, predictions, y, objective.metric) >= max(singles)


def test_build_ensemble_refits_only_its_members_and_reports_them(cancer):
    objective, trials, test = cancer
    model, info = build_ensemble(objective, trials, size=20, seed=0)
    assert set(info) >= {"trial_ids", "weights", "score", "best_trial_id", "best_score", "candidates"}
    assert info["candidates"] == sum(t.result.ok for t in trials)
    loss = objective.metric.loss
    if model is None:  # one trial kept, or no better than the best: the best single model is the answer
        assert len(info["trial_ids"]) == 1 or loss(info["score"]) >= loss(info["best_score"])
        assert info["reason"]
        return
    assert len(model.members) == len(info["trial_ids"]) >= 2
    assert model.weights.tolist() == pytest.approx(info["weights"]) and sum(info["weights"]) == pytest.approx(1.0)
    assert loss(info["score"]) < loss(info["best_score"])
    proba = model.predict_proba(test.X)
    assert proba.shape == (len(test.y), 2) and np.allclose(proba.sum(axis=1), 1.0)
    # balanced accuracy decides by probability per class share, the shares of the training rows
    shares = class_shares(objective.dataset.y, model.classes_)
    assert (model.predict(test.X) == model.classes_[(proba / shares).argmax(axis=1)]).all()
    assert objective.score(model, test) > 0.9


def with_fit_times(trials):
    """``trials`` with each successful one's fit time set to its id, so "slowest" is known."""
    return [dataclasses.replace(t, result=dataclasses.replace(t.result, metrics={**t.result.metrics, "fit_time": float(t.id)}))
            if t.result.ok else t for t in trials]


def test_refitted_members_are_reused_and_an_unaffordable_selection_loses_its_slowest_member(cancer):
    objective, trials, _ = cancer
    trials = with_fit_times(trials)
    _, first = build_ensemble(objective, trials, size=20, seed=0)
    assert len(first["trial_ids"]) >= 3 and "reason" not in first  # this seed's selection blends several trials
    best = first["best_trial_id"]
    fitted = objective.refit(next(t.config for t in trials if t.id == best))
    asked: list[list[int]] = []

    def affordable(chosen):
        asked.append([t.id for t in chosen])
        return len(asked) > 1  # refuse the first selection only

    model, info = build_ensemble(objective, trials, size=20, seed=0, refitted={best: fitted}, affordable=affordable)
    assert asked[0] == [i for i in first["trial_ids"] if i != best]  # the refitted one costs nothing
    slowest = max(asked[0])
    assert info["dropped"] == [slowest] and slowest not in info["trial_ids"]
    assert asked[1] == [i for i in info["trial_ids"] if i != best] and len(asked) == 2
    assert model is not None and dict(zip(info["trial_ids"], model.members, strict=True))[best] is fitted


def test_trials_that_repeat_a_better_trials_predictions_are_not_candidates(cancer):
    """A search that repeats its best config (in all but an inert parameter) must not fill
    the candidates with copies of it: each set of predictions is a candidate once."""
    objective, trials, _ = cancer
    ok = sorted((t for t in trials if t.result.ok), key=lambda t: (t.loss, t.id))
    copies = [dataclasses.replace(ok[0], id=100 + i) for i in range(3)]
    _, plain = build_ensemble(objective, trials, size=20, seed=0, n_best=3)
    _, repeated = build_ensemble(objective, [*trials, *copies], size=20, seed=0, n_best=3)
    assert plain["candidates"] == repeated["candidates"] == 3
    assert repeated["trial_ids"] == plain["trial_ids"] and repeated["weights"] == plain["weights"]
    assert not {100, 101, 102} & set(repeated["trial_ids"])


def test_an_ensemble_whose_refits_are_never_affordable_is_refused_with_its_reason(cancer):
    objective, trials, _ = cancer
    asked: list[list[int]] = []
    model, info = build_ensemble(objective, with_fit_times(trials), size=20, seed=0,
                                 affordable=lambda chosen: asked.append([t.id for t in chosen]) is not None)
    assert model is None and len(asked) == len(info["dropped"]) >= 1
    assert all(max(ids) == dropped for ids, dropped in zip(asked, info["dropped"], strict=True))
    assert info["reason"] and not set(info["dropped"]) & set(info["trial_ids"])  # the last selection had none of them


def test_the_same_seed_gives_the_same_ensemble(cancer):
    objective, trials, test = cancer
    a, info_a = build_ensemble(objective, trials, size=20, seed=3)
    b, info_b = build_ensemble(objective, trials[::-1], size=20, seed=3)  # input order does not matter
    assert info_a == info_b
    if a is not None:
        assert np.array_equal(a.predict_proba(test.X), b.predict_proba(test.X))


def test_ties_are_broken_by_the_seed():
    y = np.array([0, 1] * 10)
    perfect = np.eye(2)[y]
    weights = {tuple(ensemble_selection([perfect, perfect.copy()], y, get_metric("accuracy", "classification"),
                                        size=1, seed=s)) for s in range(8)}
    assert weights == {(1.0, 0.0), (0.0, 1.0)}  # two equal members: each seed picks one


def test_a_dominating_member_is_kept_alone_and_reported():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.array([0, 1, 2] * 20)
    # log loss: any share of another member's probabilities makes the perfect one worse
    objective = CashObjective(X, y, metric="log_loss", resampling=KFold(3), keep_predictions=True)
    perfect, noise = np.eye(3)[y], rng.dirichlet([1, 1, 1], size=60)
    trials = [Trial(i, Config({"learner": "knn"}), result=Result(0.5, predictions=p))
              for i, p in enumerate([noise, perfect])]
    assert ensemble_selection([noise, perfect], y, objective.metric, size=10).tolist() == [0.0, 1.0]
    model, info = build_ensemble(objective, trials, size=10, seed=0)
    assert model is None and info["trial_ids"] == [1] and info["weights"] == [1.0]
    assert info["score"] < 1e-9 and info["reason"] == "the selection kept a single trial"
    model, info = build_ensemble(objective, trials[:1], size=10, seed=0)
    assert model is None and info["trial_ids"] == [0] and "fewer than two" in info["reason"]


def test_an_ensemble_that_only_trades_an_error_between_classes_is_not_kept():
    """10 rows of class 0, 30 of class 1; balanced accuracy decides class 0 from P(0) > 0.25.
    Trial 0 errs on rows 0 and 1 (class 0); the blend fixes row 1 but breaks row 10 (class
    1): its balanced accuracy rises from 0.900 to 0.933, on as many rows right (38)."""
    y = np.array([0] * 10 + [1] * 30)
    a, b = np.where(y == 0, 0.9, 0.05), np.where(y == 0, 0.9, 0.05)  # P(class 0) per row
    a[[0, 1]], b[[0, 1]] = 0.2, [0.1, 0.9]
    a[[10, 11, 12]], b[[10, 11, 12]] = [0.2, 0.0, 0.0], [0.9, 0.4, 0.4]
    proba = [np.c_[p, 1 - p] for p in (a, b)]
    objective = CashObjective(np.zeros((40, 1)), y, resampling=KFold(2), keep_predictions=True)
    trials = [Trial(i, Config({"learner": "knn"}), result=Result(loss, predictions=p))
              for i, (loss, p) in enumerate(zip([0.1, 0.2], proba, strict=True))]
    model, info = build_ensemble(objective, trials, size=10, seed=0)
    assert info["best_score"] == pytest.approx(0.9) and info["score"] == pytest.approx(0.9 + 1 / 30)
    assert model is None and info["reason"] == "the ensemble decides no more rows right than the best trial out of fold"
    assert rows_right(info["weights"], proba, y, objective.metric) == rows_right([1.0], proba[:1], y, objective.metric) == 38


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_classes_stay_aligned_when_a_fold_misses_a_class():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(61, 2))
    y = np.array(["a", "b"] * 30 + ["c"])  # "c" once: the folds validating it never train on it
    objective = CashObjective(X, y, resampling=KFold(3, seed=0), keep_predictions=True)
    assert objective.classes_.tolist() == ["a", "b", "c"]
    trials = search(objective, 4, learners=["logreg", "gaussian_nb", "tree"])
    assert all(t.result.ok for t in trials)
    for trial in trials:
        p = trial.result.predictions
        assert p.shape == (61, 3) and np.allclose(p.sum(axis=1), 1.0)
        assert p[-1, 2] == 0.0  # its fold had no "c" to learn
        assert p[:-1, 2].max() > 0  # the other folds did
    model, info = build_ensemble(objective, trials, size=10, seed=0)
    if model is not None:
        assert model.predict_proba(X).shape == (61, 3) and set(model.predict(X)) <= {"a", "b", "c"}


def test_holdout_rows_are_nan_and_left_out_of_the_selection():
    wine = load_dataset("wine")
    objective = CashObjective(wine, resampling=Holdout(0.3, seed=0), keep_predictions=True)
    trials = search(objective, 5, learners=["logreg", "knn", "gaussian_nb"])
    valid = next(Holdout(0.3, seed=0).split(wine.y.to_numpy(), stratify=True))[1]
    for trial in trials:
        p = trial.result.predictions
        validated = np.isfinite(p).all(axis=1)
        assert np.array_equal(np.flatnonzero(validated), valid) and np.isnan(p[~validated]).all()
    y = wine.y.to_numpy()
    weights = ensemble_selection([t.result.predictions for t in trials], y, objective.metric, size=10)
    assert weights.sum() == pytest.approx(1.0)
    best = min(trials, key=lambda t: t.loss)
    # pooled over one fold, the holdout score is the trial's own metric
    assert ensemble_score([1.0], [best.result.predictions], y, objective.metric) == \
        pytest.approx(best.result.metrics["balanced_accuracy"])


def test_ensemble_model_pickles_and_predicts(cancer):
    objective, trials, test = cancer
    ok = sorted((t for t in trials if t.result.ok), key=lambda t: t.loss)[:3]
    model = EnsembleModel([objective.refit(t.config) for t in ok], [2, 1, 1], objective.classes_)
    assert model.weights.tolist() == [0.5, 0.25, 0.25]
    assert repr(model).startswith("EnsembleModel(0.50 ") and "\n" not in repr(model)
    again = pickle.loads(pickle.dumps(model))
    assert np.array_equal(again.predict_proba(test.X), model.predict_proba(test.X))
    assert np.array_equal(again.predict(test.X), model.predict(test.X))
    assert list(again.feature_names_in_) == list(test.X.columns)  # for column checks before predicting


def test_regression_averages_member_predictions():
    train, test = split_train_test(load_dataset("diabetes"), seed=0)
    objective = CashObjective(train, resampling=KFold(3, seed=0), keep_predictions=True)
    trials = search(objective, 5, learners=["ridge", "knn", "tree"])
    for trial in trials:
        assert trial.result.predictions.shape == (len(train.y),)
    members = [objective.refit(t.config) for t in trials[:2]]
    model = EnsembleModel(members, [0.75, 0.25])
    expected = 0.75 * members[0].predict(test.X) + 0.25 * members[1].predict(test.X)
    assert np.allclose(model.predict(test.X), expected) and not hasattr(model, "predict_proba")
    built, info = build_ensemble(objective, trials, size=10, seed=0)
    assert info["score"] >= info["best_score"]


def test_bad_input_is_a_user_error():
    metric = get_metric("accuracy", "classification")
    y = np.array([0, 1, 0, 1])
    with pytest.raises(UserError, match="at least one member"):
        ensemble_selection([], y, metric)
    with pytest.raises(UserError, match=r"shape \(4, 2\)"):
        ensemble_selection([np.ones((4, 3))], y, metric)
    with pytest.raises(UserError, match="ensemble size"):
        ensemble_selection([np.eye(2)[y]], y, metric, size=0)
    with pytest.raises(UserError, match="no row has finite"):
        ensemble_selection([np.full((4, 2), np.nan)], y, metric)
    with pytest.raises(UserError, match="one non-negative weight per member"):
        EnsembleModel([object()], [1.0, 2.0])


@pytest.mark.parametrize("metric", ["accuracy", "balanced_accuracy"])
def test_label_scores_computed_here_equal_scikit_learns_to_the_last_bit(metric):
    import sklearn.metrics as skm

    from cairn.automl.ensemble import _LABEL_SCORES

    rng = np.random.default_rng(0)
    for k, n in [(2, 7), (3, 100), (10, 5000)]:
        y, labels = rng.integers(0, k, n), rng.integers(0, k, n)
        y[y == k - 1] = 0  # one class never true, only predicted: scikit-learn leaves it out of the mean
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "y_pred contains classes not in y_true"
            expected = getattr(skm, f"{metric}_score")(y, labels)
        assert _LABEL_SCORES[metric](y, labels, k) == expected


def test_selection_does_not_depend_on_how_the_labels_are_written(cancer):
    objective, trials, _ = cancer
    y = objective.dataset.y.to_numpy()
    predictions = [t.result.predictions for t in trials if t.result.ok]
    named = np.array(["benign", "malignant"])[y]  # sorted as 0 and 1 are
    for metric in ("balanced_accuracy", "f1_macro", "log_loss", "roc_auc"):
        m = get_metric(metric, "classification")
        assert np.array_equal(ensemble_selection(predictions, y, m, size=20, seed=0),
                              ensemble_selection(predictions, named, m, size=20, seed=0)), metric


def test_the_time_of_one_selection_loss_is_measured(cancer):
    from cairn.automl.ensemble import loss_time

    objective, trials, _ = cancer
    seconds = loss_time(trials[0].result.predictions, objective.dataset.y.to_numpy(), objective.metric)
    assert 0 < seconds < 0.1
