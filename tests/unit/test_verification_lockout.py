"""Lockout after repeated failures, with an injected clock."""

from __future__ import annotations

import pytest

from verification.errors import LockedOutError
from verification.lockout import Lockout
from verification.policy import LockoutPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_five_failures_within_three_minutes_lock_the_customer_out_for_thirty_minutes(clock: Clock) -> None:
    lockout = Lockout(LockoutPolicy(), clock)
    for _ in range(4):
        assert lockout.record_failure("c1") is None
        clock.now += 30
    event = lockout.record_failure("c1")
    assert event is not None
    assert (event.customer_id, event.at, event.until, event.failures) == ("c1", 1120.0, 1120.0 + 1800, 5)
    with pytest.raises(LockedOutError) as refused:
        lockout.check("c1")
    assert refused.value.until == 1120.0 + 1800
    lockout.check("c2")  # other customers are not affected
    clock.now += 1799
    assert lockout.locked_until("c1") == 1120.0 + 1800
    clock.now += 1
    lockout.check("c1")
    assert lockout.locked_until("c1") is None


def test_failures_spread_over_more_than_three_minutes_do_not_lock(clock: Clock) -> None:
    lockout = Lockout(LockoutPolicy(), clock)
    for _ in range(10):
        assert lockout.record_failure("c1") is None
        clock.now += 46  # the oldest failure always falls out of the 180 s window before the fifth
    lockout.check("c1")


def test_after_a_lockout_counting_starts_again(clock: Clock) -> None:
    lockout = Lockout(LockoutPolicy(max_failures=2, period=60, duration=100), clock)
    lockout.record_failure("c1")
    assert lockout.record_failure("c1") is not None
    assert lockout.record_failure("c1") is None  # while locked: counted, no new event
    clock.now += 100
    lockout.check("c1")
    assert lockout.record_failure("c1") is None
    assert lockout.record_failure("c1") is not None


def test_prune_forgets_quiet_customers(clock: Clock) -> None:
    lockout = Lockout(LockoutPolicy(), clock)
    lockout.record_failure("c1")
    clock.now += 181
    lockout.prune()
    assert lockout._failures == {}
