"""The HTML pages: a server-rendered frame per page, filled by its script from the API.

Templates (``templates/``) are Jinja with autoescaping on, so a run name or a filter
echoed into a page is text, never markup; the scripts (``static/``) build the page from
``/api/`` answers with DOM text nodes, never ``innerHTML``. Plotly comes from the
installed ``plotly`` package and is served from here, so the UI works offline.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader
from starlette.templating import Jinja2Templates

from cairn.errors import UserError
from cairn.ui import queries

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(env=Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True))
router = APIRouter(include_in_schema=False)


def plotly_js() -> Path:
    """The plotly.js bundle the ``plotly`` package ships."""
    return Path(str(files("plotly") / "package_data" / "plotly.min.js"))


def _page(request: Request, template: str, title: str, script: str, *,
          data: dict[str, Any] | None = None, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, {
        "title": title, "script": script, "data": data or {},
        "allow_writes": request.app.state.allow_writes, **context}, status_code=status_code)


def _not_found(request: Request, message: str) -> HTMLResponse:
    return _page(request, "error.html", "Not found", "common", message=message, status_code=404)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return _page(request, "home.html", "Experiments and studies", "home")


@router.get("/runs", response_class=HTMLResponse)
def runs(request: Request, experiment_id: int | None = None, study_id: int | None = None,
         filter: str = "", order_by: Annotated[list[str] | None, Query()] = None) -> HTMLResponse:
    store = request.app.state.store
    scope = "all experiments"
    if experiment_id is not None:
        try:
            scope = f"experiment '{queries.experiment_name(store, experiment_id)}'"
        except UserError as exc:
            return _not_found(request, str(exc))
    if study_id is not None:
        study = store.study(study_id)
        if study is None:
            return _not_found(request, f"there is no study {study_id}")
        scope = f"study {study_id} '{study['name']}'"
    data = {"experiment-id": experiment_id if experiment_id is not None else "",
            "study-id": study_id if study_id is not None else ""}
    return _page(request, "runs.html", f"Runs of {scope}", "runs", data=data, filter=filter)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run(request: Request, run_id: str) -> HTMLResponse:
    store = request.app.state.store
    try:
        found = store.run(run_id)
    except UserError as exc:
        return _not_found(request, str(exc))
    return _page(request, "run.html", f"Run {found['name'] or found['id'][:8]}", "run",
                 data={"run-id": found["id"]})


@router.get("/studies/{study_id}", response_class=HTMLResponse)
def study(request: Request, study_id: int) -> HTMLResponse:
    found = request.app.state.store.study(study_id)
    if found is None:
        return _not_found(request, f"there is no study {study_id}")
    return _page(request, "study.html", f"Study {study_id} '{found['name']}'", "study",
                 data={"study-id": study_id})


@router.get("/compare", response_class=HTMLResponse)
def compare(request: Request) -> HTMLResponse:
    return _page(request, "compare.html", "Compare runs", "compare")


@router.get("/registry", response_class=HTMLResponse)
def registry(request: Request) -> HTMLResponse:
    return _page(request, "registry.html", "Model and dataset registry", "registry")


@router.get("/static/vendor/plotly.min.js")
def plotly() -> FileResponse:
    return FileResponse(plotly_js(), media_type="text/javascript", headers={"cache-control": "public, max-age=86400"})
