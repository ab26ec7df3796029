"""Business flows in Chromium: the customer's consent, ID number and PIN pad, the teller's profile,
checklist and action buttons, driven only through data-testid hooks and data-* state."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from contextlib import closing

import pytest

from tests.browser.camera import StartCamera
from tests.browser.harness import CameraClips, LaunchParty, LiveServer, Party
from tests.browser.steps import (
    SPEECH_SPY,
    WAIT_MS,
    assert_no_page_problems,
    expect_in_call,
    join_queue,
    open_customer_page,
    run_identity_check,
    sign_in_and_go_available,
)
from tests.support.faces import face_path
from tests.support.reacting_face import LiveFace
from verification.analysis import DlibAnalyzer
from verification.reference_store import ReferenceStore, parse_key
from video_bank.config import Settings
from video_bank.core_banking import demo
from video_bank.core_banking.models import Secret
from video_bank.core_banking.pin_keyring import load_keyring
from video_bank.core_banking.pin_vault import card_subject
from video_bank.verification_setup import reference_key_text

with contextlib.suppress(ImportError):  # without playwright the fixtures skip (fail in CI)
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

PIN = "385921"

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
    await expect(page.get_by_test_id("rating")).to_be_hidden()  # asked when the call has ended

    await expect(console.get_by_test_id("flow-wrapup-code")).to_have_value(
        "customer_declined", timeout=WAIT_MS
    )
    await console.get_by_test_id("flow-wrapup-submit").click()
    await expect(console.get_by_test_id("flow-wrapup-submit")).to_be_disabled(timeout=WAIT_MS)
    await console.get_by_test_id("hangup-button").click()
    await expect(page.get_by_test_id("rating")).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_test_id("rating-submit")).to_be_disabled()
    await page.get_by_test_id("rating-4").click()
    await page.get_by_test_id("rating-submit").click()
    await expect(page.get_by_test_id("rating")).to_have_attribute("data-state", "recorded", timeout=WAIT_MS)
    await expect(page.get_by_test_id("rating-submit")).to_be_hidden()
    with closing(sqlite3.connect(live_server.data_dir / "video_bank.sqlite3")) as db:
        rows = db.execute("SELECT rating, disposition FROM service_feedback").fetchall()
    assert rows == [(4, "customer_declined")]
    assert_no_page_problems(customer, teller)


def enroll_pensioner(server: LiveServer) -> None:
    settings = Settings(data_dir=server.data_dir)
    store = ReferenceStore(
        settings.data_dir / "references", parse_key(reference_key_text(settings)), time.time
    )
    store.enroll(demo.PENSIONER.id, face_path("biden.jpg").read_bytes(), DlibAnalyzer())


def card_row(server: LiveServer) -> tuple[str, str | None]:
    with closing(sqlite3.connect(server.data_dir / "video_bank.sqlite3")) as db:
        status, pin_hash = db.execute(
            "SELECT status, pin_hash FROM core_social_security_cards WHERE id = ?", (demo.PENSIONER_CARD.id,)
        ).fetchone()
    return status, pin_hash


async def enter_pin(customer: Party, pin: str) -> None:
    pad = customer.page.get_by_test_id("flow-panel").get_by_test_id("pin-pad")
    for digit in pin:
        await pad.get_by_test_id(f"pin-digit-{digit}").click()
    await expect(pad).to_have_attribute("data-length", str(len(pin)))
    await pad.get_by_test_id("pin-submit").click()


@pytest.mark.server_env(verification_preload=1)
async def test_activation_end_to_end_in_chromium(
    launch_party: LaunchParty,
    live_server: LiveServer,
    camera_clips: CameraClips,
    reacting_camera: StartCamera,
) -> None:
    """Consent and ID number on the phone, a real identity check of the pensioner's live face (which
    follows the prompts on her phone), the teller confirms the card, the PIN entered twice on the
    phone's pad, the card active in the database, and the customer's rating."""
    await asyncio.to_thread(enroll_pensioner, live_server)
    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", await reacting_camera(LiveFace("biden")))
    await customer.context.add_init_script(SPEECH_SPY)
    await sign_in_and_go_available(teller, live_server, auto_accept=True)
    await open_customer_page(customer, live_server)
    await join_queue(customer, "Wang Xiulan", "activation")
    await expect_in_call(customer, teller, "Wang Xiulan")
    page, console = customer.page, teller.page
    panel = page.get_by_test_id("flow-panel")

    await page.get_by_test_id("consent-recording").check()
    await page.get_by_test_id("consent-biometric").check()
    await page.get_by_test_id("consent-submit").click()
    await page.get_by_test_id("id-number").fill(demo.PENSIONER.resident_id.number)
    await page.get_by_test_id("id-submit").click()
    await expect_step(teller, "verification", "current")
    await expect(console.get_by_test_id("action-confirm")).to_be_disabled()

    # The teller starts the check without naming the customer: the flow identified her.
    outcomes = await run_identity_check(teller)
    assert outcomes[-1] == "pass", outcomes
    await expect_step(teller, "verification", "done")
    await expect_step(teller, "confirm_card", "current")
    await expect(console.get_by_test_id("flow-target")).to_have_value(demo.PENSIONER_CARD.id)
    await expect(console.get_by_test_id("action-confirm")).to_be_enabled()
    assert card_row(live_server) == ("issued", None)
    await console.get_by_test_id("action-confirm").click()

    pad = panel.get_by_test_id("pin-pad")
    await expect(pad).to_be_visible(timeout=WAIT_MS)
    await expect(pad).to_have_attribute("data-stage", "first")
    await enter_pin(customer, PIN)
    await expect(pad).to_have_attribute("data-stage", "confirm")
    await enter_pin(customer, PIN)
    await expect(panel).to_have_attribute("data-status", "completed", timeout=WAIT_MS)
    await expect(console.get_by_test_id("flow-console")).to_have_attribute("data-status", "completed")
    status, pin_hash = card_row(live_server)
    assert status == "active" and pin_hash is not None and PIN not in pin_hash
    vault = load_keyring(Settings(data_dir=live_server.data_dir), create=False).vault()
    assert vault.verify(Secret(PIN), pin_hash, card_subject(demo.PENSIONER_CARD.id))

    await expect(console.get_by_test_id("flow-wrapup-code")).to_have_value("resolved", timeout=WAIT_MS)
    await console.get_by_test_id("flow-wrapup-submit").click()
    await expect(console.get_by_test_id("flow-wrapup-submit")).to_be_disabled(timeout=WAIT_MS)
    await console.get_by_test_id("hangup-button").click()  # the rating is asked when the call ends
    await page.get_by_test_id("rating-5").click()
    await page.get_by_test_id("rating-submit").click()
    await expect(page.get_by_test_id("rating")).to_have_attribute("data-state", "recorded", timeout=WAIT_MS)
    with closing(sqlite3.connect(live_server.data_dir / "video_bank.sqlite3")) as db:
        assert db.execute("SELECT rating, disposition FROM service_feedback").fetchall() == [(5, "resolved")]
    server_log = live_server.log_path.read_text()
    assert PIN not in server_log
    assert_no_page_problems(customer, teller)
