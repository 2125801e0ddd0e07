"""Fleet commands per project, as a ratio to one `stackpick new` timed in the same run.

    python benchmarks/fleet.py [--projects N] [--runs R]

Builds a throwaway template (a clone of this repository tagged v90.0.0, then v90.1.0
with one more file) and N projects of both frameworks at v90.0.0 with `stackpick new
--no-lock` (each timed: their median is the baseline). Then times, R times each:
- `stackpick status` of the whole fleet (one `git ls-remote` for the template),
- `stackpick status --drift` of the fleet, cold (an empty render cache: one render per
  distinct version and answers) and warm (every render cached by an earlier run), and
- `stackpick update --all-under` of the fleet (every project to v90.1.0 on its own
  branch, in one process); the branches are deleted between runs, so every run does
  the same work.
Each figure is printed as seconds per project and as a ratio to one `stackpick new`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "generator"), os.environ.get("PYTHONPATH", "")]
    ),
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}
BRANCH = "stackpick/update-v90.1.0"


def run(*cmd: str | Path, cwd: Path) -> float:
    """Run a command (it must succeed); its wall time in seconds."""
    start = time.perf_counter()
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=ENV, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def stackpick(*args: str | Path, cwd: Path, cache: Path | None = None) -> float:
    if cache is not None:
        ENV["XDG_CACHE_HOME"] = str(cache)
    try:
        return run(sys.executable, "-m", "stackpick", *args, cwd=cwd)
    finally:
        ENV.pop("XDG_CACHE_HOME", None)


def build_template(work: Path) -> Path:
    template = work / "template"
    run("git", "clone", "-q", ROOT, template, cwd=work)
    run("git", "tag", "v90.0.0", cwd=template)
    for framework in ("flask", "django"):
        (template / f"template-{framework}" / "CONTRIBUTING.md").write_text(
            "# Contributing\n\nOpen a pull request.\n"
        )
    run("git", "add", "-A", cwd=template)
    run("git", "commit", "-qm", "v90.1.0", cwd=template)
    run("git", "tag", "v90.1.0", cwd=template)
    return template


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stackpick-fleet-bench-") as tmp:
        work = Path(tmp)
        template = build_template(work)
        fleet = work / "fleet"
        fleet.mkdir()
        projects = []
        new_times = []
        for i in range(args.projects):
            framework = ("flask", "django")[i % 2]
            project = fleet / f"{framework}-{i:02}"
            pick = ("-d", f"framework={framework}", "--vcs-ref", "v90.0.0")
            new = ("new", project, "--defaults", "--no-lock", "--template", template)
            new += pick
            new_times.append(stackpick(*new, cwd=work))
            projects.append(project)
        status_times, update_times, cold_times, warm_times = [], [], [], []
        for run_number in range(args.runs):
            status_times.append(stackpick("status", *projects, "--json", cwd=work))
            cache = work / f"cache-{run_number}"
            drift = ("status", *projects, "--drift", "--json")
            cold_times.append(stackpick(*drift, cwd=work, cache=cache))
            warm_times.append(stackpick(*drift, cwd=work, cache=cache))
            update_times.append(stackpick("update", "--all-under", fleet, cwd=work))
            for project in projects:
                run("git", "branch", "-q", "-D", BRANCH, cwd=project)
    new = statistics.median(new_times)
    count = args.projects
    print(f"fleet of {count} projects (flask and django), medians of {args.runs} runs")
    print(f"{'step':34} {'total s':>8} {'s/project':>10} {'x new':>6}")
    print(f"{'stackpick new (one project)':34} {new:8.2f} {new:10.2f} {1:6.2f}")
    for name, times in (
        ("stackpick status (fleet)", status_times),
        ("stackpick status --drift, cold", cold_times),
        ("stackpick status --drift, warm", warm_times),
        ("stackpick update --all-under", update_times),
    ):
        total = statistics.median(times)
        each = total / count
        print(f"{name:34} {total:8.2f} {each:10.2f} {each / new:6.2f}")


if __name__ == "__main__":
    main()
