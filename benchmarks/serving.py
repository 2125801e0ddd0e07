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

from projects import App

START_TIMEOUT = 60.0


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    first_200: float  # seconds from starting gunicorn to the first 200 for "/"
    first_200_cpu: float  # CPU seconds gunicorn and its worker spent until then


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_of(url: str, cookie: str = "") -> int | None:
    """The status of GET `url` after any redirects, or None when nothing answers."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
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
        str(app.bin / "gunicorn"),
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
        first_200 = time.perf_counter() - started
        yield Server(url, process, first_200, cpu_seconds(process.pid, tree=True))
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def worker_pid(server: Server) -> int:
    pid = server.process.pid
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return int(children.read().split()[0])


def cpu_seconds(pid: int, tree: bool = False) -> float:
    """User + system CPU time of a process (and its children), from /proc.

    On a shared machine CPU time moves far less than wall time, so the report
    shows both.
    """
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    if tree:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            total += sum(cpu_seconds(int(child)) for child in children.read().split())
    return total


def worker_rss_mib(server: Server) -> float:
    """Resident memory of the (only) worker, from /proc."""
    with open(f"/proc/{worker_pid(server)}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc")


def requests_per_second(
    server: Server, seconds: float, path: str = "/", cookie: str = ""
) -> tuple[float, float]:
    """(req/s, requests per worker CPU second) for GET `path` (sending `cookie`, a
    "name=value" pair, when given), by wrk or a Python loop."""
    url = server.url + path.lstrip("/")
    worker = worker_pid(server)
    cpu_before = cpu_seconds(worker)
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run(
            [
                wrk,
                "-t1",
                "-c2",
                f"-d{max(1, round(seconds))}s",
                *(["-H", f"Cookie: {cookie}"] if cookie else []),
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        ).stdout
        rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
        count = re.search(r"(\d+) requests in", out)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if errors:
            raise RuntimeError(f"{url}: {errors.group(1)} answers were not 2xx")
        if not (rate and count):
            raise RuntimeError(f"wrk printed no Requests/sec: {out[-200:]}")
        done, per_second = int(count.group(1)), float(rate.group(1))
    else:
        done, deadline = 0, time.perf_counter() + seconds
        started = time.perf_counter()
        while time.perf_counter() < deadline and done < 100_000:
            if status_of(url, cookie) != 200:
                raise RuntimeError(f"{url}: a response was not 200")
            done += 1
        per_second = done / (time.perf_counter() - started)
    return per_second, done / max(cpu_seconds(worker) - cpu_before, 1e-3)
