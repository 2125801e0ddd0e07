"""`copier.run_copy` for a fresh project, without the costs a fresh copy never needs.

A drop-in for `copier.run_copy` (same arguments), which it calls with a faster
Worker. Each speed-up is the small change we would propose to Copier upstream,
applied from our side for this one call only; Copier itself is used as installed,
never forked:

1. copier.yml is parsed with libyaml (PyYAML's C loader) when PyYAML has it, instead
   of the pure-Python `SafeLoader` (about 10x faster on copier.yml and its
   `!include`d rules).
2. Jinja sources are compiled once per render, and text without Jinja syntax not at
   all: Copier compiles every path part and every question expression each time it
   renders one (~540 compiles for ~50 files, most of them plain folder names).
3. No `git config core.fileMode` subprocess per rendered file: Copier runs it to fix
   the git index of files the destination already tracks, and a copy into a new
   folder tracks none.
4. No `git init` + `git bundle verify` on a template that is a folder: a git bundle
   is a file.
5. A local git template asked for at `HEAD` with a clean working tree is rendered
   from a plain snapshot of its tracked files (hard links) instead of a `git clone`;
   the answers file still records the checkout as `_src_path` and `git describe
   --tags --always` as `_commit`, exactly what Copier records, so `copier update`
   works the same. A dirty tree keeps Copier's own clone.
6. Compiled templates are kept between runs: Jinja's own `FileSystemBytecodeCache`
   for the template files, and the same buckets for the expressions and path names
   Copier renders with `from_string`, in stackpick's cache folder (`jinja/`; off
   with STACKPICK_CACHE_DIR=off). Jinja checks each entry against a checksum of the
   source; the key adds every environment setting that changes the compiled code,
   and the Python version is in Jinja's own header. An entry made under another
   (temporary) template folder is given the current file name on loading.
7. The answers to record are worked out once per render: Copier recomputes them
   for the context of every path and file it renders (~560 times for a project),
   although they cannot change once the questions are answered.
8. Copier is imported without questionary and prompt_toolkit, which it needs only
   to prompt, and it never prompts here (`defaults=True`): see copier_import.py.

Each patch is skipped if Copier's internals moved (the render is then merely
slower); tests/test_copier_speed.py holds the fast render byte-identical to plain
`copier copy` and checks that every patch still applies.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from functools import cached_property, partial
from pathlib import Path
from typing import Any

import yaml

Commit = tuple[str, str]  # (_src_path, _commit) to record


def run_copy(src_path: str, dst_path: Path | str, **kwargs: Any) -> Any:
    """`copier.run_copy`, faster when `dst_path` is a new or empty folder."""
    dst = Path(dst_path)
    fresh = not dst.exists() or not any(dst.iterdir())
    with ExitStack() as stack:
        pending = None
        if kwargs.get("vcs_ref") == "HEAD":
            # git snapshots the template on the other core while Copier imports.
            pending = stack.enter_context(_clean_snapshot(src_path))
        from stackpick.copier_import import import_copier

        copier = import_copier()  # speed-up 8
        from copier import _main, _template, _vcs

        stack.enter_context(_patched(_template, "load_template_config", _libyaml))
        stack.enter_context(_patched(_vcs, "is_git_bundle", _not_for_folders))
        recorded: Commit | None = None
        snapshot = pending() if pending else None
        if snapshot is not None:
            recorded = (src_path, snapshot[1])
            src_path, kwargs["vcs_ref"] = snapshot[0], None
        faster = partial(_fast_worker, fresh=fresh, recorded=recorded)
        stack.enter_context(_patched(_main, "Worker", faster))
        return copier.run_copy(src_path=src_path, dst_path=dst, **kwargs)


def _fast_worker(worker: type, *, fresh: bool, recorded: Commit | None) -> type:
    """A Copier Worker with speed-ups 2, 3, 6, 7 and the recorded source of 5."""

    class FastWorker(worker):  # type: ignore[misc, valid-type]
        @cached_property
        def jinja_env(self) -> Any:
            env = super().jinja_env
            env.bytecode_cache = _bytecode_cache(env)
            env.from_string = _compiled_once(env)
            return env

        def _sync_git_index_executable_bit(self, *args: Any, **kwargs: Any) -> None:
            if not fresh:
                super()._sync_git_index_executable_bit(*args, **kwargs)

        def _render_template(self) -> None:
            self.__dict__["_remembered"] = {}  # the answers are final by now
            try:
                super()._render_template()
            finally:
                self.__dict__.pop("_remembered", None)

        def _answers_to_remember(self) -> Any:
            kept = self.__dict__.get("_remembered")
            if kept:
                return dict(kept["answers"])
            answers = super()._answers_to_remember()
            if recorded is not None:
                src, commit = recorded
                answers = {"_commit": commit, "_src_path": src} | {
                    key: value
                    for key, value in answers.items()
                    if not key.startswith("_")
                }
            if kept is not None:
                kept["answers"] = answers
            return dict(answers)

    return FastWorker


def _compiled_once(env: Any) -> Callable[..., Any]:
    """`env.from_string`, compiling each distinct source once; plain text never.

    Copier's YieldExtension resets its per-render state while compiling; it is reset
    here for every template handed out, so `{% yield %}` path names behave the same.
    """
    from copier._jinja_ext import get_yield_context

    compile_ = env.from_string
    cache: dict[str, Any] = {}
    markers = (env.block_start_string, env.variable_start_string)
    markers += (env.comment_start_string,)
    plain_ok = not (env.line_statement_prefix or env.line_comment_prefix)

    def compiled(source: str) -> Any:
        """`compile_(source)`, its code kept in the bytecode cache when there is one."""
        saved = env.bytecode_cache
        if saved is None:
            return compile_(source)
        bucket = saved.get_bucket(env, source, None, source)  # keyed by the text
        if bucket.code is None:
            bucket.code = env.compile(source)
            saved.set_bucket(bucket)
        return env.template_class.from_code(env, bucket.code, env.make_globals(None))

    def from_string(source: Any, globals: Any = None, template_class: Any = None):
        if not isinstance(source, str) or globals is not None or template_class:
            return compile_(source, globals, template_class)
        if source not in cache:
            plain = plain_ok and "\r" not in source
            if plain and not any(marker in source for marker in markers):
                cache[source] = _PlainText(source, env.keep_trailing_newline)
            else:
                cache[source] = compiled(source)
        state = get_yield_context(env)  # as compiling would have reset it
        state.yield_name = state.yield_iterable = None
        return cache[source]

    return from_string


class _PlainText:
    """What a template without any Jinja syntax renders to, whatever the context."""

    def __init__(self, source: str, keep_trailing_newline: bool) -> None:
        # Jinja drops one trailing newline unless told to keep it.
        drop = not keep_trailing_newline and source.endswith("\n")
        self.text = source[:-1] if drop else source

    def render(self, *args: Any, **kwargs: Any) -> str:
        return self.text


def _bytecode_cache(env: Any) -> Any:
    """Speed-up 6: Jinja's bytecode cache in stackpick's cache folder, or None."""
    import hashlib

    import jinja2
    from jinja2.bccache import FileSystemBytecodeCache

    from stackpick.cache import cache_dir

    folder = cache_dir()
    if folder is None:
        return None
    try:
        (folder / "jinja").mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    settings = repr(
        (
            jinja2.__version__,
            type(env).__qualname__,
            sorted(env.extensions),
            *(getattr(env, name) for name in _CODE_SETTINGS),
            getattr(env.finalize, "__qualname__", env.finalize),
            getattr(env.autoescape, "__qualname__", env.autoescape),
        )
    )

    class Cache(FileSystemBytecodeCache):
        def get_cache_key(self, name: str, filename: str | None = None) -> str:
            # By template name, not file name: the template folder is a fresh
            # temporary snapshot on every run. The source checksum still decides.
            key = f"{settings}\0{name}".encode()
            return hashlib.sha256(key).hexdigest()

        def get_bucket(self, environment: Any, name: str, filename: Any, source: str):
            bucket = super().get_bucket(environment, name, filename, source)
            if bucket.code is not None and filename is not None:
                bucket.code = _refiled(bucket.code, filename)
            return bucket

        def get_source_checksum(self, source: str) -> str:
            return hashlib.sha256(source.encode()).hexdigest()

        def dump_bytecode(self, bucket: Any) -> None:
            with suppress(OSError):  # a cache that cannot be written is not used
                super().dump_bytecode(bucket)

    return Cache(str(folder / "jinja"), "%s.jinja-bytecode")


# Environment settings that change what a template compiles to.
_CODE_SETTINGS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
    "is_async",
)


def _refiled(code: Any, filename: str) -> Any:
    """`code` (and the functions compiled inside it) as if compiled from `filename`."""
    if code.co_filename == filename:
        return code
    consts = tuple(
        _refiled(const, filename) if isinstance(const, type(code)) else const
        for const in code.co_consts
    )
    return code.replace(co_filename=filename, co_consts=consts)


def _libyaml(load: Callable[..., Any]) -> Callable[..., Any]:
    """Speed-up 1: Copier's loader subclasses `yaml.SafeLoader` when called."""
    fast = getattr(yaml, "CSafeLoader", None)

    def load_template_config(*args: Any, **kwargs: Any) -> Any:
        if fast is None:
            return load(*args, **kwargs)
        with _patched(yaml, "SafeLoader", lambda _: fast):
            return load(*args, **kwargs)

    return load_template_config


def _not_for_folders(is_git_bundle: Callable[[Path], bool]) -> Callable[..., bool]:
    """Speed-up 4: a folder is never a git bundle."""
    return lambda path: not Path(path).is_dir() and is_git_bundle(path)


@contextmanager
def _clean_snapshot(
    src_path: str,
) -> Iterator[Callable[[], tuple[str, str] | None]]:
    """Speed-up 5: start snapshotting; yield a wait for (folder, describe) or None.

    None when `src_path` is not the root of a local git checkout with a clean working
    tree (untracked files count as dirty, as for Copier), or has submodules. The git
    commands run in parallel, and in parallel with whatever the caller does next.
    """
    root = Path(src_path)
    git = shutil.which("git")
    usable = git and (root / ".git").exists() and not (root / ".gitmodules").exists()
    if not usable:
        yield lambda: None
        return
    running = {
        name: subprocess.Popen(
            [git, *args],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        for name, args in {
            "status": ["--no-optional-locks", "status", "--porcelain"],
            "describe": ["describe", "--tags", "--always"],
            "files": ["ls-files", "-z"],
        }.items()
    }
    folder = tempfile.mkdtemp(prefix="stackpick-template-")
    try:

        def wait() -> tuple[str, str] | None:
            out = {name: proc.communicate()[0] for name, proc in running.items()}
            if any(proc.returncode for proc in running.values()) or out["status"]:
                return None
            # Clean: the working tree holds exactly HEAD's files. Link, don't copy.
            snapshot = Path(folder, "template")
            for name in filter(None, out["files"].split("\0")):
                _link_or_copy(root / name, snapshot / name)
            return str(snapshot), out["describe"].strip()

        try:
            yield wait
        finally:
            for proc in running.values():
                if proc.returncode is None:
                    proc.communicate()
    finally:
        # Removing the snapshot's folders costs milliseconds each on some file
        # systems (overlays): done beside the rest of the run (the first commit,
        # the move into place). Not a daemon: the interpreter waits for it to end.
        remove = partial(shutil.rmtree, folder, ignore_errors=True)
        threading.Thread(target=remove, name="stackpick-snapshot-cleanup").start()


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link when the file system allows one, else a copy (modes kept)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


@contextmanager
def _patched(module: Any, name: str, wrap: Callable[..., Any]) -> Iterator[None]:
    """`module.name` wrapped by `wrap` for the duration; left alone if it is gone."""
    original = getattr(module, name, None)
    if original is None:
        yield
        return
    setattr(module, name, wrap(original))
    try:
        yield
    finally:
        setattr(module, name, original)
