"""Routing through the switchboard: offers, time-outs, the elderly lane, call-backs and supervisors."""

from __future__ import annotations

import dataclasses

import pytest

from signaling import effects as fx
from signaling.identity import Identity, Role
from signaling.messages import (
    CallbackBooked,
    CallbackCancel,
    CallbackCancelled,
    CallbackOffered,
    CallbackRequest,
    ErrorMessage,
    Hangup,
    Hello,
    JoinQueue,
    LeaveQueue,
    MonitorStart,
    MonitorStarted,
    MonitorStop,
    MonitorStopped,
    Offer,
    OfferAccept,
    OfferReject,
    QueueUpdate,
    SessionEnded,
    SessionStarted,
    SetState,
    SupervisorSnapshot,
    TaskOffered,
    TaskOfferWithdrawn,
    TellerStateChanged,
    WrapUpDone,
    WrapUpExtend,
)
from signaling.ports import CallbackReservation
from signaling.resident_id import check_character
from signaling.states import TellerState
from signaling.switchboard import token_hash
from tests.unit.test_switchboard import Harness


def resident_id(birth: str) -> str:
    prefix = f"110105{birth}001"
    return prefix + check_character(prefix)


ELDER_ID = resident_id("19500101")  # 76 years old on the fixture clock (September 2026)
YOUNG_ID = resident_id("19900101")


@pytest.fixture
def h() -> Harness:
    harness = Harness()
    harness.now = 1_790_000_000.0  # 2026-09: ELDER_ID is 76, YOUNG_ID is 36
    return harness


def offer_to(h: Harness, teller: str) -> TaskOffered:
    offered: TaskOffered = h.last(teller, TaskOffered)
    return offered


def test_a_teller_is_offered_the_task_and_the_call_starts_only_on_accept(h: Harness) -> None:
    h.teller("t1", auto_accept=False)
    h.customer("customer1")
    h.send("customer1", JoinQueue(display_name="Ann", business="activation"))
    offer = offer_to(h, "t1")
    assert (offer.task_id, offer.kind, offer.expires_in_seconds) == ("customer1", "call", 15)
    assert offer.customer == {"display_name": "Ann", "elderly": False}
    assert h.last("t1", TellerStateChanged).state == "reserved"
    assert not h.messages("customer1", SessionStarted)
    h.send("t1", OfferAccept(task_id="customer1"))
    assert h.last("customer1", SessionStarted).peer["display_name"] == "T1"
    assert h.last("t1", TellerStateChanged).state == "in-call"


def test_an_unanswered_offer_times_out_the_teller_goes_away_and_the_next_teller_gets_it(h: Harness) -> None:
    h.teller("t1", auto_accept=False)
    h.customer("customer1")
    h.send("customer1", JoinQueue(display_name="Ann", business="activation"))
    h.now += 5
    h.teller("t2", auto_accept=False)
    assert h.sb.next_deadline(h.now) == h.now + 10
    h.now += 10
    h.run(h.sb.tick(h.now))
    assert h.last("t1", TaskOfferWithdrawn).reason == "timeout"
    assert h.last("t1", TellerStateChanged) == TellerStateChanged("away", "no_answer", auto_accept=False)
    assert offer_to(h, "t2").task_id == "customer1"


def test_a_rejected_offer_goes_to_the_next_teller(h: Harness) -> None:
    h.teller("t1", auto_accept=False)
    h.teller("t2", auto_accept=False)
    h.customer("customer1")
    h.send("customer1", JoinQueue(display_name="Ann", business="activation"))
    h.send("t1", OfferReject(task_id="customer1"))
    assert h.last("t1", TaskOfferWithdrawn).reason == "rejected"
    assert h.last("t1", TellerStateChanged).reason == "rejected"
    assert offer_to(h, "t2").task_id == "customer1"


def test_accepting_someone_elses_or_a_stale_offer_is_refused(h: Harness) -> None:
    h.teller("t1", auto_accept=False)
    h.customer("customer1")
    h.send("customer1", JoinQueue(display_name="Ann", business="activation"))
    h.send("t1", OfferAccept(task_id="customer9"))
    assert h.last("t1", ErrorMessage).code == "not_allowed"
    h.send("t1", OfferAccept(task_id="customer1"))
    assert h.messages("customer1", SessionStarted)


def test_a_customer_leaving_during_an_offer_frees_the_teller(h: Harness) -> None:
    h.teller("t1", auto_accept=False)
    h.customer("customer1")
    h.send("customer1", JoinQueue(display_name="Ann", business="activation"))
    h.send("customer1", LeaveQueue())
    assert h.last("t1", TaskOfferWithdrawn).reason == "customer_left"
    assert h.last("t1", TellerStateChanged).state == "available"
    assert h.sb.stats.summary(0).abandoned == 1


def test_an_elderly_customer_jumps_ahead_and_is_told_the_elderly_lane(h: Harness) -> None:
    h.customer("young")
    h.send("young", JoinQueue(display_name="Bo", business="activation", resident_id=YOUNG_ID))
    h.now += 30
    h.customer("elder")
    h.send("elder", JoinQueue(display_name="Grandma Liu", business="activation", resident_id=ELDER_ID))
    elder_update = h.last("elder", QueueUpdate)
    assert (elder_update.position, elder_update.lane) == (1, "elderly")
    assert h.last("young", QueueUpdate).position == 2
    h.teller("t1", elder_care=True)
    assert h.last("t1", SessionStarted).peer == {
        "role": "customer",
        "display_name": "Grandma Liu",
        "elderly": True,
    }


def test_elderly_customers_go_to_an_elder_care_teller_first_else_to_any_skilled_teller_at_once(
    h: Harness,
) -> None:
    h.teller("regular")  # idle longer, but not designated
    h.now += 1
    h.teller("carer", elder_care=True)
    h.customer("elder")
    h.send("elder", JoinQueue(display_name="Grandma", business="activation", resident_id=ELDER_ID))
    assert h.last("carer", SessionStarted).peer["elderly"] is True
    assert not h.messages("regular", SessionStarted)
    h.customer("elder2")
    h.send("elder2", JoinQueue(display_name="Grandpa", business="activation", resident_id=ELDER_ID))
    assert h.last("regular", SessionStarted).peer["elderly"] is True  # no designated teller free


def test_bad_resident_ids_and_ineligible_talk_now_are_refused_plainly(h: Harness) -> None:
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation", resident_id=ELDER_ID[:-1] + "0"))
    assert h.last("c1", ErrorMessage).code == "invalid_resident_id"
    assert "check character" in h.last("c1", ErrorMessage).message
    h.send("c1", JoinQueue(display_name="Ann", business="activation", talk_now=True, resident_id=YOUNG_ID))
    assert h.last("c1", ErrorMessage).code == "not_eligible"
    h.send("c1", JoinQueue(display_name="Ann", business="activation", talk_now=True))
    assert h.last("c1", ErrorMessage).code == "not_eligible"
    assert h.sb.waiting == 0


def test_talk_now_puts_an_eligible_customer_in_the_elderly_lane(h: Harness) -> None:
    h.customer("c1")
    h.send(
        "c1", JoinQueue(display_name="Grandpa", business="info_update", talk_now=True, resident_id=ELDER_ID)
    )
    assert h.last("c1", QueueUpdate).lane == "elderly"


def test_wrap_up_can_be_extended_and_ends_by_itself(h: Harness) -> None:
    h.teller("t1")
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    session_id = h.last("c1", SessionStarted).session_id
    h.send("c1", Hangup(session_id=session_id))
    h.now += 20
    h.send("t1", WrapUpExtend())
    assert h.last("t1", TellerStateChanged).wrap_up_seconds_left == 40
    h.now += 39
    h.run(h.sb.tick(h.now))
    assert h.last("t1", TellerStateChanged).state == "wrap-up"
    h.now += 1
    h.run(h.sb.tick(h.now))
    assert h.last("t1", TellerStateChanged).state == "available"
    h.send("t1", WrapUpDone())
    assert h.last("t1", ErrorMessage).code == "not_allowed"


# --- call-backs ------------------------------------------------------------------------------------


def long_wait(h: Harness) -> None:
    """Three customers and nobody staffed: the third waits 3 x (100 + 30) s > 120 s, so is offered a
    call-back."""
    for conn in ("c1", "c2", "c3"):
        h.customer(conn)
        h.send(conn, JoinQueue(display_name=conn.upper(), business="activation"))


def test_a_callback_is_offered_only_when_the_wait_is_long(h: Harness) -> None:
    # Two tellers busy, 100 s handle + 30 s wrap-up: 65 s for the first in line, 130 s for the second.
    for teller in ("t1", "t2"):
        h.teller(teller)
    for conn in ("b1", "b2", "c1", "c2"):
        h.customer(conn)
        h.send(conn, JoinQueue(display_name=conn.upper(), business="activation"))
    assert h.last("c1", QueueUpdate).estimated_wait_seconds == 65
    assert not h.messages("c1", CallbackOffered)
    assert h.last("c2", CallbackOffered).estimated_wait_seconds == 130
    h.send("c1", CallbackRequest(phone="+8613800000000"))
    assert h.last("c1", ErrorMessage).code == "invalid_callback"


def test_a_callback_round_trip_brings_the_customer_into_the_tellers_session(h: Harness) -> None:
    long_wait(h)
    h.send("c3", CallbackRequest(phone="+8613800000000"))
    booked: CallbackBooked = h.last("c3", CallbackBooked)
    assert booked.window_end - booked.window_start == 7200
    stored = h.of_type(fx.StoreCallback)[0].reservation
    assert (stored.id, stored.phone) == (booked.reservation_id, "+8613800000000")
    assert stored.cancel_hash == token_hash(booked.cancel_token)  # only the hash is stored
    assert h.sb.waiting == 2  # c3 left the line, the reservation keeps its place

    h.run(h.sb.disconnect("c3", h.now))
    h.teller("t1")
    h.send("c1", Hangup(session_id=h.last("c1", SessionStarted).session_id))
    h.send("t1", WrapUpDone())
    h.send("c2", Hangup(session_id=h.last("c2", SessionStarted).session_id))
    h.send("t1", WrapUpDone())
    started: SessionStarted = h.last("t1", SessionStarted)
    assert (started.kind, started.peer["display_name"]) == ("callback", "C3")
    notify = h.of_type(fx.NotifyCallback)[0]
    assert notify.reservation_id == booked.reservation_id
    calling = h.of_type(fx.UpdateCallback)[0]
    assert calling.status == "calling" and calling.link_hash == token_hash(notify.link_token)

    h.run(h.sb.connect("back", h.now))
    out = h.send("back", Hello(role="customer", callback_token=notify.link_token))
    joined: SessionStarted = h.last("back", SessionStarted)
    assert (joined.session_id, joined.kind) == (started.session_id, "callback")
    # The desks catch the customer up (the flow's consent request) after the customer knows the session.
    told = next(i for i, e in enumerate(out) if isinstance(e, fx.Send) and e.message is joined)
    assert [(i > told, e) for i, e in enumerate(out) if isinstance(e, fx.PartyJoined)] == [
        (True, fx.PartyJoined(started.session_id, "customer"))
    ]
    assert [u.status for u in h.of_type(fx.UpdateCallback)] == ["calling", "answered"]

    h.run(h.sb.connect("again", h.now))
    h.send("again", Hello(role="customer", callback_token=notify.link_token))
    assert h.last("again", ErrorMessage).code == "invalid_callback"


def test_a_callback_can_be_cancelled_with_its_token_only(h: Harness) -> None:
    long_wait(h)
    h.send("c3", CallbackRequest(phone="13800000000"))
    booked: CallbackBooked = h.last("c3", CallbackBooked)
    h.send("c3", CallbackCancel(reservation_id=booked.reservation_id, cancel_token="x" * 32))
    assert h.last("c3", ErrorMessage).code == "invalid_callback"
    h.send("c3", CallbackCancel(reservation_id=booked.reservation_id, cancel_token=booked.cancel_token))
    assert h.last("c3", CallbackCancelled) == CallbackCancelled(booked.reservation_id, "cancelled")
    assert h.sb.router.task(booked.reservation_id) is None


def test_a_callback_whose_window_ends_unserved_expires(h: Harness) -> None:
    long_wait(h)
    start = h.now + 3600
    h.send("c3", CallbackRequest(phone="13800000000", window_start=start, window_end=start + 1800))
    booked: CallbackBooked = h.last("c3", CallbackBooked)
    assert h.sb.router.position("c1", h.now) == 1
    h.now = start + 1800
    h.run(h.sb.tick(h.now))
    assert [(u.reservation_id, u.status) for u in h.of_type(fx.UpdateCallback)] == [
        (booked.reservation_id, "expired")
    ]


@pytest.mark.parametrize(
    ("start", "end"),
    [(0.0, 600.0), (10 * 24 * 3600.0, 10 * 24 * 3600.0 + 3600)],
)
def test_callback_windows_must_be_sensible(h: Harness, start: float, end: float) -> None:
    long_wait(h)
    h.send("c3", CallbackRequest(phone="13800000000", window_start=h.now + start, window_end=h.now + end))
    assert h.last("c3", ErrorMessage).code == "invalid_callback"


def reservation(h: Harness, rid: str, **changes: object) -> CallbackReservation:
    base = CallbackReservation(
        rid,
        "activation",
        rid.upper(),
        "+8613800000000",
        window_start=h.now - 60,
        window_end=h.now + 3600,
        queued_at=h.now - 600,
        elderly=False,
        language=None,
        cancel_hash=token_hash(f"cancel-{rid}"),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_reservations_of_an_earlier_run_go_back_in_line_in_their_place(h: Harness) -> None:
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="C1", business="activation"))
    restored = [
        reservation(h, "r-booked"),
        reservation(h, "r-calling", status="calling", queued_at=h.now - 900),
        reservation(h, "r-past", window_end=h.now - 1),
        reservation(h, "r-later", window_start=h.now + 1800),
    ]
    h.run(h.sb.restore_callbacks(restored, h.now))
    assert [t.id for t in h.sb.router.queue(h.now)] == ["r-calling", "r-booked", "c1"]
    updates = [(u.reservation_id, u.status) for u in h.of_type(fx.UpdateCallback)]
    assert updates == [("r-calling", "booked"), ("r-past", "expired")]
    # The customer's cancel token still works after the restart; another does not.
    h.customer("phone")
    h.send("phone", CallbackCancel(reservation_id="r-booked", cancel_token="cancel-r-calling"))
    assert h.last("phone", ErrorMessage).code == "invalid_callback"
    h.send("phone", CallbackCancel(reservation_id="r-booked", cancel_token="cancel-r-booked"))
    assert h.last("phone", CallbackCancelled) == CallbackCancelled("r-booked", "cancelled")
    # The first in line is offered to the next teller as a call-back.
    h.teller("t1", auto_accept=False)
    assert (offer_to(h, "t1").task_id, offer_to(h, "t1").kind) == ("r-calling", "callback")


def test_a_called_back_customer_who_never_comes_is_missed(h: Harness) -> None:
    long_wait(h)
    h.send("c3", CallbackRequest(phone="13800000000"))
    for conn in ("c1", "c2"):
        h.send(conn, LeaveQueue())
    h.teller("t1")
    session_id = h.last("t1", SessionStarted).session_id
    h.now += 600
    h.run(h.sb.tick(h.now))
    assert h.last("t1", SessionEnded) == SessionEnded(session_id, "callback_missed")
    assert h.of_type(fx.UpdateCallback)[-1].status == "missed"


# --- supervisors ---------------------------------------------------------------------------------------


def supervisor(h: Harness, conn: str = "s1") -> str:
    h.run(h.sb.connect(conn, h.now))
    h.send(conn, Hello(role="supervisor", username="super1", password="pw"))
    h.run(h.sb.authenticated(conn, Identity(Role.SUPERVISOR, "super1", "Super"), h.now))
    return conn


def test_supervisors_get_a_snapshot_at_once_and_every_two_seconds(h: Harness) -> None:
    supervisor(h)
    assert len(h.messages("s1", SupervisorSnapshot)) == 1
    h.now += 1
    h.run(h.sb.tick(h.now))
    assert len(h.messages("s1", SupervisorSnapshot)) == 1
    h.now += 1
    h.run(h.sb.tick(h.now))
    assert len(h.messages("s1", SupervisorSnapshot)) == 2


def test_the_snapshot_shows_queues_tellers_sessions_and_service_level(h: Harness) -> None:
    h.teller("t1")
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    h.customer("c2")
    h.send("c2", JoinQueue(display_name="Bo", business="card_review", resident_id=ELDER_ID))
    h.now += 12
    h.teller("t2", available=False)
    snapshot = h.sb.snapshot(h.now)
    assert snapshot.queues == [
        {
            "business": "card_review",
            "lane": "elderly",
            "waiting": 1,
            "callbacks": 0,
            "longest_wait_seconds": 12,
        }
    ]
    states = {t["username"]: (t["state"], t["seconds_in_state"]) for t in snapshot.tellers}
    assert states == {"t1": ("in-call", 12), "t2": ("away", 0)}
    assert [(s["teller"], s["customer"], s["seconds"]) for s in snapshot.sessions] == [("t1", "Ann", 12)]
    assert snapshot.service["last_15_minutes"]["service_level"] == 1.0
    assert snapshot.service["today"]["answered"] == 1
    assert snapshot.service["threshold_seconds"] == 20


def test_supervisors_cannot_queue_or_take_calls(h: Harness) -> None:
    supervisor(h)
    h.send("s1", JoinQueue(display_name="x", business="activation"))
    h.send("s1", SetState(state="available"))
    assert [m.code for m in h.messages("s1", ErrorMessage)] == ["not_allowed", "not_allowed"]


def test_teller_states_are_the_routers(h: Harness) -> None:
    h.teller("t1", auto_accept=False)
    h.customer("customer1")
    h.send("customer1", JoinQueue(display_name="Ann", business="activation"))
    assert h.sb.state_of(h.sb.participant("t1")) is TellerState.RESERVED  # type: ignore[arg-type]


def test_a_supervisor_monitors_a_live_call_silently_and_it_is_logged(h: Harness) -> None:
    h.teller("t1")
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    session_id = h.last("c1", SessionStarted).session_id
    supervisor(h)
    before_customer, before_teller = len(h.messages("c1")), len(h.messages("t1"))
    h.send("s1", MonitorStart(session_id=session_id))
    started: MonitorStarted = h.last("s1", MonitorStarted)
    assert (started.teller, started.customer) == ("t1", "Ann")
    h.send("s1", Offer(session_id=session_id, sdp="v=0"))
    assert [(n.conn_id, n.session_id) for n in h.of_type(fx.NegotiateMonitor)] == [("s1", session_id)]
    h.send("s1", MonitorStop(session_id=session_id))
    assert h.last("s1", MonitorStopped).reason == "stopped"
    assert [(c.conn_id, c.session_id) for c in h.of_type(fx.CloseMonitor)] == [("s1", session_id)]
    # Neither party heard anything about it; the log did.
    assert (len(h.messages("c1")), len(h.messages("t1"))) == (before_customer, before_teller)
    kinds = [(e.kind, e.actor) for e in h.of_type(fx.LogEvent) if e.session_id == session_id]
    assert ("monitoring_started", "super1") in kinds and ("monitoring_stopped", "super1") in kinds


def test_monitoring_ends_with_the_session_and_unknown_sessions_are_refused(h: Harness) -> None:
    supervisor(h)
    h.send("s1", MonitorStart(session_id="no-such-session"))
    assert h.last("s1", ErrorMessage).code == "unknown_session"
    h.teller("t1")
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    session_id = h.last("c1", SessionStarted).session_id
    h.send("s1", MonitorStart(session_id=session_id))
    h.send("s1", Offer(session_id="another-session", sdp="v=0"))
    assert h.last("s1", ErrorMessage).code == "unknown_session"
    h.send("t1", Hangup(session_id=session_id))
    assert h.last("s1", MonitorStopped) == MonitorStopped(session_id, "session_ended")
    h.send("s1", MonitorStart(session_id=session_id))
    assert h.last("s1", ErrorMessage).code == "unknown_session"


def test_only_supervisors_may_monitor(h: Harness) -> None:
    h.teller("t1")
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    session_id = h.last("c1", SessionStarted).session_id
    h.send("t1", MonitorStart(session_id=session_id))
    h.send("c1", MonitorStart(session_id=session_id))
    assert h.last("t1", ErrorMessage).code == "not_allowed"
    assert h.last("c1", ErrorMessage).code == "not_allowed"
