"""The customer's phone through each business a customer does from it, as they use it (issue 17).

That is four of the five: a card review's customer side is the field officer's tablet (the flow
refuses a customer's inputs there), so the phone does not offer it.

A teller and a customer in Chromium, the customer page in its default language (Chinese). At every
moment — the start page, the place in line, consent, ID number, the identity check's prompt and
result, the business step, the result, the end of the call and the rating — the page is checked at
390×844 and at 360×640 (tests/browser/phone_checks.py): what the customer must act on or read is in
view without scrolling, the teller's video and the self-view stay in view, nothing is wider than the
screen, tap targets are large enough (48 px in large print), and a screenshot of each step goes to
tests/artifacts/. At the end, the page's own record of what it showed when proves that no text was
replaced before it could be read (at least 2 s), and the rating is stored against the session.

The identity check must pass for a business to go on: the customer's camera reacts to the prompts
the phone shows (tests/browser/camera.py), with the customer's reference photo enrolled.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.camera import StartCamera
from tests.browser.harness import CameraClips, LaunchParty, LiveServer, Party
from tests.browser.phone_checks import assert_read_long_enough, check_step, expect_text, reading_times
from tests.browser.steps import (
    WAIT_MS,
    assert_no_page_problems,
    go_available,
    run_identity_check,
    sign_in_teller,
)
from tests.support.faces import face_path
from tests.support.reacting_face import LiveFace
from verification.analysis import DlibAnalyzer
from verification.reference_store import ReferenceStore, parse_key
from video_bank.config import Settings
from video_bank.core_banking import demo
from video_bank.core_banking.models import Customer
from video_bank.verification_setup import reference_key_text

if TYPE_CHECKING:
    from playwright.async_api import Page

with contextlib.suppress(ImportError):
    from playwright.async_api import expect


# --- the camera that passes the identity check ----------------------------------------------------

FACE = "obama"
"""The live face in front of the phone, and the photo enrolled as the customer's reference."""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server_env(verification_preload=1, service_hours="00:00-24:00"),
]


def enroll(server: LiveServer, customer_id: str, face: Path) -> None:
    settings = Settings(data_dir=server.data_dir)
    store = ReferenceStore(
        settings.data_dir / "references", parse_key(reference_key_text(settings)), time.time
    )
    store.enroll(customer_id, face.read_bytes(), DlibAnalyzer())


# --- the walk -------------------------------------------------------------------------------------

IN_CALL = ["remote-video", "local-video", "hangup-button"]
"""In a call the teller's video, the self-view and the way to hang up are always in view."""


@dataclass(slots=True)
class Walk:
    name: str
    customer: Party
    teller: Party
    server: LiveServer

    @property
    def phone(self) -> Page:
        return self.customer.page

    @property
    def console(self) -> Page:
        return self.teller.page

    async def check(self, step: str, ids: list[str], *, small: list[str] | None = None) -> None:
        await check_step(self.phone, self.name, step, ids, small=small)

    async def confirm(self) -> None:
        """The teller's confirm button, once the server lets it be pressed."""
        button = self.console.get_by_test_id("action-confirm")
        await expect(button).to_be_enabled(timeout=WAIT_MS)
        await button.click()


async def enter_pin(walk: Walk, pin: str) -> None:
    pad = walk.phone.get_by_test_id("pin-pad")
    for digit in pin:
        await pad.get_by_test_id(f"pin-digit-{digit}").click()
    await expect(pad).to_have_attribute("data-length", str(len(pin)))
    await pad.get_by_test_id("pin-submit").click()


async def set_pin(walk: Walk) -> None:
    pad = walk.phone.get_by_test_id("pin-pad")
    await expect(pad).to_have_attribute("data-stage", "first", timeout=WAIT_MS)
    await expect(pad).to_be_visible(timeout=WAIT_MS)  # once the check's result has been read
    await walk.check("pin", [*IN_CALL, "pin-pad", "pin-digit-0", "pin-submit"])
    await enter_pin(walk, "385921")
    await expect(pad).to_have_attribute("data-stage", "confirm")
    await enter_pin(walk, "385921")


async def activation(walk: Walk) -> str:
    await walk.confirm()  # the card
    await set_pin(walk)
    return "card_activated"


async def password_reset(walk: Walk) -> str:
    await walk.confirm()  # the account
    await set_pin(walk)
    return "password_reset"


async def info_update(walk: Walk) -> str:
    phone = walk.phone
    await expect(phone.get_by_test_id("details-phone")).to_be_visible(timeout=WAIT_MS)
    await walk.check("details", [*IN_CALL, "details-phone", "details-address", "details-submit"])
    await phone.get_by_test_id("details-phone").fill("13912345678")
    await phone.get_by_test_id("details-submit").click()
    await walk.confirm()  # the teller read them back and approves
    return "details_updated"


async def corporate_willingness(walk: Walk) -> str:
    phone, console = walk.phone, walk.console
    await walk.confirm()  # the application
    question = phone.get_by_test_id("flow-question")
    for number in range(1, 7):
        await expect(phone.get_by_test_id("flow-panel")).to_have_attribute(
            "data-part", "answer", timeout=WAIT_MS
        )
        await expect(question).not_to_have_attribute("data-question-id", "", timeout=WAIT_MS)
        if number == 1:
            await expect(question).to_be_visible(timeout=WAIT_MS)  # once the check's result has been read
            await walk.check("question", [*IN_CALL, "flow-question", "answer-yes", "answer-no"])
        asked = await question.get_attribute("data-question-id")
        await phone.get_by_test_id("answer-yes").click()
        script = console.get_by_test_id("script-question")
        await expect(script).to_have_attribute("data-answer", "yes", timeout=WAIT_MS)
        await console.get_by_test_id("answer-confirm").click()
        await expect(question).not_to_have_attribute("data-question-id", asked or "", timeout=WAIT_MS)
    await expect(question).to_have_attribute("data-question-id", "", timeout=WAIT_MS)  # the final statement
    await walk.check("final-confirmation", [*IN_CALL, "flow-question", "answer-yes"])
    await phone.get_by_test_id("answer-yes").click()
    return "willingness_confirmed"


BusinessSteps = Callable[[Walk], Awaitable[str]]

BUSINESSES: dict[str, tuple[Customer, BusinessSteps, bool]] = {
    "activation": (demo.PENSIONER, activation, True),
    "password_reset": (demo.ACCOUNT_HOLDER, password_reset, False),
    "info_update": (demo.ACCOUNT_HOLDER, info_update, False),
    "corporate_willingness": (demo.LEGAL_REP, corporate_willingness, False),
}
"""Business → the demo customer, what happens after the identity check, and whether the customer
types the ID number on the start page (the pensioner: large print from then on)."""


def stored_feedback(server: LiveServer) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(server.data_dir / "video_bank.sqlite3")) as db:
        return db.execute("SELECT business, rating, comment, disposition FROM service_feedback").fetchall()


@pytest.mark.parametrize("business", list(BUSINESSES))
async def test_each_moment_of_the_call_is_in_view_on_the_phone(
    business: str,
    live_server: LiveServer,
    launch_party: LaunchParty,
    camera_clips: CameraClips,
    reacting_camera: StartCamera,
) -> None:
    person, business_steps, id_at_start = BUSINESSES[business]
    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", await reacting_camera(LiveFace(FACE)))
    walk = Walk(business, customer, teller, live_server)
    phone, console = walk.phone, walk.console
    await asyncio.to_thread(enroll, live_server, person.id, face_path(f"{FACE}.jpg"))

    # The start page: the join form first, in Chinese.
    await phone.goto(f"{live_server.base_url}/customer/")
    assert await phone.evaluate("() => document.documentElement.lang") == "zh-CN"
    start = ["display-name", "business-select", "resident-id", "join-button", "talk-now"]
    await walk.check("start", start, small=["display-name", "business-select"])
    await phone.get_by_test_id("display-name").fill("王秀兰")
    await phone.get_by_test_id("business-select").select_option(business)
    if id_at_start:
        await phone.get_by_test_id("resident-id").fill(person.resident_id.number)
        # Large print as soon as the number shows an age of 60 or more, before joining.
        await expect(phone.locator("html")).to_have_attribute("data-elderly", "on")
        await phone.evaluate("() => window.scrollTo(0, 0)")
        await walk.check("start-large-print", start, small=["display-name"])
    await phone.get_by_test_id("join-button").click()
    await expect(phone.get_by_test_id("call-status")).to_have_attribute(
        "data-state", "waiting", timeout=WAIT_MS
    )
    await walk.check("waiting", ["queue-status", "leave-queue-button"])

    # A teller takes the call: the consent is the one thing to do, with both videos in view.
    await sign_in_teller(teller, live_server)
    await go_available(teller, auto_accept=True, then="in-call")
    await expect(phone.get_by_test_id("call-status")).to_have_attribute(
        "data-state", "in-call", timeout=WAIT_MS
    )
    await expect(phone.get_by_test_id("consent-submit")).to_be_visible(timeout=WAIT_MS)
    await expect(phone.get_by_test_id("join-button")).to_be_hidden()  # the form with the ID number is gone
    await walk.check("consent", [*IN_CALL, "consent-recording", "consent-biometric", "consent-submit"])
    await phone.get_by_test_id("consent-recording").check()
    await phone.get_by_test_id("consent-biometric").check()
    await phone.get_by_test_id("consent-submit").click()
    await expect(phone.get_by_test_id("id-number")).to_be_visible(timeout=WAIT_MS)
    await walk.check("id-number", [*IN_CALL, "id-number", "id-submit"])
    await phone.get_by_test_id("id-number").fill(person.resident_id.number)
    await phone.get_by_test_id("id-submit").click()

    # The identity check: the prompt over the self-view, then the result, each in view.
    await expect(console.get_by_test_id("customer-profile")).to_have_attribute(
        "data-customer-id", person.id, timeout=WAIT_MS
    )
    prompt = phone.get_by_test_id("challenge-prompt")
    status = phone.get_by_test_id("verification-status")

    async def prompted() -> None:
        await expect(prompt).to_have_attribute("data-action", re.compile(r"^\w+$"), timeout=WAIT_MS)
        await walk.check("check-prompt", ["challenge-prompt", "local-video", "hangup-button"])

    outcomes = await run_identity_check(teller, when_asked=prompted)
    assert outcomes[-1] == "pass", outcomes
    await expect(status).to_have_attribute("data-status", "passed", timeout=WAIT_MS)
    await expect(status).to_be_visible()
    await walk.check("check-result", ["verification-status", "remote-video"])

    # The business, then its result and the end of the flow, each shown long enough to be read.
    result = await business_steps(walk)
    await expect_text(phone, result, WAIT_MS)
    await walk.check("result", [*IN_CALL, "flow-text"])
    await expect_text(phone, "flow_finished", WAIT_MS)
    await walk.check("finished", [*IN_CALL, "flow-text"])

    # The teller wraps up and hangs up: the phone asks for the rating, in view.
    await console.get_by_test_id("flow-wrapup-submit").click()
    await expect(console.get_by_test_id("flow-wrapup-submit")).to_be_disabled(timeout=WAIT_MS)
    await console.get_by_test_id("hangup-button").click()
    rating = phone.get_by_test_id("rating")
    await expect(rating).to_be_visible(timeout=WAIT_MS)
    await walk.check("rating", ["rating-1", "rating-5", "rating-comment", "rating-submit"])
    await phone.get_by_test_id("rating-4").click()
    await phone.get_by_test_id("rating-comment").fill("柜员很耐心")
    await phone.get_by_test_id("rating-submit").click()
    await expect(rating).to_have_attribute("data-state", "recorded", timeout=WAIT_MS)
    await walk.check("rated", ["rating"])

    entries = await reading_times(phone)
    shown = {(e["source"], e["code"]) for e in entries}
    assert {("flow", result), ("flow", "flow_finished"), ("verification", "passed")} <= shown, shown
    assert_read_long_enough(entries)
    assert stored_feedback(live_server) == [(business, 4, "柜员很耐心", "resolved")]
    if id_at_start:
        assert await phone.locator("html").get_attribute("data-elderly") == "on"
    assert_no_page_problems(customer, teller)
