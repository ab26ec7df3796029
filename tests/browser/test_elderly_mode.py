"""Elderly mode on the customer page: automatic for 60+, a toggle for anyone, large and spoken.

Checked on every screen of the app at 390×844: body text at least 20 px, every control at least
48×48 px, no horizontal scrolling, one primary action; every prompt is also spoken (speechSynthesis
is wrapped before the page loads) in the page language, Chinese by default.
"""

from __future__ import annotations

import contextlib

import pytest

from tests.browser.cobrowse_steps import SEVENTY_YEAR_OLD, record_speech, spoken
from tests.browser.harness import ARTIFACTS_DIR, CameraClips, LaunchParty, LiveServer, Party
from tests.browser.steps import (
    WAIT_MS,
    assert_no_page_problems,
    expect_waiting,
    join_queue,
    open_customer_page,
)

with contextlib.suppress(ImportError):
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

MIN_TEXT_PX = 20
MIN_TARGET_PX = 48
# How to reach each screen from home (tile test ids, in order).
ROUTES = {
    "home": [],
    "social_security": ["app-go-social_security"],
    "activate_card": ["app-go-social_security", "app-go-activate_card"],
    "change_password": ["app-go-change_password"],
    "my_info": ["app-go-my_info"],
    "help": ["app-go-help"],
}

JS_LAYOUT = """
({minText, minTarget}) => {
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const describe = (e) => `${e.localName}[data-testid=${e.dataset.testid ?? ''}].${e.className}`;
  const smallText = [];
  for (const e of document.body.querySelectorAll('*')) {
    const ownText = [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.data.trim());
    if (ownText && visible(e) && parseFloat(getComputedStyle(e).fontSize) < minText) {
      smallText.push(`${describe(e)} ${getComputedStyle(e).fontSize}`);
    }
  }
  const smallTargets = [];
  for (const e of document.body.querySelectorAll('button, input, select, textarea, a[href], [role=button]')) {
    const r = e.getBoundingClientRect();
    if (visible(e) && (r.width < minTarget || r.height < minTarget)) {
      smallTargets.push(`${describe(e)} ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  const app = document.querySelector('[data-testid="app"]');
  const primaries = [...app.querySelectorAll('.app-primary')].filter(visible).length;
  return {
    smallText, smallTargets, primaries,
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
  };
}
"""


async def check_every_screen(customer: Party) -> None:
    page = customer.page
    app = page.get_by_test_id("app")
    for screen, route in ROUTES.items():
        if await app.get_attribute("data-screen") != "home":
            await page.get_by_test_id("app-back").click()
        for tile in route:
            await page.get_by_test_id(tile).click()
        await expect(app).to_have_attribute("data-screen", screen)
        layout = await page.evaluate(JS_LAYOUT, {"minText": MIN_TEXT_PX, "minTarget": MIN_TARGET_PX})
        assert not layout["smallText"], f"{screen}: text under {MIN_TEXT_PX} px: {layout['smallText']}"
        small = layout["smallTargets"]
        assert not small, f"{screen}: targets under {MIN_TARGET_PX} px: {small}"
        assert layout["scrollWidth"] <= layout["innerWidth"], f"{screen}: scrolls horizontally"
        assert layout["primaries"] == 1, f"{screen}: {layout['primaries']} primary actions"
        await page.get_by_test_id(f"screen-{screen}").scroll_into_view_if_needed()
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS_DIR / f"elderly-390x844-{screen}.png"))


async def test_a_customer_aged_60_or_over_gets_large_print_and_spoken_prompts_on_every_screen(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    customer = await launch_party("customer", camera_clips.customer)
    await record_speech(customer)
    await open_customer_page(customer, live_server)
    page = customer.page
    assert await page.evaluate("() => [innerWidth, innerHeight]") == [390, 844]
    assert await page.evaluate("() => document.documentElement.lang") == "zh-CN"
    await expect(page.locator("html")).to_have_attribute("data-elderly", "off")

    await join_queue(customer, "Zhang Guiying", resident_id=SEVENTY_YEAR_OLD)
    await expect_waiting(customer, 1, lane="elderly")
    await expect(page.locator("html")).to_have_attribute("data-elderly", "on", timeout=WAIT_MS)
    await expect(page.get_by_test_id("elderly-toggle")).to_have_attribute("data-state", "on")
    said = await spoken(customer)
    assert said, "nothing was spoken"
    assert {u["lang"] for u in said} == {"zh-CN"}
    await page.evaluate("() => window.scrollTo(0, 0)")
    await page.screenshot(path=str(ARTIFACTS_DIR / "elderly-390x844.png"))
    await check_every_screen(customer)
    assert_no_page_problems(customer)


async def test_anyone_can_switch_elderly_mode_on_and_english_is_available(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    customer = await launch_party("customer", camera_clips.customer)
    await record_speech(customer)
    page = customer.page
    await page.goto(f"{live_server.base_url}/customer/?lang=en")
    assert await page.evaluate("() => document.documentElement.lang") == "en"
    toggle = page.get_by_test_id("elderly-toggle")
    await expect(toggle).to_have_attribute("data-state", "off")
    await toggle.click()
    await expect(page.locator("html")).to_have_attribute("data-elderly", "on")
    await expect(toggle).to_have_attribute("aria-pressed", "true")
    said = await spoken(customer)
    assert said and said[-1]["lang"] == "en"
    talk_now = await page.get_by_test_id("talk-now").bounding_box()
    assert talk_now is not None and talk_now["height"] >= MIN_TARGET_PX
    await check_every_screen(customer)
    await toggle.click()
    await expect(page.locator("html")).to_have_attribute("data-elderly", "off")
    assert_no_page_problems(customer)
