import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sklearn.linear_model import LogisticRegression, Ridge

import cairn
from cairn.cash import run_cash
from cairn.errors import RegistryError, UserError
from cairn.registry import tables as t
from cairn.track import Store

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3))
y = (X[:, 0] > 0).astype(int)


def _state(st: Store) -> tuple:
    """Everything the registry wrote: row counts and blob files."""
    with st.engine.connect() as conn:
        counts = tuple(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                       for table in (t.models, t.model_versions, t.aliases, t.datasets, t.dataset_versions))
    return counts, frozenset(st.blobs.digests())


@pytest.fixture
def two_versions(store, save_model):
    models = [LogisticRegression(C=c).fit(X, y) for c in (1.0, 0.1)]
    runs = [save_model(store, m) for m in models]
    assert [cairn.register_model(r, "churn", store=store) for r in runs] == [1, 2]
    return models, runs


def test_aliases_and_uris_resolve(store, two_versions) -> None:
    models, runs = two_versions
    cairn.set_alias("churn", "champion", 1, store=store)
    cairn.set_alias("churn", "staging", 2, store=store)
    same = lambda uri, m: cairn.load_model(uri, store=store).predict_proba(X).tobytes() == m.predict_proba(X).tobytes()  # noqa: E731
    assert same("models:/churn@champion", models[0]) and same("models:/churn@staging", models[1])
    assert same("models:/churn/2", models[1])
    assert same(f"runs:/{runs[0]}/model.joblib", models[0]) and same(runs[1][:10], models[1])
    cairn.set_alias("churn", "champion", 2, store=store)  # moving an alias
    assert same("models:/churn@champion", models[1])
    cairn.delete_alias("churn", "staging", store=store)
    assert cairn.describe_model("churn", store=store)["aliases"] == {"champion": 2}
    assert cairn.list_models(store=store) == [{"name": "churn", "versions": 2, "latest": 2, "aliases": {"champion": 2}}]
    info = cairn.describe_model("churn", store=store)["versions"]
    assert [v["run_id"] for v in info] == runs and [v["parent_version"] for v in info] == [None, 1]


@pytest.mark.parametrize("call, message", [
    (lambda st: cairn.load_model("models:/nope/1", store=st), "no registered model 'nope'"),
    (lambda st: cairn.load_model("models:/churn/7", store=st), "has no version 7; its versions are 1 to 2"),
    (lambda st: cairn.load_model("models:/churn@gone", store=st), "has no alias 'gone'"),
    (lambda st: cairn.load_model("models:/churn", store=st), "is not a model URI"),
    (lambda st: cairn.load_model("models:/churn/0", store=st), "is not a model URI"),
    (lambda st: cairn.load_model("s3://bucket/model", store=st), "is not a model URI"),
    (lambda st: cairn.load_model("runs:/zzz/model.joblib", store=st), "is not a model URI"),
    (lambda st: cairn.set_alias("churn", "7", 1, store=st), "is a number"),
    (lambda st: cairn.set_alias("churn", "champion", 9, store=st), "has no version 9"),
    (lambda st: cairn.delete_alias("churn", "champion", store=st), "has no alias 'champion'"),
    (lambda st: cairn.register_model("runs:/abc/model.joblib", "churn", store=st), "no run matches 'abc'"),
    (lambda st: cairn.register_model(st.create_run("x"), "churn", store=st), "has no artifact 'model.joblib'"),
    (lambda st: cairn.register_model("models:/churn/1", "copy", store=st), "register a run's model"),
    (lambda st: cairn.register_model("0", "bad name!", store=st), "model name 'bad name!' is not valid"),
    (lambda st: cairn.describe_model("nope", store=st), "no registered model 'nope'"),
])
def test_bad_input_is_one_sentence_and_changes_nothing(store, two_versions, call, message) -> None:
    before = _state(store)
    with pytest.raises(UserError, match=message) as err:
        call(store)
    assert "\n" not in str(err.value)
    assert _state(store) == before


def test_unknown_dataset_version_refused_before_writing(store, two_versions) -> None:
    _, runs = two_versions
    before = _state(store)
    with pytest.raises(RegistryError, match="no registered dataset 'iris'"):
        cairn.register_model(runs[0], "churn", "iris:1", store=store)
    with pytest.raises(RegistryError, match="not a dataset version"):
        cairn.register_model(runs[0], "churn", "iris", store=store)
    assert _state(store) == before


def test_gc_keeps_registry_blobs_and_deleting_the_run_keeps_the_version(store, save_model) -> None:
    model = Ridge().fit(X, y)
    run = save_model(store, model)
    cairn.register_model(run, "r", store=store)
    cairn.register_dataset("d", pd.DataFrame({"a": [1, 2]}), store=store)
    store.delete_runs([run])
    store.gc()
    assert cairn.load_model("models:/r/1", store=store).predict(X).tobytes() == model.predict(X).tobytes()
    assert cairn.get_dataset("d", 1, store=store)["a"].tolist() == [1, 2]


def test_cash_run_records_dataset_version_and_model_links_it(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cash.db'}"
    kwargs = dict(n_trials=2, cv=2, learners=["logreg"], store=url)
    first, second = run_cash("iris", seed=0, **kwargs), run_cash("iris", seed=1, **kwargs)
    st = Store(url)
    assert st.run(first.run_id)["params"]["dataset_version"] == "iris:1"
    assert st.run(second.run_id)["params"]["dataset_version"] == "iris:1"  # same data, same version
    assert cairn.list_datasets(store=st)[0]["n_rows"] == 150
    assert cairn.register_model(second.run_id, "iris-clf", store=st) == 1
    version = cairn.describe_model("iris-clf", store=st)["versions"][0]
    assert version["study_id"] == second.study_id and version["dataset_version"] == "iris:1"
