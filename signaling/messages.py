"""Protocol v1 messages as typed values, parsed and encoded at the boundary (docs/protocol.md).

Parsing is strict: the frame must be a JSON object whose ``type`` is a client message type and which
matches that type's JSON Schema; only then is it turned into one of the dataclasses below.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

from signaling.errors import BadJson, UnknownType
from signaling.schemas import CLIENT_TYPES, validate

PROTOCOL_VERSION = 1
Business = Literal["activation", "password_reset", "info_update", "corporate_willingness", "card_review"]
BUSINESSES: tuple[Business, ...] = (
    "activation",
    "password_reset",
    "info_update",
    "corporate_willingness",
    "card_review",
)
EndReason = Literal[
    "customer_hangup", "teller_hangup", "customer_lost", "teller_lost", "media_failed", "server_shutdown"
]


# --- client to server -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hello:
    """First message on every socket."""

    TYPE: ClassVar[str] = "hello"
    role: str
    """Requested role: customer, teller, supervisor or auditor."""
    username: str | None = None
    """Staff account name."""
    password: str | None = field(default=None, repr=False)
    """Staff password; never logged or echoed."""


@dataclass(frozen=True, slots=True)
class JoinQueue:
    """A customer asks to wait for a teller."""

    TYPE: ClassVar[str] = "join_queue"
    display_name: str
    """Name the teller will see."""
    business: Business
    """What the customer wants to do."""


@dataclass(frozen=True, slots=True)
class LeaveQueue:
    """A waiting customer gives up."""

    TYPE: ClassVar[str] = "leave_queue"


@dataclass(frozen=True, slots=True)
class SetState:
    """A teller becomes available or away."""

    TYPE: ClassVar[str] = "set_state"
    state: Literal["available", "away"]
    """Requested state."""
    reason: str | None = None
    """Reason code for ``away``."""


@dataclass(frozen=True, slots=True)
class Offer:
    """SDP offer for the sender's one peer connection with the hub."""

    TYPE: ClassVar[str] = "offer"
    session_id: str
    """Session the media belongs to."""
    sdp: str = field(repr=False)
    """Session description; never logged."""


@dataclass(frozen=True, slots=True)
class Ice:
    """One trickled ICE candidate."""

    TYPE: ClassVar[str] = "ice"
    session_id: str
    """Session the candidate belongs to."""
    candidate: str = field(repr=False)
    """``candidate:...`` line; empty marks the end of candidates. Never logged."""
    sdp_mid: str | None = None
    """Media stream id the candidate belongs to."""
    sdp_mline_index: int | None = None
    """Index of the m-line the candidate belongs to."""


@dataclass(frozen=True, slots=True)
class Hangup:
    """End the current session."""

    TYPE: ClassVar[str] = "hangup"
    session_id: str
    """Session to end."""


ClientMessage = Hello | JoinQueue | LeaveQueue | SetState | Offer | Ice | Hangup
_CLIENT_CLASSES: dict[str, type[ClientMessage]] = {
    cls.TYPE: cls for cls in (Hello, JoinQueue, LeaveQueue, SetState, Offer, Ice, Hangup)
}
assert set(_CLIENT_CLASSES) == CLIENT_TYPES


def parse_client_message(text: str) -> ClientMessage:
    """Parse one WebSocket text frame; raise a :class:`~signaling.errors.PeerError` on any defect."""
    try:
        payload = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise BadJson("the message is not valid JSON") from None
    if not isinstance(payload, dict):
        raise BadJson("the message must be a JSON object")
    message_type = payload.get("type")
    if not isinstance(message_type, str) or message_type not in CLIENT_TYPES:
        raise UnknownType("unknown or missing message type")
    validate(message_type, payload)
    cls = _CLIENT_CLASSES[message_type]
    fields_ = {k: v for k, v in payload.items() if k not in ("type", "protocol")}
    return cls(**fields_)


# --- server to client -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Welcome:
    """Hello accepted."""

    TYPE: ClassVar[str] = "welcome"
    role: str
    """Role granted."""
    connection_id: str
    """Server's id for this socket (for support and logs)."""
    ice_servers: list[dict[str, Any]]
    """``RTCConfiguration.iceServers`` the client must use."""
    businesses: list[str]
    """Business types the counter serves."""
    display_name: str | None = None
    """Staff member's display name."""
    protocol: int = PROTOCOL_VERSION
    """Protocol version spoken."""


@dataclass(frozen=True, slots=True)
class QueueUpdate:
    """Place in line and estimated wait."""

    TYPE: ClassVar[str] = "queue_update"
    position: int
    """1 means next."""
    estimated_wait_seconds: int
    """Server's estimate."""
    business: str
    """Business the customer waits for."""


@dataclass(frozen=True, slots=True)
class QueueLeft:
    """No longer waiting."""

    TYPE: ClassVar[str] = "queue_left"
    reason: Literal["left"] = "left"
    """Why."""


@dataclass(frozen=True, slots=True)
class TellerStateChanged:
    """The teller's state changed."""

    TYPE: ClassVar[str] = "teller_state"
    state: str
    """New state (wire spelling, e.g. ``in-call``)."""
    reason: str | None = None
    """Reason code, for ``away``."""


@dataclass(frozen=True, slots=True)
class SessionStarted:
    """Paired with a peer: negotiate media now."""

    TYPE: ClassVar[str] = "session_started"
    session_id: str
    """Server-issued session id."""
    business: str
    """Business of the session."""
    peer: dict[str, str]
    """The other party: ``role`` and ``display_name``."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The hub's SDP answer."""

    TYPE: ClassVar[str] = "answer"
    session_id: str
    """Session the media belongs to."""
    sdp: str = field(repr=False)
    """Session description; never logged."""


@dataclass(frozen=True, slots=True)
class MediaState:
    """The hub's view of the call's media."""

    TYPE: ClassVar[str] = "media_state"
    session_id: str
    """Session concerned."""
    state: Literal["connecting", "connected"]
    """``connected`` once both parties' peer connections are up."""


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """The session is over."""

    TYPE: ClassVar[str] = "session_ended"
    session_id: str
    """Session that ended."""
    reason: EndReason
    """Why it ended."""


@dataclass(frozen=True, slots=True)
class ErrorMessage:
    """A client message was refused."""

    TYPE: ClassVar[str] = "error"
    code: str
    """Machine-readable code (docs/protocol.md)."""
    message: str
    """Plain-language explanation."""
    ref_type: str | None = None
    """Type of the refused message, when known."""


ServerMessage = (
    Welcome
    | QueueUpdate
    | QueueLeft
    | TellerStateChanged
    | SessionStarted
    | Answer
    | MediaState
    | SessionEnded
    | ErrorMessage
)


def encode(message: ServerMessage) -> str:
    """Serialize a server message to its wire form (``None`` fields are omitted)."""
    body = {k: v for k, v in asdict(message).items() if v is not None}
    return json.dumps({"type": message.TYPE, **body}, separators=(",", ":"), ensure_ascii=False)
