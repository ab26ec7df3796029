"""Protocol v1 messages as typed values, parsed and encoded at the boundary (docs/protocol.md).

Each message is declared once, here or in a ``*_messages.py`` module, as a frozen dataclass whose field
types and :mod:`signaling.wire_fields` rules are its wire form; :data:`ClientMessage` and
:data:`ServerMessage` list them all. ``python -m signaling.protocol_gen`` derives the JSON Schemas
(``signaling/schemas/``) and the browser's constants and types (``web_client/shared/protocol.js``)
from them.

Parsing is strict: the frame must be a JSON object whose ``type`` is a client message type and which
matches that type's JSON Schema; only then is it turned into one of the dataclasses below.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Annotated, Any, ClassVar, Final, Literal, TypedDict, get_args

from signaling.businesses import BUSINESSES as BUSINESSES
from signaling.businesses import Business as Business
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
from signaling.schemas import validate
from signaling.states import TellerState
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
from signaling.wire_fields import (
    ALWAYS,
    NULLABLE,
    Contains,
    Count,
    Entries,
    In,
    Items,
    Length,
    Matches,
    Range,
    ReservationId,
    ResumeToken,
    Seconds,
    SessionId,
    TaskId,
    Token,
)
from signaling.wire_objects import IceServer as IceServer
from signaling.wire_objects import Peer as Peer

PROTOCOL_VERSION: Final = 1
SignInRole = Literal["customer", "teller", "supervisor", "auditor", "field"]
"""Roles a socket may sign in as (``admin`` only uses the HTTP API)."""
Lane = Literal["standard", "elderly"]
"""The line a customer waits in."""
TaskKind = Literal["call", "callback"]
"""A live caller, or a booked call-back."""
IceTransportPolicy = Literal["all", "relay"]
"""``RTCConfiguration.iceTransportPolicy``."""
MonitorStopReason = Literal["stopped", "session_ended", "media_failed"]
"""Why silent monitoring ended."""
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
    role: SignInRole
    """Requested role: customer, teller, supervisor, auditor or field (a field officer's tablet)."""
    username: Annotated[str | None, Length(1, 64)] = None
    """Staff account name."""
    password: Annotated[str | None, Length(1, 256)] = field(default=None, repr=False)
    """Staff password; never logged or echoed."""
    callback_token: Token | None = field(default=None, repr=False)
    """Customer following a callback link: the one-time token from the link. Secret."""
    protocol: Annotated[Literal[1], ALWAYS] = PROTOCOL_VERSION
    """Protocol version spoken."""


@dataclass(frozen=True, slots=True)
class JoinQueue:
    """A customer asks to wait for a teller."""

    TYPE: ClassVar[str] = "join_queue"
    display_name: Annotated[str, Length(1, 64), Contains(r"\S")]
    """Name the teller will see."""
    business: Business
    """What the customer wants to do."""
    resident_id: Annotated[str | None, Length(1, 32)] = field(default=None, repr=False)
    """Resident ID number (gives the age for the elderly lane); validated, never logged."""
    language: Annotated[str | None, Matches("[a-z]{2}(-[A-Z]{2})?")] = None
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
    reason: Annotated[str | None, Length(1, 64)] = None
    """Reason code for ``away``."""
    auto_accept: bool | None = None
    """With ``available``: accept offers automatically (unchanged when absent)."""


@dataclass(frozen=True, slots=True)
class OfferAccept:
    """A teller takes the task offered to them."""

    TYPE: ClassVar[str] = "offer_accept"
    task_id: TaskId
    """Task of the offer."""


@dataclass(frozen=True, slots=True)
class OfferReject:
    """A teller declines the task offered to them."""

    TYPE: ClassVar[str] = "offer_reject"
    task_id: TaskId
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
    phone: Annotated[str, Matches(r"\+?[0-9]{6,20}")] = field(repr=False)
    """Where the link is sent; never logged."""
    window_start: Annotated[float | None, Range(min=0)] = None
    """Earliest time (epoch seconds) the customer wants the call; default now."""
    window_end: Annotated[float | None, Range(min=0)] = None
    """Latest time; default two hours after the start."""


@dataclass(frozen=True, slots=True)
class CallbackCancel:
    """Cancel a booked callback."""

    TYPE: ClassVar[str] = "callback_cancel"
    reservation_id: ReservationId
    """From ``callback_booked``."""
    cancel_token: Token = field(repr=False)
    """From ``callback_booked``; proves the reservation is the sender's."""


@dataclass(frozen=True, slots=True)
class MonitorStart:
    """A supervisor asks to watch and hear a live session without either party noticing."""

    TYPE: ClassVar[str] = "monitor_start"
    session_id: SessionId
    """Session to monitor."""


@dataclass(frozen=True, slots=True)
class MonitorStop:
    """A supervisor stops monitoring."""

    TYPE: ClassVar[str] = "monitor_stop"
    session_id: SessionId
    """Session monitored."""


@dataclass(frozen=True, slots=True)
class Offer:
    """SDP offer for the sender's one peer connection with the hub."""

    TYPE: ClassVar[str] = "offer"
    session_id: SessionId
    """Session the media belongs to."""
    sdp: Annotated[str, Length(1, 65536)] = field(repr=False)
    """Session description; never logged."""


@dataclass(frozen=True, slots=True)
class Ice:
    """One trickled ICE candidate."""

    TYPE: ClassVar[str] = "ice"
    session_id: SessionId
    """Session the candidate belongs to."""
    candidate: Annotated[str, Length(max=1024)] = field(repr=False)
    """``candidate:...`` line; empty marks the end of candidates. Never logged."""
    sdp_mid: Annotated[str | None, Length(max=32), NULLABLE] = None
    """Media stream id the candidate belongs to."""
    sdp_mline_index: Annotated[int | None, Range(0, 15), NULLABLE] = None
    """Index of the m-line the candidate belongs to."""


@dataclass(frozen=True, slots=True)
class Hangup:
    """End the current session."""

    TYPE: ClassVar[str] = "hangup"
    session_id: SessionId
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
CLIENT_CLASSES: tuple[type[ClientMessage], ...] = get_args(ClientMessage)
"""Every message a client may send: the union above is the one list."""
CLIENT_TYPES: frozenset[str] = frozenset(cls.TYPE for cls in CLIENT_CLASSES)
"""Message types a client may send."""
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
_CLIENT_CLASSES: dict[str, type[ClientMessage]] = {cls.TYPE: cls for cls in CLIENT_CLASSES}


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
    return cls(**{k: v for k, v in payload.items() if k != "type"})


def _peek_type(text: str) -> str | None:
    """The client message type named in a frame that failed strict parsing, if it can be read safely."""
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        return None
    message_type = payload.get("type") if isinstance(payload, dict) else None
    return message_type if isinstance(message_type, str) and message_type in CLIENT_TYPES else None


# --- server to client -------------------------------------------------------------------------


class CallbackWindow(TypedDict):
    """A call-back time offered, inside the service hours."""

    kind: Literal["soon", "later_today", "next_morning", "next_afternoon"]
    """``soon``: from now (or the next opening) for up to two hours; the rest as named."""
    start: float
    """Epoch seconds."""
    end: float
    """Epoch seconds."""


class OfferedCustomer(TypedDict):
    """The customer of a task offered to a teller."""

    display_name: str
    """Name the customer gave."""
    elderly: bool
    """Waits in the elderly lane."""


Share = Annotated[float | None, Range(0, 1)]
"""A share from 0 to 1; ``null`` while there is nothing to count."""
Average = Annotated[float | None, Range(min=0)]
"""An average in seconds; ``null`` while there is nothing to count."""


class QueueSnapshot(TypedDict):
    """One business and lane of the line."""

    business: Annotated[str, In(Business)]
    """The business waited for."""
    lane: Annotated[str, In(Lane)]
    """The lane."""
    waiting: Count
    """Live callers in line."""
    callbacks: Count
    """Booked call-backs in line."""
    longest_wait_seconds: Seconds
    """The longest wait in this line now."""


class TellerSnapshot(TypedDict):
    """One teller."""

    username: str
    """Account."""
    display_name: str
    """Name."""
    state: Annotated[str, In(TellerState)]
    """State (wire spelling)."""
    reason: str | None
    """Why away, when away."""
    seconds_in_state: Seconds
    """Time in this state."""
    elder_care: bool
    """A designated elder-care teller."""


class SessionSnapshot(TypedDict):
    """One live session."""

    session_id: str
    """Session id."""
    business: Annotated[str, In(Business)]
    """Its business."""
    teller: str
    """Teller's account."""
    customer: str
    """Customer's display name."""
    kind: TaskKind
    """Live call or call-back."""
    state: str
    """``negotiating``, ``active`` or ``ended``."""
    seconds: Seconds
    """Time since pairing."""


class ServicePeriod(TypedDict):
    """Service figures over one period."""

    answered: Count
    """Waits that ended with a teller."""
    abandoned: Count
    """Waits the customer gave up."""
    service_level: Share
    """Answered within the threshold, of those answered or waited longer."""
    abandon_rate: Share
    """Abandoned, of all."""
    average_wait_seconds: Average
    """Of those answered."""
    average_wait_elderly_seconds: Average
    """Of those answered in the elderly lane."""
    average_handle_seconds: Average
    """Of the calls handled."""
    reviews_approved: Count
    """Card reviews approved."""
    reviews_rejected: Count
    """Card reviews rejected."""
    review_pass_rate: Share
    """Card reviews approved, of those decided."""


class ServiceLane(TypedDict):
    """One lane's figures in one interval."""

    answered: Count
    """Waits that ended with a teller."""
    abandoned: Count
    """Waits the customer gave up."""
    service_level: Share
    """Answered within the threshold."""
    average_wait_seconds: Average
    """Of those answered, to 0.1 s."""


class ServiceInterval(TypedDict):
    """The figures of one interval of today (a wait counts where it ended)."""

    start: float
    """Epoch seconds."""
    service_level: Share
    """Both lanes."""
    standard: ServiceLane
    """The standard lane."""
    elderly: ServiceLane
    """The elderly lane."""


class ServiceSnapshot(TypedDict):
    """The service figures of a supervisor snapshot."""

    threshold_seconds: Annotated[float, Range(min=0)]
    """Answered within this counts for the service level."""
    last_15_minutes: ServicePeriod
    """The last 15 minutes."""
    today: ServicePeriod
    """Today (in the bank's time zone)."""
    interval_seconds: Annotated[float, Range(above=0)]
    """Width of each interval."""
    intervals: Annotated[list[ServiceInterval], Items(max=200)]
    """Today per ``interval_seconds``, oldest first: from the first interval in which a wait ended to
    the one holding ``at``."""


@dataclass(frozen=True, slots=True)
class Welcome:
    """Hello accepted."""

    TYPE: ClassVar[str] = "welcome"
    role: Annotated[str, In(SignInRole)]
    """Role granted."""
    connection_id: str
    """Server's id for this socket (for support and logs)."""
    ice_servers: list[dict[str, Any]]
    """The static ``RTCConfiguration.iceServers`` of settings (never a per-leg TURN credential: a call
    uses those of ``session_started``)."""
    businesses: list[Business]
    """Business types the counter serves."""
    display_name: str | None = None
    """Staff member's display name."""
    resume_token: ResumeToken | None = field(default=None, repr=False)
    """To a customer (or field tablet): the token that keeps their place in line if the socket drops
    while waiting (``resume``). Secret: never in ``repr`` or logs."""
    protocol: Annotated[Literal[1], ALWAYS] = PROTOCOL_VERSION
    """Protocol version spoken."""


@dataclass(frozen=True, slots=True)
class QueueUpdate:
    """Place in line and estimated wait."""

    TYPE: ClassVar[str] = "queue_update"
    position: Annotated[int, Range(min=1)]
    """1 means next."""
    estimated_wait_seconds: Seconds
    """Server's estimate."""
    business: Annotated[str, In(Business)]
    """Business the customer waits for."""
    lane: Lane = "standard"
    """Which lane the customer waits in."""


@dataclass(frozen=True, slots=True)
class CallbackOffered:
    """The wait is long: the customer may book a callback instead, in one of the windows offered."""

    TYPE: ClassVar[str] = "callback_offer"
    estimated_wait_seconds: Seconds
    """The estimate that triggered the offer."""
    windows: Annotated[list[CallbackWindow] | None, Items(1, 8)] = None
    """The call-back times the customer may choose, each inside the service hours."""


@dataclass(frozen=True, slots=True)
class CallbackBooked:
    """A callback is reserved; the customer may close the page."""

    TYPE: ClassVar[str] = "callback_booked"
    reservation_id: ReservationId
    """Reservation id."""
    cancel_token: Token = field(repr=False)
    """Needed to cancel; keep it on the device."""
    window_start: Annotated[float, ALWAYS] = 0.0
    """Earliest call time (epoch seconds)."""
    window_end: Annotated[float, ALWAYS] = 0.0
    """Latest call time (epoch seconds)."""


@dataclass(frozen=True, slots=True)
class CallbackCancelled:
    """A reservation ended without a call."""

    TYPE: ClassVar[str] = "callback_cancelled"
    reservation_id: ReservationId
    """Reservation id."""
    reason: Annotated[Literal["cancelled", "expired", "missed"], ALWAYS] = "cancelled"
    """Why."""


@dataclass(frozen=True, slots=True)
class TaskOffered:
    """A task is reserved for this teller: accept or reject within ``expires_in_seconds``."""

    TYPE: ClassVar[str] = "task_offer"
    task_id: TaskId
    """Task id to accept or reject."""
    kind: TaskKind
    """Live caller or booked callback."""
    business: Annotated[str, In(Business)]
    """Business type."""
    customer: OfferedCustomer
    """Who waits."""
    waited_seconds: Seconds
    """How long the customer has waited."""
    expires_in_seconds: Seconds
    """Time left to answer."""


@dataclass(frozen=True, slots=True)
class TaskOfferWithdrawn:
    """An offer ended without a call."""

    TYPE: ClassVar[str] = "task_offer_withdrawn"
    task_id: TaskId
    """Task of the offer."""
    reason: Literal["customer_left", "timeout", "rejected"]
    """Why."""


@dataclass(frozen=True, slots=True)
class CallbackAnswered:
    """The called-back customer followed the link and joined the teller's session."""

    TYPE: ClassVar[str] = "callback_answered"
    session_id: SessionId
    """Session joined."""


@dataclass(frozen=True, slots=True)
class SupervisorSnapshot:
    """Live view of queues, tellers and service figures for supervisors."""

    TYPE: ClassVar[str] = "supervisor_snapshot"
    at: float
    """Server time of the snapshot."""
    queues: list[QueueSnapshot]
    """Per business and lane, sorted by both."""
    tellers: list[TellerSnapshot]
    """Every teller known to routing."""
    sessions: list[SessionSnapshot]
    """Live sessions."""
    service: ServiceSnapshot
    """The service figures."""


@dataclass(frozen=True, slots=True)
class MonitorStarted:
    """Monitoring granted: offer a receive-only peer connection for this session."""

    TYPE: ClassVar[str] = "monitor_started"
    session_id: SessionId
    """Session monitored."""
    business: str
    """Its business."""
    teller: str
    """Teller's account."""
    customer: str
    """Customer's display name."""
    ice_servers: Annotated[list[IceServer] | None, ALWAYS] = field(default=None, repr=False)
    """``RTCConfiguration.iceServers`` for the monitor's peer connection (its own TURN credential). Secret."""
    ice_transport_policy: Annotated[IceTransportPolicy | None, ALWAYS] = None
    """``RTCConfiguration.iceTransportPolicy`` the server wants."""


@dataclass(frozen=True, slots=True)
class MonitorStopped:
    """Monitoring ended."""

    TYPE: ClassVar[str] = "monitor_stopped"
    session_id: SessionId
    """Session that was monitored."""
    reason: MonitorStopReason
    """Why."""


@dataclass(frozen=True, slots=True)
class QueueLeft:
    """No longer waiting."""

    TYPE: ClassVar[str] = "queue_left"
    reason: Annotated[Literal["left"], ALWAYS] = "left"
    """Why."""


@dataclass(frozen=True, slots=True)
class TellerStateChanged:
    """The teller's state changed."""

    TYPE: ClassVar[str] = "teller_state"
    state: Annotated[str, In(TellerState)]
    """New state (wire spelling, e.g. ``in-call``)."""
    reason: str | None = None
    """Reason code, for ``away``."""
    auto_accept: bool | None = None
    """Whether offers are accepted automatically."""
    wrap_up_seconds_left: Annotated[int | None, Range(min=0)] = None
    """Seconds of wrap-up left, in ``wrap-up``."""


@dataclass(frozen=True, slots=True)
class SessionStarted:
    """Paired with a peer: negotiate media now."""

    TYPE: ClassVar[str] = "session_started"
    session_id: SessionId
    """Server-issued session id."""
    business: Annotated[str, In(Business)]
    """Business of the session."""
    peer: Peer
    """The other party."""
    kind: TaskKind = "call"
    """A live call, or a callback whose customer joins through their link."""
    elderly: bool | None = None
    """To the customer: served as a customer aged 60 or over (the page turns on its elderly mode)."""
    ice_servers: Annotated[list[IceServer] | None, ALWAYS] = field(default=None, repr=False)
    """``RTCConfiguration.iceServers`` for this party's peer connection; TURN entries carry a credential
    issued to this party alone, short-lived. Secret: never in ``repr`` or logs."""
    ice_transport_policy: Annotated[IceTransportPolicy | None, ALWAYS] = None
    """``RTCConfiguration.iceTransportPolicy`` the server wants (``relay``: TURN relays only)."""
    feedback_token: Token | None = field(default=None, repr=False)
    """To the customer: the one-time token that rates this session once it has ended (``feedback``)."""
    resume_token: ResumeToken | None = field(default=None, repr=False)
    """The token that takes this party's leg back after a lost connection (``resume``). Secret."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The hub's SDP answer."""

    TYPE: ClassVar[str] = "answer"
    session_id: SessionId
    """Session the media belongs to."""
    sdp: str = field(repr=False)
    """Session description; never logged."""


@dataclass(frozen=True, slots=True)
class MediaState:
    """The hub's view of the call's media."""

    TYPE: ClassVar[str] = "media_state"
    session_id: SessionId
    """Session concerned."""
    state: Literal["connecting", "connected"]
    """``connected`` once both parties' peer connections are up."""


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """The session is over."""

    TYPE: ClassVar[str] = "session_ended"
    session_id: SessionId
    """Session that ended."""
    reason: EndReason
    """Why it ended."""
    requeued: bool | None = None
    """To the customer after ``teller_lost``: you are back at the head of the line (``queue_update``
    follows)."""
    resume_token: ResumeToken | None = field(default=None, repr=False)
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
    params: Annotated[dict[str, str | float | bool] | None, Entries(8)] = None
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


SERVER_CLASSES: tuple[type[ServerMessage], ...] = get_args(ServerMessage)
"""Every message the server sends: the union above is the one list."""
SERVER_TYPES: frozenset[str] = frozenset(cls.TYPE for cls in SERVER_CLASSES)
"""Message types the server sends."""


def encode(message: ServerMessage) -> str:
    """Serialize a server message to its wire form.

    A field whose value is ``None`` is left out when the class gives it a default, and written as
    ``null`` when it has none (its schema then allows ``null``: :mod:`signaling.wire_fields`).
    The text is always encodable as UTF-8: should a lone surrogate have reached a server message
    despite the parse boundary, it is written as a JSON escape rather than breaking the socket.
    Raises ``ValueError`` for a non-finite number (never valid JSON)."""
    optional = _OPTIONAL[type(message)]
    body: dict[str, Any] = {"type": message.TYPE}
    body.update((k, v) for k, v in asdict(message).items() if v is not None or k not in optional)
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if not is_valid_text(text):
        text = json.dumps(body, separators=(",", ":"), allow_nan=False)
    return text


_OPTIONAL: dict[type, frozenset[str]] = {
    cls: frozenset(f.name for f in fields(cls) if (f.default, f.default_factory) != (MISSING, MISSING))
    for cls in SERVER_CLASSES
}
"""Per server message class, the fields with a default: left out of the wire form while ``None``."""
