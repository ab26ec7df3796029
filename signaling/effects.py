"""What the switchboard asks its adapter to do. Plain data; the adapter executes them in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from signaling.messages import ClientMessage, ServerMessage
from signaling.ports import CallbackReservation
from signaling.session import Leg


@dataclass(frozen=True, slots=True)
class Send:
    """Send a message to one connection."""

    conn_id: str
    message: ServerMessage


@dataclass(frozen=True, slots=True)
class Close:
    """Close one connection with a WebSocket close code."""

    conn_id: str
    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class Authenticate:
    """Check credentials, then call ``Switchboard.authenticated``."""

    conn_id: str
    role: str
    username: str | None
    password: str | None = field(repr=False)


@dataclass(frozen=True, slots=True)
class NegotiateMedia:
    """Give a leg's SDP offer to the hub and send the answer back to ``conn_id``."""

    conn_id: str
    session_id: str
    leg: Leg
    sdp: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class AddCandidate:
    """Give a trickled ICE candidate to the hub."""

    conn_id: str
    session_id: str
    leg: Leg
    candidate: str = field(repr=False)
    sdp_mid: str | None
    sdp_mline_index: int | None


@dataclass(frozen=True, slots=True)
class NegotiateMonitor:
    """Give a monitoring supervisor's receive-only offer to the hub; send the answer to ``conn_id``."""

    conn_id: str
    session_id: str
    sdp: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class CloseMonitor:
    """Close a supervisor's monitoring peer connection (idempotent)."""

    conn_id: str
    session_id: str


@dataclass(frozen=True, slots=True)
class OpenMedia:
    """Prepare the hub for a session (before either side offers)."""

    session_id: str


@dataclass(frozen=True, slots=True)
class CloseMedia:
    """Close every peer connection, track and task of a session."""

    session_id: str


@dataclass(frozen=True, slots=True)
class SessionOpened:
    """Persist a new session row."""

    session_id: str
    business: str
    customer_name: str
    teller_username: str
    started_at: float
    kind: str = "call"
    elderly: bool = False


@dataclass(frozen=True, slots=True)
class PartyJoined:
    """A party joined a live session after it opened (a call-back's customer following the link):
    the session desks catch that party up (signaling/desks.py ``party_joined``)."""

    session_id: str
    leg: Leg


@dataclass(frozen=True, slots=True)
class SessionClosed:
    """Persist the end of a session."""

    session_id: str
    ended_at: float
    outcome: str


@dataclass(frozen=True, slots=True)
class LogEvent:
    """Append one entry to the event log (server time ``at``)."""

    at: float
    kind: str
    session_id: str | None = None
    actor: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Paired:
    """Both parties of a new session have been told (metrics: wait and pairing latency)."""

    business: str
    lane: str
    waited_seconds: float


@dataclass(frozen=True, slots=True)
class StoreFeedback:
    """Store a customer's rating of an ended session, then answer ``conn_id`` (``feedback_recorded``,
    or ``error`` ``feedback_closed`` when the session already has a rating)."""

    conn_id: str
    session_id: str
    business: str
    rating: int
    comment: str | None = field(repr=False)
    at: float


@dataclass(frozen=True, slots=True)
class StoreCallback:
    """Persist a new callback reservation."""

    reservation: CallbackReservation
    created_at: float


@dataclass(frozen=True, slots=True)
class UpdateCallback:
    """Record a callback reservation's new status."""

    reservation_id: str
    status: str
    at: float
    teller: str | None = None
    session_id: str | None = None
    link_hash: str | None = field(default=None, repr=False)
    """With ``calling``: the SHA-256 of the one-time link's token (the token is never stored)."""


@dataclass(frozen=True, slots=True)
class NotifyCallback:
    """Tell a booked customer (through the bank's notification channel) to join with a one-time link."""

    reservation_id: str
    link_token: str = field(repr=False)
    teller_display_name: str
    at: float


@dataclass(frozen=True, slots=True)
class InSession:
    """Hand a message about the work inside a call to the session desk for its type (signaling/desks.py).

    The switchboard has checked that ``conn_id`` is the ``leg`` party of the live session.
    """

    conn_id: str
    session_id: str
    leg: Leg
    role: str
    username: str | None
    message: ClientMessage


@dataclass(frozen=True, slots=True)
class LegLost:
    """Tell the session desks that a party's connection is lost (the leg is kept for the grace period):
    work that needs both parties present, such as a running verification, is broken off."""

    session_id: str
    leg: Leg
    at: float


@dataclass(frozen=True, slots=True)
class LegResumed:
    """Tell the session desks that a party is back: each re-sends that party what it must see now."""

    session_id: str
    leg: Leg
    at: float


Effect = (
    Send
    | Close
    | Authenticate
    | NegotiateMedia
    | AddCandidate
    | NegotiateMonitor
    | CloseMonitor
    | OpenMedia
    | CloseMedia
    | SessionOpened
    | PartyJoined
    | SessionClosed
    | LogEvent
    | Paired
    | StoreFeedback
    | StoreCallback
    | UpdateCallback
    | NotifyCallback
    | InSession
    | LegLost
    | LegResumed
)
