"""stackpick: pick Flask or Django for a new web project, say why, and scaffold it."""

from __future__ import annotations

from functools import cache


@cache
def version() -> str:
    """The installed version. Read on demand: importlib.metadata costs ~50 ms of
    start-up, which `--help` and `recommend` should not pay."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("stackpick")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":  # `from stackpick import __version__` keeps working
        return version()
    raise AttributeError(f"module 'stackpick' has no attribute {name!r}")
