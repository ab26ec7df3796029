"""The switchboard: who is connected, who waits, who talks to whom — pure state in, effects out.

Every public method takes the server time ``now`` and returns the list of :mod:`signaling.effects`
the adapter must carry out, in order. Nothing here awaits or touches the network, the clock, the
database or the media hub, so every rule is unit-testable with plain values.

Pairing (protocol v1): first come, first served — the longest-waiting customer goes to the teller
who has been available longest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from signaling import effects as fx
from signaling.errors import CloseCode, NotAllowed, PeerError, UnknownSession
from signaling.identity import Identity, Role
from signaling.messages import (
    BUSINESSES,
    ClientMessage,
    EndReason,
    ErrorMessage,
    Hangup,
    Hello,
    Ice,
    JoinQueue,
    LeaveQueue,
    MediaState,
    Offer,
    QueueLeft,
    QueueUpdate,
    SessionEnded,
    SessionStarted,
    SetState,
    TellerStateChanged,
    Welcome,
)
from signaling.session import CallSession, Leg, SessionState
from signaling.states import CustomerState, LinkState, ParticipantState, TellerState, allowed
from signaling.waiting_queue import HandleTimes, WaitingEntry, WaitingQueue, estimate_wait

MAX_ERRORS_PER_SOCKET = 20
MAX_FAILED_LOGINS = 5
_STAFFED = (TellerState.AVAILABLE, TellerState.IN_CALL, TellerState.WRAP_UP)


@dataclass(slots=True)
class Participant:
    """One connection and what the switchboard knows about it."""

    conn_id: str
    """Adapter's id of the socket."""
    identity: Identity | None = None
    """Set once ``hello`` succeeded."""
    state: ParticipantState = LinkState.NEW
    """Current state (link, customer or teller)."""
    state_since: float = 0.0
    """Server time the state was entered (longest-idle choice, durations)."""
    display_name: str = ""
    """Customer's name from ``join_queue``, or the staff member's name."""
    business: str | None = None
    """Business the customer waits for or is served for."""
    away_reason: str | None = None
    """Teller's reason code while away."""
    session_id: str | None = None
    """Current session, if any."""
    last_position: int | None = None
    """Last position told to a waiting customer."""
    last_update_at: float = 0.0
    """When the waiting customer was last told."""
    errors: int = 0
    """Refused messages on this socket."""
    failed_logins: int = 0
    """Failed ``hello`` attempts on this socket."""

    @property
    def role(self) -> Role | None:
        """Role, once authenticated."""
        return self.identity.role if self.identity else None


class Switchboard:
    """Queue, pairing and session state for one signaling node."""

    def __init__(
        self,
        *,
        new_id: Callable[[], str],
        ice_servers: list[dict[str, Any]],
        default_handle_seconds: float = 135.0,
        queue_update_seconds: float = 5.0,
    ) -> None:
        self._new_id = new_id
        self._ice_servers = ice_servers
        self._queue_update_seconds = queue_update_seconds
        self._participants: dict[str, Participant] = {}
        self._staff_conn: dict[str, str] = {}
        self._queue = WaitingQueue()
        self._sessions: dict[str, CallSession] = {}
        self._handle_times = HandleTimes(default_handle_seconds)

    # --- read-only views (tests, metrics) --------------------------------------------------------

    def participant(self, conn_id: str) -> Participant | None:
        """What is known about a connection."""
        return self._participants.get(conn_id)

    def session(self, session_id: str) -> CallSession | None:
        """A live session."""
        return self._sessions.get(session_id)

    @property
    def waiting(self) -> int:
        """Customers in line."""
        return len(self._queue)

    @property
    def live_sessions(self) -> int:
        """Sessions not yet ended."""
        return len(self._sessions)

    @property
    def connections(self) -> int:
        """Connections known."""
        return len(self._participants)

    # --- inputs -----------------------------------------------------------------------------------

    def connect(self, conn_id: str, now: float) -> list[fx.Effect]:
        """A socket opened; it must say ``hello`` first."""
        if conn_id in self._participants:
            raise ValueError(f"connection {conn_id} already known")
        self._participants[conn_id] = Participant(conn_id=conn_id, state_since=now)
        return []

    def receive(self, conn_id: str, message: ClientMessage, now: float) -> list[fx.Effect]:
        """Handle one parsed client message; refusals become ``error`` messages, never exceptions."""
        p = self._participants[conn_id]
        if message.TYPE not in allowed(p.role, p.state):
            if p.state is LinkState.NEW:
                return [fx.Close(conn_id, CloseCode.HELLO_REQUIRED, "hello must be the first message")]
            error = NotAllowed(self._not_allowed_text(p, message.TYPE))
            return self.reject(conn_id, error, message.TYPE, now)
        try:
            return self._dispatch(p, message, now)
        except PeerError as error:
            return self.reject(conn_id, error, message.TYPE, now)

    def reject(self, conn_id: str, error: PeerError, ref_type: str | None, now: float) -> list[fx.Effect]:
        """Answer a refused message; close the socket when it keeps sending refused messages."""
        p = self._participants.get(conn_id)
        if p is None:
            return []
        p.errors += 1
        out: list[fx.Effect] = [fx.Send(conn_id, ErrorMessage(error.code, error.message, ref_type))]
        if p.errors >= MAX_ERRORS_PER_SOCKET:
            out.append(fx.Close(conn_id, CloseCode.ABUSE, "too many refused messages"))
        return out

    def authenticated(self, conn_id: str, identity: Identity | None, now: float) -> list[fx.Effect]:
        """Result of an :class:`~signaling.effects.Authenticate` effect (``None``: credentials refused)."""
        p = self._participants.get(conn_id)
        if p is None or p.state is not LinkState.AUTHENTICATING:
            return []
        if identity is None:
            p.state = LinkState.NEW
            p.failed_logins += 1
            out: list[fx.Effect] = [
                fx.Send(conn_id, ErrorMessage("auth_failed", "wrong user name, password or role", "hello")),
                fx.LogEvent(now, "login_failed", data={"connection": conn_id}),
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
        )
        out.append(fx.Send(conn_id, welcome))
        out.append(fx.LogEvent(now, "login", actor=identity.username, data={"role": identity.role.value}))
        if identity.role is Role.CUSTOMER:
            self._enter(p, CustomerState.IDLE, now)
        elif identity.role is Role.TELLER:
            out += self._set_teller(p, TellerState.AWAY, now, reason="login")
        else:
            p.state = TellerState.OFFLINE  # supervisors and auditors have no v1 workflow on the socket
        return out

    def media_state(
        self, session_id: str, leg: Leg, state: Literal["connected", "failed"], now: float
    ) -> list[fx.Effect]:
        """The hub reports a leg's peer connection state."""
        session = self._sessions.get(session_id)
        if session is None:
            return []
        if state == "failed":
            return self._end_session(session, "media_failed", now)
        out: list[fx.Effect] = [fx.LogEvent(now, "media_connected", session_id, data={"leg": leg})]
        if session.media_connected(leg):
            out.append(fx.LogEvent(now, "session_active", session_id))
            for conn in (session.customer_conn, session.teller_conn):
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
        username = p.identity.username if p.identity else None
        if username is not None and self._staff_conn.get(username) == conn_id:
            del self._staff_conn[username]
        if p.state is CustomerState.WAITING:
            self._queue.remove(conn_id)
            out.append(fx.LogEvent(now, "customer_abandoned", data={"business": p.business}))
            out += self._queue_updates(now)
        session = self._sessions.get(p.session_id) if p.session_id else None
        if session is not None:
            reason: EndReason = "customer_lost" if p.role is Role.CUSTOMER else "teller_lost"
            out += self._end_session(session, reason, now)
        if p.role is Role.TELLER:
            out.append(fx.LogEvent(now, "teller_state", actor=self._username(p), data={"state": "offline"}))
        return out

    def tick(self, now: float) -> list[fx.Effect]:
        """Periodic work: refresh waiting customers who have not heard from us for a while."""
        return self._queue_updates(now)

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
                return self._leave(p, now)
            case SetState():
                return self._set_teller(p, TellerState(message.state), now, reason=message.reason)
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
            case Hangup():
                session, leg = self._own_session(p, message.session_id)
                return self._end_session(
                    session, "customer_hangup" if leg == "customer" else "teller_hangup", now
                )
        raise NotAllowed(f"{message.TYPE} is not handled")  # pragma: no cover - table and match agree

    def _hello(self, p: Participant, hello: Hello, now: float) -> list[fx.Effect]:
        role = Role(hello.role)
        if role is Role.CUSTOMER and (hello.username or hello.password):
            raise NotAllowed("customers do not send credentials")
        if role.is_staff and not (hello.username and hello.password):
            raise NotAllowed("staff must send username and password")
        p.state = LinkState.AUTHENTICATING
        if role is Role.CUSTOMER:
            # Protocol v1 customers are anonymous; one-time links and bank tokens plug in here.
            return self.authenticated(p.conn_id, Identity(Role.CUSTOMER), now)
        return [fx.Authenticate(p.conn_id, role.value, hello.username, hello.password)]

    def _join(self, p: Participant, join: JoinQueue, now: float) -> list[fx.Effect]:
        name = " ".join(join.display_name.split())
        p.display_name = name
        p.business = join.business
        p.last_position = None
        self._enter(p, CustomerState.WAITING, now)
        self._queue.push(WaitingEntry(p.conn_id, join.business, now))
        out: list[fx.Effect] = [
            fx.LogEvent(now, "customer_joined", data={"business": join.business, "connection": p.conn_id})
        ]
        out += self._pair(now)
        out += self._queue_updates(now)
        return out

    def _leave(self, p: Participant, now: float) -> list[fx.Effect]:
        self._queue.remove(p.conn_id)
        self._enter(p, CustomerState.IDLE, now)
        out: list[fx.Effect] = [
            fx.Send(p.conn_id, QueueLeft()),
            fx.LogEvent(now, "customer_left_queue", data={"business": p.business}),
        ]
        return out + self._queue_updates(now)

    def _set_teller(
        self, p: Participant, state: TellerState, now: float, *, reason: str | None = None
    ) -> list[fx.Effect]:
        reason = (reason or "break") if state is TellerState.AWAY else None
        if p.state is state and p.away_reason == reason:
            return [fx.Send(p.conn_id, TellerStateChanged(state.value, reason))]
        self._enter(p, state, now)
        p.away_reason = reason
        out: list[fx.Effect] = [
            fx.Send(p.conn_id, TellerStateChanged(state.value, reason)),
            fx.LogEvent(
                now, "teller_state", p.session_id, self._username(p), {"state": state.value, "reason": reason}
            ),
        ]
        if state in _STAFFED:
            out += self._pair(now)
        out += self._queue_updates(now)
        return out

    # --- pairing and sessions -------------------------------------------------------------------

    def _pair(self, now: float) -> list[fx.Effect]:
        out: list[fx.Effect] = []
        while len(self._queue):
            teller = self._longest_idle_teller()
            if teller is None:
                break
            entry = self._queue.pop_oldest()
            assert entry is not None
            out += self._start_session(self._participants[entry.conn_id], teller, now)
        return out

    def _longest_idle_teller(self) -> Participant | None:
        idle = [
            p
            for p in self._participants.values()
            if p.role is Role.TELLER and p.state is TellerState.AVAILABLE
        ]
        return min(idle, key=lambda p: p.state_since, default=None)

    def _start_session(self, customer: Participant, teller: Participant, now: float) -> list[fx.Effect]:
        assert customer.business is not None
        session = CallSession(
            id=self._new_id(),
            business=customer.business,
            customer_conn=customer.conn_id,
            teller_conn=teller.conn_id,
            customer_name=customer.display_name,
            teller_username=self._username(teller),
            started_at=now,
        )
        self._sessions[session.id] = session
        waited = round(now - customer.state_since, 3)
        customer.session_id = teller.session_id = session.id
        self._enter(customer, CustomerState.IN_CALL, now)
        out: list[fx.Effect] = [
            fx.SessionOpened(
                session.id, session.business, session.customer_name, session.teller_username, now
            ),
            fx.LogEvent(
                now,
                "session_started",
                session.id,
                session.teller_username,
                {"business": session.business, "waited_seconds": waited},
            ),
            fx.OpenMedia(session.id),
        ]
        out += self._set_teller(teller, TellerState.IN_CALL, now)
        out.append(
            fx.Send(
                customer.conn_id,
                SessionStarted(
                    session.id, session.business, {"role": "teller", "display_name": teller.display_name}
                ),
            )
        )
        out.append(
            fx.Send(
                teller.conn_id,
                SessionStarted(
                    session.id, session.business, {"role": "customer", "display_name": customer.display_name}
                ),
            )
        )
        return out

    def _end_session(self, session: CallSession, reason: EndReason, now: float) -> list[fx.Effect]:
        if session.state is SessionState.ENDED:
            return []
        was_active = session.state is SessionState.ACTIVE
        session.end(reason, now)
        del self._sessions[session.id]
        if was_active:
            self._handle_times.add(now - session.started_at)
        out: list[fx.Effect] = [
            fx.CloseMedia(session.id),
            fx.LogEvent(now, "session_ended", session.id, data={"reason": reason}),
            fx.SessionClosed(session.id, now, reason),
        ]
        customer = self._participants.get(session.customer_conn)
        if customer is not None:
            customer.session_id = None
            self._enter(customer, CustomerState.IDLE, now)
            out.append(fx.Send(customer.conn_id, SessionEnded(session.id, reason)))
        teller = self._participants.get(session.teller_conn)
        if teller is not None:
            teller.session_id = None
            out.append(fx.Send(teller.conn_id, SessionEnded(session.id, reason)))
            out += self._set_teller(teller, TellerState.AVAILABLE, now)
        return out

    def _own_session(self, p: Participant, session_id: str) -> tuple[CallSession, Leg]:
        session = self._sessions.get(session_id)
        if session is None or p.session_id != session_id:
            raise UnknownSession("that is not your current session")
        return session, session.leg_of(p.conn_id)

    # --- queue updates ----------------------------------------------------------------------------

    def _queue_updates(self, now: float) -> list[fx.Effect]:
        """Tell waiting customers their position and wait: on any change, and every few seconds."""
        if not len(self._queue):
            return []
        staffed = sum(1 for _ in self._staffed_tellers())
        average = self._handle_times.average()
        out: list[fx.Effect] = []
        for position, entry in enumerate(self._queue.in_order(), start=1):
            p = self._participants[entry.conn_id]
            due = now - p.last_update_at >= self._queue_update_seconds
            if due or p.last_position != position:
                p.last_position = position
                p.last_update_at = now
                eta = estimate_wait(position, staffed, average)
                out.append(fx.Send(p.conn_id, QueueUpdate(position, eta, entry.business)))
        return out

    def _staffed_tellers(self) -> Iterator[Participant]:
        return (p for p in self._participants.values() if p.role is Role.TELLER and p.state in _STAFFED)

    # --- helpers ------------------------------------------------------------------------------------

    @staticmethod
    def _enter(p: Participant, state: ParticipantState, now: float) -> None:
        p.state = state
        p.state_since = now

    @staticmethod
    def _username(p: Participant) -> str:
        username = p.identity.username if p.identity else None
        if username is None:
            raise ValueError("not a staff connection")
        return username

    @staticmethod
    def _not_allowed_text(p: Participant, message_type: str) -> str:
        if p.state is LinkState.AUTHENTICATING:
            return "wait for the answer to hello"
        if p.role is not None and message_type == "hello":
            return "already signed in"
        role = p.role.value if p.role else "unauthenticated"
        state = p.state.value
        return f"{message_type} is not allowed for a {role} in state {state}"
