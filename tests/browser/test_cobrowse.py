"""Co-browsing between a customer's phone and a teller's console, through the real server.

Two Chromium processes (the customer at 390×844, the teller on a desktop). The tests drive the pages
through their ``data-testid`` hooks and read state from ``data-*`` attributes; page language does not
matter (the customer page opens in its default, Chinese). "Nothing more arrived" is proved by order,
never by waiting: a later message on the same path arrives after anything sent before it.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest

from tests.browser.cobrowse_steps import (
    JS_IN_MIRROR,
    click_in_mirror,
    export_timeline,
    mirror,
    spoken,
    start_call,
    start_sharing,
    stored_events,
)
from tests.browser.harness import CameraClips, LaunchParty, LiveServer, save_screenshot
from tests.browser.steps import WAIT_MS, assert_no_page_problems

with contextlib.suppress(ImportError):
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

NAME = "Li Guilan"
PASSWORD = "852963"
PIN_KEYS = "741085"
CARD = "6222020200112233"
ADDRESS = "5 Guangming Lane"
SECRETS = (PASSWORD, PIN_KEYS, CARD)
JS_SCROLL_INTO_APP = """() => {
  const body = document.querySelector('[data-testid="call-body"]');
  const app = document.querySelector('[data-testid="app"]');
  body.scrollTo(0, app.getBoundingClientRect().top - body.getBoundingClientRect().top + body.scrollTop + 100);
}"""
"""In a call the app scrolls inside the call screen's body (the page itself stays put)."""
JS_APP_SCROLLED = "() => document.querySelector('[data-testid=\"call-body\"]').scrollTop > 0"
JS_SCROLL_TO_TOP = "() => document.querySelector('[data-testid=\"call-body\"]').scrollTo(0, 0)"
JS_OUTLINE = "(e) => `${getComputedStyle(e).outlineStyle} ${getComputedStyle(e).outlineWidth}`"


async def test_the_teller_follows_guides_and_taps_but_no_secret_leaves_the_phone(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips, tmp_path: Path
) -> None:
    customer, teller = await start_call(launch_party, camera_clips, live_server, NAME)
    c, t = customer.page, teller.page
    status = t.get_by_test_id("cobrowse-status")
    view = mirror(teller)

    # Nothing is shown before consent.
    await expect(status).to_have_attribute("data-state", "idle")
    await expect(c.get_by_test_id("cobrowse-banner")).to_be_hidden()
    await start_sharing(customer, teller)
    assert any(u["lang"] == "zh-CN" for u in await spoken(customer)), "the consent prompt was not spoken"

    # The mirror shows the customer's current screen and its text.
    await expect(view.get_by_test_id("app")).to_have_attribute("data-screen", "home")
    title = await c.get_by_test_id("app-title").inner_text()
    await expect(view.get_by_test_id("app-title")).to_have_text(title)
    await expect(view.get_by_test_id("screen-home")).to_have_text(
        await c.get_by_test_id("screen-home").inner_text(), use_inner_text=True
    )

    # The customer scrolls the app: the mirror marks the part of it they see.
    await c.evaluate(JS_SCROLL_INTO_APP)
    about_100 = re.compile(r"^(9[5-9]|10[0-5])$")  # the page's layout may round a pixel either way
    band = t.get_by_test_id("cobrowse-viewport")
    await expect(band).to_have_attribute("data-top", about_100, timeout=WAIT_MS)

    # The customer navigates and types in a normal field: the mirror follows.
    await c.get_by_test_id("app-go-my_info").click()
    await expect(view.get_by_test_id("app")).to_have_attribute("data-screen", "my_info", timeout=WAIT_MS)
    await expect(status).to_have_attribute("data-screen", "my_info")
    await c.get_by_test_id("app-address").fill(ADDRESS)
    await expect(view.get_by_test_id("app-address")).to_have_value(ADDRESS, timeout=WAIT_MS)

    # Secrets: a password, the PIN pad, a card number. The mirror sees only bullets of the same length.
    await c.get_by_test_id("app-back").click()
    await c.get_by_test_id("app-go-change_password").click()
    await c.get_by_test_id("app-old-password").press_sequentially(PASSWORD)
    await expect(view.get_by_test_id("app-old-password")).to_have_value("•" * len(PASSWORD), timeout=WAIT_MS)
    await c.get_by_test_id("app-back").click()
    await c.get_by_test_id("app-go-social_security").click()
    await c.get_by_test_id("app-go-activate_card").click()
    await c.get_by_test_id("app-card-number").press_sequentially(CARD)
    for digit in PIN_KEYS:
        await c.get_by_test_id(f"pin-key-{digit}").click()
    await expect(c.get_by_test_id("pin-display")).to_have_attribute("data-count", "6")
    await expect(view.get_by_test_id("app-card-number")).to_have_value("•" * len(CARD), timeout=WAIT_MS)
    await expect(view.get_by_test_id("pin-display")).to_have_text("•" * len(PIN_KEYS))
    teller_dom = await t.content() + await t.frame_locator('[data-testid="cobrowse-view"]').locator(
        "html"
    ).evaluate("(html) => html.outerHTML + [...html.querySelectorAll('input')].map((i) => i.value).join('|')")
    for secret in SECRETS:
        assert secret not in teller_dom, f"{secret} reached the teller's page"

    # Highlight: the teller clicks an element in the mirror; the customer sees it pulse and hears a hint.
    said_before = len(await spoken(customer))
    await t.get_by_test_id("cobrowse-highlight").click()
    await expect(t.get_by_test_id("cobrowse-highlight")).to_have_attribute("aria-pressed", "true")
    await click_in_mirror(teller, "app-submit-activate")
    target = c.get_by_test_id("app-submit-activate")
    await expect(target).to_have_attribute("data-cb-highlight", "", timeout=WAIT_MS)
    outline = await target.evaluate(JS_OUTLINE)
    assert outline.startswith("solid") and not outline.endswith(" 0px"), outline
    assert len(await spoken(customer)) > said_before, "the highlight hint was not spoken"
    await t.get_by_test_id("cobrowse-highlight").click()

    # Pointer: the teller moves over the mirror; the customer sees where.
    await t.get_by_test_id("cobrowse-pointer").click()
    await expect(t.get_by_test_id("cobrowse-overlay")).to_have_attribute("data-mode", "pointer")
    title = await t.evaluate(JS_IN_MIRROR, "app-title")
    await t.get_by_test_id("cobrowse-overlay").hover(position=title)  # the point scrolled into view
    await expect(c.get_by_test_id("cobrowse-pointer")).to_be_visible(timeout=WAIT_MS)
    await t.get_by_test_id("cobrowse-pointer").click()

    # Push navigation: the customer gets a card and one tap opens the screen.
    await c.get_by_test_id("app-back").click()
    await expect(view.get_by_test_id("app")).to_have_attribute("data-screen", "home", timeout=WAIT_MS)
    await t.get_by_test_id("cobrowse-push-screen").select_option("activate_card")
    await t.get_by_test_id("cobrowse-push").click()
    card = c.get_by_test_id("cobrowse-push-card")
    await expect(card).to_be_visible(timeout=WAIT_MS)
    await expect(card).to_have_attribute("data-screen", "activate_card")
    await c.get_by_test_id("cobrowse-push-open").click()
    await expect(c.get_by_test_id("app")).to_have_attribute("data-screen", "activate_card")
    await expect(view.get_by_test_id("app")).to_have_attribute(
        "data-screen", "activate_card", timeout=WAIT_MS
    )
    await save_screenshot(customer, "cobrowse-customer-push-opened")
    await save_screenshot(teller, "cobrowse-teller-mirror")

    # Remote control needs its own consent; a refusal changes nothing.
    banner = c.get_by_test_id("cobrowse-banner")
    await t.get_by_test_id("control-request").click()
    await expect(c.get_by_test_id("control-consent")).to_be_visible(timeout=WAIT_MS)
    await c.get_by_test_id("control-deny").click()
    await expect(status).to_have_attribute("data-control", "off", timeout=WAIT_MS)
    await expect(t.get_by_test_id("cobrowse-overlay")).to_have_attribute("data-mode", "view")
    await t.get_by_test_id("control-request").click()
    await expect(c.get_by_test_id("control-consent")).to_be_visible(timeout=WAIT_MS)
    await c.get_by_test_id("control-allow").click()
    await expect(status).to_have_attribute("data-control", "on", timeout=WAIT_MS)
    await expect(banner).to_have_attribute("data-control", "on")
    # Taps work on buttons ...
    await click_in_mirror(teller, "app-back")
    await expect(c.get_by_test_id("app")).to_have_attribute("data-screen", "home", timeout=WAIT_MS)
    await click_in_mirror(teller, "app-go-my_info")
    await expect(c.get_by_test_id("app")).to_have_attribute("data-screen", "my_info", timeout=WAIT_MS)
    # ... never on inputs, and keystrokes on the console go nowhere.
    await click_in_mirror(teller, "app-address")
    await expect(banner).to_have_attribute("data-refused", "1", timeout=WAIT_MS)
    await t.keyboard.type("999 typed by teller")
    await click_in_mirror(teller, "app-back")  # ordered after anything typed
    await expect(c.get_by_test_id("app")).to_have_attribute("data-screen", "home", timeout=WAIT_MS)
    assert await banner.get_attribute("data-refused") == "1", "a tap meant for a button was refused"
    assert await c.get_by_test_id("app-address").input_value() == ADDRESS
    assert not await c.get_by_test_id("app-address").evaluate("(e) => document.activeElement === e")
    # Scroll works too; then the customer takes control back.
    await c.evaluate(JS_SCROLL_TO_TOP)
    await t.get_by_test_id("cobrowse-overlay").hover(position={"x": 50, "y": 50})  # scrolled into view
    await t.mouse.wheel(0, 300)
    await c.wait_for_function(JS_APP_SCROLLED, timeout=WAIT_MS)
    await c.get_by_test_id("control-stop").click()
    await expect(status).to_have_attribute("data-control", "off", timeout=WAIT_MS)
    await expect(banner).to_have_attribute("data-control", "off")
    await expect(t.get_by_test_id("cobrowse-overlay")).to_have_attribute("data-mode", "view")

    # The customer stops: the teller's view says so and receives nothing more.
    await c.get_by_test_id("cobrowse-stop").click()
    await expect(status).to_have_attribute("data-state", "stopped", timeout=WAIT_MS)
    await expect(t.get_by_test_id("cobrowse-stopped")).to_be_visible()
    await expect(banner).to_be_hidden()
    await expect(view.get_by_test_id("app")).to_have_count(0)
    received = await status.get_attribute("data-received")
    # Sharing over, the app keeps the room the customer was using; the step waits in its bar.
    await expect(c.get_by_test_id("call-sheet")).to_have_attribute("data-collapsed", "true")
    await c.get_by_test_id("app-go-my_info").click()
    await c.get_by_test_id("app-address").fill("after the stop")
    # Order: the customer's next message (a refusal of a new request) reaches the teller after
    # anything the page might have sent while typing.
    await t.get_by_test_id("cobrowse-request").click()
    await expect(c.get_by_test_id("cobrowse-consent")).to_be_visible(timeout=WAIT_MS)
    await c.get_by_test_id("cobrowse-deny").click()
    await expect(status).to_have_attribute("data-state", "denied", timeout=WAIT_MS)
    assert await status.get_attribute("data-received") == received
    assert "after the stop" not in await t.content()
    session_id = await t.locator("#session-id").inner_text()

    await t.get_by_test_id("hangup-button").click()
    await expect(c.get_by_test_id("call-status")).to_have_attribute("data-state", "ended", timeout=WAIT_MS)
    assert_no_page_problems(customer, teller)

    # What the server received and stored: the event log keeps the facts, the sealed record's timeline
    # the screen's content as sent.
    rows = stored_events(live_server, session_id)
    kinds = [kind for kind, _ in rows]
    assert "cobrowse_snapshot" in kinds and "cobrowse_events" in kinds
    assert not any(ADDRESS in data for _, data in rows), "screen content reached the plaintext event log"
    stop = next(i for i, (kind, data) in enumerate(rows) if kind == "cobrowse_stopped" and '"view"' in data)
    assert "cobrowse_events" not in kinds[stop:] and "cobrowse_snapshot" not in kinds[stop:]
    assert not any("after the stop" in data for _, data in rows)
    timeline = await export_timeline(live_server, session_id, tmp_path / "export")
    assert "cobrowse_snapshot" in [e["kind"] for e in timeline]
    recorded = repr([e for e in timeline if e["kind"].startswith("cobrowse_")])
    assert ADDRESS in recorded, "typing in a normal field was not recorded as sent"
    assert "after the stop" not in recorded
    stored = "\n".join(data for _, data in rows) + repr(timeline) + live_server.log_path.read_text()
    for secret in SECRETS:
        assert secret not in stored, f"{secret} reached the server"
