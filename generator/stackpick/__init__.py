"""stackpick: pick Flask or Django for a new web project, say why, and scaffold it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stackpick")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"
