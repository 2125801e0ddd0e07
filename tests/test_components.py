"""Required real components: missing fails CI with one line, skips elsewhere.

Two places make the decision, and both are checked here: `support.require` (every
test that needs PostgreSQL, Redis, Chromium or uv asks it) and the components block
of .ci/run (which installs them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import support
from support import COMPONENTS, ROOT, require


@pytest.fixture
def nothing_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH (and venv bin, and extra folders) holding none of the components."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(support.components, "BIN", empty)
    for name, spec in COMPONENTS.items():
        monkeypatch.setitem(
            COMPONENTS, name, support.Component(spec.commands, spec.install, ())
        )
    return empty


@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_missing_component_fails_in_ci_with_one_line(
    nothing_installed: Path, monkeypatch: pytest.MonkeyPatch, component: str
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception) as failed:
        require(component)
    first = COMPONENTS[component].commands[0]
    assert str(failed.value) == (
        f"required component {component} is unavailable: {first} is not installed "
        f"({COMPONENTS[component].install})"
    )
    assert not failed.value.pytrace  # one line, no traceback


@pytest.mark.parametrize("ci", ["", "false"])
def test_missing_component_skips_on_a_developer_machine(
    nothing_installed: Path, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception) as skipped:
        require("postgresql")
    assert "initdb is not installed (apt-get install postgresql)" in str(skipped.value)


def test_an_installed_component_is_found_with_its_path(
    nothing_installed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    fake = nothing_installed / "redis-server"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert require("redis") == {"redis-server": str(fake)}


def test_postgresql_outside_path_is_found_in_the_debian_folder(
    tmp_path: Path, nothing_installed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for version in ("9", "15"):
        folder = tmp_path / "lib" / version / "bin"
        folder.mkdir(parents=True)
        for name in ("initdb", "pg_ctl"):
            (folder / name).write_text("#!/bin/sh\n")
            (folder / name).chmod(0o755)
    debian = support.Component(("initdb", "pg_ctl"), "", (f"{tmp_path}/lib/*/bin",))
    monkeypatch.setitem(COMPONENTS, "postgresql", debian)
    newest = tmp_path / "lib" / "15" / "bin"
    assert require("postgresql") == {
        "initdb": str(newest / "initdb"),
        "pg_ctl": str(newest / "pg_ctl"),
    }


def shell_bin(folder: Path, *tools: str) -> Path:
    """A folder of links to just these programs (a PATH with nothing else on it)."""
    folder.mkdir()
    for tool in tools:
        found = shutil.which(tool)
        assert found, tool
        (folder / tool).symlink_to(found)
    return folder


def ci_run(path: Path) -> subprocess.CompletedProcess[str]:
    """.ci/run with CI=true and only `path` on PATH."""
    env = {"CI": "true", "PATH": str(path), "HOME": os.environ.get("HOME", "/")}
    return subprocess.run(
        [shutil.which("bash"), str(ROOT / ".ci" / "run")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_ci_run_fails_with_one_line_when_a_component_cannot_be_installed(
    tmp_path: Path,
) -> None:
    # No redis-server, chromium, chromedriver on this PATH, and no apt-get.
    path = shell_bin(tmp_path / "bin", "dirname", "id", "tr")
    proc = ci_run(path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    line = proc.stderr.strip()
    assert line.startswith("required component(s) unavailable: "), line
    assert "redis-server chromium chromium-driver" in line
    assert line.endswith("(not installed, and no apt-get as root to install them)")
    assert "venv" not in proc.stdout  # it stopped before building anything


def test_ci_run_fails_with_one_line_when_apt_get_fails(tmp_path: Path) -> None:
    path = shell_bin(tmp_path / "bin", "dirname", "tr")
    for name, body in (("id", "echo 0"), ("apt-get", "exit 100")):
        (path / name).write_text(f"#!/bin/sh\n{body}\n")
        (path / name).chmod(0o755)
    proc = ci_run(path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.strip().endswith("(apt-get install failed)"), proc.stderr
    assert "redis-server" in proc.stderr


def test_a_postgresql_that_cannot_start_fails_ci_with_one_line(tmp_path: Path) -> None:
    """The real fixture, in a pytest of its own, with an initdb that fails."""
    # Readable by the postgres user too (the fixture drops to it when run as root).
    fake = Path(tempfile.mkdtemp(prefix="stackpick-fake-initdb-"))
    fake.chmod(0o755)
    initdb = fake / "initdb"
    initdb.write_text("#!/bin/sh\necho 'initdb: error: simulated' >&2\nexit 1\n")
    initdb.chmod(0o755)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"STACKPICK_TEST_POSTGRES_URL", "PYTEST_XDIST_WORKER"}
    }
    env.update(CI="true", PATH=f"{fake}{os.pathsep}{env.get('PATH', '')}")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0",
         "-q", "--no-header", "-rA", str(ROOT / "tests" / "test_pg_smoke.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    expected = (
        "required component postgresql is unavailable: initdb failed: "
        "initdb: error: simulated"
    )
    assert out.count(expected) >= 1 and "Traceback" not in out, out
    assert "1 error" in out.splitlines()[-1], out
    shutil.rmtree(fake)


@pytest.mark.parametrize(
    ("args", "dist", "expected"),
    [
        (("-n", "2"), "load", "loadgroup"),  # -n alone: module groups kept together
        (("-n", "2", "--dist", "load"), "load", "load"),  # an explicit choice stays
        (("-n", "2", "--dist=loadscope"), "loadscope", "loadscope"),
        ((), "no", "no"),  # no workers: nothing to distribute
    ],
)
def test_workers_keep_a_module_group_together(
    args: tuple[str, ...], dist: str, expected: str
) -> None:
    from types import SimpleNamespace

    from conftest import use_load_groups

    config = SimpleNamespace(
        option=SimpleNamespace(dist=dist),
        invocation_params=SimpleNamespace(args=args),
    )
    use_load_groups(config)  # type: ignore[arg-type]
    assert config.option.dist == expected
