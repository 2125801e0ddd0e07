"""Loading and checking rules.yaml, the single source of the rules.

The same file is `!include`d by the root copier.yml, so plain Copier computes the same
recommendation; this module gives the engine a typed, validated view of it.

No `from __future__ import annotations` here: typing.NamedTuple turns each string
annotation into a compiled ForwardRef, and that doubled what defining the records
costs a cold `stackpick recommend`. The types below exist at run time instead.
"""

from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

# A condition: any of these alternatives; each maps an answer key to allowed
# values (a list) or numeric bounds ({min: N} / {max: N}).
Clause = dict[str, Any]
Condition = tuple[Clause, ...]

FRAMEWORKS = ("flask", "django")


class Rule(NamedTuple):
    id: str
    favours: str
    strength: str
    points: int
    sources: tuple[str, ...]
    why: str
    when: Condition
    # Per cited source, the article's own words (verbatim, at most 40 words).
    quotes: dict[str, str]
    # Keys that only narrow the rule: a filled-in value does not keep it from voting.
    qualifiers: tuple[str, ...] = ()


class Implication(NamedTuple):
    """What a given answer implies for an answer nobody gave (rules.yaml `implied`)."""

    id: str
    when: Condition
    implies: dict[str, Any]
    why: str
    sources: tuple[str, ...]


class Note(NamedTuple):
    id: str
    text: str
    sources: tuple[str, ...]
    when: Condition
    quotes: dict[str, str]


class Extension(NamedTuple):
    name: str
    why: str
    when: Condition


class Source(NamedTuple):
    """An article the rules cite: title, publisher or author (if named), year."""

    key: str
    title: str
    publisher: str | None
    year: int | None

    def citation(self) -> str:
        """'Lycore, "Title" (2026)'; 'n.d.' when the article gives no year."""
        by = f"{self.publisher}, " if self.publisher else ""
        return f'{by}"{self.title}" ({self.year or "n.d."})'

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "publisher": self.publisher, "year": self.year}


class Familiarity(NamedTuple):
    """S4's "do not switch": the bars the other framework must clear."""

    rules: tuple[str, ...]
    min_strong: int
    min_lead: int
    sources: tuple[str, ...]
    quotes: dict[str, str]


class Compatibility(NamedTuple):
    """A combination the templates cannot honour, refused with `why`."""

    id: str
    refuse: Condition
    why: str
    sources: tuple[str, ...]
    steers: bool  # the rules pick the other framework rather than refuse
    quotes: dict[str, str]


class KindDefaults(NamedTuple):
    """The defaults for one kind of project, with the articles that justify them."""

    kind: str
    answers: dict[str, Any]  # the full set: base with this kind's differences
    differs: dict[str, Any]  # only where this kind differs from the base
    why: str
    sources: tuple[str, ...]


class RuleSet(NamedTuple):
    weights: dict[str, int]
    close_call_margin: int
    confidence: tuple[tuple[str, int], ...]  # (label, min_margin), highest first
    tie_break: str
    sources: dict[str, str]  # key -> citation
    rules: tuple[Rule, ...]
    notes: tuple[Note, ...]
    extensions: dict[str, tuple[Extension, ...]]
    source_details: dict[str, Source]
    familiarity: Familiarity | None
    compatibility: tuple[Compatibility, ...]
    base_defaults: dict[str, Any]
    kind_defaults: dict[str, KindDefaults]
    implied: tuple[Implication, ...]
    raw: dict[str, Any]  # the document as read (copier.yml's Jinja reads it too)

    def defaults_for(self, kind: str) -> dict[str, Any]:
        """Every factor's default for `kind` (the base profile for an unknown kind)."""
        known = self.kind_defaults.get(kind)
        return dict(known.answers) if known else dict(self.base_defaults)

    def refusal(
        self, answers: dict[str, Any], about: str | None = None, steering: bool = False
    ) -> Compatibility | None:
        """The first compatibility rule that refuses `answers` (None when they fit).

        A clause counts only when every key it names is answered, so this works on
        the answers so far; `about` keeps only clauses that name that key, and
        `steering` only the rules that steer the recommendation.
        """
        for rule in self.compatibility:
            if steering and not rule.steers:
                continue
            for clause in rule.refuse:
                if about is not None and about not in clause:
                    continue
                if set(clause) <= set(answers) and clause_holds(clause, answers):
                    return rule
        return None

    def refusal_line(self, answers: dict[str, Any], about: str | None = None) -> str:
        """One line naming the refused answers and why ('' when they fit)."""
        rule = self.refusal(answers, about)
        if rule is None:
            return ""
        clause = next(
            c
            for c in rule.refuse
            if set(c) <= set(answers) and clause_holds(c, answers)
        )
        named = " with ".join(f"{k}={_show(answers[k])}" for k in clause)
        return f"{named}: {rule.why}"


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _known_keys(
    implies: dict[str, Any], base: dict[str, Any], where: str
) -> dict[str, Any]:
    unknown = set(implies) - set(base)
    if unknown:
        raise ValueError(f"rules.yaml: implied: {where}: no default for {unknown}")
    return implies


def holds(condition: Condition, answers: dict[str, Any]) -> bool:
    """True when any alternative of `condition` matches `answers` in every key."""
    return any(clause_holds(clause, answers) for clause in condition)


def clause_holds(clause: Clause, answers: dict[str, Any]) -> bool:
    """True when `answers` match every key of one alternative of a condition."""
    for key, expected in clause.items():
        value = answers[key]
        if isinstance(expected, dict):
            if "min" in expected and value < expected["min"]:
                return False
            if "max" in expected and value > expected["max"]:
                return False
        elif value not in expected:
            return False
    return True


def raw_rules_text() -> str:
    """The rules file as shipped in the package.

    In a checkout it sits beside this module. In the wheel it travels once, inside
    the bundled template at the path copier.yml's `!include` names.
    """
    from importlib.resources import files

    package = files("stackpick")
    for candidate in (
        package.joinpath("rules.yaml"),
        package.joinpath("_template", "generator", "stackpick", "rules.yaml"),
    ):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise FileNotFoundError("stackpick's rules.yaml is missing from this installation")


def _rules_file() -> Path | None:
    """rules.yaml on disk (a checkout, or the wheel's template copy), if any."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (
        package / "rules.yaml",
        package / "_template" / "generator" / "stackpick" / "rules.yaml",
    ):
        if candidate.is_file():
            return candidate
    return None


def _parse_yaml(text: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
    return yaml.load(text, Loader=loader)


@cache
def load_rules() -> RuleSet:
    """Parse and validate rules.yaml (once per process: it is read-only data)."""
    from stackpick.decide import snapshot

    path = _rules_file()  # a plain read: importlib.resources is slower to import
    data = snapshot.rules(path) if path else None  # the same document, from JSON
    if data is None:
        text = path.read_text(encoding="utf-8") if path else raw_rules_text()
        data = _parse_yaml(text)
    return parse_rules(data)


def parse_rules(data: dict[str, Any]) -> RuleSet:
    """Build a RuleSet, failing loudly on data the engine could misread."""
    weights = {str(k): int(v) for k, v in data["weights"].items()}
    if not weights["strong"] > weights["moderate"] > weights["weak"] > 0:
        raise ValueError("rules.yaml: weights must keep strong > moderate > weak > 0")
    details = {str(k): _source(str(k), v) for k, v in data["sources"].items()}
    sources = {k: s.citation() for k, s in details.items()}

    def condition(entry: dict[str, Any], where: str) -> Condition:
        when = entry.get("when")
        if not isinstance(when, list) or not all(isinstance(c, dict) for c in when):
            raise ValueError(f"rules.yaml: {where}: 'when' must be a list of mappings")
        return tuple(when)

    def cited(entry: dict[str, Any], where: str) -> tuple[str, ...]:
        keys = tuple(entry.get("sources", ()))
        unknown = [k for k in keys if k not in sources]
        if unknown or not keys:
            raise ValueError(
                f"rules.yaml: {where}: sources {unknown or '[]'} not in table"
            )
        return keys

    def quoted(entry: dict[str, Any], where: str, every: bool) -> dict[str, str]:
        quotes = {
            str(k): " ".join(str(v).split()) for k, v in entry.get("quotes", {}).items()
        }
        return check_quotes(quotes, cited(entry, where), where, every=every)

    rules = []
    seen: set[str] = set()
    for entry in data["rules"]:
        rid = entry["id"]
        if rid in seen:
            raise ValueError(f"rules.yaml: rule id {rid!r} is repeated")
        seen.add(rid)
        if entry["favours"] not in FRAMEWORKS:
            raise ValueError(f"rules.yaml: {rid}: favours must be flask or django")
        rules.append(
            Rule(
                id=rid,
                favours=entry["favours"],
                strength=entry["strength"],
                points=weights[entry["strength"]],
                sources=cited(entry, rid),
                why=entry["why"],
                when=condition(entry, rid),
                quotes=quoted(entry, rid, every=True),
                qualifiers=tuple(entry.get("qualifiers", ())),
            )
        )
    notes = tuple(
        Note(
            n["id"],
            n["text"],
            cited(n, n["id"]),
            condition(n, n["id"]),
            quoted(n, n["id"], every=False),
        )
        for n in data.get("notes", ())
    )
    extensions = {
        fw: tuple(
            Extension(e["name"], e["why"], condition(e, e["name"]))
            for e in data["extensions"][fw]
        )
        for fw in FRAMEWORKS
    }
    confidence = tuple(
        (c["label"], int(c["min_margin"]))
        for c in sorted(data["confidence"], key=lambda c: -int(c["min_margin"]))
    )
    familiarity = None
    if "familiarity" in data:
        fam = data["familiarity"]
        unknown = [r for r in fam["rules"] if r not in seen]
        if unknown:
            raise ValueError(f"rules.yaml: familiarity names unknown rules {unknown}")
        familiarity = Familiarity(
            rules=tuple(fam["rules"]),
            min_strong=int(fam["min_strong"]),
            min_lead=int(fam["min_lead"]),
            sources=cited(fam, "familiarity"),
            quotes=quoted(fam, "familiarity", every=True),
        )
    compatibility = tuple(
        Compatibility(
            id=c["id"],
            refuse=condition({"when": c["refuse"]}, c["id"]),
            why=c["why"],
            sources=cited(c, c["id"]),
            steers=bool(c.get("steers", False)),
            quotes=quoted(c, c["id"], every=False),
        )
        for c in data.get("compatibility", ())
    )
    base, kinds = _defaults(data.get("defaults") or {"base": {}, "kinds": {}}, cited)
    implied = tuple(
        Implication(
            id=i["id"],
            when=condition(i, i["id"]),
            implies=_known_keys(dict(i["implies"]), base, i["id"]),
            why=str(i["why"]),
            sources=cited(i, i["id"]),
        )
        for i in data.get("implied", ())
    )
    return RuleSet(
        weights=weights,
        close_call_margin=int(data["close_call_margin"]),
        confidence=confidence,
        tie_break=data["tie_break"],
        sources=sources,
        rules=tuple(rules),
        notes=notes,
        extensions=extensions,
        source_details=details,
        familiarity=familiarity,
        compatibility=compatibility,
        base_defaults=base,
        kind_defaults=kinds,
        implied=implied,
        raw=data,
    )


MAX_QUOTE_WORDS = 40


def check_quotes(
    quotes: dict[str, str], sources: tuple[str, ...], where: str, *, every: bool
) -> dict[str, str]:
    """A quote per cited source (every one when `every`), none longer than 40 words.

    Whether each quote is really in its article is tests/test_quotes.py's to check
    (the articles are not shipped).
    """
    stray = sorted(set(quotes) - set(sources))
    absent = [s for s in sources if s not in quotes] if every else []
    if stray or absent:
        raise ValueError(
            f"rules.yaml: {where}: quotes must match sources "
            f"(no quote for {absent}, quotes for uncited {stray})"
        )
    for key, quote in quotes.items():
        if not quote or len(quote.split()) > MAX_QUOTE_WORDS:
            raise ValueError(
                f"rules.yaml: {where}: the {key} quote must have 1 to "
                f"{MAX_QUOTE_WORDS} words"
            )
    return quotes


def _source(key: str, entry: Any) -> Source:
    if isinstance(entry, str):  # a bare title
        return Source(key, entry, None, None)
    year = entry.get("year")
    return Source(
        key, str(entry["title"]), entry.get("publisher"), int(year) if year else None
    )


def _defaults(
    data: dict[str, Any], cited: Any
) -> tuple[dict[str, Any], dict[str, KindDefaults]]:
    base = dict(data.get("base") or {})
    kinds: dict[str, KindDefaults] = {}
    for kind, entry in (data.get("kinds") or {}).items():
        differs = dict(entry.get("answers") or {})
        unknown = set(differs) - set(base)
        if unknown:
            raise ValueError(f"rules.yaml: defaults: {kind}: no base for {unknown}")
        kinds[kind] = KindDefaults(
            kind=kind,
            answers={**base, **differs},
            differs=differs,
            why=str(entry["why"]),
            sources=cited(entry, f"defaults: {kind}"),
        )
    return base, kinds


def condition_keys(ruleset: RuleSet) -> set[str]:
    """Every answer key some rule, note or extension looks at."""
    keys: set[str] = set()
    conditions: list[Condition] = [r.when for r in ruleset.rules]
    conditions += [n.when for n in ruleset.notes]
    conditions += [e.when for found in ruleset.extensions.values() for e in found]
    for condition in conditions:
        for clause in condition:
            keys.update(clause)
    for rule in ruleset.compatibility:
        for clause in rule.refuse:
            keys.update(clause)
    return keys
