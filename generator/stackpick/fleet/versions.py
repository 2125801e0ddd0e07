"""Template versions for many projects: tags fetched once per template, changelogs.

Copier records a project's template version in `_commit` as `git describe --tags`
prints it (`v1.2.0`, or `v1.2.0-3-gabc1234` for a commit after a tag) and updates to
the latest tag in PEP 440 order, prereleases left out. The same rules decide here
whether a project is behind, so `check` and `copier update` agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from stackpick.errors import StackpickError

CHANGELOG = "CHANGELOG.md"
_DESCRIBED = re.compile(r"(?P<tag>.+)-(?P<ahead>\d+)-g[0-9a-f]{4,40}")
_HEADING = re.compile(r"^#{1,3}\s+\[?(?P<version>v?\d+(?:\.\d+)*\S*?)\]?(?:\s|$)")


def as_version(tag: str) -> Version | None:
    try:
        return Version(tag)
    except InvalidVersion:
        return None


@dataclass(frozen=True)
class Recorded:
    """A project's `_commit`: the tag it came from and commits after that tag."""

    raw: str
    tag: str | None
    ahead: int

    @classmethod
    def parse(cls, commit: str) -> Recorded:
        match = _DESCRIBED.fullmatch(commit)
        tag, ahead = (match["tag"], int(match["ahead"])) if match else (commit, 0)
        return cls(commit, tag if as_version(tag) else None, ahead)

    def behind(self, latest: str) -> bool:
        """Whether `latest` is newer; raises when the recorded version is no release."""
        mine, theirs = as_version(self.tag or ""), as_version(latest)
        if mine is None or theirs is None:
            raise StackpickError(
                f"recorded template version '{self.raw}' is not a release tag: "
                "cannot compare it with the template's tags"
            )
        return theirs > mine


def latest_release(tags: Iterable[str]) -> str | None:
    """The tag `copier update` would pick: the highest PEP 440 release."""
    releases = [
        (version, tag)
        for tag in tags
        if (version := as_version(tag)) is not None and not version.is_prerelease
    ]
    return max(releases)[1] if releases else None


class TemplateTags:
    """The latest release of each template, asked once per distinct template."""

    def __init__(self) -> None:
        self._latest: dict[str, list[str] | StackpickError] = {}

    def prefetch(self, sources: Iterable[str]) -> None:
        """Ask every new template at once (in threads: each is a network round trip)."""
        todo = sorted({s for s in sources if s and s not in self._latest})
        if not todo:
            return
        with ThreadPoolExecutor(max_workers=min(8, len(todo))) as pool:
            for source, outcome in zip(todo, pool.map(self._ask, todo), strict=True):
                self._latest[source] = outcome

    def latest(self, source: str) -> str | None:
        """The latest release tag of `source` (None: no release tags); may raise."""
        return latest_release(self.tags(source))

    def tags(self, source: str) -> list[str]:
        """Every tag of `source`, asked once; may raise."""
        if source not in self._latest:
            self._latest[source] = self._ask(source)
        outcome = self._latest[source]
        if isinstance(outcome, StackpickError):
            raise outcome
        return outcome

    @staticmethod
    def _ask(source: str) -> list[str] | StackpickError:
        from stackpick.remote import remote_tags

        try:
            return remote_tags(source)
        except StackpickError as error:
            return error


def changelog_between(text: str, current: str | None, latest: str) -> list[str]:
    """The changelog lines of the versions after `current` up to `latest`.

    Sections start at headings naming a version (`## v1.2.0`, `## [1.2.0] - date`);
    lines under other headings (an "Unreleased" section) are left out.
    """
    low, high = as_version(current or ""), as_version(latest)
    lines: list[str] = []
    keep = False
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            version = as_version(heading["version"])
            keep = (
                version is not None
                and high is not None
                and version <= high
                and (low is None or version > low)
            )
        elif line.startswith("#"):
            keep = False
        if keep:
            lines.append(line)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def template_changelog(source: str, tag: str) -> str | None:
    """The template's CHANGELOG.md at `tag` (None when it has none)."""
    from stackpick.remote import read_git_file

    try:
        return read_git_file(source, f"refs/tags/{tag}", CHANGELOG).decode(
            "utf-8", "replace"
        )
    except StackpickError as error:
        if f"has no file {CHANGELOG}" in str(error):
            return None
        raise
