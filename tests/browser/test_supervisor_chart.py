"""The supervisor's picture of the day (``wait-chart``): each answered customer lands in its quarter
hour and its lane, elderly beside the others; the console is Chinese by default and English on
request. Screenshots of both go to tests/artifacts/."""

from __future__ import annotations

import contextlib
import datetime as dt
from itertools import pairwise
from typing import Any

import pytest

from tests.browser.harness import CameraClips, LaunchParty, LiveServer, Party, resident_id, save_screenshot
from tests.browser.steps import (
    WAIT_MS,
    assert_no_page_problems,
    expect_in_call,
    join_queue,
    open_customer_page,
    sign_in_and_go_available,
    sign_in_supervisor,
)

with contextlib.suppress(ImportError):  # without playwright the fixtures skip (fail in CI)
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

ELDER_ID = resident_id(dt.date(1948, 3, 9))

SLOT_FIGURES = """
(chart) => [...chart.querySelectorAll('g.slot')].map((slot) => ({
  start: Number(slot.dataset.start),
  standard: Number(slot.dataset.standardAnswered),
  elderly: Number(slot.dataset.elderlyAnswered),
  standardWait: slot.dataset.standardWait,
  elderlyWait: slot.dataset.elderlyWait,
}))
"""


async def call_and_hang_up(
    customer: Party, teller: Party, server: LiveServer, name: str, resident: str | None
) -> None:
    """One customer answered at once by the auto-accepting teller; the call ends, wrap-up is skipped."""
    await open_customer_page(customer, server)
    await join_queue(customer, name, "activation", resident_id=resident)
    await expect_in_call(customer, teller, name)
    await customer.page.get_by_test_id("hangup-button").click()
    await expect(customer.page.get_by_test_id("call-status")).to_have_attribute(
        "data-state", "ended", timeout=WAIT_MS
    )
    await teller.page.get_by_test_id("wrapup-done").click()
    await expect(teller.page.get_by_test_id("call-status")).to_have_attribute(
        "data-state", "available", timeout=WAIT_MS
    )


async def chart_slots(supervisor: Party) -> list[dict[str, Any]]:
    chart = supervisor.page.get_by_test_id("wait-chart")
    await expect(chart).to_have_attribute("data-answered", "2", timeout=WAIT_MS)
    await expect(chart).to_have_attribute("data-state", "drawn")
    slots: list[dict[str, Any]] = await chart.evaluate(SLOT_FIGURES)
    return slots


async def test_the_chart_shows_todays_waits_per_quarter_hour_with_the_elderly_beside_the_others(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    supervisor = await launch_party("supervisor", camera_clips.teller)
    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", camera_clips.customer)
    await sign_in_supervisor(supervisor, live_server)
    board = supervisor.page
    assert await board.evaluate("() => document.documentElement.lang") == "zh-CN"
    chart = board.get_by_test_id("wait-chart")
    await expect(chart).to_have_attribute("data-state", "empty", timeout=WAIT_MS)
    await expect(chart).to_have_attribute("data-intervals", "0")
    await expect(board.get_by_test_id("review-pass-rate")).to_have_attribute("data-value", "")

    await sign_in_and_go_available(teller, live_server, auto_accept=True)
    await call_and_hang_up(customer, teller, live_server, "Sun Jing", None)
    await call_and_hang_up(customer, teller, live_server, "Grandpa Ma", ELDER_ID)

    slots = await chart_slots(supervisor)
    assert slots, "at least the current quarter hour is drawn"
    starts = [slot["start"] for slot in slots]
    assert starts == sorted(starts)
    assert all(b - a == 900 for a, b in pairwise(starts)), "one slot per 15 minutes"
    assert sum(slot["standard"] for slot in slots) == 1
    assert sum(slot["elderly"] for slot in slots) == 1
    elderly_slot = next(slot for slot in slots if slot["elderly"])
    assert float(elderly_slot["elderlyWait"]) >= 0
    level = board.get_by_test_id("service-level")
    await expect(level).to_have_attribute("data-today", "1")
    await save_screenshot(supervisor, "supervisor-chart-zh-CN")

    await board.goto(f"{live_server.base_url}/supervisor/?lang=en")
    assert await board.evaluate("() => document.documentElement.lang") == "en"
    await board.get_by_test_id("username").fill("super1")
    await board.get_by_test_id("password").fill(live_server.demo_password)
    await board.get_by_test_id("login-button").click()
    again = await chart_slots(supervisor)
    assert [(s["standard"], s["elderly"]) for s in again if s["standard"] or s["elderly"]] == [
        (s["standard"], s["elderly"]) for s in slots if s["standard"] or s["elderly"]
    ]
    await save_screenshot(supervisor, "supervisor-chart-en")
    assert_no_page_problems(supervisor, teller, customer)
