"""The switchboard's rules, driven with plain values: no sockets, no event loop, an explicit clock."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from signaling import effects as fx
from signaling.errors import CloseCode, InvalidMessage
from signaling.identity import Identity, Role
from signaling.messages import (
    BUSINESSES,
    ClientMessage,
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
    WrapUpDone,
    encode,
)
from signaling.routing_config import load_routing
from signaling.schemas import validate
from signaling.session import SessionState
from signaling.states import CustomerState, TellerState
from signaling.switchboard import MAX_ERRORS_PER_SOCKET, MAX_FAILED_LOGINS, Switchboard

ROUTING = load_routing()
ALL_SKILLS = tuple((business, 5) for business in BUSINESSES)


class Harness:
    """A switchboard plus helpers that log in parties and collect what each connection was sent."""

    def __init__(self, resume_grace_seconds: float = 0.0) -> None:
        ids = (f"session-{n:04d}" for n in itertools.count(1))
        self.sb = Switchboard(
            new_id=lambda: next(ids),
            ice_servers=[],
            routing=ROUTING,
            default_handle_seconds=100.0,
            resume_grace_seconds=resume_grace_seconds,
        )
        self.now = 1_000.0
        self.effects: list[fx.Effect] = []

    def run(self, effects: list[fx.Effect]) -> list[fx.Effect]:
        for effect in effects:
            if isinstance(effect, fx.Send):  # every message the server sends must match its schema
                validate(effect.message.TYPE, __import__("json").loads(encode(effect.message)))
        self.effects += effects
        return effects

    def send(self, conn: str, message: ClientMessage) -> list[fx.Effect]:
        return self.run(self.sb.receive(conn, message, self.now))

    def customer(self, conn: str) -> str:
        self.run(self.sb.connect(conn, self.now))
        self.send(conn, Hello(role="customer"))
        return conn

    def teller(
        self,
        conn: str,
        username: str | None = None,
        *,
        available: bool = True,
        auto_accept: bool = True,
        skills: tuple[tuple[str, int], ...] = ALL_SKILLS,
        elder_care: bool = False,
    ) -> str:
        username = username or conn
        self.run(self.sb.connect(conn, self.now))
        out = self.send(conn, Hello(role="teller", username=username, password="pw"))
        assert [type(e) for e in out] == [fx.Authenticate]
        identity = Identity(Role.TELLER, username, username.title(), skills=skills, elder_care=elder_care)
        self.run(self.sb.authenticated(conn, identity, self.now))
        if available:
            self.send(conn, SetState(state="available", auto_accept=auto_accept))
        return conn

    def messages(self, conn: str, kind: type | None = None) -> list[Any]:
        sent = [e.message for e in self.effects if isinstance(e, fx.Send) and e.conn_id == conn]
        return [m for m in sent if kind is None or isinstance(m, kind)]

    def last(self, conn: str, kind: type) -> Any:
        found = self.messages(conn, kind)
        assert found, f"{conn} was sent no {kind.__name__}"
        return found[-1]

    def closes(self, conn: str) -> list[fx.Close]:
        return [e for e in self.effects if isinstance(e, fx.Close) and e.conn_id == conn]

    def of_type(self, kind: type) -> list[Any]:
        return [e for e in self.effects if isinstance(e, kind)]


@pytest.fixture
def h() -> Harness:
    return Harness()


# --- hello and identity ------------------------------------------------------------------------------


def test_a_socket_that_does_not_start_with_hello_is_closed_with_4001(h: Harness) -> None:
    h.run(h.sb.connect("c1", h.now))
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    assert [c.code for c in h.closes("c1")] == [CloseCode.HELLO_REQUIRED]


def test_customer_hello_is_welcomed_with_the_servers_ice_configuration(h: Harness) -> None:
    h.customer("c1")
    welcome = h.last("c1", Welcome)
    assert welcome.role == "customer"
    assert welcome.ice_servers == []
    assert "activation" in welcome.businesses
    assert h.sb.participant("c1").state is CustomerState.IDLE  # type: ignore[union-attr]


def test_customers_may_not_send_credentials_and_staff_must(h: Harness) -> None:
    h.run(h.sb.connect("c1", h.now))
    h.send("c1", Hello(role="customer", username="x", password="y"))
    h.run(h.sb.connect("t1", h.now))
    h.send("t1", Hello(role="teller", username="teller1"))
    assert h.last("c1", ErrorMessage).code == "not_allowed"
    assert h.last("t1", ErrorMessage).code == "not_allowed"


def test_teller_starts_away_after_login(h: Harness) -> None:
    h.teller("t1", available=False)
    assert h.last("t1", TellerStateChanged) == TellerStateChanged("away", "login", auto_accept=False)


def test_failed_logins_are_answered_and_the_fifth_closes_the_socket(h: Harness) -> None:
    h.run(h.sb.connect("t1", h.now))
    for _ in range(MAX_FAILED_LOGINS):
        h.send("t1", Hello(role="teller", username="teller1", password="wrong"))
        h.run(h.sb.authenticated("t1", None, h.now))
    assert [m.code for m in h.messages("t1", ErrorMessage)] == ["auth_failed"] * MAX_FAILED_LOGINS
    assert [c.code for c in h.closes("t1")] == [CloseCode.ABUSE]


def test_messages_while_authenticating_are_refused(h: Harness) -> None:
    h.run(h.sb.connect("t1", h.now))
    h.send("t1", Hello(role="teller", username="teller1", password="pw"))
    h.send("t1", SetState(state="available"))
    assert h.last("t1", ErrorMessage).code == "not_allowed"


def test_a_second_login_of_the_same_account_replaces_the_first_and_ends_its_call(h: Harness) -> None:
    h.teller("t1", "teller1")
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    h.teller("t2", "teller1", available=False)
    assert [c.code for c in h.closes("t1")] == [CloseCode.REPLACED]
    assert h.last("c1", SessionEnded).reason == "teller_lost"
    assert h.sb.participant("t1") is None


# --- queue and pairing ---------------------------------------------------------------------------------


def test_a_customer_waits_with_position_and_estimate_when_no_teller_is_available(h: Harness) -> None:
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="  Ann   Lee ", business="password_reset"))
    update = h.last("c1", QueueUpdate)
    assert (update.position, update.business) == (1, "password_reset")
    assert update.estimated_wait_seconds == 130  # default 100 s handle + 30 s wrap-up, one teller assumed
    assert h.sb.participant("c1").display_name == "Ann Lee"  # type: ignore[union-attr]


def test_customers_are_served_first_come_first_served(h: Harness) -> None:
    for conn in ("c1", "c2", "c3"):
        h.customer(conn)
        h.now += 1
        h.send(conn, JoinQueue(display_name=conn, business="activation"))
    assert [h.last(c, QueueUpdate).position for c in ("c1", "c2", "c3")] == [1, 2, 3]
    h.teller("t1")
    assert h.last("t1", SessionStarted).peer == {"role": "customer", "display_name": "c1", "elderly": False}
    assert [h.last(c, QueueUpdate).position for c in ("c2", "c3")] == [1, 2]


def test_the_teller_available_longest_gets_the_next_customer(h: Harness) -> None:
    h.teller("t1")
    h.now += 5
    h.teller("t2")
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    assert h.messages("t1", SessionStarted) and not h.messages("t2", SessionStarted)


def test_an_away_teller_gets_no_customer(h: Harness) -> None:
    h.teller("t1", available=False)
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    assert not h.messages("t1", SessionStarted)
    assert h.sb.waiting == 1


def test_pairing_tells_both_sides_and_opens_session_state(h: Harness) -> None:
    h.teller("t1", "teller1")
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="card_review"))
    started = h.last("c1", SessionStarted)
    assert started.peer == {"role": "teller", "display_name": "Teller1"}
    assert started.business == "card_review"
    assert h.last("t1", SessionStarted).session_id == started.session_id
    assert h.last("t1", TellerStateChanged).state == "in-call"
    session = h.sb.session(started.session_id)
    assert session is not None and session.state is SessionState.NEGOTIATING
    assert [type(e).__name__ for e in h.of_type(fx.OpenMedia)] == ["OpenMedia"]
    opened = h.of_type(fx.SessionOpened)[0]
    assert (opened.customer_name, opened.teller_username) == ("Ann", "teller1")


def test_leaving_the_queue_moves_the_others_up(h: Harness) -> None:
    for conn in ("c1", "c2"):
        h.customer(conn)
        h.send(conn, JoinQueue(display_name=conn, business="activation"))
    h.send("c1", LeaveQueue())
    assert h.last("c1", QueueLeft).reason == "left"
    assert h.last("c2", QueueUpdate).position == 1
    assert h.sb.participant("c1").state is CustomerState.IDLE  # type: ignore[union-attr]


def test_waiting_customers_hear_from_the_server_at_least_every_five_seconds(h: Harness) -> None:
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    before = len(h.messages("c1", QueueUpdate))
    h.now += 4.9
    h.run(h.sb.tick(h.now))
    assert len(h.messages("c1", QueueUpdate)) == before
    h.now += 0.2
    h.run(h.sb.tick(h.now))
    assert len(h.messages("c1", QueueUpdate)) == before + 1


def test_the_estimate_uses_measured_handle_times(h: Harness) -> None:
    h.teller("t1")
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    session_id = h.last("c1", SessionStarted).session_id
    h.run(h.sb.media_state(session_id, "customer", "connected", h.now))
    h.run(h.sb.media_state(session_id, "teller", "connected", h.now))
    h.now += 300
    h.send("c1", Hangup(session_id=session_id))
    h.send("t1", SetState(state="away"))
    h.customer("c2")
    h.send("c2", JoinQueue(display_name="Bo", business="activation"))
    assert h.last("c2", QueueUpdate).estimated_wait_seconds == 330  # measured 300 s + 30 s wrap-up


# --- sessions -------------------------------------------------------------------------------------------


def paired(h: Harness) -> str:
    h.teller("t1")
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    session_id: str = h.last("c1", SessionStarted).session_id
    return session_id


def test_offers_and_candidates_of_the_own_session_go_to_the_hub(h: Harness) -> None:
    session_id = paired(h)
    h.send("c1", Offer(session_id=session_id, sdp="v=0"))
    h.send("t1", Ice(session_id=session_id, candidate="candidate:1 1 udp 1 192.0.2.1 5000 typ host"))
    negotiate = h.of_type(fx.NegotiateMedia)
    assert [(n.conn_id, n.leg) for n in negotiate] == [("c1", "customer")]
    assert [(a.conn_id, a.leg) for a in h.of_type(fx.AddCandidate)] == [("t1", "teller")]


def test_another_sessions_id_is_unknown(h: Harness) -> None:
    session_id = paired(h)
    h.send("c1", Offer(session_id="someone-elses", sdp="v=0"))
    h.send("c1", Hangup(session_id="someone-elses"))
    assert [m.code for m in h.messages("c1", ErrorMessage)] == ["unknown_session"] * 2
    assert h.sb.session(session_id) is not None


def test_the_session_becomes_active_when_both_legs_connect(h: Harness) -> None:
    session_id = paired(h)
    h.run(h.sb.media_state(session_id, "customer", "connected", h.now))
    assert not h.messages("c1", MediaState)
    h.run(h.sb.media_state(session_id, "teller", "connected", h.now))
    assert h.last("c1", MediaState) == MediaState(session_id, "connected")
    assert h.last("t1", MediaState) == MediaState(session_id, "connected")
    assert h.sb.session(session_id).state is SessionState.ACTIVE  # type: ignore[union-attr]


@pytest.mark.parametrize(("who", "reason"), [("c1", "customer_hangup"), ("t1", "teller_hangup")])
def test_either_side_hangs_up_and_both_return_to_their_start_state(h: Harness, who: str, reason: str) -> None:
    session_id = paired(h)
    h.send(who, Hangup(session_id=session_id))
    assert h.last("c1", SessionEnded) == SessionEnded(session_id, reason)  # type: ignore[arg-type]
    assert h.last("t1", SessionEnded) == SessionEnded(session_id, reason)  # type: ignore[arg-type]
    assert h.sb.participant("c1").state is CustomerState.IDLE  # type: ignore[union-attr]
    assert h.sb.state_of(h.sb.participant("t1")) is TellerState.WRAP_UP  # type: ignore[arg-type]
    wrap_up = h.last("t1", TellerStateChanged)
    assert (wrap_up.state, wrap_up.wrap_up_seconds_left) == ("wrap-up", 30)
    h.send("t1", WrapUpDone())
    assert h.last("t1", TellerStateChanged).state == "available"
    assert [e.session_id for e in h.of_type(fx.CloseMedia)] == [session_id]
    assert [(e.session_id, e.outcome) for e in h.of_type(fx.SessionClosed)] == [(session_id, reason)]
    assert h.sb.live_sessions == 0


def test_a_customer_can_queue_again_after_a_call(h: Harness) -> None:
    session_id = paired(h)
    h.send("c1", Hangup(session_id=session_id))
    h.send("c1", JoinQueue(display_name="Ann", business="info_update"))
    assert h.last("c1", QueueUpdate).position == 1  # the teller is wrapping up
    h.send("t1", WrapUpDone())
    assert len(h.messages("c1", SessionStarted)) == 2


def test_a_teller_takes_the_next_waiting_customer_after_wrap_up(h: Harness) -> None:
    session_id = paired(h)
    h.customer("c2")
    h.send("c2", JoinQueue(display_name="Bo", business="activation"))
    assert h.last("c2", QueueUpdate).position == 1
    h.send("t1", Hangup(session_id=session_id))
    assert len(h.messages("t1", SessionStarted)) == 1
    h.now += 30
    h.run(h.sb.tick(h.now))
    assert h.last("t1", SessionStarted).peer["display_name"] == "Bo"


def test_a_dead_teller_ends_the_call_and_puts_the_customer_back_at_the_head_of_the_line(h: Harness) -> None:
    session_id = paired(h)
    h.run(h.sb.disconnect("t1", h.now))
    ended = h.last("c1", SessionEnded)
    assert (ended.session_id, ended.reason, ended.requeued) == (session_id, "teller_lost", True)
    assert h.sb.participant("c1").state is CustomerState.WAITING  # type: ignore[union-attr]
    assert h.last("c1", QueueUpdate).position == 1


def test_a_dead_waiting_customer_leaves_the_queue(h: Harness) -> None:
    for conn in ("c1", "c2"):
        h.customer(conn)
        h.send(conn, JoinQueue(display_name=conn, business="activation"))
    h.run(h.sb.disconnect("c1", h.now))
    assert h.sb.waiting == 1
    assert h.last("c2", QueueUpdate).position == 1
    h.teller("t1")
    assert h.last("t1", SessionStarted).peer["display_name"] == "c2"


def test_a_media_failure_ends_the_session(h: Harness) -> None:
    session_id = paired(h)
    h.run(h.sb.media_state(session_id, "teller", "failed", h.now))
    assert h.last("c1", SessionEnded).reason == "media_failed"


def test_media_reports_for_ended_sessions_are_ignored(h: Harness) -> None:
    session_id = paired(h)
    h.send("c1", Hangup(session_id=session_id))
    assert h.sb.media_state(session_id, "teller", "connected", h.now) == []


def test_shutdown_ends_every_session_and_tells_both_sides(h: Harness) -> None:
    session_id = paired(h)
    h.run(h.sb.shutdown(h.now))
    assert h.last("c1", SessionEnded) == SessionEnded(session_id, "server_shutdown")
    assert h.last("t1", SessionEnded) == SessionEnded(session_id, "server_shutdown")


# --- refusals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        LeaveQueue(),
        Hangup(session_id="whatever-1"),
        SetState(state="available"),
        Hello(role="customer"),
    ],
)
def test_messages_not_allowed_in_the_idle_customer_state_are_refused(
    h: Harness, message: ClientMessage
) -> None:
    h.customer("c1")
    h.send("c1", message)
    error = h.last("c1", ErrorMessage)
    assert (error.code, error.ref_type) == ("not_allowed", message.TYPE)
    assert h.sb.participant("c1").state is CustomerState.IDLE  # type: ignore[union-attr]


def test_a_teller_in_a_call_cannot_go_away_or_join_the_queue(h: Harness) -> None:
    paired(h)
    h.send("t1", SetState(state="away"))
    h.send("t1", JoinQueue(display_name="x", business="activation"))
    assert [m.code for m in h.messages("t1", ErrorMessage)] == ["not_allowed", "not_allowed"]
    assert h.sb.participant("t1").state is TellerState.IN_CALL  # type: ignore[union-attr]


def test_too_many_refused_messages_close_the_socket_without_touching_others(h: Harness) -> None:
    session_id = paired(h)
    h.customer("c9")
    for _ in range(MAX_ERRORS_PER_SOCKET):
        h.run(h.sb.reject("c9", InvalidMessage("bad"), None, h.now))
    assert [c.code for c in h.closes("c9")] == [CloseCode.ABUSE]
    assert h.sb.session(session_id) is not None
    assert not h.messages("c1", ErrorMessage) and not h.messages("t1", ErrorMessage)


def test_away_reason_is_reported_and_defaults_to_break(h: Harness) -> None:
    h.teller("t1")
    h.send("t1", SetState(state="away", reason="training"))
    assert h.last("t1", TellerStateChanged) == TellerStateChanged("away", "training", auto_accept=True)
    h.send("t1", SetState(state="available"))
    h.send("t1", SetState(state="away"))
    assert h.last("t1", TellerStateChanged) == TellerStateChanged("away", "break", auto_accept=True)


def test_events_are_logged_with_server_times_and_no_secrets(h: Harness) -> None:
    session_id = paired(h)
    h.send("c1", Offer(session_id=session_id, sdp="v=0 SECRET-SDP"))
    h.now += 7
    h.send("c1", Hangup(session_id=session_id))
    kinds = [(e.kind, e.at) for e in h.of_type(fx.LogEvent) if e.session_id == session_id]
    assert kinds[0] == ("session_started", 1_000.0)
    assert kinds[-1] == ("session_ended", 1_007.0)
    assert all("SECRET" not in repr(e) and "pw" not in str(e.data) for e in h.of_type(fx.LogEvent))
