"""Resume on the switchboard: lost legs and places in line kept for the grace period, taken back with
a token, or ended when it runs out — plain values, an explicit clock, no sockets."""

from __future__ import annotations

import pytest

from signaling import effects as fx
from signaling.errors import CloseCode
from signaling.identity import Identity, Role
from signaling.messages import (
    ErrorMessage,
    Hangup,
    Hello,
    JoinQueue,
    MediaState,
    QueueUpdate,
    SessionEnded,
    SessionStarted,
    TellerStateChanged,
    Welcome,
)
from signaling.resume_messages import LegState, MediaRestart, QueueResumed, Resume, SessionResumed
from signaling.states import CustomerState, TellerState
from tests.unit.test_switchboard import Harness, paired

GRACE = 30.0


@pytest.fixture
def h() -> Harness:
    return Harness(resume_grace_seconds=GRACE)


def logged(h: Harness, kind: str) -> list[fx.LogEvent]:
    return [e for e in h.effects if isinstance(e, fx.LogEvent) and e.kind == kind]


def refusal(h: Harness, conn: str) -> str:
    error = h.last(conn, ErrorMessage)
    assert (error.code, error.ref_type) == ("resume_refused", "resume")
    return str(error.params["reason"])


def relogin_teller(h: Harness, conn: str, username: str = "t1") -> None:
    h.run(h.sb.connect(conn, h.now))
    h.send(conn, Hello(role="teller", username=username, password="pw"))
    h.run(h.sb.authenticated(conn, Identity(Role.TELLER, username, username.title()), h.now))


def test_a_customer_who_drops_and_resumes_in_time_is_back_in_the_same_session(h: Harness) -> None:
    session_id = paired(h)
    token = h.last("c1", SessionStarted).resume_token
    h.now += 1
    h.run(h.sb.disconnect("c1", h.now))
    assert h.last("t1", LegState) == LegState(session_id, "customer", "lost", 30)
    assert [e.leg for e in h.of_type(fx.LegLost)] == ["customer"]
    assert h.sb.session(session_id) is not None  # kept, not ended
    h.now += 4.5
    h.customer("c2")
    h.send("c2", Resume(resume_token=token))
    resumed = h.last("c2", SessionResumed)
    assert (resumed.session_id, resumed.away_seconds, resumed.peer["role"]) == (session_id, 4.5, "teller")
    assert resumed.resume_token not in (None, token)
    assert h.last("t1", LegState) == LegState(session_id, "customer", "resumed")
    assert h.sb.session(session_id).customer_conn == "c2"  # type: ignore[union-attr]
    assert h.sb.participant("c2").state is CustomerState.IN_CALL  # type: ignore[union-attr]
    assert [e.data for e in logged(h, "leg_lost")] == [{"leg": "customer", "grace_seconds": 30}]
    assert [e.data for e in logged(h, "leg_resumed")] == [{"leg": "customer", "away_seconds": 4.5}]
    assert [e.leg for e in h.of_type(fx.LegResumed)] == ["customer"]
    h.now += GRACE
    h.run(h.sb.tick(h.now))
    assert h.messages("t1", SessionEnded) == []  # the old deadline does not end the resumed call


def test_a_customer_not_back_in_time_ends_the_call_as_lost(h: Harness) -> None:
    session_id = paired(h)
    h.run(h.sb.disconnect("c1", h.now))
    assert h.sb.next_deadline(h.now) == h.now + GRACE
    h.run(h.sb.tick(h.now + GRACE - 0.1))
    assert h.messages("t1", SessionEnded) == []
    h.run(h.sb.tick(h.now + GRACE))
    assert h.last("t1", SessionEnded) == SessionEnded(session_id, "customer_lost")
    assert [e.outcome for e in h.of_type(fx.SessionClosed)] == ["customer_lost"]


def test_a_teller_lost_for_good_puts_the_customer_back_at_the_head_of_the_line(h: Harness) -> None:
    session_id = paired(h)
    h.customer("c2")
    h.send("c2", JoinQueue(display_name="Bo", business="activation"))  # waiting since before
    h.run(h.sb.disconnect("t1", h.now))
    assert h.last("c1", LegState) == LegState(session_id, "teller", "lost", 30)
    h.now += GRACE
    h.run(h.sb.tick(h.now))
    ended = h.last("c1", SessionEnded)
    assert (ended.reason, ended.requeued) == ("teller_lost", True)
    assert ended.resume_token is not None
    assert h.last("c1", QueueUpdate).position == 1
    assert h.last("c2", QueueUpdate).position == 2
    kinds = [e.kind for e in h.effects if isinstance(e, fx.LogEvent) and e.session_id == session_id]
    assert kinds.index("customer_requeued") < kinds.index("session_ended")
    assert h.sb.router.teller("t1") is None  # signed out: never came back
    h.teller("t2")
    assert h.last("t2", SessionStarted).peer["display_name"] == "Ann"


def test_a_teller_who_reloads_the_console_returns_to_the_live_session(h: Harness) -> None:
    session_id = paired(h)
    token = h.last("t1", SessionStarted).resume_token
    h.run(h.sb.disconnect("t1", h.now))
    h.now += 3
    relogin_teller(h, "t9")
    assert h.last("t9", TellerStateChanged).state == "in-call"  # still held in the call
    h.send("t9", Resume(resume_token=token))
    assert h.last("t9", SessionResumed).session_id == session_id
    assert h.last("c1", LegState).state == "resumed"
    assert h.sb.session(session_id).teller_conn == "t9"  # type: ignore[union-attr]
    assert h.sb.router.teller("t1").state is TellerState.IN_CALL  # type: ignore[union-attr]
    h.send("t9", Hangup(session_id=session_id))
    assert h.last("c1", SessionEnded).reason == "teller_hangup"
    assert h.last("t9", TellerStateChanged).state == "wrap-up"


def test_stale_and_other_legs_tokens_are_refused_with_a_reason(h: Harness) -> None:
    paired(h)
    customer_token = h.last("c1", SessionStarted).resume_token
    teller_token = h.last("t1", SessionStarted).resume_token
    h.run(h.sb.disconnect("c1", h.now))
    h.customer("c2")
    h.send("c2", Resume(resume_token=teller_token))
    assert refusal(h, "c2") == "other_leg"
    h.send("c2", Resume(resume_token=customer_token))
    assert h.last("c2", SessionResumed)
    h.customer("c3")
    h.send("c3", Resume(resume_token=customer_token))
    assert refusal(h, "c3") == "used"
    assert h.sb.participant("c3").state is CustomerState.IDLE  # type: ignore[union-attr]


def test_another_teller_cannot_take_a_tellers_leg(h: Harness) -> None:
    paired(h)
    teller_token = h.last("t1", SessionStarted).resume_token
    h.run(h.sb.disconnect("t1", h.now))
    relogin_teller(h, "t8", "t2")
    h.send("t8", Resume(resume_token=teller_token))
    assert refusal(h, "t8") == "other_leg"


def test_a_resume_before_the_server_noticed_the_drop_replaces_the_old_socket(h: Harness) -> None:
    session_id = paired(h)
    token = h.last("c1", SessionStarted).resume_token
    h.customer("c2")
    h.send("c2", Resume(resume_token=token))
    assert [c.code for c in h.closes("c1")] == [CloseCode.RESUMED]
    assert h.last("c2", SessionResumed).away_seconds == 0.0
    assert h.sb.disconnect("c1", h.now) == []  # the old socket's end changes nothing
    assert h.sb.session(session_id).customer_conn == "c2"  # type: ignore[union-attr]
    assert [e.data.get("detected") for e in logged(h, "leg_lost")] == ["resume"]


def test_a_waiting_customer_who_drops_keeps_the_place_and_is_offered_to_no_one(h: Harness) -> None:
    h.customer("c1")
    token = h.last("c1", Welcome).resume_token
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    h.customer("c2")
    h.send("c2", JoinQueue(display_name="Bo", business="activation"))
    h.now += 1
    h.run(h.sb.disconnect("c1", h.now))
    assert h.sb.resumption.kept == 1
    assert h.last("c2", QueueUpdate).position == 2  # Ann's place is kept
    h.now += 2
    h.customer("c3")
    h.send("c3", Resume(resume_token=token))
    resumed = h.last("c3", QueueResumed)
    assert (resumed.business, resumed.away_seconds) == ("activation", 2.0)
    assert h.last("c3", QueueUpdate).position == 1
    h.teller("t1")
    assert h.last("t1", SessionStarted).peer["display_name"] == "Ann"


def test_a_teller_free_while_the_first_customer_is_away_takes_the_next(h: Harness) -> None:
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    h.customer("c2")
    h.send("c2", JoinQueue(display_name="Bo", business="activation"))
    h.run(h.sb.disconnect("c1", h.now))
    h.teller("t1")
    assert h.last("t1", SessionStarted).peer["display_name"] == "Bo"


def test_a_waiting_customer_not_back_in_time_has_abandoned(h: Harness) -> None:
    h.customer("c1")
    token = h.last("c1", Welcome).resume_token
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    h.run(h.sb.disconnect("c1", h.now))
    h.run(h.sb.tick(h.now + GRACE))
    assert [e.kind for e in h.effects if isinstance(e, fx.LogEvent)][-1] == "customer_abandoned"
    assert h.sb.router.queue(h.now + GRACE) == []
    h.customer("c2")
    h.send("c2", Resume(resume_token=token))
    assert refusal(h, "c2") == "ended"


def test_a_failed_peer_connection_is_replaced_within_the_grace_period(h: Harness) -> None:
    session_id = paired(h)
    for leg in ("customer", "teller"):
        h.run(h.sb.media_state(session_id, leg, "connected", h.now))  # type: ignore[arg-type]
    h.run(h.sb.media_state(session_id, "customer", "failed", h.now))
    assert h.last("c1", MediaRestart) == MediaRestart(session_id, "failed", 30)
    assert h.last("t1", MediaState).state == "connecting"
    h.run(h.sb.media_state(session_id, "customer", "connected", h.now + 2))
    assert h.last("t1", MediaState).state == "connected"
    assert h.last("c1", MediaState).state == "connected"
    assert [e.data["away_seconds"] for e in logged(h, "media_resumed")] == [2.0]
    h.run(h.sb.tick(h.now + GRACE))
    assert h.messages("c1", SessionEnded) == []


def test_a_peer_connection_not_replaced_in_time_ends_the_call(h: Harness) -> None:
    session_id = paired(h)
    h.run(h.sb.media_state(session_id, "teller", "failed", h.now))
    h.run(h.sb.tick(h.now + GRACE))
    assert h.last("c1", SessionEnded).reason == "media_failed"


def test_tokens_end_with_their_session(h: Harness) -> None:
    session_id = paired(h)
    token = h.last("c1", SessionStarted).resume_token
    h.send("t1", Hangup(session_id=session_id))
    h.customer("c2")
    h.send("c2", Resume(resume_token=token))
    assert refusal(h, "c2") == "ended"
    assert h.sb.resumption.tokens == 2  # only the two open sockets' welcome tokens (c1, c2)
