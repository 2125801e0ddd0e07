"""The `stackpick` command line: argument parsing and exit codes only.

Exit codes: 0 done; 2 bad input or usage (one line on stderr, no traceback); 130 when
the user aborts at a prompt; 1 for an unexpected internal error (traceback only with
--debug). Heavy modules (copier, questionary, rich) are imported only by the commands
that need them, so `--help` and `recommend` start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from stackpick.errors import Aborted, StackpickError

TYPE_CHECKING = False  # typing is slow to import; annotations are strings here
if TYPE_CHECKING:
    from typing import Any, NoReturn


def _columns() -> int:
    """The help width argparse would pick, without importing shutil (and with it
    bz2 and lzma) on every start: $COLUMNS, else the terminal's, else 80."""
    try:
        return int(os.environ["COLUMNS"]) - 2
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns - 2
    except (AttributeError, ValueError, OSError):
        return 78


class _Formatter(argparse.HelpFormatter):
    def __init__(self, prog: str, **options: Any) -> None:
        options.setdefault("width", _columns())
        super().__init__(prog, **options)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **options: Any) -> None:
        options.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **options)

    def error(self, message: str) -> NoReturn:
        raise StackpickError(f"{message} (see '{self.prog} --help')")


class _Version(argparse.Action):
    """--version, read only when asked (the installed metadata is slow to load)."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None):
        from stackpick import version

        print(f"stackpick {version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="stackpick",
        description="Pick Flask or Django for a new web project, explain why, "
        "and scaffold it with Copier.",
    )
    parser.add_argument(
        "--version", action=_Version, nargs=0, help="show the version and exit"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser
    )

    def answer_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--answers", type=Path, metavar="FILE", help="YAML answers file"
        )
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
            type=Path,
            metavar="FILE",
            help="team preset YAML (default: $STACKPICK_PRESET)",
        )
        sub.add_argument("--debug", action="store_true", help="show tracebacks")

    rec = commands.add_parser(
        "recommend", help="show which framework the rules pick, and why"
    )
    answer_options(rec)
    rec.add_argument("--json", action="store_true", help="print one JSON object")
    rec.add_argument(
        "--defaults",
        action="store_true",
        help="never prompt (on a terminal, recommend otherwise asks the questions)",
    )

    new = commands.add_parser(
        "new", help="answer the questionnaire and render a project"
    )
    new.add_argument("dest", metavar="DEST", help="folder for the new project")
    answer_options(new)
    new.add_argument("--defaults", action="store_true", help="never prompt")
    new.add_argument(
        "--dry-run",
        action="store_true",
        help="print the answers, the pick and the files; write nothing",
    )
    new.add_argument(
        "--force",
        action="store_true",
        help="render into a non-empty folder (same-named files are replaced)",
    )
    new.add_argument("--template", metavar="SRC", help="template path or git URL")
    new.add_argument(
        "--vcs-ref", metavar="REF", help="template version (tag or commit)"
    )
    new.add_argument(
        "--no-git", action="store_true", help="no git init, no first commit"
    )
    new.add_argument(
        "--update-source",
        metavar="URL",
        help="git URL recorded for `copier update` when rendering from the wheel",
    )

    rules = commands.add_parser("rules", help="the rule table with its sources")
    rules.add_argument("--json", action="store_true", help="print JSON")
    rules.add_argument("--debug", action="store_true", help="show tracebacks")

    upd = commands.add_parser("update", help="apply template changes (copier update)")
    upd.add_argument("path", nargs="?", default=".", help="project folder (default: .)")
    upd.add_argument("--vcs-ref", metavar="REF", help="template version to update to")
    upd.add_argument("--data", "-d", action="append", default=[], metavar="KEY=VALUE")
    upd.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return 2
        return COMMANDS[args.command](args)
    except Aborted as error:
        print(str(error), file=sys.stderr)
        return error.exit_code
    except StackpickError as error:
        print(f"stackpick: {error}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        # The reader went away (`stackpick rules | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("Aborted; nothing was written.", file=sys.stderr)
        return 130
    except SystemExit as error:  # argparse --help / --version
        return int(error.code or 0)
    except Exception as error:
        if debug:
            raise
        print(
            f"stackpick: internal error: {type(error).__name__}: {error} "
            "(run again with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def _questionnaire(template: str | None = None) -> Any:
    from stackpick.locate import bundled_template
    from stackpick.questions import Questionnaire

    root = bundled_template()
    if template and "://" not in template and (Path(template) / "copier.yml").is_file():
        root = Path(template)
    return Questionnaire(root / "copier.yml")


def _request(args: argparse.Namespace) -> Any:
    from stackpick.answers import Request

    return Request(answers_file=args.answers, data=args.data, preset_file=args.preset)


def cmd_recommend(args: argparse.Namespace) -> int:
    from stackpick.answers import gather

    questions = _questionnaire()
    ask = None
    if not args.defaults and _interactive():
        from stackpick.interview import Interview
        from stackpick.report import show_recommendation

        ask = Interview(questions, show_recommendation, ask_framework=False)
    outcome = gather(questions, _request(args), ask=ask)
    if args.json:
        from stackpick.report import as_json

        print(as_json(outcome.recommendation))
    else:
        from stackpick.report import show_recommendation

        show_recommendation(outcome.recommendation)
    return 0


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def cmd_new(args: argparse.Namespace) -> int:
    from stackpick.answers import Request, gather
    from stackpick.plan import folder_defaults
    from stackpick.render import check_destination
    from stackpick.report import show_recommendation

    dest = Path(args.dest)
    if not args.dest.strip():
        raise StackpickError("the destination is empty: give a folder name")
    if not args.dry_run:
        check_destination(dest.absolute(), args.force)  # fail before asking anything
    if args.template:
        from stackpick.render import resolve_template

        resolve_template(args.template)
    questions = _questionnaire(args.template)
    request = Request(
        answers_file=args.answers,
        data=args.data,
        preset_file=args.preset,
        defaults=folder_defaults(questions, args.dest),
        defaults_origin=f"the default from the folder name '{dest.name}'",
    )
    interview = None
    if not args.defaults and _interactive():
        from stackpick.interview import Interview

        interview = Interview(questions, show_recommendation)
    outcome = gather(
        questions,
        request,
        ask=interview,
        require_complete=not args.defaults,
        with_secret=True,
    )
    while interview is not None:  # the summary screen, until accepted or aborted
        from stackpick.errors import Aborted
        from stackpick.interview import ABORT, ACCEPT

        choice = interview.review(outcome.answers, outcome.answers["framework"])
        if choice == ACCEPT:
            break
        if choice == ABORT:
            raise Aborted()
        rec = outcome.recommendation
        interview.changing(
            choice, outcome.answers, followed=rec.framework == rec.rules_framework
        )
        outcome = gather(questions, request, ask=interview, with_secret=True)
    if args.dry_run:
        return _dry_run(args, questions, outcome, request)
    from stackpick.render import render

    result = render(
        dest,
        outcome.answers,
        template=args.template,
        vcs_ref=args.vcs_ref,
        force=args.force,
        git=not args.no_git,
        update_source=args.update_source,
    )
    if interview is None:  # nobody saw the reasons yet: show them with the result
        show_recommendation(outcome.recommendation)
    _print_next_steps(args, questions, outcome, request, result)
    return 0


def _reproduce(
    args: argparse.Namespace, questions: Any, outcome: Any, request: Any
) -> str:
    from stackpick.answers import computed_values
    from stackpick.plan import non_default_answers, reproduce_command

    preset = outcome.preset
    defaults = dict(request.defaults)
    if preset:
        defaults.update(preset.defaults)
    wanted = non_default_answers(
        questions,
        outcome.answers,
        computed_values(
            preset.pin.get("framework") if preset else None,
            f"preset: {preset.name}" if preset else None,
        ),
        defaults,
    )
    for key in preset.pin if preset else ():
        wanted.pop(key, None)
    preset_file = args.preset if args.preset else None
    return reproduce_command(args.dest, wanted, preset_file)


def _dry_run(
    args: argparse.Namespace, questions: Any, outcome: Any, request: Any
) -> int:
    from stackpick.interview import summary_text
    from stackpick.plan import planned_files
    from stackpick.report import show_recommendation

    show_recommendation(outcome.recommendation)
    print(summary_text(questions, outcome.answers, outcome.answers["framework"]))
    files = planned_files(outcome.answers, args.template, args.vcs_ref)
    print(f"Would write {len(files)} files into {Path(args.dest).absolute()}:")
    for name in files:
        print(f"  {name}")
    print("Dry run: nothing was written. To create it:")
    print(f"  {_reproduce(args, questions, outcome, request)}")
    return 0


def _print_next_steps(
    args: argparse.Namespace, questions: Any, outcome: Any, request: Any, result: Any
) -> None:
    import shlex

    from stackpick.plan import next_steps

    answers = outcome.answers
    print(
        f"Created {answers['project_name']!r} ({answers['framework']}) in {result.path}"
    )
    print(
        f"  {len(result.files)} files; why this stack: "
        "docs/decisions/0001-web-framework.md"
    )
    for note in result.notes:
        print(f"  note: {note}")
    print("To create the same project again, non-interactively:")
    print(f"  {_reproduce(args, questions, outcome, request)}")
    print("Next:")
    print(f"  cd {shlex.quote(str(result.path))}")
    for line in next_steps(questions.path.parent, answers):
        print(f"  {line}")
    print("  python -m pytest")


def cmd_rules(args: argparse.Namespace) -> int:
    from stackpick.rules import load_rules

    ruleset = load_rules()
    if args.json:
        import json

        from stackpick.report import rules_as_dict

        print(json.dumps(rules_as_dict(ruleset), indent=2))
    else:
        from stackpick.report import show_rules

        show_rules(ruleset)
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    from stackpick.update import update_project

    summary = update_project(Path(args.path), vcs_ref=args.vcs_ref, data=args.data)
    print(summary)
    return 0


COMMANDS = {
    "recommend": cmd_recommend,
    "new": cmd_new,
    "rules": cmd_rules,
    "update": cmd_update,
}
