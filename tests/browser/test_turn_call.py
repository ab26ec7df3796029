"""A customer's phone and a teller's console hold a video call through the bank's TURN server only.

The server runs with a private coturn on loopback (tests/support/coturn.py), its URLs and secret,
and ``VIDEO_BANK_ICE_TRANSPORT_POLICY=relay``: the pages take ``iceTransportPolicy: "relay"`` and
their own short-lived credentials from ``session_started``, and the hub relays too. On loopback
every host candidate would connect directly, so moving pictures of the other side prove the relay
works; coturn's log proves both browsers and both hub ends allocated relays, and that the browsers'
allocations carried the media.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser.harness import CameraClips, LaunchParty, LiveServer
from tests.browser.steps import (
    accept_offer,
    assert_no_page_problems,
    expect_in_call,
    finish_wrap_up,
    join_queue,
    open_customer_page,
    sign_in_and_go_available,
)
from tests.browser.test_video_call import expect_back_to_start, expect_both_see_each_other
from tests.support.coturn import Coturn, running_coturn
from tests.support.media_party import wait_until

pytestmark = pytest.mark.browser

CUSTOMER_NAME = "Zhao Lan"
MEDIA_BYTES = 100_000
"""A few seconds of the call's video: what each browser's relay must have carried at least."""


@pytest.fixture
def coturn() -> Iterator[Coturn]:
    with running_coturn() as server:
        yield server


@pytest.fixture
def relay_server(
    coturn: Coturn, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> LiveServer:
    """The live server (it inherits this environment) with the local coturn and relay-only ICE."""
    monkeypatch.setenv("VIDEO_BANK_TURN_URLS", f"{coturn.udp_url},{coturn.tcp_url}")
    monkeypatch.setenv("VIDEO_BANK_TURN_SECRET", coturn.secret)
    monkeypatch.setenv("VIDEO_BANK_ICE_TRANSPORT_POLICY", "relay")
    server: LiveServer = request.getfixturevalue("live_server")
    return server


def relayed_bytes(log: str) -> dict[str, int]:
    """Bytes each leg's closed allocations received from its client (coturn's ``usage`` lines)."""
    totals: dict[str, int] = {}
    for username, received in re.findall(
        r": usage: realm=<[^>]*>, username=<\d+:([^>]+)>, rp=\d+, rb=(\d+)", log
    ):
        totals[username] = totals.get(username, 0) + int(received)
    return totals


async def test_with_the_relay_policy_the_pages_call_through_the_turn_server(
    coturn: Coturn, relay_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", camera_clips.customer)
    await sign_in_and_go_available(teller, relay_server)
    await open_customer_page(customer, relay_server)
    await join_queue(customer, CUSTOMER_NAME)
    await accept_offer(teller, CUSTOMER_NAME)
    await expect_in_call(customer, teller, CUSTOMER_NAME)
    await expect_both_see_each_other(customer, teller, "turn-call")

    allocated = set(re.findall(r"session \d+: new, realm=<[^>]*>, username=<\d+:([^>]+)>", coturn.log()))
    sessions = {name.split(".")[0] for name in allocated}
    assert len(sessions) == 1, f"allocations for one session only: {allocated}"
    session_id = sessions.pop()
    legs = {f"{session_id}.{leg}{end}" for leg in ("customer", "teller") for end in ("", ".hub")}
    assert legs <= allocated, f"coturn allocated for {allocated}"

    await customer.page.get_by_test_id("hangup-button").click()
    await expect_back_to_start(customer, teller, CUSTOMER_NAME)

    # Closing the peer connections frees their allocations; coturn then logs what each carried. A
    # browser may allocate more than one relay (one per TURN address it was given) and free the
    # unused ones early: wait for the one that carried the call.
    def media_relayed() -> bool:
        carried = relayed_bytes(coturn.log())
        return all(carried.get(f"{session_id}.{leg}", 0) > MEDIA_BYTES for leg in ("customer", "teller"))

    await wait_until(
        media_relayed, timeout=30, what=f"coturn to log {MEDIA_BYTES} bytes relayed for each browser"
    )
    await finish_wrap_up(teller)
    assert_no_page_problems(customer, teller)
