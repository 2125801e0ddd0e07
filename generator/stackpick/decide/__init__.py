"""What to build and why: questions, answers, team presets, rules and the engine.

Nothing here prints or writes: answers in, a recommendation (with its reasons
and what would flip it) out."""
