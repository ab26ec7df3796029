"""Who gets TURN credentials, and when: the parties of a session as it starts, and a monitoring supervisor."""

from __future__ import annotations

import itertools
from typing import Any, Literal

from signaling import effects as fx
from signaling.identity import Identity, Role
from signaling.messages import (
    CallbackRequest,
    Hangup,
    Hello,
    JoinQueue,
    MonitorStart,
    MonitorStarted,
    SessionStarted,
    Welcome,
    WrapUpDone,
)
from signaling.switchboard import Switchboard
from tests.unit.test_switchboard import ROUTING, Harness
from tests.unit.test_switchboard_routing import long_wait

STATIC = [{"urls": ["stun:stun.bank.example:3478"]}]


class IceHarness(Harness):
    """A switchboard whose ICE port records who asked, and answers with a credential naming them."""

    def __init__(self) -> None:
        super().__init__()
        ids = (f"session-{n:04d}" for n in itertools.count(1))
        self.issued: list[tuple[str, str, float]] = []
        self.sb = Switchboard(
            new_id=lambda: next(ids),
            ice_servers=STATIC,
            routing=ROUTING,
            leg_ice=self.leg_ice,
            default_handle_seconds=100.0,
        )
        self.now = 1_790_000_000.0

    def leg_ice(
        self, session_id: str, party: str, now: float
    ) -> tuple[list[dict[str, Any]], Literal["all", "relay"]]:
        self.issued.append((session_id, party, now))
        turn = {
            "urls": ["turn:turn.bank.example"],
            "username": f"{now:.0f}:{party}",
            "credential": f"pw-{party}",
        }
        return [turn, *STATIC], "relay"


def test_each_party_gets_its_own_ice_configuration_when_its_session_starts() -> None:
    h = IceHarness()
    h.teller("t1")
    h.customer("c1")
    assert h.issued == [], "signing in gives no TURN credential"
    assert h.last("c1", Welcome).ice_servers == STATIC

    h.send("c1", JoinQueue(display_name="Ann", business="activation"))

    customer: SessionStarted = h.last("c1", SessionStarted)
    teller: SessionStarted = h.last("t1", SessionStarted)
    assert h.issued == [(customer.session_id, "customer", h.now), (customer.session_id, "teller", h.now)]
    assert customer.ice_servers is not None and teller.ice_servers is not None
    assert customer.ice_servers[0]["credential"] == "pw-customer"
    assert teller.ice_servers[0]["credential"] == "pw-teller"
    assert customer.ice_servers[1:] == teller.ice_servers[1:] == STATIC
    assert customer.ice_transport_policy == teller.ice_transport_policy == "relay"
    assert "pw-customer" not in repr(customer), "credentials never show in a repr (logs, test output)"


def test_a_waiting_customer_gets_no_credential_until_a_teller_takes_the_call() -> None:
    h = IceHarness()
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    h.now += 30
    h.run(h.sb.tick(h.now))
    assert h.issued == []

    h.teller("t1")

    assert [(party, at) for _, party, at in h.issued] == [("customer", h.now), ("teller", h.now)]


def test_a_called_back_customer_gets_a_credential_when_following_the_link_not_when_booking() -> None:
    h = IceHarness()
    long_wait(h)
    h.send("c3", CallbackRequest(phone="+8613800000000"))
    h.run(h.sb.disconnect("c3", h.now))
    h.teller("t1")
    for customer in ("c1", "c2"):
        h.send(customer, Hangup(session_id=h.last(customer, SessionStarted).session_id))
        h.send("t1", WrapUpDone())
    callback_session = h.last("t1", SessionStarted).session_id
    assert (callback_session, "teller", h.now) in h.issued
    assert not [i for i in h.issued if i[0] == callback_session and i[1] == "customer"]

    h.now += 120
    h.run(h.sb.connect("back", h.now))
    link = h.of_type(fx.NotifyCallback)[0].link_token
    h.send("back", Hello(role="customer", callback_token=link))

    assert h.issued[-1] == (callback_session, "customer", h.now)
    assert h.last("back", SessionStarted).ice_servers[0]["credential"] == "pw-customer"


def test_a_monitoring_supervisor_gets_a_credential_of_its_own_connection() -> None:
    h = IceHarness()
    h.teller("t1")
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))
    session_id = h.last("c1", SessionStarted).session_id
    h.run(h.sb.connect("s1", h.now))
    h.send("s1", Hello(role="supervisor", username="super1", password="pw"))
    h.run(h.sb.authenticated("s1", Identity(Role.SUPERVISOR, "super1", "Super"), h.now))
    assert len(h.issued) == 2

    h.send("s1", MonitorStart(session_id=session_id))

    started: MonitorStarted = h.last("s1", MonitorStarted)
    assert h.issued[-1] == (session_id, "monitor.s1", h.now)
    assert started.ice_servers is not None and started.ice_servers[0]["credential"] == "pw-monitor.s1"
    assert started.ice_transport_policy == "relay"


def test_without_an_ice_port_sessions_carry_the_static_servers_and_any_path() -> None:
    h = Harness()
    h.teller("t1")
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))

    started: SessionStarted = h.last("c1", SessionStarted)
    assert (started.ice_servers, started.ice_transport_policy) == ([], "all")
