"""Every performance promise (issues 15 and 27), measured side by side in one run.

    python benchmarks/run.py [--runs N] [--seconds S]
                             [--only cli,render,django,flask,peers]

Each row compares stackpick (or a project it renders) with a baseline built and
measured in the same run, interleaved, so a busy machine slows both alike; figures
are medians. The table shows the ratio next to its goal. It is a report, not a test:
the script always exits 0 and prints any failure in its row, so CI can show it
without failing on a noisy machine. The goals are for wall time; the same ratio in
CPU time (gunicorn's worker for req/s) is shown beside it, as it moves far less when
other work shares the machine.

The command-line rows are cold, as every user first meets them: each run gets an empty
cache folder (a fresh XDG_CACHE_HOME); stackpick keeps nothing between runs anyway.
`stackpick new --no-lock` is held to plain `copier copy` of the same template and
answers (the wrapper's own cost: staging, checks, git).

Reference rows (no goal) show where the rest of the cost lies: `stackpick new`
against `django-admin startproject`; `new` with its default `uv lock` (against the
package index, with an empty uv cache as every cold run here) against `--no-lock`;
the Django starter's own stack serving the hello-world view; bare Flask importing
every library module a Flask starter's worker imports (nothing of the starter's own).

The peer rows (issue 24) hold our starters to the peer starters a user would otherwise
pick, served side by side on one PostgreSQL: the ratio is ours / the peer's. They
need local checkouts of the peers' templates (see benchmarks/peers.py for the
environment variables); without them the rows say "skipped" and why.

Everything runs from byte-compiled modules, as an installed package does (pip and uv
compile at install time; a served project writes its own on the first start). With
PYTHONDONTWRITEBYTECODE set, as in CI, the baselines' site-packages are compiled but
stackpick's checkout and the rendered projects are not, so every run would charge
them alone for compiling their source. The bytecode goes to a cache folder inside the
run's temporary folder (PYTHONPYCACHEPREFIX), and a first, unmeasured round of every
command fills it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import peers
import projects
import serving


@dataclass
class Row:
    """One promise: the measured value against its baseline, in wall and CPU time."""

    measure: str
    unit: str
    baseline: float
    value: float
    goal: str  # "<= 3" or ">= 0.7"; "" for a reference row, which has none
    cpu_ratio: float | None = None  # the same ratio in CPU time, when it applies

    @property
    def ratio(self) -> float:
        return self.value / self.baseline

    @property
    def met(self) -> bool:
        op, limit = self.goal.split()
        return self.ratio <= float(limit) if op == "<=" else self.ratio >= float(limit)


Sample = tuple[float, float]  # (wall seconds, CPU seconds)


def timed(cmd: list, cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Wall and CPU time of a command, its subprocesses (git...) included."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def medians(samples: list[Sample]) -> Sample:
    return (
        statistics.median(s[0] for s in samples),
        statistics.median(s[1] for s in samples),
    )


def cold(cwd: Path) -> dict[str, str]:
    """The environment of a first run: an empty cache folder of its own."""
    return {**os.environ, "XDG_CACHE_HOME": tempfile.mkdtemp(prefix="cache-", dir=cwd)}


def interleaved(commands: dict[str, Callable[[int], list]], runs: int, cwd: Path):
    """Median (wall, CPU) per command, each run cold; builders get the run number.

    Run -1 is the unmeasured warm-up (bytecode, the OS's disk cache)."""
    for build in commands.values():
        timed(build(-1), cwd, cold(cwd))
    samples: dict[str, list[Sample]] = {name: [] for name in commands}
    for run in range(runs):
        for name, build in commands.items():
            samples[name].append(timed(build(run), cwd, cold(cwd)))
    return {name: medians(values) for name, values in samples.items()}


def timing_row(measure: str, base: Sample, value: Sample, goal: str = "") -> Row:
    return Row(measure, "s", base[0], value[0], goal, value[1] / base[1])


def cli_rows(work: Path, args: argparse.Namespace) -> list[Row]:
    py = sys.executable
    found = interleaved(
        {
            "pass": lambda _: [py, "-c", "pass"],
            "help": lambda _: [py, "-m", "stackpick", "--help"],
            "json": lambda _: [py, "-m", "stackpick", "recommend", "--json"],
        },
        args.runs * 2,
        work,
    )
    return [
        timing_row(
            "`stackpick --help` / `python -c pass` (cold)",
            found["pass"],
            found["help"],
            "<= 3",
        ),
        timing_row(
            "`stackpick recommend --json` / `python -c pass` (cold)",
            found["pass"],
            found["json"],
            "<= 5",
        ),
    ]


def render_rows(work: Path, args: argparse.Namespace) -> list[Row]:
    """`stackpick new` against plain `copier copy` of the same template and answers
    (the wrapper's own cost); for reference, against `django-admin startproject`."""
    out = work / "render"
    out.mkdir()
    found = interleaved(
        {
            "startproject": lambda n: projects.startproject_cmd(out / f"sp{n}"),
            "new": lambda n: projects.stackpick_new_cmd(
                out / f"new{n}", projects.DJANGO_FULL
            ),
            "locked": lambda n: projects.stackpick_new_cmd(
                out / f"locked{n}", projects.DJANGO_FULL, lock=True
            ),
            "copier": lambda n: projects.copier_copy_cmd(
                out / f"copier{n}", projects.DJANGO_FULL
            ),
        },
        args.runs,
        work,
    )
    return [
        timing_row(
            "`stackpick new --no-lock` (Django, API + admin) / plain `copier copy` "
            "of that template and answers",
            found["copier"],
            found["new"],
            "<= 1.3",
        ),
        timing_row(
            "(reference) `stackpick new --no-lock` / `django-admin startproject`",
            found["startproject"],
            found["new"],
        ),
        timing_row(
            "(reference) `stackpick new` (with `uv lock`, cold cache) / "
            "`stackpick new --no-lock`",
            found["new"],
            found["locked"],
        ),
    ]


def django_rows(work: Path, args: argparse.Namespace) -> list[Row]:
    """The home page against a hello-world view; for reference, the same hello-world
    view served through the starter's settings, apps and middleware, which shows what
    the page itself costs."""
    starter = projects.django_starter(work)
    apps = {
        "bare": projects.bare_django(work),
        "starter": starter,
        "stack": projects.django_stack_hello(starter),
    }
    rates: dict[str, list[Sample]] = {name: [] for name in apps}
    with ExitStack() as stack:
        servers = {
            name: stack.enter_context(serving.serve(app)) for name, app in apps.items()
        }
        for server in servers.values():
            serving.requests_per_second(server, 1)  # warm up
        for _ in range(args.runs):
            for name, server in servers.items():
                rates[name].append(serving.requests_per_second(server, args.seconds))
    found = {name: medians(values) for name, values in rates.items()}
    return [
        Row(
            measure,
            "req/s",
            found["bare"][0],
            found[name][0],
            goal,
            found[name][1] / found["bare"][1],  # requests per worker CPU second
        )
        for name, measure, goal in (
            (
                "starter",
                "Django starter home page req/s / startproject hello-world view",
                ">= 0.7",
            ),
            (
                "stack",
                "(reference) the starter's stack serving that hello-world view",
                "",
            ),
        )
    ]


def flask_rows(work: Path, args: argparse.Namespace) -> list[Row]:
    """Each starter against bare Flask; for reference, bare Flask importing every
    library module that starter's worker imports, which shows what is the libraries'."""
    full = projects.flask_starter(work, "full Flask starter", projects.FLASK_FULL)
    micro = projects.flask_starter(work, "Flask microservice", projects.FLASK_MICRO)
    apps = {
        "bare": projects.bare_flask(work),
        "full": full,
        "full libraries": projects.libraries_alone(work, full),
        "micro": micro,
        "micro libraries": projects.libraries_alone(work, micro),
    }
    first: dict[str, list[Sample]] = {name: [] for name in apps}
    rss: dict[str, list[float]] = {name: [] for name in apps}
    for app in apps.values():  # warm-up: the first start compiles the bytecode
        with serving.serve(app):
            pass
    for _ in range(args.runs):
        for name, app in apps.items():
            with serving.serve(app) as server:
                first[name].append((server.first_200, server.first_200_cpu))
                rss[name].append(serving.worker_rss_mib(server))
    first_200 = {name: medians(values) for name, values in first.items()}
    memory = {name: statistics.median(values) for name, values in rss.items()}
    rows = []
    for name, label, rss_goal, first_goal in (
        ("full", "full Flask starter", "<= 1.6", "<= 2"),
        ("full libraries", "(reference) its libraries alone", "", ""),
        ("micro", "Flask microservice", "<= 1.3", "<= 1.5"),
        ("micro libraries", "(reference) its libraries alone", "", ""),
    ):
        rows.append(
            Row(
                f"{label} worker RSS / bare Flask",
                "MiB",
                memory["bare"],
                memory[name],
                rss_goal,
            )
        )
        rows.append(
            timing_row(
                f"{label} start to first 200 / bare Flask",
                first_200["bare"],
                first_200[name],
                first_goal,
            )
        )
    return rows


def peer_rows(work: Path, args: argparse.Namespace) -> list[Row | peers.Skip]:
    """Our starters against cookiecutter-django and cookiecutter-flask (peers.py)."""
    return [
        found
        if isinstance(found, peers.Skip)
        else Row(
            found.measure,
            found.unit,
            found.peer,
            found.ours,
            found.goal,
            found.cpu_ratio,
        )
        for found in peers.rows(work, args.runs, args.seconds)
    ]


SECTIONS = {
    "cli": cli_rows,
    "render": render_rows,
    "django": django_rows,
    "flask": flask_rows,
    "peers": peer_rows,
}


def print_row(row: Row | peers.Skip) -> None:
    if isinstance(row, peers.Skip):
        print(f"| {row.measure} | skipped: {row.reason} | | | | | |", flush=True)
        return
    verdict = "reference" if not row.goal else "met" if row.met else "NOT MET"
    cpu = "" if row.cpu_ratio is None else f"{row.cpu_ratio:.2f}x"
    print(
        f"| {row.measure} | {row.baseline:.3g} {row.unit} | {row.value:.3g} {row.unit}"
        f" | {row.ratio:.2f}x | {cpu} | {row.goal} | {verdict} |",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="repeats per measure")
    parser.add_argument(
        "--seconds", type=float, default=3, help="load time per req/s sample"
    )
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections to run")
    args = parser.parse_args()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load}; medians of {args.runs} runs\n")
    print("| measure | baseline | stackpick | ratio | ratio in CPU time | goal | |")
    print("|---|---|---|---|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory(prefix="stackpick-bench-") as tmp:
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # children inherit both
        os.environ["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "bytecode")
        for name in args.only.split(","):
            work = Path(tmp) / name
            work.mkdir()
            try:
                for row in SECTIONS[name](work, args):
                    print_row(row)
            except Exception as error:  # a report: show the failure, carry on
                print(f"| {name}: could not measure | {type(error).__name__}: {error}")
                traceback.print_exc(file=sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
