"""Leftovers in a generated project: dead code, settings nothing reads, environment
variables documented but never read (or read but never documented).

Called on every render of the generated-project matrices (test_generated_django.py,
test_generated_flask.py), so each combination of features is checked once, without
another render; test_leftovers.py holds the checks to what they must catch.
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

from support import BIN

# Arguments a framework passes whether or not the function uses them: Django's
# RunPython (`apps`), signal receivers (`sender`, `**kwargs`), management commands'
# `handle(*args, ...)`, Flask-Admin's on_model_change (`is_created`), Alembic's
# process_revision_directives (`revision`) and a pytest fixture requested only for
# its effect (`root_logging`).
SIGNATURE_NAMES = "apps,sender,args,kwargs,is_created,revision,root_logging"

# Settings that libraries read by name: their documented prefixes.
LIBRARY_SETTINGS = re.compile(
    r"^(ACCOUNT_|AXES_|MFA_|CELERY_|WHITENOISE_|SQLALCHEMY_|WTF_|RATELIMIT_|MAIL_|"
    r"SESSION_|REMEMBER_COOKIE_|OPENAPI_|API_(TITLE|VERSION|SPEC_OPTIONS)$|"
    r"CONTENT_SECURITY_POLICY|SPECTACULAR_SETTINGS$|REST_FRAMEWORK$|"
    r"FLASK_ADMIN_|MONGO)"
)
# Environment variables read by something other than the project's Python.
READ_ELSEWHERE = {"DJANGO_SETTINGS_MODULE"}
ENV_LINE = re.compile(r"^#?\s?([A-Z][A-Z0-9_]+)=", re.MULTILINE)
TABLE_ROW = re.compile(r"^\| ((?:`[A-Z][A-Z0-9_]+`(?:, )?)+) \|", re.MULTILINE)
BACKTICKED = re.compile(r"`([A-Z][A-Z0-9_]{2,})(?:=[^`]*)?`")


def dead_code(project: Path) -> list[str]:
    """vulture's findings at 90% confidence and above (unused imports, arguments,
    unreachable code); the framework-passed arguments above aside."""
    command = [BIN / "vulture", ".", "--min-confidence", "90"]
    proc = subprocess.run(
        [*command, "--ignore-names", SIGNATURE_NAMES],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.splitlines()


def app_modules(project: Path) -> list[ast.Module]:
    """The project's own Python, parsed: not its tests or migrations."""
    skip = {"tests", "migrations", ".venv"}
    return [
        ast.parse(path.read_text(), str(path))
        for path in sorted(project.rglob("*.py"))
        if not skip.intersection(path.relative_to(project).parts)
    ]


def names_read(modules: list[ast.Module]) -> set[str]:
    """Every name, attribute and subscript or getattr string the code reads."""
    found: set[str] = set()
    for module in modules:
        for node in ast.walk(module):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                found.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                found.add(node.attr)
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
                if isinstance(node.slice, ast.Constant):
                    found.add(str(node.slice.value))
            elif isinstance(node, ast.Call) and _called(node) == "getattr":
                found.update(_strings(node.args[1:2]))
    return found


def settings_defined(project: Path, framework: str) -> set[str]:
    """The upper-case settings the project defines (Django's settings package, or
    the attributes of Flask's config classes)."""
    if framework == "django":
        paths = sorted((project / "config/settings").glob("*.py"))
    else:
        paths = sorted(project.glob("*/config.py"))
    defined: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            for target in targets:
                name = getattr(target, "id", None) or getattr(target, "attr", None)
                if name and name.isupper() and len(name) > 1:
                    defined.add(name)
    return defined


def unread_settings(project: Path, framework: str) -> set[str]:
    """Settings that neither the framework, a library nor the project's code reads."""
    if framework == "django":
        from django.conf import global_settings

        # ROOT_URLCONF has no default, so global_settings leaves it out.
        known = {name for name in dir(global_settings) if name.isupper()}
        known.add("ROOT_URLCONF")
    else:
        from flask import Flask

        known = set(Flask.default_config) | {"SECRET_KEY", "DEBUG", "TESTING"}
    read = names_read(app_modules(project))
    return {
        name
        for name in settings_defined(project, framework)
        if name not in known and not LIBRARY_SETTINGS.match(name) and name not in read
    }


def env_read(project: Path) -> set[str]:
    """Environment variables the project's own Python reads."""
    found: set[str] = set()
    for module in app_modules(project):
        for node in ast.walk(module):
            if isinstance(node, ast.Call) and _called(node) in {
                "env",
                "get",
                "getenv",
                "bool",
                "int",
                "float",
                "list",
                "db",
                "email",
            }:
                if _reads_environment(node.func):
                    found.update(_strings(node.args[:1]))
            elif isinstance(node, ast.Subscript) and _is_environ(node.value):
                found.update(_strings([node.slice]))
    return found


def env_documented(project: Path) -> tuple[set[str], set[str]]:
    """(listed, mentioned): the variables .env.example and the README's settings
    table list, and every upper-case name the README puts in backticks."""
    example = project / ".env.example"
    listed = set(ENV_LINE.findall(example.read_text())) if example.exists() else set()
    readme = (project / "README.md").read_text()
    for row in TABLE_ROW.findall(readme):
        listed.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", row))
    mentioned = set(BACKTICKED.findall(readme)) | listed
    return listed, mentioned


def leftovers(project: Path, framework: str) -> dict[str, list[str]]:
    """Every kind of leftover found in `project`; empty lists when there is none."""
    read = env_read(project) | READ_ELSEWHERE
    listed, mentioned = env_documented(project)
    return {
        "dead code": dead_code(project),
        "settings nothing reads": sorted(unread_settings(project, framework)),
        "documented, never read": sorted(listed - read),
        "read, never documented": sorted(env_read(project) - mentioned),
    }


def assert_no_leftovers(project: Path, framework: str) -> None:
    found = {
        kind: found for kind, found in leftovers(project, framework).items() if found
    }
    assert not found, f"leftovers in {project.name}: {found}"


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _is_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _reads_environment(func: ast.expr) -> bool:
    """`env(...)`, `env.int(...)`, `os.environ.get(...)`, `os.getenv(...)`."""
    if isinstance(func, ast.Name):
        return func.id == "env"
    if isinstance(func, ast.Attribute):
        owner = func.value
        return (
            (isinstance(owner, ast.Name) and owner.id == "env")
            or _is_environ(owner)
            or (func.attr == "getenv" and isinstance(owner, ast.Name))
        )
    return False


def _strings(nodes: list[ast.expr]) -> set[str]:
    return {
        node.value
        for node in nodes
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
