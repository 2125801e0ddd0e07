"""Update pull requests that merge cleanly: the lock, migration forks, the deploy notes.

The fast tests read trees of files as `update_deploy` does (no project is run). The
slow one makes a template version that does what breaks updates in practice: it adds
a dependency (a stale `uv.lock`), a Django migration and an Alembic revision beside
the project's own (two leaves, two heads), an environment variable and a question;
then `stackpick update --branch` runs on a Django and a Flask project that each added
a migration of their own, and must re-lock, name the merge commands, answer the new
question without prompting (the Flask project's team preset answers it, the Django
project gets its default), and say what to do before deploying.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stackpick.update import deploy
from support import clone_template, commit_and_tag, sh, stackpick

DJANGO_0002 = """from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("items", "0001_initial")]
    operations = []
"""


def alembic(revision: str, down: str | None) -> bytes:
    down_text = f'"{down}"' if down else "None"
    return (
        f'"""A revision."""\n\nrevision = "{revision}"\n'
        f"down_revision: str | None = {down_text}\n"
    ).encode()


def test_django_leaves_are_read_from_the_files() -> None:
    files = {
        "items/migrations/0001_initial.py": b"dependencies = []\n",
        "items/migrations/0002_template.py": DJANGO_0002.encode(),
        "items/migrations/0002_ours.py": DJANGO_0002.encode(),
        "items/migrations/__init__.py": b"",
        "accounts/migrations/0001_initial.py": b"dependencies = []\n",
    }
    assert deploy.django_leaves(files) == {
        "items": ["0002_ours", "0002_template"],
        "accounts": ["0001_initial"],
    }
    assert deploy.migration_forks(files) == [
        "Django app 'items' has 2 leaf migrations (0002_ours, 0002_template): "
        "run `python manage.py makemigrations --merge items`"
    ]


def test_alembic_heads_and_a_merge_revision() -> None:
    files = {
        "migrations/versions/a_initial.py": alembic("aaa", None),
        "migrations/versions/b_template.py": alembic("bbb", "aaa"),
        "migrations/versions/c_ours.py": alembic("ccc", "aaa"),
    }
    assert deploy.alembic_heads(files) == ["bbb", "ccc"]
    assert "flask db merge heads" in deploy.migration_forks(files)[0]
    files["migrations/versions/d_merge.py"] = (
        b'revision = "ddd"\ndown_revision = ("bbb", "ccc")\n'
    )
    assert deploy.alembic_heads(files) == ["ddd"]
    assert deploy.migration_forks(files) == []


def test_before_you_deploy_names_variables_migrations_and_versions() -> None:
    before = {
        ".env.example": b"SECRET_KEY=change-me\n# SENTRY_DSN=\nOLD_FLAG=1\n",
        "pyproject.toml": b'[project]\nrequires-python = ">=3.11"\n'
        b'dependencies = ["django>=5.2,<6"]\n',
    }
    after = {
        ".env.example": b"SECRET_KEY=change-me\n# SENTRY_DSN=\nSITE_URL=https://x\n",
        "pyproject.toml": b'[project]\nrequires-python = ">=3.12"\n'
        b'dependencies = ["django>=6.1,<6.2"]\n',
        "items/migrations/0003_more.py": DJANGO_0002.encode(),
    }
    assert deploy.before_you_deploy(before, after, {"greeting": "hello"}) == [
        "set the new environment variables (see .env.example): SITE_URL",
        "no longer read, remove from deployments: OLD_FLAG",
        "new migrations to run: items/migrations/0003_more.py",
        "Python requirement changed: >=3.11 -> >=3.12",
        "Django requirement changed: django>=5.2,<6 -> django>=6.1,<6.2",
        "new question 'greeting' answered 'hello' (its default)",
    ]
    by_preset = deploy.before_you_deploy(
        before, before, {"greeting": "hi"}, {"greeting"}
    )
    assert by_preset == ["new question 'greeting' answered 'hi' (the team preset)"]
    assert deploy.before_you_deploy(before, before, {}) == []


def test_no_relock_without_a_lock_or_a_dependency_change(tmp_path: Path) -> None:
    pyproject = b'[project]\ndependencies = ["flask"]\n'
    same = {"pyproject.toml": pyproject, "uv.lock": b"version = 1\n"}
    assert deploy.relock(tmp_path, same, same) == (None, None)
    changed = {"pyproject.toml": pyproject.replace(b"flask", b"flask>=3")}
    assert deploy.relock(tmp_path, {"pyproject.toml": pyproject}, changed) == (
        None,
        None,
    )


def add_template_version(template: Path) -> None:
    """v90.1.0: a dependency, a migration each, a variable and a new question."""
    for framework in ("flask", "django"):
        pyproject = template / f"template-{framework}" / "pyproject.toml.jinja"
        text = pyproject.read_text()
        pyproject.write_text(
            text.replace(
                "dependencies = [\n", 'dependencies = [\n    "six>=1.16",\n', 1
            )
        )
        env = template / f"template-{framework}" / ".env.example.jinja"
        env.write_text(
            env.read_text() + "\n# Where the status page lives.\nSTATUS_URL=\n"
        )
    (
        template / "template-django" / "items" / "migrations" / "0002_template.py"
    ).write_text(DJANGO_0002.replace("operations = []", "operations: list = []"))
    versions = next((template / "template-flask").glob("*migrations*")) / "versions"
    (versions / "e1e1e1e1e1e1_template_next.py").write_bytes(
        alembic("e1e1e1e1e1e1", "7d4e2b9c1a05")
    )
    copier_yml = template / "copier.yml"
    copier_yml.write_text(
        copier_yml.read_text() + "\nstatus_page:\n  type: bool\n  default: false\n"
        "  help: Does the project publish a status page?\n"
    )
    changelog = template / "CHANGELOG.md"
    text = changelog.read_text()
    cut = text.index("\n## ") + 1
    changelog.write_text(
        f"{text[:cut]}## v90.1.0\n\n"
        f"- STATUS_URL and a status_page question.\n\n{text[cut:]}"
    )
    commit_and_tag(template, "v90.1.0")


@pytest.mark.slow
def test_a_fleet_update_relocks_and_names_what_to_merge_and_deploy(
    tmp_path: Path,
) -> None:
    template = clone_template(tmp_path, "v90.0.0")
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    preset = tmp_path / "platform.yml"
    preset.write_text("name: Platform\n")
    for framework in ("django", "flask"):
        with_preset = ["--preset", preset] if framework == "flask" else []
        stackpick(
            "new", fleet / framework, "--defaults", "--template", template,
            "--vcs-ref", "v90.0.0", "--data", f"framework={framework}", "--lock",
            *with_preset, cwd=tmp_path,
        )  # fmt: skip
    own = fleet / "django" / "items" / "migrations" / "0002_ours.py"
    own.write_text(DJANGO_0002)
    flask_versions = fleet / "flask" / "migrations" / "versions"
    (flask_versions / "f2f2f2f2f2f2_ours.py").write_bytes(
        alembic("f2f2f2f2f2f2", "7d4e2b9c1a05")
    )
    for framework in ("django", "flask"):
        assert (fleet / framework / "uv.lock").is_file()
        sh("git", "add", "-A", cwd=fleet / framework)
        sh("git", "commit", "-qm", "Our migration", cwd=fleet / framework)
    add_template_version(template)
    # The team answers the question the new version asks (which the stackpick that
    # runs here does not know): checked against that version's copier.yml.
    preset.write_text("name: Platform\ndefaults:\n  status_page: true\n")

    proc = stackpick("update", "--all-under", fleet, "--branch", "tpl", cwd=tmp_path)
    assert "2 updated" in proc.stdout, proc.stdout
    for framework in ("django", "flask"):
        project = fleet / framework
        message = sh("git", "log", "-1", "--format=%B", "tpl", cwd=project).stdout
        lock = sh("git", "show", "tpl:uv.lock", cwd=project).stdout
        assert 'name = "six"' in lock, f"{framework}: uv.lock was not re-resolved"
        assert "Before you deploy:" in message
        assert (
            "set the new environment variables (see .env.example): STATUS_URL"
            in message
        )
        by_preset = framework == "flask"
        origin = "the team preset" if by_preset else "its default"
        answered = f"new question 'status_page' answered {by_preset} ({origin})"
        assert answered in message
        assert "STATUS_URL and a status_page question." in message
        answers = yaml.safe_load(
            sh("git", "show", "tpl:.copier-answers.yml", cwd=project).stdout
        )
        assert answers["status_page"] is by_preset
    django_message = sh(
        "git", "log", "-1", "--format=%B", "tpl", cwd=fleet / "django"
    ).stdout
    assert "run `python manage.py makemigrations --merge items`" in django_message
    assert "new migrations to run: items/migrations/0002_template.py" in django_message
    flask_message = sh(
        "git", "log", "-1", "--format=%B", "tpl", cwd=fleet / "flask"
    ).stdout
    assert "Alembic has 2 heads (e1e1e1e1e1e1, f2f2f2f2f2f2)" in flask_message
    assert "flask db merge heads" in flask_message
    # A preset key no version of the template knows: one line, exit 2, no change.
    preset.write_text("name: Platform\ndefaults:\n  status_pages: true\n")
    head = sh("git", "rev-parse", "HEAD", cwd=fleet / "flask").stdout
    refused = stackpick("update", fleet / "flask", cwd=tmp_path, check=False)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr.strip().splitlines() == [
        f"stackpick: cannot read the team preset {preset}: preset {preset}: "
        "defaults: unknown key 'status_pages' (did you mean 'status_page'?)"
    ]
    assert sh("git", "rev-parse", "HEAD", cwd=fleet / "flask").stdout == head
    assert sh("git", "status", "--porcelain", cwd=fleet / "flask").stdout == ""
