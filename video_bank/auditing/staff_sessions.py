"""HTTP sign-in sessions of staff: short-lived random tokens, and the records each session opened.

Pure over a clock. A token is 256 random bits (``secrets.token_urlsafe(32)``), handed to the browser
once in an HttpOnly, SameSite=Strict cookie; only its SHA-256 is kept here, so a memory dump or a
log of this table yields nothing that signs in. A session ends after ``idle_seconds`` without a
request or ``max_seconds`` after sign-in, whichever comes first, or at sign-out. Sessions live in
the serving process's memory: a restart signs everyone out (acceptable for a console; several nodes
would keep them in Redis behind the same methods).

Opening a record with a reason adds it to the session's *grants*; record data (manifest, wrapped
key, chunks) is served only for granted records, so every read follows a logged opening.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from signaling.identity import Identity

TOKEN_BYTES = 32
IDLE_SECONDS = 15 * 60.0
MAX_SECONDS = 8 * 3600.0
MAX_SESSIONS = 10_000
"""Oldest sessions are dropped beyond this (bounds memory if someone signs in in a loop)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class StaffSession:
    """One signed-in staff member."""

    identity: Identity
    """Who (role, username, display name)."""
    created_at: float
    """Sign-in time."""
    seen_at: float
    """Last request."""
    grants: set[str] = field(default_factory=set)
    """Records opened (with a logged reason) in this session."""


class StaffSessions:
    """Issues, finds and ends staff sessions."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        idle_seconds: float = IDLE_SECONDS,
        max_seconds: float = MAX_SECONDS,
        new_token: Callable[[], str] = lambda: secrets.token_urlsafe(TOKEN_BYTES),
    ) -> None:
        self._clock = clock
        self.idle_seconds = idle_seconds
        """A session ends after this long without a request."""
        self.max_seconds = max_seconds
        """A session ends this long after sign-in."""
        self._new_token = new_token
        self._sessions: dict[str, StaffSession] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def issue(self, identity: Identity) -> str:
        """A new session for ``identity``; returns its token (the only copy)."""
        now = self._clock()
        self._expire(now)
        while len(self._sessions) >= MAX_SESSIONS:
            del self._sessions[next(iter(self._sessions))]
        token = self._new_token()
        self._sessions[_digest(token)] = StaffSession(identity, now, now)
        return token

    def find(self, token: str | None) -> StaffSession | None:
        """The live session of ``token`` (its idle timer restarts), or ``None``."""
        if not token or len(token) > 256:
            return None
        now = self._clock()
        key = _digest(token)
        session = self._sessions.get(key)
        if session is None:
            return None
        if self._expired(session, now):
            del self._sessions[key]
            return None
        session.seen_at = now
        return session

    def expires_at(self, session: StaffSession) -> float:
        """When ``session`` ends if no further request comes."""
        return min(session.seen_at + self.idle_seconds, session.created_at + self.max_seconds)

    def seconds_left(self, session: StaffSession) -> float:
        """Seconds until ``session`` ends if no further request comes."""
        return max(0.0, self.expires_at(session) - self._clock())

    def end(self, token: str | None) -> None:
        """Sign out (nothing happens for an unknown token)."""
        if token:
            self._sessions.pop(_digest(token), None)

    def _expired(self, session: StaffSession, now: float) -> bool:
        return now >= self.expires_at(session)

    def _expire(self, now: float) -> None:
        for key in [k for k, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[key]
