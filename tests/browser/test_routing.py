"""Routing seen from the pages: offers a teller accepts, declines or misses, auto-accept, the
elderly lane that moves a pensioner ahead, and the one-tap "talk to a person now".
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from tests.browser.harness import (
    CameraClips,
    LaunchParty,
    LiveServer,
    resident_id,
    save_screenshot,
    with_wrong_check_character,
)
from tests.browser.steps import (
    WAIT_MS,
    accept_offer,
    assert_no_page_problems,
    expect_in_call,
    expect_offer,
    expect_waiting,
    join_queue,
    open_customer_page,
    sign_in_and_go_available,
)

with contextlib.suppress(ImportError):  # without playwright the fixtures skip (fail in CI)
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

PENSIONER_ID = resident_id(dt.date(1950, 1, 1))
"""Someone 60 or over (born 1950-01-01), with a valid check character."""
YOUNG_ID = resident_id(dt.date(2000, 1, 1))
"""Someone under 60."""


async def test_teller_declines_the_offer_and_takes_the_customer_when_available_again(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", camera_clips.customer)
    await sign_in_and_go_available(teller, live_server)
    await open_customer_page(customer, live_server)

    await join_queue(customer, "Zhao Min", business="password_reset")
    await expect_offer(teller, "Zhao Min")
    await teller.page.get_by_test_id("offer-reject").click()
    status = teller.page.get_by_test_id("call-status")
    await expect(status).to_have_attribute("data-state", "away", timeout=WAIT_MS)
    await expect(status).to_have_attribute("data-reason", "rejected")
    await expect(teller.page.get_by_test_id("task-offer")).to_be_hidden()
    await expect(teller.page.get_by_test_id("teller-notice")).to_be_visible()
    await expect_waiting(customer, position=1)

    # Available again: the declined customer kept their place and is offered again at once.
    await teller.page.get_by_test_id("state-available").click()
    await accept_offer(teller, "Zhao Min")
    await expect_in_call(customer, teller, "Zhao Min")
    assert_no_page_problems(customer, teller)


async def test_teller_with_auto_accept_is_connected_without_an_offer(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", camera_clips.customer)
    await sign_in_and_go_available(teller, live_server, auto_accept=True)
    await open_customer_page(customer, live_server)

    await join_queue(customer, "Sun Hua")
    await expect_in_call(customer, teller, "Sun Hua")
    await expect(teller.page.get_by_test_id("task-offer")).to_be_hidden()
    await expect(teller.page.get_by_test_id("auto-accept")).to_be_checked()
    assert_no_page_problems(customer, teller)


@pytest.mark.routing(offer_timeout_seconds=2)
async def test_an_unanswered_offer_is_withdrawn_and_the_teller_goes_away(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", camera_clips.customer)
    await sign_in_and_go_available(teller, live_server)
    await open_customer_page(customer, live_server)

    await join_queue(customer, "Qian Li")
    await expect_offer(teller, "Qian Li")
    status = teller.page.get_by_test_id("call-status")
    await expect(status).to_have_attribute("data-state", "away", timeout=WAIT_MS)
    await expect(status).to_have_attribute("data-reason", "no_answer")
    await expect(teller.page.get_by_test_id("task-offer")).to_be_hidden()
    await expect(teller.page.get_by_test_id("teller-notice")).to_be_visible()
    await save_screenshot(teller, "offer-timed-out-teller")
    await expect_waiting(customer, position=1)
    assert_no_page_problems(customer, teller)


async def test_an_elderly_customer_moves_ahead_and_the_waiting_customer_sees_position_and_eta_change(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    younger = await launch_party("customer-younger", camera_clips.customer)
    elder = await launch_party("customer-elder", camera_clips.customer)
    for customer in (younger, elder):
        await open_customer_page(customer, live_server)

    await join_queue(younger, "Zhou Jie")
    first_eta = await expect_waiting(younger, position=1)
    await join_queue(elder, "Wu Guilan", resident_id=PENSIONER_ID)
    await expect_waiting(elder, position=1, lane="elderly")
    second_eta = await expect_waiting(younger, position=2)
    assert second_eta > first_eta, (first_eta, second_eta)
    await save_screenshot(younger, "queue-moved-back-customer")
    await save_screenshot(elder, "queue-priority-customer")

    # The elderly customer is offered first, with the badge, once a teller is free.
    teller = await launch_party("teller", camera_clips.teller)
    await sign_in_and_go_available(teller, live_server, then="reserved")
    await accept_offer(teller, "Wu Guilan", elderly=True)
    await expect_in_call(elder, teller, "Wu Guilan")
    await expect(teller.page.get_by_test_id("customer-elderly")).to_be_visible()
    await expect_waiting(younger, position=1)
    assert_no_page_problems(younger, elder, teller)


async def test_talk_now_refuses_young_and_invalid_id_numbers_and_serves_a_pensioner_first(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    customer = await launch_party("customer", camera_clips.customer)
    page = customer.page
    await open_customer_page(customer, live_server)
    status = page.get_by_test_id("call-status")
    error = page.get_by_test_id("join-error")
    await expect(error).to_be_hidden()

    await page.get_by_test_id("resident-id").fill(YOUNG_ID)
    await page.get_by_test_id("talk-now").click()
    await expect(error).to_be_visible(timeout=WAIT_MS)
    await expect(error).to_have_attribute("data-code", "not_eligible")
    await expect(error).not_to_have_text("")
    await expect(status).to_have_attribute("data-state", "idle")
    await expect(page.get_by_test_id("queue-status")).to_be_hidden()
    await expect(page.get_by_test_id("talk-now")).to_be_enabled()
    await save_screenshot(customer, "talk-now-not-eligible-customer")

    await page.get_by_test_id("resident-id").fill(with_wrong_check_character(PENSIONER_ID))
    await expect(error).to_be_hidden()
    await page.get_by_test_id("talk-now").click()
    await expect(error).to_have_attribute("data-code", "invalid_resident_id", timeout=WAIT_MS)
    await expect(error).to_be_visible()

    await page.get_by_test_id("resident-id").fill(PENSIONER_ID)
    await page.get_by_test_id("talk-now").click()
    await expect_waiting(customer, position=1, lane="elderly")
    await expect(error).to_be_hidden()
    await save_screenshot(customer, "talk-now-waiting-customer")

    logged = "\n".join(customer.console)
    for number in (YOUNG_ID, PENSIONER_ID, PENSIONER_ID[:-1]):
        assert number not in logged, "the page logged a resident ID number"
    assert_no_page_problems(customer)
