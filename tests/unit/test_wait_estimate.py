"""The wait estimate's model (signaling/wait_estimate.py, docs/routing.md "Wait estimate")."""

from __future__ import annotations

import math
import random

import pytest

from signaling.wait_estimate import MAX_ESTIMATE_SECONDS, Overtaking, estimate_wait


def test_without_overtakers_the_line_is_spread_over_the_able_tellers() -> None:
    assert estimate_wait(1, 1, 120.0) == 120
    assert estimate_wait(6, 3, 120.0) == 240
    assert estimate_wait(1, 4, 120.0) == 30
    assert estimate_wait(2, 0, 100.0) == 200  # nobody able: one teller assumed


def test_overtakers_who_always_go_first_stretch_the_wait_by_one_over_one_minus_their_load() -> None:
    # 10 s per departure, 3 places, 0.05 overtakers/s: W = 10 (3 + 0.05 W) → W = 30 / 0.5 = 60.
    assert estimate_wait(3, 1, 10.0, [Overtaking(0.05, math.inf)]) == 60


def test_overtakers_count_only_while_their_window_is_open() -> None:
    # Window 100 s > W = 60: as if it were for ever.
    assert estimate_wait(3, 1, 10.0, [Overtaking(0.05, 100.0)]) == 60
    # Window 20 s < W: only 0.05 × 20 = 1 overtaker: W = 10 (3 + 1) = 40.
    assert estimate_wait(3, 1, 10.0, [Overtaking(0.05, 20.0)]) == 40
    # Closed windows and empty classes change nothing.
    assert estimate_wait(3, 1, 10.0, [Overtaking(0.05, 0.0), Overtaking(0.0, math.inf)]) == 30


def test_overtakers_that_alone_fill_the_tellers_give_the_largest_estimate_unless_their_window_closes() -> (
    None
):
    assert estimate_wait(1, 1, 10.0, [Overtaking(0.1, math.inf)]) == MAX_ESTIMATE_SECONDS
    # With ageing the window closes: W = 10 (1 + 0.2 × 50) = 110.
    assert estimate_wait(1, 1, 10.0, [Overtaking(0.2, 50.0)]) == 110
    assert estimate_wait(10_000, 1, 100.0) == MAX_ESTIMATE_SECONDS


def test_the_estimate_solves_its_equation_for_mixed_classes() -> None:
    rng = random.Random(3)
    for _ in range(500):
        position, servers, occupancy = rng.randint(1, 40), rng.randint(1, 12), rng.uniform(30, 300)
        classes = [
            Overtaking(rng.uniform(0, 0.02), rng.choice([math.inf, rng.uniform(0, 900)]))
            for _ in range(rng.randint(0, 4))
        ]
        wait = estimate_wait(position, servers, occupancy, classes)
        if wait == MAX_ESTIMATE_SECONDS:
            continue
        right = occupancy / servers * (position + sum(c.rate * min(wait, c.window) for c in classes))
        # ``wait`` is rounded to a second; the right side moves by at most its slope (< 1) per second.
        assert abs(right - wait) <= 1.0, (position, servers, occupancy, classes)


def test_nonsense_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="1-based"):
        estimate_wait(0, 1, 10.0)
    with pytest.raises(ValueError, match="occupancy"):
        estimate_wait(1, 1, -1.0)
    with pytest.raises(ValueError, match="rate"):
        Overtaking(-0.1, 1.0)
    with pytest.raises(ValueError, match="window"):
        Overtaking(0.1, math.nan)
