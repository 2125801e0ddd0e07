"""A small on-disk cache of what every run would otherwise recompute.

`stackpick --help` and `stackpick recommend` should start about as fast as Python
itself. Parsing copier.yml and rules.yaml needs PyYAML, and rendering copier.yml's
`when:`/`default:`/`validator:` expressions needs Jinja; together they cost several
times Python's own start-up. Both are pure functions of their inputs, so their
results are kept here (marshal: built in, nothing to import) and reused while the
files they came from are unchanged. A cache that cannot be read or written is simply
not used: the answers are always the same, only slower.

Location: $STACKPICK_CACHE_DIR, else $XDG_CACHE_HOME/stackpick, else
~/.cache/stackpick. STACKPICK_CACHE_DIR=off turns it off.
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

TYPE_CHECKING = False  # typing is slow to import; annotations are strings here
if TYPE_CHECKING:
    from typing import Any

# Entries past this are dropped (distinct answers keep adding rendered results).
MAX_RESULTS = 5_000
_TAG = f"{sys.implementation.cache_tag}-1"  # marshal's format follows the interpreter


def cache_dir() -> Path | None:
    given = os.environ.get("STACKPICK_CACHE_DIR")
    if given is not None:
        return None if given.strip().lower() in {"", "off", "0"} else Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache"
    )
    return Path(base) / "stackpick"


def _stamp(paths: Iterable[str]) -> list[tuple[str, int, int]] | None:
    stamps = []
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            return None
        stamps.append((path, info.st_mtime_ns, info.st_size))
    return stamps


class FileCache:
    """What was computed from some files, valid while those files are unchanged.

    `load(build)` returns the cached value, or calls `build()` -> (value, files it
    read) and keeps it; `results` is a dict the owner may fill with more pure
    results derived from the same files, written back by `save()`.
    """

    def __init__(self, name: str, source: Path) -> None:
        folder = cache_dir()
        where = zlib.crc32(str(source.resolve()).encode())  # one cache per template
        key = f"{name}-{where:08x}-{_TAG}.marshal"
        self.path = folder / key if folder else None
        self.results: dict[Any, Any] = {}
        self._value: Any = None
        self._deps: list[tuple[str, int, int]] = []
        self._dirty = False

    def load(self, build: Callable[[], tuple[Any, list[str]]]) -> Any:
        stored = self._read()
        if (
            stored is not None
            and _stamp(p for p, _, _ in stored["deps"]) == stored["deps"]
        ):
            self._value, self._deps = stored["value"], stored["deps"]
            self.results = stored["results"]
            return self._value
        value, files = build()
        self._value, self._deps = value, _stamp(files) or []
        self.results = {}
        self._dirty = bool(self._deps)
        return value

    def remember(self, key: Any, result: Any) -> None:
        if len(self.results) >= MAX_RESULTS:
            self.results.clear()
        self.results[key] = result
        self._dirty = True

    def save(self) -> None:
        """Write the cache if anything changed; any failure leaves it unwritten."""
        if not self._dirty or self.path is None:
            return
        self._dirty = False
        data = {"deps": self._deps, "value": self._value, "results": self.results}
        try:
            blob = marshal.dumps(data)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            partial.write_bytes(blob)
            os.replace(partial, self.path)  # readers see the old file or the new one
        except (OSError, ValueError):
            return

    def _read(self) -> dict[str, Any] | None:
        if self.path is None:
            return None
        try:
            data = marshal.loads(self.path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return None
        if not isinstance(data, dict) or set(data) != {"deps", "value", "results"}:
            return None
        return data
