"""A project's team preset, read again from the source it recorded.

`stackpick new --preset` records the preset's source and a hash of its content in
`.copier-answers.yml`. Here the fleet commands load it again (once per source in a
run), list what the project's answers break, notice a preset that changed, and turn
it into the data that `update` applies.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackpick.decide.presets import Preset, _show
from stackpick.errors import StackpickError

if TYPE_CHECKING:
    from stackpick.decide.questions import Questionnaire
    from stackpick.fleet.exports import TemplateExports


class PresetCache:
    """Presets by recorded source, each read once per run (failures too).

    A preset is checked against the questions of the template version it is applied
    to (an update's target, read with `exports`), not against those of the stackpick
    that runs: a newer template may ask a question the preset answers. Without a
    version (or when it cannot be read), the bundled template's questions are used.
    """

    def __init__(self, exports: TemplateExports | None = None) -> None:
        self.exports = exports
        self._loaded: dict[tuple[str, Path], Preset | StackpickError] = {}
        self._questions: dict[Path, Questionnaire] = {}

    def load(
        self, source: str, template: str | None = None, version: str | None = None
    ) -> Preset:
        copier_yml = self.copier_yml(template, version)
        key = (source, copier_yml)
        if key not in self._loaded:
            from stackpick.decide.presets import load_preset_spec

            try:
                self._loaded[key] = load_preset_spec(source, self.questions(copier_yml))
            except StackpickError as error:
                failure = StackpickError(
                    f"cannot read the team preset {source}: {error}"
                )
                failure.__cause__ = error
                self._loaded[key] = failure
        outcome = self._loaded[key]
        if isinstance(outcome, StackpickError):
            raise outcome
        return outcome

    def copier_yml(self, template: str | None, version: str | None) -> Path:
        """copier.yml of `template` at `version`, else of the bundled template."""
        from stackpick.render.copy import bundled_template

        bundled = bundled_template() / "copier.yml"
        if not (self.exports and template and version):
            return bundled
        try:
            found = self.exports.tree(template, version) / "copier.yml"
        except StackpickError:
            return bundled
        return found if found.is_file() else bundled

    def questions(self, copier_yml: Path) -> Questionnaire:
        if copier_yml not in self._questions:
            from stackpick.render.copy import load_questions

            try:
                self._questions[copier_yml] = load_questions(copier_yml)
            except StackpickError:  # not readable as ours: the bundled questions
                self._questions[copier_yml] = self.questions(
                    self.copier_yml(None, None)
                )
        return self._questions[copier_yml]


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


def preset_new_answers(
    preset: Preset, answers: dict[str, Any], before: Questionnaire, after: Questionnaire
) -> list[str]:
    """The preset's answers (pin, else default) to the questions the new version
    adds, as `--data` pairs: an update applies them without a prompt and names them
    as the preset's. A question the project's version already asked is never
    answered here (the project's answer, or its absence, stands)."""
    new = set(after.questions) - set(before.questions) - set(answers)
    given = {**preset.defaults, **preset.pin}
    return [f"{key}={_show(value)}" for key, value in given.items() if key in new]


def preset_on_update(
    presets: PresetCache,
    source: str,
    answers: dict[str, Any],
    target: str | None,
) -> tuple[list[str], list[str], list[str]]:
    """The recorded preset, applied again by an update to version `target`: its pins
    of recorded answers (`--data` pairs), the answers stackpick records itself, and
    its answers to the questions `target` adds (checked against `target`'s copier.yml;
    an unknown key is refused there)."""
    template = str(answers.get("_src_path") or "") or None
    preset = presets.load(source, template, target)
    pins, recorded = preset_data(preset, answers)
    before = presets.copier_yml(template, str(answers.get("_commit") or "") or None)
    after = presets.copier_yml(template, target)
    new = preset_new_answers(
        preset, answers, presets.questions(before), presets.questions(after)
    )
    return pins, recorded, new
