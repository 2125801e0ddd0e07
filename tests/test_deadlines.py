"""Every wait on the network or on git ends: deadlines, special files, no orphans.

A slow HTTPS preset server (one byte at a time, on 127.0.0.1 with a self-signed
certificate), a TCP server that accepts and never answers (as an HTTPS preset and as
a `git://` template), and a FIFO named `.copier-answers.yml` each once held `check`,
`status` or `update` forever. Now each ends within its deadline, set small here
through STACKPICK_NETWORK_TIMEOUT and STACKPICK_GIT_TIMEOUT, with one line on stderr
and exit 2; and git started by stackpick dies with it.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from support import (
    answers_only_project,
    assert_one_line,
    clean_env,
    require,
    sh,
)

DEADLINE = 2  # seconds, for both variables
ENV = {
    "STACKPICK_NETWORK_TIMEOUT": str(DEADLINE),
    "STACKPICK_GIT_TIMEOUT": str(DEADLINE),
}
PRESET = yaml.safe_dump({"name": "Platform", "pin": {"framework": "flask"}})


def stackpick(
    *args: str | Path, cwd: Path, **env: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    """The command line in its own process; (result, seconds it took)."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "stackpick", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=clean_env(**{**ENV, **env}),
        timeout=60,  # a hang fails the test instead of holding CI
        check=False,
    )
    return proc, time.monotonic() - started


# -- servers on 127.0.0.1 ------------------------------------------------------------


class Stalled:
    """A TCP server that accepts connections, reads what comes and never answers."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.arrived = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.accepted.append(conn)
            self.arrived.set()

    def closed_by_peer(self, within: float) -> bool:
        """Whether the first client closed its end (its process is gone) in time."""
        conn = self.accepted[0]
        conn.settimeout(within)
        try:
            while conn.recv(4096):
                pass
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        self.server.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def stalled() -> Iterator[Stalled]:
    server = Stalled()
    yield server
    server.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert, key)."""
    openssl = require("openssl")["openssl"]
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    sh(
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        "-keyout", key, "-out", cert, cwd=folder,
    )  # fmt: skip
    return cert, key


Reply = Callable[[socket.socket], None]


@pytest.fixture
def https_server(certificate: tuple[Path, Path]) -> Iterator[Callable[[Reply], str]]:
    """Start an HTTPS server whose every connection gets `reply`; its base URL."""
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    servers: list[socket.socket] = []
    stop = threading.Event()

    def start(reply: Reply) -> str:
        server = socket.create_server(("127.0.0.1", 0))
        servers.append(server)

        def serve() -> None:
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                    tls = context.wrap_socket(conn, server_side=True)
                    tls.recv(65536)  # the request
                except OSError:
                    continue
                threading.Thread(target=_reply, args=(tls, reply), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()
        return f"https://127.0.0.1:{server.getsockname()[1]}"

    yield start
    stop.set()
    for server in servers:
        server.close()


def _reply(conn: socket.socket, reply: Reply) -> None:
    try:
        reply(conn)
    except OSError:
        pass
    finally:
        conn.close()


def body_drips(conn: socket.socket) -> None:
    """Headers at once, then the body one byte every half second, forever."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    while True:
        conn.sendall(b"#")
        time.sleep(0.5)


def closing_body_drips(conn: socket.socket) -> None:
    """As `body_drips`, with "Connection: close" (the client hands the socket over)."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
    while True:
        conn.sendall(b"#")
        time.sleep(0.5)


def headers_drip(conn: socket.socket) -> None:
    """The headers one byte every half second, forever (never a body)."""
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 60000:
        conn.sendall(bytes([byte]))
        time.sleep(0.5)


def answer(status: str, body: bytes, **headers: str) -> Reply:
    """One complete HTTP answer."""
    head = f"HTTP/1.1 {status}\r\nConnection: close\r\n"
    head += "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())

    def reply(conn: socket.socket) -> None:
        conn.sendall(head.encode() + b"\r\n" + body)

    return reply


def trusted(certificate: tuple[Path, Path]) -> dict[str, str]:
    return {"SSL_CERT_FILE": str(certificate[0])}


# -- HTTPS presets ---------------------------------------------------------------------


@pytest.mark.slow  # waits out the deadline
@pytest.mark.parametrize(
    "reply", [body_drips, closing_body_drips, headers_drip], ids=lambda r: r.__name__
)
@pytest.mark.parametrize("command", ["recommend", "check"])
def test_a_dripping_preset_server_is_cut_off(
    https_server: Callable[[Reply], str],
    certificate: tuple[Path, Path],
    tmp_path: Path,
    reply: Reply,
    command: str,
) -> None:
    url = f"{https_server(reply)}/platform.yml"
    if command == "check":
        args: list[str | Path] = [
            "check",
            answers_only_project(tmp_path / "p", preset_source=url),
        ]
    else:
        args = ["recommend", "--defaults", "--preset", url]
    proc, took = stackpick(*args, cwd=tmp_path, **trusted(certificate))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"within {DEADLINE} s" in proc.stderr, proc.stderr
    assert "STACKPICK_NETWORK_TIMEOUT" in proc.stderr
    if command == "recommend":
        assert_one_line(proc.stderr, url)
    assert took < DEADLINE + 8


@pytest.mark.slow  # waits out the deadline
def test_a_preset_server_that_never_answers_is_cut_off(
    stalled: Stalled, tmp_path: Path
) -> None:
    """It accepts the connection and never starts TLS: the idle deadline."""
    url = f"https://127.0.0.1:{stalled.port}/platform.yml"
    proc, took = stackpick("recommend", "--defaults", "--preset", url, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_one_line(proc.stderr, url, "STACKPICK_NETWORK_TIMEOUT")
    assert took < DEADLINE + 8


@pytest.mark.parametrize(
    ("reply", "needle"),
    [
        (
            answer("302 Found", b"", Location="http://127.0.0.1:9/platform.yml"),
            "redirects to http://127.0.0.1:9/platform.yml, which is not https://",
        ),
        (answer("200 OK", b"name: x\n" + b"#" * 2_000_000), "larger than 1024 KiB"),
        (
            answer("200 OK", b"#" * 2_000_000, Content_Length="2000000"),
            "larger than 1024 KiB",
        ),
        (answer("200 OK", "name: caf\u00e9\n".encode("latin-1")), "utf-8"),
        (answer("200 OK", b"name: a\x00b\n"), "preset file"),
    ],
    ids=["https-to-http", "huge", "huge-declared", "latin-1", "nul-byte"],
)
def test_a_remote_preset_is_refused_as_a_local_one_is(
    https_server: Callable[[Reply], str],
    certificate: tuple[Path, Path],
    tmp_path: Path,
    reply: Reply,
    needle: str,
) -> None:
    url = f"{https_server(reply)}/platform.yml"
    proc, _ = stackpick(
        "recommend", "--defaults", "--preset", url, cwd=tmp_path, **trusted(certificate)
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_one_line(proc.stderr, url, needle)


def test_a_redirect_to_https_is_followed(
    https_server: Callable[[Reply], str],
    certificate: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    target = https_server(answer("200 OK", PRESET.encode()))
    url = https_server(answer("301 Moved", b"", Location=f"{target}/platform.yml"))
    proc, _ = stackpick(
        "recommend", "--defaults", "--json", "--preset", f"{url}/old.yml",
        cwd=tmp_path, **trusted(certificate),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert '"framework": "flask"' in proc.stdout


# -- git: a template server that never answers ---------------------------------------


@pytest.mark.slow  # waits out the deadline
@pytest.mark.parametrize("command", ["check", "status", "update"])
def test_a_template_server_that_never_answers_is_cut_off(
    stalled: Stalled, tmp_path: Path, command: str
) -> None:
    source = f"git://127.0.0.1:{stalled.port}/template.git"
    project = answers_only_project(tmp_path / "p", _src_path=source)
    json = ["--json"] if command == "status" else []
    proc, took = stackpick(command, project, *json, cwd=tmp_path)
    assert stalled.arrived.is_set()
    # `status` lists the problem in the project's row, as for any unreachable template.
    assert proc.returncode == (0 if command == "status" else 2), proc.stderr
    said = proc.stdout if command == "status" else proc.stderr
    assert f"no answer within {DEADLINE} s" in said, said
    assert "STACKPICK_GIT_TIMEOUT" in said
    assert took < DEADLINE + 8
    assert stalled.closed_by_peer(within=2), "git was left running"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_git_dies_with_stackpick(stalled: Stalled, tmp_path: Path, signum: int) -> None:
    """A signal to stackpick alone (not its process group) ends its git too."""
    project = answers_only_project(
        tmp_path / "p", _src_path=f"git://127.0.0.1:{stalled.port}/template.git"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "stackpick", "check", str(project)],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=clean_env(STACKPICK_GIT_TIMEOUT="60"),
    )
    try:
        assert stalled.arrived.wait(30), "git never connected"
        proc.send_signal(signum)
        proc.wait(timeout=10)
        assert stalled.closed_by_peer(within=3), "git outlived stackpick"
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow  # waits out the deadline
def test_git_ends_by_its_deadline_even_after_sigkill(
    stalled: Stalled, tmp_path: Path
) -> None:
    """SIGKILL leaves no chance to clean up: `timeout` still ends git in time."""
    project = answers_only_project(
        tmp_path / "p", _src_path=f"git://127.0.0.1:{stalled.port}/template.git"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "stackpick", "check", str(project)],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=clean_env(STACKPICK_GIT_TIMEOUT="3"),
    )
    assert stalled.arrived.wait(30), "git never connected"
    proc.kill()
    proc.wait()
    assert stalled.closed_by_peer(within=3 + 2 + 3), "git outlived its deadline"


# -- settings and special files ------------------------------------------------------


@pytest.mark.parametrize("variable", sorted(ENV))
@pytest.mark.parametrize("value", ["soon", "-1"])
def test_a_bad_deadline_is_refused(tmp_path: Path, variable: str, value: str) -> None:
    project = answers_only_project(tmp_path / "p")
    proc, _ = stackpick("check", project, cwd=tmp_path, **{variable: value})
    assert proc.returncode == 2
    assert_one_line(proc.stderr, variable, "seconds")


def test_the_deadlines_are_named_in_help(tmp_path: Path) -> None:
    for command in ([], ["update"]):
        proc, _ = stackpick(*command, "--help", cwd=tmp_path, COLUMNS="200")
        assert "STACKPICK_GIT_TIMEOUT" in proc.stdout, command
        assert "STACKPICK_NETWORK_TIMEOUT" in proc.stdout, command


@pytest.mark.parametrize("command", ["check", "status", "update"])
def test_a_fifo_answers_file_is_refused_without_blocking(
    tmp_path: Path, command: str
) -> None:
    project = answers_only_project(tmp_path / "p")
    answers = project / ".copier-answers.yml"
    answers.unlink()
    os.mkfifo(answers)
    proc, took = stackpick(command, project, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "is a FIFO, not a regular file" in proc.stderr, proc.stderr
    assert took < 20


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e9", "", "2.5"])
def test_deadline_values(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from stackpick.errors import StackpickError
    from stackpick.gitsafe import seconds

    monkeypatch.setenv("STACKPICK_GIT_TIMEOUT", value)
    if value in {"", "2.5"}:
        assert seconds("STACKPICK_GIT_TIMEOUT", 120.0) == (2.5 if value else 120.0)
    else:
        with pytest.raises(StackpickError, match="STACKPICK_GIT_TIMEOUT"):
            seconds("STACKPICK_GIT_TIMEOUT", 120.0)
