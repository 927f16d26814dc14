"""Choosing a label model is a Study: every trial is a run of a real Store."""

from __future__ import annotations

import numpy as np
import pytest

from cairn.errors import UserError
from cairn.track import Store
from cairn.weak import MajorityVote, make_label_matrix, select_label_model
from cairn.weak.select import build_label_model, label_model_space


@pytest.fixture
def store(tmp_path):
    st = Store(f"sqlite:///{tmp_path / 'cairn.db'}", artifact_root=tmp_path / "artifacts")
    yield st
    st.close()


def test_the_study_records_every_trial_and_returns_the_best_model_fitted(store):
    votes = make_label_matrix(4000, 8, class_balance=[0.25, 0.75], seed=0)
    dev = make_label_matrix(300, 8, class_balance=[0.25, 0.75], seed=0)  # same LFs' parameters, fresh rows
    choice = select_label_model(votes.L, dev.L, dev.y, n_trials=6, seed=1, store=store, experiment="ws")
    runs = store.runs(study_id=choice.study.study_id)
    trials = [r for r in runs if r["id"] != choice.study.run_id]
    assert len(trials) == 6 and all(r["status"] == "complete" for r in trials)
    assert all("accuracy" in r["metrics"] and "label_model" in r["params"] for r in trials)
    best = max(trials, key=lambda r: r["metrics"]["accuracy"])
    assert choice.dev_accuracy == pytest.approx(best["metrics"]["accuracy"])
    assert store.run(choice.study.run_id)["tags"]["best_trial"] == str(choice.study.best.id)
    covered = (dev.L != -1).any(axis=1)
    assert np.mean(choice.model.predict(dev.L)[covered] == dev.y[covered]) == pytest.approx(choice.dev_accuracy)
    majority = np.mean(MajorityVote().fit(votes.L).predict(dev.L)[covered] == dev.y[covered])
    assert choice.dev_accuracy >= majority


def test_every_config_of_the_space_builds_its_model():
    space = label_model_space()
    rng = np.random.default_rng(0)
    names = set()
    for _ in range(30):
        config = space.sample(rng)
        model = build_label_model(dict(config), 2, seed=0, dev_balance=np.array([0.5, 0.5]))
        names.add(type(model).__name__)
        balance = config.get(f"{config['label_model']}.class_balance")
        if balance == "dev":
            assert list(model.class_balance) == [0.5, 0.5]
    assert names == {"MajorityVote", "DawidSkene", "MatrixCompletion"}


def test_mismatched_dev_votes_are_refused_before_anything_is_written(store):
    votes = make_label_matrix(100, 4, seed=0)
    with pytest.raises(UserError, match="3 labeling functions"):
        select_label_model(votes.L, votes.L[:, :3], votes.y, n_trials=2, store=store)
    with pytest.raises(UserError, match="dev labels"):
        select_label_model(votes.L, votes.L, votes.y[:5], n_trials=2, store=store)
    assert store.count_runs() == 0
