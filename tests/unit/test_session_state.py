"""The call session state machine and the participant transition table."""

from __future__ import annotations

import pytest

from signaling.errors import NotAllowed
from signaling.identity import Role
from signaling.session import CallSession, SessionState
from signaling.states import CustomerState, LinkState, TellerState, allowed


def new_session() -> CallSession:
    return CallSession("s-000001", "activation", "c1", "t1", "Ann", "teller1", started_at=10.0)


def test_a_session_is_active_only_when_both_legs_are_connected() -> None:
    session = new_session()
    assert session.media_connected("teller") is False
    assert session.state is SessionState.NEGOTIATING
    assert session.media_connected("teller") is False  # a repeated report changes nothing
    assert session.media_connected("customer") is True
    assert session.state is SessionState.ACTIVE
    assert session.media_connected("customer") is False


@pytest.mark.parametrize("connected", [(), ("customer",), ("customer", "teller")])
def test_a_session_ends_once_from_any_live_state(connected: tuple[str, ...]) -> None:
    session = new_session()
    for leg in connected:
        session.media_connected(leg)  # type: ignore[arg-type]
    session.end("customer_hangup", now=20.0)
    assert (session.state, session.ended_at, session.end_reason) == (
        SessionState.ENDED,
        20.0,
        "customer_hangup",
    )
    with pytest.raises(NotAllowed):
        session.end("teller_hangup", now=21.0)
    with pytest.raises(NotAllowed):
        session.media_connected("teller")


def test_legs_map_to_connections_and_strangers_are_refused() -> None:
    session = new_session()
    assert (session.leg_of("c1"), session.leg_of("t1")) == ("customer", "teller")
    assert session.conns() == ["c1", "t1"]
    with pytest.raises(NotAllowed):
        session.leg_of("c2")


def test_the_transition_table_allows_only_what_each_state_needs() -> None:
    assert allowed(None, LinkState.NEW) == {"hello"}
    assert allowed(None, LinkState.AUTHENTICATING) == set()
    # resume: right after hello on a new socket, to take back a leg or a place in line.
    assert allowed(Role.CUSTOMER, CustomerState.IDLE) == {
        "join_queue",
        "callback_cancel",
        "feedback",
        "resume",
    }
    assert allowed(Role.CUSTOMER, CustomerState.WAITING) == {"leave_queue", "callback_request", "feedback"}
    customer_cobrowse = {"cobrowse_consent", "cobrowse_stop", "cobrowse_snapshot", "cobrowse_events"}
    assert allowed(Role.CUSTOMER, CustomerState.IN_CALL) == {
        "offer",
        "ice",
        "hangup",
        "flow_input",
        *customer_cobrowse,
    }
    assert allowed(Role.TELLER, TellerState.AVAILABLE) == {"set_state"}
    assert allowed(Role.TELLER, TellerState.AWAY) == {"set_state", "resume"}
    assert allowed(Role.TELLER, TellerState.RESERVED) == {"offer_accept", "offer_reject"}
    # flow_input in wrap-up: only the wrap-up code of the call that just ended (the switchboard checks).
    assert allowed(Role.TELLER, TellerState.WRAP_UP) == {
        "set_state",
        "wrap_up_done",
        "wrap_up_extend",
        "flow_input",
    }
    teller_cobrowse = {
        "cobrowse_request",
        "cobrowse_stop",
        "cobrowse_control_request",
        "cobrowse_guide",
        "cobrowse_control",
    }
    verification = {"verification_start", "verification_stop", "verification_resolve"}
    in_call = {"resume", "offer", "ice", "hangup", "flow_input", *verification, *teller_cobrowse}
    assert allowed(Role.TELLER, TellerState.IN_CALL) == in_call
    assert allowed(Role.AUDITOR, TellerState.OFFLINE) == set()
