"""The FastAPI application over one Store: API, pages, static files, the security guard."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response

from cairn.errors import UserError
from cairn.track import Store
from cairn.ui import api, pages
from cairn.ui.security import Guard


def create_app(store: Store, *, token: str | None = None, allow_writes: bool = False,
               loopback_only: bool = False) -> FastAPI:
    """The UI over ``store``. ``token``: required on every request when set;
    ``allow_writes``: accept POST and DELETE; ``loopback_only``: answer only requests
    addressed to a loopback name (what ``cairn ui`` sets when it listens on loopback).
    The OpenAPI document is at ``/openapi.json``; FastAPI's doc pages are off, since
    they load their scripts from a CDN."""
    app = FastAPI(title="cairn", version=version("cairn-ml"), docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json", description="The REST API of cairn's store: experiments, "
                  "studies, runs, metrics, artifacts, lineage, models and datasets.")
    app.state.store = store
    app.state.allow_writes = allow_writes
    app.middleware("http")(Guard(token, allow_writes, loopback_only))
    app.add_exception_handler(UserError, _user_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    return app


async def _user_error(request: Request, exc: Exception) -> Response:
    return api.SafeJSON({"error": str(exc)}, status_code=400)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return api.SafeJSON({"error": str(exc.detail)}, status_code=exc.status_code)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """The first problem as one sentence, e.g. ``query parameter 'page': ...``."""
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    where, *name = first.get("loc", ("request",))
    return api.SafeJSON({"error": f"{where} parameter '{'.'.join(map(str, name))}': {first.get('msg', 'invalid')}"},
                        status_code=400)
