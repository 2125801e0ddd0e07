"""An attacker's probes against a generated Flask project served by `gunicorn -w 4`.

The fullest project (accounts, API, admin, roles, tenants, notes on SQLite) runs in
its production configuration, over plain HTTP as if behind its TLS proxy, with its
mail written to a folder. Each probe speaks over real HTTP, on a new connection per
request so any of the four workers may answer, and from loopback addresses of its
own (127.0.0.x) so the per-client limits of one probe do not spill into the next:

- guessing: 10 wrong passwords spread over the workers lock the account, and then
  the right password is refused too;
- enumeration: the answers for a known and an unknown address are the same, and the
  ratio of their median times stays near 1 (a ratio, never a wall-clock threshold);
- replay: session and remember-me cookies, and API tokens, captured before log-out
  or a password change no longer authenticate;
- odd input: NUL, lone surrogates, CR/LF, over-long values never give a 500;
- roles: a member is refused the staff page (403) and the staff API (403 JSON) until
  `flask set-role` makes them staff;
- Host: a forged `Host` is a 400, and a forged `X-Forwarded-Host` changes no link:
  reset links start with SITE_URL;
- tenants: another organisation's notes are a 404 (as a missing one) through every
  page and the API, for reading, changing and deleting.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from support import (
    BIN,
    HttpClient,
    Reply,
    cost_ratio,
    gunicorn,
    mailed_link,
    migrated_flask_project,
    run,
)

# Its module fixtures are built once: every test of it runs on one xdist worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("flask_probes")]

PASSWORD = "a long and unusual passphrase"
# Each pair's known/unknown ratio, median over the pairs: drift in the machine's load
# hits both sides of a pair alike. The leak this guards against was 15-30x.
TIMING_RATIO = (0.5, 2.0)
SAMPLES = 7
SITE_URL = "https://probed.example"


@pytest.fixture(scope="module")
def served(copie_session: Any) -> Iterator[dict[str, Any]]:
    """The project, migrated and served by four workers; its URL and outbox."""
    project, database = migrated_flask_project(copie_session, "Probed")
    outbox = project / "outbox"
    env = {
        "FLASK_CONFIG": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database,
        "MAIL_BACKEND": "file",
        "MAIL_FILE_PATH": str(outbox),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": SITE_URL,
    }
    with gunicorn("wsgi:app", cwd=project, env=env, workers=4) as (base, _):
        yield {"base": base, "outbox": outbox, "project": project, "env": env}
    logs = "".join(p.read_text() for p in project.glob("gunicorn-*.log"))
    assert "Traceback" not in logs, logs


def sign_up(served: dict[str, Any], email: str, source: str) -> HttpClient:
    """A verified account made through the pages; a client logged out of it."""
    client = HttpClient(served["base"], source)
    form = {"email": email, "password": PASSWORD, "confirm": PASSWORD}
    assert client.submit("/auth/register", form).status == 302
    link = mailed_link(served["outbox"], email, "/verify/")
    assert client.get(link).headers["Location"] == "/auth/login"
    return client


def log_in(
    client: HttpClient, email: str, password: str = PASSWORD, **extra: str
) -> Reply:
    return client.submit("/auth/login", {"email": email, "password": password, **extra})


def api_token(client: HttpClient, email: str) -> str:
    """A bearer token for the account, from POST /api/tokens (HTTP Basic)."""
    basic = base64.b64encode(f"{email}:{PASSWORD}".encode()).decode()
    reply = client.post("/api/tokens", headers={"Authorization": f"Basic {basic}"})
    assert reply.status == 201, reply.text
    return json.loads(reply.text)["token"]


def test_guessing_is_stopped_across_workers(served: dict[str, Any]) -> None:
    email = "guessed@example.com"
    sign_up(served, email, "127.0.0.2")
    # Each guess from a client address of its own: the per-account lock alone acts.
    replies = [
        log_in(HttpClient(served["base"], f"127.0.1.{n}"), email, f"guess number {n}")
        for n in range(10)
    ]
    assert [r.status for r in replies] == [200] * 10
    assert all("Wrong email address or password." in r.text for r in replies)
    right = log_in(HttpClient(served["base"], "127.0.1.99"), email)
    print(f"\nguessing: 10 wrong passwords, then the right one -> {right.status}")
    assert right.status == 429 and "Too many failed logins" in right.text
    # The API's token endpoint honours the same lock.
    basic = base64.b64encode(f"{email}:{PASSWORD}".encode()).decode()
    token = HttpClient(served["base"], "127.0.1.98").post(
        "/api/tokens", headers={"Authorization": f"Basic {basic}"}
    )
    assert token.status == 429


def interleaved_ratio(
    client: HttpClient, known: Callable[[], Reply], unknown: Callable[[], Reply]
) -> tuple[float, list[Reply], list[Reply]]:
    """Interleaved samples of both; their cost ratio (support.cost_ratio).

    The ratio is known/unknown: near 1 when the two take the same time.
    """
    knowns, unknowns = [], []
    for _ in range(SAMPLES):
        knowns.append(known())
        unknowns.append(unknown())
    ratio = cost_ratio([k.seconds for k in knowns], [u.seconds for u in unknowns])
    return ratio, knowns, unknowns


def test_no_account_enumeration(served: dict[str, Any]) -> None:
    email = "known@example.com"
    sign_up(served, email, "127.0.0.3")
    client = HttpClient(served["base"], "127.0.0.4")
    token = client.csrf_token("/auth/login")

    def login_as(address: str) -> Callable[[], Reply]:
        form = {"email": address, "password": "a wrong password", "csrf_token": token}
        return lambda: client.post("/auth/login", form=form)

    ratio, knowns, unknowns = interleaved_ratio(
        client, login_as(email), login_as("unknown@example.com")
    )
    print(f"\nenumeration: login known/unknown median time ratio {ratio:.2f}")
    # The same page, but for the address typed and the form's fresh CSRF token.
    pages = {
        re.sub(r'value="[^"]*"', 'value=""', reply.text) for reply in knowns + unknowns
    }
    assert len(pages) == 1
    assert TIMING_RATIO[0] <= ratio <= TIMING_RATIO[1]

    signup = HttpClient(served["base"], "127.0.0.5")
    token = signup.csrf_token("/auth/register")
    counter = iter(range(1000))

    def register_as(address: Callable[[], str]) -> Callable[[], Reply]:
        def post() -> Reply:
            form = {
                "email": address(),
                "password": PASSWORD,
                "confirm": PASSWORD,
                "csrf_token": token,
            }
            return signup.post("/auth/register", form=form)

        return post

    ratio, knowns, unknowns = interleaved_ratio(
        signup,
        register_as(lambda: email),
        register_as(lambda: f"new-{next(counter)}@example.com"),
    )
    print(f"enumeration: register known/unknown median time ratio {ratio:.2f}")
    assert {(r.status, r.headers["Location"]) for r in knowns + unknowns} == {
        (302, "/auth/login")
    }
    assert TIMING_RATIO[0] <= ratio <= TIMING_RATIO[1]


def test_cookies_and_tokens_die_with_the_login(served: dict[str, Any]) -> None:
    email = "replayed@example.com"
    client = sign_up(served, email, "127.0.0.6")
    assert log_in(client, email, remember="y").status == 302
    captured = dict(client.cookies)
    assert {"session", "remember_token"} <= set(captured)
    token = api_token(client, email)
    replays = {
        "session cookie": {"Cookie": f"session={captured['session']}"},
        "remember-me cookie": {
            "Cookie": f"remember_token={captured['remember_token']}"
        },
    }
    # Before log-out, each of them alone is a login (so the probe can fail).
    for headers in replays.values():
        reply = HttpClient(served["base"], "127.0.0.7").get(
            "/auth/account", headers=headers
        )
        assert reply.status == 200
    assert client.submit("/auth/logout", {}, page="/auth/account").status == 302

    for what, headers in replays.items():
        reply = HttpClient(served["base"], "127.0.0.7").get(
            "/auth/account", headers=headers
        )
        print(f"\nreplay after log-out: {what} -> {reply.status}")
        assert reply.status == 302 and "/auth/login" in reply.headers["Location"]
    reply = HttpClient(served["base"], "127.0.0.7").get(
        "/api/me", headers={"Authorization": f"Bearer {token}"}
    )
    print(f"replay after log-out: API token -> {reply.status}")
    assert reply.status == 401

    # A password changed in one browser ends the login in another.
    assert log_in(client, email, remember="y").status == 302
    other = HttpClient(served["base"], "127.0.0.8")
    assert log_in(other, email).status == 302
    for name in ("session", "remember_token"):
        cookie = {"Cookie": f"{name}={client.cookies[name]}"}
        reply = HttpClient(served["base"], "127.0.0.9").get(
            "/auth/account", headers=cookie
        )
        assert reply.status == 200
    new = "another long passphrase"
    changed = other.submit(
        "/auth/password", {"current": PASSWORD, "password": new, "confirm": new}
    )
    assert changed.status == 302
    for name in ("session", "remember_token"):
        cookie = {"Cookie": f"{name}={client.cookies[name]}"}
        reply = HttpClient(served["base"], "127.0.0.9").get(
            "/auth/account", headers=cookie
        )
        print(f"replay after password change: {name} -> {reply.status}")
        assert reply.status == 302


ODD = [
    ("POST", "/auth/login", {"email": "a\x00@example.com", "password": "x"}),
    ("POST", "/auth/login", {"email": "x" * 100_000, "password": "y" * 100_000}),
    ("POST", "/auth/register", {"email": "é\x00@example.com", "password": "\x00"}),
    ("POST", "/auth/forgot-password", {"email": "\x00"}),
    ("GET", "/auth/login?next=/%0d%0aSet-Cookie:%20x=1", None),
    ("GET", "/auth/login?next=%ED%A0%80", None),
    ("GET", "/auth/verify/" + "A" * 5000, None),
    ("GET", "/auth/verify/%00", None),
    ("GET", "/auth/reset-password/%ED%A0%80", None),
    ("GET", "/notes/?q=%00", None),
]


def test_odd_input_never_gives_a_500(served: dict[str, Any]) -> None:
    client = HttpClient(served["base"], "127.0.0.10")
    statuses = []
    for method, path, form in ODD:
        if form is not None:
            token = client.csrf_token("/auth/login")
            form = {**form, "csrf_token": token}
        reply = client.request(method, path, form=form)
        statuses.append(reply.status)
        assert reply.status < 500, (method, path, reply.status, reply.text[:300])
    # A lone surrogate and NUL in the API's JSON.
    email = "jsonprobe@example.com"
    sign_up(served, email, "127.0.0.11")
    basic = base64.b64encode(f"{email}:{PASSWORD}".encode()).decode()
    token = json.loads(
        client.post("/api/tokens", headers={"Authorization": f"Basic {basic}"}).text
    )["token"]
    for body in (b'{"title": "\\ud800"}', b'{"title": "a\\u0000b"}', b"\xff\xfe{"):
        reply = client.post(
            "/api/notes",
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            },
        )
        statuses.append(reply.status)
        assert reply.status == 400, (body, reply.status, reply.text[:300])
    deep = b"[" * 100_000 + b"]" * 100_000
    for method in ("POST", "PATCH"):
        path = "/api/notes" if method == "POST" else "/api/notes/1"
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        }
        reply = client.request(method, path, deep, headers)
        statuses.append(reply.status)
        assert reply.status == 400, (method, reply.status, reply.text[:300])
    nul = base64.b64encode(b"a\x00@example.com:x").decode()
    reply = client.post("/api/tokens", headers={"Authorization": f"Basic {nul}"})
    statuses.append(reply.status)
    assert reply.status == 400, reply.text[:300]
    print(f"\nodd input: {len(statuses)} requests, statuses {sorted(set(statuses))}")


def test_roles_are_enforced_over_http(served: dict[str, Any]) -> None:
    email = "would-be-staff@example.com"
    client = sign_up(served, email, "127.0.0.20")
    assert log_in(client, email).status == 302
    bearer = {"Authorization": f"Bearer {api_token(client, email)}"}
    visitor = HttpClient(served["base"], "127.0.0.21")
    assert visitor.get("/staff/").status == 302
    assert visitor.get("/api/users").status == 401

    page, api = client.get("/staff/"), client.get("/api/users", headers=bearer)
    print(f"\nmember: /staff/ -> {page.status}, /api/users -> {api.status}")
    assert page.status == 403 and "You do not have access" in page.text
    assert api.status == 403 and json.loads(api.text)["error"] == "Forbidden"

    flask = [BIN / "flask", "--app", "probed", "set-role", email, "staff"]
    run(flask, cwd=served["project"], env=served["env"])
    page, api = client.get("/staff/"), client.get("/api/users", headers=bearer)
    print(f"staff: /staff/ -> {page.status}, /api/users -> {api.status}")
    assert page.status == 200 and email in page.text
    assert api.status == 200
    assert email in [user["email"] for user in json.loads(api.text)["users"]]


def test_another_organisations_notes_are_out_of_reach(served: dict[str, Any]) -> None:
    owner_email, intruder_email = "tenant-a@example.com", "tenant-b@example.com"
    owner = sign_up(served, owner_email, "127.0.0.22")
    intruder = sign_up(served, intruder_email, "127.0.0.23")
    assert log_in(owner, owner_email).status == 302
    assert log_in(intruder, intruder_email).status == 302
    theirs = {"Authorization": f"Bearer {api_token(owner, owner_email)}"}
    mine = {"Authorization": f"Bearer {api_token(intruder, intruder_email)}"}

    form = {"title": "Tenant A's plan", "body": "for A's eyes only"}
    assert owner.submit("/notes/", form).status == 302
    created = owner.post(
        "/api/notes",
        body=json.dumps({"title": "Tenant A's API note"}).encode(),
        headers={**theirs, "Content-Type": "application/json"},
    )
    assert created.status == 201
    ids = sorted(set(re.findall(r"/notes/(\d+)/edit", owner.get("/notes/").text)))
    assert len(ids) == 2

    token = intruder.csrf_token("/notes/")
    seen: dict[str, int] = {}
    for note_id in [*ids, "999999"]:  # the last one does not exist at all
        for action in ("edit", "delete"):
            path = f"/notes/{note_id}/{action}"
            seen[f"GET {path}"] = intruder.get(path).status
            taken = {"title": "Taken", "csrf_token": token}
            seen[f"POST {path}"] = intruder.post(path, form=taken).status
        path = f"/api/notes/{note_id}"
        seen[f"GET {path}"] = intruder.get(path, headers=mine).status
        body = json.dumps({"title": "Taken"}).encode()
        json_headers = {**mine, "Content-Type": "application/json"}
        patched = intruder.request("PATCH", path, body, json_headers)
        seen[f"PATCH {path}"] = patched.status
        seen[f"DELETE {path}"] = intruder.request("DELETE", path, None, mine).status
    print(f"\ncross-tenant probes: {seen}")
    assert set(seen.values()) == {404}, "the same 404 as for a note that does not exist"

    assert "Tenant A" not in intruder.get("/notes/").text
    assert "Tenant A" not in intruder.get("/api/notes", headers=mine).text
    listed = json.loads(owner.get("/api/notes", headers=theirs).text)["notes"]
    assert sorted(note["title"] for note in listed) == [
        "Tenant A's API note",
        "Tenant A's plan",
    ]


# -- values the project ships, not the generated tests' overrides --------------------
SHIPPED = """
from probed.config import Config, ProductionConfig
for config in (Config, ProductionConfig):
    print(config.LOGIN_RATE_LIMIT, config.LOGIN_MAX_FAILURES,
          config.LOGIN_CLIENT_MAX_FAILURES, config.LOGIN_LOCK_SECONDS)
"""


def test_the_shipped_login_limits_are_the_readmes(served: dict[str, Any]) -> None:
    """The generated tests lower or raise these to test them quickly; production runs
    with the shipped values the README states: 20 login requests a minute per client,
    an account locked after 10 wrong passwords, a client after 100."""
    out = run(
        [BIN / "python", "-c", SHIPPED], cwd=served["project"], env=served["env"]
    ).stdout
    assert out.splitlines() == ["20 per minute 10 100 900"] * 2


def test_an_account_made_before_account_security_stays_verified(
    served: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The upgrade of a database made before the account-security migration: an
    existing account keeps working (verified, with a session token), as the
    migration promises."""
    import sqlite3

    path = tmp_path_factory.mktemp("upgrade") / "old.sqlite3"
    env = {**served["env"], "FLASK_CONFIG": "development"}
    env["DATABASE_URL"] = f"sqlite:///{path}"
    flask = [BIN / "flask", "--app", "probed", "db", "upgrade"]
    run([*flask, "39a3b617795d"], cwd=served["project"], env=env)  # the first tables
    with sqlite3.connect(path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(users)")]
        values = {
            "email": "early@example.com",
            "password_hash": "scrypt:old",
            "is_admin": False,
            "created_at": "2025-01-01 00:00:00",
        }
        given = {key: value for key, value in values.items() if key in columns}
        db.execute(
            f"INSERT INTO users ({', '.join(given)}) VALUES "  # our own keys
            f"({', '.join('?' * len(given))})",
            list(given.values()),
        )
    run(flask, cwd=served["project"], env=env)  # every later migration
    with sqlite3.connect(path) as db:
        verified, token = db.execute(
            "SELECT email_verified, session_token FROM users WHERE email = ?",
            ("early@example.com",),
        ).fetchone()
    assert verified == 1 and token


def test_reset_links_never_follow_the_host_header(served: dict[str, Any]) -> None:
    email = "poisoned@example.com"
    sign_up(served, email, "127.0.0.30")
    client = HttpClient(served["base"], "127.0.0.31")
    token = client.csrf_token("/auth/forgot-password")
    form = {"email": email, "csrf_token": token}
    forged = client.post("/auth/forgot-password", form=form, headers={"Host": "evil"})
    print(f"\nforgot-password with Host: evil -> {forged.status}")
    assert forged.status == 400
    forwarded = {"X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example"}
    reply = client.post("/auth/forgot-password", form=form, headers=forwarded)
    assert reply.status == 302
    path = mailed_link(served["outbox"], email, "/reset-password/")
    mails = "".join(p.read_text() for p in served["outbox"].glob("*.log"))
    assert f"{SITE_URL}{path}" in mails
    assert "evil" not in mails


def test_admins_are_bounded_by_their_organisation(served: dict[str, Any]) -> None:
    """An admin (made on the command line) of one organisation cannot reach another
    organisation's users: not listed, not editable (no new address to take the
    account over by a reset mail), not deletable, and their notes stay hidden."""
    admin_email, victim_email = "org-admin@example.com", "victim@example.com"
    admin = sign_up(served, admin_email, "127.0.0.40")
    victim = sign_up(served, victim_email, "127.0.0.41")
    assert log_in(victim, victim_email).status == 302
    assert (
        victim.submit("/notes/", {"title": "Victim's plan", "body": "x"}).status == 302
    )
    flask = [BIN / "flask", "--app", "probed", "create-admin", "--email", admin_email]
    run(flask, cwd=served["project"], env=served["env"])
    assert log_in(admin, admin_email).status == 302

    users = admin.get("/admin/users/").text
    assert admin_email in users and victim_email not in users
    assert "Victim" not in admin.get("/admin/notes_admin/").text
    own_ids = set(re.findall(r"/admin/users/edit/\?id=(\d+)", users))
    reachable = {
        str(n)
        for n in range(1, 60)
        if admin.get(f"/admin/users/edit/?id={n}").status == 200
    }
    print(f"\nadmin: user edit pages reachable {sorted(reachable)}, own {own_ids}")
    assert reachable == own_ids
    token = admin.csrf_token(f"/admin/users/edit/?id={min(own_ids)}")
    taken = {"email": "org-admin+taken@example.com", "csrf_token": token}
    for n in range(1, 60):
        if str(n) not in own_ids:
            admin.post(f"/admin/users/edit/?id={n}", form=taken)
            admin.post("/admin/users/delete/", form={"id": str(n), "csrf_token": token})
    # The victim's account is untouched: same address, still logs in.
    assert log_in(HttpClient(served["base"], "127.0.0.42"), victim_email).status == 302
    form = admin.get(f"/admin/users/edit/?id={min(own_ids)}").text
    assert 'name="is_admin"' not in form and 'name="role"' not in form
