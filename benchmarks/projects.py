"""The apps the benchmarks compare: bare baselines and stackpick's starters.

Everything is built in a temporary folder by the benchmark itself, with the Python
that runs it (the test environment carries every dependency), so a run needs no
network and leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]  # the template stackpick renders

FLASK_HELLO = """
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "Hello, World!"
"""
BARE_FLASK = '"""Flask\'s hello world."""\n' + FLASK_HELLO

# The hello-world view at "/", ahead of any other URL.
HELLO_VIEW = """
from django.http import HttpResponse


def hello(request):
    return HttpResponse("Hello, World!")


urlpatterns.insert(0, path("", hello))
"""

# Run in a starter's folder: import its WSGI app as gunicorn's worker does, print the
# library modules (site-packages) that brought in, in import order.
LIBRARY_MODULES = """
import json, sys, sysconfig
import wsgi
purelib = sysconfig.get_paths()["purelib"]
print(json.dumps([name for name, module in list(sys.modules.items())
                  if (getattr(module, "__file__", None) or "").startswith(purelib)]))
"""

LIBRARIES_ALONE = '''"""Flask's hello world, after a starter's library modules."""

import importlib

for name in {names!r}:
    try:
        importlib.import_module(name)
    except ImportError:  # a module a library registers under a second name
        pass
'''

HELLO_IN_STACK = (
    """from django.urls import path

from config.urls import urlpatterns as site

urlpatterns = list(site)
"""
    + HELLO_VIEW
)

FLASK_FULL = {
    "framework": "flask",
    "needs_auth": "true",
    "needs_admin": "true",
    "needs_api": "true",
    "data": "relational",
    "html_pages": "true",
}
FLASK_MICRO = {
    "framework": "flask",
    "kind": "microservice",
    "needs_auth": "false",
    "needs_admin": "false",
    "needs_api": "true",
    "data": "none",
    "html_pages": "false",
}
DJANGO_FULL = {"framework": "django", "needs_api": "true", "needs_admin": "true"}


@dataclass
class App:
    """A WSGI app ready to serve: `gunicorn TARGET` in `cwd` with `env`, by the
    gunicorn of the virtualenv whose bin folder is `bin` (ours by default)."""

    name: str
    cwd: Path
    target: str
    env: dict[str, str] = field(default_factory=dict)
    bin: Path = BIN


def sh(*cmd: str | os.PathLike[str], cwd: Path, env: dict[str, str] | None = None):
    """Run a set-up command; its failure names the command and its output."""
    proc = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    if proc.returncode:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed: " + " | ".join(tail))
    return proc


def stackpick_new_cmd(
    dest: Path, answers: dict[str, str], git: bool = True, lock: bool = False
) -> list:
    """The `stackpick new` command line that renders `answers` without prompting.

    Without `lock`, `--no-lock`: the render alone, as plain `copier copy` does it
    (`new` would otherwise resolve uv.lock against the package index).
    """
    cmd = [sys.executable, "-m", "stackpick", "new", str(dest), "--defaults"]
    cmd += [] if lock else ["--no-lock"]
    # The package is my_site whatever the folder is called (`new` names the project
    # after its folder otherwise).
    cmd += ["--data", "project_name=My Site"]
    for key, value in answers.items():
        cmd += ["--data", f"{key}={value}"]
    return cmd + ([] if git else ["--no-git"])


def copier_copy_cmd(dest: Path, answers: dict[str, str]) -> list:
    """Plain `copier copy` of that template with those answers (and no git commit)."""
    cmd = [BIN / "copier", "copy", "--defaults", "--quiet"]
    for key, value in {"project_name": "My Site", **answers}.items():
        cmd += ["--data", f"{key}={value}"]
    return [*cmd, str(REPO), str(dest)]


def startproject_cmd(dest: Path) -> list:
    dest.mkdir(parents=True, exist_ok=True)
    return [str(BIN / "django-admin"), "startproject", "hello", str(dest)]


def bare_flask(where: Path) -> App:
    folder = where / "bare-flask"
    folder.mkdir()
    (folder / "app.py").write_text(BARE_FLASK)
    return App("bare Flask", folder, "app:app")


def bare_django(where: Path) -> App:
    """`django-admin startproject` plus one hello-world view; DEBUG off."""
    folder = where / "bare-django"
    sh(*startproject_cmd(folder), cwd=where)
    settings = folder / "hello" / "settings.py"
    text = settings.read_text().replace("DEBUG = True", "DEBUG = False")
    text = text.replace("ALLOWED_HOSTS = []", "ALLOWED_HOSTS = ['127.0.0.1']")
    settings.write_text(text)
    urls = folder / "hello" / "urls.py"
    urls.write_text(urls.read_text() + HELLO_VIEW)
    return App("startproject hello world", folder, "hello.wsgi")


def libraries_alone(where: Path, starter: App) -> App:
    """Bare Flask plus every library module `starter`'s worker imports, none of them
    used: what serving with those libraries costs before any of the starter's code."""
    found = sh(sys.executable, "-c", LIBRARY_MODULES, cwd=starter.cwd, env=starter.env)
    names = json.loads(found.stdout.strip().splitlines()[-1])
    folder = where / f"{starter.cwd.name}-libraries"
    folder.mkdir()
    (folder / "app.py").write_text(LIBRARIES_ALONE.format(names=names) + FLASK_HELLO)
    return App(f"{starter.name}'s libraries alone", folder, "app:app")


def flask_starter(
    where: Path, name: str, answers: dict[str, str], database_url: str = ""
) -> App:
    """A rendered Flask starter, migrated, with production settings; on SQLite
    unless a `database_url` is given."""
    folder = where / name.replace(" ", "-")
    sh(*stackpick_new_cmd(folder, answers, git=False), cwd=where)
    env = {
        "FLASK_CONFIG": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        # The benchmark speaks to 127.0.0.1; mailed links are built from it too.
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    if (folder / "migrations").is_dir():
        env["DATABASE_URL"] = database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
        sh(BIN / "flask", "--app", "my_site", "db", "upgrade", cwd=folder, env=env)
    return App(name, folder, "wsgi:app", env)


def django_starter(
    where: Path,
    answers: dict[str, str] = DJANGO_FULL,
    database_url: str = "",
    name: str = "django-starter",
) -> App:
    """A rendered Django starter (API + admin unless `answers` say otherwise),
    migrated, production settings; on SQLite unless a `database_url` is given."""
    folder = where / name
    sh(*stackpick_new_cmd(folder, answers, git=False), cwd=where)
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url or f"sqlite:///{folder / 'bench.sqlite3'}",
        # TLS would end at a proxy; the benchmark speaks plain HTTP on loopback.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
    }
    for step in (("migrate", "--noinput"), ("collectstatic", "--noinput")):
        sh(sys.executable, "manage.py", *step, cwd=folder, env=env)
    return App("Django starter", folder, "config.wsgi", env)


def django_stack_hello(starter: App) -> App:
    """The Django starter's settings, apps and middleware serving the hello-world view
    at "/" instead of its home page: what the stack costs without the page."""
    (starter.cwd / "bench_hello_urls.py").write_text(HELLO_IN_STACK)
    settings = starter.cwd / "bench_hello_settings.py"
    settings.write_text(
        "from config.settings.production import *  # noqa: F403\n\n"
        'ROOT_URLCONF = "bench_hello_urls"\n'
    )
    env = {**starter.env, "DJANGO_SETTINGS_MODULE": "bench_hello_settings"}
    return App("Django starter's stack", starter.cwd, "config.wsgi", env)
