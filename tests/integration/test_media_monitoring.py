"""Silent monitoring: a supervisor's receive-only peer connection gets both parties' media, unseen."""

from __future__ import annotations

import contextlib

from aiohttp.test_utils import TestClient

from tests.conftest import PartyFactory
from tests.support.media_party import Monitor, Party, dominant_frequency, start_call, wait_until
from video_bank import appkeys
from video_bank.errors import MediaError
from video_bank.media.hub import MediaHub

CUSTOMER_ID, TELLER_ID = 6, 10
CUSTOMER_TONE, TELLER_TONE = 600.0, 1500.0


async def call_with_media(party: PartyFactory) -> tuple[Party, Party]:
    customer, teller = await start_call(party)
    await customer.connect_media(CUSTOMER_ID, CUSTOMER_TONE)
    await teller.connect_media(TELLER_ID, TELLER_TONE)
    await wait_until(lambda: len(teller.received.video) >= 5, what="customer video at the teller")
    await wait_until(lambda: len(customer.received.video) >= 5, what="teller video at the customer")
    return customer, teller


async def test_a_supervisor_watches_and_hears_both_parties_without_affecting_them(
    client: TestClient, party: PartyFactory
) -> None:
    hub: MediaHub = client.app[appkeys.HUB]
    customer, teller = await call_with_media(party)
    supervisor = await party("supervisor", "super1")
    await supervisor.send(type="monitor_start", session_id=customer.session_id)
    await supervisor.until("monitor_started")
    monitor = Monitor()
    await supervisor.send(type="offer", session_id=customer.session_id, sdp=await monitor.offer())
    await monitor.answered((await supervisor.until("answer"))["sdp"])
    assert hub.peer_connections() == 3

    await wait_until(lambda: min(len(v) for v in monitor.video.values()) >= 20, what="both videos")
    await wait_until(lambda: min(len(a) for a in monitor.audio.values()) >= 50, what="both voices")
    for leg, sender, tone in (("customer", CUSTOMER_ID, CUSTOMER_TONE), ("teller", TELLER_ID, TELLER_TONE)):
        assert {s for _, s in monitor.video[leg]} == {sender}, f"{leg} video shows someone else"
        counters = [c for c, _ in monitor.video[leg]]
        assert counters == sorted(set(counters)) and counters[-1] - counters[0] >= 15
        assert abs(dominant_frequency(monitor.audio[leg][10:]) - tone) < 20
    # The parties still get each other (and only each other).
    seen = len(teller.received.video), len(customer.received.video)
    await wait_until(
        lambda: len(teller.received.video) > seen[0] + 10 and len(customer.received.video) > seen[1] + 10,
        what="the call to go on",
    )
    assert {s for _, s in teller.received.video} == {CUSTOMER_ID}
    assert {s for _, s in customer.received.video} == {TELLER_ID}

    await supervisor.send(type="monitor_stop", session_id=customer.session_id)
    assert (await supervisor.until("monitor_stopped"))["reason"] == "stopped"
    assert hub.peer_connections() == 2
    await monitor.close()
    await customer.send(type="hangup", session_id=customer.session_id)
    await teller.until("session_ended")
    await customer.close_media()
    await teller.close_media()


async def test_the_end_of_the_session_ends_its_monitors(client: TestClient, party: PartyFactory) -> None:
    hub: MediaHub = client.app[appkeys.HUB]
    customer, teller = await call_with_media(party)
    assert customer.session_id is not None
    monitor = Monitor()
    await monitor.answered(
        await hub.negotiate_monitor(customer.session_id, "watcher-1", await monitor.offer())
    )
    await wait_until(lambda: len(monitor.video["customer"]) >= 5, what="customer video at the monitor")
    await teller.send(type="hangup", session_id=teller.session_id)
    await customer.until("session_ended")
    assert hub.peer_connections() == 0
    await hub.close_monitor(customer.session_id, "watcher-1")  # after the session: nothing to do
    await monitor.close()
    await customer.close_media()
    await teller.close_media()


async def test_a_monitor_offer_with_other_sections_is_refused_and_leaves_nothing(
    client: TestClient, party: PartyFactory
) -> None:
    hub: MediaHub = client.app[appkeys.HUB]
    customer, teller = await start_call(party)
    assert customer.session_id is not None
    monitor = Monitor()
    with contextlib.suppress(MediaError):
        await hub.negotiate_monitor(customer.session_id, "watcher-2", await monitor.offer(("video", "audio")))
        raise AssertionError("a two-section offer was accepted")
    assert hub.peer_connections() == 0
    await monitor.close()
    second = Monitor()
    answer = await hub.negotiate_monitor(customer.session_id, "watcher-2", await second.offer())
    assert answer.count("m=") == 4 and hub.peer_connections() == 1
    await second.close()
    await customer.send(type="hangup", session_id=customer.session_id)
    await teller.until("session_ended")
