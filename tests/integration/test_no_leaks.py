"""Twenty calls in a row through the hub leave no peer connection, track, task or session behind.

Some calls also have readers that are never closed (a decoded subscriber, a recording tap) or a
supervisor's monitor: ending the session must end them, stop their decoder and free everything.
"""

from __future__ import annotations

import asyncio
import gc

import pytest
from aiohttp.test_utils import TestClient
from aiortc import RTCPeerConnection

from tests.conftest import PartyFactory
from tests.support.media_party import Monitor, use_relay_mode, wait_until
from video_bank import appkeys
from video_bank.media.aiortc_forwarding import ReceiverTap
from video_bank.media.decoding import FrameDecoder
from video_bank.media.fanout import Fanout, RelayTrack, Subscription
from video_bank.media.forwarding import EncodedSubscription, ForwardedTrack, Forwarder
from video_bank.media.hub import RelayMode

SESSIONS = 20
HUB_OBJECTS = (
    RelayTrack,
    Fanout,
    Subscription,
    Forwarder,
    EncodedSubscription,
    ForwardedTrack,
    FrameDecoder,
    ReceiverTap,
)


def alive(kind: type) -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, kind))


@pytest.fixture(params=["forward", "transcode"])
def relay_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> RelayMode:
    """Run a test against a hub in each relay mode (list it before ``client``)."""
    mode: RelayMode = request.param
    use_relay_mode(monkeypatch, mode)
    return mode


async def test_twenty_sessions_back_to_back_leave_nothing_behind(
    relay_mode: RelayMode, client: TestClient, party: PartyFactory
) -> None:
    hub = client.app[appkeys.HUB]
    assert hub.relay_mode == relay_mode
    service = client.app[appkeys.SIGNALING]
    teller = await party("teller", "teller1")
    await teller.send(type="set_state", state="available", auto_accept=True)
    await teller.expect("teller_state")
    baseline_tasks = len(asyncio.all_tasks())
    readers: list[Subscription | EncodedSubscription] = []

    for n in range(SESSIONS):
        customer = await party("customer")
        await customer.send(type="join_queue", display_name=f"Customer {n}", business="activation")
        customer.session_id = (await customer.until("session_started"))["session_id"]
        teller.session_id = (await teller.until("session_started"))["session_id"]
        if n % 3 == 0:
            readers.append(hub.subscribe(customer.session_id, "customer", "video", maxsize=2))
            if relay_mode == "forward":
                readers.append(hub.subscribe_encoded(customer.session_id, "teller", "audio", maxsize=4))
        await customer.connect_media(sender=1, tone=440.0)
        await teller.connect_media(sender=2, tone=880.0)
        await wait_until(lambda c=customer: len(c.received.video) >= 3, what=f"video in call {n}")
        await wait_until(lambda: len(teller.received.video) >= 3, what=f"video in call {n}")
        monitor = Monitor() if n % 4 == 1 else None
        if monitor is not None:
            answer = await hub.negotiate_monitor(customer.session_id, f"watcher-{n}", await monitor.offer())
            await monitor.answered(answer)
            await wait_until(lambda m=monitor: len(m.video["teller"]) >= 3, what=f"monitoring call {n}")
        hanger = customer if n % 2 else teller  # both hang-up paths
        await hanger.send(type="hangup", session_id=hanger.session_id)
        await customer.until("session_ended")
        await teller.until("session_ended")
        await teller.send(type="wrap_up_done")  # ready for the next customer without the 30 s wrap-up
        assert hub.open_sessions == 0 and hub.peer_connections() == 0 and hub.decoding_streams() == 0
        assert all(reader.ended for reader in readers)
        if monitor is not None:
            await monitor.close()
            monitor = None  # its (closed) peer connection is not the hub's
        # The hub must close its side itself: the two client peer connections are still open here.
        await wait_until(
            lambda: alive(RTCPeerConnection) == 2, what=f"hub peer connections of call {n} freed"
        )
        await customer.close()
        await teller.close_media()
        teller.received.video.clear()

    readers.clear()
    await wait_until(lambda: service.open_connections == 1, what="customer sockets to be released")
    await wait_until(lambda: len(asyncio.all_tasks()) <= baseline_tasks, what="tasks to finish")
    assert service.switchboard.live_sessions == 0
    assert service.switchboard.connections == 1
    await wait_until(lambda: alive(RTCPeerConnection) == 0, what="peer connections to be freed")
    for kind in HUB_OBJECTS:
        assert alive(kind) == 0, f"{kind.__name__} left behind"
