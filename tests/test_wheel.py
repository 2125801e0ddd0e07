"""The wheel carries the whole template: a fresh venv installs it, renders offline."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

from support import ROOT, run

pytestmark = [pytest.mark.slow, pytest.mark.venv]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "-o", out, ROOT],
        cwd=ROOT,
    )
    (built,) = out.glob("stackpick-*.whl")
    return built


def test_wheel_holds_the_template_and_rules(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "stackpick/_template/copier.yml" in names
    assert "stackpick/_template/generator/stackpick/rules.yaml" in names
    assert "stackpick/_template/generator/stackpick/names.yaml" in names
    assert "stackpick/_template/includes/decision-record.md.jinja" in names
    for framework in ("flask", "django"):
        prefix = f"stackpick/_template/template-{framework}/"
        assert sum(n.startswith(prefix) for n in names) > 10
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_fresh_venv_installs_the_wheel_and_renders_from_any_folder(
    wheel: Path, tmp_path: Path
) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", wheel], cwd=tmp_path, timeout=900)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    stackpick = env_dir / "bin" / "stackpick"
    proc = subprocess.run(
        [stackpick, "recommend", "--json"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"framework"' in proc.stdout
    for framework in ("flask", "django"):
        dest = elsewhere / f"site-{framework}"
        new = [stackpick, "new", dest.name, "--defaults", "--no-lock"]
        run([*new, "-d", f"framework={framework}"], cwd=elsewhere)
        assert (dest / "README.md").is_file()
        assert (dest / "docs/decisions/0001-web-framework.md").is_file()
        answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
        # Rendered from a plain folder: a git source and a version tag are recorded so
        # `copier update` can find the template later.
        assert answers["_src_path"].endswith(".git")
        assert answers["_commit"].startswith("v")
        assert answers["framework"] == framework
