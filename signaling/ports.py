"""What the signaling adapter needs from the rest of the application, as protocols.

The application (``video_bank``) provides the implementations: the aiortc media hub, the storage
module and the account service. Tests may provide their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from signaling.identity import Identity, SignInThrottled
from signaling.session import Leg


class MediaInputError(Exception):
    """Raised by a media port for client input it cannot use (bad SDP or candidate, session over).

    The message is safe to show to the client: it never contains the SDP or candidate itself.
    """


MediaStateListener = Callable[[str, Leg, Literal["connected", "failed"]], None]
"""Called by the media port with (session id, leg, state)."""

LegIce = Callable[[str, str, float], tuple[list[dict[str, Any]], Literal["all", "relay"]]]
"""The ICE configuration of one party's peer connection: called with (session id, party, now), where
party is ``customer``, ``teller`` or ``monitor.<connection id>``; returns ``RTCIceServer`` dictionaries
(TURN entries with a short-lived credential issued to that party) and the ``iceTransportPolicy``."""


class MediaPort(Protocol):
    """The media hub as the signaling layer sees it."""

    def set_listener(self, listener: MediaStateListener) -> None:
        """Register the callback for leg state changes."""

    def open_session(self, session_id: str) -> None:
        """Prepare a session's relay before either side offers."""

    async def negotiate(self, session_id: str, leg: Leg, sdp: str) -> str:
        """Accept a leg's SDP offer; return the answer SDP. Raises :class:`MediaInputError` on bad input."""

    async def add_candidate(
        self, session_id: str, leg: Leg, candidate: str, sdp_mid: str | None, sdp_mline_index: int | None
    ) -> None:
        """Add a trickled ICE candidate. Raises :class:`MediaInputError` on bad input."""

    async def close_session(self, session_id: str) -> None:
        """Close every peer connection, track and task of a session (idempotent)."""

    async def negotiate_monitor(self, session_id: str, watcher_id: str, sdp: str) -> str:
        """Answer a receive-only offer that gets both parties' audio and video without affecting them."""

    async def close_monitor(self, session_id: str, watcher_id: str) -> None:
        """Close one watcher's peer connection (idempotent)."""


class EventStore(Protocol):
    """Persistence of sessions and the append-only event log; a session's events also reach its
    record's timeline from here (``video_bank.session_log``: one event, two sinks)."""

    async def append_event(
        self, at: float, kind: str, session_id: str | None, actor: str | None, data: dict[str, Any]
    ) -> None:
        """Append one event (to the plaintext log, and whole to the session's record)."""

    async def record_only(
        self, at: float, kind: str, session_id: str, actor: str | None, data: dict[str, Any]
    ) -> None:
        """Append one entry to the session's encrypted record timeline only (no plaintext copy)."""

    async def open_session(
        self, session_id: str, business: str, customer_name: str, teller: str, started_at: float
    ) -> None:
        """Create a session row (the session's events are kept for its record from this call on)."""

    async def close_session(self, session_id: str, ended_at: float, outcome: str) -> None:
        """Record a session's end."""


class Authenticator(Protocol):
    """Checks staff credentials, with the sign-in throttle shared by every entry point."""

    async def authenticate(
        self, role: str, username: str | None, password: str | None, address: str
    ) -> Identity | SignInThrottled | None:
        """The identity for valid credentials of an account with ``role``; ``None`` when refused;
        :class:`SignInThrottled` when too many recent failures for that name or ``address`` (the
        client's network address) mean the password was not even checked."""


@dataclass(frozen=True, slots=True)
class CallbackReservation:
    """A call-back reservation as stored: enough to offer it again after a restart."""

    id: str
    business: str
    display_name: str
    phone: str = field(repr=False)
    """Where the text with the link goes; never logged."""
    window_start: float
    window_end: float
    queued_at: float
    """When the customer first asked (their place in line)."""
    elderly: bool
    language: str | None
    cancel_hash: str = field(repr=False)
    """SHA-256 of the cancel token the customer holds (the token itself is never stored)."""
    status: str = "booked"
    """booked, calling, answered, missed, cancelled or expired."""


class CallbackPort(Protocol):
    """Persistence of callback reservations and the customer notification (SMS gateway, outbox...)."""

    async def store_callback(self, reservation: CallbackReservation, created_at: float) -> None:
        """Store a new reservation."""

    async def update_callback(
        self,
        reservation_id: str,
        status: str,
        at: float,
        teller: str | None,
        session_id: str | None,
        link_hash: str | None,
    ) -> None:
        """Record a reservation's new status (and, when calling, the hash of the link's token)."""

    async def notify_callback(
        self, reservation_id: str, link_token: str, teller_display_name: str, at: float
    ) -> None:
        """Tell the customer their teller is ready, with a one-time link into the session."""

    async def pending_callbacks(self) -> list[CallbackReservation]:
        """Reservations still ``booked`` or ``calling`` (to offer again after a restart)."""


class FeedbackStore(Protocol):
    """Persistence of the customers' ratings of their sessions."""

    async def record_rating(
        self,
        session_id: str,
        business: str,
        customer_id: str | None,
        rating: int,
        comment: str | None,
        at: float,
    ) -> bool:
        """Store a session's rating (1–5) and comment; False when the session has a rating already."""


class EventObserver(Protocol):
    """Watches logged events as they are carried out (metrics)."""

    def observe(self, kind: str, data: dict[str, Any], elapsed: float) -> None:
        """``elapsed``: seconds since the input that caused the event began to be handled."""
