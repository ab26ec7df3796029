"""Protocol v1 messages as typed values, parsed and encoded at the boundary (docs/protocol.md).

Parsing is strict: the frame must be a JSON object whose ``type`` is a client message type and which
matches that type's JSON Schema; only then is it turned into one of the dataclasses below.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

from signaling.cobrowse_messages import (
    CobrowseConsent,
    CobrowseControl,
    CobrowseControlRequest,
    CobrowseEvents,
    CobrowseGuide,
    CobrowseRequest,
    CobrowseSnapshot,
    CobrowseState,
    CobrowseStop,
)
from signaling.errors import BadJson, InvalidMessage, UnknownType
from signaling.feedback_messages import Feedback, FeedbackRecorded
from signaling.flow_messages import FlowInputMessage, FlowMessage, FlowState
from signaling.resume_messages import LegState, MediaRestart, QueueResumed, Resume, SessionResumed
from signaling.schemas import CLIENT_TYPES, validate
from signaling.strict_json import StrictJsonError, find_unsafe_name, is_valid_text
from signaling.strict_json import loads as strict_loads
from signaling.verification_messages import (
    VerificationGuidance,
    VerificationPhase,
    VerificationProgress,
    VerificationPrompt,
    VerificationRefused,
    VerificationResolve,
    VerificationResolved,
    VerificationResult,
    VerificationReview,
    VerificationStart,
    VerificationStarted,
    VerificationStop,
)

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
    "customer_hangup",
    "teller_hangup",
    "customer_lost",
    "teller_lost",
    "media_failed",
    "server_shutdown",
    "callback_missed",
    "not_recorded",
]


# --- client to server -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hello:
    """First message on every socket."""

    TYPE: ClassVar[str] = "hello"
    role: str
    """Requested role: customer, teller, supervisor, auditor or field (a field officer's tablet)."""
    username: str | None = None
    """Staff account name."""
    password: str | None = field(default=None, repr=False)
    """Staff password; never logged or echoed."""
    callback_token: str | None = field(default=None, repr=False)
    """Customer following a callback link: the one-time token from the link. Secret."""


@dataclass(frozen=True, slots=True)
class JoinQueue:
    """A customer asks to wait for a teller."""

    TYPE: ClassVar[str] = "join_queue"
    display_name: str
    """Name the teller will see."""
    business: Business
    """What the customer wants to do."""
    resident_id: str | None = field(default=None, repr=False)
    """Resident ID number (gives the age for the elderly lane); validated, never logged."""
    language: str | None = None
    """Preferred language code."""
    talk_now: bool = False
    """One-tap "talk to a person now": the elderly lane, for customers 60 and over."""


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
    auto_accept: bool | None = None
    """With ``available``: accept offers automatically (unchanged when absent)."""


@dataclass(frozen=True, slots=True)
class OfferAccept:
    """A teller takes the task offered to them."""

    TYPE: ClassVar[str] = "offer_accept"
    task_id: str
    """Task of the offer."""


@dataclass(frozen=True, slots=True)
class OfferReject:
    """A teller declines the task offered to them."""

    TYPE: ClassVar[str] = "offer_reject"
    task_id: str
    """Task of the offer."""


@dataclass(frozen=True, slots=True)
class WrapUpDone:
    """A teller finishes wrap-up early."""

    TYPE: ClassVar[str] = "wrap_up_done"


@dataclass(frozen=True, slots=True)
class WrapUpExtend:
    """A teller needs more wrap-up time."""

    TYPE: ClassVar[str] = "wrap_up_extend"


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """A waiting customer asks to be called back instead of waiting."""

    TYPE: ClassVar[str] = "callback_request"
    phone: str = field(repr=False)
    """Where the link is sent; never logged."""
    window_start: float | None = None
    """Earliest time (epoch seconds) the customer wants the call; default now."""
    window_end: float | None = None
    """Latest time; default two hours after the start."""


@dataclass(frozen=True, slots=True)
class CallbackCancel:
    """Cancel a booked callback."""

    TYPE: ClassVar[str] = "callback_cancel"
    reservation_id: str
    """From ``callback_booked``."""
    cancel_token: str = field(repr=False)
    """From ``callback_booked``; proves the reservation is the sender's."""


@dataclass(frozen=True, slots=True)
class MonitorStart:
    """A supervisor asks to watch and hear a live session without either party noticing."""

    TYPE: ClassVar[str] = "monitor_start"
    session_id: str
    """Session to monitor."""


@dataclass(frozen=True, slots=True)
class MonitorStop:
    """A supervisor stops monitoring."""

    TYPE: ClassVar[str] = "monitor_stop"
    session_id: str
    """Session monitored."""


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


ClientMessage = (
    Hello
    | JoinQueue
    | LeaveQueue
    | SetState
    | OfferAccept
    | OfferReject
    | WrapUpDone
    | WrapUpExtend
    | CallbackRequest
    | CallbackCancel
    | Feedback
    | MonitorStart
    | MonitorStop
    | Offer
    | Ice
    | Hangup
    | Resume
    | VerificationStart
    | VerificationStop
    | VerificationResolve
    | FlowInputMessage
    | CobrowseRequest
    | CobrowseConsent
    | CobrowseStop
    | CobrowseControlRequest
    | CobrowseSnapshot
    | CobrowseEvents
    | CobrowseGuide
    | CobrowseControl
)
IN_SESSION_CLASSES: tuple[type[ClientMessage], ...] = (
    VerificationStart,
    VerificationStop,
    VerificationResolve,
    FlowInputMessage,
    CobrowseRequest,
    CobrowseConsent,
    CobrowseStop,
    CobrowseControlRequest,
    CobrowseSnapshot,
    CobrowseEvents,
    CobrowseGuide,
    CobrowseControl,
)
"""Messages about the work inside a call: the switchboard checks the sender is a party of the session
named by their ``session_id`` and hands them to the session desk for their type (signaling/desks.py)."""
_CLIENT_CLASSES: dict[str, type[ClientMessage]] = {
    cls.TYPE: cls
    for cls in (
        Hello,
        JoinQueue,
        LeaveQueue,
        SetState,
        OfferAccept,
        OfferReject,
        WrapUpDone,
        WrapUpExtend,
        CallbackRequest,
        CallbackCancel,
        Feedback,
        MonitorStart,
        MonitorStop,
        Offer,
        Ice,
        Hangup,
        Resume,
        *IN_SESSION_CLASSES,
    )
}
assert set(_CLIENT_CLASSES) == CLIENT_TYPES


NAME_FIELDS = frozenset({"display_name", "username", "reason"})
"""Fields whose text other people see as a name or a label: no control or bidi-override characters."""


def parse_client_message(text: str) -> ClientMessage:
    """Parse one WebSocket text frame; raise a :class:`~signaling.errors.PeerError` on any defect.

    Strict JSON first (:mod:`signaling.strict_json`: finite numbers, valid Unicode), then the type's
    JSON Schema, then names free of control characters.
    """
    try:
        payload = strict_loads(text)
    except StrictJsonError as error:
        if error.where is None:
            raise BadJson(f"the message is not valid JSON: {error.message}") from None
        raise InvalidMessage(f"field {error.where}: {error.message}", _peek_type(text)) from None
    if not isinstance(payload, dict):
        raise BadJson("the message must be a JSON object")
    message_type = payload.get("type")
    if not isinstance(message_type, str) or message_type not in CLIENT_TYPES:
        raise UnknownType("unknown or missing message type")
    validate(message_type, payload)
    for name in NAME_FIELDS & payload.keys():
        value = payload[name]
        if isinstance(value, str) and find_unsafe_name(value) is not None:
            raise InvalidMessage(
                f"{message_type}: field {name} contains control or direction characters", message_type
            )
    cls = _CLIENT_CLASSES[message_type]
    fields_ = {k: v for k, v in payload.items() if k not in ("type", "protocol")}
    return cls(**fields_)


def _peek_type(text: str) -> str | None:
    """The client message type named in a frame that failed strict parsing, if it can be read safely."""
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        return None
    message_type = payload.get("type") if isinstance(payload, dict) else None
    return message_type if isinstance(message_type, str) and message_type in CLIENT_TYPES else None


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
    """The static ``RTCConfiguration.iceServers`` of settings (never a per-leg TURN credential: a call
    uses those of ``session_started``)."""
    businesses: list[str]
    """Business types the counter serves."""
    display_name: str | None = None
    """Staff member's display name."""
    resume_token: str | None = field(default=None, repr=False)
    """To a customer (or field tablet): the token that keeps their place in line if the socket drops
    while waiting (``resume``). Secret: never in ``repr`` or logs."""
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
    lane: Literal["standard", "elderly"] = "standard"
    """Which lane the customer waits in."""


@dataclass(frozen=True, slots=True)
class CallbackOffered:
    """The wait is long: the customer may book a callback instead."""

    TYPE: ClassVar[str] = "callback_offer"
    estimated_wait_seconds: int
    """The estimate that triggered the offer."""
    windows: list[dict[str, Any]] | None = None
    """The call-back times the customer may choose, each inside the service hours: ``kind``
    (``soon``, ``later_today``, ``next_morning``, ``next_afternoon``), ``start`` and ``end``
    (epoch seconds)."""


@dataclass(frozen=True, slots=True)
class CallbackBooked:
    """A callback is reserved; the customer may close the page."""

    TYPE: ClassVar[str] = "callback_booked"
    reservation_id: str
    """Reservation id."""
    cancel_token: str = field(repr=False)
    """Needed to cancel; keep it on the device."""
    window_start: float = 0.0
    """Earliest call time (epoch seconds)."""
    window_end: float = 0.0
    """Latest call time (epoch seconds)."""


@dataclass(frozen=True, slots=True)
class CallbackCancelled:
    """A reservation ended without a call."""

    TYPE: ClassVar[str] = "callback_cancelled"
    reservation_id: str
    """Reservation id."""
    reason: Literal["cancelled", "expired", "missed"] = "cancelled"
    """Why."""


@dataclass(frozen=True, slots=True)
class TaskOffered:
    """A task is reserved for this teller: accept or reject within ``expires_in_seconds``."""

    TYPE: ClassVar[str] = "task_offer"
    task_id: str
    """Task id to accept or reject."""
    kind: Literal["call", "callback"]
    """Live caller or booked callback."""
    business: str
    """Business type."""
    customer: dict[str, Any]
    """``display_name`` and ``elderly`` of the customer."""
    waited_seconds: int
    """How long the customer has waited."""
    expires_in_seconds: int
    """Time left to answer."""


@dataclass(frozen=True, slots=True)
class TaskOfferWithdrawn:
    """An offer ended without a call."""

    TYPE: ClassVar[str] = "task_offer_withdrawn"
    task_id: str
    """Task of the offer."""
    reason: Literal["customer_left", "timeout", "rejected"]
    """Why."""


@dataclass(frozen=True, slots=True)
class CallbackAnswered:
    """The called-back customer followed the link and joined the teller's session."""

    TYPE: ClassVar[str] = "callback_answered"
    session_id: str
    """Session joined."""


@dataclass(frozen=True, slots=True)
class SupervisorSnapshot:
    """Live view of queues, tellers and service figures for supervisors."""

    TYPE: ClassVar[str] = "supervisor_snapshot"
    at: float
    """Server time of the snapshot."""
    queues: list[dict[str, Any]]
    """Per business and lane: ``waiting``, ``longest_wait_seconds``."""
    tellers: list[dict[str, Any]]
    """Per teller: ``username``, ``display_name``, ``state``, ``seconds_in_state``, ``reason``."""
    sessions: list[dict[str, Any]]
    """Live sessions: ``session_id``, ``business``, ``teller``, ``customer``, ``seconds``."""
    service: dict[str, Any]
    """``threshold_seconds`` and per period (``last_15_minutes``, ``today``) the service figures."""


@dataclass(frozen=True, slots=True)
class MonitorStarted:
    """Monitoring granted: offer a receive-only peer connection for this session."""

    TYPE: ClassVar[str] = "monitor_started"
    session_id: str
    """Session monitored."""
    business: str
    """Its business."""
    teller: str
    """Teller's account."""
    customer: str
    """Customer's display name."""
    ice_servers: list[dict[str, Any]] | None = field(default=None, repr=False)
    """``RTCConfiguration.iceServers`` for the monitor's peer connection (its own TURN credential). Secret."""
    ice_transport_policy: Literal["all", "relay"] | None = None
    """``RTCConfiguration.iceTransportPolicy`` the server wants."""


@dataclass(frozen=True, slots=True)
class MonitorStopped:
    """Monitoring ended."""

    TYPE: ClassVar[str] = "monitor_stopped"
    session_id: str
    """Session that was monitored."""
    reason: Literal["stopped", "session_ended", "media_failed"]
    """Why."""


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
    auto_accept: bool | None = None
    """Whether offers are accepted automatically."""
    wrap_up_seconds_left: int | None = None
    """Seconds of wrap-up left, in ``wrap-up``."""


@dataclass(frozen=True, slots=True)
class SessionStarted:
    """Paired with a peer: negotiate media now."""

    TYPE: ClassVar[str] = "session_started"
    session_id: str
    """Server-issued session id."""
    business: str
    """Business of the session."""
    peer: dict[str, Any]
    """The other party: ``role``, ``display_name`` and (to tellers) ``elderly``."""
    kind: Literal["call", "callback"] = "call"
    """A live call, or a callback whose customer joins through their link."""
    elderly: bool | None = None
    """To the customer: served as a customer aged 60 or over (the page turns on its elderly mode)."""
    ice_servers: list[dict[str, Any]] | None = field(default=None, repr=False)
    """``RTCConfiguration.iceServers`` for this party's peer connection; TURN entries carry a credential
    issued to this party alone, short-lived. Secret: never in ``repr`` or logs."""
    ice_transport_policy: Literal["all", "relay"] | None = None
    """``RTCConfiguration.iceTransportPolicy`` the server wants (``relay``: TURN relays only)."""
    feedback_token: str | None = field(default=None, repr=False)
    """To the customer: the one-time token that rates this session once it has ended (``feedback``)."""
    resume_token: str | None = field(default=None, repr=False)
    """The token that takes this party's leg back after a lost connection (``resume``). Secret."""


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
    requeued: bool | None = None
    """To the customer after ``teller_lost``: you are back at the head of the line (``queue_update``
    follows)."""
    resume_token: str | None = field(default=None, repr=False)
    """With ``requeued``: the token that keeps this place in line if the socket drops. Secret."""


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
    params: dict[str, Any] | None = None
    """Values the page puts into its own wording of ``code`` (e.g. ``{"age": 60}``); never secrets."""


ServerMessage = (
    Welcome
    | CallbackOffered
    | CallbackBooked
    | CallbackCancelled
    | TaskOffered
    | TaskOfferWithdrawn
    | CallbackAnswered
    | SupervisorSnapshot
    | MonitorStarted
    | MonitorStopped
    | QueueUpdate
    | QueueLeft
    | TellerStateChanged
    | SessionStarted
    | Answer
    | MediaState
    | SessionEnded
    | SessionResumed
    | QueueResumed
    | LegState
    | MediaRestart
    | FeedbackRecorded
    | ErrorMessage
    | VerificationStarted
    | VerificationPhase
    | VerificationGuidance
    | VerificationPrompt
    | VerificationProgress
    | VerificationResult
    | VerificationRefused
    | VerificationReview
    | VerificationResolved
    | FlowState
    | FlowMessage
    | CobrowseState
    | CobrowseSnapshot
    | CobrowseEvents
    | CobrowseGuide
    | CobrowseControl
)


def encode(message: ServerMessage) -> str:
    """Serialize a server message to its wire form (``None`` fields are omitted).

    The text is always encodable as UTF-8: should a lone surrogate have reached a server message
    despite the parse boundary, it is written as a JSON escape rather than breaking the socket.
    Raises ``ValueError`` for a non-finite number (never valid JSON)."""
    body = {"type": message.TYPE, **{k: v for k, v in asdict(message).items() if v is not None}}
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if not is_valid_text(text):
        text = json.dumps(body, separators=(",", ":"), allow_nan=False)
    return text
