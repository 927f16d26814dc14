"""Who may talk to the UI, what they may change, and which files it may send.

* **Binding.** The UI listens on loopback unless told otherwise; any other address
  needs a token (:func:`check_bind`). On loopback the ``Host`` header must name
  loopback too, so a web page that rebinds its DNS name to 127.0.0.1 cannot read it.
* **Token.** With a token, every request needs it: ``Authorization: Bearer TOKEN`` or
  the cookie a browser gets by opening ``/?token=TOKEN`` once (then redirected to the
  same page without it, so the token stays out of history and referrers). Compared in
  constant time.
* **Writes.** POST and DELETE are refused (403) unless the UI was started with
  ``--allow-writes``, and a browser write from another site (its ``Origin`` is not this
  host) is refused always.
* **Artifacts.** A requested path must pass :func:`cairn.track.artifacts.check_path`
  as sent, with any ``;...`` or ``#...`` part cut off each segment, and after percent-
  decoding; it must name an artifact the run recorded, and the blob behind it must lie
  inside the store's artifact directory once links are resolved.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from cairn.errors import ArtifactError, UserError
from cairn.track import Store
from cairn.track.artifacts import check_path

TOKEN_COOKIE = "cairn_ui_token"
TOKEN_ENV = "CAIRN_UI_TOKEN"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Pages load scripts and styles from this server only; plotly injects style elements.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
                           "frame-ancestors 'none'; form-action 'self'")

Next = Callable[[Request], Awaitable[Response]]


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) can only be reached from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name may resolve anywhere


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without a token."""
    if not is_loopback(host) and not token:
        raise UserError(f"listening on {host} lets other machines read the store; give a token with --token "
                        f"or ${TOKEN_ENV}, or listen on 127.0.0.1")


class Guard:
    """The HTTP middleware that applies the rules above to every request."""

    def __init__(self, token: str | None, allow_writes: bool, loopback_only: bool):
        self.token, self.allow_writes, self.loopback_only = token, allow_writes, loopback_only

    async def __call__(self, request: Request, call_next: Next) -> Response:
        refused = self._refusal(request)
        if refused is not None:
            return _secured(refused)
        if self.token and "token" in request.query_params:  # a browser logging in with ?token=
            return _secured(self._login(request))
        return _secured(await call_next(request))

    def _refusal(self, request: Request) -> Response | None:
        host = urlsplit(f"//{request.headers.get('host', '')}").hostname or ""
        if self.loopback_only and host not in LOOPBACK_HOSTS:
            return _error(400, f"this server answers only to loopback names, not '{host}'")
        if self.token and "token" not in request.query_params and not self._authorised(request):
            return _error(401, "this cairn ui needs its token: send 'Authorization: Bearer TOKEN' or open /?token=TOKEN")
        if request.method in WRITE_METHODS:
            if not self.allow_writes:
                return _error(403, "this cairn ui is read-only; start it with --allow-writes to change the store")
            origin = request.headers.get("origin")
            if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
                return _error(403, "writes from another site are refused")
        return None

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        given = header[7:] if header.lower().startswith("bearer ") else request.cookies.get(TOKEN_COOKIE, "")
        return _same(given, self.token or "")

    def _login(self, request: Request) -> Response:
        if not _same(request.query_params["token"], self.token or ""):
            return _error(401, "wrong token")
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        path = "/" + request.url.path.lstrip("/")  # never "//host": that would leave this server
        response = RedirectResponse(path + (f"?{urlencode(rest)}" if rest else ""), status_code=303)
        response.set_cookie(TOKEN_COOKIE, self.token or "", httponly=True, samesite="strict")
        return response


def safe_artifact_path(path: str) -> str:
    """``path`` if it names a place inside a run however it is decoded or cut, else
    :class:`ArtifactError`: the whole path and every segment before a ``;`` or ``#``
    (where some servers end a path) must pass :func:`check_path`."""
    check_path(path)
    check_path("/".join(part.split(";", 1)[0] for part in path.split("#", 1)[0].split("/")) or path)
    return path


def artifact_file(store: Store, run_id: str, path: str) -> Path:
    """The blob behind artifact ``path`` of run ``run_id``; :class:`ArtifactError` for a
    path that could leave the run, names nothing recorded, or leads out of the store."""
    blob = store.artifact_path(run_id, safe_artifact_path(path))
    try:
        real = blob.resolve(strict=True)
    except (OSError, RuntimeError):
        raise ArtifactError(f"the blob of artifact '{path}' is missing from the store") from None
    if not real.is_relative_to(store.artifact_root) or not real.is_file():
        raise ArtifactError(f"artifact '{path}' leads outside the artifact store; refusing to send it")
    return real


def _same(given: str, token: str) -> bool:
    return bool(token) and hmac.compare_digest(given.encode(), token.encode())


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def _secured(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("content-security-policy", CONTENT_SECURITY_POLICY)
    headers["x-content-type-options"] = "nosniff"
    headers["referrer-policy"] = "no-referrer"
    headers["x-frame-options"] = "DENY"
    return response
