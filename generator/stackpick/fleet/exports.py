"""The template's own files at one version, checked out once per run.

Copier clones the template for every render it makes from a git source. A fleet run
renders many projects on few versions, and reads the questions of the version an
update goes to (a preset is checked against those, not against the questions of the
stackpick that runs): both read the template's files at a version. Each source is
cloned once per run (a remote one without the blobs it does not need), and each
version is checked out of that clone once, into a folder Copier renders from and the
questionnaire reads `copier.yml` from. The folders hold only the template's files (no
answers, no secrets) and are removed when the run ends.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from stackpick.errors import StackpickError
from stackpick.gitsafe import check_ref, check_source
from stackpick.remote import Unreachable, _last_line, git


class TemplateExports:
    """Template versions as plain folders, by (source, ref), made on first use."""

    def __init__(self) -> None:
        self._workspace: tempfile.TemporaryDirectory[str] | None = None
        self._clones: dict[str, Path | StackpickError] = {}
        self._trees: dict[tuple[str, str], Path | StackpickError] = {}

    @property
    def _root(self) -> Path:
        if self._workspace is None:  # removed when the run ends (or this is freed)
            self._workspace = tempfile.TemporaryDirectory(prefix="stackpick-template-")
        return Path(self._workspace.name)

    def tree(self, source: str, ref: str) -> Path:
        """The folder holding template `source` at `ref` (a tag, commit or describe
        string); a source or ref that cannot be read raises, every time it is asked."""
        key = (source, ref)
        if key not in self._trees:
            try:
                self._trees[key] = self._checkout(self._clone(source), ref, source)
            except StackpickError as error:
                self._trees[key] = error
        found = self._trees[key]
        if isinstance(found, StackpickError):
            raise found
        return found

    def _clone(self, source: str) -> Path:
        if source not in self._clones:
            check_source(source, "template")
            repo = self._root / f"clone-{len(self._clones)}"
            # A local repository is cloned by hard links (cheap); a remote one
            # without the blobs of other versions (fetched as checked out).
            local = Path(source).expanduser().is_dir()
            partial = () if local else ("--filter=blob:none",)
            proc = git(
                "clone", "-q", "--no-checkout", *partial, "--", source, str(repo)
            )
            self._clones[source] = (
                repo
                if proc.returncode == 0
                else Unreachable(
                    f"template {source} is unreachable: {_last_line(proc)}"
                )
            )
        found = self._clones[source]
        if isinstance(found, StackpickError):
            raise found
        return found

    def _checkout(self, repo: Path, ref: str, source: str) -> Path:
        check_ref(ref, "template version")
        tree = self._root / f"tree-{len(self._trees)}"
        tree.mkdir()
        commit = git("rev-parse", "-q", "--verify", f"{ref}^{{commit}}", cwd=repo)
        if commit.returncode != 0:
            raise StackpickError(f"template {source} has no version {ref}")
        proc = git(
            f"--work-tree={tree}", "checkout", "-q", "-f",
            commit.stdout.strip(), "--", ".",
            cwd=repo,
        )  # fmt: skip
        if proc.returncode != 0:
            raise StackpickError(
                f"cannot check out {source} at {ref}: {_last_line(proc)}"
            )
        return tree
