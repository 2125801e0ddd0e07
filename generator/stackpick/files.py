"""Reading the user's YAML files (answers files, presets) with errors that help.

These files come from anywhere, so reading them must never hang, exhaust memory or
guess: a FIFO or a device is refused without blocking on it, the size is capped, and
YAML's sharp edges are refused with the line they are on (duplicate keys, where "the
last one wins" would silently change a project; nesting too deep for a parser; aliases
that expand into millions of nodes).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from stackpick.errors import StackpickError

MAX_BYTES = 1024 * 1024  # an answers file is a few hundred bytes
MAX_DEPTH = 32  # answers are flat; presets nest three levels
MAX_NODES = 100_000  # counted with every alias expanded
MERGE_TAG = "tag:yaml.org,2002:merge"


class _Refused(yaml.MarkedYAMLError):
    """A YAML document that parses but that we will not take."""


class StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys, deep nesting and alias bombs."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(
                    problem=f"nested more than {MAX_DEPTH} levels deep",
                    problem_mark=self.peek_event().start_mark,
                )
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._count(node)
        return node

    def _count(self, node: yaml.Node) -> None:
        """Size of `node` with aliases expanded; refuse past MAX_NODES."""
        if id(node) in self._sizes:  # an alias: the same node again
            size = self._sizes[id(node)]
        elif isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self._sizes.get(id(n), 1) for n in node.value)
        elif isinstance(node, yaml.MappingNode):
            size = 1 + sum(
                self._sizes.get(id(k), 1) + self._sizes.get(id(v), 1)
                for k, v in node.value
            )
        else:
            size = 1
        self._sizes[id(node)] = size
        if size > MAX_NODES:
            raise _Refused(
                problem=f"aliases expand to more than {MAX_NODES} values",
                problem_mark=node.start_mark,
            )

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # unhashable: the base class says so
            if duplicate:
                raise _Refused(
                    problem=f"duplicate key '{key}' (give each key once)",
                    problem_mark=key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def read_limited(path: Path, what: str, limit: int = MAX_BYTES) -> bytes:
    """A regular file's bytes, at most `limit`; never blocks on a FIFO or device."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise StackpickError(f"{what} file not found: {path}") from None
    except IsADirectoryError:
        raise StackpickError(f"{what} file {path} is a folder, not a file") from None
    except OSError as error:
        raise StackpickError(
            f"cannot read {what} file {path}: {error.strerror or error}"
        ) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise StackpickError(f"{what} file {path} is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
            raise StackpickError(f"{what} file {path} is {kind}, not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    except OSError as error:
        raise StackpickError(
            f"cannot read {what} file {path}: {error.strerror or error}"
        ) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise StackpickError(
            f"{what} file {path} is larger than {limit // 1024} KiB; "
            "is it the right file?"
        )
    return data


def read_yaml_mapping(path: Path, what: str) -> dict[str, Any]:
    """A YAML mapping from `path`, or a one-line error saying what is wrong, where."""
    raw = read_limited(path, what)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StackpickError(f"cannot read {what} file {path}: {error}") from None
    return parse_yaml_mapping(text, str(path), what)


def parse_yaml_mapping(text: str, path: str, what: str) -> dict[str, Any]:
    """A YAML mapping from `text` read from `path` (a file or a URL)."""
    loader = StrictLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        invalid = "" if isinstance(error, _Refused) else "invalid YAML"
        raise StackpickError(
            f"{what} file {path}: {invalid or 'refused'}{where}: {problem}"
        ) from None
    finally:
        loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise StackpickError(
            f"{what} file {path} must hold a mapping of key: value, "
            f"not a {type(data).__name__}"
        )
    return data
