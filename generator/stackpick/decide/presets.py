"""Team presets: one YAML file that makes every new repo follow the house standard.

```yaml
name: Platform team standard   # shown in output and recorded in the project
pin:        # answers forced; not asked; beat the rules' pick
  framework: django
defaults:   # pre-filled answers; still asked interactively
  team_size: 6
forbid:     # values refused, with the team's reason
  database:
    sqlite: Production parity - use PostgreSQL.
locked:     # template paths the team keeps as the template has them
  - .github/workflows/**
```
Precedence: pin > --data > --answers > preset defaults > built-in defaults.

A preset is named by a path, an `https://` URL, or a git repository with a ref and the
file in it: `git+https://github.com/team/presets.git@v2#platform.yml` (the ref after
the last `@`, the file after `#`). Its source and a hash of its content are recorded in
the project's answers (`preset_source`, `preset_hash`), so `check` and `update` load
the same preset later and see when it changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stackpick.decide.questions import Questionnaire
from stackpick.errors import StackpickError
from stackpick.files import parse_yaml_mapping, read_yaml_mapping
from stackpick.gitsafe import TRANSPORT, check_ref, check_repo_path, check_source

PRESET_KEYS = ("name", "pin", "defaults", "forbid", "locked")


@dataclass(frozen=True)
class Preset:
    name: str
    pin: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    forbid: dict[str, dict[Any, str]] = field(default_factory=dict)
    # gitignore-style paths whose drift from the template fails `check --drift`
    locked: tuple[str, ...] = ()
    source: str = ""  # as recorded in the project: an absolute path or a URL
    digest: str = ""  # "sha256:<hex>" of the file's bytes

    def refusal(self, key: str, value: Any) -> str | None:
        """The team's reason when `value` is forbidden for `key`, else None."""
        reasons = self.forbid.get(key, {})
        if value in reasons:
            return (
                f"preset '{self.name}' forbids {key}={_show(value)}: {reasons[value]}"
            )
        return None

    def check_against_pins(
        self, given: Mapping[str, Any], origin_of: Mapping[str, str]
    ):
        """Refuse an answer that contradicts a pin (the team decided that one)."""
        for key, pinned in self.pin.items():
            if key in given and given[key] != pinned:
                raise StackpickError(
                    f"{origin_of.get(key, 'answers')}: {key}={_show(given[key])} "
                    f"contradicts preset '{self.name}', "
                    f"which pins {key}={_show(pinned)}"
                )


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def is_remote(spec: str) -> bool:
    return spec.startswith(("git+", "https://", "http://"))


def split_git_spec(spec: str) -> tuple[str, str | None, str]:
    """`git+REPO[@REF]#FILE` as (repo, ref or None, file)."""
    body, _, file = spec.removeprefix("git+").partition("#")
    cut = max(body.rfind("/"), body.rfind(":"))
    at = body.rfind("@")
    repo, ref = (body[:at], body[at + 1 :]) if at > cut else (body, None)
    if not repo or not file.strip("/") or ref == "":
        raise StackpickError(
            f"preset {spec}: expected git+REPO[@REF]#FILE, "
            "e.g. git+https://github.com/team/presets.git@v1#platform.yml"
        )
    check_source(repo, "repository")
    if ref is not None:
        check_ref(ref, "ref")
    check_repo_path(file.strip("/"), "file")
    return repo, ref, file.strip("/")


def fetch_preset(spec: str) -> tuple[bytes, str]:
    """The preset's bytes and the source to record (local paths made absolute)."""
    from stackpick import remote

    if spec.startswith("git+"):
        repo, ref, file = split_git_spec(spec)
        return remote.read_git_file(repo, ref, file), spec
    if TRANSPORT.match(spec):
        check_source(spec, "preset")  # `ext::...`: refused, never read as a path
    if spec.startswith(("https://", "http://")):
        return remote.read_https(spec), spec
    path = Path(spec).expanduser()
    read_yaml_mapping(path, "preset")  # the missing/unreadable file messages
    return path.read_bytes(), str(path.resolve())


def digest_of(content: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(content).hexdigest()


def load_preset_spec(spec: str | Path, questions: Questionnaire) -> Preset:
    """Load a preset from a path or URL (see the module docstring), with its record."""
    spec = str(spec)
    label = spec if is_remote(spec) else str(Path(spec))
    content, source = fetch_preset(spec)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StackpickError(f"cannot read preset file {label}: {error}") from None
    data = parse_yaml_mapping(text, label, "preset")
    stem = Path(spec.split("#")[-1]).stem or "preset"
    preset = _build(data, f"preset {label}", stem, questions)
    return replace(preset, source=source, digest=digest_of(content))


def load_preset(path: Path, questions: Questionnaire) -> Preset:
    """Read and validate a preset file; every problem names the file and the key."""
    return _build(
        read_yaml_mapping(path, "preset"), f"preset {path}", path.stem, questions
    )


def _build(
    data: dict[str, Any], origin: str, stem: str, questions: Questionnaire
) -> Preset:
    for key in data:
        if key not in PRESET_KEYS:
            import difflib

            close = difflib.get_close_matches(str(key), PRESET_KEYS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise StackpickError(f"{origin}: unknown key '{key}'{hint}")
    name = data.get("name", stem)
    if not isinstance(name, str) or not name.strip() or "\n" in name:
        raise StackpickError(f"{origin}: name must be one line of text")

    def answers(section: str) -> dict[str, Any]:
        raw = data.get(section) or {}
        if not isinstance(raw, dict):
            raise StackpickError(f"{origin}: '{section}' must be a mapping of answers")
        questions.check_keys(raw, f"{origin}: {section}")
        return {
            key: questions.cast(questions.questions[key], value, f"{origin}: {section}")
            for key, value in raw.items()
        }

    pin, defaults = answers("pin"), answers("defaults")
    forbid_raw = data.get("forbid") or {}
    if not isinstance(forbid_raw, dict):
        raise StackpickError(f"{origin}: 'forbid' must map keys to {{value: reason}}")
    questions.check_keys(forbid_raw, f"{origin}: forbid")
    forbid: dict[str, dict[Any, str]] = {}
    for key, reasons in forbid_raw.items():
        if not isinstance(reasons, dict):
            raise StackpickError(
                f"{origin}: forbid: {key} must map each refused value to a reason"
            )
        question = questions.questions[key]
        forbid[key] = {
            questions.cast(question, value, f"{origin}: forbid"): str(reason)
            for value, reason in reasons.items()
        }
    for key, value in pin.items():
        if value in forbid.get(key, {}):
            raise StackpickError(
                f"{origin}: {key}={_show(value)} is both pinned and forbidden"
            )
    return Preset(
        name=name.strip(),
        pin=pin,
        defaults=defaults,
        forbid=forbid,
        locked=_locked_paths(data.get("locked"), origin),
    )


def _locked_paths(raw: Any, origin: str) -> tuple[str, ...]:
    """`locked:` is a list of one-line gitignore-style paths (checked, not guessed)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(
        isinstance(p, str) and p.strip() and "\n" not in p for p in raw
    ):
        raise StackpickError(
            f"{origin}: 'locked' must be a list of paths, e.g. - .github/workflows/**"
        )
    return tuple(p.strip() for p in raw)
