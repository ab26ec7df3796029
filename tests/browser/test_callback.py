"""Call-backs from the pages: the offer while waiting, the booking, cancelling it, and a teller
calling back a customer who follows the link from the text message straight into the call.

The server runs with ``callback_offer_seconds = 0`` so that the offer comes with the first wait
estimate, and round the clock (the windows offered lie inside the service hours). The next in line
is never offered a call-back, so someone else waits ahead of the customer (a plain WebSocket client).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sqlite3
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.browser.harness import CameraClips, LaunchParty, LiveServer, Party, save_screenshot
from tests.browser.steps import (
    WAIT_MS,
    accept_offer,
    assert_no_page_problems,
    expect_in_call,
    expect_waiting,
    join_queue,
    open_customer_page,
    sign_in_and_go_available,
)

with contextlib.suppress(ImportError):  # without playwright the fixtures skip (fail in CI)
    from playwright.async_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.routing(callback_offer_seconds=0)]

CUSTOMER_NAME = "Zheng Shulan"
PHONE_TYPED = "+86 138-0013-8000"
PHONE_SENT = "+8613800138000"
STORAGE_KEY = "video_bank.callback"
LINK = re.compile(r"https?://\S+/customer/\?callback=[A-Za-z0-9_-]+")
OUTBOX_POLL_SECONDS = 0.1
"""Polling interval while waiting (at most :data:`WAIT_MS`) for the text message in the outbox."""


@contextlib.asynccontextmanager
async def someone_waiting(server: LiveServer) -> AsyncIterator[None]:
    """A customer waiting in line for the same business until the block ends (then they leave)."""
    async with aiohttp.ClientSession() as session, session.ws_connect(f"{server.base_url}/ws") as ws:
        await ws.send_json({"type": "hello", "protocol": 1, "role": "customer"})
        await ws.send_json({"type": "join_queue", "display_name": "Ahead", "business": "info_update"})
        async for frame in ws:
            if json.loads(frame.data)["type"] == "queue_update":
                break
        yield


async def book_callback(customer: Party) -> None:
    """Wait in line (second), take the call-back offer and see the booking."""
    page = customer.page
    await join_queue(customer, CUSTOMER_NAME, business="info_update")
    await expect_waiting(customer, position=2)
    offer = page.get_by_test_id("callback-offer")
    await expect(offer).to_be_visible(timeout=WAIT_MS)
    window = page.get_by_test_id("callback-window")
    labels = await window.locator("option").all_inner_texts()
    assert labels and labels[0].startswith("尽快回电：今天"), labels  # in Chinese, with the bank's times
    assert not any(re.search(r"\b(AM|PM|today)\b", label) for label in labels), labels

    await page.get_by_test_id("callback-phone").fill("12")
    await page.get_by_test_id("callback-accept").click()
    await expect(page.get_by_test_id("callback-error")).to_be_visible()

    await page.get_by_test_id("callback-phone").fill(PHONE_TYPED)
    await expect(page.get_by_test_id("callback-error")).to_be_hidden()
    await save_screenshot(customer, "callback-offer-customer")
    await page.get_by_test_id("callback-accept").click()
    booked = page.get_by_test_id("callback-booked")
    await expect(booked).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_test_id("callback-window-text")).not_to_have_text("")
    await expect(offer).to_be_hidden()
    await expect(page.get_by_test_id("queue-status")).to_be_hidden()
    await expect(page.get_by_test_id("call-status")).to_have_attribute("data-state", "idle")


async def stored_booking(customer: Party) -> str | None:
    stored: str | None = await customer.page.evaluate(f"() => sessionStorage.getItem('{STORAGE_KEY}')")
    return stored


async def callback_link(server: LiveServer) -> str:
    """The link in the text message the server queued in its outbox (bounded wait)."""
    database = server.data_dir / "video_bank.sqlite3"
    deadline = time.monotonic() + WAIT_MS / 1000

    def read_bodies() -> list[str]:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            return [body for (body,) in db.execute("SELECT body FROM outbox ORDER BY id")]

    while True:
        for body in await asyncio.to_thread(read_bodies):
            found = LINK.search(body)
            if found:
                return found.group(0)
        assert time.monotonic() < deadline, "no call-back link in the outbox"
        await asyncio.sleep(OUTBOX_POLL_SECONDS)


async def test_customer_books_a_callback_instead_of_waiting_then_cancels_it_after_a_reload(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    customer = await launch_party("customer", camera_clips.customer)
    page = customer.page
    await open_customer_page(customer, live_server)
    async with someone_waiting(live_server):
        await book_callback(customer)
    await expect(page.get_by_test_id("join-button")).to_be_hidden()
    stored = await stored_booking(customer)
    assert stored is not None
    assert "cancel_token" in stored
    await save_screenshot(customer, "callback-booked-customer")

    await page.reload()  # the booking can still be cancelled from a fresh page and socket
    booked = page.get_by_test_id("callback-booked")
    await expect(booked).to_be_visible(timeout=WAIT_MS)
    await page.get_by_test_id("callback-cancel").click()
    await expect(booked).to_be_hidden(timeout=WAIT_MS)
    await expect(page.get_by_test_id("join-button")).to_be_enabled()
    await expect(page.get_by_test_id("call-status")).to_have_attribute("data-state", "idle")
    assert await stored_booking(customer) is None

    logged = "\n".join(customer.console)
    assert PHONE_SENT not in logged
    assert "cancel_token" not in logged
    assert_no_page_problems(customer)


async def test_teller_calls_back_and_the_customer_follows_the_link_into_the_call(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    customer = await launch_party("customer", camera_clips.customer)
    await open_customer_page(customer, live_server)
    async with someone_waiting(live_server):
        await book_callback(customer)
    # The one ahead has left: the booked call-back is next.

    teller = await launch_party("teller", camera_clips.teller)
    await sign_in_and_go_available(teller, live_server, then="reserved")
    await accept_offer(teller, CUSTOMER_NAME, kind="callback")
    callback_status = teller.page.get_by_test_id("callback-status")
    await expect(callback_status).to_have_attribute("data-state", "waiting", timeout=WAIT_MS)
    await expect(callback_status).to_contain_text(CUSTOMER_NAME)
    await expect(teller.page.get_by_test_id("call-status")).to_have_attribute("data-state", "in-call")
    await save_screenshot(teller, "callback-waiting-teller")

    link = await callback_link(live_server)
    assert link.startswith(live_server.base_url)
    await customer.page.goto(link)
    await expect_in_call(customer, teller, CUSTOMER_NAME)
    await expect(callback_status).to_have_attribute("data-state", "answered", timeout=WAIT_MS)
    # Joining late, the customer is asked for consent as in any call (the flow asked at the start).
    await expect(customer.page.get_by_test_id("consent-recording")).to_be_visible(timeout=WAIT_MS)
    assert "callback=" not in customer.page.url, "the one-time token stays in the address bar"
    assert await stored_booking(customer) is None
    await teller.page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=remote-video]').dataset.frames) > 10",
        timeout=WAIT_MS,
    )
    await save_screenshot(customer, "callback-call-customer")

    await customer.page.goto(link)  # the link is single-use
    await expect(customer.page.get_by_test_id("notice")).to_be_visible(timeout=WAIT_MS)
    await expect(customer.page.get_by_test_id("join-button")).to_be_enabled()
    assert_no_page_problems(customer, teller)
