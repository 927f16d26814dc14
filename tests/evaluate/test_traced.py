"""Traced CASH evaluation: the same results with or without reuse, HELIX prefix reuse,
and traces that hold one fold body and replay to the recorded numbers."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from cairn.data import load_dataset
from cairn.evaluate import CashObjective, Holdout, KFold
from cairn.evaluate.traced import process_cache, stages
from cairn.learners import cash_space
from cairn.lineage import expand, parse, recompute, serialize
from cairn.lineage.cache import ReuseCache


@pytest.fixture(scope="module")
def wine():
    return load_dataset("wine")


def _config(learner, *, scale="standard", features="none", **params):
    config = dict(cash_space("classification", [learner]).default())
    config.update({"scale": scale, "features": features})
    if features != "none":
        config[f"{features}.fraction"] = 0.5
    config.update({f"{learner}.{k}": v for k, v in params.items()})
    return config


def test_losses_are_bit_for_bit_the_same_with_and_without_reuse(wine):
    space = cash_space("classification", ["logreg", "knn", "tree", "gaussian_nb"])
    configs = [space.sample(i) for i in range(10)]
    configs += [{**c, "learner": "tree"} for c in configs[:3]]  # same preprocessing, another learner
    budgets = [(None, 0.5, None, 1.0, 0.3)[i % 5] for i in range(len(configs))]
    plain = CashObjective(wine, resampling=KFold(3, seed=1), seed=1)
    cache = ReuseCache()
    reusing = CashObjective(wine, resampling=KFold(3, seed=1), seed=1, cache=cache)
    for config, budget in zip(configs, budgets, strict=True):
        a, b = plain(config, budget), reusing(config, budget)
        assert a.loss == b.loss and a.metrics["balanced_accuracy_std"] == b.metrics["balanced_accuracy_std"]
        assert a.lineage == b.lineage
    before = cache.stats
    for config, budget in zip(configs, budgets, strict=True):  # everything again: all from the cache
        assert reusing(config, budget).loss == plain(config, budget).loss
    assert cache.stats.misses == before.misses and cache.stats.hits > before.hits


def test_the_traced_objective_scores_as_a_scikit_learn_pipeline_does(wine):
    objective = CashObjective(wine, resampling=KFold(3, seed=0))
    y = wine.y.to_numpy()
    for config in (_config("logreg", scale="robust", features="pca", C=3.0),
                   _config("knn", scale="minmax", features="select_k_best"), _config("tree")):
        scores = []
        for train, valid in KFold(3, seed=0).split(y, True):
            model = objective.pipeline(config).fit(wine.X.iloc[train], y[train])
            scores.append(objective.metric.score(model, wine.X.iloc[valid], y[valid]))
        assert objective(config).metrics["balanced_accuracy"] == np.mean(scores)


def test_configs_sharing_preprocessing_fit_only_their_learner(wine):
    cache = ReuseCache()
    objective = CashObjective(wine, resampling=KFold(4), cache=cache)
    objective(_config("logreg", scale="robust", features="pca", C=1.0))
    before = cache.stats
    objective(_config("knn", scale="robust", features="pca", n_neighbors=7))  # same prefix, other learner
    after = cache.stats
    assert after.misses - before.misses == 4  # one learner fit per fold, nothing else
    objective(_config("knn", scale="robust", features="pca", n_neighbors=7))  # the same config again
    assert cache.stats.misses == after.misses
    objective(_config("knn", scale="minmax", features="pca", n_neighbors=7))  # another scaler: refit all
    assert cache.stats.misses - after.misses == 4 * 5  # per fold: each step's fit_transform and valid transform, learner


def test_objectives_on_the_same_data_share_one_cache(wine):
    cache = ReuseCache()
    config = _config("logreg", scale="standard", features="select_k_best")
    first = CashObjective(wine, resampling=KFold(3), cache=cache)(config)
    misses = cache.stats.misses
    second = CashObjective(wine, resampling=KFold(3), cache=cache)(config)
    assert cache.stats.misses == misses and first.loss == second.loss
    CashObjective(wine, resampling=KFold(3, seed=9), cache=cache)(config)  # other folds: nothing shared
    assert cache.stats.misses > misses


def test_the_trace_holds_the_fold_body_once_and_replays_to_the_metric(wine):
    objective = CashObjective(wine, resampling=KFold(5))
    config = _config("logreg", scale="minmax", features="pca", C=0.5)
    result = objective(config, budget=0.5)
    text = serialize(result.lineage)
    ops = [line.split("\t")[1] for line in text.splitlines()[1:]]
    assert ops.count("fit") == 3 and ops.count("patch") == 5 and ops.count("split") == 10
    assert ops.count("data") == 1 and ops[-1] == "mean"
    assert recompute(text, {wine.fingerprint: wine}) == result.metrics["balanced_accuracy"]
    subsampled = [i for i in expand(parse(text)).walk() if i.op == "split" and '"train"' in i.literal]
    assert {i.seed for i in subsampled} == {objective.seed}


def test_refit_is_traced_and_independent_of_the_cache(wine):
    cache = ReuseCache()
    objective = CashObjective(wine, resampling=Holdout(0.25), cache=cache)
    config = _config("logreg", features="pca", C=2.0)
    model, item = objective.refit_traced(config)
    assert item.op == "pipeline" and [name for name, _ in model.steps] == ["columns", "features", "model"]
    replayed = recompute(serialize(item), {wine.fingerprint: wine})
    assert np.array_equal(replayed.predict(wine.X), model.predict(wine.X))
    again, _ = objective.refit_traced(config)  # from the cache, but a copy
    assert again.named_steps["model"] is not model.named_steps["model"]
    model.fit(wine.X.iloc[:60], wine.y.iloc[:60])  # refitting a returned model leaves the cache alone
    assert np.array_equal(objective.refit(config).predict(wine.X), again.predict(wine.X))


def test_different_data_never_shares_items(wine):
    config = _config("logreg")
    a = CashObjective(wine, resampling=KFold(3))(config).lineage
    other = wine.X.assign(alcohol=wine.X["alcohol"] + 1)
    b = CashObjective(other, wine.y, resampling=KFold(3))(config).lineage
    assert a != b and not {i.digest for i in expand(a).walk()} & {i.digest for i in expand(b).walk()}


def test_stages_keep_passthrough_steps_without_literals(wine):
    objective = CashObjective(wine, resampling=KFold(3))
    steps = stages(objective.pipeline(_config("knn", features="none")))
    assert [(s.name, s.passthrough) for s in steps] == [("columns", False), ("features", True), ("model", False)]
    assert steps[1].literal is None and '"class":"sklearn.neighbors.' in steps[2].literal


def test_a_pickled_objective_uses_the_process_cache_of_where_it_lands(wine):
    objective = CashObjective(wine, resampling=KFold(3), cache=process_cache())
    copy = pickle.loads(pickle.dumps(objective))
    assert copy.cache is process_cache() and copy(_config("knn")).loss == objective(_config("knn")).loss
    assert pickle.loads(pickle.dumps(CashObjective(wine, resampling=KFold(3)))).cache is None
