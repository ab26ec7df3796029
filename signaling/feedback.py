"""Who may rate which ended session, and until when — pure state, no I/O.

Each call's customer gets a one-time token with ``session_started``. After the session ends the
token, with the session's id, buys exactly one rating, within :data:`FEEDBACK_WINDOW_SECONDS` of the
end: a reconnected page can still send it (the socket that joined the call may be gone), nobody
else can, and the book forgets a session once its window has passed.

FeedbackRefused                 the rating is not accepted (a ``PeerError``)
├── InvalidFeedback             ``invalid_feedback``: unknown session or wrong token
└── FeedbackClosed              ``feedback_closed``: already given, or too late
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from signaling.errors import PeerError

FEEDBACK_WINDOW_SECONDS = 30 * 60.0
"""How long after a session's end its customer may still rate it."""


class FeedbackRefused(PeerError):
    """Root of refused feedback."""


class InvalidFeedback(FeedbackRefused):
    code = "invalid_feedback"


class FeedbackClosed(FeedbackRefused):
    code = "feedback_closed"


@dataclass(slots=True)
class FeedbackTicket:
    """One session's right to be rated."""

    session_id: str
    token: str
    """Secret; compared in constant time."""
    business: str
    ended_at: float | None = None
    """Server time the session ended (``None`` while it is live)."""


class FeedbackBook:
    """The tickets of live and recently ended sessions."""

    def __init__(self, window_seconds: float = FEEDBACK_WINDOW_SECONDS) -> None:
        self._window = window_seconds
        self._tickets: dict[str, FeedbackTicket] = {}

    def __len__(self) -> int:
        return len(self._tickets)

    def issue(self, session_id: str, token: str, business: str) -> None:
        """A session started with a customer: ``token`` will buy its one rating."""
        self._tickets[session_id] = FeedbackTicket(session_id, token, business)

    def ended(self, session_id: str, at: float) -> None:
        """The session is over: its rating window opens now."""
        ticket = self._tickets.get(session_id)
        if ticket is not None and ticket.ended_at is None:
            ticket.ended_at = at

    def redeem(self, session_id: str, token: str, now: float) -> FeedbackTicket:
        """Spend the session's ticket, or raise :class:`FeedbackRefused` (nothing changes then)."""
        ticket = self._tickets.get(session_id)
        if ticket is None or not hmac.compare_digest(ticket.token.encode(), token.encode()):
            raise InvalidFeedback("no such session, or not yours to rate", "feedback")
        if ticket.ended_at is None:
            raise FeedbackClosed("the call is still on: rate it after it has ended", "feedback")
        if now - ticket.ended_at > self._window:
            del self._tickets[session_id]
            raise FeedbackClosed("the time to rate this call has passed", "feedback")
        del self._tickets[session_id]
        return ticket

    def forget_expired(self, now: float) -> None:
        """Drop the tickets whose window has passed (memory stays bounded)."""
        for session_id, ticket in list(self._tickets.items()):
            if ticket.ended_at is not None and now - ticket.ended_at > self._window:
                del self._tickets[session_id]
