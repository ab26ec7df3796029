"""Two in-process aiortc peers call through the real app's media hub and each gets the other's media."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import PartyFactory
from tests.support.media_party import (
    dominant_frequency,
    read_bars,
    start_call,
    use_relay_mode,
    wait_until,
)
from video_bank import appkeys
from video_bank.media.hub import RelayMode

CUSTOMER_ID, TELLER_ID = 5, 9
CUSTOMER_TONE, TELLER_TONE = 440.0, 1000.0


@pytest.fixture(params=["forward", "transcode"])
def relay_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> RelayMode:
    """Run a test against a hub in each relay mode (list it before ``party``/``client``)."""
    mode: RelayMode = request.param
    use_relay_mode(monkeypatch, mode)
    return mode


async def test_each_side_receives_the_other_sides_video_and_audio(
    relay_mode: RelayMode, client: TestClient, party: PartyFactory
) -> None:
    assert client.app[appkeys.HUB].relay_mode == relay_mode
    customer, teller = await start_call(party)
    await customer.connect_media(CUSTOMER_ID, CUSTOMER_TONE)
    await teller.connect_media(TELLER_ID, TELLER_TONE)
    assert (await customer.until("media_state"))["state"] == "connected"
    assert (await teller.until("media_state"))["state"] == "connected"

    await wait_until(lambda: len(customer.received.video) >= 30, what="teller video at the customer")
    await wait_until(lambda: len(teller.received.video) >= 30, what="customer video at the teller")
    await wait_until(lambda: len(customer.received.audio) >= 50, what="teller audio at the customer")
    await wait_until(lambda: len(teller.received.audio) >= 50, what="customer audio at the teller")

    for receiver, sender_id in ((customer, TELLER_ID), (teller, CUSTOMER_ID)):
        senders = {sender for _, sender in receiver.received.video}
        assert senders == {sender_id}, f"{receiver.name} saw frames from {senders}"
        counters = [counter for counter, _ in receiver.received.video]
        assert counters == sorted(counters), "frames arrive in order"
        assert counters[-1] - counters[0] >= 20, "the picture is moving, not one frame repeated"
    # Skip the first frames (codec start-up); the tone of the other side dominates.
    assert abs(dominant_frequency(customer.received.audio[10:]) - TELLER_TONE) < 20
    assert abs(dominant_frequency(teller.received.audio[10:]) - CUSTOMER_TONE) < 20

    await teller.send(type="hangup", session_id=teller.session_id)
    assert (await customer.until("session_ended"))["reason"] == "teller_hangup"
    await customer.close_media()
    await teller.close_media()


async def test_hub_hands_decoded_customer_frames_with_server_times_to_a_subscriber(
    client: TestClient, party: PartyFactory
) -> None:
    customer, teller = await start_call(party)
    hub = client.app[appkeys.HUB]
    assert customer.session_id is not None
    assert hub.decoding_streams() == 0, "nothing is decoded without a subscriber"
    frames = hub.subscribe(customer.session_id, "customer", "video", maxsize=4)
    assert hub.decoding_streams() == 1
    await customer.connect_media(CUSTOMER_ID, CUSTOMER_TONE)
    await teller.connect_media(TELLER_ID, TELLER_TONE)

    got = []
    async for delivery in frames:
        got.append((read_bars(delivery.frame), delivery.received_at))  # type: ignore[arg-type]
        if len(got) == 10:
            break
    assert {sender for (_, sender), _ in got} == {CUSTOMER_ID}
    counters = [counter for (counter, _), _ in got]
    assert counters == sorted(counters) and len(set(counters)) == len(counters)
    times = [t for _, t in got]
    assert times == sorted(times)
    frames.close()
    assert hub.decoding_streams() == 0, "decoding stops with the last subscriber"

    await customer.send(type="hangup", session_id=customer.session_id)
    await teller.until("session_ended")
    await customer.close_media()
    await teller.close_media()


async def test_a_slow_subscriber_is_bounded_and_does_not_stall_the_call(
    relay_mode: RelayMode, client: TestClient, party: PartyFactory
) -> None:
    customer, teller = await start_call(party)
    hub = client.app[appkeys.HUB]
    assert customer.session_id is not None
    never_read = hub.subscribe(customer.session_id, "customer", "video", maxsize=3)
    await customer.connect_media(CUSTOMER_ID, CUSTOMER_TONE)
    await teller.connect_media(TELLER_ID, TELLER_TONE)
    await wait_until(lambda: len(teller.received.video) >= 40, what="video despite a stuck subscriber")
    assert never_read.dropped > 0
    assert len(never_read) == 3
    await customer.send(type="hangup", session_id=customer.session_id)
    await teller.until("session_ended")
    assert never_read.ended
    await customer.close_media()
    await teller.close_media()
