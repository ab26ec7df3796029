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
from typing import Any, ClassVar, Literal


@dataclass(frozen=True, slots=True)
class Resume:
    """Client, right after ``welcome`` on a new socket: take my leg or my place in line back."""

    TYPE: ClassVar[str] = "resume"
    resume_token: str = field(repr=False)
    """The latest token of ``welcome``, ``session_started``, ``session_resumed`` or ``queue_resumed``.
    Single use; secret, never logged."""


@dataclass(frozen=True, slots=True)
class SessionResumed:
    """Server to the returning party: you are back in the call; negotiate a new peer connection now."""

    TYPE: ClassVar[str] = "session_resumed"
    session_id: str
    """The same session as before."""
    business: str
    """Business of the session."""
    peer: dict[str, Any]
    """The other party, as in ``session_started``."""
    away_seconds: float
    """How long this party was away (server time, 0 when the server had not noticed the drop)."""
    kind: Literal["call", "callback"] = "call"
    """As in ``session_started``."""
    elderly: bool | None = None
    """To the customer: served as a customer aged 60 or over."""
    peer_present: bool = True
    """Whether the other party is connected now (``false``: they are reconnecting too)."""
    ice_servers: list[dict[str, Any]] | None = field(default=None, repr=False)
    """``RTCConfiguration.iceServers`` for the new peer connection (fresh TURN credentials). Secret."""
    ice_transport_policy: Literal["all", "relay"] | None = None
    """``RTCConfiguration.iceTransportPolicy`` the server wants."""
    resume_token: str | None = field(default=None, repr=False)
    """The next resume token (the one just used no longer works). Secret."""


@dataclass(frozen=True, slots=True)
class QueueResumed:
    """Server to a returning waiting customer: your place in line is kept (a ``queue_update`` follows)."""

    TYPE: ClassVar[str] = "queue_resumed"
    business: str
    """Business the customer waits for."""
    away_seconds: float
    """How long the customer was away (server time)."""
    resume_token: str | None = field(default=None, repr=False)
    """The next resume token. Secret."""


@dataclass(frozen=True, slots=True)
class LegState:
    """Server to a party of a call: the other party's connection was lost, or is back."""

    TYPE: ClassVar[str] = "leg_state"
    session_id: str
    """Session concerned."""
    leg: Literal["customer", "teller"]
    """Whose connection: ``customer`` or ``teller``."""
    state: Literal["lost", "resumed"]
    """``lost``: kept for ``grace_seconds`` while they reconnect; ``resumed``: back in the call."""
    grace_seconds: int | None = None
    """With ``lost``: seconds left before the call ends."""


@dataclass(frozen=True, slots=True)
class MediaRestart:
    """Server to one party: your peer connection with the hub is gone; make a new one and ``offer``."""

    TYPE: ClassVar[str] = "media_restart"
    session_id: str
    """Session concerned."""
    reason: Literal["failed"] = "failed"
    """Why: the hub found the peer connection failed."""
    grace_seconds: int | None = None
    """Seconds left before the call ends if no new peer connection connects."""
