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

from stackpick.errors import StackpickError

MAX_BYTES = 1024 * 1024  # an answers file is a few hundred bytes


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
    import yaml  # only when a file is given: `recommend` alone starts without it

    from stackpick.strict_yaml import Refused, StrictLoader

    if "\x00" in text:
        raise StackpickError(f"{what} file {path} holds a NUL byte: not a text file")
    try:
        loader = StrictLoader(text)  # checks every character first
    except yaml.reader.ReaderError as error:
        raise StackpickError(
            f"{what} file {path}: invalid YAML: character #x{error.character:04x} "
            f"at position {error.position} is not allowed"
        ) from None
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        invalid = "" if isinstance(error, Refused) else "invalid YAML"
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
