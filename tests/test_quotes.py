"""Every quote in rules.yaml is in its article, word for word.

The five articles live beside the clone, in ../shared/seeds/ (read-only in CI; the
project carries only short quotes, never the texts). Whitespace and typographic quotes
are normalised; nothing else is. Without the articles the test skips locally and fails
in CI (tests/support/components.py's `unavailable`): a quote nobody checked is a claim.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest

from stackpick.decide.rules import MAX_QUOTE_WORDS, load_rules
from support import ROOT, unavailable

RULES = load_rules()
# Typographic quotes as the articles print them, and what a quote may use instead.
TYPOGRAPHIC = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'}
)


def normalise(text: str) -> str:
    """One space between words, straight quotes: how a quote is compared."""
    return " ".join(text.translate(TYPOGRAPHIC).split())


def seeds_dir() -> Path:
    """../shared/seeds beside the clone (STACKPICK_SEEDS overrides, for a worktree)."""
    override = os.environ.get("STACKPICK_SEEDS")
    folder = Path(override) if override else ROOT.parent / "shared" / "seeds"
    if not folder.is_dir():
        unavailable("the source articles", f"{folder} is not there")
    return folder


@cache
def article(key: str, folder: Path) -> str:
    """The article S1..S5, normalised (its file name starts with the key)."""
    found = sorted(folder.glob(f"{key}-*.txt"))
    assert len(found) == 1, f"one article file for {key} in {folder}, found {found}"
    return normalise(found[0].read_text(encoding="utf-8"))


def every_quote() -> list[tuple[str, str, str]]:
    """(where, source key, quote) for each rule, note, bar and refusal that quotes."""
    quoted = [
        *((f"rule {r.id}", r.quotes) for r in RULES.rules),
        *((f"note {n.id}", n.quotes) for n in RULES.notes),
        *((f"compatibility {c.id}", c.quotes) for c in RULES.compatibility),
    ]
    if RULES.familiarity:
        quoted.append(("familiarity", RULES.familiarity.quotes))
    return [(where, key, q) for where, quotes in quoted for key, q in quotes.items()]


def test_every_rule_quotes_each_source_it_cites() -> None:
    for rule in RULES.rules:
        assert set(rule.quotes) == set(rule.sources), rule.id
        for quote in rule.quotes.values():
            assert 0 < len(quote.split()) <= MAX_QUOTE_WORDS, (rule.id, quote)


@pytest.mark.parametrize(
    ("where", "key", "quote"), every_quote(), ids=lambda v: re.sub(r"\W+", "_", v)[:30]
)
def test_quote_is_in_its_article_word_for_word(
    where: str, key: str, quote: str
) -> None:
    text = article(key, seeds_dir())
    assert normalise(quote) in text, f"{where}: not in {key}: {quote!r}"


def test_the_check_catches_a_quote_that_claims_more() -> None:
    """The comparison is strict: one word changed is not found (S2 says medium to
    large is Django's, not Flask's)."""
    text = article("S2", seeds_dir())
    assert normalise("Choose Django for a medium to large site.") in text
    assert normalise("Choose Flask for a medium to large site.") not in text
    assert normalise("Choose  Django\nfor a medium to large site.") in text
