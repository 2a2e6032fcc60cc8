"""A throwaway PostgreSQL server for the tests: the distribution's binaries, our own data.

:class:`PostgresServer` runs ``initdb`` and ``postgres`` from the machine's PostgreSQL
installation (Debian: ``/usr/lib/postgresql/<version>/bin``; else ``pg_config --bindir`` or
``PATH``) in a temporary folder, listening only on a Unix socket in that folder (no TCP
port, so parallel test runs never collide, and no system server is touched). PostgreSQL
refuses to run as root: when we are root (CI, containers) the server runs as the
``postgres`` user (or ``nobody``), which owns the folder. ``.ci/run`` installs the
``postgresql`` package when it is missing.

The fixtures (registered by ``conftest.py``):

* ``postgres_server``: session scope, one server per test process, stopped at the end;
* ``postgres_url``: a fresh, empty database on it for each test, as a SQLAlchemy URL
  (``postgresql://tlcourse@/<name>?host=<socket folder>``: SQLAlchemy 2.1's default
  PostgreSQL driver, psycopg 3, the one ``requirements.txt`` pins).

Missing binaries make the fixtures fail with a clear message: they are never skipped.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

USER = "tlcourse"  # the database superuser initdb creates (trust authentication, socket only)
START_TIMEOUT = 120


class PostgresServerError(RuntimeError):
    """The test server could not be found or started."""


def find_bindir() -> Path:
    """The folder holding ``initdb``, ``postgres`` and ``pg_ctl``; newest version first."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
                        reverse=True)
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
        candidates.append(str(Path(out.stdout.strip()) / "initdb"))
    except (OSError, subprocess.CalledProcessError):
        pass
    if shutil.which("initdb"):
        candidates.append(shutil.which("initdb"))
    for initdb in candidates:
        folder = Path(initdb).parent
        if all(os.access(folder / tool, os.X_OK) for tool in ("initdb", "postgres")):
            return folder
    raise PostgresServerError(
        "PostgreSQL server binaries (initdb, postgres) not found in /usr/lib/postgresql/*/bin, "
        "`pg_config --bindir` or PATH. Install them (Debian/Ubuntu: `apt-get install postgresql`; "
        ".ci/run does it on CI machines); the PostgreSQL gradebook tests need a real server.")


def _server_user() -> tuple[int, int] | None:
    """(uid, gid) to run the server as when we are root; None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise PostgresServerError("running as root and neither a 'postgres' nor a 'nobody' user exists: "
                              "PostgreSQL refuses to run as root")


class PostgresServer:
    """One PostgreSQL server in a temporary folder; ``start()``, ``url()``, ``stop()``."""

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.user = _server_user()
        self.folder = Path(tempfile.mkdtemp(prefix="tlcourse-pg-"))
        self.data = self.folder / "data"
        self.socket_dir = self.folder  # short path: Unix socket names are limited to ~100 bytes
        self.log = self.folder / "server.log"
        self.process: subprocess.Popen | None = None

    def _run_as_owner(self) -> dict:
        if self.user is None:
            return {}
        uid, gid = self.user
        return {"user": uid, "group": gid, "extra_groups": []}

    def start(self) -> "PostgresServer":
        if self.user is not None:
            os.chown(self.folder, *self.user)
        os.chmod(self.folder, 0o700)
        init = subprocess.run(
            [str(self.bindir / "initdb"), "-D", str(self.data), "-U", USER, "--auth=trust",
             "--encoding=UTF8", "--locale=C", "--no-sync"],
            capture_output=True, text=True, cwd=self.folder, **self._run_as_owner())
        if init.returncode:
            raise PostgresServerError(f"initdb failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")
        log = open(self.log, "ab")
        if self.user is not None:
            os.chown(self.log, *self.user)
        # Only the Unix socket in our folder (listen_addresses=''): no port to collide on.
        # Durability settings off: a test server is thrown away.
        self.process = subprocess.Popen(
            [str(self.bindir / "postgres"), "-D", str(self.data), "-k", str(self.socket_dir),
             "-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=100"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.folder,
            start_new_session=True, **self._run_as_owner())
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise PostgresServerError(f"postgres exited with code {self.process.returncode}:\n"
                                          f"{self.log.read_text(errors='replace')[-3000:]}")
            try:
                psycopg.connect(dbname="postgres", user=USER, host=str(self.socket_dir)).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise PostgresServerError(f"postgres not ready after {START_TIMEOUT} s:\n"
                                              f"{self.log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of ``database`` (SQLAlchemy 2.1 uses psycopg 3 for ``postgresql://``)."""
        return f"postgresql://{USER}@/{database}?host={self.socket_dir}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = name or f"gb_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(dbname="postgres", user=USER, host=str(self.socket_dir),
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Fast shutdown (SIGINT), then remove the folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    """A running PostgreSQL server of our own for this test session (never skipped)."""
    try:
        server = PostgresServer()
    except PostgresServerError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        server.start()
    except PostgresServerError as error:
        server.stop()
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh empty database on the test server, as a SQLAlchemy URL."""
    return postgres_server.create_database()
