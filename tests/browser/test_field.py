"""The field officer's tablet (/field/) in Chromium: a whole remote card review with the customer
beside the tablet — sign-in as field1, the customer and the card entered, the queue, the customer's
consent on the tablet, the ID number sent by itself (or typed again after a refusal), a real identity
check on the customer's face through the tablet's camera, the teller's decision with a reason code,
and the outcome on the tablet; core banking changed exactly so, and the supervisor's pass rate counts
it. Screenshots at both tablet sizes in both languages go to tests/artifacts/.

The tablet's camera reacts to the prompts the tablet shows (tests/browser/camera.py): the enrolled
customer's face performs whatever the server draws.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sqlite3
import time
from contextlib import closing

import pytest

from tests.browser.camera import StartCamera
from tests.browser.harness import (
    CameraClips,
    LaunchParty,
    LiveServer,
    Party,
    resident_id,
    save_screenshot,
)
from tests.browser.steps import (
    SPEECH_SPY,
    WAIT_MS,
    assert_no_page_problems,
    run_identity_check,
    sign_in_and_go_available,
    sign_in_supervisor,
)
from tests.support.faces import face_path
from tests.support.reacting_face import LiveFace
from verification.analysis import DlibAnalyzer
from verification.reference_store import ReferenceStore, parse_key
from video_bank.config import Settings
from video_bank.core_banking import demo
from video_bank.verification_setup import reference_key_text

with contextlib.suppress(ImportError):  # without playwright the fixtures skip (fail in CI)
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

FIELD_OFFICER = "field1"
LANDSCAPE = {"width": 1024, "height": 768}
PORTRAIT = {"width": 768, "height": 1024}
CUSTOMER = demo.ACCOUNT_HOLDER
"""The holder of the field-issued card; their reference photo is obama.jpg."""
MASKED_CARD = "****" + demo.FIELD_CARD.number[-4:]


# --- the identity check --------------------------------------------------------------------------------


async def identity_check(tablet: Party, teller: Party) -> None:
    """The teller runs the face check on the customer the tablet's camera shows; it passes."""
    outcomes = await run_identity_check(teller)
    assert outcomes[-1] == "pass", outcomes


# --- steps -------------------------------------------------------------------------------------------


def enroll_customer(server: LiveServer) -> None:
    settings = Settings(data_dir=server.data_dir)
    store = ReferenceStore(
        settings.data_dir / "references", parse_key(reference_key_text(settings)), time.time
    )
    store.enroll(CUSTOMER.id, face_path("obama.jpg").read_bytes(), DlibAnalyzer())


def field_card(server: LiveServer) -> tuple[str, str, str | None]:
    with closing(sqlite3.connect(server.data_dir / "video_bank.sqlite3")) as db:
        row = db.execute(
            "SELECT status, review, review_reason FROM core_social_security_cards WHERE id = ?",
            (demo.FIELD_CARD.id,),
        ).fetchone()
    return row[0], row[1], row[2]


async def open_tablet(tablet: Party, server: LiveServer, lang: str, viewport: dict[str, int]) -> None:
    """Open /field/ in ``lang`` (the default when ``zh-CN``) and sign in as the field officer."""
    page = tablet.page
    await page.set_viewport_size(viewport)  # type: ignore[arg-type]
    await page.goto(f"{server.base_url}/field/" + ("" if lang == "zh-CN" else f"?lang={lang}"))
    assert await page.evaluate("() => document.documentElement.lang") == lang
    status = page.get_by_test_id("call-status")
    await expect(status).to_have_attribute("data-state", "offline")
    await save_screenshot(tablet, f"field-{lang}-{viewport['width']}x{viewport['height']}-sign-in")
    await page.get_by_test_id("username").fill(FIELD_OFFICER)
    await page.get_by_test_id("password").fill(server.demo_password)
    await page.get_by_test_id("login-button").click()
    await expect(status).to_have_attribute("data-state", "idle", timeout=WAIT_MS)


async def start_review(tablet: Party, id_number: str) -> None:
    """Enter the customer and the card and join the card-review queue."""
    page = tablet.page
    await page.get_by_test_id("display-name").fill(CUSTOMER.name)
    await page.get_by_test_id("resident-id").fill(id_number)
    await page.get_by_test_id("card-number").fill(demo.FIELD_CARD.number)
    await page.get_by_test_id("join-button").click()


async def expect_step(tablet: Party, step: str, state: str) -> None:
    item = tablet.page.get_by_test_id("review-steps").locator(f'[data-step="{step}"]')
    await expect(item).to_have_attribute("data-state", state, timeout=WAIT_MS)


async def consent(tablet: Party) -> None:
    """The customer ticks both consents on the tablet."""
    page = tablet.page
    await expect(page.get_by_test_id("consent")).to_be_visible(timeout=WAIT_MS)
    await page.get_by_test_id("consent-recording").check()
    await page.get_by_test_id("consent-biometric").check()
    await page.get_by_test_id("consent-submit").click()
    await expect(page.get_by_test_id("consent")).to_be_hidden(timeout=WAIT_MS)


async def teller_decides(teller: Party, *, approve: bool, reason: str) -> None:
    console = teller.page
    step = console.get_by_test_id("flow-steps").locator('[data-step="review_card"]')
    await expect(step).to_have_attribute("data-state", "current", timeout=WAIT_MS)
    await expect(console.get_by_test_id("flow-target")).to_have_value(demo.FIELD_CARD.id)
    if approve:
        await console.get_by_test_id("action-confirm").click()
    else:
        await console.get_by_test_id("flow-reason-code").select_option(reason)
        await console.get_by_test_id("action-reject").click()


async def review_ready(tablet: Party, teller: Party) -> None:
    """Both in the call, consent given, the ID number accepted: the face check is next."""
    await expect(teller.page.get_by_test_id("call-status")).to_have_attribute(
        "data-state", "in-call", timeout=WAIT_MS
    )
    await expect(tablet.page.get_by_test_id("call-status")).to_have_attribute(
        "data-state", "in-call", timeout=WAIT_MS
    )
    await expect(tablet.page.get_by_test_id("review-panel")).to_be_visible()
    await consent(tablet)
    await expect_step(tablet, "consent", "done")


async def finish_review(tablet: Party, teller: Party, outcome: str, reason: str) -> None:
    page = tablet.page
    card = page.get_by_test_id("review-card")
    await expect(card).to_have_attribute("data-card", MASKED_CARD, timeout=WAIT_MS)
    await expect(card).to_have_attribute("data-matches", "true")
    verdict = page.get_by_test_id("review-outcome")
    await expect(verdict).to_have_attribute("data-outcome", outcome, timeout=WAIT_MS)
    await expect(verdict).to_have_attribute("data-reason", reason)
    await expect(page.get_by_test_id("review-panel")).to_have_attribute("data-status", "completed")
    await expect_step(tablet, "review_card", "done")
    await expect(teller.page.get_by_test_id("flow-console")).to_have_attribute("data-status", "completed")


async def hang_up(tablet: Party) -> None:
    page = tablet.page
    await page.get_by_test_id("hangup-button").click()
    await expect(page.get_by_test_id("call-status")).to_have_attribute("data-state", "ended", timeout=WAIT_MS)
    await expect(page.get_by_test_id("review-outcome")).to_be_visible()  # the outcome stays
    await expect(page.get_by_test_id("next-customer")).to_be_visible()


# --- tests ---------------------------------------------------------------------------------------------


async def test_only_a_field_officer_signs_in_and_waits_in_the_card_review_line(
    launch_party: LaunchParty, live_server: LiveServer, camera_clips: CameraClips
) -> None:
    tablet = await launch_party("field", camera_clips.customer)
    page = tablet.page
    await page.set_viewport_size(PORTRAIT)  # type: ignore[arg-type]
    await page.goto(f"{live_server.base_url}/field/")
    await page.get_by_test_id("username").fill("teller1")  # a teller is not a field officer
    await page.get_by_test_id("password").fill(live_server.demo_password)
    await page.get_by_test_id("login-button").click()
    await expect(page.get_by_test_id("login-error")).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_test_id("call-status")).to_have_attribute("data-state", "offline")

    await open_tablet(tablet, live_server, "zh-CN", PORTRAIT)
    await save_screenshot(tablet, "field-zh-CN-768x1024-form")
    await start_review(tablet, CUSTOMER.resident_id.number)  # no teller is signed in: the tablet waits
    queue = page.get_by_test_id("queue-status")
    await expect(page.get_by_test_id("call-status")).to_have_attribute(
        "data-state", "waiting", timeout=WAIT_MS
    )
    await expect(queue).to_have_attribute("data-position", "1", timeout=WAIT_MS)
    await expect(queue).to_have_attribute("data-lane", "standard")
    await expect(page.get_by_test_id("join-button")).to_be_hidden()
    await expect(page.get_by_test_id("local-video")).to_have_class("local live", timeout=WAIT_MS)
    await page.get_by_test_id("leave-queue-button").click()
    await expect(page.get_by_test_id("call-status")).to_have_attribute("data-state", "idle", timeout=WAIT_MS)
    await expect(page.get_by_test_id("join-button")).to_be_enabled()
    await expect(page.get_by_test_id("local-video")).not_to_have_class("local live")
    assert_no_page_problems(tablet)


@pytest.mark.server_env(verification_preload=1)
async def test_a_field_officer_has_a_card_approved_from_the_tablet_in_chinese(
    launch_party: LaunchParty,
    live_server: LiveServer,
    camera_clips: CameraClips,
    reacting_camera: StartCamera,
) -> None:
    teller = await launch_party("teller", camera_clips.teller)
    tablet = await launch_party("field", await reacting_camera(LiveFace("obama")))
    await tablet.context.add_init_script(SPEECH_SPY)
    await sign_in_and_go_available(teller, live_server, auto_accept=True)
    await asyncio.to_thread(enroll_customer, live_server)
    await open_tablet(tablet, live_server, "zh-CN", LANDSCAPE)

    await start_review(tablet, CUSTOMER.resident_id.number)
    await review_ready(tablet, teller)
    await expect_step(tablet, "identification", "done")  # the ID number entered in the form
    await expect(tablet.page.get_by_test_id("identify")).to_be_hidden()
    await expect(teller.page.get_by_test_id("customer-profile")).to_have_attribute(
        "data-customer-id", CUSTOMER.id, timeout=WAIT_MS
    )
    await expect_step(tablet, "verification", "current")
    await save_screenshot(tablet, "field-zh-CN-1024x768-review")
    await expect(tablet.page.get_by_test_id("remote-video")).not_to_have_attribute("data-frames", "0")

    await identity_check(tablet, teller)
    await expect_step(tablet, "verification", "done")
    await expect_step(tablet, "review_card", "current")
    assert field_card(live_server) == ("issued", "pending", None)
    await teller_decides(teller, approve=True, reason="identity_confirmed")
    await finish_review(tablet, teller, "approved", "identity_confirmed")
    assert field_card(live_server) == ("issued", "approved", "identity_confirmed")
    await save_screenshot(tablet, "field-zh-CN-1024x768-approved")
    await tablet.page.set_viewport_size(PORTRAIT)  # type: ignore[arg-type]
    await save_screenshot(tablet, "field-zh-CN-768x1024-approved")
    spoken = await tablet.page.evaluate("() => window.__spoken")
    assert spoken and {s["lang"] for s in spoken} == {"zh-CN"}, "the prompts are spoken in Chinese"
    await hang_up(tablet)
    await expect(teller.page.get_by_test_id("call-status")).to_have_attribute(
        "data-state", "wrap-up", timeout=WAIT_MS
    )

    supervisor = await launch_party("supervisor", camera_clips.teller)
    await sign_in_supervisor(supervisor, live_server)
    rate = supervisor.page.get_by_test_id("review-pass-rate")
    await expect(rate).to_have_attribute("data-value", "1", timeout=WAIT_MS)
    await expect(rate).to_have_attribute("data-approved", "1")
    await expect(rate).to_have_attribute("data-rejected", "0")
    assert await supervisor.page.evaluate("() => document.documentElement.lang") == "zh-CN"
    assert_no_page_problems(tablet, teller, supervisor)


@pytest.mark.server_env(verification_preload=1)
async def test_a_field_officer_retypes_a_wrong_id_and_sees_a_rejection_with_its_reason_in_english(
    launch_party: LaunchParty,
    live_server: LiveServer,
    camera_clips: CameraClips,
    reacting_camera: StartCamera,
) -> None:
    teller = await launch_party("teller", camera_clips.teller)
    tablet = await launch_party("field", await reacting_camera(LiveFace("obama")))
    await sign_in_and_go_available(teller, live_server, auto_accept=True)
    await asyncio.to_thread(enroll_customer, live_server)
    await open_tablet(tablet, live_server, "en", PORTRAIT)
    page = tablet.page

    # The form's own checks: a card number that fails its check digit is not accepted.
    await page.get_by_test_id("display-name").fill(CUSTOMER.name)
    await page.get_by_test_id("resident-id").fill(CUSTOMER.resident_id.number)
    await page.get_by_test_id("card-number").fill(demo.FIELD_CARD.number[:-1] + "9")
    await page.get_by_test_id("join-button").click()
    assert await page.get_by_test_id("card-number").evaluate("(input) => !input.validity.valid")
    await expect(page.get_by_test_id("call-status")).to_have_attribute("data-state", "idle")

    nobody = resident_id(dt.date(1990, 5, 17))  # valid, but no customer of the bank
    await start_review(tablet, nobody)
    await review_ready(tablet, teller)
    await expect(page.get_by_test_id("flow-error")).to_have_attribute(
        "data-code", "customer_not_found", timeout=WAIT_MS
    )
    await expect(page.get_by_test_id("identify")).to_be_visible()
    await page.get_by_test_id("id-number").fill(CUSTOMER.resident_id.number)
    await page.get_by_test_id("id-submit").click()
    await expect_step(tablet, "identification", "done")
    await expect(page.get_by_test_id("identify")).to_be_hidden()
    await expect(page.get_by_test_id("flow-error")).to_be_hidden()
    await save_screenshot(tablet, "field-en-768x1024-review")

    await identity_check(tablet, teller)
    await teller_decides(teller, approve=False, reason="documents_incomplete")
    await finish_review(tablet, teller, "rejected", "documents_incomplete")
    assert field_card(live_server) == ("frozen", "rejected", "documents_incomplete")
    await save_screenshot(tablet, "field-en-768x1024-rejected")
    await page.set_viewport_size(LANDSCAPE)  # type: ignore[arg-type]
    await save_screenshot(tablet, "field-en-1024x768-rejected")
    assert_no_page_problems(tablet, teller)
