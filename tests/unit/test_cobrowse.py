"""Co-browsing rules (signaling/cobrowse.py) and the desk around them, driven with plain values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from signaling.cobrowse import CobrowseSession, Record, Relay
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
from signaling.desks import Sender, SessionInfo
from signaling.errors import InvalidMessage, NotAllowed
from signaling.messages import ServerMessage, encode, parse_client_message
from signaling.schemas import validate
from signaling.session import Leg
from video_bank.desks.cobrowse_desk import CobrowseDesk

SID = "session-0001"
NODES: list[dict[str, Any]] = [
    {"id": 1, "parent": 0, "tag": "div", "attrs": {"data-screen": "home"}},
    {"id": 2, "parent": 1, "text": "Home"},
]


def snapshot(seq: int = 0) -> CobrowseSnapshot:
    return CobrowseSnapshot(SID, seq, "home", {"width": 390, "height": 844}, NODES)


def events(seq: int) -> CobrowseEvents:
    return CobrowseEvents(SID, seq, [{"kind": "screen", "screen": "help"}])


def relays(commands: list[Relay | Record]) -> list[tuple[str, object]]:
    return [(c.leg, c.message) for c in commands if isinstance(c, Relay)]


def sharing() -> CobrowseSession:
    s = CobrowseSession(SID)
    s.handle("teller", CobrowseRequest(SID))
    s.handle("customer", CobrowseConsent(SID, "view", True))
    return s


def test_a_request_asks_the_customer_and_nothing_is_relayed_before_consent() -> None:
    s = CobrowseSession(SID)
    out = s.handle("teller", CobrowseRequest(SID))
    state = CobrowseState(SID, "requested", "off", "teller")
    assert relays(out) == [("customer", state), ("teller", state)]
    with pytest.raises(NotAllowed, match="not agreed"):
        s.handle("customer", snapshot())


def test_after_consent_the_snapshot_and_changes_go_to_the_teller_only_and_into_the_timeline() -> None:
    s = sharing()
    out = s.handle("customer", snapshot(0)) + s.handle("customer", events(1))
    assert relays(out) == [("teller", snapshot(0)), ("teller", events(1))]
    records = [c for c in out if isinstance(c, Record)]
    assert [r.kind for r in records] == ["cobrowse_snapshot", "cobrowse_events"]
    assert records[0].data == {
        "seq": 0,
        "screen": "home",
        "viewport": {"width": 390, "height": 844},
        "nodes": NODES,
    }
    assert all(r.actor == "customer" for r in records)


def test_a_denied_request_relays_nothing_and_may_be_asked_again() -> None:
    s = CobrowseSession(SID)
    s.handle("teller", CobrowseRequest(SID))
    out = s.handle("customer", CobrowseConsent(SID, "view", False))
    assert relays(out)[0][1] == CobrowseState(SID, "denied", "off", "customer")
    with pytest.raises(NotAllowed):
        s.handle("customer", snapshot())
    s.handle("teller", CobrowseRequest(SID))
    assert s.sharing.value == "requested"


def test_after_stop_nothing_more_is_relayed_and_late_changes_are_dropped_quietly() -> None:
    s = sharing()
    s.handle("customer", snapshot(0))
    out = s.handle("customer", CobrowseStop(SID, "view"))
    assert relays(out)[1] == ("teller", CobrowseState(SID, "stopped", "off", "customer"))
    assert s.handle("customer", events(1)) == []
    with pytest.raises(NotAllowed):
        s.handle("teller", CobrowseGuide(SID, "highlight", node=1))


def test_only_the_right_party_may_send_each_message() -> None:
    s = sharing()
    with pytest.raises(NotAllowed):
        s.handle("customer", CobrowseRequest(SID))
    with pytest.raises(NotAllowed):
        s.handle("teller", CobrowseConsent(SID, "view", True))
    with pytest.raises(NotAllowed):
        s.handle("teller", snapshot())
    with pytest.raises(NotAllowed):
        s.handle("customer", CobrowseGuide(SID, "push", screen="help"))


def test_changes_must_follow_a_snapshot_in_increasing_order() -> None:
    s = sharing()
    with pytest.raises(NotAllowed, match="snapshot first"):
        s.handle("customer", events(0))
    s.handle("customer", snapshot(3))
    with pytest.raises(NotAllowed, match="seq"):
        s.handle("customer", events(3))


def test_guidance_goes_to_the_customer_only_while_sharing_with_the_fields_each_action_needs() -> None:
    s = sharing()
    push = CobrowseGuide(SID, "push", screen="activate_card")
    out = s.handle("teller", push)
    assert relays(out) == [("customer", push)]
    assert [c.kind for c in out if isinstance(c, Record)] == ["cobrowse_guide"]
    pointer = s.handle("teller", CobrowseGuide(SID, "pointer", x=0.5, y=0.25))
    assert not [c for c in pointer if isinstance(c, Record)]
    with pytest.raises(NotAllowed, match="needs node"):
        s.handle("teller", CobrowseGuide(SID, "highlight"))


def test_remote_control_needs_its_own_second_consent_and_can_be_revoked() -> None:
    s = sharing()
    tap = CobrowseControl(SID, "tap", node=5)
    with pytest.raises(NotAllowed, match="not allowed remote control"):
        s.handle("teller", tap)
    s.handle("teller", CobrowseControlRequest(SID))
    with pytest.raises(NotAllowed):
        s.handle("teller", tap)  # asked, not yet allowed
    out = s.handle("customer", CobrowseConsent(SID, "control", True))
    assert relays(out)[0][1] == CobrowseState(SID, "sharing", "on", "customer")
    assert relays(s.handle("teller", tap)) == [("customer", tap)]
    s.handle("customer", CobrowseStop(SID, "control"))
    assert s.sharing.value == "sharing"
    with pytest.raises(NotAllowed):
        s.handle("teller", tap)


def test_stopping_sharing_also_ends_remote_control() -> None:
    s = sharing()
    s.handle("teller", CobrowseControlRequest(SID))
    s.handle("customer", CobrowseConsent(SID, "control", True))
    s.handle("customer", CobrowseStop(SID))
    assert (s.sharing.value, s.control.value) == ("stopped", "off")


def test_the_wire_has_no_way_for_the_teller_to_type() -> None:
    frame = {"type": "cobrowse_control", "session_id": SID, "action": "tap", "node": 3, "value": "1234"}
    with pytest.raises(InvalidMessage, match="unexpected field"):
        parse_client_message(json.dumps(frame))
    frame = {"type": "cobrowse_control", "session_id": SID, "action": "type", "node": 3}
    with pytest.raises(InvalidMessage, match="must be one of tap, scroll"):
        parse_client_message(json.dumps(frame))


def test_oversize_batches_are_refused_by_the_schema_with_a_clear_error() -> None:
    frame = {
        "type": "cobrowse_events",
        "session_id": SID,
        "seq": 1,
        "events": [{"kind": "focus", "id": 1}] * 201,
    }
    with pytest.raises(InvalidMessage, match="has more than 200 items"):
        parse_client_message(json.dumps(frame))


def test_every_cobrowse_server_message_matches_its_schema() -> None:
    messages: list[ServerMessage] = [
        CobrowseState(SID, "sharing", "on", "customer"),
        snapshot(),
        events(1),
        CobrowseGuide(SID, "pointer", x=0.1, y=0.9),
        CobrowseControl(SID, "scroll", dy=-120),
    ]
    for message in messages:
        validate(message.TYPE, json.loads(encode(message)))


class FakeLink:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Leg, ServerMessage]] = []
        self.logged: list[tuple[str, str, str | None, dict[str, Any]]] = []

    def now(self) -> float:
        return 1000.0

    def send(self, session_id: str, leg: Leg, message: ServerMessage) -> bool:
        self.sent.append((session_id, leg, message))
        return True

    async def log(
        self, at: float, kind: str, session_id: str, actor: str | None, data: dict[str, Any]
    ) -> None:
        self.logged.append((kind, session_id, actor, data))


def info(session_id: str) -> SessionInfo:
    return SessionInfo(session_id, "activation", "call", "Ann", "teller1", False, 999.0)


TELLER = Sender("t1", "teller", "teller", "teller1")
CUSTOMER = Sender("c1", "customer", "customer", None)


async def test_the_desk_relays_within_its_session_and_releases_everything_on_close() -> None:
    desk, link = CobrowseDesk(), FakeLink()
    desk.bind(link)
    await desk.session_opened(info(SID))
    await desk.session_opened(info("session-0002"))
    await desk.handle(SID, TELLER, CobrowseRequest(SID))
    await desk.handle(SID, CUSTOMER, CobrowseConsent(SID, "view", True))
    await desk.handle(SID, CUSTOMER, snapshot())
    assert {s for s, _, _ in link.sent} == {SID}
    assert link.sent[-1] == (SID, "teller", snapshot())
    assert [k for k, *_ in link.logged] == ["cobrowse_requested", "cobrowse_consent", "cobrowse_snapshot"]
    await desk.session_closed(SID, "customer_hangup", 1001.0)
    await desk.session_closed(SID, "customer_hangup", 1001.0)  # idempotent
    assert desk.open_sessions == 1
    with pytest.raises(NotAllowed):
        await desk.handle(SID, CUSTOMER, events(1))
    await desk.session_closed("session-0002", "teller_hangup", 1002.0)
    assert desk.open_sessions == 0


async def test_the_desk_refuses_an_oversize_snapshot_saying_the_limit() -> None:
    desk, link = CobrowseDesk(), FakeLink()
    desk.bind(link)
    await desk.session_opened(info(SID))
    await desk.handle(SID, TELLER, CobrowseRequest(SID))
    await desk.handle(SID, CUSTOMER, CobrowseConsent(SID, "view", True))
    big = [{"id": n, "parent": 0, "text": "x" * 2000} for n in range(1, 60)]
    with pytest.raises(InvalidMessage, match="the limit is 98304 bytes"):
        await desk.handle(SID, CUSTOMER, CobrowseSnapshot(SID, 0, "home", {"width": 1, "height": 1}, big))
    assert not [s for s in link.sent if isinstance(s[2], CobrowseSnapshot)]


def test_the_switchboard_hands_each_party_only_its_own_cobrowse_messages() -> None:
    from signaling import effects as fx
    from signaling.messages import ErrorMessage
    from tests.unit.test_switchboard import Harness, paired

    h = Harness()
    session_id = paired(h)
    ok = h.send("c1", CobrowseSnapshot(session_id, 0, "home", {"width": 390, "height": 844}, NODES))
    assert [type(e) for e in ok] == [fx.InSession]
    assert [e.leg for e in ok if isinstance(e, fx.InSession)] == ["customer"]
    refused = h.send("c1", CobrowseRequest(session_id)) + h.send(
        "t1", CobrowseConsent(session_id, "view", True)
    )
    assert not [e for e in refused if isinstance(e, fx.InSession)]
    assert [m.code for m in h.messages("c1", ErrorMessage)] == ["not_allowed"]
    assert [m.code for m in h.messages("t1", ErrorMessage)] == ["not_allowed"]
    other = h.send("t1", CobrowseGuide("session-9999", "push", screen="help"))
    assert not [e for e in other if isinstance(e, fx.InSession)]


def test_session_started_tells_a_customer_aged_60_or_over_to_use_the_elderly_mode() -> None:
    import datetime as dt

    from signaling.messages import JoinQueue, SessionStarted
    from tests.browser.harness import resident_id
    from tests.unit.test_switchboard import Harness

    h = Harness()
    h.now = dt.datetime(2026, 11, 22, 10).timestamp()
    today = dt.datetime.fromtimestamp(h.now).date()
    for conn, age in (("old", 70), ("young", 30)):
        h.teller(f"t-{conn}", elder_care=conn == "old")  # the elder-care desk keeps its tellers for the lane
        h.customer(conn)
        born = resident_id(today.replace(year=today.year - age))
        h.send(conn, JoinQueue("Zhang", "activation", resident_id=born))
    assert h.last("old", SessionStarted).elderly is True
    assert h.last("young", SessionStarted).elderly is False
