"""Every performance promise of issue 15, measured side by side in one run.

    python benchmarks/run.py [--runs N] [--seconds S] [--only cli,render,django,flask]

Each row compares stackpick (or a project it renders) with a baseline built and
measured in the same run, interleaved, so a busy machine slows both alike; figures
are medians. The table shows the ratio next to its goal. It is a report, not a test:
the script always exits 0 and prints any failure in its row, so CI can show it
without failing on a noisy machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import projects
import serving


@dataclass
class Row:
    measure: str
    unit: str
    baseline: float
    value: float
    goal: str  # "<= 3" or ">= 0.7"

    @property
    def ratio(self) -> float:
        return self.value / self.baseline

    @property
    def met(self) -> bool:
        op, limit = self.goal.split()
        return self.ratio <= float(limit) if op == "<=" else self.ratio >= float(limit)


def timed(cmd: list, cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True
    )
    return time.perf_counter() - started


def interleaved(commands: dict[str, Callable[[int], list]], runs: int, cwd: Path):
    """Median seconds per command; command builders get the run number."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for run in range(runs):
        for name, build in commands.items():
            samples[name].append(timed(build(run), cwd))
    return {name: statistics.median(values) for name, values in samples.items()}


def cli_rows(work: Path, args: argparse.Namespace) -> list[Row]:
    py = sys.executable
    medians = interleaved(
        {
            "pass": lambda _: [py, "-c", "pass"],
            "help": lambda _: [py, "-m", "stackpick", "--help"],
            "json": lambda _: [py, "-m", "stackpick", "recommend", "--json"],
        },
        args.runs * 2,
        work,
    )
    base = medians["pass"]
    return [
        Row("`stackpick --help` / `python -c pass`", "s", base, medians["help"], "<= 3"),
        Row(
            "`stackpick recommend --json` / `python -c pass`",
            "s",
            base,
            medians["json"],
            "<= 4",
        ),
    ]


def render_rows(work: Path, args: argparse.Namespace) -> list[Row]:
    out = work / "render"
    out.mkdir()
    medians = interleaved(
        {
            "startproject": lambda n: projects.startproject_cmd(out / f"sp{n}"),
            "new": lambda n: projects.stackpick_new_cmd(
                out / f"new{n}", projects.DJANGO_FULL
            ),
        },
        args.runs,
        work,
    )
    return [
        Row(
            "`stackpick new` (Django, API + admin) / `django-admin startproject`",
            "s",
            medians["startproject"],
            medians["new"],
            "<= 2.5",
        )
    ]


def django_rows(work: Path, args: argparse.Namespace) -> list[Row]:
    bare, starter = projects.bare_django(work), projects.django_starter(work)
    rates: dict[str, list[float]] = {"bare": [], "starter": []}
    with serving.serve(bare) as bare_server, serving.serve(starter) as starter_server:
        for name, server in (("bare", bare_server), ("starter", starter_server)):
            serving.requests_per_second(server.url, 1)  # warm up
        for _ in range(max(1, args.runs // 2)):
            for name, server in (("bare", bare_server), ("starter", starter_server)):
                rates[name].append(serving.requests_per_second(server.url, args.seconds))
    return [
        Row(
            "Django starter home page req/s / startproject hello-world view",
            "req/s",
            statistics.median(rates["bare"]),
            statistics.median(rates["starter"]),
            ">= 0.7",
        )
    ]


def flask_rows(work: Path, args: argparse.Namespace) -> list[Row]:
    apps = {
        "bare": projects.bare_flask(work),
        "full": projects.flask_starter(work, "flask full", projects.FLASK_FULL),
        "micro": projects.flask_starter(work, "flask micro", projects.FLASK_MICRO),
    }
    first: dict[str, list[float]] = {name: [] for name in apps}
    rss: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(args.runs):
        for name, app in apps.items():
            with serving.serve(app) as server:
                first[name].append(server.first_200)
                rss[name].append(serving.worker_rss_mib(server))
    med = {
        kind: {name: statistics.median(v) for name, v in values.items()}
        for kind, values in (("first", first), ("rss", rss))
    }
    return [
        Row(
            "full Flask starter worker RSS / bare Flask",
            "MiB",
            med["rss"]["bare"],
            med["rss"]["full"],
            "<= 1.6",
        ),
        Row(
            "full Flask starter start to first 200 / bare Flask",
            "s",
            med["first"]["bare"],
            med["first"]["full"],
            "<= 2",
        ),
        Row(
            "Flask microservice worker RSS / bare Flask",
            "MiB",
            med["rss"]["bare"],
            med["rss"]["micro"],
            "<= 1.3",
        ),
        Row(
            "Flask microservice start to first 200 / bare Flask",
            "s",
            med["first"]["bare"],
            med["first"]["micro"],
            "<= 1.5",
        ),
    ]


SECTIONS = {
    "cli": cli_rows,
    "render": render_rows,
    "django": django_rows,
    "flask": flask_rows,
}


def print_row(row: Row) -> None:
    verdict = "met" if row.met else "NOT MET"
    print(
        f"| {row.measure} | {row.baseline:.3g} {row.unit} | {row.value:.3g} {row.unit}"
        f" | {row.ratio:.2f}x | {row.goal} | {verdict} |",
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
    print("| measure | baseline | stackpick | ratio | goal | |")
    print("|---|---|---|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory(prefix="stackpick-bench-") as tmp:
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
