"""Our starters against the peer starters a user would otherwise pick (issue 24).

Each peer is baked from a local checkout of its cookiecutter template, named by an
environment variable, and served beside ours the same way (one sync gunicorn worker,
production settings, one throwaway PostgreSQL cluster and Redis for both):

    STACKPICK_PEER_COOKIECUTTER_DJANGO=/path/to/cookiecutter-django
    STACKPICK_PEER_COOKIECUTTER_FLASK=/path/to/cookiecutter-flask
    STACKPICK_PEER_PYTHON=/path/to/python3.13  # cookiecutter-django's Django 6 needs it

Nothing here downloads a peer: without its variable (as in CI), or when its bake or
install fails, its rows say "skipped: <why>" and the run goes on. The peer's own
requirements are installed from PyPI into a virtualenv inside the run's folder.
"""

from __future__ import annotations

import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import projects
import serving
from projects import App, sh

DJANGO_VARIABLE = "STACKPICK_PEER_COOKIECUTTER_DJANGO"
FLASK_VARIABLE = "STACKPICK_PEER_COOKIECUTTER_FLASK"
PYTHON_VARIABLE = "STACKPICK_PEER_PYTHON"
PAGES = ("home", "login", "sign-up", "signed-in page")
PASSWORD = "bench-" + secrets.token_urlsafe(12)

# Run with a Django project's settings: a signed-in session for a new user, printed
# as "cookie-name=value" (the way a browser would send it back).
DJANGO_SESSION = """
import django
django.setup()
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
User = get_user_model()
login = "bench@example.com" if User.USERNAME_FIELD == "email" else "bench"
fields = {User.USERNAME_FIELD: login, "password": PASSWORD}
if User.USERNAME_FIELD != "email":
    fields["email"] = "bench@example.com"
user = User._default_manager.create_user(**fields)
client = Client()
client.force_login(user)
name = settings.SESSION_COOKIE_NAME
print(f"{name}={client.cookies[name].value}")
"""

# Run in a Flask project's folder: Flask-Login's session for a new user, signed by the
# app's own session interface, printed as "cookie-name=value". APP_SETUP defines `app`
# and `make_user()`, which each project spells its own way.
FLASK_SESSION = """
from flask import session
from flask_login import login_user
APP_SETUP
with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
    login_user(make_user())
    signer = app.session_interface.get_signing_serializer(app)
    print(f"{app.config['SESSION_COOKIE_NAME']}={signer.dumps(dict(session))}")
"""
OUR_FLASK_USER = """
from wsgi import app
from my_site.models import User
def make_user():
    return User.create("bench@example.com", PASSWORD, verified=True)
"""
PEER_FLASK_USER = """
from autoapp import app
from my_flask_app.extensions import db
from my_flask_app.user.models import User
def make_user():
    db.create_all()
    return User.create(
        username="bench", email="bench@example.com", password=PASSWORD, active=True
    )
"""


class Skipped(Exception):
    """A peer that cannot be measured here; its rows say why."""


@dataclass
class Contender:
    """A served starter: the app, the path of each page, a signed-in session cookie."""

    app: App
    pages: dict[str, str]
    cookie: str = ""


@dataclass
class Services:
    """The database and cache both sides of a comparison share."""

    postgres: str  # base URL, without a database name
    redis: str
    work: Path

    def database(self, name: str) -> str:
        """A new, empty database on the shared cluster."""
        sh(
            "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            self.port,
            "-U",
            "postgres",
            name,
            cwd=self.work,
        )
        return f"{self.postgres}/{name}"

    @property
    def port(self) -> str:
        return self.postgres.rsplit(":", 1)[1]


def checkout(variable: str) -> Path:
    """The peer template's checkout an environment variable names, or Skipped."""
    given = os.environ.get(variable, "")
    if not given:
        raise Skipped(f"{variable} is not set")
    path = Path(given)
    if not (path / "cookiecutter.json").is_file():
        raise Skipped(f"{variable}={given} is not a cookiecutter template checkout")
    return path


def commit_of(path: Path) -> str:
    """The checkout's commit, for the report (or "unknown" outside git)."""
    proc = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--short=12", "HEAD"],
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip() or "unknown"


def as_postgres_user() -> list[str]:
    """PostgreSQL refuses to run as root: drop to its user when we are root."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if not runuser:
        raise Skipped("running as root without runuser to start PostgreSQL")
    return [runuser, "-u", "postgres", "--"]


@contextmanager
def postgres(work: Path) -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (trust auth), stopped afterwards."""
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        raise Skipped("initdb/pg_ctl are not on PATH")
    data = Path(tempfile.mkdtemp(prefix="peers-pg-", dir=work))
    as_user = as_postgres_user()
    if as_user:
        shutil.chown(data, "postgres")
        for folder in (data, *data.parents):
            folder.chmod(folder.stat().st_mode | 0o011)
        data.chmod(0o700)
    port = serving.free_port()
    options = f"-h 127.0.0.1 -p {port} -k {data}"
    sh(*as_user, "initdb", "-D", data, "-U", "postgres", "--auth=trust", cwd=work)
    sh(
        *as_user,
        "pg_ctl",
        "-D",
        data,
        "-o",
        options,
        "-l",
        data / "log",
        "-w",
        "start",
        cwd=work,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        sh(*as_user, "pg_ctl", "-D", data, "-m", "fast", "stop", cwd=work)


@contextmanager
def redis(work: Path) -> Iterator[str]:
    """A throwaway Redis on 127.0.0.1 without persistence, stopped afterwards."""
    server = shutil.which("redis-server")
    if not server:
        raise Skipped("redis-server is not on PATH")
    port = serving.free_port()
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(work),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=20)


def newer_python() -> str:
    """The interpreter for a peer that needs a newer Python than ours (Django 6 needs
    3.12): STACKPICK_PEER_PYTHON, else ours (and its install fails, skipping it)."""
    return os.environ.get(PYTHON_VARIABLE) or sys.executable


def cookiecutter(work: Path) -> Path:
    """cookiecutter from PyPI, in a virtualenv of its own inside the run's folder."""
    venv = work / "cookiecutter-venv"
    if not venv.is_dir():
        try:
            sh("uv", "venv", "-q", "-p", sys.executable, venv, cwd=work)
            sh(
                "uv",
                "pip",
                "install",
                "-q",
                "-p",
                venv / "bin" / "python",
                "cookiecutter",
                cwd=work,
            )
        except (OSError, RuntimeError) as error:
            raise Skipped(f"cannot install cookiecutter: {error}") from error
    return venv / "bin" / "cookiecutter"


def bake(template: Path, work: Path, slug: str, context: dict[str, str]) -> Path:
    """The template baked without prompts into work/baked/`slug`, with `context` over
    its defaults.

    cookiecutter-django's last hook step locks its dependencies with `uv add` for
    its pinned Python; where that Python is missing the hook fails once the project
    is complete, so the project is kept (a later step fails if it is not usable)."""
    out = work / "baked"
    cmd = [cookiecutter(work), "--no-input", "--keep-project-on-failure", "-o", out]
    cmd += [template, *(f"{key}={value}" for key, value in context.items())]
    try:
        sh(*cmd, cwd=work, env={"UV_PYTHON_DOWNLOADS": "never"})
    except RuntimeError as error:
        if not (out / slug).is_dir():
            raise Skipped(f"bake failed: {error}") from error
    return out / slug


def install(project: Path, requirements: str, python: str = sys.executable) -> Path:
    """The project's own requirements in a virtualenv of its own, on `python` (ours
    unless the peer needs a newer one); its bin folder."""
    venv = project / ".bench-venv"
    never_download = {"UV_PYTHON_DOWNLOADS": "never"}
    try:
        sh("uv", "venv", "-q", "-p", python, venv, cwd=project, env=never_download)
        installer = ("uv", "pip", "install", "-q", "-p", venv / "bin" / "python")
        sh(*installer, "-r", requirements, cwd=project)
    except (OSError, RuntimeError) as error:
        why = f"install of {project.name}'s {requirements} failed: {error}"
        raise Skipped(why) from error
    return venv / "bin"


def session_cookie(app: App, bin_dir: Path, script: str) -> str:
    """Run `script` (which prints "name=value") in the app's folder, environment and
    interpreter: the cookie of a freshly signed-in user."""
    code = script.replace("PASSWORD", repr(PASSWORD))
    found = sh(bin_dir / "python", "-c", code, cwd=app.cwd, env=app.env)
    return found.stdout.strip().splitlines()[-1]


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """Let a redirect answer as itself: a signed-in page that sends the client to the
    login form has not been served."""

    def redirect_request(self, *args, **kwargs):
        return None


def check_page(url: str, cookie: str) -> None:
    """Raise unless GET `url` answers 200 itself (no redirect)."""
    opener = urllib.request.build_opener(NoRedirects)
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with opener.open(request, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        raise RuntimeError(f"GET {url} answered {status}, not 200")


DJANGO_PAGES = {
    "home": "/",
    "login": "/accounts/login/",
    "sign-up": "/accounts/signup/",
}
OUR_FLASK = {
    "framework": "flask",
    "needs_auth": "true",
    "needs_admin": "false",
    "needs_api": "false",
    "data": "relational",
    "html_pages": "true",
}


def ours_django(services: Services, answers: dict[str, str], name: str) -> Contender:
    """Our Django starter on the shared PostgreSQL and Redis."""
    database = services.database(name.replace("-", "_"))
    app = projects.django_starter(services.work, answers, database, name)
    app.env["REDIS_URL"] = services.redis
    pages = {**DJANGO_PAGES, "signed-in page": "/accounts/profile/"}
    return Contender(app, pages, session_cookie(app, app.bin, DJANGO_SESSION))


def peer_django_env(services: Services, database: str) -> dict[str, str]:
    """cookiecutter-django's production settings: what they require, with dummy
    credentials for the cloud and mail services it names (no page here calls them)."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database,
        "REDIS_URL": services.redis,
        "DJANGO_SECURE_SSL_REDIRECT": "False",  # TLS ends at a proxy; loopback here
        "DJANGO_ADMIN_URL": "admin/",
        "DJANGO_AWS_ACCESS_KEY_ID": "unused",
        "DJANGO_AWS_SECRET_ACCESS_KEY": "unused",
        "DJANGO_AWS_STORAGE_BUCKET_NAME": "unused",
        "MAILGUN_API_KEY": "unused",
        "MAILGUN_DOMAIN": "example.com",
    }


def peer_django(services: Services, slug: str, context: dict[str, str]) -> Contender:
    """cookiecutter-django baked with `context`, its production settings on the
    shared PostgreSQL and Redis."""
    context = {"project_slug": slug, **context}
    folder = bake(checkout(DJANGO_VARIABLE), services.work, slug, context)
    requirements = folder / "requirements" / "production.txt"
    bin_dir = install(
        folder,
        str(requirements if requirements.is_file() else folder / "pyproject.toml"),
        newer_python(),
    )
    env = peer_django_env(services, services.database(folder.name))
    app = App(
        f"cookiecutter-django ({folder.name})", folder, "config.wsgi", env, bin_dir
    )
    steps = [("migrate", "--noinput")]
    if context.get("use_whitenoise") == "y":  # else static files live on S3
        steps.append(("collectstatic", "--noinput"))
    for step in steps:
        sh(bin_dir / "python", "manage.py", *step, cwd=folder, env=env)
    pages = {**DJANGO_PAGES, "signed-in page": "/users/bench/"}
    return Contender(app, pages, session_cookie(app, bin_dir, DJANGO_SESSION))


def ours_flask(services: Services) -> Contender:
    """Our Flask starter with accounts and HTML pages (what cookiecutter-flask has)."""
    app = projects.flask_starter(
        services.work, "Flask starter", OUR_FLASK, services.database("flask_starter")
    )
    app.env["REDIS_URL"] = services.redis
    pages = {
        "home": "/",
        "login": "/auth/login",
        "sign-up": "/auth/register",
        "signed-in page": "/auth/account",
    }
    script = FLASK_SESSION.replace("APP_SETUP", OUR_FLASK_USER)
    return Contender(app, pages, session_cookie(app, app.bin, script))


def peer_flask(services: Services) -> Contender:
    """cookiecutter-flask baked with its defaults (and the names it asks for), in
    production mode on the shared PostgreSQL; its tables from its models."""
    context = {
        "full_name": "Bench",
        "email": "bench@example.com",
        "github_username": "bench",
        "project_name": "My Flask App",
        "app_name": "my_flask_app",
        "project_short_description": "A benchmark peer.",
        "use_pipenv": "False",
        "python_version": "3.11",
        "node_version": "20",
        "use_heroku": "False",
    }
    folder = bake(checkout(FLASK_VARIABLE), services.work, "my_flask_app", context)
    bin_dir = install(folder, "requirements/prod.txt")
    env = {
        "FLASK_ENV": "production",  # over the development values its .env holds
        "FLASK_DEBUG": "0",
        "DATABASE_URL": services.database("cookiecutter_flask"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SEND_FILE_MAX_AGE_DEFAULT": "31556926",
        "LOG_LEVEL": "warning",
    }
    app = App("cookiecutter-flask", folder, "autoapp:app", env, bin_dir)
    # Its login form is on the home page (a POST to "/"): no login page of its own.
    pages = {
        "home": "/",
        "login": "/",
        "sign-up": "/register/",
        "signed-in page": "/users/",
    }
    script = FLASK_SESSION.replace("APP_SETUP", PEER_FLASK_USER)
    return Contender(app, pages, session_cookie(app, bin_dir, script))


@dataclass
class Measured:
    """One measure of ours against the peer's (same order as run.Row's fields)."""

    measure: str
    unit: str
    peer: float
    ours: float
    goal: str
    cpu_ratio: float | None = None


@dataclass
class Skip:
    """Rows that could not be measured, and why."""

    measure: str
    reason: str


Sample = tuple[float, float]  # (req/s, requests per worker CPU second)


def page_url(server: serving.Server, path: str) -> str:
    return server.url + path.lstrip("/")


def serve_side_by_side(
    sides: dict[str, Contender], runs: int, seconds: float
) -> tuple[dict[str, dict[str, list[Sample]]], dict[str, float]]:
    """Both apps served at once, each page checked, then loaded in turn, run by run:
    (req/s samples per side and page, worker RSS per side after the load)."""
    rates = {side: {page: [] for page in PAGES} for side in sides}
    with ExitStack() as stack:
        servers = {
            side: stack.enter_context(serving.serve(contender.app))
            for side, contender in sides.items()
        }

        def load(side: str, page: str, how_long: float) -> Sample:
            contender = sides[side]
            cookie = contender.cookie if page == "signed-in page" else ""
            path = contender.pages[page]
            check_page(page_url(servers[side], path), cookie)
            return serving.requests_per_second(servers[side], how_long, path, cookie)

        for side in sides:  # warm-up, and every page answers 200 before measuring
            for page in PAGES:
                load(side, page, 1)
        for _ in range(runs):
            for page in PAGES:
                for side in sides:
                    rates[side][page].append(load(side, page, seconds))
        rss = {side: serving.worker_rss_mib(server) for side, server in servers.items()}
    return rates, rss


def pair_rows(
    label: str, ours: Contender, peer: Contender, runs: int, seconds: float
) -> list[Measured]:
    """req/s per page and worker RSS, ours against the peer, goals from issue 24."""
    rates, rss = serve_side_by_side({"ours": ours, "peer": peer}, runs, seconds)
    found = []
    for page in PAGES:
        mine = [statistics.median(s[i] for s in rates["ours"][page]) for i in (0, 1)]
        theirs = [statistics.median(s[i] for s in rates["peer"][page]) for i in (0, 1)]
        found.append(
            Measured(
                f"{label}: {page} req/s",
                "req/s",
                theirs[0],
                mine[0],
                ">= 1",
                mine[1] / theirs[1],
            )
        )
    found.append(
        Measured(f"{label}: worker RSS", "MiB", rss["peer"], rss["ours"], "<= 1")
    )
    return found


def comparison(
    label: str,
    build_peer: Callable[[], Contender],
    build_ours: Callable[[], Contender],
    runs: int,
    seconds: float,
) -> list[Measured | Skip]:
    """One pair's rows; any failure to set up or serve either side skips them."""
    try:
        peer = build_peer()  # first: without a checkout nothing is rendered
        ours = build_ours()
        return pair_rows(label, ours, peer, runs, seconds)
    except Skipped as why:
        return [Skip(label, str(why))]
    except Exception as error:  # a report: say what failed, never fail the run
        return [Skip(label, f"{type(error).__name__}: {error}")]


def rows(work: Path, runs: int, seconds: float) -> list[Measured | Skip]:
    """Every peer comparison: Django (defaults, and like-for-like with whitenoise and
    DRF) against cookiecutter-django, Flask against cookiecutter-flask."""
    if not (os.environ.get(DJANGO_VARIABLE) or os.environ.get(FLASK_VARIABLE)):
        # Nothing to compare (as in CI): no cluster to start, nothing to render.
        return [Skip("peer starters", f"{DJANGO_VARIABLE} and {FLASK_VARIABLE} unset")]
    try:
        with postgres(work) as database, redis(work) as cache:
            return measure_all(Services(database, cache, work), runs, seconds)
    except Skipped as why:
        return [Skip("peer starters", str(why))]


def peer_label(variable: str, name: str) -> str:
    """The peer's name and checkout commit, as the rows show it."""
    try:
        return f"{name}@{commit_of(checkout(variable))}"
    except Skipped:
        return name


def measure_all(services: Services, runs: int, seconds: float) -> list[Measured | Skip]:
    """The three comparisons, one after another, on the shared services."""
    django = peer_label(DJANGO_VARIABLE, "cookiecutter-django")
    flask = peer_label(FLASK_VARIABLE, "cookiecutter-flask")
    like = {"use_whitenoise": "y", "rest_api": "DRF"}
    found = comparison(
        f"Django defaults / {django} defaults",
        lambda: peer_django(services, "cc_django_defaults", {}),
        lambda: ours_django(services, {"framework": "django"}, "django-defaults"),
        runs,
        seconds,
    )
    found += comparison(
        f"Django with API / {django} whitenoise + DRF",
        lambda: peer_django(services, "cc_django_drf", like),
        lambda: ours_django(
            services, {"framework": "django", "needs_api": "true"}, "django-api"
        ),
        runs,
        seconds,
    )
    found += comparison(
        f"Flask accounts + pages / {flask} defaults",
        lambda: peer_flask(services),
        lambda: ours_flask(services),
        runs,
        seconds,
    )
    return found
