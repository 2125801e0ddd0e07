"""The command line's grammar: one function per command's options.

`build_parser(only=...)` gives every command its name and help line (so `--help`
lists them all) but the options of the one command being run only: argparse spends
most of its start-up on options, and a run needs just its own command's.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from stackpick.deadlines import DEADLINES_HELP
from stackpick.errors import StackpickError

if TYPE_CHECKING:
    from pathlib import Path

DRIFT_HELP = (
    "also compare every file with a render of the recorded template version "
    "(edited, deleted, added); drift on a preset's locked paths fails"
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise StackpickError(f"{message} (see '{self.prog} --help')")


class _Version(argparse.Action):
    """--version, read only when asked (the installed metadata is slow to load)."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None):
        from stackpick import version

        print(f"stackpick {version()}")
        parser.exit()


def _path(text: str) -> Path:
    """A path argument: pathlib loads when a command reads one, not for `--help`."""
    from pathlib import Path

    return Path(text)


def _flag(sub: argparse.ArgumentParser, name: str, help: str) -> None:
    """An option that is off unless given."""
    sub.add_argument(name, action="store_true", help=help)


def _debug(sub: argparse.ArgumentParser) -> None:
    _flag(sub, "--debug", "show tracebacks")


def _answer_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--answers", type=_path, metavar="FILE", help="YAML answers file")
    sub.add_argument(
        "--data",
        "-d",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="one answer (repeatable); beats --answers",
    )
    sub.add_argument(
        "--preset",
        metavar="FILE|URL",
        help="team preset YAML: a path, an https:// URL or git+REPO[@REF]#FILE "
        "(default: $STACKPICK_PRESET)",
    )
    _debug(sub)


def _recommend(sub: argparse.ArgumentParser) -> None:
    _answer_options(sub)
    _flag(sub, "--json", "print one JSON object")
    _flag(
        sub,
        "--defaults",
        "never prompt (on a terminal, recommend otherwise asks the questions)",
    )


def _new(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("dest", metavar="DEST", help="folder for the new project")
    _answer_options(sub)
    _flag(sub, "--defaults", "never prompt")
    _flag(sub, "--dry-run", "print the answers, the pick and the files; write nothing")
    _flag(
        sub, "--force", "render into a non-empty folder (same-named files are replaced)"
    )
    sub.add_argument("--template", metavar="SRC", help="template path or git URL")
    sub.add_argument(
        "--vcs-ref", metavar="REF", help="template version (tag or commit)"
    )
    _flag(sub, "--no-git", "no git init, no first commit")
    sub.add_argument(
        "--lock",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write uv.lock with `uv lock` before the first commit (the default, "
        "when uv and the package index are reachable); --no-lock skips it",
    )
    sub.add_argument(
        "--update-source",
        metavar="URL",
        help="git URL recorded for `copier update` when rendering from the wheel",
    )


def _rules(sub: argparse.ArgumentParser) -> None:
    _flag(sub, "--json", "print JSON")
    _debug(sub)


def _update(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "path",
        nargs="*",
        metavar="PATH",
        help="project folder (default: .); with several, each is updated on a branch",
    )
    sub.add_argument("--vcs-ref", metavar="REF", help="template version to update to")
    sub.add_argument("--data", "-d", action="append", default=[], metavar="KEY=VALUE")
    sub.add_argument(
        "--all-under",
        type=_path,
        metavar="DIR",
        help="also update every stackpick project found below DIR",
    )
    sub.add_argument(
        "--branch",
        metavar="NAME",
        help="branch for the update commit (default: stackpick/update-vX.Y.Z)",
    )
    _debug(sub)


def _check(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("path", nargs="?", default=".", help="project folder (default: .)")
    _flag(sub, "--json", "print one JSON object")
    _flag(sub, "--drift", DRIFT_HELP)
    _debug(sub)


def _status(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("path", nargs="*", metavar="PATH", help="project folders")
    sub.add_argument(
        "--find", type=_path, metavar="DIR", help="every stackpick project below DIR"
    )
    _flag(sub, "--json", "print a JSON list")
    _flag(sub, "--drift", DRIFT_HELP)
    sub.add_argument(
        "--html",
        type=_path,
        metavar="FILE",
        help="also write the fleet as one self-contained HTML page",
    )
    _debug(sub)


# name: (help line, shows the deadlines, its options), in the order --help lists them
COMMAND_OPTIONS: dict[
    str, tuple[str, bool, Callable[[argparse.ArgumentParser], None]]
] = {
    "recommend": ("show which framework the rules pick, and why", False, _recommend),
    "new": ("answer the questionnaire and render a project", True, _new),
    "rules": ("the rule table with its sources", False, _rules),
    "update": ("apply template changes (copier update)", True, _update),
    "check": (
        "is the project on the latest template and its team preset? (for CI)",
        True,
        _check,
    ),
    "status": ("where many projects stand, one row each", True, _status),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, the options of that command alone (the others keep
    their name and help line)."""
    parser = _Parser(
        prog="stackpick",
        description="Pick Flask or Django for a new web project, explain why, "
        "and scaffold it with Copier.",
        epilog=DEADLINES_HELP,
    )
    parser.add_argument(
        "--version", action=_Version, nargs=0, help="show the version and exit"
    )
    _debug(parser)
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser
    )
    for name, (line, deadlines, options) in COMMAND_OPTIONS.items():
        sub = commands.add_parser(
            name, help=line, epilog=DEADLINES_HELP if deadlines else None
        )
        if only is None or only == name:
            options(sub)
    return parser


def command_in(argv: list[str]) -> str | None:
    """The command `argv` runs: its first word that is not an option (the top-level
    options take no value), or None."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMAND_OPTIONS else None
    return None
