"""Where things are: the repository, the venv's programs, the template's parts."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


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


FULLEST_FLASK = {
    "needs_auth": True,
    "needs_api": True,
    "needs_admin": True,
    "data": "relational",
    "database": "sqlite",
    "needs_roles": True,
    "multi_tenant": True,
}
