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
from typing import TYPE_CHECKING, Any

from stackpick.arguments import build_parser, command_in
from stackpick.errors import Aborted, StackpickError, environment_problem

if TYPE_CHECKING:  # pathlib loads with the commands that use it, not for --help
    from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    _tolerant_output()
    try:
        args = build_parser(only=command_in(argv)).parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return 2
        if args.command == "rules":
            code = cmd_rules(args)
        else:
            _check_working_folder()
            code = _run(args)
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


def _run(args: argparse.Namespace) -> int:
    """Run the command; one that may start git runs with git's protections."""
    if not _may_run_git(args):
        return COMMANDS[args.command](args)
    from stackpick.gitsafe import children_die_with_us, protect_process_environment

    protect_process_environment()
    with children_die_with_us():
        return COMMANDS[args.command](args)


def _may_run_git(args: argparse.Namespace) -> bool:
    """Whether the command may start git (or Copier, which does): all but a
    `recommend` without a team preset, which only reads the bundled template.

    Such a run needs neither git's protective environment nor the signal handlers
    that kill git with us (loading them costs a cold start ~3 ms).
    """
    if args.command != "recommend":
        return True
    from stackpick.locate import preset_path

    return preset_path(args.preset) is not None


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
    from pathlib import Path

    from stackpick.locate import bundled_template

    root = bundled_template()
    if template and "://" not in template and (Path(template) / "copier.yml").is_file():
        # A template given with --template may be anything: refuse what is not ours.
        from stackpick.render.copy import load_questions

        return load_questions(Path(template) / "copier.yml")
    from stackpick.decide.questions import Questionnaire

    return Questionnaire(root / "copier.yml")


def _request(args: argparse.Namespace) -> Any:
    from stackpick.decide.answers import Request

    return Request(answers_file=args.answers, data=args.data, preset_file=args.preset)


def cmd_recommend(args: argparse.Namespace) -> int:
    interactive = not args.defaults and _interactive()
    from stackpick.decide.answers import gather

    questions = _questionnaire()
    ask = None
    if interactive:
        from stackpick.interview import Interview
        from stackpick.report import show_recommendation

        ask = Interview(questions, show_recommendation, ask_framework=False)
    # With nothing to ask, a recommendation needs only the answers the rules read.
    outcome = gather(questions, _request(args), ask=ask, factors_only=ask is None)
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
    from pathlib import Path

    from stackpick.decide.answers import Request, gather
    from stackpick.render.copy import check_destination
    from stackpick.render.guard import termination_as_abort
    from stackpick.render.plan import folder_defaults
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
    _check_git_values(args)
    if args.template:
        from stackpick.render.copy import resolve_template

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
        from stackpick.render.copy import render
        from stackpick.render.lock import uv_lock, wants_lock

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
            if wants_lock(args.lock, outcome.answers.get("lock", True))
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
    from stackpick.decide.answers import computed_values
    from stackpick.render.plan import non_default_answers, reproduce_command

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
    from pathlib import Path

    from stackpick.interview import summary_text
    from stackpick.render.plan import planned_files
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

    from stackpick.render.lock import LOCK_FILE, LOCK_LATER_STEP
    from stackpick.render.plan import next_steps

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
    if not (result.path / LOCK_FILE).is_file():
        print(f"  {LOCK_LATER_STEP}")


def cmd_rules(args: argparse.Namespace) -> int:
    from stackpick.decide.rules import load_rules

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
    """The given project folders, then those found below `below`, each once.

    A given folder that does not exist is bad input; a folder below `below` that
    cannot be read is named on stderr (its projects are missing from the list).
    """
    from pathlib import Path

    from stackpick.fleet.state import discover

    found = [Path(p) for p in paths]
    for path in found:
        if not os.path.lexists(path.expanduser()):
            raise StackpickError(f"{path} does not exist")
    if below is not None:
        unreadable: list[str] = []
        found += discover(below, unreadable)
        for problem in unreadable:
            print(
                f"stackpick: cannot read {problem}; projects in it are not listed",
                file=sys.stderr,
            )
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.expanduser().absolute(), path)
    return list(unique)


def _check_git_values(args: argparse.Namespace) -> None:
    """Refuse option- or transport-shaped values before any git or Copier runs."""
    from stackpick.gitsafe import check_ref, check_source

    for flag, value, check in (
        ("--template", getattr(args, "template", None), check_source),
        ("--update-source", getattr(args, "update_source", None), check_source),
        ("--vcs-ref", getattr(args, "vcs_ref", None), check_ref),
        ("--branch", getattr(args, "branch", None), check_ref),
    ):
        if value is not None and (value.strip() or flag != "--update-source"):
            check(value, flag)
    if args.command == "new":
        from stackpick.render.copy import UPDATE_SOURCE_ENV

        recorded = os.environ.get(UPDATE_SOURCE_ENV, "").strip()
        if recorded:
            check_source(recorded, f"${UPDATE_SOURCE_ENV}")


def cmd_update(args: argparse.Namespace) -> int:
    from pathlib import Path

    from stackpick.decide.answers import parse_data

    _check_git_values(args)
    parse_data(args.data, unique=True)  # the user's own pairs: each key once
    if len(args.path) > 1 or args.all_under is not None or args.branch:
        from stackpick.fleet.report import show_update
        from stackpick.fleet.update import FAILED, FleetStopped, update_fleet
        from stackpick.render.guard import shielded

        projects = _projects(args.path, args.all_under)
        _require_projects(args.path)
        if not projects:
            raise StackpickError(f"no stackpick projects below {args.all_under}")
        try:
            results = update_fleet(
                projects, branch=args.branch, vcs_ref=args.vcs_ref, data=args.data
            )
        except FleetStopped as stop:
            with shielded():  # the table is the truth about what was written
                show_update(stop.results)
            raise
        with shielded():
            show_update(results)
        return 2 if any(r.outcome == FAILED for r in results) else 0

    from stackpick.update.project import update_project

    project = Path(args.path[0] if args.path else ".")
    data, recorded, by_preset = _preset_on_update(project, args.data, args.vcs_ref)
    report = update_project(
        project,
        vcs_ref=args.vcs_ref,
        data=data,
        recorded=recorded,
        preset=by_preset,
    )
    print(report.summary())
    return 0


def _preset_on_update(
    project: Path, data: Sequence[str], vcs_ref: str | None
) -> tuple[list[str], list[str], list[str]]:
    """The user's `--data` plus the recorded team preset, applied again: checked
    against the questions of the version the update goes to (the latest release
    when no `--vcs-ref`)."""
    from stackpick.fleet.exports import TemplateExports
    from stackpick.fleet.presets import PresetCache, preset_on_update
    from stackpick.fleet.state import read_answers

    answers = read_answers(project.expanduser())
    if not (answers and answers.get("preset_source")):
        return list(data), [], []
    target = vcs_ref
    if target is None:
        from stackpick.fleet.versions import TemplateTags

        with suppress(StackpickError):  # unreachable: the update itself says so
            target = TemplateTags().latest(str(answers["_src_path"]))
    presets = PresetCache(TemplateExports())
    pins, recorded, by_preset = preset_on_update(
        presets, str(answers["preset_source"]), answers, target
    )
    return [*data, *pins], recorded, by_preset


def _require_projects(paths: Sequence[str]) -> None:
    """Each folder named on the command line must be a stackpick project."""
    from pathlib import Path

    from stackpick.fleet.state import answers_or_reason

    for given in paths:
        answers, reason = answers_or_reason(Path(given).expanduser())
        if answers is None:
            raise StackpickError(f"{given}: {reason}")


def cmd_check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from stackpick.fleet.state import Inspector

    state = Inspector(drift=args.drift).inspect(
        Path(args.path), with_changelog=True, with_git=True
    )
    if args.json:
        from stackpick.fleet.report import as_json

        print(as_json(state))
    else:
        from stackpick.fleet.report import check_text

        for line in check_text(state):
            print(line)
    for reason in state.unknown:
        print(f"stackpick: cannot tell for {state.path}: {reason}", file=sys.stderr)
    return state.exit_code


def cmd_status(args: argparse.Namespace) -> int:
    from stackpick.fleet.state import Inspector

    if not args.path and args.find is None:
        raise StackpickError("give project folders, or --find DIR")
    states = Inspector(drift=args.drift).inspect_all(_projects(args.path, args.find))
    if args.html is not None:
        from stackpick.fleet.board import write_board

        write_board(states, args.html, drift=args.drift)
    if args.json:
        from stackpick.fleet.report import as_json

        print(as_json(states))
    else:
        from stackpick.fleet.report import show_status

        show_status(states)
    if not states:
        print(f"stackpick: no stackpick projects below {args.find}", file=sys.stderr)
    refused = [(state.path, reason) for state in states for reason in state.refused]
    for path, reason in refused:
        print(f"stackpick: refused for {path}: {reason}", file=sys.stderr)
    return 2 if refused else 0


COMMANDS = {
    "recommend": cmd_recommend,
    "new": cmd_new,
    "rules": cmd_rules,
    "update": cmd_update,
    "check": cmd_check,
    "status": cmd_status,
}
