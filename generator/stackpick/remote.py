"""Reading things that live elsewhere: git tags, a file at a git ref, an HTTPS file.

`check`, `status` and `update` ask a template for its tags, `check` reads the
template's changelog at the latest tag, and presets can live in a team's repository.
All of it goes through the `git` command (the user's credentials and URL rewrites
apply) or plain HTTPS, never prompts, and fails as a `StackpickError` that names the
source and git's own last line.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from stackpick.errors import StackpickError
from stackpick.gitsafe import check_ref, check_repo_path, check_source, run_git


class Unreachable(StackpickError):
    """A template or preset source that cannot be read (offline, moved, no access)."""


def git(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run git, never prompting, within its deadline; the result is not checked."""
    return run_git(*args, cwd=cwd, env=env)


def _last_line(proc: subprocess.CompletedProcess[str]) -> str:
    """git's first fatal line (the cause), else its last line."""
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith("fatal: ")]
    line = fatal[0] if fatal else lines[-1] if lines else f"git exit {proc.returncode}"
    return line.removeprefix("fatal: ")


def remote_tags(source: str) -> list[str]:
    """The tag names of a git repository (a URL or a local path), one `ls-remote`."""
    check_source(source, "template")
    proc = git("ls-remote", "--tags", "--refs", "--", source)
    if proc.returncode != 0:
        raise Unreachable(f"template {source} is unreachable: {_last_line(proc)}")
    prefix = "refs/tags/"
    return [
        ref.removeprefix(prefix)
        for _, _, ref in (line.partition("\t") for line in proc.stdout.splitlines())
        if ref.startswith(prefix)
    ]


def read_git_file(repo: str, ref: str | None, path: str) -> bytes:
    """The bytes of `path` in `repo` at `ref` (a tag, branch or commit; None: HEAD).

    Fetches that one commit shallowly into a throwaway repository: cheap for a big
    repository, and works the same for a URL and a local path.
    """
    check_source(repo, "repository")
    if ref is not None:
        check_ref(ref, "ref")
    check_repo_path(path, "file")
    where = f"{repo}{'@' + ref if ref else ''}"
    with tempfile.TemporaryDirectory(prefix="stackpick-fetch-") as tmp:
        scratch = Path(tmp)
        git("init", "-q", cwd=scratch)
        fetch = ("fetch", "-q", "--depth", "1", "--", repo, ref or "HEAD")
        proc = git(*fetch, cwd=scratch)
        if proc.returncode != 0:
            raise Unreachable(f"cannot fetch {where}: {_last_line(proc)}")
        shown = run_git("show", f"FETCH_HEAD:{path}", cwd=scratch, text=False)
        if shown.returncode != 0:
            raise StackpickError(f"{where} has no file {path}")
        return shown.stdout


def read_https(url: str) -> bytes:
    """The body of an HTTPS URL (a raw file in a team's repository or web server)."""
    from stackpick.https import fetch

    return fetch(url)
