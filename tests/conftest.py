"""Shared fixtures: a real PostgreSQL server for the store tests.

Store tests run against SQLite and PostgreSQL alike. With ``$CAIRN_TEST_POSTGRES_URL``
set (a server ``.ci/run`` started), they use that server; otherwise the session starts
its own from the installed binaries (``initdb`` + ``pg_ctl`` on a free loopback port,
as the ``postgres`` user when running as root, since initdb refuses root). PostgreSQL
tests are never skipped: if no server can be had, they fail and say why.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

_SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
"""


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        pytest.fail(f"PostgreSQL's {name} is not installed (apt-get install postgresql, as .ci/run does)")
    return found


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("running as root needs a 'postgres' user to run the PostgreSQL server (the postgresql package makes one)")
    return ["runuser", "-u", "postgres", "--", *cmd]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A SQLAlchemy URL of a PostgreSQL server (without database) for the session."""
    given = os.environ.get("CAIRN_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    data = Path(tempfile.mkdtemp(prefix="cairn-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    port = _free_port()
    run = lambda cmd: subprocess.run(_as_server_user(cmd), capture_output=True, text=True)  # noqa: E731
    init = run([_pg_bin("initdb"), "-D", str(data / "db"), "-U", "cairn", "-A", "trust", "-E", "UTF8", "--no-sync"])
    if init.returncode:
        pytest.fail(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
    with open(data / "db" / "postgresql.conf", "a") as conf:
        conf.write(_SETTINGS.format(port=port))
    start = run([_pg_bin("pg_ctl"), "-D", str(data / "db"), "-l", str(data / "server.log"), "-w", "-t", "60", "start"])
    if start.returncode:
        log = (data / "server.log").read_text() if (data / "server.log").exists() else ""
        pytest.fail(f"the PostgreSQL server did not start: {start.stderr.strip()} {log[-2000:]}")
    try:
        yield f"postgresql+psycopg://cairn@127.0.0.1:{port}/postgres"
    finally:
        run([_pg_bin("pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop"])
        shutil.rmtree(data, ignore_errors=True)


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """A new, empty database on ``server``; dropped afterwards."""
    import psycopg
    import sqlalchemy as sa

    url = sa.engine.make_url(server)
    name = f"cairn_test_{uuid.uuid4().hex[:12]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_databases(postgres_server: str) -> Callable[[], Any]:
    """For wider-scoped fixtures: ``with postgres_databases() as url:`` gives a fresh database."""
    return lambda: fresh_database(postgres_server)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's server."""
    with fresh_database(postgres_server) as url:
        yield url
