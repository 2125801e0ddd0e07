"""Reading the user's YAML files (answers files, presets) with errors that help."""

from __future__ import annotations

from pathlib import Path

from stackpick.errors import StackpickError

TYPE_CHECKING = False  # typing is slow to import; annotations are strings here
if TYPE_CHECKING:
    from typing import Any


def read_yaml_mapping(path: Path, what: str) -> dict[str, Any]:
    """A YAML mapping from `path`, or a one-line error saying what is wrong, where."""
    import yaml  # only when a file is given: `recommend` alone starts without it

    if not path.exists():
        raise StackpickError(f"{what} file not found: {path}")
    if path.is_dir():
        raise StackpickError(f"{what} file {path} is a folder, not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StackpickError(f"cannot read {what} file {path}: {error}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise StackpickError(
            f"{what} file {path}: invalid YAML{where}: {problem}"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise StackpickError(
            f"{what} file {path} must hold a mapping of key: value, "
            f"not a {type(data).__name__}"
        )
    return data
