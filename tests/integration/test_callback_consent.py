"""A booked call-back's customer joins the session the teller opened earlier and is asked for consent
(recording, face check) exactly as in a normal call: the flow's opening request, sent while nobody was
on the customer's side, reaches the customer when they follow the link; the teller's side is not
repeated."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.conftest import PartyFactory
from tests.integration.test_routing_ws import available, second_in_line, texted_callback_token
from tests.support.flows import drain, flow_input, flow_until, state_at
from tests.support.media_party import Party

PHONE = "+8613912345678"


async def test_a_customer_joining_a_callback_late_gets_the_consent_request(
    client: TestClient, party: PartyFactory
) -> None:
    ahead, customer = await second_in_line(party, "Wang Fang")
    await customer.until("callback_offer")
    await customer.send(type="callback_request", phone=PHONE)
    await customer.until("callback_booked")
    await customer.close()
    await ahead.send(type="leave_queue")
    await ahead.until("queue_left")

    # The teller takes the call-back: the session and its flow open with nobody on the customer's side.
    teller = await available(party, "teller1", auto_accept=True)
    started = await teller.until("session_started")
    assert started["kind"] == "callback"
    teller.session_id = started["session_id"]
    await flow_until(teller, "flow_message", "waiting_for_consent")
    await state_at(teller, "consent")

    returning = Party(await client.ws_connect("/ws"), "returning customer")
    await returning.send(
        type="hello", protocol=1, role="customer", callback_token=await texted_callback_token(client, PHONE)
    )
    await returning.expect("welcome")
    joined = await returning.expect("session_started")
    assert joined["session_id"] == started["session_id"]
    returning.session_id = joined["session_id"]

    late = await flow_until(returning, "flow_message", "consent_request")
    assert (await state_at(returning, "consent"))["expected"] == ["consent"]
    await teller.until("callback_answered")
    assert [m for m in drain(teller) if m["type"] == "flow_message"] == [], "the teller is not told twice"

    await flow_input(returning, "consent", recording=True, biometric=True)
    await flow_until(teller, "flow_message", "consent_recorded")
    await state_at(returning, "identification")
    await returning.send(type="hangup", session_id=returning.session_id)
    await teller.until("session_ended")
    await returning.close()

    # The same request as a customer of a normal call gets.
    await teller.send(type="wrap_up_done")
    walk_in = await party("customer")
    await walk_in.send(type="join_queue", display_name="Li Na", business="activation")
    walk_in.session_id = (await walk_in.until("session_started"))["session_id"]
    normal = await flow_until(walk_in, "flow_message", "consent_request")
    assert (late["text"], late["data"]) == (normal["text"], normal["data"])
