"""Names a project cannot use: one derived data file, refused by stackpick and Copier.

`generator/stackpick/names.yaml` is derived (stackpick/decide/names.py) from the
templates' `.gitignore` files and top-level entries, Python's keywords and standard
library, and the installed distributions the generated projects depend on, directly or
not. These tests prove the file misses nothing the derivation finds, then that stackpick
and plain `copier copy` (copier.yml's own validator) refuse the same names and the same
text values, each with one line naming the reason.
"""

from __future__ import annotations

import re
import tomllib
import warnings
from pathlib import Path

import pytest
import yaml

from stackpick.cli import main
from stackpick.decide import names
from support import ROOT, copy_template_folder, run_stackpick

STORED = yaml.safe_load(names.NAMES_FILE.read_text(encoding="utf-8"))
REASONS = {
    "keyword": "Python keyword",
    "project_file": "clashes with a file or folder",
    "gitignored": ".gitignore",
    "dependency": "would shadow",
    "stdlib": "standard-library",
}


# -- the data is complete -------------------------------------------------------------
def test_the_names_file_holds_everything_the_derivation_finds() -> None:
    derived = names.derive(ROOT)
    assert list(STORED) == list(derived) == list(REASONS)
    for group, found in derived.items():
        missing = set(found) - set(STORED[group])
        assert not missing, (
            f"{group}: run `python -m stackpick.decide.names .`: {missing}"
        )
    # The template's own files decide these two: equal, not just covered.
    assert STORED["gitignored"] == derived["gitignored"]
    assert STORED["project_file"] == derived["project_file"]


def test_transitive_dependencies_are_in_it() -> None:
    """Flask needs blinker and werkzeug; Django asgiref and sqlparse; pytest pluggy."""
    for module, dist in [
        ("blinker", "blinker"),
        ("werkzeug", "werkzeug"),
        ("asgiref", "asgiref"),
        ("sqlparse", "sqlparse"),
        ("pluggy", "pluggy"),
        ("environ", "django-environ"),
        ("bson", "pymongo"),
    ]:
        assert STORED["dependency"][module] == dist


def test_gitignore_globs_can_never_match_a_package_name() -> None:
    """Only wildcard-free patterns become names; a glob always needs a '.' or such."""
    for pattern in names.gitignore_patterns(ROOT):
        if "*" in pattern or "?" in pattern or "[" in pattern:
            literal = re.sub(r"\*|\?|\[[^\]]*\]", "", pattern.strip("/"))
            assert re.search(r"[^a-z0-9_]", literal), pattern


# -- stackpick refuses them -----------------------------------------------------------
ALL = sorted({name for group in STORED.values() for name in group})


def test_every_listed_name_is_refused_by_the_validator() -> None:
    from stackpick.cli import _questionnaire

    questions = _questionnaire()
    slug = questions.questions["project_slug"]
    allowed = [name for name in ALL if not questions.problem(slug, name, {})]
    assert not allowed
    assert not questions.problem(slug, "acme_site", {})


SAMPLE = [
    ("blinker", "would shadow the module of that name from blinker"),
    ("werkzeug", "would shadow"),
    ("asgiref", "would shadow"),
    ("pluggy", "would shadow"),
    ("yaml", "would shadow"),
    ("build", ".gitignore"),
    ("dist", ".gitignore"),
    ("instance", ".gitignore"),
    ("htmlcov", ".gitignore"),
    ("staticfiles", ".gitignore"),
    ("json", "standard-library"),
    ("type", "Python keyword"),
    ("manage", "clashes"),
]


@pytest.mark.parametrize(("slug", "reason"), SAMPLE)
def test_stackpick_refuses_with_the_reason(slug: str, reason: str, capsys) -> None:
    assert main(["recommend", "--json", "-d", f"project_slug={slug}"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert f"'{slug}'" in err and reason in err


@pytest.mark.parametrize("name", ["Blinker", "Build", "Instance"])
def test_a_project_name_deriving_a_forbidden_slug_is_refused(name: str, capsys) -> None:
    assert main(["recommend", "-d", f"project_name={name}"]) == 2
    err = capsys.readouterr().err
    assert "derived" in err and "project_slug" in err


# -- plain copier refuses the same ----------------------------------------------------
@pytest.fixture(scope="module")
def plain_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_template_folder(ROOT, tmp_path_factory.mktemp("names") / "template")


def copier_refusal(template: Path, data: dict[str, str], tmp: Path) -> str:
    """Copier's message when it refuses `data` ('' when it accepts); writes nothing."""
    from copier import run_copy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            run_copy(
                str(template), tmp / "out", data=data, defaults=True, pretend=True,
                quiet=True, unsafe=False,
            )  # fmt: skip
        except ValueError as error:
            return str(error)
    assert not (tmp / "out").exists()
    return ""


COPIER_CASES = [
    *[({"project_slug": slug}, reason) for slug, reason in SAMPLE],
    ({"project_slug": "graphlib"}, "standard-library"),
    ({"project_name": "esc\x1b[31mred"}, "Control characters"),
    ({"project_name": "bell\x07"}, "Control characters"),
    ({"description": "carriage\rreturn"}, "one line"),
    ({"description": "nul\x00byte"}, "Control characters"),
    ({"description": "del\x7fchar"}, "Control characters"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("data", "reason"), COPIER_CASES)
def test_plain_copier_refuses_what_stackpick_refuses(
    plain_template: Path, tmp_path: Path, data: dict[str, str], reason: str, capsys
) -> None:
    message = copier_refusal(plain_template, data, tmp_path)
    assert reason in message, message
    args = ["recommend"]
    for key, value in data.items():
        args += ["-d", f"{key}={value}"]
    assert main(args) == 2
    assert reason in capsys.readouterr().err


@pytest.mark.slow
def test_plain_copier_accepts_a_good_name(plain_template: Path, tmp_path: Path) -> None:
    data = {"project_slug": "acme_site", "description": 'Tabs\tand "quotes" \\ ok'}
    assert copier_refusal(plain_template, data, tmp_path) == ""


@pytest.mark.slow
def test_a_description_with_quotes_and_a_tab_keeps_pyproject_valid(
    tmp_path: Path,
) -> None:
    description = 'Tabs\tand "quotes" \\ and é'
    proc = run_stackpick(
        "new", "site", "--defaults", "--no-git", "-d", f"description={description}",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    pyproject = tomllib.loads((tmp_path / "site" / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == description
