"""The grace-period state machine: lose, resume before the deadline, or expire; by table, explicit clock."""

from __future__ import annotations

import pytest

from signaling.leg_grace import Gap, Grace, GraceError, LinkState, step


def test_a_lost_holder_resumed_in_time_reports_its_gap() -> None:
    grace: Grace[str] = Grace(30.0)
    lost = grace.lose("a", 100.0)
    assert (lost.deadline, lost.seconds_left(110.0)) == (130.0, 20.0)
    assert grace.state("a") is LinkState.LOST
    assert grace.due(129.9) == []
    assert grace.resume("a", 112.5) == Gap(100.0, 112.5)
    assert grace.resume("a", 112.5) is None  # up again: a later resume (a new socket) has no gap
    assert grace.state("a") is LinkState.UP
    assert grace.due(1000.0) == []


def test_holders_not_resumed_are_due_at_their_deadline_oldest_first_and_forgotten() -> None:
    grace: Grace[str] = Grace(10.0)
    grace.lose("late", 5.0)
    grace.lose("early", 1.0)
    assert grace.next_deadline() == 11.0
    assert grace.due(15.0) == ["early", "late"]
    assert len(grace) == 0 and grace.next_deadline() is None
    with pytest.raises(GraceError):
        step(LinkState.GONE, "resume")


def test_losing_twice_is_a_bug_in_the_caller() -> None:
    grace: Grace[str] = Grace(10.0)
    grace.lose("a", 1.0)
    with pytest.raises(GraceError, match="lost: lose not possible"):
        grace.lose("a", 2.0)


def test_without_a_grace_period_a_lost_holder_is_due_at_once() -> None:
    grace: Grace[str] = Grace(0.0)
    grace.lose("a", 7.0)
    assert grace.due(7.0) == ["a"]


def test_a_holder_that_ended_otherwise_has_no_deadline() -> None:
    grace: Grace[str] = Grace(10.0)
    grace.lose("a", 1.0)
    grace.forget("a")
    assert grace.due(100.0) == [] and "a" not in grace


def test_a_negative_grace_period_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        Grace(-1.0)
