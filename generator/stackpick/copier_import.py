"""Importing Copier without questionary and prompt_toolkit, which it only prompts with.

`import copier` costs ~0.39 s of CPU, and ~0.12 s of it is questionary and
prompt_toolkit (its terminal UI). stackpick hands Copier every answer and renders
with `defaults=True`, so Copier never prompts; what it takes from those packages at
import time is two functions (`confirm`, `unsafe_prompt`), a lexer class for
prompting YAML/JSON, and questionary's `Choice`, which it also uses, without
prompting, to check answers against a question's choices (`.value`, `.disabled`).

While Copier is first imported, small stand-in modules answer for those names:
`Choice` is a plain record with questionary's constructor semantics; the others
import the real package when called, and `unsafe_prompt` turns the records back
into questionary's own choices first, so a prompt still works. The stand-ins leave
`sys.modules` as soon as Copier is imported: any later `import questionary` gets the
real package. If questionary is already imported (an interview ran), or anything
goes wrong, Copier is simply imported as usual.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

PROMPT_PACKAGES = ("questionary", "prompt_toolkit")


def import_copier() -> types.ModuleType:
    """`import copier`, sparing questionary and prompt_toolkit when nothing has them."""
    if "copier" in sys.modules or any(name in sys.modules for name in PROMPT_PACKAGES):
        return importlib.import_module("copier")
    stand_ins = _stand_ins()
    sys.modules.update(stand_ins)
    try:
        return importlib.import_module("copier")
    except ImportError:  # Copier imports more of them than it did: import as usual
        for name in [name for name in sys.modules if name.split(".")[0] == "copier"]:
            del sys.modules[name]
        for name in stand_ins:
            sys.modules.pop(name, None)
        return importlib.import_module("copier")
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


class Choice:
    """questionary's `Choice` as a record: the same constructor, the same values."""

    def __init__(
        self,
        title: Any,
        value: Any = None,
        disabled: str | None = None,
        checked: bool | None = False,
        shortcut_key: str | bool | None = True,
        description: str | None = None,
    ) -> None:
        self.title = title
        self.disabled = disabled
        self.checked = checked if checked is not None else False
        self.shortcut_key = shortcut_key
        self.description = description
        if value is not None:
            self.value = value
        elif isinstance(title, list):
            self.value = "".join(token[1] for token in title)
        else:
            self.value = title

    def real(self) -> Any:
        """questionary's own Choice with the same fields."""
        from questionary import Choice as Real

        return Real(
            self.title,
            self.value,
            self.disabled,
            self.checked,
            self.shortcut_key,
            self.description,
        )


def _forward(module: str, name: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def unsafe_prompt(questions: Any, *args: Any, **kwargs: Any) -> Any:
    """questionary's `unsafe_prompt`, given questionary's own choices."""
    import questionary

    real: dict[int, Any] = {}  # one real choice per record: the default stays one

    def convert(value: Any) -> Any:
        if isinstance(value, Choice):
            return real.setdefault(id(value), value.real())
        if isinstance(value, list):
            return [convert(item) for item in value]
        return value

    if isinstance(questions, dict):
        questions = [questions]
    converted = [
        {key: convert(value) for key, value in question.items()}
        if isinstance(question, dict)
        else question
        for question in questions
    ]
    return questionary.unsafe_prompt(converted, *args, **kwargs)


def _module(name: str, **names: Any) -> types.ModuleType:
    module = types.ModuleType(name, "A stand-in while Copier is imported (see above).")
    module.__dict__.update(names)
    return module


def _stand_ins() -> dict[str, types.ModuleType]:
    common = _module("questionary.prompts.common", Choice=Choice)
    prompts = _module("questionary.prompts", common=common)
    lexers = _module(
        "prompt_toolkit.lexers",
        PygmentsLexer=_forward("prompt_toolkit.lexers", "PygmentsLexer"),
    )
    return {
        "questionary": _module(
            "questionary",
            confirm=_forward("questionary", "confirm"),
            unsafe_prompt=unsafe_prompt,
            prompts=prompts,
        ),
        "questionary.prompts": prompts,
        "questionary.prompts.common": common,
        "prompt_toolkit": _module("prompt_toolkit", lexers=lexers),
        "prompt_toolkit.lexers": lexers,
    }
