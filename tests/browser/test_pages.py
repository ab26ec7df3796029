"""The pages' start states, sign-in errors, teller availability and the customer's place in line."""

from __future__ import annotations

import contextlib

import pytest

from tests.browser.harness import DEMO_SUPERVISOR, DEMO_TELLER, CameraClips, LaunchParty, LiveServer

with contextlib.suppress(ImportError):  # without playwright the fixtures skip (fail in CI)
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

WAIT_MS = 30_000


async def test_teller_sees_a_login_error_then_signs_in_and_switches_availability(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    teller = await launch_party("teller", camera_clips.teller)
    page = teller.page
    await page.goto(f"{live_server.base_url}/teller/")
    status = page.get_by_test_id("call-status")
    await expect(status).to_have_attribute("data-state", "offline")
    await expect(page.get_by_test_id("login-error")).to_be_hidden()
    for button in ("state-available", "state-away", "hangup-button"):
        await expect(page.get_by_test_id(button)).to_be_disabled()

    await page.get_by_test_id("username").fill(DEMO_TELLER)
    await page.get_by_test_id("password").fill("not-the-password")
    await page.get_by_test_id("login-button").click()
    await expect(page.get_by_test_id("login-error")).to_be_visible(timeout=WAIT_MS)
    await expect(status).to_have_attribute("data-state", "offline")

    await page.get_by_test_id("password").fill(live_server.demo_password)
    await page.get_by_test_id("login-button").click()
    await expect(status).to_have_attribute("data-state", "away", timeout=WAIT_MS)
    await expect(page.get_by_test_id("login-error")).to_be_hidden()
    await expect(page.get_by_test_id("state-away")).to_be_disabled()

    await expect(status).to_have_attribute("data-reason", "login")
    await expect(page.get_by_test_id("task-offer")).to_be_hidden()
    await expect(page.get_by_test_id("wrapup")).to_be_hidden()

    await page.get_by_test_id("state-available").click()
    await expect(status).to_have_attribute("data-state", "available", timeout=WAIT_MS)
    await expect(status).to_have_attribute("data-reason", "")
    await page.get_by_test_id("away-reason").select_option("meal")
    await page.get_by_test_id("state-away").click()
    await expect(status).to_have_attribute("data-state", "away", timeout=WAIT_MS)
    await expect(status).to_have_attribute("data-reason", "meal")
    await expect(page.get_by_test_id("state-available")).to_be_enabled()
    await expect(page.get_by_test_id("hangup-button")).to_be_disabled()
    assert not teller.problems, teller.problems


async def test_customer_waits_in_line_with_position_and_eta_then_leaves(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    customer = await launch_party("customer", camera_clips.customer)
    page = customer.page
    await page.goto(f"{live_server.base_url}/customer/")
    status = page.get_by_test_id("call-status")
    await expect(status).to_have_attribute("data-state", "idle")
    values = (
        await page.get_by_test_id("business-select")
        .locator("option")
        .evaluate_all("options => options.map(o => o.value).filter(Boolean)")
    )
    # A card review's customer side is the field officer's tablet: the phone does not offer it.
    assert values == ["activation", "password_reset", "info_update", "corporate_willingness"]

    await page.get_by_test_id("display-name").fill("Li Guoqiang")
    await page.get_by_test_id("business-select").select_option("password_reset")
    await page.get_by_test_id("join-button").click()
    await expect(status).to_have_attribute("data-state", "waiting", timeout=WAIT_MS)
    queue = page.get_by_test_id("queue-status")
    await expect(queue).to_have_attribute("data-position", "1", timeout=WAIT_MS)
    await expect(queue).to_have_attribute("data-lane", "standard")
    eta = await queue.get_attribute("data-eta-seconds")
    assert eta is not None
    assert eta.isdigit()
    await expect(page.get_by_test_id("join-button")).to_be_disabled()
    await expect(page.get_by_test_id("hangup-button")).to_be_disabled()

    await page.get_by_test_id("leave-queue-button").click()
    await expect(status).to_have_attribute("data-state", "idle", timeout=WAIT_MS)
    await expect(page.get_by_test_id("join-button")).to_be_enabled()
    await expect(page.get_by_test_id("queue-status")).to_be_hidden()
    assert not customer.problems, customer.problems


async def test_supervisor_sees_a_login_error_then_an_empty_dashboard(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    supervisor = await launch_party("supervisor", camera_clips.teller)
    page = supervisor.page
    await page.goto(f"{live_server.base_url}/supervisor/")
    await expect(page.get_by_test_id("queue-table")).to_be_hidden()
    await page.get_by_test_id("username").fill(DEMO_TELLER)  # a teller is not a supervisor
    await page.get_by_test_id("password").fill(live_server.demo_password)
    await page.get_by_test_id("login-button").click()
    await expect(page.get_by_test_id("login-error")).to_be_visible(timeout=WAIT_MS)

    await page.get_by_test_id("username").fill(DEMO_SUPERVISOR)
    await page.get_by_test_id("login-button").click()
    await expect(page.get_by_test_id("login-error")).to_be_hidden(timeout=WAIT_MS)
    for table in ("queue-table", "teller-table", "session-table"):
        await expect(page.get_by_test_id(table)).to_be_visible(timeout=WAIT_MS)
    snapshot_time = page.get_by_test_id("snapshot-time")
    await expect(snapshot_time).not_to_have_attribute("data-at", "", timeout=WAIT_MS)
    await expect(snapshot_time).to_have_attribute("data-stale", "false")
    await expect(page.get_by_test_id("service-level")).to_have_attribute("data-value", "")
    await expect(page.get_by_test_id("monitor-button")).to_have_count(0)
    assert not supervisor.problems, supervisor.problems
