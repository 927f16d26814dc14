"""The pages in a real headless Chromium (Debian's, driven by playwright; never a
downloaded browser), against a store with finished studies. Each test saves a
screenshot under its tmp_path and fails on any script error or dialog."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from uitools import XSS_NAME, XSS_PARAM, Populated

CHROMIUM = Path("/usr/bin/chromium")
expect.set_options(timeout=20_000)  # the machine may be busy; plotly alone is 5 MB of script
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("the browser tests need Debian's chromium at /usr/bin/chromium: apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def context(browser: Any, ui_url: str) -> Iterator[Any]:
    """One browser profile for every test, so its HTTP cache keeps plotly between pages."""
    shared = browser.new_context(base_url=ui_url, viewport={"width": 1400, "height": 900})
    yield shared
    shared.close()


@pytest.fixture
def page(context: Any) -> Iterator[Page]:
    """A fresh page on the UI; after the test, no script error, no failed request (but
    the 400 of a bad filter) and no dialog (an injected alert would open one) may have happened."""
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    tab.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    tab.on("console", lambda m: problems.append(f"console: {m.text}")
           if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    tab.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
           if r.status >= 400 and not (r.status == 400 and "/api/runs?" in r.url) else None)  # 400: a bad filter
    yield tab
    tab.close()
    assert problems == []


def rows(page: Page) -> Any:
    return page.locator("#runs tbody tr")


def test_home_lists_studies_and_experiments(page: Page, populated: Populated, tmp_path: Path) -> None:
    page.goto("/")
    studies = page.locator("#studies-table tbody tr")
    expect(studies).to_have_count(3)
    expect(studies.first).to_contain_text("two-objectives")  # newest first
    cash = studies.filter(has_text="iris-random-seed0")
    expect(cash).to_contain_text("complete")
    expect(cash).to_contain_text("balanced_accuracy")
    expect(page.locator("#experiments-table")).to_contain_text("synthetic")
    page.screenshot(path=tmp_path / "home.png", full_page=True)


def test_filter_sort_and_pages_of_the_runs_table(page: Page, populated: Populated, tmp_path: Path) -> None:
    experiment = populated.store.run(populated.cash_run)["experiment_id"]
    page.goto(f"/runs?experiment_id={experiment}")
    expect(rows(page)).to_have_count(7)  # six trials and the study's run
    knn = populated.store.search_runs("params.learner = 'knn'", experiment="iris")
    page.fill("#filter", "params.learner = 'knn'")
    page.press("#filter", "Enter")
    expect(rows(page)).to_have_count(len(knn))
    expect(page.locator("#summary")).to_contain_text(f"{len(knn)} runs match")
    assert "filter=params.learner" in page.url
    page.fill("#filter", "metrics.loss >")
    page.press("#filter", "Enter")
    expect(page.locator("#filter-error")).to_be_visible()
    expect(page.locator("#filter-error")).to_contain_text("column")
    page.fill("#filter", "")
    page.press("#filter", "Enter")
    expect(rows(page)).to_have_count(7)
    # Two clicks before the table redraws (as on a busy machine): the second still toggles to ascending.
    page.locator("th[data-field='metrics.loss']").dblclick()
    best = populated.store.search_runs(experiment="iris", order_by=["metrics.loss asc"], max_results=1)[0]
    expect(rows(page).first).to_have_attribute("data-run-id", best["id"])
    page.screenshot(path=tmp_path / "runs.png", full_page=True)
    page.goto(f"/runs?experiment_id={experiment}&per_page=3")
    expect(page.locator("#page-number")).to_contain_text("page 1 of 3")
    first_page = rows(page).first.get_attribute("data-run-id")
    page.click("#next")
    expect(page.locator("#page-number")).to_contain_text("page 2 of 3")
    assert rows(page).first.get_attribute("data-run-id") != first_page


def test_run_page_plots_histories_and_shows_artifacts(page: Page, populated: Populated, tmp_path: Path) -> None:
    page.goto(f"/runs/{populated.training_run}")
    expect(page.locator("#plots .js-plotly-plot")).to_have_count(2)
    expect(page.locator("#plots .js-plotly-plot .scatterlayer path.js-line").first).to_be_visible()
    expect(page.locator("#params")).to_contain_text("layers")
    expect(page.locator("#tags")).to_contain_text("stage")
    expect(page.locator(".artifact-text")).to_contain_text("hello from the training run")
    image = page.locator("img.artifact-image")
    expect(image).to_be_visible()
    page.wait_for_function("document.querySelector('img.artifact-image').naturalWidth === 24")
    expect(page.locator(".artifact", has_text="weights.bin").locator("a")).to_have_attribute("href", re.compile("download=true"))
    page.screenshot(path=tmp_path / "run.png", full_page=True)


def test_following_a_lineage_node(page: Page, populated: Populated, tmp_path: Path) -> None:
    trial = next(r for r in populated.store.runs(populated.cash_study) if r["trial_number"] == 0)
    page.goto(f"/runs/{trial['id']}")
    nodes = page.locator("svg.lineage-graph g.node")
    expect(nodes.first).to_be_visible()
    root = nodes.last
    root.click()
    details = page.locator("#lineage-details")
    expect(details.locator("h3")).to_contain_text("mean")
    first_input = details.locator("a.node-link").first
    target = first_input.get_attribute("data-node")
    first_input.click()
    expect(details).to_have_attribute("data-selected", target)
    expect(page.locator(f"svg.lineage-graph g.node[data-node='{target}']")).to_have_class(re.compile("selected"))
    expect(details.locator("h3")).to_contain_text("patch")
    page.screenshot(path=tmp_path / "lineage.png", full_page=True)


def test_study_pages_draw_their_figures(page: Page, populated: Populated, tmp_path: Path) -> None:
    page.goto(f"/studies/{populated.cash_study}")
    for figure in ("best-trials", "best-time", "scores", "learners", "importance"):
        expect(page.locator(f"#{figure}.js-plotly-plot .main-svg").first).to_be_visible()
    ok = sum(r["status"] == "complete" for r in populated.store.runs(populated.cash_study) if r["trial_number"] is not None)
    expect(page.locator("#parallel polyline.trial-line")).to_have_count(ok)
    expect(page.locator("#best-trial")).to_contain_text("trial")
    expect(page.locator("#pareto-figure")).to_be_hidden()
    page.screenshot(path=tmp_path / "study.png", full_page=True)
    page.goto(f"/studies/{populated.hyperband_study}")
    expect(page.locator("#rungs.js-plotly-plot .boxlayer path").first).to_be_visible()
    page.screenshot(path=tmp_path / "study-hyperband.png", full_page=True)
    page.goto(f"/studies/{populated.pareto_study}")
    expect(page.locator("#pareto.js-plotly-plot .scatterlayer .points path").first).to_be_visible()
    page.screenshot(path=tmp_path / "study-pareto.png", full_page=True)


def test_compare_selected_runs(page: Page, populated: Populated, tmp_path: Path) -> None:
    page.goto(f"/runs?study_id={populated.cash_study}&order_by=trial_number+asc")
    checks = rows(page).locator("input[type=checkbox]")
    expect(checks).to_have_count(7)
    checks.nth(1).check()
    checks.nth(2).check()
    page.click("#compare")
    page.wait_for_url(re.compile(r"/compare\?run=.+&run=.+"))
    expect(page.locator("#params table tbody tr").first).to_be_visible()
    expect(page.locator("#plots .js-plotly-plot").first).to_be_visible()
    page.screenshot(path=tmp_path / "compare.png", full_page=True)


def test_registry_page(page: Page, tmp_path: Path) -> None:
    page.goto("/registry")
    model = page.locator("[data-model='iris-clf'] tbody tr")
    expect(model).to_have_count(2)
    expect(model.first).to_contain_text("champion")
    expect(model.nth(1)).to_contain_text("delta of v1")
    expect(page.locator("[data-dataset='toy'] tbody tr")).to_have_count(2)
    page.screenshot(path=tmp_path / "registry.png", full_page=True)


def test_html_in_names_is_shown_as_text(page: Page, populated: Populated, tmp_path: Path) -> None:
    page.goto(f"/runs/{populated.xss_run}")
    expect(page.locator("h1")).to_have_text(f"Run {XSS_NAME}")
    expect(page.locator("#params")).to_contain_text(XSS_PARAM)
    expect(page.locator("#tags")).to_contain_text("<b>bold</b><script>alert(4)</script>")
    assert page.locator("main img, main svg[onload], main b").count() == 0
    page.goto("/")
    expect(page.locator("#experiments-table")).to_contain_text("<img src=x onerror=alert(5)>")
    experiment = populated.store.run(populated.xss_run)["experiment_id"]
    page.goto(f"/runs?experiment_id={experiment}")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text(XSS_NAME)
    assert page.locator("main img").count() == 0
    page.screenshot(path=tmp_path / "escaping.png", full_page=True)
