"""Document-data projects use only the PyMongo API that mongomock shares with MongoDB.

No MongoDB server is installable from the package registries these machines reach,
so the generated projects' own tests (and ours) run their MongoDB code on mongomock.
That proves the code only as far as mongomock behaves like the server, so the
generated code is held to the allow-list below: calls that mongomock implements with
the server's semantics (checked: both libraries define every name on the list). A
call outside it fails here: widen the list only for calls mongomock is known to
implement faithfully (README, "Development", says what a real-server job would add).

The check reads every rendered module with `ast` and follows values from the places
PyMongo objects come from (MongoClient, the app's database, a collection, a cursor).
Flask-Admin's pymongo views are given collections and call PyMongo themselves; that
library's own tests cover them.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import mongomock
import mongomock.collection
import pymongo
import pymongo.collection
import pymongo.cursor
import pymongo.database
import pytest

from stackpick.cli import main

# kind of object -> {method: keyword arguments allowed}
ALLOWED_CALLS: dict[str, dict[str, set[str]]] = {
    "client": {"get_default_database": set()},
    # Collections by attribute or by item; `command` only for /healthz's ping.
    "database": {"command": set()},
    "collection": {
        "create_index": {"unique"},
        "find": {"sort", "projection", "limit", "skip"},
        "find_one": {"sort", "projection"},
        "insert_one": set(),
        "update_one": {"upsert"},
        # mongomock honours upsert and pymongo's ReturnDocument (a bool) here.
        "find_one_and_update": {"upsert", "return_document"},
        "delete_one": set(),
        "count_documents": set(),
    },
    "cursor": {"sort": set(), "limit": set(), "skip": set()},
}
ALLOWED_CLIENT_KEYWORDS = {"tz_aware"}
# Names the generated code may import from PyMongo's packages.
ALLOWED_IMPORTS = {
    ("pymongo", "MongoClient"),
    ("pymongo", "ASCENDING"),
    ("pymongo", "DESCENDING"),
    ("pymongo", "ReturnDocument"),
    ("pymongo.database", "Database"),
    ("pymongo.errors", "DuplicateKeyError"),
    ("pymongo.errors", "PyMongoError"),
    ("bson", "ObjectId"),
    ("bson.errors", "InvalidId"),
}
CLASSES = {
    "client": (pymongo.MongoClient, mongomock.MongoClient),
    "database": (pymongo.database.Database, mongomock.Database),
    "collection": (pymongo.collection.Collection, mongomock.Collection),
    "cursor": (pymongo.cursor.Cursor, mongomock.collection.Cursor),
}
# Where the generated code keeps its database: `mongo.db`, app.extensions["mongo"].
DATABASE_HOLDERS = {"db"}


def test_the_allow_list_is_shared_by_pymongo_and_mongomock() -> None:
    for kind, methods in ALLOWED_CALLS.items():
        for cls in CLASSES[kind]:
            missing = [name for name in methods if not hasattr(cls, name)]
            assert not missing, f"{cls.__module__}.{cls.__name__} lacks {missing}"


def test_mongomock_counts_the_way_the_lockout_relies_on() -> None:
    """The login lock's atomic counter: find_one_and_update, upsert, AFTER."""
    failures = mongomock.MongoClient().db.login_failures
    after = pymongo.ReturnDocument.AFTER
    first = failures.find_one_and_update(
        {"_id": "k"}, {"$set": {"failures": 1}}, upsert=True, return_document=after
    )
    again = failures.find_one_and_update(
        {"_id": "k"}, {"$inc": {"failures": 1}}, return_document=after
    )
    assert (first["failures"], again["failures"]) == (1, 2)


class Uses(ast.NodeVisitor):
    """Every PyMongo call and import in one module, with the kind of its receiver."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, set[str], int]] = []
        self.imports: set[tuple[str, str]] = set()
        self.kinds: dict[str, str] = {}  # variable -> kind, within the module

    def kind(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self.kinds.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.kind(node.value)
            if node.attr in DATABASE_HOLDERS and isinstance(node.value, ast.Name):
                return "database" if node.value.id == "mongo" else base
            return "collection" if base == "database" else None
        if isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Constant) and key.value == "mongo":
                return "database"  # app.extensions["mongo"]
            return "collection" if self.kind(node.value) == "database" else None
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "MongoClient":
                return "client"
            if isinstance(func, ast.Attribute):
                receiver = self.kind(func.value)
                if receiver == "client" and func.attr == "get_default_database":
                    return "database"
                if receiver == "collection" and func.attr == "find":
                    return "cursor"
                if receiver == "cursor":
                    return "cursor"
        return None

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        kind = self.kind(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name) and kind:
                self.kinds[target.id] = kind

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.generic_visit(node)
        kind = self.kind(node.value) if node.value else None
        if isinstance(node.target, ast.Name) and kind:
            self.kinds[node.target.id] = kind

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        keywords = {k.arg for k in node.keywords if k.arg}
        if isinstance(node.func, ast.Name) and node.func.id == "MongoClient":
            self.calls.append(("client", "MongoClient", keywords, node.lineno))
        elif isinstance(node.func, ast.Attribute):
            receiver = self.kind(node.func.value)
            if receiver:
                self.calls.append((receiver, node.func.attr, keywords, node.lineno))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        root = (node.module or "").split(".")[0]
        if root in {"pymongo", "bson", "gridfs", "mongomock"}:
            self.imports.update((node.module, alias.name) for alias in node.names)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] in {"pymongo", "bson", "gridfs"}:
                self.imports.add((alias.name, "*"))


def problems_in(path: Path, seen: set[tuple[str, str]]) -> list[str]:
    uses = Uses()
    uses.visit(ast.parse(path.read_text()))
    found = [f"{path.name}: imports {name} from {module}"
             for module, name in sorted(uses.imports - ALLOWED_IMPORTS)]  # fmt: skip
    for kind, method, keywords, line in uses.calls:
        seen.add((kind, method))
        if method == "MongoClient":
            extra = keywords - ALLOWED_CLIENT_KEYWORDS
        elif method not in ALLOWED_CALLS[kind]:
            found.append(f"{path.name}:{line}: {kind}.{method}() is not on the list")
            continue
        else:
            extra = keywords - ALLOWED_CALLS[kind][method]
        if extra:
            found.append(f"{path.name}:{line}: {kind}.{method}({sorted(extra)}=...)")
    return found


@pytest.mark.slow
def test_generated_code_calls_only_the_shared_surface(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for auth, api, admin in itertools.product((True, False), repeat=3):
        project = tmp_path / f"site-{auth}-{api}-{admin}"
        args = ["-d", "framework=flask", "-d", "data=document"]
        args += ["-d", "project_name=My Site"]  # not the folder's name: my_site/
        for name, value in (("auth", auth), ("api", api), ("admin", admin)):
            args += ["-d", f"needs_{name}={str(value).lower()}"]
        new = ["new", str(project), "--defaults", "--no-git", "--no-lock"]
        assert main([*new, *args]) == 0, capsys.readouterr().err
        for path in sorted((project / "my_site").rglob("*.py")):
            problems += problems_in(path, seen)
    assert not problems, "\n".join(sorted(set(problems)))
    # The walk found the generated data access, so the check above is not empty.
    core = {("collection", m) for m in ("find", "find_one", "insert_one")}
    assert core | {("client", "get_default_database")} <= seen, seen
