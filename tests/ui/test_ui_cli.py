"""``cairn ui`` as a user starts it: a process serving the store until stopped."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from uitools import Populated, free_port, request


@contextmanager
def cairn_ui(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "cairn.cli", "ui", "--port", str(port), *args],
                               env={**os.environ, **(env or {})}, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read()  # type: ignore[union-attr]
            try:
                request(url, "/favicon-probe", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "cairn ui did not start within 60 s"
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def test_cairn_ui_serves_the_store_read_only(populated: Populated) -> None:
    with cairn_ui("--store", populated.store.url) as url:
        page = request(url, f"/studies/{populated.cash_study}")
        assert page.status == 200 and "iris-random-seed0" in page.text
        assert request(url, "/api/studies").status == 200
        assert request(url, f"/api/runs/{populated.xss_run}", "DELETE").status == 403
    assert populated.store.run(populated.xss_run)["id"] == populated.xss_run


def test_cairn_ui_takes_its_token_from_the_environment(populated: Populated) -> None:
    with cairn_ui("--store", populated.store.url, env={"CAIRN_UI_TOKEN": "from-the-environment"}) as url:
        assert request(url, "/api/studies").status == 401
        assert request(url, "/api/studies", headers={"Authorization": "Bearer from-the-environment"}).status == 200
