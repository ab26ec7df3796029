"""A field officer's tablet (role ``field``) logs in with an account and takes the customer's leg of a
remote card review: it queues, is paired, sends flow inputs as ``field``, and nothing more."""

from __future__ import annotations

import pytest

from signaling import effects as fx
from signaling.flow_messages import FlowInputMessage
from signaling.identity import Identity, Role
from signaling.messages import ErrorMessage, Hello, JoinQueue, SessionEnded, SessionStarted, SetState
from signaling.states import CustomerState
from tests.unit.test_switchboard import Harness, paired


@pytest.fixture
def h() -> Harness:
    return Harness()


def field_officer(h: Harness, conn: str = "f1") -> str:
    h.run(h.sb.connect(conn, h.now))
    out = h.send(conn, Hello(role="field", username="field1", password="pw"))
    assert [type(e) for e in out] == [fx.Authenticate]
    assert out[0].role == "field"  # type: ignore[attr-defined]
    h.run(h.sb.authenticated(conn, Identity(Role.FIELD, "field1", "Field Officer Zhao"), h.now))
    return conn


def test_field_officers_need_credentials(h: Harness) -> None:
    h.run(h.sb.connect("f1", h.now))
    h.send("f1", Hello(role="field"))
    assert [m.code for m in h.messages("f1", ErrorMessage)] == ["not_allowed"]


def test_a_field_officer_queues_for_a_card_review_and_takes_the_customers_leg(h: Harness) -> None:
    h.teller("t1")
    field_officer(h)
    h.send("f1", JoinQueue(display_name="Zhao Lei", business="card_review"))
    started = h.last("f1", SessionStarted)
    assert started.business == "card_review"
    out = h.send(
        "f1", FlowInputMessage(started.session_id, "consent", {"recording": True, "biometric": True})
    )
    (handed,) = [e for e in out if isinstance(e, fx.InSession)]
    assert (handed.leg, handed.role, handed.username) == ("customer", "field", "field1")


def test_field_officers_queue_only_for_card_reviews(h: Harness) -> None:
    h.teller("t1")
    field_officer(h)
    h.send("f1", JoinQueue(display_name="Zhao Lei", business="activation"))
    assert [m.code for m in h.messages("f1", ErrorMessage)] == ["not_allowed"]
    assert not h.messages("f1", SessionStarted)


def test_field_officers_cannot_do_teller_work(h: Harness) -> None:
    field_officer(h)
    h.send("f1", SetState(state="available"))
    assert [m.code for m in h.messages("f1", ErrorMessage)] == ["not_allowed"]


def test_a_lost_field_tablet_ends_the_call_as_the_customer_lost(h: Harness) -> None:
    h.teller("t1")
    field_officer(h)
    h.send("f1", JoinQueue(display_name="Zhao Lei", business="card_review"))
    h.run(h.sb.disconnect("f1", h.now))
    assert h.last("t1", SessionEnded).reason == "customer_lost"


def test_customers_and_tellers_send_flow_inputs_only_in_their_own_call(h: Harness) -> None:
    session_id = paired(h)
    for conn, role in (("c1", "customer"), ("t1", "teller")):
        out = h.send(conn, FlowInputMessage(session_id, "cancelled", {"reason": "x"}))
        assert [e.role for e in out if isinstance(e, fx.InSession)] == [role]
    h.send("c1", FlowInputMessage("someone-elses-session", "consent", {}))
    assert [m.code for m in h.messages("c1", ErrorMessage)] == ["unknown_session"]
    assert h.sb.state_of(h.sb._participants["c1"]) is CustomerState.IN_CALL
