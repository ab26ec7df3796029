"""Calls through a real coturn: relay-only ICE on both sides and the hub, TCP fallback, refused credentials.

A private coturn runs on loopback (tests/support/coturn.py). The app is configured with its URLs
and secret and the ``relay`` policy; the two parties are in-process aiortc peers that build their
peer connection from ``session_started`` exactly as the pages do. On loopback every host candidate
would connect directly, so a call that connects under ``relay`` and whose nominated pairs are
relay-to-relay went through the TURN server, and nothing connects once it is stopped.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from aioice import stun
from aioice.turn import create_turn_endpoint
from aiortc import RTCBundlePolicy, RTCPeerConnection

from tests.conftest import PartyFactory
from tests.support.coturn import Coturn, running_coturn
from tests.support.media_party import (
    Monitor,
    Party,
    dominant_frequency,
    rtc_configuration_from,
    start_call,
    wait_until,
)
from video_bank import appkeys
from video_bank.config import Settings
from video_bank.turn_credentials import issue_turn_credential

CUSTOMER_ID, TELLER_ID = 3, 12
CUSTOMER_TONE, TELLER_TONE = 520.0, 1200.0


@pytest.fixture
def coturn() -> Iterator[Coturn]:
    with running_coturn() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, coturn: Coturn) -> Settings:
    """The app with the local coturn's UDP and TCP URLs, its secret, and relay-only ICE."""
    return Settings(
        data_dir=tmp_path / "data",
        heartbeat_seconds=0.5,
        turn_urls=(coturn.udp_url, coturn.tcp_url),
        turn_secret=coturn.secret,
        ice_transport_policy="relay",
    )


def ice_connection(pc: RTCPeerConnection) -> object:
    """The aioice connection under a peer connection (aiortc 1.16 internals; one bundled transport)."""
    transport = pc.getTransceivers()[0].sender.transport.transport
    return transport.iceGatherer._connection


def nominated_types(pc: RTCPeerConnection) -> tuple[str, str]:
    """(local, remote) candidate types of the pair ICE nominated for RTP."""
    pair = ice_connection(pc)._nominated[1]  # type: ignore[attr-defined]
    return pair.local_candidate.type, pair.remote_candidate.type


async def expect_media_both_ways(customer: Party, teller: Party) -> None:
    """Content-checked video (sender ids, moving counters) and each side's tone, as in test_media_relay."""
    await wait_until(
        lambda: len(customer.received.video) >= 30, timeout=30, what="teller video at the customer"
    )
    await wait_until(
        lambda: len(teller.received.video) >= 30, timeout=30, what="customer video at the teller"
    )
    await wait_until(lambda: len(customer.received.audio) >= 50, timeout=30, what="teller audio")
    await wait_until(lambda: len(teller.received.audio) >= 50, timeout=30, what="customer audio")
    for receiver, sender_id in ((customer, TELLER_ID), (teller, CUSTOMER_ID)):
        assert {sender for _, sender in receiver.received.video} == {sender_id}
        counters = [counter for counter, _ in receiver.received.video]
        assert counters == sorted(counters)
        assert counters[-1] - counters[0] >= 20, "the picture is moving"
    assert abs(dominant_frequency(customer.received.audio[10:]) - TELLER_TONE) < 20
    assert abs(dominant_frequency(teller.received.audio[10:]) - CUSTOMER_TONE) < 20


def allocations(coturn: Coturn) -> set[str]:
    """Usernames coturn created allocations for (its verbose log)."""
    return set(re.findall(r"session \d+: new, realm=<[^>]*>, username=<([^>]+)>", coturn.log()))


async def test_with_the_relay_policy_a_call_connects_through_the_turn_server_on_both_sides_and_the_hub(
    coturn: Coturn, client: TestClient, party: PartyFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    customer, teller = await start_call(party)
    assert customer.started is not None and teller.started is not None
    for started in (customer.started, teller.started):
        assert started["ice_transport_policy"] == "relay"
        assert started["ice_servers"][0]["urls"] == [coturn.udp_url, coturn.tcp_url]
    assert customer.started["ice_servers"][0]["username"] != teller.started["ice_servers"][0]["username"]

    await customer.connect_media(
        CUSTOMER_ID, CUSTOMER_TONE, configuration=rtc_configuration_from(customer.started)
    )
    await teller.connect_media(TELLER_ID, TELLER_TONE, configuration=rtc_configuration_from(teller.started))
    assert (await customer.until("media_state", timeout=30))["state"] == "connected"
    await expect_media_both_ways(customer, teller)

    hub = client.app[appkeys.HUB]
    session_id = customer.session_id
    assert session_id is not None and customer.pc is not None and teller.pc is not None
    for pc in (customer.pc, teller.pc):
        assert nominated_types(pc) == ("relay", "relay")
    for leg in ("customer", "teller"):
        hub_pc = hub.peer_connection(session_id, leg)
        assert hub_pc is not None
        assert nominated_types(hub_pc) == ("relay", "relay")
    used = {name.partition(":")[2] for name in allocations(coturn)}
    expected = {f"{session_id}.{leg}{end}" for leg in ("customer", "teller") for end in ("", ".hub")}
    assert expected <= used, f"coturn allocated for {used}"

    await teller.send(type="hangup", session_id=teller.session_id)
    assert (await customer.until("session_ended"))["reason"] == "teller_hangup"
    await customer.close_media()
    await teller.close_media()
    passwords = [started["ice_servers"][0]["credential"] for started in (customer.started, teller.started)]
    for secret in (coturn.secret, *passwords):
        assert secret not in caplog.text, (
            "no log line (any logger, DEBUG) shows the TURN secret or a password"
        )


async def test_a_monitoring_supervisor_relays_through_turn_with_a_credential_of_its_own(
    coturn: Coturn, client: TestClient, party: PartyFactory
) -> None:
    customer, teller = await start_call(party)
    assert customer.started is not None and teller.started is not None
    await customer.connect_media(
        CUSTOMER_ID, CUSTOMER_TONE, configuration=rtc_configuration_from(customer.started)
    )
    await teller.connect_media(TELLER_ID, TELLER_TONE, configuration=rtc_configuration_from(teller.started))
    await wait_until(lambda: len(teller.received.video) >= 5, timeout=30, what="customer video at the teller")
    supervisor = await party("supervisor", "super1")
    await supervisor.send(type="monitor_start", session_id=customer.session_id)
    started = await supervisor.until("monitor_started")
    assert started["ice_transport_policy"] == "relay"
    username = started["ice_servers"][0]["username"]
    assert f":{customer.session_id}.monitor." in username

    configuration = rtc_configuration_from(started)
    configuration.bundlePolicy = RTCBundlePolicy.MAX_BUNDLE
    monitor = Monitor(pc=RTCPeerConnection(configuration))
    await supervisor.send(type="offer", session_id=customer.session_id, sdp=await monitor.offer())
    await monitor.answered((await supervisor.until("answer"))["sdp"])
    await wait_until(
        lambda: min(len(v) for v in monitor.video.values()) >= 20, timeout=30, what="both videos"
    )
    assert {s for _, s in monitor.video["customer"]} == {CUSTOMER_ID}
    assert {s for _, s in monitor.video["teller"]} == {TELLER_ID}
    assert nominated_types(monitor.pc) == ("relay", "relay")
    assert f"{username}.hub".partition(":")[2] in {n.partition(":")[2] for n in allocations(coturn)}

    await monitor.close()
    await customer.send(type="hangup", session_id=customer.session_id)
    await teller.until("session_ended")
    await customer.close_media()
    await teller.close_media()


async def test_a_customer_without_udp_relays_over_turn_tcp(
    coturn: Coturn, client: TestClient, party: PartyFactory
) -> None:
    customer, teller = await start_call(party)
    assert customer.started is not None and teller.started is not None
    # A firewall that blocks UDP leaves the customer only the TCP URL the server offered.
    tcp_only = dict(customer.started)
    turn = dict(tcp_only["ice_servers"][0])
    turn["urls"] = [u for u in turn["urls"] if u.endswith("?transport=tcp")]
    assert turn["urls"] == [coturn.tcp_url]
    tcp_only["ice_servers"] = [turn]

    await customer.connect_media(CUSTOMER_ID, CUSTOMER_TONE, configuration=rtc_configuration_from(tcp_only))
    await teller.connect_media(TELLER_ID, TELLER_TONE, configuration=rtc_configuration_from(teller.started))
    assert (await customer.until("media_state", timeout=30))["state"] == "connected"
    await expect_media_both_ways(customer, teller)

    assert customer.pc is not None
    assert ice_connection(customer.pc).turn_transport == "tcp"  # type: ignore[attr-defined]
    assert nominated_types(customer.pc) == ("relay", "relay")
    await customer.send(type="hangup", session_id=customer.session_id)
    await teller.until("session_ended")
    await customer.close_media()
    await teller.close_media()


async def test_with_the_relay_policy_nothing_connects_when_the_turn_server_is_down(
    coturn: Coturn, client: TestClient, party: PartyFactory
) -> None:
    coturn.stop()
    customer, teller = await start_call(party)
    assert customer.started is not None

    # On loopback the host candidates would connect at once; the relay policy leaves none.
    await customer.connect_media(
        CUSTOMER_ID, CUSTOMER_TONE, configuration=rtc_configuration_from(customer.started)
    )

    ended = await customer.until("session_ended", timeout=60)
    assert ended["reason"] == "media_failed"
    assert (await teller.until("session_ended", timeout=10))["reason"] == "media_failed"
    assert customer.received.video == []
    await customer.close_media()


# --- the TURN server's view of our credentials ----------------------------------------------------------


class _Sink:
    """A datagram protocol that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, tuple[str, int]]] = []

    def connection_made(self, transport: object) -> None:
        pass

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.append((data, addr))

    def error_received(self, exc: Exception) -> None:
        pass

    def connection_lost(self, exc: Exception | None) -> None:
        pass


async def allocate(coturn: Coturn, username: str, password: str) -> object:
    transport, _ = await create_turn_endpoint(_Sink, coturn.address, username, password)
    return transport


async def test_an_expired_or_forged_credential_is_refused_and_a_fresh_one_allocates(coturn: Coturn) -> None:
    now = time.time()
    fresh = issue_turn_credential(coturn.secret, "s1.customer", now, 600)
    expired = issue_turn_credential(coturn.secret, "s1.customer", now - 700, 600)  # expired 100 s ago
    forged = issue_turn_credential(coturn.secret + "-guess", "s1.customer", now, 600)

    for refused in (expired, forged):
        with pytest.raises(stun.TransactionFailed) as caught:
            await allocate(coturn, refused.username, refused.password)
        assert caught.value.response.error_code == 401
    relay = await allocate(coturn, fresh.username, fresh.password)
    assert relay.get_extra_info("sockname")[0] == "127.0.0.1"  # type: ignore[attr-defined]
    relay.close()  # type: ignore[attr-defined]


async def test_an_allocation_outlives_its_credential_but_the_credential_opens_nothing_new(
    coturn: Coturn,
) -> None:
    """Why a call may last longer than turn_ttl_seconds: coturn checks the expiry when a credential is
    presented for a new allocation, not on the refreshes of one it already granted."""
    credential = issue_turn_credential(coturn.secret, "s1.teller", time.time(), 1)
    relay = await allocate(coturn, credential.username, credential.password)
    loop = asyncio.get_running_loop()
    peer_transport, peer = await loop.create_datagram_endpoint(_Sink, local_addr=("127.0.0.1", 0))
    peer_address = peer_transport.get_extra_info("sockname")
    relay.sendto(b"before expiry", peer_address)  # type: ignore[attr-defined]
    await wait_until(lambda: len(peer.received) == 1, what="data relayed before expiry")

    # Wait for the wall clock to pass the expiry (coturn compares it with its own clock, in seconds).
    await wait_until(
        lambda: time.time() > credential.expires_at + 1, timeout=5, what="the credential to expire"
    )
    inner = relay._TurnTransport__inner_protocol  # type: ignore[attr-defined]
    refresh = stun.Message(message_method=stun.Method.REFRESH, message_class=stun.Class.REQUEST)
    refresh.attributes["LIFETIME"] = 600
    response, _ = await inner.request_with_retry(refresh)
    assert response.attributes["LIFETIME"] == 600
    relay.sendto(b"after expiry", peer_address)  # type: ignore[attr-defined]
    await wait_until(lambda: len(peer.received) == 2, what="data relayed after expiry")
    assert [data for data, _ in peer.received] == [b"before expiry", b"after expiry"]

    with pytest.raises(stun.TransactionFailed) as caught:
        await allocate(coturn, credential.username, credential.password)
    assert caught.value.response.error_code == 401
    relay.close()  # type: ignore[attr-defined]
    peer_transport.close()
