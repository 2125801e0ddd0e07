"""Serving an app the way production does, and measuring it.

One sync gunicorn worker on 127.0.0.1, without gunicorn's control socket (two
servers would fight over it), stopped by gunicorn's own PID. Load comes from `wrk`
when it is installed, else from a bounded Python loop; either way only loopback.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from projects import BIN, App

START_TIMEOUT = 60.0


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    first_200: float  # seconds from starting gunicorn to the first 200 for "/"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_of(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


@contextmanager
def serve(app: App) -> Iterator[Server]:
    """Start gunicorn for `app`, wait for a 200 on "/", stop it afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    cmd = [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--worker-class",
        "sync",
        "--no-control-socket",
        "--log-level",
        "warning",
        app.target,
    ]
    log = app.cwd / f"gunicorn-{port}.log"
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            cmd,
            cwd=app.cwd,
            env={**os.environ, **app.env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        while True:
            status = status_of(url)
            if status == 200:
                break
            if status is not None:
                raise RuntimeError(f"{app.name}: GET / answered {status}")
            if process.poll() is not None or time.perf_counter() - started > 60:
                raise RuntimeError(
                    f"{app.name}: gunicorn never answered: {log.read_text()[-400:]}"
                )
            time.sleep(0.005)
        yield Server(url, process, time.perf_counter() - started)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def worker_rss_mib(server: Server) -> float:
    """Resident memory of the (only) worker, from /proc."""
    pid = server.process.pid
    children = open(f"/proc/{pid}/task/{pid}/children").read().split()
    with open(f"/proc/{children[0]}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc")


def requests_per_second(url: str, seconds: float) -> float:
    """Throughput of GET `url` for about `seconds`, by wrk or a Python loop."""
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run(
            [wrk, "-t1", "-c2", f"-d{max(1, round(seconds))}s", url],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        ).stdout
        found = re.search(r"Requests/sec:\s+([\d.]+)", out)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if errors:
            raise RuntimeError(f"{url}: {errors.group(1)} responses were not 2xx")
        if not found:
            raise RuntimeError(f"wrk printed no Requests/sec: {out[-200:]}")
        return float(found.group(1))
    done, deadline = 0, time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline and done < 100_000:
        if status_of(url) != 200:
            raise RuntimeError(f"{url}: a response was not 200")
        done += 1
    return done / (time.perf_counter() - started)
