"""A project's team preset, read again from the source it recorded.

`stackpick new --preset` records the preset's source and a hash of its content in
`.copier-answers.yml`. Here the fleet commands load it again (once per source in a
run), list what the project's answers break, notice a preset that changed, and turn
it into the data that `update` applies.
"""

from __future__ import annotations

from typing import Any

from stackpick.decide.presets import Preset, _show
from stackpick.errors import StackpickError


class PresetCache:
    """Presets by recorded source, each read once per run (failures too)."""

    def __init__(self) -> None:
        self._loaded: dict[str, Preset | StackpickError] = {}

    def load(self, source: str) -> Preset:
        if source not in self._loaded:
            from stackpick.decide.presets import load_preset_spec
            from stackpick.decide.questions import Questionnaire
            from stackpick.render.copy import bundled_template

            questions = Questionnaire(bundled_template() / "copier.yml")
            try:
                self._loaded[source] = load_preset_spec(source, questions)
            except StackpickError as error:
                failure = StackpickError(
                    f"cannot read the team preset {source}: {error}"
                )
                failure.__cause__ = error
                self._loaded[source] = failure
        outcome = self._loaded[source]
        if isinstance(outcome, StackpickError):
            raise outcome
        return outcome


def preset_problems(preset: Preset, answers: dict[str, Any]) -> list[str]:
    """Each pin and forbid the recorded answers break, and a changed preset."""
    problems = []
    for key, pinned in preset.pin.items():
        if key in answers and answers[key] != pinned:
            problems.append(
                f"preset '{preset.name}' pins {key}={_show(pinned)}; "
                f"the project has {key}={_show(answers[key])}"
            )
    for key in preset.forbid:
        if key in answers:
            refusal = preset.refusal(key, answers[key])
            if refusal:
                problems.append(refusal)
    recorded = answers.get("preset_hash")
    if recorded and recorded != preset.digest:
        problems.append(
            f"preset '{preset.name}' changed since this project recorded it "
            f"({str(recorded)[:15]} -> {preset.digest[:15]}); "
            "`stackpick update` applies it"
        )
    return problems


def preset_data(preset: Preset, answers: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What applies `preset` on update: its pins as `--data` pairs, and the answers
    stackpick records itself (the preset's new hash), which are no user's to give."""
    pairs = [
        f"{key}={_show(value)}" for key, value in preset.pin.items() if key in answers
    ]
    return pairs, [f"preset_hash={preset.digest}"]
