import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import cairn
from cairn.track import Store


@pytest.fixture
def autologged(tmp_path):
    store = cairn.set_store(str(tmp_path / "auto.db"))
    cairn.autolog()
    yield store
    cairn.autolog(disable=True)
    cairn.set_store(None)


def test_fit_is_recorded_with_params_metrics_and_model(autologged: Store) -> None:
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(C=0.5, max_iter=500).fit(X, y)
    [run] = autologged.search_runs("params.C = 0.5")
    assert run["name"] == "LogisticRegression" and run["status"] == "complete"
    assert run["params"]["max_iter"] == 500 and run["params"]["penalty"] == model.get_params()["penalty"]
    assert run["metrics"]["training_accuracy"] == pytest.approx(model.score(X, y))
    assert run["tags"]["model.class"].endswith("LogisticRegression")
    restored = cairn.load_model(run["id"])
    assert (restored.predict(X) == model.predict(X)).all()


def test_nested_fits_log_once_and_an_active_run_is_used(autologged: Store) -> None:
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20.0)
    with cairn.start_run("manual", "mine") as run:
        make_pipeline(StandardScaler(), LinearRegression()).fit(X, y)
    assert autologged.count_runs() == 1  # the pipeline's steps did not start runs of their own
    got = autologged.run(run.id)
    assert got["metrics"]["training_r2"] == pytest.approx(1.0)
    assert "linearregression__fit_intercept" in got["params"]


def test_a_failing_fit_ends_failed_and_raises(autologged: Store) -> None:
    with pytest.raises(ValueError):
        LogisticRegression().fit([[1.0], [2.0]], [0, 0])  # one class
    [run] = autologged.runs()
    assert run["status"] == "failed"


def test_disable_restores_every_fit(tmp_path) -> None:
    original = LogisticRegression.fit
    store = cairn.set_store(str(tmp_path / "auto.db"))
    try:
        cairn.autolog()
        assert LogisticRegression.fit is not original
        cairn.autolog(disable=True)
        assert LogisticRegression.fit is original
        LogisticRegression().fit([[0.0], [1.0]], [0, 1])
        assert store.count_runs() == 0
    finally:
        cairn.autolog(disable=True)
        cairn.set_store(None)
