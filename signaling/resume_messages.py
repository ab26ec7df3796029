"""Protocol v1 messages of resuming after a lost connection (docs/protocol.md, "Resume").

A customer gets a resume token in ``welcome`` (for their place in line) and each party one in
``session_started`` (for their leg of the call). When the socket drops, the server keeps the leg or
the place for a grace period and tells the other party (``leg_state`` ``lost``). The client opens a
new socket, says ``hello`` and then ``resume`` with its token; the server answers ``session_resumed``
(negotiate a new peer connection now) or ``queue_resumed`` with a new token, and tells the other
party ``leg_state`` ``resumed``. A peer connection that fails while the socket lives is replaced the
same way, without a new socket: ``media_restart`` asks the client for a fresh offer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, ClassVar, Literal

from signaling.businesses import Business
from signaling.wire_fields import ALWAYS, In, Range, ResumeToken, SessionId
from signaling.wire_objects import IceServer, Peer

AwaySeconds = Annotated[float, Range(min=0)]
"""Seconds a party was away (server time)."""
GraceSeconds = Annotated[int | None, Range(min=0)]
"""Seconds left before the call ends."""


@dataclass(frozen=True, slots=True)
class Resume:
    """Client, right after ``welcome`` on a new socket: take my leg or my place in line back."""

    TYPE: ClassVar[str] = "resume"
    resume_token: ResumeToken = field(repr=False)
    """The latest token of ``welcome``, ``session_started``, ``session_resumed`` or ``queue_resumed``.
    Single use; secret, never logged."""


@dataclass(frozen=True, slots=True)
class SessionResumed:
    """Server to the returning party: you are back in the call; negotiate a new peer connection now."""

    TYPE: ClassVar[str] = "session_resumed"
    session_id: SessionId
    """The same session as before."""
    business: Annotated[str, In(Business)]
    """Business of the session."""
    peer: Peer
    """The other party, as in ``session_started``."""
    away_seconds: AwaySeconds
    """How long this party was away (server time, 0 when the server had not noticed the drop)."""
    kind: Literal["call", "callback"] = "call"
    """As in ``session_started``."""
    elderly: bool | None = None
    """To the customer: served as a customer aged 60 or over."""
    peer_present: bool = True
    """Whether the other party is connected now (``false``: they are reconnecting too)."""
    ice_servers: Annotated[list[IceServer] | None, ALWAYS] = field(default=None, repr=False)
    """``RTCConfiguration.iceServers`` for the new peer connection (fresh TURN credentials). Secret."""
    ice_transport_policy: Annotated[Literal["all", "relay"] | None, ALWAYS] = None
    """``RTCConfiguration.iceTransportPolicy`` the server wants."""
    resume_token: Annotated[ResumeToken | None, ALWAYS] = field(default=None, repr=False)
    """The next resume token (the one just used no longer works). Secret."""


@dataclass(frozen=True, slots=True)
class QueueResumed:
    """Server to a returning waiting customer: your place in line is kept (a ``queue_update`` follows)."""

    TYPE: ClassVar[str] = "queue_resumed"
    business: Annotated[str, In(Business)]
    """Business the customer waits for."""
    away_seconds: AwaySeconds
    """How long the customer was away (server time)."""
    resume_token: Annotated[ResumeToken | None, ALWAYS] = field(default=None, repr=False)
    """The next resume token. Secret."""


@dataclass(frozen=True, slots=True)
class LegState:
    """Server to a party of a call: the other party's connection was lost, or is back."""

    TYPE: ClassVar[str] = "leg_state"
    session_id: SessionId
    """Session concerned."""
    leg: Literal["customer", "teller"]
    """Whose connection: ``customer`` or ``teller``."""
    state: Literal["lost", "resumed"]
    """``lost``: kept for ``grace_seconds`` while they reconnect; ``resumed``: back in the call."""
    grace_seconds: GraceSeconds = None
    """With ``lost``: seconds left before the call ends."""


@dataclass(frozen=True, slots=True)
class MediaRestart:
    """Server to one party: your peer connection with the hub is gone; make a new one and ``offer``."""

    TYPE: ClassVar[str] = "media_restart"
    session_id: SessionId
    """Session concerned."""
    reason: Annotated[Literal["failed"], ALWAYS] = "failed"
    """Why: the hub found the peer connection failed."""
    grace_seconds: GraceSeconds = None
    """Seconds left before the call ends if no new peer connection connects."""
