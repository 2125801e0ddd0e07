"""An attacker's probes against a generated Django project served by a real gunicorn
with 4 workers on PostgreSQL, and schemathesis against its OpenAPI document.

What the probes show, over HTTP and across workers (the counters live in the
database, never in one worker's memory): guessing locks the account from every
address and API, one address's failures lock that address, the token endpoint is
throttled, known and unknown addresses take the same time (a ratio, never a
wall-clock limit), a session cookie from before log-out or a password change is
dead, and odd input never gets a 500.
"""

from __future__ import annotations

import json
import re
import secrets
import statistics
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

import pytest

from support import BIN, HttpClient, cost_ratio, gunicorn, render_copie, run

# Its module fixtures are built once: every test of it runs on one xdist worker.
pytestmark = pytest.mark.xdist_group("django_attacks")

PASSWORD = "a-long-server-test-password"
USERS = ("alice", "bob", "carol", "dave", "erin")


def served_env(project: Path, database_url: str, **extra: str) -> dict[str, str]:
    """Production settings over plain HTTP, mail written to files we can read."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "EMAIL_URL": f"filemail:///{project / 'mail'}",
        **extra,
    }


def prepare(project: Path, env: Mapping[str, str]) -> dict[str, str]:
    """Migrate, collect static files, and make verified users; their API tokens."""
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], project, env)
    run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], project, env
    )
    script = f"""
import json
from allauth.account.models import EmailAddress
from rest_framework.authtoken.models import Token
from accounts.models import User
tokens = {{}}
for name in {USERS!r}:
    user = User.objects.create_user(name, name + "@example.com", {PASSWORD!r})
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    tokens[name] = Token.objects.create(user=user).key
print(json.dumps(tokens))
"""
    proc = run([sys.executable, "manage.py", "shell", "-c", script], project, env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def project(copie_session: Any) -> Path:
    return render_copie(copie_session, "django", needs_api=True, needs_admin=True)


@pytest.fixture(scope="module")
def database(postgres_server: str) -> Iterator[str]:
    import psycopg

    name = f"attack_{secrets.token_hex(4)}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{postgres_server}/{name}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def server(project: Path, database: str) -> Iterator[tuple[str, dict[str, str]]]:
    """The project under `gunicorn -w 4`, default limits; (base URL, API tokens)."""
    env = served_env(project, database)
    tokens = prepare(project, env)
    with gunicorn("config.wsgi", cwd=project, env=env, workers=4) as (base, proc):
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text()
        assert len(children.split()) == 4, "gunicorn runs 4 workers"
        yield base, tokens
    log = "".join(p.read_text() for p in project.glob("gunicorn-*.log"))
    assert "Internal Server Error" not in log and "Traceback" not in log, log


def log_in(client: HttpClient, login: str, password: str) -> int:
    fields = {"login": login, "password": password}
    return client.post_form(
        "/accounts/login/", fields, csrf_from="/accounts/login/"
    ).status


@pytest.mark.slow
def test_guessing_locks_the_account_everywhere_across_workers(
    server: tuple[str, dict[str, str]],
) -> None:
    base, _ = server
    statuses = [
        log_in(HttpClient(base), "alice@example.com", f"guess-{n}") for n in range(10)
    ]
    print(f"\nten wrong passwords, each on a new connection: {statuses}")
    assert statuses[:9] == [200] * 9 and statuses[9] == 429
    # The right password now fails: from this address, from another one, and for
    # an API token. The admin has no log-in form to try it on: it sends people to
    # the account pages (and their second factor).
    assert log_in(HttpClient(base), "alice@example.com", PASSWORD) == 429
    other = HttpClient(base, source="127.0.0.2")
    assert log_in(other, "alice@example.com", PASSWORD) == 429
    admin = other.post_form(
        "/admin/login/",
        {"username": "alice", "password": PASSWORD},
        csrf_from="/accounts/login/",
    )
    assert admin.status == 302
    assert admin.headers["Location"].startswith("/accounts/login/")
    token = HttpClient(base, source="127.0.0.3").post_form(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}
    )
    assert token.status == 429 and json.loads(token.body)["detail"]
    assert int(token.headers["retry-after"]) == 15 * 60
    print("the right password after lock-out: 429 on the page and the API")


@pytest.mark.slow
def test_one_address_guessing_many_accounts_is_locked_out(
    server: tuple[str, dict[str, str]],
) -> None:
    base, _ = server
    guesser = HttpClient(base, source="127.0.0.4")
    for n in range(10):
        log_in(guesser, f"nobody{n}@example.com", "guess")
    assert log_in(guesser, "bob@example.com", PASSWORD) == 429
    assert (
        log_in(HttpClient(base, source="127.0.0.5"), "bob@example.com", PASSWORD) == 302
    )


@pytest.mark.slow
def test_the_token_endpoint_is_throttled_across_workers(
    server: tuple[str, dict[str, str]],
) -> None:
    base, _ = server
    client = HttpClient(base, source="127.0.0.6")
    statuses = [client.post_form("/api/auth/token/", {}).status for _ in range(11)]
    assert statuses == [400] * 10 + [429], statuses


@pytest.mark.slow
def test_known_and_unknown_addresses_take_the_same_time(
    server: tuple[str, dict[str, str]],
) -> None:
    """Lower quartiles of alternating attempts (support.cost_ratio); a ratio near 1
    (tolerance 2x), no clock limit. Eight wrong passwords stay under the lock-out,
    each from its own address."""
    base, _ = server
    known: list[float] = []
    unknown: list[float] = []
    for n in range(8):
        for login, times in (
            ("carol@example.com", known),
            (f"nobody-{n}@example.com", unknown),
        ):
            client = HttpClient(base, source=f"127.0.1.{n + 1}")
            page = client.get("/accounts/login/").text
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert token
            reply = client.post_form(
                "/accounts/login/",
                {
                    "login": login,
                    "password": "wrong-password",
                    "csrfmiddlewaretoken": token.group(1),
                },
            )
            assert reply.status == 200
            times.append(reply.seconds)
    ratio = cost_ratio(known, unknown)
    print(
        f"\nlog-in timing: known {statistics.median(known):.3f} s, unknown "
        f"{statistics.median(unknown):.3f} s, ratio {ratio:.2f}"
    )
    assert 0.5 <= ratio <= 2.0  # a loaded 2-core machine; the leaks found were 20x+

    # Sign-up: a taken address (a mail to its owner) against a new one (an account).
    taken: list[float] = []
    new: list[float] = []
    for n in range(6):
        for email, times in (
            ("carol@example.com", taken),
            (f"newcomer-{n}@example.com", new),
        ):
            client = HttpClient(base, source=f"127.0.3.{n + 1}")
            fields = {"email": email, "password1": PASSWORD, "password2": PASSWORD}
            path = "/accounts/signup/"
            page = client.get(path).text
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert token
            reply = client.post_form(
                path, {**fields, "csrfmiddlewaretoken": token.group(1)}
            )
            assert reply.status == 302
            times.append(reply.seconds)
    signup_ratio = cost_ratio(taken, new)
    print(
        f"sign-up timing: taken {statistics.median(taken):.3f} s, new "
        f"{statistics.median(new):.3f} s, ratio {signup_ratio:.2f}"
    )
    assert 0.5 <= signup_ratio <= 2.0


@pytest.mark.slow
def test_a_session_from_before_log_out_or_password_change_is_dead(
    server: tuple[str, dict[str, str]],
) -> None:
    base, _ = server
    user = HttpClient(base, source="127.0.0.7")
    assert log_in(user, "dave@example.com", PASSWORD) == 302
    stolen = dict(user.cookies)
    assert (
        HttpClient(base, cookies=dict(stolen)).get("/accounts/profile/").status == 200
    )
    logout = user.post_form("/accounts/logout/", {}, csrf_from="/accounts/profile/")
    assert logout.status == 302
    replay = HttpClient(base, cookies=dict(stolen)).get("/accounts/profile/")
    assert replay.status == 302, "the old session cookie no longer signs in"

    first = HttpClient(base, source="127.0.0.8")
    second = HttpClient(base, source="127.0.0.9")
    assert log_in(first, "erin@example.com", PASSWORD) == 302
    assert log_in(second, "erin@example.com", PASSWORD) == 302
    new = "another-long-server-password"
    changed = second.post_form(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
        csrf_from="/accounts/password/change/",
    )
    assert changed.status == 302
    assert second.get("/accounts/profile/").status == 200
    assert first.get("/accounts/profile/").status == 302
    print("log-out and password change: replayed session cookies refused")


ODD_VALUES: dict[str, bytes] = {
    "nul": b"a\x00b",
    "lone surrogate": "x\ud800y".encode("utf-8", "surrogatepass"),
    "invalid utf-8": b"\xff\xfe",
    "crlf": b"/items/\r\nLocation: https://evil.example/",
    "long": b"x" * 200_000,
}


@pytest.mark.slow
def test_odd_input_never_gets_a_500(server: tuple[str, dict[str, str]]) -> None:
    base, tokens = server
    statuses: list[int] = []
    for n, (name, value) in enumerate(ODD_VALUES.items()):
        client = HttpClient(base, source=f"127.0.2.{n + 1}")
        for path, fields in (
            ("/accounts/login/", ("login", "password", "next")),
            ("/accounts/signup/", ("email", "password1", "password2")),
            ("/accounts/password/reset/", ("email",)),
        ):
            reply = client.post_form(path, dict.fromkeys(fields, value), csrf_from=path)
            statuses.append(reply.status)
            assert reply.status < 500, (name, path, reply.status)
        reply = client.get("/accounts/login/?next=" + quote_from_bytes(value[:1000]))
        statuses.append(reply.status)
        assert reply.status < 500, (name, "next", reply.status)
        auth = {"Authorization": f"Token {tokens['carol']}"}
        for body in (
            b'{"title": "' + value.replace(b"\x00", b"\\u0000") + b'"}',
            b'{"title": "\\ud800"}',
            b"{not json",
        ):
            reply = client.request(
                "POST",
                "/api/items/",
                body,
                {**auth, "Content-Type": "application/json"},
            )
            statuses.append(reply.status)
            assert reply.status < 500, (name, body[:40], reply.status)
    for path in ("/api/items/%00/", "/api/items/99999999999999999999/", "/%ED%A0%80/"):
        reply = HttpClient(base).get(path, Authorization=f"Token {tokens['carol']}")
        statuses.append(reply.status)
        assert reply.status < 500, (path, reply.status)
    print(f"\nodd input: {len(statuses)} requests, none answered 5xx: {statuses}")


# The one documented exception: the token endpoint answers wrong credentials with 400
# (DRF's contract, kept), which schemathesis would otherwise read as "a valid request
# refused": the request is well-formed, the password is simply wrong.
SCHEMATHESIS_CONFIG = """
[[operations]]
include-operation-id = "auth_token_create"
checks.positive_data_acceptance.expected-statuses = ["200", "400", "429"]
"""


@pytest.mark.slow
def test_schemathesis_finds_the_api_true(project: Path, postgres_server: str) -> None:
    """All of schemathesis' checks against the live schema, authenticated.

    Its own server and database, with the throttles raised: schemathesis sends far
    more requests a minute than a client should, and the probes above need the
    default limits.
    """
    import psycopg

    name = f"schema_{secrets.token_hex(4)}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = served_env(
        project,
        f"{postgres_server}/{name}",
        API_ANON_RATE="100000/min",
        API_USER_RATE="100000/min",
        API_TOKEN_RATE="100000/min",
        AXES_FAILURE_LIMIT="100000",
    )
    tokens = prepare(project, env)
    config = project.parent / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG)
    with gunicorn("config.wsgi", cwd=project, env=env, workers=2) as (base, _):
        proc = subprocess.run(
            [
                BIN / "st",
                "--config-file",
                config,
                "run",
                f"{base}/api/schema/?format=json",
                "--url",
                base,
                "--checks",
                "all",
                "--header",
                f"Authorization: Token {tokens['alice']}",
                "--max-examples",
                "15",
                # Reproducible, as the Flask run. (Another seed once found a repeated
                # `?page=` that DRF took, the last one winning; the strict pagination,
                # config/api_pagination.py, now refuses it with a documented 400.)
                "--seed",
                "20261123",
                "--no-color",
            ],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=600,
        )
    summary = proc.stdout[proc.stdout.rfind("SUMMARY") :]
    print(f"\nschemathesis:\n{summary}")
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert re.search(r"(\d+) generated", summary)


# The policy the settings ship, written out: a test that builds the expected header
# from the same settings would pass with 'unsafe-inline' in them. django-csp joins
# the directives in no fixed order, so they are compared as a set, each exactly.
SHIPPED_CSP = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}


@pytest.mark.slow
def test_pages_are_served_with_the_exact_shipped_csp(
    server: tuple[str, dict[str, str]],
) -> None:
    base, _ = server
    client = HttpClient(base, source="127.0.0.9")
    for path in ("/", "/healthz", "/accounts/login/"):
        header = client.get(path).headers["Content-Security-Policy"]
        directives = header.split("; ")
        assert len(directives) == len(set(directives)), header
        assert set(directives) == SHIPPED_CSP, (path, header)
