"""The call survives the customer's network dropping for a few seconds.

During a call the customer's browser goes offline (``context.set_offline``; the page drops its
socket and its peer connection, as a phone does when its network goes away). Both pages show
``call-status[data-state="reconnecting"]``, the teller's console counts down the grace period; when
the network is back the customer's page reconnects by itself, resumes the same session with its
token and makes a new peer connection: both pages are in the call again and each remote video moves
again, showing the other party's camera.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.browser.cobrowse_steps import SEVENTY_YEAR_OLD, record_speech, spoken
from tests.browser.harness import DEMO_TELLER, CameraClips, LaunchParty, LiveServer, Party, save_screenshot
from tests.browser.steps import (
    WAIT_MS,
    accept_offer,
    assert_no_page_problems,
    expect_in_call,
    join_queue,
    open_customer_page,
    sign_in_and_go_available,
)
from tests.browser.test_video_call import expect_moving_remote_video, expect_remote_shows

with contextlib.suppress(ImportError):
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

CUSTOMER_NAME = "Zhao Min"
OUTAGE_SECONDS = 5.0
"""How long the customer's network stays down (the scenario, not a wait for anything)."""
FRAMES_AGAIN = 15
"""Frames each remote video must present after the network is back."""

JS_FRAMES = "(video) => Number(video.dataset.frames || 0)"
JS_MORE_FRAMES = """
([video, start, more]) => video.srcObject !== null && video.videoWidth > 0
  && Number(video.dataset.frames || 0) >= start + more
"""


async def frames(party: Party) -> int:
    count: int = await party.page.get_by_test_id("remote-video").evaluate(JS_FRAMES)
    return count


async def expect_moving_again(party: Party, start: int) -> None:
    video = await party.page.get_by_test_id("remote-video").element_handle(timeout=WAIT_MS)
    await party.page.wait_for_function(JS_MORE_FRAMES, arg=[video, start, FRAMES_AGAIN], timeout=WAIT_MS)


async def call_with_video(
    live_server: LiveServer,
    launch_party: LaunchParty,
    camera_clips: CameraClips,
    *,
    elderly_english: bool = False,
) -> tuple[Party, Party]:
    """(customer, teller) in a call, each seeing the other's video move; ``elderly_english``: the
    customer's page in English, in the elderly lane, with its speech recorded."""
    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", camera_clips.customer)
    await sign_in_and_go_available(teller, live_server)
    if elderly_english:
        await record_speech(customer)
        await customer.page.goto(f"{live_server.base_url}/customer/?lang=en")
        await join_queue(customer, CUSTOMER_NAME, resident_id=SEVENTY_YEAR_OLD)
    else:
        await open_customer_page(customer, live_server)
        await join_queue(customer, CUSTOMER_NAME)
    await accept_offer(teller, CUSTOMER_NAME, elderly=elderly_english)
    await expect_in_call(customer, teller, CUSTOMER_NAME)
    for party in (customer, teller):
        await expect_moving_remote_video(party)
    return customer, teller


async def test_a_customer_whose_network_drops_for_5_s_is_back_in_the_call_with_moving_video(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    customer, teller = await call_with_video(live_server, launch_party, camera_clips)
    session_id = await teller.page.locator("#session-id").text_content()

    await customer.context.set_offline(True)
    for party in (customer, teller):
        await expect(party.page.get_by_test_id("call-status")).to_have_attribute(
            "data-state", "reconnecting", timeout=WAIT_MS
        )
    countdown = teller.page.get_by_test_id("reconnect-countdown")
    await expect(countdown).to_be_visible()
    seconds = await countdown.get_attribute("data-seconds")
    assert seconds is not None and 0 < int(seconds) <= 30, seconds
    await save_screenshot(teller, "reconnecting-teller")
    await save_screenshot(customer, "reconnecting-customer")
    await asyncio.sleep(OUTAGE_SECONDS)

    back = {party.name: await frames(party) for party in (customer, teller)}
    await customer.context.set_offline(False)
    await expect_in_call(customer, teller, CUSTOMER_NAME)
    await expect(countdown).to_be_hidden()
    assert await teller.page.locator("#session-id").text_content() == session_id  # the same session
    for party, peer in ((customer, teller), (teller, customer)):
        await expect_moving_again(party, back[party.name])
        await expect_remote_shows(party, peer)
    await save_screenshot(customer, "reconnected-customer")

    await customer.page.get_by_test_id("hangup-button").click()
    await expect(customer.page.get_by_test_id("call-status")).to_have_attribute(
        "data-state", "ended", timeout=WAIT_MS
    )
    assert_no_page_problems(customer, teller)


async def test_a_teller_who_reloads_the_console_returns_to_the_call_and_the_elderly_page_says_so(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    customer, teller = await call_with_video(live_server, launch_party, camera_clips, elderly_english=True)
    await expect(customer.page.locator("html")).to_have_attribute("data-elderly", "on")
    session_id = await teller.page.locator("#session-id").text_content()

    await teller.page.reload()
    status = customer.page.get_by_test_id("call-status")
    await expect(status).to_have_attribute("data-state", "reconnecting", timeout=WAIT_MS)
    back = await frames(customer)
    page = teller.page
    await page.get_by_test_id("username").fill(DEMO_TELLER)
    await page.get_by_test_id("password").fill(live_server.demo_password)
    await page.get_by_test_id("login-button").click()
    await expect_in_call(customer, teller, CUSTOMER_NAME)
    assert await page.locator("#session-id").text_content() == session_id  # the same live session
    await expect_moving_again(customer, back)
    await expect_moving_again(teller, 0)
    said = [u["text"] for u in await spoken(customer)]
    assert "The teller’s connection was lost. Reconnecting…" in said
    assert said[-1] == "Reconnected. Your call goes on."

    await teller.page.get_by_test_id("hangup-button").click()
    await expect(status).to_have_attribute("data-state", "ended", timeout=WAIT_MS)
    assert_no_page_problems(customer, teller)
