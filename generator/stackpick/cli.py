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
from contextlib import suppress
from pathlib import Path

from stackpick.errors import Aborted, StackpickError, environment_problem

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


DRIFT_HELP = (
    "also compare every file with a render of the recorded template version "
    "(edited, deleted, added); drift on a preset's locked paths fails"
)


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
            metavar="FILE|URL",
            help="team preset YAML: a path, an https:// URL or git+REPO[@REF]#FILE "
            "(default: $STACKPICK_PRESET)",
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
        "--lock",
        action="store_true",
        help="run `uv lock` after rendering (needs uv and the package index)",
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
    upd.add_argument(
        "path",
        nargs="*",
        metavar="PATH",
        help="project folder (default: .); with several, each is updated on a branch",
    )
    upd.add_argument("--vcs-ref", metavar="REF", help="template version to update to")
    upd.add_argument("--data", "-d", action="append", default=[], metavar="KEY=VALUE")
    upd.add_argument(
        "--all-under",
        type=Path,
        metavar="DIR",
        help="also update every stackpick project found below DIR",
    )
    upd.add_argument(
        "--branch",
        metavar="NAME",
        help="branch for the update commit (default: stackpick/update-vX.Y.Z)",
    )
    upd.add_argument("--debug", action="store_true", help="show tracebacks")

    chk = commands.add_parser(
        "check",
        help="is the project on the latest template and its team preset? (for CI)",
    )
    chk.add_argument("path", nargs="?", default=".", help="project folder (default: .)")
    chk.add_argument("--json", action="store_true", help="print one JSON object")
    chk.add_argument("--drift", action="store_true", help=DRIFT_HELP)
    chk.add_argument("--debug", action="store_true", help="show tracebacks")

    sts = commands.add_parser("status", help="where many projects stand, one row each")
    sts.add_argument("path", nargs="*", metavar="PATH", help="project folders")
    sts.add_argument(
        "--find", type=Path, metavar="DIR", help="every stackpick project below DIR"
    )
    sts.add_argument("--json", action="store_true", help="print a JSON list")
    sts.add_argument("--drift", action="store_true", help=DRIFT_HELP)
    sts.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="also write the fleet as one self-contained HTML page",
    )
    sts.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    _tolerant_output()
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return 2
        if args.command != "rules":
            _check_working_folder()
        code = COMMANDS[args.command](args)
        if sys.stdout is not None:
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except Aborted as error:
        print(str(error), file=sys.stderr)
        return error.exit_code
    except StackpickError as error:
        print(f"stackpick: {error}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        # The reader went away (`stackpick rules | head`): not an error of ours.
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        print("Aborted; nothing was written.", file=sys.stderr)
        return 130
    except SystemExit as error:  # argparse --help / --version
        if isinstance(error.__context__, BrokenPipeError):
            return 0  # rich's own answer to a closed pipe: the same as ours above
        return int(error.code or 0)
    except OSError as error:
        problem = environment_problem(error)
        if problem is None or debug:
            return _internal_error(error, debug)
        print(f"stackpick: {problem}", file=sys.stderr)
        return 2
    except Exception as error:
        return _internal_error(error, debug)


def _internal_error(error: Exception, debug: bool) -> int:
    if debug:
        raise error
    print(
        f"stackpick: internal error: {type(error).__name__}: {error} "
        "(run again with --debug for the traceback)",
        file=sys.stderr,
    )
    return 1


def _tolerant_output() -> None:
    """Never fail on output a terminal cannot show (an emoji on an ASCII terminal).

    The project is written by then: a character the terminal cannot encode is shown
    escaped rather than turned into an error.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with suppress(ValueError, OSError):  # a closed stream
                reconfigure(errors="backslashreplace")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail."""
    with suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _check_working_folder() -> None:
    try:
        os.getcwd()
    except FileNotFoundError:
        raise StackpickError(
            "the current folder no longer exists (it was deleted); "
            "cd into an existing folder and run again"
        ) from None


def _questionnaire(template: str | None = None) -> Any:
    from stackpick.locate import bundled_template

    root = bundled_template()
    if template and "://" not in template and (Path(template) / "copier.yml").is_file():
        # A template given with --template may be anything: refuse what is not ours.
        from stackpick.render import load_questions

        return load_questions(Path(template) / "copier.yml")
    from stackpick.questions import Questionnaire

    return Questionnaire(root / "copier.yml")

    root = bundled_template()
    if template and "://" not in template and (Path(template) / "copier.yml").is_file():
        root = Path(template)
    return load_questions(root / "copier.yml")


def _request(args: argparse.Namespace) -> Any:
    from stackpick.answers import Request

    return Request(answers_file=args.answers, data=args.data, preset_file=args.preset)


def cmd_recommend(args: argparse.Namespace) -> int:
    interactive = not args.defaults and _interactive()
    memo = None
    if args.json and not interactive:  # the same request prints the same JSON
        from stackpick.memo import memo_for

        memo = memo_for(args.data, args.answers, args.preset)
        known = memo.lookup() if memo else None
        if known is not None:
            print(known)
            return 0
    from stackpick.answers import gather

    questions = _questionnaire()
    ask = None
    if interactive:
        from stackpick.interview import Interview
        from stackpick.report import show_recommendation

        ask = Interview(questions, show_recommendation, ask_framework=False)
    outcome = gather(questions, _request(args), ask=ask)
    if args.json:
        from stackpick.report import as_json

        text = as_json(outcome.recommendation)
        print(text)
        if memo is not None:
            memo.store(text)
    else:
        from stackpick.report import show_recommendation

        show_recommendation(outcome.recommendation)
    return 0


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def cmd_new(args: argparse.Namespace) -> int:
    from stackpick.answers import Request, gather
    from stackpick.guard import termination_as_abort
    from stackpick.plan import folder_defaults
    from stackpick.render import check_destination
    from stackpick.report import show_recommendation

    dest = Path(args.dest)
    if not args.dest.strip():
        raise StackpickError("the destination is empty: give a folder name")
    if not args.dry_run:
        check_destination(dest.absolute(), args.force)  # fail before asking anything
    if args.vcs_ref is not None and not args.template:
        raise StackpickError(
            f"--vcs-ref {args.vcs_ref}: the bundled template has no other versions; "
            "give the template too (--template URL --vcs-ref REF)"
        )
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
    with termination_as_abort():  # SIGTERM/SIGHUP clean up like Ctrl-C
        outcome = gather(
            questions,
            request,
            ask=interview,
            require_complete=not args.defaults,
            with_secret=True,
        )
        while interview is not None:  # the summary screen, until accepted or aborted
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
        from stackpick.lock import uv_lock, wants_lock
        from stackpick.render import render

        lock_notes: list[str] = []

        def lock(project: Path) -> None:
            note = uv_lock(project)
            if note:
                lock_notes.append(note)

        result = render(
            dest,
            outcome.answers,
            template=args.template,
            vcs_ref=args.vcs_ref,
            force=args.force,
            git=not args.no_git,
            update_source=args.update_source,
            after_render=lock
            if wants_lock(args.lock, outcome.answers.get("lock"))
            else None,
        )
    result.notes.extend(lock_notes)
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


def _projects(paths: Sequence[str], below: Path | None) -> list[Path]:
    """The given project folders, then those found below `below`, each once."""
    from stackpick.fleet import discover

    found = [Path(p) for p in paths]
    if below is not None:
        found += discover(below)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.expanduser().absolute(), path)
    return list(unique)


def cmd_update(args: argparse.Namespace) -> int:
    if len(args.path) > 1 or args.all_under is not None or args.branch:
        from stackpick.fleet_report import show_update
        from stackpick.fleet_update import FAILED, update_fleet

        projects = _projects(args.path, args.all_under)
        if not projects:
            raise StackpickError(f"no stackpick projects below {args.all_under}")
        results = update_fleet(
            projects, branch=args.branch, vcs_ref=args.vcs_ref, data=args.data
        )
        show_update(results)
        return 2 if any(r.outcome == FAILED for r in results) else 0

    from stackpick.fleet import read_answers
    from stackpick.fleet_presets import PresetCache, preset_data
    from stackpick.update import update_project

    project = Path(args.path[0] if args.path else ".")
    data, recorded = list(args.data), []
    answers = read_answers(project.expanduser())
    if answers and answers.get("preset_source"):  # the team preset, applied again
        preset = PresetCache().load(str(answers["preset_source"]))
        pins, recorded = preset_data(preset, answers)
        data += pins
    report = update_project(project, vcs_ref=args.vcs_ref, data=data, recorded=recorded)
    print(report.summary())
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from stackpick.fleet import Inspector

    state = Inspector(drift=args.drift).inspect(
        Path(args.path), with_changelog=True, with_git=True
    )
    if args.json:
        from stackpick.fleet_report import as_json

        print(as_json(state))
    else:
        from stackpick.fleet_report import check_text

        for line in check_text(state):
            print(line)
    for reason in state.unknown:
        print(f"stackpick: cannot tell for {state.path}: {reason}", file=sys.stderr)
    return state.exit_code


def cmd_status(args: argparse.Namespace) -> int:
    from stackpick.fleet import Inspector

    if not args.path and args.find is None:
        raise StackpickError("give project folders, or --find DIR")
    states = Inspector(drift=args.drift).inspect_all(_projects(args.path, args.find))
    if args.html is not None:
        from stackpick.fleet_board import write_board

        write_board(states, args.html, drift=args.drift)
    if args.json:
        from stackpick.fleet_report import as_json

        print(as_json(states))
    else:
        from stackpick.fleet_report import show_status

        show_status(states)
    if not states:
        print(f"stackpick: no stackpick projects below {args.find}", file=sys.stderr)
    return 0


COMMANDS = {
    "recommend": cmd_recommend,
    "new": cmd_new,
    "rules": cmd_rules,
    "update": cmd_update,
    "check": cmd_check,
    "status": cmd_status,
}
