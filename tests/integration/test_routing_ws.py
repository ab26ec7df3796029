"""Routing over real WebSockets: offers, many parties, the call-back round trip, supervisors, metrics."""

from __future__ import annotations

import asyncio
import re
import time
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient

from signaling.resident_id import check_character
from tests.conftest import PartyFactory
from tests.support.media_party import Party
from video_bank import appkeys


def elder_id() -> str:
    prefix = "11010519480315002"
    return prefix + check_character(prefix)


async def available(party: PartyFactory, username: str, *, auto_accept: bool) -> Party:
    teller = await party("teller", username)
    await teller.send(type="set_state", state="available", auto_accept=auto_accept)
    assert (await teller.expect("teller_state"))["state"] == "available"
    return teller


async def test_a_teller_accepts_an_offer_and_the_call_starts(party: PartyFactory) -> None:
    teller = await available(party, "teller1", auto_accept=False)
    customer = await party("customer")
    await customer.send(type="join_queue", display_name="Ann", business="password_reset")
    offer = await teller.until("task_offer")
    assert offer["customer"] == {"display_name": "Ann", "elderly": False}
    assert offer["expires_in_seconds"] == 15
    await teller.send(type="offer_accept", task_id=offer["task_id"])
    started = await customer.until("session_started")
    assert (await teller.until("session_started"))["session_id"] == started["session_id"]


async def test_thirty_customers_and_two_tellers_are_served_in_line_order(
    client: TestClient, party: PartyFactory
) -> None:
    customers = []
    for n in range(30):
        customer = await party("customer")
        await customer.send(type="join_queue", display_name=f"Customer {n:02d}", business="info_update")
        customers.append(customer)
    assert [(await c.until("queue_update"))["position"] for c in customers] == list(range(1, 31))

    tellers = [await available(party, name, auto_accept=True) for name in ("teller1", "teller2")]
    served: list[str] = []
    by_teller: dict[str, list[str]] = {"teller1": [], "teller2": []}

    async def work(teller: Party) -> None:
        while len(served) < len(customers):
            try:
                started = await teller.until("session_started", timeout=10)
            except AssertionError:
                return
            served.append(started["peer"]["display_name"])
            by_teller[teller.name].append(started["peer"]["display_name"])
            await teller.send(type="hangup", session_id=started["session_id"])
            await teller.until("session_ended")
            await teller.send(type="wrap_up_done")

    await asyncio.gather(*(work(t) for t in tellers))
    # Two tellers work in parallel, so the global order of completion may interleave; each teller
    # takes customers strictly in line order, and everyone is served exactly once.
    assert sorted(served) == [f"Customer {n:02d}" for n in range(30)]
    for names in by_teller.values():
        assert names == sorted(names)
    assert by_teller["teller1"] and by_teller["teller2"]
    summary = client.app[appkeys.SIGNALING].switchboard.stats.summary(0)
    assert (summary.answered, summary.abandoned) == (30, 0)


async def test_the_elderly_lane_goes_first_over_websockets(party: PartyFactory) -> None:
    young = await party("customer")
    await young.send(type="join_queue", display_name="Young", business="activation")
    await young.until("queue_update")
    elder = await party("customer")
    await elder.send(type="join_queue", display_name="Elder", business="activation", resident_id=elder_id())
    update = await elder.until("queue_update")
    assert (update["position"], update["lane"]) == (1, "elderly")
    teller = await available(party, "teller1", auto_accept=True)  # teller1 is the demo elder-care teller
    assert (await teller.until("session_started"))["peer"] == {
        "role": "customer",
        "display_name": "Elder",
        "elderly": True,
    }


async def second_in_line(party: PartyFactory, name: str) -> tuple[Party, Party]:
    """Someone ahead in line (the next in line is never offered a call-back), then ``name``."""
    ahead = await party("customer")
    await ahead.send(type="join_queue", display_name="Ahead", business="activation")
    await ahead.until("queue_update")
    customer = await party("customer")
    await customer.send(type="join_queue", display_name=name, business="activation")
    return ahead, customer


async def texted_callback_token(client: TestClient, phone: str) -> str:
    """The one-time token of the call-back link texted to ``phone`` (the only message in the outbox)."""
    storage = client.app[appkeys.STORAGE]
    messages = await storage.outbox()
    for _ in range(200):  # the text goes out right after the teller is told; bounded wait for it
        if messages:
            break
        await asyncio.sleep(0.05)
        messages = await storage.outbox()
    assert [(m.channel, m.recipient) for m in messages] == [("sms", phone)]
    link = re.search(r"https?://\S+", messages[0].body)
    assert link is not None
    return parse_qs(urlsplit(link.group(0)).query)["callback"][0]


async def test_a_callback_round_trip_through_the_outbox(client: TestClient, party: PartyFactory) -> None:
    ahead, customer = await second_in_line(party, "Wang Fang")
    # Nobody staffed, second in line: 2 x (135 s handling + 30 s wrap-up) > 120 s.
    offer = await customer.until("callback_offer")
    config = client.app[appkeys.SIGNALING].switchboard.router.config
    assert offer["estimated_wait_seconds"] == 2 * (135 + config.wrap_up_seconds)
    assert offer["windows"][0]["kind"] == "soon"
    await customer.send(type="callback_request", phone="+8613912345678")
    booked = await customer.until("callback_booked")
    await customer.close()
    await ahead.send(type="leave_queue")
    await ahead.until("queue_left")

    teller = await available(party, "teller1", auto_accept=True)
    started = await teller.until("session_started")
    assert (started["kind"], started["peer"]["display_name"]) == ("callback", "Wang Fang")

    storage = client.app[appkeys.STORAGE]
    token = await texted_callback_token(client, "+8613912345678")
    record = await storage.get_callback(booked["reservation_id"])
    assert record is not None and record.status == "calling"

    back = await client.ws_connect("/ws")
    returning = Party(back, "returning customer")
    await returning.send(type="hello", protocol=1, role="customer", callback_token=token)
    await returning.expect("welcome")
    joined = await returning.expect("session_started")
    assert (joined["session_id"], joined["kind"]) == (started["session_id"], "callback")
    assert (await teller.until("callback_answered"))["session_id"] == started["session_id"]
    record = await storage.get_callback(booked["reservation_id"])
    assert record is not None and record.status == "answered"


async def test_supervisors_see_live_snapshots(party: PartyFactory) -> None:
    teller = await available(party, "teller1", auto_accept=True)
    customer = await party("customer")
    await customer.send(type="join_queue", display_name="Ann", business="activation")
    await teller.until("session_started")
    ws_party = await party("supervisor", "super1")
    snapshot = await ws_party.until("supervisor_snapshot")
    assert [(s["teller"], s["customer"]) for s in snapshot["sessions"]] == [("teller1", "Ann")]
    assert snapshot["service"]["last_15_minutes"]["answered"] == 1
    assert snapshot["service"]["last_15_minutes"]["service_level"] == 1.0
    assert {t["username"]: t["state"] for t in snapshot["tellers"]} == {"teller1": "in-call"}
    assert (await ws_party.until("supervisor_snapshot"))["at"] > snapshot["at"]


async def test_metrics_expose_queues_tellers_waits_and_service_level(
    client: TestClient, party: PartyFactory
) -> None:
    waiting = await party("customer")
    await waiting.send(type="join_queue", display_name="Bo", business="card_review")
    await waiting.until("queue_update")
    teller = await available(party, "teller2", auto_accept=True)
    await teller.until("session_started")
    leaver = await party("customer")
    await leaver.send(type="join_queue", display_name="Cy", business="card_review")
    await leaver.until("queue_update")
    await leaver.send(type="leave_queue")
    await leaver.until("queue_left")

    text = await (await client.get("/metrics")).text()
    assert 'video_bank_tellers{state="in-call"} 1.0' in text
    assert "video_bank_sessions_active 1.0" in text
    assert 'video_bank_wait_seconds_count{business="card_review",lane="standard"} 1.0' in text
    assert 'video_bank_abandons_total{business="card_review"} 1.0' in text
    assert 'video_bank_service_level{period="last_15_minutes"} 1.0' in text
    assert "video_bank_pairing_latency_seconds_count 1.0" in text


async def test_an_expired_callback_is_texted_to_the_customer(client: TestClient, party: PartyFactory) -> None:
    _, customer = await second_in_line(party, "Wang Fang")
    await customer.until("callback_offer")
    service = client.app[appkeys.SIGNALING]
    now = time.time()
    await customer.send(type="callback_request", phone="13912345678", window_start=now, window_end=now + 1000)
    booked = await customer.until("callback_booked")
    await service.apply(service.switchboard.tick(now + 1001))
    storage = client.app[appkeys.STORAGE]
    record = await storage.get_callback(booked["reservation_id"])
    assert record is not None and record.status == "expired"
    texts = [m.body for m in await storage.outbox()]
    assert len(texts) == 1 and "no teller was free" in texts[0] and "/customer/" in texts[0]
