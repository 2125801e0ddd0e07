"""Shared fixtures: the template location and a throwaway PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import ROOT, free_port, require, unavailable


def pytest_configure(config: pytest.Config) -> None:
    # pytest-copie renders the template named by --template; ours is the repo root.
    if getattr(config.option, "template", ".") == ".":
        config.option.template = str(ROOT)
    use_load_groups(config)


def use_load_groups(config: pytest.Config) -> None:
    """`-n N` distributes by `loadgroup`: a module marked `xdist_group` (its module
    fixtures are expensive: a fleet, served apps, the update lab) runs on one worker,
    so they are built once, not once per worker that gets one of its tests.

    Here rather than `--dist loadgroup` in addopts, which would make pytest refuse
    `-p no:xdist` (an unknown option). An explicit `--dist` is kept. Runs before
    xdist's own pytest_configure (trylast), which reads the mode.
    """
    given = any(arg.startswith("--dist") for arg in config.invocation_params.args)
    if getattr(config.option, "dist", "no") == "load" and not given:
        config.option.dist = "loadgroup"


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server on 127.0.0.1, as a base URL without a database name.

    Uses STACKPICK_TEST_POSTGRES_URL when .ci/run (or a developer) started one, else
    starts a throwaway cluster for this test session (one per xdist worker). When no
    server can be had it never fakes one: `unavailable` fails in CI, skips elsewhere.
    """
    given = os.environ.get("STACKPICK_TEST_POSTGRES_URL")
    if given:
        yield given.rstrip("/")
        return
    commands = require("postgresql")
    initdb, pg_ctl = commands["initdb"], commands["pg_ctl"]
    # Not under pytest's numbered temp folders: a concurrent pytest run prunes old ones,
    # which would pull the data directory from under a running server.
    data = Path(tempfile.mkdtemp(prefix="stackpick-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root.
        runuser = shutil.which("runuser")
        if not runuser:
            unavailable("postgresql", "running as root without runuser to drop to")
        as_user = [runuser, "-u", "postgres", "--"]
        shutil.chown(data, "postgres")
        data.chmod(0o700)
        for parent in data.parents:
            if parent == Path("/"):
                break
            parent.chmod(parent.stat().st_mode | 0o011)
    port = free_port()
    initdb_args = ["-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    server_options = f"-h 127.0.0.1 -p {port} -k {data}"
    log = str(data / "server.log")
    for command in (
        [*as_user, initdb, *initdb_args],
        [
            *as_user,
            pg_ctl,
            "-D",
            str(data),
            "-o",
            server_options,
            "-l",
            log,
            "-w",
            "start",
        ],
    ):
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            said = (proc.stderr or proc.stdout).strip().splitlines() or ["no output"]
            reason = f"{Path(command[len(as_user)]).name} failed: {said[0]}"
            if Path(log).is_file():  # why the server itself stopped
                reason += f" ({Path(log).read_text().strip().splitlines()[-1]})"
            shutil.rmtree(data, ignore_errors=True)
            unavailable("postgresql", reason)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A Redis server on 127.0.0.1 (Debian's redis-server), as a URL without a database.

    Started for this test session (one per xdist worker), no persistence, stopped by
    its own PID. Skips with the reason when redis-server is not installed.
    """
    binary = require("redis")["redis-server"]
    data = Path(tempfile.mkdtemp(prefix="stackpick-redis-"))
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(data),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server; its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    for attempt in range(50):
        try:
            with psycopg.connect(
                f"{postgres_server}/postgres", autocommit=True
            ) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            break
        except psycopg.OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.2)
    yield f"{postgres_server}/{name}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
