"""The rating after the call, on the phone: however the call ended, the customer is asked for 1–5
points and a comment, in view; the rating reaches the server (over a new connection when the old
one is gone), is stored once against the session and counts in /metrics."""

from __future__ import annotations

import contextlib
import sqlite3
import urllib.request
from contextlib import closing
from typing import TYPE_CHECKING

import pytest

from tests.browser.harness import CameraClips, LaunchParty, LiveServer, Party
from tests.browser.phone_checks import check_step
from tests.browser.steps import (
    WAIT_MS,
    accept_offer,
    assert_no_page_problems,
    expect_in_call,
    join_queue,
    sign_in_and_go_available,
)

if TYPE_CHECKING:
    from playwright.async_api import WebSocketRoute

with contextlib.suppress(ImportError):
    from playwright.async_api import expect

pytestmark = pytest.mark.browser


def feedback_rows(server: LiveServer) -> list[tuple[str, int, str | None]]:
    with closing(sqlite3.connect(server.data_dir / "video_bank.sqlite3")) as db:
        return db.execute("SELECT business, rating, comment FROM service_feedback").fetchall()


def metrics(server: LiveServer) -> str:
    with urllib.request.urlopen(f"{server.base_url}/metrics", timeout=10) as response:
        return str(response.read().decode())


async def in_a_call(
    launch_party: LaunchParty, clips: CameraClips, server: LiveServer, url: str
) -> tuple[Party, Party]:
    teller = await launch_party("teller", clips.teller)
    customer = await launch_party("customer", clips.customer)
    await sign_in_and_go_available(teller, server)
    await customer.page.goto(url)
    await join_queue(customer, "Zhou Min", business="info_update")
    await accept_offer(teller, "Zhou Min")
    await expect_in_call(customer, teller, "Zhou Min")
    return customer, teller


async def rate(customer: Party, score: int, comment: str) -> None:
    page = customer.page
    rating = page.get_by_test_id("rating")
    await page.get_by_test_id(f"rating-{score}").click()
    await page.get_by_test_id("rating-comment").fill(comment)
    await page.get_by_test_id("rating-submit").click()
    await expect(rating).to_have_attribute("data-state", "recorded", timeout=WAIT_MS)


async def test_after_the_customer_hangs_up_the_phone_asks_for_the_rating_and_the_server_keeps_it(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    customer, teller = await in_a_call(
        launch_party, camera_clips, live_server, f"{live_server.base_url}/customer/"
    )
    page = customer.page
    await expect(page.get_by_test_id("rating")).to_be_hidden()
    await page.get_by_test_id("hangup-button").click()
    await expect(page.get_by_test_id("call-status")).to_have_attribute("data-state", "ended", timeout=WAIT_MS)
    await expect(page.get_by_test_id("rating")).to_be_visible()
    await check_step(
        page, "feedback", "after-hang-up", ["rating-1", "rating-5", "rating-comment", "rating-submit"]
    )
    # The comment field has a label a screen reader reads.
    assert await page.get_by_label("想对我们说的话（选填）").get_attribute("data-testid") == "rating-comment"
    await rate(customer, 5, "很方便")
    assert feedback_rows(live_server) == [("info_update", 5, "很方便")]
    figures = metrics(live_server)
    assert 'video_bank_service_ratings_total{score="5"} 1.0' in figures
    assert "video_bank_satisfaction 1.0" in figures
    assert "很方便" not in live_server.log_path.read_text()
    assert_no_page_problems(customer, teller)


@pytest.mark.server_env(resume_grace_seconds=0)
async def test_after_a_lost_connection_the_rating_goes_over_a_new_one(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    """In English this time; the phone's connection to the server dies in the middle of the call and,
    with no grace period, the call ends: the page's attempt to resume is refused (tests/browser/
    test_reconnect.py covers the call that comes back)."""
    sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = []

    def through(route: WebSocketRoute) -> None:
        sockets.append((route, route.connect_to_server()))

    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", camera_clips.customer)
    page = customer.page
    await page.route_web_socket("**/ws", through)
    await sign_in_and_go_available(teller, live_server)
    await page.goto(f"{live_server.base_url}/customer/?lang=en")
    assert await page.evaluate("() => document.documentElement.lang") == "en"
    await join_queue(customer, "Zhou Min", business="info_update")
    await accept_offer(teller, "Zhou Min")
    await expect_in_call(customer, teller, "Zhou Min")
    assert len(sockets) == 1

    phone_side, server_side = sockets[0]
    await server_side.close(code=1000, reason="network gone")  # the connection dies both ways
    await phone_side.close(code=1006, reason="network gone")
    await expect(page.get_by_test_id("call-status")).to_have_attribute("data-state", "ended", timeout=WAIT_MS)
    await expect(teller.page.get_by_test_id("call-status")).to_have_attribute(
        "data-state", "wrap-up", timeout=WAIT_MS
    )
    await expect(page.get_by_test_id("rating")).to_be_visible()
    await check_step(page, "feedback", "after-lost-connection-en", ["rating-1", "rating-5", "rating-submit"])
    await rate(customer, 2, "The picture froze.")
    assert len(sockets) == 2, "the rating did not go over a new connection"
    assert feedback_rows(live_server) == [("info_update", 2, "The picture froze.")]
    assert "video_bank_satisfaction 0.0" in metrics(live_server)
    assert_no_page_problems(customer, teller)
