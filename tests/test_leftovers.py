"""The leftover checks (leftovers.py) catch what they are for, on small hand-made
projects; the generated-project matrices run them on every combination."""

from __future__ import annotations

from pathlib import Path

from leftovers import leftovers

DJANGO_SETTINGS = """\
import environ

env = environ.Env()
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ROOT_URLCONF = "config.urls"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
REDIS_URL = env("REDIS_URL", default="")
CACHES = {"default": {"LOCATION": REDIS_URL}}
PROJECT_NAME = "Site"
{extra}
"""
VIEWS = """\
from django.conf import settings


def home(request):
    return request, settings.PROJECT_NAME
"""
README = """\
# Site

| Variable | Meaning |
|---|---|
| `DJANGO_DEBUG` | debug pages |
| `REDIS_URL` | the cache |
{extra}
"""


def django_project(root: Path, settings: str = "", readme: str = "") -> Path:
    (root / "config/settings").mkdir(parents=True)
    (root / "config/settings/base.py").write_text(
        DJANGO_SETTINGS.replace("{extra}", settings)
    )
    (root / "config/views.py").write_text(VIEWS)
    (root / "README.md").write_text(README.replace("{extra}", readme))
    return root


def test_a_clean_project_has_no_leftovers(tmp_path: Path) -> None:
    found = leftovers(django_project(tmp_path), "django")
    assert found == {
        "dead code": [],
        "settings nothing reads": [],
        "documented, never read": [],
        "read, never documented": [],
    }


def test_a_setting_nothing_reads_is_found(tmp_path: Path) -> None:
    project = django_project(
        tmp_path, settings='ITEMS_PUBLIC = env.bool("ITEMS_PUBLIC")'
    )
    found = leftovers(project, "django")
    assert found["settings nothing reads"] == ["ITEMS_PUBLIC"]
    assert found["read, never documented"] == ["ITEMS_PUBLIC"]


def test_a_documented_variable_nothing_reads_is_found(tmp_path: Path) -> None:
    row = "| `SENTRY_TRACES_SAMPLE_RATE` | traces |"
    project = django_project(tmp_path, readme=row)
    (project / ".env.example").write_text("# API_KEY=change-me\nREDIS_URL=\n")
    found = leftovers(project, "django")
    assert found["documented, never read"] == ["API_KEY", "SENTRY_TRACES_SAMPLE_RATE"]


def test_dead_code_is_found(tmp_path: Path) -> None:
    project = django_project(tmp_path)
    (project / "config/cache.py").write_text(
        "import json\n\n\ndef links(script_prefix):\n    return {}\n"
    )
    found = leftovers(project, "django")["dead code"]
    assert any("unused import 'json'" in line for line in found), found
    assert any("unused variable 'script_prefix'" in line for line in found), found


def test_flask_config_attributes_are_checked(tmp_path: Path) -> None:
    package = tmp_path / "site"
    package.mkdir()
    (package / "config.py").write_text(
        "import os\n\n\nclass Config:\n    TESTING = False\n    API_KEY = None\n\n"
        "    def __init__(self):\n"
        '        self.SENTRY_DSN = os.environ.get("SENTRY_DSN", "")\n'
    )
    (package / "__init__.py").write_text(
        "def start(settings):\n    return settings.SENTRY_DSN\n"
    )
    (tmp_path / "README.md").write_text("Set `SENTRY_DSN` for Sentry.\n")
    found = leftovers(tmp_path, "flask")
    assert found["settings nothing reads"] == ["API_KEY"]
    assert found["read, never documented"] == []
