"""How long stackpick waits for git and the network, from the environment.

A module of its own so that `--help`, which names the deadlines, does not load the
git layer (its checks compile several patterns at import).
"""

from __future__ import annotations

import os

from stackpick.errors import StackpickError

GIT_TIMEOUT_ENV = "STACKPICK_GIT_TIMEOUT"
NETWORK_TIMEOUT_ENV = "STACKPICK_NETWORK_TIMEOUT"
DEFAULT_GIT_TIMEOUT = 120.0
DEFAULT_NETWORK_TIMEOUT = 30.0
DEADLINES_HELP = (
    f"Deadlines: each git command {DEFAULT_GIT_TIMEOUT:g} s (${GIT_TIMEOUT_ENV}); "
    f"each network connection, read and download {DEFAULT_NETWORK_TIMEOUT:g} s "
    f"(${NETWORK_TIMEOUT_ENV})."
)


def seconds(variable: str, default: float) -> float:
    """A deadline in seconds from the environment; a bad value is bad input."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < 1e6:
        raise StackpickError(f"{variable}={raw!r}: expected a number of seconds > 0")
    return value
