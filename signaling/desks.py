"""Session desks: the services that work inside a call (verification, business flows, co-browsing).

The switchboard owns who is in which call. Messages that belong to the work done *inside* a call
(``verification_start``, flow inputs, co-browse events…) carry a ``session_id``; the switchboard checks
that the sender is a party of that live session and hands them on as an
:class:`~signaling.effects.InSession` effect. The adapter then gives each to the one desk registered
for its type, together with the sender's leg and role as the server knows them, never as the client
claims them.

A desk talks back only through its :class:`SessionLink`: to a leg of a session it is told about, and
to the session's timeline. It learns about sessions from :meth:`SessionDesk.session_opened` and
:meth:`SessionDesk.session_closed`, and must release everything it holds for a session in the latter.
A party that was not there when the session opened (a call-back's customer) is announced with
:meth:`SessionDesk.party_joined`, so that the desk can send what that party missed.
Recording is a desk too (:class:`SessionRecorder`): it hears of a session first and of its end last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from signaling.errors import PeerError
from signaling.messages import ClientMessage, ServerMessage
from signaling.session import Leg


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What a desk is told when a session opens."""

    session_id: str
    business: str
    kind: str
    """``call`` or ``callback``."""
    customer_name: str
    teller: str
    """The teller's account name."""
    elderly: bool
    started_at: float
    recorded: bool = True
    """Whether the session's record is being written (see ``unrecorded_calls`` in the settings)."""


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent an in-session message, as established by the server."""

    conn_id: str
    leg: Leg
    role: str
    """The connection's authenticated role (``customer``, ``teller``, ``field``…)."""
    username: str | None
    """Staff account name; ``None`` for customers."""


class SessionLink(Protocol):
    """What a desk may do to the outside world."""

    def now(self) -> float:
        """The server's clock (seconds since the epoch)."""

    def connected(self, session_id: str, leg: Leg) -> bool:
        """Whether that party of a live session has a connection now."""

    def send(self, session_id: str, leg: Leg, message: ServerMessage) -> bool:
        """Send to one party of a live session, or to the teller still wrapping up an ended one
        (its wrap-up code); ``False`` when that party is not connected."""

    async def log(
        self, at: float, kind: str, session_id: str, actor: str | None, data: dict[str, Any]
    ) -> None:
        """Append to the session's event log and record timeline."""

    async def record(
        self, at: float, kind: str, session_id: str, actor: str | None, data: dict[str, Any]
    ) -> None:
        """Append to the session's encrypted record timeline only, never the plaintext event log
        (verification keyframes)."""


class SessionDesk(Protocol):
    """One service working inside calls."""

    message_types: frozenset[str]
    """Client message types this desk handles (no two desks share one)."""

    def bind(self, link: SessionLink) -> None:
        """Called once by the signaling service before any session opens."""

    async def session_opened(self, info: SessionInfo) -> None:
        """A session started (before either party has media)."""

    async def party_joined(self, session_id: str, leg: Leg) -> None:
        """The ``leg`` party joined the live session after it opened: send it what it missed."""

    async def handle(self, session_id: str, sender: Sender, message: ClientMessage) -> None:
        """One message from a party of ``session_id``. Raise :class:`PeerError` to refuse it."""

    async def session_closed(self, session_id: str, reason: str, at: float) -> None:
        """The session is over: stop its work and release everything held for it (idempotent)."""


class SessionRecorder(Protocol):
    """The desk that records sessions (``video_bank.desks.recording_desk``).

    It subscribes to every session like the other desks, but at both ends of it: it hears of a session
    as the session opens, before anything of it is logged or any other desk hears of it, and says
    whether the session is recorded (:attr:`SessionInfo.recorded` of the other desks); it hears of the
    end after every other desk did, so that their last events are in the record it then seals. Its
    timeline comes from the event store (``video_bank.session_log``), not from this link."""

    def bind(self, link: SessionLink) -> None:
        """Called once by the signaling service before any session opens."""

    async def session_opened(self, info: SessionInfo) -> bool:
        """A session started: open its record; ``False`` when it cannot be recorded."""

    async def session_closed(self, session_id: str, reason: str, at: float) -> None:
        """The session is over and every other desk has heard: seal its record (idempotent)."""


@runtime_checkable
class LegListener(Protocol):
    """A desk that must know when a party's connection is lost and when it is back (resume).

    While a leg is lost the session goes on (its grace period): a desk breaks off work that needs
    that party present and, when the party is back, re-sends what its page must show now."""

    async def leg_lost(self, session_id: str, leg: Leg, at: float) -> None:
        """The party on ``leg`` lost its connection at server time ``at``."""

    async def leg_resumed(self, session_id: str, leg: Leg, at: float) -> None:
        """The party on ``leg`` is back on a new connection (its page starts afresh)."""


class DeskBoard:
    """The desks of one application, indexed by the message types they handle."""

    def __init__(self, desks: Iterable[SessionDesk] = ()) -> None:
        self.desks: tuple[SessionDesk, ...] = tuple(desks)
        by_type: dict[str, SessionDesk] = {}
        for desk in self.desks:
            for message_type in desk.message_types:
                if message_type in by_type:
                    raise ValueError(f"two desks handle {message_type}")
                by_type[message_type] = desk
        self._by_type: Mapping[str, SessionDesk] = by_type
        self.leg_listeners: tuple[LegListener, ...] = tuple(
            d for d in self.desks if isinstance(d, LegListener)
        )
        """The desks that hear of lost and resumed legs."""

    def desk_for(self, message_type: str) -> SessionDesk:
        """The desk for ``message_type``; :class:`NoDesk` when none is installed."""
        desk = self._by_type.get(message_type)
        if desk is None:
            raise NoDesk(f"{message_type} is not available on this server")
        return desk


class NoDesk(PeerError):
    """No desk handles the message type (the service is not installed on this server)."""

    code = "not_available"
