"""The update's decisions path by path, and its all-or-nothing write, without copier.

Fast: trees are built in memory (ours = committed, base = old render, theirs = new
render, result = copier's update) against a real folder for the project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stackpick.errors import StackpickError
from stackpick.update.apply import apply_plan
from stackpick.update.journal import record, recover
from stackpick.update.merge import reconcile
from stackpick.update.report import UpdateReport
from stackpick.update.tree import FILE, Entry
from support import snapshot


def text(value: str) -> Entry:
    return Entry(FILE, value.encode())


def blob(value: bytes) -> Entry:
    return Entry(FILE, b"\0" + value)


def decide(project: Path, *, ours=None, base=None, theirs=None, result=None, skip=()):
    """reconcile() for one path 'f' (None = absent on that side)."""

    def tree(entry: Entry | None) -> dict[str, Entry]:
        return {} if entry is None else {"f": entry}

    return reconcile(
        project,
        head=tree(ours),
        result=tree(result),
        old=tree(base),
        new=tree(theirs),
        skip_if_exists=lambda path: path in skip,
        answers_file=".copier-answers.yml",
    )


CASES = {
    # name: (ours, base, theirs, result, expected plan for "f", attention contains)
    "template deletes an untouched file": (
        text("a"), text("a"), None, None, {"f": None}, None),
    "template deletes an edited file": (
        text("mine"), text("a"), None, None, {},
        "you edited it and the template deleted"),
    "binary changed on both sides": (
        blob(b"mine"), blob(b"a"), blob(b"b"), blob(b"b"), {},
        "you and the template both changed this binary file"),
    "binary changed by the user only": (
        blob(b"mine"), blob(b"a"), blob(b"a"), blob(b"a"), {}, None),
    "binary changed by the template only": (
        blob(b"a"), blob(b"a"), blob(b"b"), blob(b"b"), {"f": blob(b"b")}, None),
    "text merge lost the user's edit": (
        text("mine"), text("a"), text("b"), text("b"), {},
        "your edits did not survive the merge"),
    "text merge kept both": (
        text("mine\na"), text("a"), text("a\nb"), text("mine\na\nb"),
        {"f": text("mine\na\nb")}, None),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_decision(tmp_path: Path, name: str) -> None:
    ours, base, theirs, result, plan, note = CASES[name]
    merge = decide(tmp_path, ours=ours, base=base, theirs=theirs, result=result)
    assert merge.plan == plan
    if note is None:
        assert merge.attention == []
    else:
        assert len(merge.attention) == 1 and note in merge.attention[0]


def test_new_file_over_an_ignored_user_file_is_not_written(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("user secret")
    merge = decide(tmp_path, theirs=text("template"), result=text("template"))
    assert merge.plan == {}
    assert "f: git ignores it and you have your own" in merge.attention[0]


@pytest.mark.parametrize("existing", ["same", "skip_if_exists"])
def test_new_file_quietly_kept(tmp_path: Path, existing: str) -> None:
    (tmp_path / "f").write_text("template" if existing == "same" else "user secret")
    merge = decide(
        tmp_path, theirs=text("template"), result=text("template"), skip={"f"}
    )
    assert merge.plan == {} and merge.attention == []


def test_new_file_under_a_user_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "conf").write_text("a file where the template wants a folder")
    merge = reconcile(
        tmp_path,
        head={},
        result={"conf/x.py": text("x")},
        old={},
        new={"conf/x.py": text("x")},
        skip_if_exists=lambda _: False,
        answers_file=".copier-answers.yml",
    )
    assert merge.plan == {}
    assert merge.attention == [
        "conf/x.py: your conf is in the way; the template's file was not written"
    ]


def _project(root: Path) -> dict[str, Entry]:
    (root / "keep.txt").write_text("kept\n")
    (root / "gone.txt").write_text("template's\n")
    (root / "pkg").mkdir()
    (root / "pkg" / "mod.py").write_text("old\n")
    (root / "pkg" / "mod.py").chmod(0o640)
    return {"gone.txt": text("template's\n"), "pkg/mod.py": text("old\n")}


def test_apply_writes_every_change(tmp_path: Path) -> None:
    expected = _project(tmp_path)
    plan = {"gone.txt": None, "pkg/mod.py": text("new\n"), "new/dir/f.txt": text("f")}
    apply_plan(tmp_path, plan, expected)
    assert not (tmp_path / "gone.txt").exists()
    assert (tmp_path / "pkg" / "mod.py").read_text() == "new\n"
    assert (tmp_path / "pkg" / "mod.py").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "new" / "dir" / "f.txt").read_text() == "f"


def test_apply_failing_half_way_puts_everything_back(tmp_path: Path) -> None:
    expected = _project(tmp_path)
    plan = {
        "gone.txt": None,
        "pkg/mod.py": text("new\n"),
        "new/dir/f.txt": text("f"),
        "zz/x": text("cannot be written: zz is a file"),  # sorted last
    }
    (tmp_path / "zz").write_text("in the way\n")
    before = snapshot(tmp_path)
    with pytest.raises(OSError):
        apply_plan(tmp_path, plan, expected)
    assert snapshot(tmp_path) == before


def test_apply_refuses_a_file_saved_meanwhile(tmp_path: Path) -> None:
    expected = _project(tmp_path)
    (tmp_path / "pkg" / "mod.py").write_text("saved during the update\n")
    before = snapshot(tmp_path)
    with pytest.raises(StackpickError, match=r"pkg/mod\.py changed while the update"):
        apply_plan(tmp_path, {"pkg/mod.py": text("new\n")}, expected)
    assert snapshot(tmp_path) == before


def test_summary_says_no_conflicts_only_when_nothing_needs_the_user() -> None:
    report = UpdateReport(Path("/p/site"), "v1", "v2", changed=["a"])
    assert "no conflicts" in report.summary()
    report.attention = ["b: you edited it and the template deleted it"]
    assert "no conflicts" not in report.summary()
    assert "1 file needs your attention:\n    b: you edited it" in report.summary()


def test_journal_puts_back_what_a_killed_update_wrote(tmp_path: Path) -> None:
    project, journal = tmp_path / "p", tmp_path / "journal"
    project.mkdir()
    expected = _project(project)
    before = snapshot(project)
    plan = {"gone.txt": None, "pkg/mod.py": text("new\n"), "new/dir/f.txt": text("f")}
    originals = {}
    for path in plan:
        entry = expected.get(path)
        perms = (project / path).stat().st_mode & 0o7777 if entry else None
        originals[path] = (entry, perms)
    record(journal, project, originals, plan)
    # What a SIGKILL half-way leaves: two of three writes done, a temporary file.
    (project / "gone.txt").unlink()
    (project / "new" / "dir").mkdir(parents=True)
    (project / "new" / "dir" / "f.txt").write_text("f")
    (project / "pkg" / ".mod.py.stackpick-new").write_text("ne")
    notes = recover(journal)
    assert snapshot(project) == before
    assert notes == [
        f"an earlier update of {project} was killed while writing; "
        "2 file(s) it wrote were put back as they were"
    ]
    assert not journal.exists()
    assert recover(journal) == []


def test_journal_leaves_a_file_changed_since(tmp_path: Path) -> None:
    project, journal = tmp_path / "p", tmp_path / "journal"
    project.mkdir()
    expected = _project(project)
    plan = {"pkg/mod.py": text("new\n")}
    record(journal, project, {"pkg/mod.py": (expected["pkg/mod.py"], 0o640)}, plan)
    (project / "pkg" / "mod.py").write_text("the user's fix after the crash\n")
    notes = recover(journal)
    fixed = (project / "pkg" / "mod.py").read_text()
    assert fixed == "the user's fix after the crash\n"
    assert notes[1] == "pkg/mod.py: changed since the killed update; left as it is"
