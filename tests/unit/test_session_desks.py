"""In-session messages: the switchboard checks the sender belongs to the session and hands them on."""

from __future__ import annotations

import pytest

from signaling import effects as fx
from signaling.desks import DeskBoard, NoDesk, Sender, SessionInfo, SessionLink
from signaling.flow_messages import FlowInputMessage
from signaling.messages import ClientMessage, ErrorMessage, Hangup, JoinQueue, SessionStarted, WrapUpDone
from signaling.session import Leg
from signaling.verification_messages import VerificationStart, VerificationStop
from tests.unit.test_switchboard import Harness, paired


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_a_tellers_in_session_message_goes_to_its_desk_with_the_servers_view_of_the_sender(
    h: Harness,
) -> None:
    session_id = paired(h)
    out = h.send("t1", VerificationStart(session_id=session_id, customer_id="C1"))
    assert out == [
        fx.InSession("t1", session_id, "teller", "teller", "t1", VerificationStart(session_id, "C1"))
    ]


def test_in_session_messages_for_another_session_are_unknown(h: Harness) -> None:
    paired(h)
    out = h.send("t1", VerificationStop(session_id="not-my-session"))
    assert not [e for e in out if isinstance(e, fx.InSession)]
    assert [m.code for m in h.messages("t1", ErrorMessage)] == ["unknown_session"]


def test_customers_may_not_start_verification(h: Harness) -> None:
    session_id = paired(h)
    out = h.send("c1", VerificationStart(session_id=session_id))
    assert not [e for e in out if isinstance(e, fx.InSession)]
    assert [m.code for m in h.messages("c1", ErrorMessage)] == ["not_allowed"]


def test_a_teller_outside_a_call_may_not_send_in_session_messages(h: Harness) -> None:
    h.teller("t2")
    out = h.send("t2", VerificationStart(session_id="session-0001"))
    assert not [e for e in out if isinstance(e, fx.InSession)]
    assert [m.code for m in h.messages("t2", ErrorMessage)] == ["not_allowed"]


def test_a_teller_wrapping_up_may_still_send_the_wrap_up_code_of_the_call_that_just_ended(h: Harness) -> None:
    session_id = paired(h)
    h.send("c1", Hangup(session_id=session_id))
    assert h.sb.session(session_id) is None
    assert h.sb.wrap_up_conn(session_id) == "t1"
    wrap_up = FlowInputMessage(session_id, "wrap_up", {"code": "customer_disconnected"})
    out = h.send("t1", wrap_up)
    assert out == [fx.InSession("t1", session_id, "teller", "teller", "t1", wrap_up)]


def test_after_the_call_nothing_but_the_wrap_up_code_is_taken(h: Harness) -> None:
    session_id = paired(h)
    h.send("t1", Hangup(session_id=session_id))
    out = h.send("t1", FlowInputMessage(session_id, "cancelled", {"reason": "late"}))
    assert not [e for e in out if isinstance(e, fx.InSession)]
    out = h.send("t1", VerificationStop(session_id=session_id))
    assert not [e for e in out if isinstance(e, fx.InSession)]
    out = h.send("t1", FlowInputMessage("session-9999", "wrap_up", {"code": "resolved"}))
    assert not [e for e in out if isinstance(e, fx.InSession)]
    assert [m.code for m in h.messages("t1", ErrorMessage)] == [
        "not_allowed",
        "not_allowed",
        "unknown_session",
    ]
    # The customer of the ended call cannot send anything to it.
    out = h.send("c1", FlowInputMessage(session_id, "rated", {"score": 5}))
    assert not [e for e in out if isinstance(e, fx.InSession)]


def test_the_wrap_up_window_closes_when_the_wrap_up_ends_or_the_next_call_starts(h: Harness) -> None:
    first = paired(h)
    h.send("c1", Hangup(session_id=first))
    h.send("t1", WrapUpDone())
    out = h.send("t1", FlowInputMessage(first, "wrap_up", {"code": "resolved"}))
    assert not [e for e in out if isinstance(e, fx.InSession)]
    assert [m.code for m in h.messages("t1", ErrorMessage)] == ["not_allowed"]

    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    second = h.last("c1", SessionStarted).session_id
    assert second != first
    assert h.sb.wrap_up_conn(first) is None
    h.send("t1", Hangup(session_id=second))
    out = h.send("t1", FlowInputMessage(first, "wrap_up", {"code": "resolved"}))
    assert not [e for e in out if isinstance(e, fx.InSession)]
    assert h.sb.wrap_up_conn(second) == "t1"


class _Desk:
    def __init__(self, types: set[str]) -> None:
        self.message_types = frozenset(types)

    def bind(self, link: SessionLink) -> None:
        pass

    async def session_opened(self, info: SessionInfo) -> None:
        pass

    async def party_joined(self, session_id: str, leg: Leg) -> None:
        pass

    async def handle(self, session_id: str, sender: Sender, message: ClientMessage) -> None:
        pass

    async def session_closed(self, session_id: str, reason: str, at: float) -> None:
        pass


def test_each_type_has_at_most_one_desk_and_missing_desks_are_a_clear_refusal() -> None:
    a = _Desk({"verification_start", "verification_stop"})
    board = DeskBoard([a])
    assert board.desk_for("verification_stop") is a
    with pytest.raises(NoDesk) as missing:
        DeskBoard([]).desk_for("verification_start")
    assert missing.value.code == "not_available"
    with pytest.raises(ValueError, match="two desks"):
        DeskBoard([a, _Desk({"verification_start"})])
