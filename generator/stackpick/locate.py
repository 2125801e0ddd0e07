"""Where stackpick's own template is (in the wheel, or this checkout's root), and
which team preset applies.

Kept apart from render.py (which loads Copier's helpers, PyYAML and subprocess) so
that commands that only read the questions start fast.
"""

from __future__ import annotations

import os
from pathlib import Path

from stackpick.errors import StackpickError

PACKAGE_DIR = Path(__file__).resolve().parent
PRESET_ENV = "STACKPICK_PRESET"


def bundled_template() -> Path:
    """The template that ships with stackpick: in the wheel, or this checkout's root."""
    packaged = PACKAGE_DIR / "_template"
    if (packaged / "copier.yml").is_file():
        return packaged
    checkout = PACKAGE_DIR.parent.parent
    if (checkout / "copier.yml").is_file():
        return checkout
    raise StackpickError("stackpick's template is missing from this installation")


def preset_path(given: str | Path | None) -> str | None:
    """--preset, else $STACKPICK_PRESET, else none: a path or a URL."""
    if given is not None:
        return str(given)
    env = os.environ.get(PRESET_ENV, "").strip()
    return env or None
