"""The switchboard: who is connected, who waits, who talks to whom — pure state in, effects out.

Every public method takes the server time ``now`` and returns the list of :mod:`signaling.effects`
the adapter must carry out, in order. Nothing here awaits or touches the network, the clock, the
database or the media hub, so every rule is unit-testable with plain values.

Queueing and teller selection are delegated to :class:`~signaling.routing.Router` (priorities,
timed skill steps, the elderly lane, reservations, wrap-up); this module turns its decisions into
messages, sessions and log entries, and keeps customers informed (position, wait estimate,
callback offer).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar, cast

from signaling import effects as fx
from signaling.businesses import FIELD_BUSINESSES
from signaling.errors import CloseCode, NotAllowed, PeerError, RateLimited, SignalingError, UnknownSession
from signaling.feedback import FeedbackBook, FeedbackClosed
from signaling.feedback_messages import Feedback, FeedbackRecorded
from signaling.flow_messages import AFTER_CALL_KINDS, FlowInputMessage
from signaling.identity import Identity, Role, SignInThrottled
from signaling.messages import (
    BUSINESSES,
    IN_SESSION_CLASSES,
    CallbackAnswered,
    CallbackBooked,
    CallbackCancel,
    CallbackCancelled,
    CallbackOffered,
    CallbackRequest,
    CallbackWindow,
    ClientMessage,
    EndReason,
    ErrorMessage,
    Hangup,
    Hello,
    Ice,
    IceServer,
    JoinQueue,
    LeaveQueue,
    MediaState,
    MonitorStart,
    MonitorStarted,
    MonitorStop,
    MonitorStopped,
    Offer,
    OfferAccept,
    OfferedCustomer,
    OfferReject,
    Peer,
    QueueLeft,
    QueueSnapshot,
    QueueUpdate,
    SessionEnded,
    SessionSnapshot,
    SessionStarted,
    SetState,
    SupervisorSnapshot,
    TaskOffered,
    TaskOfferWithdrawn,
    TellerSnapshot,
    TellerStateChanged,
    Welcome,
    WrapUpDone,
    WrapUpExtend,
)
from signaling.ports import CallbackReservation, LegIce
from signaling.rate_limits import MAX_RATE_REFUSALS, ConnectionRates, class_of
from signaling.resident_id import ResidentId, ResidentIdError
from signaling.resume_messages import Resume, SessionResumed
from signaling.resumption import Resumption
from signaling.routing import Lapse, Router, RoutingError, Task, TellerProfile
from signaling.routing import Offer as RoutingOffer
from signaling.routing_config import RoutingConfig
from signaling.service_hours import ServiceHours
from signaling.service_stats import ServiceStats, service_figures
from signaling.session import LEGS, CallSession, Leg, SessionState
from signaling.states import CustomerState, LinkState, ParticipantState, SupervisorState, TellerState, allowed

MAX_ERRORS_PER_SOCKET = 20
HELLO_TIMEOUT_SECONDS = 10.0
"""A socket that has not said ``hello`` this long after opening is closed (4001)."""
MAX_FAILED_LOGINS = 5
CALLBACK_DEFAULT_WINDOW = 2 * 3600.0
CALLBACK_MAX_AHEAD = 7 * 24 * 3600.0
CALLBACK_MIN_WINDOW = 15 * 60.0
CALLBACK_SHORT_WAIT_POSITION = 1
"""A customer at this place in line or nearer is never offered a call-back: a teller is next for them."""
SUPERVISOR_REFRESH_SECONDS = 2.0
_StartsMedia = TypeVar("_StartsMedia", SessionStarted, SessionResumed, MonitorStarted)
"""Messages after which a client makes a peer connection: they carry its ICE configuration."""


class InvalidResidentId(PeerError):
    code = "invalid_resident_id"


class NotEligible(PeerError):
    code = "not_eligible"


class InvalidCallback(PeerError):
    code = "invalid_callback"


@dataclass(slots=True)
class Participant:
    """One connection and what the switchboard knows about it."""

    conn_id: str
    """Adapter's id of the socket."""
    identity: Identity | None = None
    """Set once ``hello`` succeeded."""
    state: ParticipantState = LinkState.NEW
    """Link or customer state (tellers' states live in the router)."""
    state_since: float = 0.0
    """Server time the state was entered."""
    display_name: str = ""
    """Customer's name from ``join_queue``, or the staff member's name."""
    business: str | None = None
    """Business the customer waits for or is served for."""
    elderly: bool = False
    """Customer in the elderly lane."""
    session_id: str | None = None
    """Current session, if any."""
    wrap_up_session: str | None = None
    """Tellers: the session that ended last; its wrap-up code may still be recorded (``flow_input``
    of :data:`~signaling.flow_messages.AFTER_CALL_KINDS`) while wrapping up, until the next session."""
    last_position: int | None = None
    """Last position told to a waiting customer."""
    last_update_at: float = 0.0
    """When the waiting customer was last told."""
    callback_offered: bool = False
    """A callback was offered during this wait."""
    talk_now: bool = False
    """Joined with the one-tap "talk to a person now": never offered a call-back."""
    last_snapshot_at: float = 0.0
    """Supervisors: when the last snapshot went out."""
    monitoring: str | None = None
    """Supervisors: session being monitored."""
    errors: int = 0
    """Refused messages on this socket."""
    failed_logins: int = 0
    """Failed ``hello`` attempts on this socket."""
    rates: ConnectionRates = field(default_factory=ConnectionRates)
    """Token buckets per message class (signaling/rate_limits.py)."""

    @property
    def role(self) -> Role | None:
        """Role, once authenticated."""
        return self.identity.role if self.identity else None

    @property
    def username(self) -> str:
        """Staff account name."""
        if self.identity is None or self.identity.username is None:
            raise ValueError("not a staff connection")
        return self.identity.username


@dataclass(slots=True)
class Callback:
    """A booked callback reservation, from booking until the customer joins or it ends."""

    id: str
    cancel_hash: str
    """SHA-256 of the cancel token the customer was given (the token itself is not kept)."""
    display_name: str
    business: str
    elderly: bool
    window_start: float
    window_end: float
    link_hash: str | None = None
    """SHA-256 of the one-time link's token, while a teller is calling."""
    session_id: str | None = None


def token_hash(token: str) -> str:
    """How a bearer token is kept: its SHA-256 (tokens are long random strings; no salt needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Switchboard:
    """Queue, routing, sessions and supervision for one signaling node."""

    def __init__(
        self,
        *,
        new_id: Callable[[], str],
        ice_servers: list[dict[str, Any]],
        routing: RoutingConfig,
        leg_ice: LegIce | None = None,
        default_handle_seconds: float = 135.0,
        queue_update_seconds: float = 5.0,
        hours: ServiceHours | None = None,
        resume_grace_seconds: float = 0.0,
    ) -> None:
        """``hours``: the bank's service hours and time zone (dates, "today", call-back windows);
        round the clock in the bank's default zone when not given. ``resume_grace_seconds``: how long
        a lost party's leg (or place in line) is kept for it to resume (0: a lost party ends the call)."""
        self._new_id = new_id
        self._ice_servers = ice_servers
        self._leg_ice = leg_ice
        self._queue_update_seconds = queue_update_seconds
        self._hours = hours or ServiceHours.round_the_clock()
        self._local_date = self._hours.local_date
        self._day_start = self._hours.day_start
        self._participants: dict[str, Participant] = {}
        self._staff_conn: dict[str, str] = {}
        self._sessions: dict[str, CallSession] = {}
        self._callbacks: dict[str, Callback] = {}
        self._callback_links: dict[str, str] = {}
        self.feedback = FeedbackBook()
        """Who may rate which session after its end (one token per call's customer)."""
        self.router = Router(routing)
        self.stats = ServiceStats(
            threshold_seconds=routing.service_level_seconds, default_handle_seconds=default_handle_seconds
        )
        self._today: float | None = None
        self.resumption = Resumption(self, resume_grace_seconds, new_id)
        """Lost legs and places in line kept for their grace period; resume tokens."""

    # --- read-only views (tests, metrics) --------------------------------------------------------

    def participant(self, conn_id: str) -> Participant | None:
        """What is known about a connection."""
        return self._participants.get(conn_id)

    def session(self, session_id: str) -> CallSession | None:
        """A live session."""
        return self._sessions.get(session_id)

    def wrap_up_conn(self, session_id: str) -> str | None:
        """The connection of the teller who may still record the wrap-up code of an ended session."""
        return next(
            (
                p.conn_id
                for p in self._participants.values()
                if p.wrap_up_session == session_id and p.session_id is None
            ),
            None,
        )

    @property
    def waiting(self) -> int:
        """Live callers in line (callbacks not counted)."""
        return sum(1 for p in self._participants.values() if p.state is CustomerState.WAITING)

    @property
    def live_sessions(self) -> int:
        """Sessions not yet ended."""
        return len(self._sessions)

    @property
    def connections(self) -> int:
        """Connections known."""
        return len(self._participants)

    def state_of(self, p: Participant) -> ParticipantState:
        """A participant's current state (tellers' from the router)."""
        if p.role is Role.TELLER:
            teller = self.router.teller(p.username)
            if teller is not None:
                return teller.state
        return p.state

    # --- inputs -----------------------------------------------------------------------------------

    def connect(self, conn_id: str, now: float) -> list[fx.Effect]:
        """A socket opened; it must say ``hello`` first."""
        if conn_id in self._participants:
            raise ValueError(f"connection {conn_id} already known")
        self._participants[conn_id] = Participant(conn_id=conn_id, state_since=now)
        return []

    def receive(self, conn_id: str, message: ClientMessage, now: float) -> list[fx.Effect]:
        """Handle one parsed client message; refusals become ``error`` messages, never exceptions."""
        p = self._participants.get(conn_id)
        if p is None:
            return []  # a socket already forgotten (e.g. replaced by a newer login) and being closed
        if not p.rates.allow(message.TYPE, now):
            if p.rates.refusals >= MAX_RATE_REFUSALS:
                return [fx.Close(conn_id, CloseCode.RATE_LIMITED, "too many messages")]
            limited = RateLimited(f"too many {class_of(message.TYPE)} messages: slow down")
            return self.reject(conn_id, limited, message.TYPE, now)
        state = self.state_of(p)
        if message.TYPE not in allowed(p.role, state):
            if state is LinkState.NEW:
                return [fx.Close(conn_id, CloseCode.HELLO_REQUIRED, "hello must be the first message")]
            error = NotAllowed(self._not_allowed_text(p, state, message.TYPE))
            return self.reject(conn_id, error, message.TYPE, now)
        try:
            return self._dispatch(p, message, now)
        except PeerError as error:
            return self.reject(conn_id, error, message.TYPE, now)
        except RoutingError as error:
            return self.reject(conn_id, NotAllowed(str(error)), message.TYPE, now)

    def reject(
        self, conn_id: str, error: SignalingError, ref_type: str | None, now: float
    ) -> list[fx.Effect]:
        """Answer a refused message; close the socket when it keeps sending refused messages."""
        p = self._participants.get(conn_id)
        if p is None:
            return []
        p.errors += 1
        message = ErrorMessage(error.code, error.message, ref_type, error.params)
        out: list[fx.Effect] = [fx.Send(conn_id, message)]
        if p.errors >= MAX_ERRORS_PER_SOCKET:
            out.append(fx.Close(conn_id, CloseCode.ABUSE, "too many refused messages"))
        return out

    def authenticated(
        self, conn_id: str, identity: Identity | SignInThrottled | None, now: float
    ) -> list[fx.Effect]:
        """Result of an :class:`~signaling.effects.Authenticate` effect (``None``: credentials refused;
        :class:`SignInThrottled`: not checked, too many recent failures)."""
        p = self._participants.get(conn_id)
        if p is None or p.state is not LinkState.AUTHENTICATING:
            return []
        if not isinstance(identity, Identity):
            p.state = LinkState.NEW
            p.failed_logins += 1
            if identity is None:
                error = ErrorMessage("auth_failed", "wrong user name, password or role", "hello")
            else:
                wait = math.ceil(identity.retry_after)
                error = ErrorMessage(
                    "too_many_attempts", f"too many failed sign-ins; try again in {wait} s", "hello"
                )
            out: list[fx.Effect] = [
                fx.Send(conn_id, error),
                fx.LogEvent(
                    now, "login_failed", data={"connection": conn_id, "throttled": identity is not None}
                ),
            ]
            if p.failed_logins >= MAX_FAILED_LOGINS:
                out.append(fx.Close(conn_id, CloseCode.ABUSE, "too many failed logins"))
            return out
        out = []
        if identity.username is not None:
            previous = self._staff_conn.get(identity.username)
            if previous is not None and previous != conn_id:
                out += [fx.Close(previous, CloseCode.REPLACED, "signed in elsewhere")]
                out += self.disconnect(previous, now)
            self._staff_conn[identity.username] = conn_id
        p.identity = identity
        p.display_name = identity.display_name
        welcome = Welcome(
            role=identity.role.value,
            connection_id=conn_id,
            ice_servers=self._ice_servers,
            businesses=list(BUSINESSES),
            display_name=identity.display_name or None,
            resume_token=self.resumption.welcome_token(conn_id, now)
            if identity.role.is_customer_side
            else None,
        )
        out.append(fx.Send(conn_id, welcome))
        out.append(fx.LogEvent(now, "login", actor=identity.username, data={"role": identity.role.value}))
        if identity.role.is_customer_side:
            self._enter(p, CustomerState.IDLE, now)
        elif identity.role is Role.TELLER:
            profile = TellerProfile(identity.username or "", dict(identity.skills), identity.elder_care)
            if self.router.teller(profile.id) is None:  # else: still in a call kept for them to resume
                self.router.sign_in(profile, now)
            out += self._teller_changed(p, now, force=True)
        elif identity.role is Role.SUPERVISOR:
            self._enter(p, SupervisorState.WATCHING, now)
            out += self._snapshot_to(p, now)
        else:
            p.state = TellerState.OFFLINE  # auditors have nothing to do on the signaling socket
        return out

    def callback_customer(self, conn_id: str, token: str, now: float) -> list[fx.Effect]:
        """A customer's ``hello`` carried a callback link token: join the teller's waiting session."""
        out = self.authenticated(conn_id, Identity(Role.CUSTOMER), now)
        p = self._participants[conn_id]
        reservation_id = self._callback_links.get(token_hash(token))
        callback = self._callbacks.get(reservation_id) if reservation_id else None
        session = self._sessions.get(callback.session_id) if callback and callback.session_id else None
        if callback is None or session is None or session.customer_conn is not None:
            return [
                *out,
                fx.Send(
                    conn_id,
                    ErrorMessage("invalid_callback", "this call-back link is not valid any more", "hello"),
                ),
            ]
        del self._callback_links[token_hash(token)]
        del self._callbacks[callback.id]
        session.customer_conn = conn_id
        p.display_name, p.business, p.elderly, p.session_id = (
            callback.display_name,
            callback.business,
            callback.elderly,
            session.id,
        )
        self._enter(p, CustomerState.IN_CALL, now)
        teller = self._participants[session.teller_conn]
        out += [
            fx.UpdateCallback(callback.id, "answered", now, session_id=session.id),
            fx.LogEvent(now, "callback_answered", session.id, data={"reservation": callback.id}),
            fx.Send(
                conn_id,
                self._with_ice(
                    SessionStarted(
                        session.id,
                        session.business,
                        {"role": "teller", "display_name": teller.display_name},
                        kind="callback",
                        elderly=session.elderly,
                        feedback_token=self._feedback_token(p, session),
                        resume_token=self.resumption.session_token(session.id, "customer", now),
                    ),
                    "customer",
                    now,
                ),
            ),
            fx.Send(session.teller_conn, CallbackAnswered(session.id)),
            fx.PartyJoined(session.id, "customer"),  # the desks send what the customer missed
        ]
        return out

    def media_state(
        self, session_id: str, leg: Leg, state: Literal["connected", "failed"], now: float
    ) -> list[fx.Effect]:
        """The hub reports a leg's peer connection state."""
        session = self._sessions.get(session_id)
        if session is None:
            return []
        if state == "failed":
            return self.resumption.media_failed(session, leg, now)
        out: list[fx.Effect] = [fx.LogEvent(now, "media_connected", session_id, data={"leg": leg})]
        out += self.resumption.media_connected(session, leg, now)
        was_whole = session.connected == set(LEGS)
        if session.media_connected(leg):
            out.append(fx.LogEvent(now, "session_active", session_id))
        elif was_whole or session.connected != set(LEGS):
            return out
        # Both parties' media is up: at the start of the call, or again after a gap.
        for conn in session.conns():
            out.append(fx.Send(conn, MediaState(session_id, "connected")))
        return out

    def media_rejected(self, conn_id: str, error: PeerError, ref_type: str, now: float) -> list[fx.Effect]:
        """The hub refused a leg's SDP or candidate."""
        return self.reject(conn_id, error, ref_type, now)

    def disconnect(self, conn_id: str, now: float) -> list[fx.Effect]:
        """A socket closed or died: leave the queue, end the call with a clear reason."""
        p = self._participants.pop(conn_id, None)
        if p is None:
            return []
        out: list[fx.Effect] = []
        if p.role is not None and p.role.is_staff and self._staff_conn.get(p.username) == conn_id:
            del self._staff_conn[p.username]
        kept = self.resumption.keep(p, now)
        if kept is not None:  # the leg or the place in line waits for the party to resume
            return out + kept + self._queue_updates(now)
        if p.state is CustomerState.WAITING:
            out += self._abandon(p, now, "customer_abandoned")
        if p.monitoring is not None:
            out += self._stop_monitoring(p, "stopped", now)
        session = self._sessions.get(p.session_id) if p.session_id else None
        if session is not None:
            reason: EndReason = "customer_lost" if p.role and p.role.is_customer_side else "teller_lost"
            out += self._end_session(session, reason, now)
        if p.role is Role.TELLER:
            returned = self.router.sign_out(p.username, now)
            out.append(fx.LogEvent(now, "teller_state", actor=p.username, data={"state": "offline"}))
            if returned is not None:
                out += self._route(now)
        return out + self._queue_updates(now)

    def tick(self, now: float) -> list[fx.Effect]:
        """Periodic work: time-outs, step relaxation, queue refreshes, supervisor snapshots."""
        self._roll_day(now)
        self.feedback.forget_expired(now)
        out: list[fx.Effect] = []
        for p in self._participants.values():
            silent = p.state is LinkState.NEW and p.failed_logins == 0
            if silent and now - p.state_since >= HELLO_TIMEOUT_SECONDS:
                out.append(fx.Close(p.conn_id, CloseCode.HELLO_REQUIRED, "no hello in time"))
        for lapse in self.router.expire(now):
            out += self._lapsed(lapse, now)
        out += self.resumption.tick(now)
        patience = self.router.config.callback_answer_seconds
        for session in list(self._sessions.values()):
            if session.customer_conn is None and now - session.started_at >= patience:
                out += self._end_session(session, "callback_missed", now)
        out += self._route(now)
        out += self._queue_updates(now)
        for p in self._participants.values():
            if p.role is Role.SUPERVISOR and now - p.last_snapshot_at >= SUPERVISOR_REFRESH_SECONDS:
                out += self._snapshot_to(p, now)
        return out

    def next_deadline(self, now: float) -> float | None:
        """When :meth:`tick` must run next at the latest for routing to stay exact."""
        patience = self.router.config.callback_answer_seconds
        times = [s.started_at + patience for s in self._sessions.values() if s.customer_conn is None]
        for deadline in (self.router.next_deadline(now), self.resumption.next_deadline()):
            if deadline is not None:
                times.append(deadline)
        return min(times, default=None)

    def end_session(self, session_id: str, reason: EndReason, now: float) -> list[fx.Effect]:
        """The server ends a live session (e.g. it cannot be recorded); both parties are told why."""
        session = self._sessions.get(session_id)
        return self._end_session(session, reason, now) if session is not None else []

    def shutdown(self, now: float) -> list[fx.Effect]:
        """The server is stopping: end every session so both sides are told."""
        out: list[fx.Effect] = []
        for session in list(self._sessions.values()):
            out += self._end_session(session, "server_shutdown", now)
        return out

    # --- handlers ---------------------------------------------------------------------------------

    def _dispatch(self, p: Participant, message: ClientMessage, now: float) -> list[fx.Effect]:
        match message:
            case Hello():
                return self._hello(p, message, now)
            case JoinQueue():
                return self._join(p, message, now)
            case LeaveQueue():
                out = self._abandon(p, now, "customer_left_queue")
                return [fx.Send(p.conn_id, QueueLeft()), *out, *self._queue_updates(now)]
            case CallbackRequest():
                return self._book_callback(p, message, now)
            case CallbackCancel():
                return self._cancel_callback(p, message, now)
            case Feedback():
                ticket = self.feedback.redeem(message.session_id, message.feedback_token, now)
                return [
                    fx.StoreFeedback(
                        p.conn_id, ticket.session_id, ticket.business, message.rating, message.comment, now
                    )
                ]
            case SetState():
                return self._set_state(p, message, now)
            case OfferAccept():
                task = self.router.accept(p.username, message.task_id, now)
                return self._accepted(p, task, now)
            case OfferReject():
                task = self.router.reject(p.username, message.task_id, now)
                out = [
                    fx.Send(p.conn_id, TaskOfferWithdrawn(task.id, "rejected")),
                    fx.LogEvent(now, "offer_rejected", actor=p.username, data={"task": task.id}),
                    *self._teller_changed(p, now),
                ]
                return out + self._route(now) + self._queue_updates(now)
            case WrapUpDone():
                self.router.set_available(p.username, now)
                return self._teller_changed(p, now) + self._route(now) + self._queue_updates(now)
            case WrapUpExtend():
                self.router.extend_wrap_up(p.username, now)
                return self._teller_changed(p, now)
            case MonitorStart():
                return self._start_monitoring(p, message.session_id, now)
            case MonitorStop():
                if p.monitoring != message.session_id:
                    raise UnknownSession("you are not monitoring that session")
                return self._stop_monitoring(p, "stopped", now)
            case Offer() if p.role is Role.SUPERVISOR:
                if p.monitoring != message.session_id:
                    raise UnknownSession("you are not monitoring that session")
                return [fx.NegotiateMonitor(p.conn_id, message.session_id, message.sdp)]
            case Offer():
                session, leg = self._own_session(p, message.session_id)
                return [fx.NegotiateMedia(p.conn_id, session.id, leg, message.sdp)]
            case Ice():
                session, leg = self._own_session(p, message.session_id)
                return [
                    fx.AddCandidate(
                        p.conn_id,
                        session.id,
                        leg,
                        message.candidate,
                        message.sdp_mid,
                        message.sdp_mline_index,
                    )
                ]
            case Resume():
                return self.resumption.resume(p, message.resume_token, now) + self._queue_updates(now)
            case Hangup():
                session, leg = self._own_session(p, message.session_id)
                return self._end_session(
                    session, "customer_hangup" if leg == "customer" else "teller_hangup", now
                )
            case FlowInputMessage() if p.session_id is None and message.session_id == p.wrap_up_session:
                # A teller wrapping up (the state table admits flow_input then) and the call just ended.
                if message.kind not in AFTER_CALL_KINDS:
                    raise NotAllowed("after the call only the wrap-up code can be recorded", message.TYPE)
                assert p.identity is not None
                return [
                    fx.InSession(
                        p.conn_id,
                        message.session_id,
                        "teller",
                        p.identity.role.value,
                        p.identity.username,
                        message,
                    )
                ]
            case _ if isinstance(message, IN_SESSION_CLASSES):
                session, leg = self._own_session(p, message.session_id)
                assert p.identity is not None  # allowed() admits in-session messages only after hello
                return [
                    fx.InSession(
                        p.conn_id, session.id, leg, p.identity.role.value, p.identity.username, message
                    )
                ]
        raise NotAllowed(f"{message.TYPE} is not handled")  # pragma: no cover - table and match agree

    def _hello(self, p: Participant, hello: Hello, now: float) -> list[fx.Effect]:
        role = Role(hello.role)
        if role is Role.CUSTOMER and (hello.username or hello.password):
            raise NotAllowed("customers do not send credentials")
        if role.is_staff and not (hello.username and hello.password):
            raise NotAllowed("staff must send username and password")
        if role.is_staff and hello.callback_token:
            raise NotAllowed("only customers follow call-back links")
        p.state = LinkState.AUTHENTICATING
        if role is Role.CUSTOMER:
            # Customers are anonymous in protocol v1; a call-back link token brings one into a session.
            if hello.callback_token:
                return self.callback_customer(p.conn_id, hello.callback_token, now)
            return self.authenticated(p.conn_id, Identity(Role.CUSTOMER), now)
        return [fx.Authenticate(p.conn_id, role.value, hello.username, hello.password)]

    def _join(self, p: Participant, join: JoinQueue, now: float) -> list[fx.Effect]:
        if p.role is Role.FIELD and join.business not in FIELD_BUSINESSES:
            raise NotAllowed(f"field officers join only for {', '.join(FIELD_BUSINESSES)}")
        elderly = False
        if join.resident_id is not None:
            try:
                resident = ResidentId.parse(join.resident_id, self._local_date(now))
            except ResidentIdError as error:
                raise InvalidResidentId(str(error), "join_queue") from None
            elderly = resident.age(self._local_date(now)) >= self.router.config.elderly_age
        if join.talk_now and not elderly:
            raise NotEligible(
                f"the one-tap line is for customers aged {self.router.config.elderly_age} and over; "
                "enter your ID number, or choose a business and join the queue",
                "join_queue",
                {"age": self.router.config.elderly_age},
            )
        config = self.router.config
        priority = config.routing(join.business).priority + (config.elderly_priority if elderly else 0)
        p.display_name = " ".join(join.display_name.split())
        p.business = join.business
        p.elderly = elderly
        p.last_position = None
        p.callback_offered = False
        p.talk_now = join.talk_now
        self._enter(p, CustomerState.WAITING, now)
        self.router.enqueue(
            Task(p.conn_id, "call", join.business, priority, now, elderly, language=join.language)
        )
        out: list[fx.Effect] = [
            fx.LogEvent(
                now,
                "customer_joined",
                data={
                    "business": join.business,
                    "lane": "elderly" if elderly else "standard",
                    "task": p.conn_id,
                },
            )
        ]
        return out + self._route(now) + self._queue_updates(now)

    def _abandon(self, p: Participant, now: float, kind: str) -> list[fx.Effect]:
        """A waiting customer leaves the line (on request or because the socket died)."""
        task = self.router.task(p.conn_id)
        holder = task.reserved_by if task else None
        self.router.withdraw(p.conn_id, now)
        waited = now - p.state_since
        self.stats.abandoned(now, waited, p.business or "", p.elderly)
        self._enter(p, CustomerState.IDLE, now)
        out: list[fx.Effect] = [
            fx.LogEvent(now, kind, data={"business": p.business, "waited_seconds": round(waited, 3)})
        ]
        if holder is not None:
            teller = self._teller_conn(holder)
            if teller is not None:
                out.append(fx.Send(teller.conn_id, TaskOfferWithdrawn(p.conn_id, "customer_left")))
                out += self._teller_changed(teller, now)
                out += self._route(now)
        return out

    def _set_state(self, p: Participant, message: SetState, now: float) -> list[fx.Effect]:
        if message.state == "available":
            self.router.set_available(p.username, now, auto_accept=message.auto_accept)
        else:
            self.router.set_away(p.username, message.reason or "break", now)
        out = self._teller_changed(p, now, force=True)
        return out + self._route(now) + self._queue_updates(now)

    # --- routing and sessions ---------------------------------------------------------------------

    def _route(self, now: float) -> list[fx.Effect]:
        """Let the router make offers; auto-accepting tellers start their session at once."""
        out: list[fx.Effect] = []
        for offer in self.router.assign(now):
            out += self._offered(offer, now)
        return out

    def _offered(self, offer: RoutingOffer, now: float) -> list[fx.Effect]:
        teller_p = self._teller_conn(offer.teller_id)
        task = self.router.task(offer.task_id)
        if teller_p is None or task is None:  # pragma: no cover - the router only knows present parties
            return []
        teller = self.router.teller(offer.teller_id)
        if teller is not None and teller.auto_accept:
            accepted = self.router.accept(offer.teller_id, offer.task_id, now)
            return self._accepted(teller_p, accepted, now)
        customer: OfferedCustomer = {"display_name": self._task_name(task), "elderly": task.elderly}
        message = TaskOffered(
            task.id,
            task.kind,
            task.business,
            customer,
            waited_seconds=int(now - task.created_at),
            expires_in_seconds=round(offer.expires_at - now),
        )
        return [
            *self._teller_changed(teller_p, now),
            fx.Send(teller_p.conn_id, message),
            fx.LogEvent(now, "offer_made", actor=offer.teller_id, data={"task": task.id, "kind": task.kind}),
        ]

    def _accepted(self, teller: Participant, task: Task, now: float) -> list[fx.Effect]:
        """A teller took a task: start the call (or, for a callback, the session the customer joins)."""
        waited = now - task.created_at
        self.stats.answered(now, waited, task.business, task.elderly)
        if task.kind == "callback":
            return self._start_callback(teller, task, waited, now)
        customer = self._participants[task.id]
        return self._start_session(customer, teller, task, waited, now)

    def _start_session(
        self, customer: Participant, teller: Participant, task: Task, waited: float, now: float
    ) -> list[fx.Effect]:
        session = CallSession(
            id=self._new_id(),
            business=task.business,
            customer_conn=customer.conn_id,
            teller_conn=teller.conn_id,
            customer_name=customer.display_name,
            teller_username=teller.username,
            started_at=now,
            elderly=task.elderly,
        )
        self._sessions[session.id] = session
        customer.session_id = teller.session_id = session.id
        teller.wrap_up_session = None
        self._enter(customer, CustomerState.IN_CALL, now)
        # Both parties are told before anything is written: pairing latency is what they feel.
        peer: Peer = {"role": "teller", "display_name": teller.display_name}
        changed = self._teller_changed(teller, now)
        started = SessionStarted(
            session.id,
            session.business,
            peer,
            elderly=session.elderly,
            feedback_token=self._feedback_token(customer, session),
            resume_token=self.resumption.session_token(session.id, "customer", now),
        )
        return [
            fx.OpenMedia(session.id),
            *[e for e in changed if isinstance(e, fx.Send)],
            fx.Send(customer.conn_id, self._with_ice(started, "customer", now)),
            fx.Send(teller.conn_id, self._with_ice(self._started_for_teller(session, now), "teller", now)),
            fx.Paired(session.business, "elderly" if session.elderly else "standard", round(waited, 3)),
            *self._opened(session, waited, now),
            *[e for e in changed if not isinstance(e, fx.Send)],
            *self._queue_updates(now),
        ]

    def _start_callback(self, teller: Participant, task: Task, waited: float, now: float) -> list[fx.Effect]:
        callback = self._callbacks[task.id]
        session = CallSession(
            id=self._new_id(),
            business=task.business,
            customer_conn=None,
            teller_conn=teller.conn_id,
            customer_name=callback.display_name,
            teller_username=teller.username,
            started_at=now,
            kind="callback",
            elderly=task.elderly,
        )
        self._sessions[session.id] = session
        teller.session_id = session.id
        teller.wrap_up_session = None
        callback.session_id = session.id
        link_token = self._new_id() + self._new_id()
        callback.link_hash = token_hash(link_token)
        self._callback_links[callback.link_hash] = callback.id
        out: list[fx.Effect] = [fx.OpenMedia(session.id), *self._teller_changed(teller, now)]
        out += [
            fx.Send(teller.conn_id, self._with_ice(self._started_for_teller(session, now), "teller", now)),
            fx.Paired(session.business, "elderly" if session.elderly else "standard", round(waited, 3)),
            *self._opened(session, waited, now),
            fx.UpdateCallback(
                callback.id,
                "calling",
                now,
                teller=teller.username,
                session_id=session.id,
                link_hash=callback.link_hash,
            ),
            fx.NotifyCallback(callback.id, link_token, teller.display_name, now),
        ]
        return out

    def _opened(self, session: CallSession, waited: float, now: float) -> list[fx.Effect]:
        # Comes after OpenMedia: the session's record taps the hub's streams when the session row opens.
        return [
            fx.SessionOpened(
                session.id,
                session.business,
                session.customer_name,
                session.teller_username,
                now,
                kind=session.kind,
                elderly=session.elderly,
            ),
            fx.LogEvent(
                now,
                "session_started",
                session.id,
                session.teller_username,
                {
                    "business": session.business,
                    "kind": session.kind,
                    "lane": "elderly" if session.elderly else "standard",
                    "waited_seconds": round(waited, 3),
                },
            ),
        ]

    def _with_ice(self, message: _StartsMedia, party: str, now: float) -> _StartsMedia:
        """``message`` with the ICE configuration of ``party`` in its session (fresh TURN credentials)."""
        servers: list[dict[str, Any]] = self._ice_servers
        policy: Literal["all", "relay"] = "all"
        if self._leg_ice is not None:
            servers, policy = self._leg_ice(message.session_id, party, now)
        # Settings give each server as ``RTCIceServer`` JSON (video_bank/config.py, ``to_browser``).
        return replace(message, ice_servers=cast(list[IceServer], servers), ice_transport_policy=policy)

    def _started_for_teller(self, session: CallSession, now: float) -> SessionStarted:
        token = self.resumption.session_token(session.id, "teller", now)
        return SessionStarted(
            session.id,
            session.business,
            self._peer_of(session, "teller"),
            kind=session.kind,
            resume_token=token,
        )

    def _peer_of(self, session: CallSession, leg: Leg) -> Peer:
        """The other party as ``session_started`` describes it to the party on ``leg``."""
        if leg == "teller":
            return {"role": "customer", "display_name": session.customer_name, "elderly": session.elderly}
        teller = self._participants.get(session.teller_conn)
        name = teller.display_name if teller is not None else session.teller_username
        return {"role": "teller", "display_name": name}

    def _end_session(self, session: CallSession, reason: EndReason, now: float) -> list[fx.Effect]:
        if session.state is SessionState.ENDED:
            return []
        session.end(reason, now)
        del self._sessions[session.id]
        self.feedback.ended(session.id, now)
        self.stats.handled(now, now - session.started_at, session.business)
        customer = self._participants.get(session.customer_conn) if session.customer_conn else None
        requeue = reason == "teller_lost" and customer is not None
        out: list[fx.Effect] = [fx.CloseMedia(session.id)]
        if requeue:  # the record says the customer goes back to the head of the line
            out.append(fx.LogEvent(now, "customer_requeued", session.id, data={"reason": reason}))
        out += [
            fx.LogEvent(now, "session_ended", session.id, data={"reason": reason}),
            fx.SessionClosed(session.id, now, reason),
            *self.resumption.session_ended(session, now),
        ]
        if session.kind == "callback" and session.customer_conn is None:
            out += self._drop_pending_callback(session.id, "missed", now)
        for watcher in [w for w in self._participants.values() if w.monitoring == session.id]:
            out += self._stop_monitoring(watcher, "session_ended", now)
        if customer is not None:
            customer.session_id = None
            self._enter(customer, CustomerState.IDLE, now)
            if requeue:
                token, routed = self.resumption.requeue(customer, session, now)
                out.append(fx.Send(customer.conn_id, SessionEnded(session.id, reason, True, token)))
                out += routed
            else:
                out.append(fx.Send(customer.conn_id, SessionEnded(session.id, reason)))
        teller = self._participants.get(session.teller_conn)
        if teller is not None:
            teller.session_id = None
            teller.wrap_up_session = session.id
            self.router.call_ended(teller.username, now)
            out.append(fx.Send(teller.conn_id, SessionEnded(session.id, reason)))
            out += self._teller_changed(teller, now)
            out += self._route(now)
        return out + self._queue_updates(now)

    def _feedback_token(self, customer: Participant, session: CallSession) -> str | None:
        """A one-time token for the customer to rate ``session`` after it ends (not for field tablets)."""
        if customer.role is not Role.CUSTOMER:
            return None
        token = self._new_id() + self._new_id()
        self.feedback.issue(session.id, token, session.business)
        return token

    def feedback_stored(self, done: fx.StoreFeedback, stored: bool, now: float) -> list[fx.Effect]:
        """Result of a :class:`~signaling.effects.StoreFeedback` (``stored`` False: the session had a
        rating already, given in the call). The comment is never logged."""
        if not stored:
            closed = FeedbackClosed("this call has been rated already", "feedback")
            return self.reject(done.conn_id, closed, "feedback", now)
        data = {"score": done.rating, "has_comment": done.comment is not None, "business": done.business}
        return [
            fx.Send(done.conn_id, FeedbackRecorded(done.session_id)),
            fx.LogEvent(now, "customer_feedback", done.session_id, data=data),
        ]

    def _own_session(self, p: Participant, session_id: str) -> tuple[CallSession, Leg]:
        session = self._sessions.get(session_id)
        if session is None or p.session_id != session_id:
            raise UnknownSession("that is not your current session")
        return session, session.leg_of(p.conn_id)

    def _lapsed(self, lapse: Lapse, now: float) -> list[fx.Effect]:
        out: list[fx.Effect] = []
        teller = self._teller_conn(lapse.teller_id) if lapse.teller_id else None
        if lapse.kind == "offer_timeout" and teller is not None and lapse.task is not None:
            out.append(fx.Send(teller.conn_id, TaskOfferWithdrawn(lapse.task.id, "timeout")))
            out.append(fx.LogEvent(now, "offer_timeout", actor=teller.username, data={"task": lapse.task.id}))
        if lapse.kind == "callback_expired" and lapse.task is not None:
            callback = self._callbacks.pop(lapse.task.id, None)
            if callback is not None:
                out.append(fx.UpdateCallback(callback.id, "expired", now))
                out.append(fx.LogEvent(now, "callback_expired", data={"reservation": callback.id}))
        if teller is not None:
            out += self._teller_changed(teller, now)
        return out

    # --- callbacks --------------------------------------------------------------------------------

    def _book_callback(self, p: Participant, request: CallbackRequest, now: float) -> list[fx.Effect]:
        if not p.callback_offered:
            raise InvalidCallback("a call-back is offered only when the wait is long", "callback_request")
        if request.window_start is None:
            start, end = self._hours.soonest_window(now, CALLBACK_MIN_WINDOW)
        else:
            start = max(now, request.window_start)
            end = start + CALLBACK_DEFAULT_WINDOW if request.window_end is None else request.window_end
        if end - start < CALLBACK_MIN_WINDOW or start > now + CALLBACK_MAX_AHEAD:
            raise InvalidCallback(
                "choose a time window of at least 15 minutes within the next 7 days", "callback_request"
            )
        if not self._hours.within(start, end):
            raise InvalidCallback(
                f"choose a time within our service hours ({self._hours.text.replace('-', '–')})",
                "callback_request",
                {"hours": self._hours.text},
            )
        task = self.router.withdraw(p.conn_id, now)
        assert task is not None
        cancel_token = self._new_id() + self._new_id()
        callback = Callback(
            id=self._new_id(),
            cancel_hash=token_hash(cancel_token),
            display_name=p.display_name,
            business=task.business,
            elderly=task.elderly,
            window_start=start,
            window_end=end,
        )
        self._callbacks[callback.id] = callback
        # The callback keeps the customer's place in line: same priority and creation time.
        self.router.enqueue(
            Task(
                callback.id,
                "callback",
                task.business,
                task.priority,
                task.created_at,
                task.elderly,
                language=task.language,
                not_before=start,
                expires_at=end,
            )
        )
        self._enter(p, CustomerState.IDLE, now)
        return [
            fx.StoreCallback(
                CallbackReservation(
                    callback.id,
                    task.business,
                    p.display_name,
                    request.phone,
                    start,
                    end,
                    queued_at=task.created_at,
                    elderly=task.elderly,
                    language=task.language,
                    cancel_hash=callback.cancel_hash,
                ),
                now,
            ),
            fx.LogEvent(now, "callback_booked", data={"reservation": callback.id, "business": task.business}),
            fx.Send(p.conn_id, CallbackBooked(callback.id, cancel_token, start, end)),
            *self._route(now),
            *self._queue_updates(now),
        ]

    def _cancel_callback(self, p: Participant, request: CallbackCancel, now: float) -> list[fx.Effect]:
        callback = self._callbacks.get(request.reservation_id)
        if callback is None or callback.cancel_hash != token_hash(request.cancel_token):
            raise InvalidCallback("no such reservation", "callback_cancel")
        if callback.session_id is not None:
            raise InvalidCallback("a teller is already calling you back; follow the link", "callback_cancel")
        task = self.router.task(callback.id)
        holder = task.reserved_by if task else None
        self.router.withdraw(callback.id, now)
        del self._callbacks[callback.id]
        out: list[fx.Effect] = [
            fx.UpdateCallback(callback.id, "cancelled", now),
            fx.LogEvent(now, "callback_cancelled", data={"reservation": callback.id}),
            fx.Send(p.conn_id, CallbackCancelled(callback.id, "cancelled")),
        ]
        teller = self._teller_conn(holder) if holder else None
        if teller is not None:
            out.append(fx.Send(teller.conn_id, TaskOfferWithdrawn(callback.id, "customer_left")))
            out += self._teller_changed(teller, now)
            out += self._route(now)
        return out

    def _drop_pending_callback(self, session_id: str, status: str, now: float) -> list[fx.Effect]:
        for callback in list(self._callbacks.values()):
            if callback.session_id == session_id:
                del self._callbacks[callback.id]
                if callback.link_hash is not None:
                    self._callback_links.pop(callback.link_hash, None)
                return [fx.UpdateCallback(callback.id, status, now, session_id=session_id)]
        return []

    def restore_callbacks(self, reservations: list[CallbackReservation], now: float) -> list[fx.Effect]:
        """At start-up: put the reservations an earlier run booked back in line, in their place.

        A reservation that was ``calling`` lost its teller's session with that run: it is ``booked``
        again and will be offered anew. One whose window has passed is ``expired``."""
        out: list[fx.Effect] = []
        config = self.router.config
        for r in reservations:
            if r.id in self._callbacks or r.status not in ("booked", "calling"):
                continue
            if r.window_end <= now:
                out.append(fx.UpdateCallback(r.id, "expired", now))
                out.append(fx.LogEvent(now, "callback_expired", data={"reservation": r.id}))
                continue
            self._callbacks[r.id] = Callback(
                r.id, r.cancel_hash, r.display_name, r.business, r.elderly, r.window_start, r.window_end
            )
            priority = config.routing(r.business).priority + (config.elderly_priority if r.elderly else 0)
            self.router.enqueue(
                Task(
                    r.id,
                    "callback",
                    r.business,
                    priority,
                    r.queued_at,
                    r.elderly,
                    language=r.language,
                    not_before=r.window_start,
                    expires_at=r.window_end,
                )
            )
            if r.status == "calling":
                out.append(fx.UpdateCallback(r.id, "booked", now))
            out.append(fx.LogEvent(now, "callback_restored", data={"reservation": r.id}))
        return out + self._route(now)

    # --- customers told -----------------------------------------------------------------------------

    def _queue_updates(self, now: float) -> list[fx.Effect]:
        """Tell waiting customers their position and wait: on any change, and every few seconds."""
        out: list[fx.Effect] = []
        able: dict[tuple[str, bool], int] = {}  # tellers able to take a task, per business and lane
        for position, task in enumerate(self.router.queue(now), start=1):
            if task.kind != "call":
                continue
            p = self._participants.get(task.id)
            if p is None:
                continue
            due = now - p.last_update_at >= self._queue_update_seconds
            if not due and p.last_position == position:
                continue
            p.last_position = position
            p.last_update_at = now
            key = (task.business, task.elderly)
            if key not in able:
                able[key] = self.router.able_tellers(task)
            handle = self.stats.handle_time(task.business)
            eta = self.router.wait_estimate(task, position, now, average_handle=handle, able=able[key])
            lane: Literal["standard", "elderly"] = "elderly" if task.elderly else "standard"
            out.append(fx.Send(p.conn_id, QueueUpdate(position, eta, task.business, lane)))
            if self._offers_callback(p, position, eta):
                p.callback_offered = True
                windows = [
                    CallbackWindow(kind=w.kind, start=w.start, end=w.end)
                    for w in self._hours.callback_windows(now)
                ]
                out.append(fx.Send(p.conn_id, CallbackOffered(eta, windows)))
        return out

    def _offers_callback(self, p: Participant, position: int, eta: int) -> bool:
        """A call-back is offered once per wait, when the wait is long, never to the next in line or
        to a customer who asked to talk to a person now."""
        return (
            not p.callback_offered
            and not p.talk_now
            and position > CALLBACK_SHORT_WAIT_POSITION
            and eta > self.router.config.callback_offer_seconds
        )

    def _teller_changed(self, p: Participant, now: float, *, force: bool = False) -> list[fx.Effect]:
        """Tell a teller their state after the router changed it, and log the change."""
        teller = self.router.teller(p.username)
        if teller is None:
            return []
        if not force and p.state is teller.state and teller.state not in (TellerState.WRAP_UP,):
            return []
        p.state = teller.state
        left = None
        if teller.state is TellerState.WRAP_UP and teller.wrap_up_until is not None:
            left = max(0, round(teller.wrap_up_until - now))
        message = TellerStateChanged(teller.state.value, teller.away_reason, teller.auto_accept, left)
        return [
            fx.Send(p.conn_id, message),
            fx.LogEvent(
                now,
                "teller_state",
                p.session_id,
                p.username,
                {"state": teller.state.value, "reason": teller.away_reason},
            ),
        ]

    # --- supervisors ----------------------------------------------------------------------------------

    def _start_monitoring(self, p: Participant, session_id: str, now: float) -> list[fx.Effect]:
        session = self._sessions.get(session_id)
        if session is None:
            raise UnknownSession("no live session with that id")
        p.monitoring = session.id
        self._enter(p, SupervisorState.MONITORING, now)
        started = self._with_ice(
            MonitorStarted(session.id, session.business, session.teller_username, session.customer_name),
            f"monitor.{p.conn_id}",
            now,
        )
        return [
            fx.LogEvent(now, "monitoring_started", session.id, p.username),
            fx.Send(p.conn_id, started),
        ]

    def _stop_monitoring(
        self, p: Participant, reason: Literal["stopped", "session_ended", "media_failed"], now: float
    ) -> list[fx.Effect]:
        session_id = p.monitoring
        if session_id is None:
            return []
        p.monitoring = None
        self._enter(p, SupervisorState.WATCHING, now)
        return [
            fx.CloseMonitor(p.conn_id, session_id),
            fx.LogEvent(now, "monitoring_stopped", session_id, p.username, {"reason": reason}),
            fx.Send(p.conn_id, MonitorStopped(session_id, reason)),
        ]

    def snapshot(self, now: float) -> SupervisorSnapshot:
        """Queues, tellers, sessions and service figures right now."""
        queues: dict[tuple[str, str], QueueSnapshot] = {}
        for task in self.router.queue(now):
            lane = "elderly" if task.elderly else "standard"
            entry = queues.setdefault(
                (task.business, lane),
                {
                    "business": task.business,
                    "lane": lane,
                    "waiting": 0,
                    "callbacks": 0,
                    "longest_wait_seconds": 0,
                },
            )
            entry["callbacks" if task.kind == "callback" else "waiting"] += 1
            entry["longest_wait_seconds"] = max(entry["longest_wait_seconds"], int(now - task.created_at))
        tellers: list[TellerSnapshot] = []
        for teller in self.router.tellers:
            p = self._teller_conn(teller.profile.id)
            tellers.append(
                {
                    "username": teller.profile.id,
                    "display_name": p.display_name if p else teller.profile.id,
                    "state": teller.state.value,
                    "reason": teller.away_reason,
                    "seconds_in_state": int(now - teller.state_since),
                    "elder_care": teller.profile.elder_care,
                }
            )
        sessions: list[SessionSnapshot] = [
            {
                "session_id": s.id,
                "business": s.business,
                "teller": s.teller_username,
                "customer": s.customer_name,
                "kind": s.kind,
                "state": s.state.value,
                "seconds": int(now - s.started_at),
            }
            for s in self._sessions.values()
        ]
        self._roll_day(now)
        service = service_figures(self.stats, now, self._today or 0)
        return SupervisorSnapshot(
            now, sorted(queues.values(), key=lambda q: (q["business"], q["lane"])), tellers, sessions, service
        )

    def _snapshot_to(self, p: Participant, now: float) -> list[fx.Effect]:
        p.last_snapshot_at = now
        return [fx.Send(p.conn_id, self.snapshot(now))]

    # --- helpers ------------------------------------------------------------------------------------

    def _roll_day(self, now: float) -> None:
        start = self._day_start(now)
        if self._today != start:
            self._today = start
            self.stats.forget_before(start)

    def _teller_conn(self, username: str) -> Participant | None:
        conn = self._staff_conn.get(username)
        return self._participants.get(conn) if conn else None

    def _task_name(self, task: Task) -> str:
        if task.kind == "callback":
            callback = self._callbacks.get(task.id)
            return callback.display_name if callback else ""
        p = self._participants.get(task.id)
        return p.display_name if p else ""

    @staticmethod
    def _enter(p: Participant, state: ParticipantState, now: float) -> None:
        p.state = state
        p.state_since = now

    @staticmethod
    def _not_allowed_text(p: Participant, state: ParticipantState, message_type: str) -> str:
        if state is LinkState.AUTHENTICATING:
            return "wait for the answer to hello"
        if p.role is not None and message_type == "hello":
            return "already signed in"
        role = p.role.value if p.role else "unauthenticated"
        return f"{message_type} is not allowed for a {role} in state {state.value}"
