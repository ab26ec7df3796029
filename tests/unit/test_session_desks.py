"""In-session messages: the switchboard checks the sender belongs to the session and hands them on."""

from __future__ import annotations

import pytest

from signaling import effects as fx
from signaling.desks import DeskBoard, NoDesk, Sender, SessionInfo, SessionLink
from signaling.messages import ClientMessage, ErrorMessage
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


class _Desk:
    def __init__(self, types: set[str]) -> None:
        self.message_types = frozenset(types)

    def bind(self, link: SessionLink) -> None:
        pass

    async def session_opened(self, info: SessionInfo) -> None:
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
