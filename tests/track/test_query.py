import math
from collections.abc import Iterator
from contextlib import ExitStack

import numpy as np
import pytest

import cairn
from cairn.errors import FilterError, StoreError
from cairn.track import Store
from cairn.track.query import compile_filter

RUNS = [  # name, params, metrics, tags, status
    ("svm-a", {"learner": "svm", "rbf_svm.C": 10.0, "scaler": "standard"}, {"accuracy": 0.95}, {"stage": "dev"}, "complete"),
    ("svm-b", {"learner": "svm", "rbf_svm.C": 0.5, "scaler": "none"}, {"accuracy": 0.97}, {"stage": "prod"}, "complete"),
    ("knn-a", {"learner": "knn", "knn.k": 5, "scaler": "minmax"}, {"accuracy": 0.91}, {"stage": "prod"}, "complete"),
    ("knn-b", {"learner": "knn", "knn.k": 12, "scaler": "standard"}, {"accuracy": 0.80}, {"stage": "dev"}, "failed"),
    ("tree", {"learner": "Tree", "depth": None, "balanced": True}, {"accuracy": math.nan}, {}, "complete"),
    ("plain", {}, {}, {"note": "it's 50%"}, "running"),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def runs(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Store]:
    """The runs above, written once per backend: these tests only read."""
    root = tmp_path_factory.mktemp("query")
    with ExitStack() as stack:
        url = f"sqlite:///{root / 'q.db'}"
        if request.param == "postgresql":
            url = stack.enter_context(request.getfixturevalue("postgres_databases")())
        store = Store(url, artifact_root=root)
        for name, params, metrics, tags, status in RUNS:
            run = store.start_run("search" if name != "plain" else "other", name, params=params, tags=tags)
            run.log_metrics(metrics)
            if status != "running":
                run.end(status)
        store.flush()
        yield store
        store.close()


def names(store: Store, text: str, **kwargs) -> set[str]:
    return {r["name"] for r in store.search_runs(text, **kwargs)}


@pytest.mark.parametrize(("text", "expected"), [
    ("metrics.accuracy > 0.9 and (params.learner = 'svm' or tags.stage = 'prod') and not params.scaler = 'none'",
     {"svm-a", "knn-a"}),
    ("params.rbf_svm.C > 1", {"svm-a"}),  # numeric comparison; everything after the first dot is the key
    ("params.`rbf_svm.C` <= 1", {"svm-b"}),
    ("params.knn.k in (5, 7)", {"knn-a"}),
    ("params.knn.k = 12.0", {"knn-b"}),
    ("params.knn.k = '12'", {"knn-b"}),  # as text too, as MLflow compares params
    ("params.learner != 'svm'", {"knn-a", "knn-b", "tree"}),  # has the param, another value
    ("not params.learner = 'svm'", {"knn-a", "knn-b", "tree", "plain"}),  # also runs without it
    ("params.learner not in ('svm', 'knn')", {"tree"}),
    ("params.learner like 'T%'", {"tree"}),
    ("params.learner like 't%'", set()),  # like is case-sensitive on both backends
    ("params.learner ilike 't%'", {"tree"}),
    ("params.balanced = true", {"tree"}),
    ("metrics.accuracy >= 0.95 or metrics.accuracy < 0.85 and tags.stage = 'dev'", {"svm-a", "svm-b", "knn-b"}),
    ("metrics.accuracy != 0.95", {"svm-b", "knn-a", "knn-b", "tree"}),  # NaN is another value
    ("tags.note = 'it''s 50%'", {"plain"}),
    ("tags.note like '%50\\%'", {"plain"}),
    ("status = 'failed'", {"knn-b"}),
    ("attributes.status in ('running', 'failed')", {"plain", "knn-b"}),
    ("run_name like '%-a'", {"svm-a", "knn-a"}),
    ("duration >= 0 and STATUS = 'complete' AND NOT run_name = 'tree'", {"svm-a", "svm-b", "knn-a"}),
    ("", {r[0] for r in RUNS}),
])
def test_filters(runs: Store, text: str, expected: set) -> None:
    assert names(runs, text) == expected


def test_order_limit_and_experiment(runs: Store) -> None:
    got = runs.search_runs(None, order_by=["metrics.accuracy desc"], max_results=4)
    assert [r["name"] for r in got] == ["svm-b", "svm-a", "knn-a", "knn-b"]
    by_c = runs.search_runs("params.learner = 'svm'", order_by=["params.rbf_svm.C"])
    assert [r["name"] for r in by_c] == ["svm-b", "svm-a"]
    last = runs.search_runs("", order_by=["metrics.accuracy asc"])  # missing values last, newest first
    assert [r["name"] for r in last] == ["knn-b", "knn-a", "svm-a", "svm-b", "plain", "tree"]
    spill = runs.search_runs("", order_by=["metrics.accuracy desc", "run_name"], max_results=5)
    assert [r["name"] for r in spill] == ["svm-b", "svm-a", "knn-a", "knn-b", "plain"]
    by_name = runs.search_runs("params.learner != 'nope'", order_by=["run_name desc"], max_results=2)
    assert [r["name"] for r in by_name] == ["tree", "svm-b"]
    assert names(runs, "", experiment="other") == {"plain"}
    with pytest.raises(StoreError, match="no experiment 'nope'"):
        runs.search_runs("", experiment="nope")


def test_pandas_output(runs: Store) -> None:
    frame = cairn.search_runs("params.learner = 'svm'", output="pandas", order_by="metrics.accuracy desc", store=runs)
    assert list(frame["run_name"]) == ["svm-b", "svm-a"]
    assert {"params.rbf_svm.C", "metrics.accuracy", "tags.stage", "status", "duration"} <= set(frame.columns)
    assert list(cairn.search_runs("params.learner = 'nope'", output="pandas", store=runs).columns)[0] == "run_id"


def test_values_are_bound_not_spliced(runs: Store) -> None:
    assert names(runs, "params.learner = 'svm'' or ''1''=''1'") == set()
    assert names(runs, "params.`x'; DROP TABLE runs; --` = 1") == set()
    assert runs.count_runs() == len(RUNS)


@pytest.mark.parametrize(("text", "column", "fragment"), [
    ("metrics.accuracy >", 19, "expected a value"),
    ("metrics.accuracy > 'high'", 20, "metrics are numbers"),
    ("(params.a = 1", 14, "expected ')'"),
    ("params.a = 1 and", 17, "expected a params."),
    ("params.a = 1 params.b = 2", 14, "expected 'and', 'or'"),
    ("learner = 'svm'", 1, "not a run attribute"),
    ("param.a ~ 1", 9, "unexpected character"),
    ("params.a = 'open", 12, "unterminated string"),
    ("params.`a = 1", 7, "unterminated `backtick`"),
    ("foo.a = 1", 1, "not a prefix"),
    ("status = 'done'", 10, "not a run status"),
    ("start_time > 'yesterday'", 14, "compared with a number"),
    ("params.a in 1", 13, "expected '('"),
    ("params.a like 3", 15, "pattern"),
    ("metrics.a like '%'", 16, "metrics are numbers"),
    ("duration like 5", 15, "needs text"),
])
def test_malformed_filters_point_at_the_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(FilterError) as err:
        compile_filter(text)
    message = str(err.value)
    first, echoed, caret = message.split("\n")
    assert fragment in first and f"column {column}" in first
    assert echoed.strip() == text and caret.index("^") - 2 == column - 1


def test_bad_order_by(runs: Store) -> None:
    with pytest.raises(FilterError, match="'asc', 'desc'"):
        runs.search_runs("", order_by=["metrics.accuracy downwards"])
    with pytest.raises(StoreError, match="max_results"):
        runs.search_runs("", max_results=0)


def test_search_returns_every_value_exactly(store) -> None:
    """Params and tags come back packed per run; the values must still be the ones logged."""
    rng = np.random.default_rng(0)
    metrics = {f"m{i}": float(v) for i, v in enumerate(rng.uniform(-1, 1, 40) * 10.0 ** rng.integers(-300, 300, 40))}
    metrics["third"] = 0.1 + 0.2
    params = {"i": 2**62, "f": 0.1 + 0.2, "b": False, "s": 'quote " tab \t newline \n', "n": None, "tiny": 5e-324}
    tags = {"a\tb": "x\ny", "empty": "", "unicode": "héllo ✓"}
    store.start_run("exact", "r", params=params).end("complete", metrics=metrics, tags=tags)
    (run,) = store.search_runs("", experiment="exact")
    assert run["metrics"] == metrics and run["tags"] == tags
    assert run["params"] == params and all(type(run["params"][k]) is type(v) for k, v in params.items())
