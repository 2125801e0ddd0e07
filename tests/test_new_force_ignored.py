"""`new --force` never replaces a git-ignored file of the user's that holds data.

Git has no copy of an ignored file (`.env` with real secrets, a local settings file),
so replacing it loses it for good. Ignored means: by the project's `.gitignore` or by
the user's own; the run names what it kept. An empty ignored file holds nothing and
is replaced like any other.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support import run_stackpick, snapshot

pytestmark = pytest.mark.slow

NEW = ["new", "site", "--defaults", "--force", "-d", "kind=api"]
SECRET = b"SECRET_KEY=the-users-real-secret\nDATABASE_URL=postgresql://prod\n"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "work" / "site"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("mine\n")
    return folder


@pytest.mark.parametrize("framework", ["flask", "django"])
@pytest.mark.parametrize("git", [False, True], ids=["no-git", "git"])
def test_the_users_env_is_kept_and_named(site: Path, framework: str, git: bool) -> None:
    (site / ".env").write_bytes(SECRET)
    (site / ".env").chmod(0o600)
    before = snapshot(site / ".env")
    options = [] if git else ["--no-git"]
    proc = run_stackpick(
        *NEW, *options, "-d", f"framework={framework}", cwd=site.parent
    )
    assert proc.returncode == 0, proc.stderr
    assert snapshot(site / ".env") == before  # bytes and mode
    kept = [line for line in proc.stdout.splitlines() if "kept your" in line]
    assert len(kept) == 1 and ".env" in kept[0], proc.stdout
    assert (site / "README.md").is_file() and (site / "notes.txt").is_file()
    if git:  # the secret never reaches the repository
        tracked = subprocess.run(
            ["git", "ls-files"], cwd=site, capture_output=True, text=True, check=True
        ).stdout.split()
        assert ".env" not in tracked


def test_a_file_the_users_own_gitignore_ignores_is_kept(site: Path) -> None:
    """The user ignores their local Dockerfile; the template has one: theirs stays."""
    (site / ".gitignore").write_text("# local only\nDockerfile\n")
    (site / "Dockerfile").write_bytes(b"FROM scratch\n# my local build\n")
    before = snapshot(site / "Dockerfile")
    proc = run_stackpick(*NEW, "--no-git", cwd=site.parent)
    assert proc.returncode == 0, proc.stderr
    assert snapshot(site / "Dockerfile") == before
    assert "Dockerfile" in proc.stdout and "kept your" in proc.stdout
    # Not ignored: replaced by the project's, as --force says.
    assert (site / ".gitignore").read_text() != "# local only\nDockerfile\n"


def test_an_empty_ignored_file_holds_nothing_and_is_replaced(site: Path) -> None:
    (site / ".env").write_bytes(b"")
    proc = run_stackpick(*NEW, "--no-git", cwd=site.parent)
    assert proc.returncode == 0, proc.stderr
    assert b"SECRET_KEY" in (site / ".env").read_bytes()
    assert "kept your" not in proc.stdout


def test_an_ignored_link_is_kept_and_not_followed(site: Path) -> None:
    outside = site.parent / "real.env"
    outside.write_bytes(SECRET)
    (site / ".env").symlink_to(outside)
    proc = run_stackpick(*NEW, "--no-git", cwd=site.parent)
    assert proc.returncode == 0, proc.stderr
    assert (site / ".env").is_symlink() and outside.read_bytes() == SECRET
    assert ".env" in proc.stdout
