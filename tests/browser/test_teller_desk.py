"""The teller's desk on a 1366×768 screen: the customer stays in view while every panel works.

The teller looks the customer up, runs the identity check, confirms the card and records the
wrap-up code after the call, and at each step the customer's video (``remote-video``) is inside the
teller's viewport and on top (nothing covers its centre). The wrap-up code can be recorded after
either side hangs up (it reaches ``service_feedback``). Disabled buttons look disabled, the inputs
beside their buttons have room, and every ``data-testid`` is on one element. Screenshots of every
step go to ``tests/artifacts/desk-*.png``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.browser.camera import ReactingCamera, StartCamera
from tests.browser.harness import CameraClips, LaunchParty, LiveServer, Party, save_screenshot
from tests.browser.steps import (
    WAIT_MS,
    assert_no_page_problems,
    expect_in_call,
    expect_wrap_up,
    finish_wrap_up,
    join_queue,
    open_customer_page,
    run_identity_check,
    sign_in_and_go_available,
)
from tests.browser.test_flows import enroll_pensioner, enter_pin
from tests.support.reacting_face import LiveFace
from video_bank.core_banking import demo

with contextlib.suppress(ImportError):
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

DESK = {"width": 1366, "height": 768}
PIN = "385921"
NAME = "Wang Xiulan"

# --- the identity check -------------------------------------------------------------------------------
# The customer's camera reacts to the prompts her phone shows (tests/browser/camera.py): the enrolled
# pensioner's face performs whatever the server draws.

IDENTITY_CHECK = pytest.mark.server_env(verification_preload=1)


async def passing_check(teller: Party, while_running: Callable[[], Awaitable[None]]) -> None:
    """The teller starts the check; ``while_running`` runs once, when the first action is asked; the
    check passes. An attempt that does not pass is started once more, as a teller would (the flow
    allows three): a server too busy to analyse can end one ``busy``, and an attempt that ran
    ``while_running`` may fail, which is not what this file tests."""
    ran: list[bool] = []

    async def once() -> None:
        await while_running()
        ran.append(True)

    outcomes = await run_identity_check(teller, when_asked=once, attempts=2)
    if outcomes == ["fail"]:
        outcomes += await run_identity_check(teller, attempts=1)
    assert outcomes[-1] == "pass" and ran and len(outcomes) <= 2, outcomes


# --- what the teller sees ------------------------------------------------------------------------------

JS_IN_VIEW = """
(element) => {
  const r = element.getBoundingClientRect();
  const centre = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {
    inside: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth,
    onTop: centre === element || element.contains(centre),
    size: [Math.round(r.width), Math.round(r.height)],
    box: [Math.round(r.left), Math.round(r.top), Math.round(r.right), Math.round(r.bottom)],
    viewport: [innerWidth, innerHeight],
    pageScrolled: scrollY,
  };
}
"""

JS_BUTTONS = """
() => [...document.querySelectorAll('button')]
  .filter((b) => b.getClientRects().length > 0 && b.getAttribute('aria-pressed') !== 'true')
  .map((b) => {
    const style = getComputedStyle(b);
    return {name: b.dataset.testid || b.id || b.textContent.trim(), disabled: b.disabled,
      background: style.backgroundColor, cursor: style.cursor};
  })
"""

JS_REPEATED_TEST_IDS = """
() => {
  const count = {};
  for (const element of document.querySelectorAll('[data-testid]')) {
    count[element.dataset.testid] = (count[element.dataset.testid] ?? 0) + 1;
  }
  return Object.entries(count).filter(([, n]) => n > 1);
}
"""


async def expect_in_view(
    teller: Party, test_id: str, step: str, *, min_size: tuple[int, int] = (0, 0)
) -> None:
    """The element is wholly inside the teller's viewport and nothing covers its centre."""
    state: dict[str, Any] = await teller.page.get_by_test_id(test_id).evaluate(JS_IN_VIEW)
    assert state["inside"] and state["onTop"], f"{step}: {test_id} is not in view: {state}"
    width, height = state["size"]
    assert width >= min_size[0] and height >= min_size[1], f"{step}: {test_id} is too small: {state}"


async def expect_customer_in_view(teller: Party, step: str, *, live: bool = True) -> None:
    """The customer's video is in view and large; while the call is on, it is playing."""
    await expect_in_view(teller, "remote-video", step, min_size=(480, 360))
    if live:
        video = await teller.page.get_by_test_id("remote-video").element_handle()
        shown = int(await video.get_attribute("data-frames") or 0)
        await teller.page.wait_for_function(
            "([v, n]) => Number(v.dataset.frames) > n", arg=[video, shown], timeout=WAIT_MS
        )
    await save_screenshot(teller, f"desk-{step}")


async def expect_desk_sound(teller: Party, step: str) -> None:
    """Disabled buttons look disabled (one look, none of the enabled ones'), and ids are unique."""
    buttons: list[dict[str, Any]] = await teller.page.evaluate(JS_BUTTONS)
    disabled = [b for b in buttons if b["disabled"]]
    enabled = [b for b in buttons if not b["disabled"]]
    looks = {b["background"] for b in disabled}
    assert disabled and len(looks) == 1, f"{step}: disabled buttons look different: {disabled}"
    assert all(b["cursor"] == "not-allowed" for b in disabled), f"{step}: {disabled}"
    like_disabled = [b["name"] for b in enabled if b["background"] in looks]
    assert not like_disabled, f"{step}: enabled buttons that look disabled: {like_disabled}"
    repeated = await teller.page.evaluate(JS_REPEATED_TEST_IDS)
    assert not repeated, f"{step}: data-testid on more than one element: {repeated}"


async def expect_wide(teller: Party, test_id: str, min_width: float = 150) -> None:
    box = await teller.page.get_by_test_id(test_id).bounding_box()
    assert box is not None and box["width"] >= min_width, f"{test_id} is {box} wide"


def dispositions(server: LiveServer) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(server.data_dir / "video_bank.sqlite3")) as db:
        rows = db.execute("SELECT disposition, disposition_by FROM service_feedback").fetchall()
    return [(str(code), str(by)) for code, by in rows]


async def start_desk(
    live_server: LiveServer,
    launch_party: LaunchParty,
    teller_camera: Path,
    customer_camera: Path | ReactingCamera,
    business: str,
) -> tuple[Party, Party]:
    """A teller at a 1366×768 desk in a call with a customer who has given consent."""
    teller = await launch_party("teller", teller_camera)
    customer = await launch_party("customer", customer_camera)
    await teller.page.set_viewport_size(DESK)
    await sign_in_and_go_available(teller, live_server, auto_accept=True)
    await expect_desk_sound(teller, "available")
    await open_customer_page(customer, live_server)
    await join_queue(customer, NAME, business)
    await expect_in_call(customer, teller, NAME)
    await expect(teller.page.get_by_test_id("customer-card")).to_have_attribute("data-state", "in-call")
    c = customer.page
    await c.get_by_test_id("consent-recording").check()
    await c.get_by_test_id("consent-biometric").check()
    await c.get_by_test_id("consent-submit").click()
    await expect(teller.page.get_by_test_id("lookup-id")).to_be_enabled(timeout=WAIT_MS)
    return customer, teller


async def record_wrap_up_code(teller: Party, server: LiveServer, code: str, step: str) -> None:
    """In wrap-up after the call: pick ``code`` and record it; it reaches the database."""
    t = teller.page
    await expect_wrap_up(teller)
    await expect(t.get_by_test_id("customer-card")).to_have_attribute("data-state", "ended")
    await expect(t.get_by_test_id("customer-name")).to_have_text(NAME)  # whose call is wrapped up
    row = t.get_by_test_id("flow-wrapup")
    await expect(row).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    await expect(t.get_by_test_id("flow-wrapup-submit")).to_be_enabled()
    await expect_wide(teller, "flow-wrapup-code")
    await t.get_by_test_id("flow-wrapup-code").select_option(code)
    await expect_in_view(teller, "flow-wrapup-code", step)
    await expect_customer_in_view(teller, f"{step}-code-chosen", live=False)
    await expect_desk_sound(teller, step)
    await t.get_by_test_id("flow-wrapup-submit").click()
    await expect(row).to_have_attribute("data-state", "recorded", timeout=WAIT_MS)
    await expect(t.get_by_test_id("flow-wrapup-submit")).to_be_disabled()
    await expect(t.get_by_test_id("flow-error")).to_be_hidden()
    await expect_customer_in_view(teller, f"{step}-code-recorded", live=False)
    assert dispositions(server) == [(code, "teller1")]


@IDENTITY_CHECK
async def test_the_customer_stays_in_view_through_lookup_identity_check_action_and_wrap_up(
    live_server: LiveServer,
    launch_party: LaunchParty,
    camera_clips: CameraClips,
    reacting_camera: StartCamera,
) -> None:
    camera = await reacting_camera(LiveFace("biden"))
    customer, teller = await start_desk(live_server, launch_party, camera_clips.teller, camera, "activation")
    await asyncio.to_thread(enroll_pensioner, live_server)
    t = teller.page
    await expect_customer_in_view(teller, "1-in-call")
    # The lowest panel (the co-browse mirror, a phone's height) scrolls beside the video, not it away.
    await t.get_by_test_id("cobrowse-request").scroll_into_view_if_needed()
    await expect_in_view(teller, "cobrowse-request", "cobrowse-panel")
    await expect_customer_in_view(teller, "1-cobrowse-panel")

    # The teller looks the customer up; the identity check then knows whom it verifies.
    await expect_wide(teller, "lookup-id")
    await t.get_by_test_id("lookup-id").fill(demo.PENSIONER.resident_id.number)
    await t.get_by_test_id("lookup-submit").click()
    await expect(t.get_by_test_id("customer-profile")).to_have_attribute(
        "data-customer-id", demo.PENSIONER.id, timeout=WAIT_MS
    )
    await expect(t.get_by_test_id("verification-customer-id")).to_have_value(demo.PENSIONER.id)
    await expect(t.get_by_test_id("action-confirm")).to_be_disabled()
    await expect_desk_sound(teller, "identified")
    await expect_customer_in_view(teller, "2-identified")

    async def while_running() -> None:
        await expect_in_view(teller, "challenge-progress", "identity-check")
        await expect_customer_in_view(teller, "3-identity-check")
        await expect_desk_sound(teller, "identity-check")

    await passing_check(teller, while_running)
    await expect_customer_in_view(teller, "4-verified")

    confirm = t.get_by_test_id("action-confirm")
    await expect(confirm).to_be_enabled(timeout=WAIT_MS)
    await expect(confirm).to_have_attribute("data-kind", "card_confirmed")
    await expect(t.get_by_test_id("flow-target")).to_have_value(demo.PENSIONER_CARD.id)
    await confirm.click()
    await expect(confirm).to_be_disabled(timeout=WAIT_MS)
    await expect_customer_in_view(teller, "5-card-confirmed")
    await expect_desk_sound(teller, "card-confirmed")

    pad = customer.page.get_by_test_id("flow-panel").get_by_test_id("pin-pad")
    await expect(pad).to_be_visible(timeout=WAIT_MS)
    await enter_pin(customer, PIN)
    await expect(pad).to_have_attribute("data-stage", "confirm")
    await enter_pin(customer, PIN)
    await expect(t.get_by_test_id("flow-console")).to_have_attribute(
        "data-status", "completed", timeout=WAIT_MS
    )
    await expect_customer_in_view(teller, "6-completed")

    # The customer hangs up before the code is recorded: the teller records it while wrapping up.
    await customer.page.get_by_test_id("hangup-button").click()
    await record_wrap_up_code(teller, live_server, "follow_up", "7-wrap-up")
    await finish_wrap_up(teller)
    await expect_customer_in_view(teller, "8-available", live=False)
    assert_no_page_problems(customer, teller)


async def test_after_the_teller_hangs_up_mid_business_the_wrap_up_code_is_still_recorded(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    customer, teller = await start_desk(
        live_server, launch_party, camera_clips.teller, camera_clips.customer, "password_reset"
    )
    c = customer.page
    await c.get_by_test_id("id-number").fill(demo.ACCOUNT_HOLDER.resident_id.number)
    await c.get_by_test_id("id-submit").click()
    await expect(teller.page.get_by_test_id("verification-customer-id")).to_have_value(
        demo.ACCOUNT_HOLDER.id, timeout=WAIT_MS
    )
    await expect_customer_in_view(teller, "hangup-1-identified")
    await teller.page.get_by_test_id("hangup-button").click()
    await expect(teller.page.get_by_test_id("flow-console")).to_have_attribute("data-status", "abandoned")
    await record_wrap_up_code(teller, live_server, "technical_problem", "hangup-2-wrap-up")
    assert_no_page_problems(customer, teller)
