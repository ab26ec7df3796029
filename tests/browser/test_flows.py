"""Business flows in Chromium: the customer's consent, ID number and PIN pad, the teller's profile,
checklist and action buttons, driven only through data-testid hooks and data-* state."""

from __future__ import annotations

import contextlib

import pytest

from tests.browser.harness import CameraClips, LaunchParty, LiveServer, Party
from tests.browser.steps import (
    WAIT_MS,
    assert_no_page_problems,
    expect_in_call,
    join_queue,
    open_customer_page,
    sign_in_and_go_available,
)
from video_bank.core_banking import demo

with contextlib.suppress(ImportError):  # without playwright the fixtures skip (fail in CI)
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

# The customer page also holds the co-browsing demo app, whose screens have their own `pin-pad`:
# the flow's hooks are looked up inside `flow-panel`.


async def expect_step(teller: Party, step: str, state: str) -> None:
    item = teller.page.get_by_test_id("flow-steps").locator(f'[data-step="{step}"]')
    await expect(item).to_have_attribute("data-state", state, timeout=WAIT_MS)


async def start_activation(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> tuple[Party, Party]:
    """A teller and a customer in an activation call; the customer is asked for consent."""
    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", camera_clips.customer)
    await sign_in_and_go_available(teller, live_server, auto_accept=True)
    await open_customer_page(customer, live_server)
    await join_queue(customer, "Wang Xiulan", "activation")
    await expect_in_call(customer, teller, "Wang Xiulan")
    panel = customer.page.get_by_test_id("flow-panel")
    await expect(panel).to_have_attribute("data-step", "consent", timeout=WAIT_MS)
    await expect(customer.page.get_by_test_id("consent-submit")).to_be_visible()
    await expect(customer.page.get_by_test_id("flow-panel").get_by_test_id("pin-pad")).to_be_hidden()
    await expect_step(teller, "consent", "current")
    return customer, teller


async def test_consent_and_id_number_on_the_phone_show_the_profile_and_checklist_to_the_teller(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    customer, teller = await start_activation(live_server, launch_party, camera_clips)
    page, console = customer.page, teller.page
    await expect(console.get_by_test_id("action-confirm")).to_be_disabled()
    await expect(console.get_by_test_id("action-reject")).to_be_disabled()

    await page.get_by_test_id("consent-recording").check()
    await page.get_by_test_id("consent-biometric").check()
    await page.get_by_test_id("consent-submit").click()
    await expect(page.get_by_test_id("flow-panel")).to_have_attribute(
        "data-step", "identification", timeout=WAIT_MS
    )
    id_number = page.get_by_test_id("id-number")
    await expect(id_number).to_have_attribute("data-sensitive", "")
    await expect(page.get_by_test_id("flow-panel").get_by_test_id("pin-pad")).to_have_attribute(
        "data-sensitive", ""
    )
    await id_number.fill("640104195306120026")  # wrong check character
    await page.get_by_test_id("id-submit").click()
    await expect(page.get_by_test_id("flow-error")).to_have_attribute(
        "data-code", "invalid_resident_id", timeout=WAIT_MS
    )
    await id_number.fill(demo.PENSIONER.resident_id.number)
    await page.get_by_test_id("id-submit").click()

    profile = console.get_by_test_id("customer-profile")
    await expect(profile).to_have_attribute("data-customer-id", demo.PENSIONER.id, timeout=WAIT_MS)
    await expect(profile).not_to_contain_text(demo.PENSIONER.resident_id.number)
    for step, state in (("consent", "done"), ("identification", "done"), ("verification", "current")):
        await expect_step(teller, step, state)
    await expect_step(teller, "set_pin", "pending")
    await expect(console.get_by_test_id("flow-console")).to_have_attribute("data-step", "verification")
    # Nothing to confirm before verification: the buttons stay disabled.
    await expect(console.get_by_test_id("action-confirm")).to_be_disabled()
    await expect(console.get_by_test_id("action-reject")).to_be_disabled()
    await expect(console.get_by_test_id("flow-cancel")).to_be_enabled()
    assert_no_page_problems(customer, teller)


async def test_a_refused_consent_ends_the_flow_and_the_customer_rates_the_service(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    customer, teller = await start_activation(live_server, launch_party, camera_clips)
    page, console = customer.page, teller.page
    await page.get_by_test_id("consent-recording").check()
    await page.get_by_test_id("consent-submit").click()  # biometric consent not given
    panel = page.get_by_test_id("flow-panel")
    await expect(panel).to_have_attribute("data-status", "declined", timeout=WAIT_MS)
    await expect(page.get_by_test_id("consent-submit")).to_be_hidden()
    await expect(console.get_by_test_id("flow-console")).to_have_attribute("data-status", "declined")
    await expect_step(teller, "consent", "failed")

    await expect(page.get_by_test_id("rating-submit")).to_be_disabled()
    await page.get_by_test_id("rating-4").click()
    await page.get_by_test_id("rating-submit").click()
    await expect(page.get_by_test_id("rating")).to_have_attribute("data-state", "sent")
    await expect(console.get_by_test_id("flow-wrapup-code")).to_have_value(
        "customer_declined", timeout=WAIT_MS
    )
    await console.get_by_test_id("flow-wrapup-submit").click()
    await expect(console.get_by_test_id("flow-wrapup-submit")).to_be_disabled(timeout=WAIT_MS)
    await expect(page.get_by_test_id("rating-submit")).to_be_hidden(timeout=WAIT_MS)
    assert_no_page_problems(customer, teller)
