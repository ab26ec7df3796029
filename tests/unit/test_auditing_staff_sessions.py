"""Staff HTTP sessions: tokens, idle and absolute expiry, sign-out."""

from __future__ import annotations

from signaling.identity import Identity, Role
from video_bank.auditing.staff_sessions import StaffSessions

AUDITOR = Identity(Role.AUDITOR, "audit1", "Auditor Chen")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_finds_its_session_until_signed_out() -> None:
    sessions = StaffSessions(Clock())
    token = sessions.issue(AUDITOR)
    session = sessions.find(token)
    assert session is not None and session.identity == AUDITOR
    assert sessions.find(token + "x") is None and sessions.find(None) is None
    sessions.end(token)
    assert sessions.find(token) is None


def test_sessions_end_when_idle_and_at_the_absolute_limit() -> None:
    clock = Clock()
    sessions = StaffSessions(clock, idle_seconds=60, max_seconds=150)
    token = sessions.issue(AUDITOR)
    for _ in range(2):
        clock.now += 59
        assert sessions.find(token) is not None  # each request restarts the idle timer
    clock.now += 33  # 151 s after sign-in
    assert sessions.find(token) is None
    idle = sessions.issue(AUDITOR)
    clock.now += 60
    assert sessions.find(idle) is None


def test_only_a_digest_of_the_token_is_kept() -> None:
    sessions = StaffSessions(Clock())
    token = sessions.issue(AUDITOR)
    assert all(token != key for key in sessions._sessions)


def test_seconds_left_counts_down_to_the_idle_or_absolute_limit() -> None:
    clock = Clock()
    sessions = StaffSessions(clock, idle_seconds=60, max_seconds=100)
    token = sessions.issue(AUDITOR)
    session = sessions.find(token)
    assert session is not None
    assert sessions.seconds_left(session) == 60
    clock.now += 50
    sessions.find(token)
    assert sessions.seconds_left(session) == 50  # the absolute limit comes first now
