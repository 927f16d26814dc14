"""The REST API: listings, paged search in the filter language, study figures, lineage
layout, histories, compare, registry, and writes only when allowed."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest
from uitools import Populated, request

from cairn.lineage import show
from cairn.lineage.runs import load_trace
from cairn.optim import make_optimizer
from cairn.registry.models import describe_model
from cairn.space import Float, Space
from cairn.study import Study
from cairn.track import Store
from cairn.ui import create_app
from cairn.ui.server import serve_in_background


def get(base: str, path: str, **params) -> dict:
    answer = request(base, path + (f"?{urlencode(params, doseq=True)}" if params else ""))
    assert answer.status == 200, (path, answer.status, answer.text[:300])
    return json.loads(answer.body)


def _square(config: dict, budget: float | None = None) -> float:
    return (config["x"] - 1) ** 2


@pytest.fixture(params=["sqlite", "postgresql"])
def small_store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Store]:
    """A store with one 9-trial study, on SQLite and on PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'cairn.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store(url, artifact_root=tmp_path / "artifacts")
    Study(make_optimizer("random", Space([Float("x", -3, 3)]), seed=1), _square, store=store, experiment="squares",
          n_trials=9).optimize()
    yield store
    store.close()


def test_search_pages_follow_the_store_order_on_both_backends(small_store: Store) -> None:
    with serve_in_background(create_app(small_store)) as url:
        for order in (["metrics.loss asc"], ["params.x desc"], []):
            expected = [r["id"] for r in small_store.search_runs("metrics.loss < 4", order_by=order, max_results=100)]
            pages, seen = None, []
            for number in range(1, 10):
                answer = get(url, "/api/runs", filter="metrics.loss < 4", order_by=order, per_page=2, page=number)
                pages = answer["pages"]
                seen += [r["id"] for r in answer["runs"]]
                assert answer["total"] == len(expected)
                if number >= pages:
                    break
            assert seen == expected and pages == math.ceil(len(expected) / 2)
        study = get(url, "/api/studies")["studies"][0]
        losses = {r["trial_number"]: r["metrics"]["loss"] for r in small_store.runs(study["id"]) if r["trial_number"] is not None}
        assert study["n_trials"] == 9 and study["best"]["loss"] == min(losses.values())
        assert study["best"]["trial"] == min(losses, key=losses.get)
        experiment = get(url, "/api/experiments")["experiments"][0]
        assert (experiment["name"], experiment["n_runs"]) == ("squares", 10)


def test_a_broken_filter_is_400_with_one_sentence(ui_url: str) -> None:
    answer = request(ui_url, f"/api/runs?filter={quote('metrics.loss > ')}")
    assert answer.status == 400
    error = json.loads(answer.body)["error"]
    assert "at column 16" in error and error.count("\n") == 2  # the sentence, the filter, a caret
    assert request(ui_url, "/api/runs?page=0").status == 400
    assert request(ui_url, "/api/runs?experiment_id=999").status == 400
    assert request(ui_url, "/api/runs/ffffffffffff").status == 404


def test_home_lists_experiments_and_studies_newest_first(populated: Populated, ui_url: str) -> None:
    studies = get(ui_url, "/api/studies")["studies"]
    assert [s["id"] for s in studies] == sorted((s["id"] for s in studies), reverse=True)
    cash = next(s for s in studies if s["id"] == populated.cash_study)
    assert cash["status"] == "complete" and cash["n_trials"] == 6 and cash["metric"] == "balanced_accuracy"
    best_run = populated.store.run(cash["best"]["run_id"])
    trials = [r for r in populated.store.runs(populated.cash_study) if r["trial_number"] is not None]
    assert best_run["metrics"]["loss"] == min(r["metrics"]["loss"] for r in trials)
    assert cash["best"]["score"] == best_run["metrics"]["balanced_accuracy"]
    experiments = get(ui_url, "/api/experiments")["experiments"]
    assert [e["created_at"] for e in experiments] == sorted((e["created_at"] for e in experiments), reverse=True)


def test_study_figures(populated: Populated, ui_url: str) -> None:
    cash = get(ui_url, f"/api/studies/{populated.cash_study}")
    assert cash["score_name"] == "balanced_accuracy" and len(cash["trials"]) == 6
    losses = [p["loss"] for p in cash["best_so_far"]]
    assert losses == sorted(losses, reverse=True) and losses[-1] == min(t["loss"] for t in cash["trials"] if t["ok"])
    assert set(cash["learners"]) <= {"knn", "logreg", "tree"}
    assert sum(map(len, cash["learners"].values())) == sum(t["ok"] for t in cash["trials"])
    assert all(0 <= i["importance"] <= 1 for i in cash["importance"])
    assert cash["parallel"][0]["name"] == "learner" and cash["pareto"] is None and cash["rungs"] is None
    hyperband = get(ui_url, f"/api/studies/{populated.hyperband_study}")
    budgets = [r["budget"] for r in hyperband["rungs"]]
    assert budgets == sorted(budgets) and len(budgets) >= 2 and sum(r["n"] for r in hyperband["rungs"]) == 13
    assert hyperband["best"]["budget"] == max(budgets)  # best is taken at the highest budget
    pareto = get(ui_url, f"/api/studies/{populated.pareto_study}")["pareto"]
    points = [(p["objectives"], p["front"]) for p in pareto]
    for objectives, on_front in points:
        dominated = any(all(o <= v for o, v in zip(other, objectives, strict=True)) and other != objectives
                        for other, _ in points)
        assert on_front == (not dominated)
    assert request(ui_url, "/api/studies/999").status == 404


def test_lineage_layout_flows_left_to_right(populated: Populated, ui_url: str) -> None:
    trial = next(r for r in populated.store.runs(populated.cash_study) if r["trial_number"] == 0)
    graph = get(ui_url, f"/api/runs/{trial['id']}/lineage")
    assert len(graph["nodes"]) == len(show.numbered(load_trace(populated.store, trial["id"])))
    x = {n["id"]: n["x"] for n in graph["nodes"]}
    assert all(x[e["source"]] < x[e["target"]] for e in graph["edges"])
    assert {e["kind"] for e in graph["edges"]} == {"input", "body"}
    assert len({(n["x"], n["y"]) for n in graph["nodes"]}) == len(graph["nodes"])  # no two nodes overlap
    assert request(ui_url, f"/api/runs/{populated.training_run}/lineage").status == 404


def test_metric_history_and_run(populated: Populated, ui_url: str) -> None:
    run = get(ui_url, f"/api/runs/{populated.training_run[:10]}")
    assert run["id"] == populated.training_run and run["metric_points"] == {"loss": 30, "accuracy": 30}
    assert [a["path"] for a in run["artifacts"]] == ["notes.txt", "plot.png", "weights.bin"]
    full = get(ui_url, f"/api/runs/{populated.training_run}/metric-history", key="loss")
    assert full["n"] == 30 and full["steps"] == list(range(30)) and full["values"][3] == 0.25
    thin = get(ui_url, f"/api/runs/{populated.training_run}/metric-history", key="loss", max_points=10)
    assert len(thin["steps"]) == 10 and thin["steps"][0] == 0 and thin["steps"][-1] == 29
    image = request(ui_url, f"/api/runs/{populated.training_run}/artifact?path=plot.png")
    assert image.headers["content-type"] == "image/png" and image.body.startswith(b"\x89PNG")


def test_compare_marks_differing_params(populated: Populated, ui_url: str) -> None:
    a, b = (r["id"] for r in populated.store.runs(populated.cash_study)[1:3])
    answer = get(ui_url, "/api/compare", run=[a, b])
    params = [r["params"] for r in answer["runs"]]
    assert answer["differ"] == sorted(k for k in set(params[0]) | set(params[1]) if params[0].get(k) != params[1].get(k))
    assert request(ui_url, f"/api/compare?run={a}&run={a}").status == 400


def test_registry(ui_url: str) -> None:
    model = get(ui_url, "/api/models/iris-clf")
    assert [v["version"] for v in model["versions"]] == [1, 2] and model["aliases"] == {"champion": 1}
    assert model["versions"][1]["base_version"] == 1 and model["versions"][0]["dataset_version"] == "iris:1"
    toy = get(ui_url, "/api/datasets/toy")["versions"]
    assert [(v["version"], v["n_rows"], v["n_added"]) for v in toy] == [(1, 40, None), (2, 45, 5)]
    assert {d["name"] for d in get(ui_url, "/api/datasets")["datasets"]} == {"iris", "toy"}
    assert request(ui_url, "/api/models/nope").status == 404
    spec = get(ui_url, "/openapi.json")
    assert {"/api/runs", "/api/studies/{study_id}", "/api/runs/{run_id}/lineage", "/api/models/{name}"} <= set(spec["paths"])


def test_writes_need_allow_writes_and_a_same_site_origin(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'cairn.db'}")
    run = store.create_run("writes", "victim")
    store.create_run("writes", "child", parent_run_id=run)
    body = json.dumps({"key": "stage", "value": "prod"}).encode()
    json_header = {"Content-Type": "application/json"}
    with serve_in_background(create_app(store)) as url:
        assert request(url, f"/api/runs/{run}/tags", "POST", json_header, body).status == 403
        assert request(url, f"/api/runs/{run}", "DELETE").status == 403
    assert store.run(run)["tags"] == {} and store.count_runs() == 2
    with serve_in_background(create_app(store, allow_writes=True)) as url:
        evil = request(url, f"/api/runs/{run}/tags", "POST", {**json_header, "Origin": "http://evil.example"}, body)
        assert evil.status == 403 and store.run(run)["tags"] == {}
        same = request(url, f"/api/runs/{run}/tags", "POST", {**json_header, "Origin": url}, body)
        assert same.status == 200 and store.run(run)["tags"] == {"stage": "prod"}
        bad = request(url, f"/api/runs/{run}/tags", "POST", json_header, json.dumps({"key": "", "value": "x"}).encode())
        assert bad.status == 400 and "tag name" in json.loads(bad.body)["error"]
        assert json.loads(request(url, f"/api/runs/{run}", "DELETE").body)["runs"] == 2
    assert store.count_runs() == 0
    store.close()


def test_aliases_move_with_allow_writes(populated: Populated) -> None:
    with serve_in_background(create_app(populated.store, allow_writes=True)) as url:
        path = "/api/models/iris-clf/aliases"
        moved = request(url, path, "POST", {"Content-Type": "application/json"},
                        json.dumps({"alias": "staging", "version": 2}).encode())
        assert moved.status == 200 and describe_model("iris-clf", store=populated.store)["aliases"]["staging"] == 2
        unknown = request(url, path, "POST", {"Content-Type": "application/json"},
                          json.dumps({"alias": "x", "version": 9}).encode())
        assert unknown.status == 400
        assert request(url, f"{path}/staging", "DELETE").status == 200
    assert describe_model("iris-clf", store=populated.store)["aliases"] == {"champion": 1}


def test_non_finite_numbers_survive_as_strings(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'cairn.db'}")
    run = store.create_run("odd", "inf", params={"big": float("inf"), "small": float("-inf")})
    store.log_metrics(run, {"missing": float("nan"), "fine": 0.5})
    with serve_in_background(create_app(store)) as url:
        found = get(url, f"/api/runs/{run}")
    assert found["params"] == {"big": "Infinity", "small": "-Infinity"}
    assert found["metrics"] == {"missing": "NaN", "fine": 0.5}
    store.close()


def test_reads_do_not_wait_for_a_writer(populated: Populated, ui_url: str) -> None:
    """A study holds SQLite's write lock while it records a trial; the UI must still answer."""
    import sqlite3

    writer = sqlite3.connect(populated.store.url.removeprefix("sqlite:///"), timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    try:
        for path in ("/api/experiments", "/api/studies", f"/api/studies/{populated.cash_study}",
                     "/api/runs?per_page=5", f"/api/runs/{populated.training_run}"):
            assert request(ui_url, path, timeout=10).status == 200, path
    finally:
        writer.rollback()
        writer.close()
