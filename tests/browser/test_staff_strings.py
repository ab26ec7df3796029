"""The staff consoles (teller, auditor) and the shared staff sign-in in Chinese and English.

The string tables are read in Chromium from the real modules (``teller/strings.js``, which takes
in ``teller/verification-strings.js``, ``auditor/strings.js``, ``shared/staff-login.js``): every key
must exist in both languages with the same placeholders, every key the pages' markup names must
exist, and every code the server sends (businesses, teller states, end reasons, flow steps, wrap-up
codes, card-review reasons, and the identity check's actions, phases, try results, outcomes, match
verdicts, verdict reasons and review reasons) must have a label. The pages say their language in
``<html lang>``: Chinese by default, English with ``?lang=en``. Screenshots of both consoles in both
languages go to ``tests/artifacts/``.
"""

from __future__ import annotations

import contextlib
import re
import typing
from typing import Any

import pytest

from signaling.messages import BUSINESSES, EndReason
from signaling.states import TellerState
from signaling.verification_messages import VerificationProgress
from tests.browser.harness import CameraClips, LaunchParty, LiveServer, save_screenshot
from tests.browser.steps import (
    WAIT_MS,
    assert_no_page_problems,
    expect_in_call,
    expect_wrap_up,
    join_queue,
    open_customer_page,
    sign_in_and_go_available,
)
from tests.browser.test_auditor import open_with_reason, search_until_found, sign_in_auditor
from verification.attempt import Phase
from verification.challenges import Action
from verification.decision import Outcome, TryResult
from verification.matching import MatchVerdict
from verification.reasons import Reason
from verification.review import ReviewReason
from video_bank.core_banking import demo
from video_bank.core_banking.models import CardReviewReason
from video_bank.flows.steps import Disposition, Step

with contextlib.suppress(ImportError):
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

LANGUAGES = ("zh-CN", "en")
DESK_VIEWPORT = {"width": 1366, "height": 900}

READ_TABLES = """
async () => {
  const modules = {
    teller: await import('/teller/strings.js'),
    auditor: await import('/auditor/strings.js'),
    login: await import('/shared/staff-login.js'),
  };
  const tables = {
    teller: modules.teller.TABLES,
    auditor: modules.auditor.TABLES,
    login: modules.login.LOGIN_TABLES,
  };
  const markup = {};
  for (const page of ['teller', 'auditor']) {
    const html = await (await fetch(`/${page}/`)).text();
    const doc = new DOMParser().parseFromString(html, 'text/html');
    const keys = [...doc.querySelectorAll('[data-i18n]')].map((e) => e.dataset.i18n);
    for (const element of doc.querySelectorAll('[data-i18n-attr]')) {
      keys.push(...element.dataset.i18nAttr.split(/\\s+/).map((pair) => pair.split(':')[1]));
    }
    markup[page] = keys;
  }
  return {tables, markup};
}
"""

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def label_keys() -> dict[str, set[str]]:
    """Keys each console needs for the codes the server sends."""
    businesses = {f"business.{b}" for b in BUSINESSES}
    teller = (
        businesses
        | {f"state.{s.value}" for s in TellerState}
        | {f"state.{s.value}_hint" for s in TellerState}
    )
    teller |= {f"end.{reason}" for reason in typing.get_args(EndReason)}
    teller |= {f"step.{step.value}" for step in Step}
    teller |= {f"wrapup_code.{code.value}" for code in Disposition}
    teller |= {f"review_reason.{reason.value}" for reason in CardReviewReason}
    teller |= verification_label_keys()
    auditor = businesses | {f"outcome.{reason}" for reason in typing.get_args(EndReason)}
    auditor |= {f"verification.{v}" for v in ("pass", "review", "fail", "none")}
    return {"teller": teller, "auditor": auditor}


def verification_label_keys() -> set[str]:
    """Keys the teller's identity check needs for the codes the server sends it."""
    statuses = typing.get_args(typing.get_type_hints(VerificationProgress)["status"])
    return (
        {f"verify.reason.{reason.value}" for reason in Reason}
        | {f"verify.try.{result.value}" for result in TryResult}
        | {f"verify.status.{status}" for status in statuses}
        | {f"verify.action.{action.value}" for action in Action}
        | {f"verify.phase.{phase.value}" for phase in Phase}
        | {"verify.phase.paused"}
        | {f"verify.outcome.{outcome.value}" for outcome in Outcome}
        | {f"verify.verdict.{verdict.value}" for verdict in MatchVerdict}
        | {f"review.{reason.value}" for reason in ReviewReason}
    )


async def test_every_staff_string_exists_in_both_languages_with_the_same_placeholders(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    teller = await launch_party("teller", camera_clips.teller)
    await teller.page.goto(f"{live_server.base_url}/teller/")
    read: dict[str, Any] = await teller.page.evaluate(READ_TABLES)
    problems: list[str] = []
    for module, tables in read["tables"].items():
        assert set(tables) == set(LANGUAGES), f"{module}: languages {sorted(tables)}"
        every = set().union(*(set(table) for table in tables.values()))
        for lang, table in tables.items():
            problems += [f"{module}: {key!r} has no {lang} string" for key in sorted(every - set(table))]
            problems += [
                f"{module}: {key!r} is empty in {lang}" for key, text in table.items() if not text.strip()
            ]
        for key in sorted(every):
            marks = {lang: set(PLACEHOLDER.findall(tables[lang].get(key, ""))) for lang in LANGUAGES}
            if marks["zh-CN"] != marks["en"]:
                problems.append(f"{module}: {key!r} placeholders differ: {marks}")
    for page, keys in read["markup"].items():
        assert keys, f"the {page} page names no strings"
        table = read["tables"][page]["zh-CN"]
        problems += [
            f"{page}/index.html names {key!r}, which has no string" for key in keys if key not in table
        ]
    for page, needed in label_keys().items():
        table = read["tables"][page]["zh-CN"]
        problems += [f"{page}: no label for the server's code {key!r}" for key in sorted(needed - set(table))]
    assert not problems, "\n".join(problems)
    assert_no_page_problems(teller)


async def test_the_consoles_speak_chinese_by_default_and_english_on_request(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    staff = await launch_party("staff", camera_clips.teller)
    page = staff.page
    for console in ("teller", "auditor"):
        await page.goto(f"{live_server.base_url}/{console}/")
        await expect(page.get_by_test_id("login-button")).to_be_visible()
        assert await page.evaluate("document.documentElement.lang") == "zh-CN"
        await page.goto(f"{live_server.base_url}/{console}/?lang=en")
        await expect(page.get_by_test_id("login-button")).to_be_visible()
        assert await page.evaluate("document.documentElement.lang") == "en"
        # The sign-in form's link switches back, and the choice is remembered on this device.
        await page.get_by_test_id("login-language").click()
        await page.wait_for_url(re.compile(r"\?lang=zh-CN$"))
        await expect(page.get_by_test_id("login-button")).to_be_visible()
        assert await page.evaluate("document.documentElement.lang") == "zh-CN"
        await page.goto(f"{live_server.base_url}/{console}/")
        assert await page.evaluate("document.documentElement.lang") == "zh-CN"
    assert_no_page_problems(staff)


async def expect_labels_not_codes(page: Any, selector: str, attribute: str) -> None:
    """Cells carrying a code in ``attribute`` show a label, not the code itself."""
    cells = await page.locator(selector).evaluate_all(
        f"cells => cells.map(c => [c.getAttribute('{attribute}'), c.textContent.trim()])"
    )
    assert cells, selector
    for code, text in cells:
        assert code and text and text != code, (selector, code, text)


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_both_consoles_in_both_languages(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips, lang: str
) -> None:
    """A call from sign-in to wrap-up on the teller console, then its record on the auditor console,
    in ``lang``; screenshots of each."""
    query = "" if lang == "zh-CN" else "?lang=en"
    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", camera_clips.customer)
    await teller.page.set_viewport_size(DESK_VIEWPORT)
    await teller.page.goto(f"{live_server.base_url}/teller/{query}")
    await expect(teller.page.get_by_test_id("login-button")).to_be_visible()
    assert await teller.page.evaluate("document.documentElement.lang") == lang
    await save_screenshot(teller, f"staff-{lang}-teller-sign-in")

    # sign_in_teller opens the page itself: the language comes from the remembered choice.
    await teller.page.evaluate("lang => localStorage.setItem('video_bank.lang', lang)", lang)
    await sign_in_and_go_available(teller, live_server, auto_accept=True)
    assert await teller.page.evaluate("document.documentElement.lang") == lang
    await open_customer_page(customer, live_server)
    await join_queue(customer, "Wang Xiulan", "activation")
    await expect_in_call(customer, teller, "Wang Xiulan")
    c = customer.page
    await c.get_by_test_id("consent-recording").check()
    await c.get_by_test_id("consent-biometric").check()
    await c.get_by_test_id("consent-submit").click()
    await c.get_by_test_id("id-number").fill(demo.PENSIONER.resident_id.number)
    await c.get_by_test_id("id-submit").click()
    await expect(teller.page.get_by_test_id("customer-profile")).to_have_attribute(
        "data-customer-id", demo.PENSIONER.id, timeout=WAIT_MS
    )
    await expect_labels_not_codes(teller.page, "[data-testid=flow-steps] li", "data-step")
    await save_screenshot(teller, f"staff-{lang}-teller-in-call")
    await c.get_by_test_id("hangup-button").click()
    await expect_wrap_up(teller)
    await expect(teller.page.get_by_test_id("flow-wrapup")).to_have_attribute("data-state", "open")
    await save_screenshot(teller, f"staff-{lang}-teller-wrap-up")
    assert_no_page_problems(customer, teller)

    auditor = await launch_party("auditor", camera_clips.teller)
    await auditor.page.goto(f"{live_server.base_url}/auditor/{query}")
    await auditor.page.evaluate("lang => localStorage.setItem('video_bank.lang', lang)", lang)
    await sign_in_auditor(auditor, live_server)
    assert await auditor.page.evaluate("document.documentElement.lang") == lang
    await search_until_found(auditor)
    row = auditor.page.locator("[data-testid=results-table] tbody tr").first
    await expect(row.locator("td[data-outcome]")).to_have_attribute("data-outcome", "customer_hangup")
    await expect(row.locator("td[data-business]")).to_have_attribute("data-business", "activation")
    for attribute in ("data-outcome", "data-business", "data-verification"):
        await expect_labels_not_codes(auditor.page, f"[data-testid=results-table] td[{attribute}]", attribute)
    await save_screenshot(auditor, f"staff-{lang}-auditor-results")
    await open_with_reason(auditor, live_server.data_dir / "keys" / "demo-auditor.pem", access_entries=1)
    await expect(auditor.page.get_by_test_id("integrity-status")).to_have_attribute(
        "data-state", "verified", timeout=WAIT_MS
    )
    kinds = (
        await auditor.page.get_by_test_id("timeline")
        .locator("li")
        .evaluate_all("items => items.map(i => i.dataset.kind)")
    )
    labelled = await auditor.page.evaluate(
        "async (kinds) => { const {TABLES} = await import('/auditor/strings.js');"
        " return kinds.filter((k) => !(`event.${k}` in TABLES['zh-CN'])); }",
        kinds,
    )
    assert kinds and labelled == [], f"timeline events without a label: {labelled}"
    await save_screenshot(auditor, f"staff-{lang}-auditor-replay")
    assert_no_page_problems(auditor)
