"""Start-up time of the CLI, as a ratio to `python -c pass` measured in the same run.

    python benchmarks/startup.py [--runs N]

Machines here are noisy, so every figure is a median over N runs and is reported
against a baseline taken in the same run, interleaved with the measured commands.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "import copier (for scale)": [sys.executable, "-c", "import copier"],
    "stackpick --help": [sys.executable, "-m", "stackpick", "--help"],
    "stackpick recommend": [sys.executable, "-m", "stackpick", "recommend"],
    "stackpick recommend --json": [
        sys.executable,
        "-m",
        "stackpick",
        "recommend",
        "--json",
    ],
}


def measure(runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, cmd in COMMANDS.items():  # interleaved: noise hits all alike
            # Cold: an empty cache folder, as a first run meets it.
            env = {**os.environ, "XDG_CACHE_HOME": tempfile.mkdtemp()}
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, env=env)
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    medians = measure(args.runs)
    baseline = medians["python -c pass (baseline)"]
    print(f"{'command':32} {'median s':>9} {'x baseline':>11}")
    for name, seconds in medians.items():
        print(f"{name:32} {seconds:9.3f} {seconds / baseline:11.1f}")


if __name__ == "__main__":
    main()
