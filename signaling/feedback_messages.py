"""Protocol v1 messages of the customer's feedback after a session (docs/protocol.md, "Feedback").

When a session ends — either side hung up, or a connection was lost — the customer's page asks for a
rating from 1 to 5 and an optional comment, and sends it as ``feedback`` with the session's id and
the one-time ``feedback_token`` it got in ``session_started``. The server stores it against the
session once, and answers ``feedback_recorded`` (or ``error``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, ClassVar, Final

from signaling.wire_fields import NULLABLE, Length, Range, SessionId, Token

MAX_COMMENT_CHARS: Final = 500


@dataclass(frozen=True, slots=True)
class Feedback:
    """Customer: the rating of a session that has ended (from any socket: the page may have reconnected)."""

    TYPE: ClassVar[str] = "feedback"
    session_id: SessionId
    """The session rated."""
    feedback_token: Token = field(repr=False)
    """The one-time token of ``session_started``: proves this is that session's customer. Secret."""
    rating: Annotated[int, Range(1, 5)]
    """1 (poor) to 5 (very good)."""
    comment: Annotated[str | None, Length(max=MAX_COMMENT_CHARS), NULLABLE] = field(default=None, repr=False)
    """Optional, at most 500 characters; stored, never logged."""


@dataclass(frozen=True, slots=True)
class FeedbackRecorded:
    """Server to customer: the feedback is stored."""

    TYPE: ClassVar[str] = "feedback_recorded"
    session_id: SessionId
    """The session rated."""
