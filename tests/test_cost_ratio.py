"""support.cost_ratio, which the timing tests of the served starters rely on: a
burst of other work on a few samples leaves it near 1, a real leak never hides."""

from __future__ import annotations

from support import cost_ratio

EQUAL = [0.100, 0.101, 0.099, 0.102, 0.100, 0.098, 0.101, 0.100]


def test_a_burst_on_one_side_leaves_equal_work_equal() -> None:
    burst = [*EQUAL[:6], 0.9, 1.4]  # two samples slowed 10x by other work
    assert 0.9 <= cost_ratio(burst, EQUAL) <= 1.1
    assert 0.9 <= cost_ratio(EQUAL, burst) <= 1.1


def test_a_leak_shows_through_a_loaded_machine() -> None:
    leak = [t * 20 for t in EQUAL]  # a password hashed for known accounts only
    slowed = [t * 3 for t in EQUAL[:5]] + EQUAL[5:]  # the fast side mostly slowed
    assert cost_ratio(leak, slowed) > 2.0
    assert cost_ratio(slowed, leak) < 0.5
