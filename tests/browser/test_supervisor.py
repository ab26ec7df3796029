"""The supervisor page follows the live queue, the teller's states, a live call and the service level."""

from __future__ import annotations

import contextlib

import pytest

from tests.browser.harness import DEMO_TELLER, CameraClips, LaunchParty, LiveServer, save_screenshot
from tests.browser.steps import (
    WAIT_MS,
    accept_offer,
    assert_no_page_problems,
    expect_in_call,
    expect_waiting,
    go_available,
    join_queue,
    open_customer_page,
    sign_in_supervisor,
    sign_in_teller,
)

with contextlib.suppress(ImportError):  # without playwright the fixtures skip (fail in CI)
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

CUSTOMER_NAME = "Feng Xiaoyu"


async def test_supervisor_sees_the_queue_then_a_live_call_and_its_service_level(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    supervisor = await launch_party("supervisor", camera_clips.teller)
    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", camera_clips.customer)
    await sign_in_supervisor(supervisor, live_server)
    board = supervisor.page
    level = board.get_by_test_id("service-level")
    await expect(level).to_have_attribute("data-value", "")

    await sign_in_teller(teller, live_server)
    teller_row = board.get_by_test_id("teller-table").locator(f'tr[data-username="{DEMO_TELLER}"]')
    await expect(teller_row).to_have_attribute("data-state", "away", timeout=WAIT_MS)
    await expect(teller_row).to_have_attribute("data-reason", "login")

    await open_customer_page(customer, live_server)
    await join_queue(customer, CUSTOMER_NAME, business="info_update")
    await expect_waiting(customer, position=1)
    queue_row = board.get_by_test_id("queue-table").locator(
        'tr[data-business="info_update"][data-lane="standard"]'
    )
    await expect(queue_row).to_have_attribute("data-waiting", "1", timeout=WAIT_MS)
    await save_screenshot(supervisor, "supervisor-queue")

    await go_available(teller, then="reserved")
    await accept_offer(teller, CUSTOMER_NAME)
    await expect_in_call(customer, teller, CUSTOMER_NAME)

    sessions = board.get_by_test_id("session-table").locator("tr[data-session-id]")
    await expect(sessions).to_have_count(1, timeout=WAIT_MS)
    await expect(sessions).to_contain_text(CUSTOMER_NAME)
    await expect(sessions).to_have_attribute("data-state", "active", timeout=WAIT_MS)  # media flows
    monitor = sessions.get_by_test_id("monitor-button")
    await expect(monitor).to_be_visible()
    await expect(monitor).to_be_enabled()  # silent monitoring itself: test_monitoring.py
    assert await monitor.get_attribute("title"), "the monitor button says what it does"
    await expect(teller_row).to_have_attribute("data-state", "in-call", timeout=WAIT_MS)
    await expect(queue_row).to_have_count(0)

    await expect(level).not_to_have_attribute("data-value", "", timeout=WAIT_MS)
    value = float(await level.get_attribute("data-value") or "nan")
    assert value == 1.0, f"the one customer was answered within the threshold, got {value}"
    await save_screenshot(supervisor, "supervisor-live-call")
    assert_no_page_problems(supervisor, teller, customer)
