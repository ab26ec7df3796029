"""Identity check in the browsers: the teller starts it, the customer's phone shows and speaks each
asked action, the teller's console shows progress and the server's verdict.

The customer's camera reacts to what the phone shows (tests/browser/camera.py): a live face performs
each prompt the server drew (unpredictable, as in production), a printed photo held up to the camera
mimics them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sqlite3
import time
from contextlib import closing
from typing import Any

import pytest

from tests.browser.camera import ReactingCamera, StartCamera
from tests.browser.harness import CameraClips, LaunchParty, LiveServer, Party, save_screenshot
from tests.browser.steps import (
    SPEECH_SPY,
    WAIT_MS,
    accept_offer,
    assert_no_page_problems,
    expect_in_call,
    join_queue,
    open_customer_page,
    run_identity_check,
    sign_in_and_go_available,
)
from tests.support.faces import face_path
from tests.support.reacting_face import HeldPhoto, LiveFace
from verification.analysis import DlibAnalyzer
from verification.reference_store import ReferenceStore, parse_key
from video_bank.config import Settings
from video_bank.verification_setup import reference_key_text

with contextlib.suppress(ImportError):
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

CUSTOMER_ID = "cus_browser_obama"
ANY_ACTION = re.compile("^(blink|open_mouth|turn_left|turn_right|nod)$")
DESK_VIEWPORT = {"width": 1366, "height": 900}

PEER_SPY = """
window.__peerConnections = [];
window.RTCPeerConnection = class extends window.RTCPeerConnection {
  constructor(...args) {
    super(...args);
    window.__peerConnections.push(this);
  }
};
"""
"""Init script keeping every peer connection the page makes (``window.__peerConnections``)."""

JS_DEGRADATION = """
() => {
  const sender = window.__peerConnections.at(-1)?.getSenders().find((s) => s.track?.kind === 'video');
  return sender ? String(sender.getParameters().degradationPreference) : 'no video sender';
}
"""
"""The ``degradationPreference`` of the page's video sender, as the browser holds it."""


JS_VERDICT_WORDS = """
async () => {
  const {TABLES} = await import('/teller/strings.js');
  const result = document.querySelector('[data-testid=verification-result]');
  return {
    table: TABLES['zh-CN'],
    outcome: result.querySelector('.outcome').textContent,
    reasons: [...result.querySelectorAll('li[data-code]')].map((li) => [li.dataset.code, li.textContent]),
    factCodes: [...result.querySelectorAll('dd[data-fact]')].map((dd) => dd.dataset.fact),
    facts: [...result.querySelectorAll('dt')].map((dt) => dt.textContent),
  };
}
"""
"""What the teller's verdict says, beside the console's Chinese strings."""


def enroll(server: LiveServer) -> None:
    settings = Settings(data_dir=server.data_dir)
    store = ReferenceStore(
        settings.data_dir / "references", parse_key(reference_key_text(settings)), time.time
    )
    store.enroll(CUSTOMER_ID, face_path("obama.jpg").read_bytes(), DlibAnalyzer())


def decided(server: LiveServer) -> dict[str, Any]:
    """The teller's view of the server's last decision, from the event log."""
    with closing(sqlite3.connect(server.data_dir / "video_bank.sqlite3")) as db:
        query = "SELECT data FROM events WHERE kind = 'verification_decided' ORDER BY seq"
        rows = db.execute(query).fetchall()
    data = rows[-1][0]  # the last attempt's
    result: dict[str, Any] = json.loads(data)
    return result


async def call(
    launch_party: LaunchParty, server: LiveServer, camera_clips: CameraClips, camera: ReactingCamera
) -> tuple[Party, Party]:
    await asyncio.to_thread(enroll, server)
    teller = await launch_party("teller", camera_clips.teller)
    await teller.page.set_viewport_size(DESK_VIEWPORT)  # type: ignore[arg-type]
    customer = await launch_party("customer", camera)
    await customer.context.add_init_script(SPEECH_SPY)
    await customer.context.add_init_script(PEER_SPY)
    await sign_in_and_go_available(teller, server)
    await open_customer_page(customer, server)
    await join_queue(customer, "Zhao Lei")
    await accept_offer(teller, "Zhao Lei")
    await expect_in_call(customer, teller, "Zhao Lei")
    return customer, teller


@pytest.mark.server_env(verification_preload=1)
async def test_a_live_customer_passes_the_check_in_the_browsers(
    launch_party: LaunchParty,
    live_server: LiveServer,
    camera_clips: CameraClips,
    reacting_camera: StartCamera,
) -> None:
    camera = await reacting_camera(LiveFace("obama"))
    customer, teller = await call(launch_party, live_server, camera_clips, camera)
    await expect(teller.page.get_by_test_id("remote-video")).to_have_attribute(
        "data-frames", re.compile("^[1-9]"), timeout=WAIT_MS
    )
    before = await customer.page.evaluate(JS_DEGRADATION)
    assert before not in ("maintain-resolution", "no video sender")
    await teller.page.get_by_test_id("verification-customer-id").fill(CUSTOMER_ID)
    prompt = customer.page.get_by_test_id("challenge-prompt")

    async def prompted() -> None:
        await expect(prompt).to_have_attribute("data-action", ANY_ACTION, timeout=WAIT_MS)
        # While the server checks the face, the phone keeps the video's resolution under load.
        await customer.page.wait_for_function(
            f"({JS_DEGRADATION})() === 'maintain-resolution'", timeout=WAIT_MS
        )

    outcomes = await run_identity_check(teller, when_asked=prompted)
    assert outcomes[-1] == "pass", outcomes
    # ... and gives the browser its own choice back once the verdict is in.
    await customer.page.wait_for_function(f"({JS_DEGRADATION})() === {json.dumps(before)}", timeout=WAIT_MS)
    progress = teller.page.get_by_test_id("challenge-progress").locator("li")
    await expect(progress).to_have_count(3)
    # The teller sees the actions in the order the server drew them, which is the order the phone asked.
    drawn = decided(live_server)["sequence"]
    assert [await li.get_attribute("data-action") for li in await progress.all()] == drawn
    assert [p.action.value for p in camera.prompts if p.attempt_try == 1][-len(drawn) :] == drawn
    assert {await li.get_attribute("data-status") for li in await progress.all()} == {"passed"}
    status = customer.page.get_by_test_id("verification-status")
    await expect(status).to_have_attribute("data-status", "passed", timeout=WAIT_MS)
    spoken = await customer.page.evaluate("window.__spoken")
    assert len(spoken) >= 5, spoken  # start, three prompts, the verdict
    assert all(s["lang"] for s in spoken)
    # The customer's page never gets the scores.
    assert "match" not in (await customer.page.get_by_test_id("verification-panel").inner_text()).lower()
    assert_no_page_problems(customer, teller)


@pytest.mark.server_env(verification_preload=1, verification_fps=4)
async def test_a_live_customer_on_a_throttled_server_passes_or_is_told_it_was_busy_never_failed(
    launch_party: LaunchParty,
    live_server: LiveServer,
    camera_clips: CameraClips,
    reacting_camera: StartCamera,
) -> None:
    """The server analyses at most 4 frames a second: a live customer passes, or the check ends
    ``busy`` and both pages say so (not the customer's fault); never ``fail``."""
    camera = await reacting_camera(LiveFace("obama"))
    customer, teller = await call(launch_party, live_server, camera_clips, camera)
    await teller.page.get_by_test_id("verification-customer-id").fill(CUSTOMER_ID)
    outcomes = await run_identity_check(teller, attempts=1)
    assert outcomes in (["pass"], ["busy"]), outcomes
    status = customer.page.get_by_test_id("verification-status")
    shown = {"pass": "passed", "busy": "busy"}[outcomes[0]]
    await expect(status).to_have_attribute("data-status", shown, timeout=WAIT_MS)
    assert_no_page_problems(customer, teller)


@pytest.mark.server_env(verification_preload=1)
async def test_a_photo_held_up_to_the_camera_fails_in_the_browsers(
    launch_party: LaunchParty,
    live_server: LiveServer,
    camera_clips: CameraClips,
    reacting_camera: StartCamera,
) -> None:
    camera = await reacting_camera(HeldPhoto("obama", mimics_prompts=True))
    customer, teller = await call(launch_party, live_server, camera_clips, camera)
    await teller.page.get_by_test_id("verification-customer-id").fill(CUSTOMER_ID)
    outcomes = await run_identity_check(teller)
    assert outcomes[-1] == "fail", outcomes
    result = teller.page.get_by_test_id("verification-result")
    await expect(result.locator("li[data-code]").first).to_be_visible()
    # The console is in Chinese (its default): the verdict's reasons and facts too, never the
    # server's English explanation.
    assert await teller.page.evaluate("document.documentElement.lang") == "zh-CN"
    shown = await teller.page.evaluate(JS_VERDICT_WORDS)
    server = {reason["code"]: reason["text"] for reason in decided(live_server)["reasons"]}
    assert [code for code, _ in shown["reasons"]] == list(server)
    for code, text in shown["reasons"]:
        assert text == shown["table"][f"verify.reason.{code}"] and text != server[code], code
    assert shown["facts"] == [shown["table"][f"verify.fact.{fact}"] for fact in shown["factCodes"]]
    assert shown["outcome"] == shown["table"]["verify.outcome.fail"]
    await result.scroll_into_view_if_needed()
    await save_screenshot(teller, "verification-zh-CN-teller-result")
    await expect(customer.page.get_by_test_id("verification-status")).to_have_attribute(
        "data-status", "failed", timeout=WAIT_MS
    )
    assert_no_page_problems(customer, teller)


@pytest.mark.server_env(
    verification_preload=1,
    match_accept=0.02,
    match_review=0.5,
    review_four_eyes=1,
)
async def test_a_review_is_resolved_by_the_teller_beside_the_reference_photo_with_four_eyes(
    launch_party: LaunchParty,
    live_server: LiveServer,
    camera_clips: CameraClips,
    reacting_camera: StartCamera,
) -> None:
    """This bank accepts only below 0.02, so the genuine customer (same photo, ~0.06) goes to review."""
    camera = await reacting_camera(LiveFace("obama"))
    customer, teller = await call(launch_party, live_server, camera_clips, camera)
    await teller.page.get_by_test_id("verification-customer-id").fill(CUSTOMER_ID)
    outcomes = await run_identity_check(teller)
    page = teller.page
    verdict = page.get_by_test_id("verification-result")
    codes = [await li.get_attribute("data-code") for li in await verdict.locator("li[data-code]").all()]
    assert outcomes[-1] == "review", (outcomes, codes)
    await expect(customer.page.get_by_test_id("verification-status")).to_have_attribute(
        "data-status", "teller_check", timeout=WAIT_MS
    )
    review = page.get_by_test_id("review-panel")
    await expect(review).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    await expect(review).to_have_attribute("data-four-eyes", "true")
    for testid in ("review-reference", "review-keyframe"):
        picture = page.get_by_test_id(testid)
        await expect(picture).to_have_attribute("data-loaded", "true")
        assert await picture.evaluate("img => img.complete && img.naturalWidth > 100")
    distance = float(await page.get_by_test_id("review-distance").get_attribute("data-distance") or "nan")
    assert 0.02 < distance <= 0.5
    await save_screenshot(teller, "verification-review")

    accept, reject = page.get_by_test_id("review-accept"), page.get_by_test_id("review-reject")
    await expect(accept).to_be_disabled()
    await page.get_by_test_id("review-reason").select_option("matches_reference")
    await expect(accept).to_be_enabled()
    await expect(reject).to_be_disabled()
    await accept.click()  # without the second staff member: refused, the form stays open
    await expect(page.get_by_test_id("verification-refused")).to_have_attribute(
        "data-reason", "second_staff_required", timeout=WAIT_MS
    )
    await expect(review).to_have_attribute("data-state", "open")
    await page.get_by_test_id("review-second-username").fill("teller2")
    await page.get_by_test_id("review-second-password").fill(live_server.demo_password)
    await page.get_by_test_id("review-comment").fill("older photo, same person")
    await accept.click()

    result = page.get_by_test_id("review-result")
    await expect(result).to_have_attribute("data-accept", "true", timeout=WAIT_MS)
    await expect(result).to_have_attribute("data-by", "teller1")
    await expect(result).to_have_attribute("data-second", "teller2")
    await expect(review).to_have_attribute("data-state", "resolved")
    await expect(page.get_by_test_id("review-reference")).to_have_attribute("data-loaded", "false")
    await expect(customer.page.get_by_test_id("verification-status")).to_have_attribute(
        "data-status", "passed", timeout=WAIT_MS
    )
    assert_no_page_problems(customer, teller)
