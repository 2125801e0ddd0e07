"""background_jobs=celery, end to end: a real Redis, a real Celery worker, the example
tasks queued the way the README says (`flask jobs add`, `manage.py count_users`) and
their results read back.

Redis is Debian's redis-server started on 127.0.0.1 by the `redis_server` fixture; the
worker is `celery -A ... worker` run from the rendered project, stopped by its PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from support import BIN, gunicorn, run

SLUG = "my_site"


def render(copie: Any, **answers: Any) -> Path:
    result = copie.copy(
        extra_answers={
            "project_name": "My Site",
            "background_jobs": "celery",
            **answers,
        }
    )
    assert result.exit_code == 0, result.exception
    assert result.project_dir is not None
    return result.project_dir


@contextlib.contextmanager
def celery(
    project: Path, app: str, role: str, env: Mapping[str, str]
) -> Iterator[Path]:
    """`celery -A app ROLE` in the project (one process, solo pool); yields its log."""
    log = project.parent / f"{project.name}-{role}.log"
    args = [BIN / "celery", "-A", app, role, "--loglevel", "INFO"]
    if role == "worker":
        args += ["--pool", "solo", "--without-gossip", "--without-mingle"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(a) for a in args],
            cwd=project,
            env={**run_env(), **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        ready = "ready." if role == "worker" else "beat: Starting"
        deadline = time.monotonic() + 60
        while ready not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"celery {role} did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield log
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def wait_for(predicate: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_flask_worker_runs_the_example_task_from_the_command(
    copie: Any, redis_server: str
) -> None:
    project = render(
        copie,
        framework="flask",
        needs_auth=False,
        needs_api=False,
        needs_admin=False,
        data="none",
    )
    env = {
        "FLASK_CONFIG": "development",
        "REDIS_URL": f"{redis_server}/1",
        "LOG_FORMAT": "json",
    }
    flask = [BIN / "flask", "--app", SLUG]
    # With no worker, the command says how to start one, in one line.
    alone = run(
        [*flask, "jobs", "add", "1", "2", "--timeout", "1"],
        cwd=project,
        env=env,
        check=False,
    )
    assert alone.returncode == 1 and "celery -A make_celery worker" in alone.stderr
    with celery(project, "make_celery", "worker", env) as log:
        # Queued from the command line, run by the worker.
        added = run([*flask, "jobs", "add", "20", "22"], cwd=project, env=env)
        assert added.stdout.splitlines()[-1] == "42"
        # No URL queues tasks, for anyone.
        with gunicorn("wsgi:app", cwd=project, env=env, probe="/healthz") as (base, _):
            body = urllib.parse.urlencode({"a": "20", "b": "22"}).encode()
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"{base}/jobs/add", data=body)
            assert refused.value.code == 404
        # The periodic task runs on the worker, inside the app context.
        called = run(
            [BIN / "celery", "-A", "make_celery", "call", f"{SLUG}.tasks.heartbeat"],
            cwd=project,
            env=env,
        )
        assert called.stdout.strip()
        wait_for(lambda: "heartbeat" in log.read_text(), "the heartbeat in the log")
    text = log.read_text()
    assert f"{SLUG}.tasks.add_together" in text and "succeeded" in text
    # The worker keeps the app's structured logging: the task's own line is JSON.
    adding = [json.loads(line) for line in text.splitlines() if '"adding"' in line]
    assert {(line["a"], line["b"]) for line in adding} == {(1, 2), (20, 22)}


@pytest.mark.slow
def test_django_worker_and_beat(copie: Any, redis_server: str, tmp_path: Path) -> None:
    project = render(
        copie,
        framework="django",
        needs_api=False,
        needs_admin=False,
        database="sqlite",
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": f"{redis_server}/2",
        "DJANGO_LOG_FORMAT": "json",
    }
    manage = [sys.executable, "manage.py"]
    run([*manage, "migrate", "--noinput"], cwd=project, env=env)
    run(
        [
            *manage,
            "shell",
            "-c",
            "from accounts.models import User; User.objects.create_user('ada')",
        ],
        cwd=project,
        env=env,
    )
    with celery(project, "config", "worker", env) as log:
        counted = run([*manage, "count_users"], cwd=project, env=env)
        assert counted.stdout.strip().splitlines()[-1] == "1"
    # The worker logs through Django's LOGGING: JSON lines.
    records = [
        json.loads(line)
        for line in log.read_text().splitlines()
        if line.startswith("{") and "count_users" in line
    ]
    assert any("succeeded" in r["message"] for r in records), log.read_text()

    # beat copies CELERY_BEAT_SCHEDULE into django-celery-beat's tables.
    query = (
        "from django_celery_beat.models import PeriodicTask;"
        " print(PeriodicTask.objects.filter(name='clear-expired-sessions')"
        ".values_list('task', flat=True).first())"
    )
    with celery(project, "config", "beat", env):
        scheduled = wait_for(
            lambda: (
                run([*manage, "shell", "-c", query], cwd=project, env=env)
                .stdout.strip()
                .splitlines()[-1]
                .replace("None", "")
            ),
            "the beat schedule in the database",
        )
    assert scheduled == "jobs.tasks.clear_expired_sessions"
