"""The UI's defences: path traversal on artifact downloads (the payloads of MLflow's
path-traversal CVEs), links out of the store, HTML escaping, tokens and binding."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from uitools import XSS_NAME, XSS_PARAM, Populated, request

from cairn.cli import main
from cairn.errors import UserError
from cairn.track import Store
from cairn.ui import create_app
from cairn.ui.security import TOKEN_COOKIE, check_bind, is_loopback
from cairn.ui.server import serve_in_background

SECRET = f"TOP-SECRET-{uuid.uuid4().hex}"
TOKEN = "correct-horse-battery-staple"


class Site:
    """A store with artifacts, a secret file outside it, and the UI serving the store."""

    def __init__(self, root: Path):
        self.root = root
        self.outside = root / "outside"
        self.outside.mkdir()
        self.secret = self.outside / "secret.txt"
        self.secret.write_text(SECRET)
        self.store = Store(f"sqlite:///{root / 'store' / 'cairn.db'}")
        files = root / "files"
        files.mkdir()
        (files / "notes.txt").write_text("plain notes\n")
        (files / "evil.html").write_text("<script>alert('artifact')</script>")
        (files / "evil.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
        self.run = self.store.create_run("security", "artifacts")
        for name in ("notes.txt", "evil.html", "evil.svg"):
            self.store.log_artifact(self.run, files / name)
        self.file_link_run = self._run_with_blob_replaced(files, "file")
        self.dir_link_run = self._run_with_blob_replaced(files, "dir")

    def _run_with_blob_replaced(self, files: Path, how: str) -> str:
        """A run whose artifact ``victim.txt`` has its blob (``file``) or the blob's folder
        (``dir``) swapped for a link to the secret, as an attacker with disk access might."""
        used = {d[:2] for d in self.store.blobs.digests()}
        for n in range(10_000):  # content whose blob folder no other blob shares
            (files / "victim.txt").write_text(f"victim {how} {n}")
            run = self.store.create_run("security", f"victim-{how}")
            digest = self.store.log_artifact(run, files / "victim.txt")[0]["digest"]
            if digest[:2] not in used:
                break
            self.store.delete_runs([run])
        blob = self.store.blobs.path(digest)
        if how == "file":
            blob.unlink()
            blob.symlink_to(self.secret)
        else:
            decoy = self.outside / digest[:2]
            decoy.mkdir()
            (decoy / digest).write_text(SECRET)
            blob.unlink()
            blob.parent.rmdir()
            blob.parent.symlink_to(decoy, target_is_directory=True)
        return run


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    built = Site(tmp_path_factory.mktemp("security"))
    yield built
    built.store.close()


@pytest.fixture(scope="module")
def site_url(site: Site) -> Iterator[str]:
    with serve_in_background(create_app(site.store, loopback_only=True)) as url:
        yield url


def _refused(answer) -> None:
    assert answer.status in (400, 403, 404), (answer.status, answer.text[:200])
    assert SECRET not in answer.text


def _traversal_payloads(site: Site) -> dict[str, str]:
    """Query values for ``path=`` (already in the form sent on the wire), by what they mimic."""
    up = "../" * 4 + "outside/secret.txt"
    absolute = str(site.secret)
    return {
        "dotdot segments (CVE-2023-1177)": up,
        "dotdot with encoded slashes (CVE-2023-1177)": up.replace("/", "%2F"),
        "percent-encoded dots (CVE-2024-1593)": up.replace("..", "%2e%2e"),
        "percent-encoded dots and slashes (CVE-2024-1560)": up.replace("..", "%2E%2E").replace("/", "%2f"),
        "double-encoded dots (CVE-2024-1560)": up.replace("..", "%252e%252e"),
        "double-encoded slashes (CVE-2024-1560)": up.replace("/", "%252f"),
        "backslashes": up.replace("/", "\\"),
        "encoded backslashes": up.replace("/", "%5C"),
        "absolute path (CVE-2023-1177)": quote(absolute, safe=""),
        "absolute path, raw": absolute,
        "file URI (CVE-2023-1177)": quote(f"file://{absolute}", safe=""),
        "windows drive": quote("C:\\Windows\\win.ini", safe=""),
        "UNC path": quote("\\\\server\\share\\secret.txt", safe=""),
        "semicolon after a real artifact (CVE-2023-6909)": quote("notes.txt;/" + up, safe=""),
        "semicolon path parameter (CVE-2023-6909)": "..;/..;/..;/..;/outside/secret.txt",
        "fragment after a real artifact (CVE-2023-6909)": quote("notes.txt#/" + up, safe=""),
        "fragment first (CVE-2024-3848)": quote("#/" + up, safe=""),
        "encoded fragment and dots (CVE-2024-3848)": "notes.txt%23/" + up.replace("..", "%2e%2e"),
        "NUL byte": "notes.txt%00/" + up,
        "dot segment": "./notes.txt",
        "empty segment": "a//notes.txt",
    }


def test_a_recorded_artifact_downloads(site: Site, site_url: str) -> None:
    answer = request(site_url, f"/api/runs/{site.run}/artifact?path=notes.txt")
    assert answer.status == 200 and answer.text == "plain notes\n"
    assert answer.headers["content-type"].startswith("text/plain")


def test_traversal_payloads_are_refused(site: Site, site_url: str) -> None:
    payloads = _traversal_payloads(site)
    for what, payload in payloads.items():
        for run in (site.run, site.file_link_run):
            answer = request(site_url, f"/api/runs/{run}/artifact?path={payload}")
            assert answer.status in (400, 404), (what, answer.status)
            assert SECRET not in answer.text, what
            assert request(site_url, f"/api/runs/{run}/artifact?path={payload}&download=true").status in (400, 404)


def test_traversal_in_the_url_path_is_refused(site: Site, site_url: str) -> None:
    deep = "../" * 12 + str(site.secret).lstrip("/")
    for path in [
        f"/api/runs/{site.run}/artifact/{deep}",
        f"/api/runs/{site.run}/../../../../outside/secret.txt",
        f"/static/{deep}",
        f"/static/{deep.replace('..', '%2e%2e')}",
        f"/static/{deep.replace('/', '%2f')}",
        f"/static/{deep.replace('..', '%252e%252e')}",
        f"/static/{deep.replace('/', chr(92))}",
        f"/static/{quote(str(site.secret), safe='')}",
        f"/static//{str(site.secret).lstrip('/')}",
        f"/static/common.js;/{deep}",
        f"/static/common.js%23/{deep}",
    ]:
        _refused(request(site_url, path))


def test_links_out_of_the_store_are_refused(site: Site, site_url: str) -> None:
    for run in (site.file_link_run, site.dir_link_run):
        answer = request(site_url, f"/api/runs/{run}/artifact?path=victim.txt")
        _refused(answer)
        assert answer.status == 404 and "outside" in answer.text
    assert site.secret.read_text() == SECRET  # the secret was there to be taken


def test_html_and_svg_artifacts_are_only_downloaded(site: Site, site_url: str) -> None:
    for name in ("evil.html", "evil.svg"):
        answer = request(site_url, f"/api/runs/{site.run}/artifact?path={name}")
        assert answer.status == 200
        assert answer.headers["content-type"] == "application/octet-stream"
        assert answer.headers["content-disposition"].startswith("attachment")
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_pages_escape_names_params_and_experiments(populated: Populated, ui_url: str) -> None:
    page = request(ui_url, f"/runs/{populated.xss_run}")
    assert page.status == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert XSS_NAME not in page.text
    experiment = populated.store.run(populated.xss_run)["experiment_id"]
    runs_page = request(ui_url, f"/runs?experiment_id={experiment}")
    assert "&lt;img src=x onerror=alert(5)&gt;" in runs_page.text and "<img src=x" not in runs_page.text
    shown = request(ui_url, f"/runs?filter={quote(XSS_PARAM)}")
    assert XSS_PARAM not in shown.text and "&lt;img src=x onerror=alert(2)&gt;" in shown.text
    api = request(ui_url, f"/api/runs/{populated.xss_run}")
    assert api.headers["content-type"].startswith("application/json")
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_token_is_required_on_every_request(site: Site) -> None:
    with serve_in_background(create_app(site.store, token=TOKEN)) as url:
        for path in ("/", "/api/experiments", "/static/common.js", "/openapi.json",
                     f"/api/runs/{site.run}/artifact?path=notes.txt"):
            assert request(url, path).status == 401, path
            assert request(url, path, headers={"Authorization": "Bearer wrong"}).status == 401
            assert request(url, path, headers={"Cookie": f"{TOKEN_COOKIE}=wrong"}).status == 401
            assert request(url, path, headers={"Authorization": f"Bearer {TOKEN}"}).status == 200, path
        login = request(url, f"/runs?token={TOKEN}&filter=x")
        assert login.status == 303 and login.headers["location"] == "/runs?filter=x"
        cookie = login.headers["set-cookie"]
        assert f"{TOKEN_COOKIE}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert request(url, "/api/experiments", headers={"Cookie": f"{TOKEN_COOKIE}={TOKEN}"}).status == 200
        assert request(url, "/?token=wrong").status == 401
        assert request(url, f"//evil.example/?token={TOKEN}").headers["location"] == "/evil.example/"


def test_loopback_server_answers_only_loopback_names(site_url: str) -> None:
    assert request(site_url, "/api/experiments", headers={"Host": "127.0.0.1"}).status == 200
    assert request(site_url, "/api/experiments", headers={"Host": "localhost:5000"}).status == 200
    rebound = request(site_url, "/api/experiments", headers={"Host": "attacker.example:5000"})
    assert rebound.status == 400 and "security" not in rebound.text


def test_listening_beyond_loopback_needs_a_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.168.1.5", "::", "example.com"))
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", TOKEN)
    with pytest.raises(UserError, match="token"):
        check_bind("0.0.0.0", None)
    Store(f"sqlite:///{tmp_path / 'cairn.db'}").close()
    monkeypatch.delenv("CAIRN_UI_TOKEN", raising=False)
    result = CliRunner().invoke(main, ["ui", "--host", "0.0.0.0", "--store", str(tmp_path / "cairn.db")])
    assert result.exit_code == 2
    assert result.output.startswith("error: listening on 0.0.0.0") and result.output.count("\n") == 1
    missing = CliRunner().invoke(main, ["ui", "--store", str(tmp_path / "missing.db")])
    assert missing.exit_code == 2 and "no store" in missing.output
