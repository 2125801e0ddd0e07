"""`recommend --json` answered from the disk cache when nothing it depends on moved.

The JSON a non-interactive `recommend` prints is a pure function of its request (the
`--data` pairs and the answers file), the template's copier.yml and stackpick's own
files (code, rules.yaml, names.yaml). Working it out imports the questions, the
engine, their dataclasses and the report: most of the command's start-up. So the
printed text is kept in the cache (cache.py) under the request, valid while every
one of those files is unchanged, and a repeated request imports none of them.

Never memoised: a run that asks questions, or that uses a team preset (a preset may
live behind a URL that changes without any local file changing). Only successful
runs are kept; an error is always worked out afresh.
"""

from __future__ import annotations

from pathlib import Path

from stackpick.cache import FileCache
from stackpick.locate import PACKAGE_DIR, bundled_template, preset_path

TYPE_CHECKING = False  # typing is slow to import; annotations are strings here
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


MAX_ANSWERS = 64 * 1024  # an answers file past this is not kept as a key


class JsonMemo:
    """The cached `recommend --json` output for one request, if any."""

    def __init__(self, data: Sequence[str], answers_file: Path | None) -> None:
        self._cache = FileCache("recommend-json", PACKAGE_DIR)
        self._cache.load(self._sources)
        self._key: Any = None
        answers = None
        if answers_file is not None:  # by content: an edit within a clock tick shows
            try:
                with open(answers_file, "rb") as given:
                    answers = given.read(MAX_ANSWERS + 1)
            except OSError:
                answers = None
            if answers is None or len(answers) > MAX_ANSWERS:
                return  # unreadable or huge: worked out (and refused) afresh
        self._key = ("json", tuple(data), answers)

    @staticmethod
    def _sources() -> tuple[dict[str, Any], list[str]]:
        files = [str(bundled_template() / "copier.yml")]
        files += sorted(str(path) for path in PACKAGE_DIR.iterdir() if path.is_file())
        return {}, files

    def lookup(self) -> str | None:
        return None if self._key is None else self._cache.results.get(self._key)

    def store(self, text: str) -> None:
        if self._key is None:
            return
        self._cache.remember(self._key, text)
        self._cache.save()


def memo_for(
    data: Sequence[str], answers_file: Path | None, preset: str | None
) -> JsonMemo | None:
    """The memo for this request; None when it may not be memoised (a preset)."""
    if preset_path(preset) is not None:
        return None
    return JsonMemo(data, answers_file)
