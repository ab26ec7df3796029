"""What people do on the pages, as steps the browser tests share.

Every step drives the pages only through their ``data-testid`` hooks and checks machine state in
``data-*`` attributes (DESIGN.md, "Test hooks"); every wait is bounded by :data:`WAIT_MS`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

from tests.browser.harness import DEMO_SUPERVISOR, DEMO_TELLER, LiveServer, Party

# Without playwright the chromium_executable fixture skips the tests (fails them in CI) with the reason.
with contextlib.suppress(ImportError):
    from playwright.async_api import expect

WAIT_MS = 30_000
"""Upper bound for every wait on the pages."""
VERDICT_MS = 90_000
"""Upper bound for an identity check, from the teller's start to the verdict on the console."""

SPEECH_SPY = """
window.__spoken = [];
if ('speechSynthesis' in window) {
  window.speechSynthesis.speak = (u) => window.__spoken.push({text: u.text, lang: u.lang});
  window.speechSynthesis.cancel = () => {};
}
"""
"""Init script recording every utterance the page speaks (``window.__spoken``)."""


def assert_no_page_problems(*parties: Party) -> None:
    """No console error and no uncaught exception on any page."""
    problems = [f"{p.name}: {problem}" for p in parties for problem in p.problems]
    assert not problems, "\n".join(problems)


async def sign_in_teller(teller: Party, server: LiveServer, username: str = DEMO_TELLER) -> None:
    """Sign in on the teller console; the teller starts away (reason ``login``)."""
    page = teller.page
    await page.goto(f"{server.base_url}/teller/")
    status = page.get_by_test_id("call-status")
    await expect(status).to_have_attribute("data-state", "offline")
    await expect(page.get_by_test_id("state-available")).to_be_disabled()
    await page.get_by_test_id("username").fill(username)
    await page.get_by_test_id("password").fill(server.demo_password)
    await page.get_by_test_id("login-button").click()
    await expect(status).to_have_attribute("data-state", "away", timeout=WAIT_MS)
    await expect(status).to_have_attribute("data-reason", "login")


async def go_available(teller: Party, *, auto_accept: bool = False, then: str = "available") -> None:
    """Press Available (with or without auto-accept) and wait for the state the server answers.

    ``then`` is ``available`` when nobody waits; with a customer waiting the server reserves them
    for the teller at once (``reserved``, or ``in-call`` with auto-accept).
    """
    page = teller.page
    await page.get_by_test_id("auto-accept").set_checked(auto_accept)
    await page.get_by_test_id("state-available").click()
    await expect(page.get_by_test_id("call-status")).to_have_attribute("data-state", then, timeout=WAIT_MS)
    if then == "available":
        await expect(page.get_by_test_id("state-available")).to_be_disabled()
        await expect(page.get_by_test_id("state-away")).to_be_enabled()


async def sign_in_and_go_available(
    teller: Party, server: LiveServer, *, auto_accept: bool = False, then: str = "available"
) -> None:
    """Sign in on the teller console and become available (see :func:`go_available`)."""
    await sign_in_teller(teller, server)
    await go_available(teller, auto_accept=auto_accept, then=then)


async def sign_in_supervisor(supervisor: Party, server: LiveServer) -> None:
    """Sign in on the supervisor page; the dashboard shows once the first snapshot can arrive."""
    page = supervisor.page
    await page.goto(f"{server.base_url}/supervisor/")
    await expect(page.get_by_test_id("login-error")).to_be_hidden()
    await page.get_by_test_id("username").fill(DEMO_SUPERVISOR)
    await page.get_by_test_id("password").fill(server.demo_password)
    await page.get_by_test_id("login-button").click()
    await expect(page.get_by_test_id("queue-table")).to_be_visible(timeout=WAIT_MS)


async def open_customer_page(customer: Party, server: LiveServer) -> None:
    """Open the customer page in its start state."""
    await customer.page.goto(f"{server.base_url}/customer/")
    await expect(customer.page.get_by_test_id("call-status")).to_have_attribute("data-state", "idle")


async def join_queue(
    customer: Party, name: str, business: str = "activation", resident_id: str | None = None
) -> None:
    """Fill the form and press Join; the page is waiting or in a call once the server answered."""
    page = customer.page
    await page.get_by_test_id("display-name").fill(name)
    await page.get_by_test_id("business-select").select_option(business)
    if resident_id is not None:
        await page.get_by_test_id("resident-id").fill(resident_id)
    await page.get_by_test_id("join-button").click()


async def expect_waiting(customer: Party, position: int, lane: str = "standard") -> int:
    """Wait until the customer is told ``position`` in ``lane``; return the estimated wait shown."""
    queue = customer.page.get_by_test_id("queue-status")
    await expect(customer.page.get_by_test_id("call-status")).to_have_attribute(
        "data-state", "waiting", timeout=WAIT_MS
    )
    await expect(queue).to_be_visible()
    await expect(queue).to_have_attribute("data-position", str(position), timeout=WAIT_MS)
    await expect(queue).to_have_attribute("data-lane", lane)
    eta = await queue.get_attribute("data-eta-seconds")
    assert eta is not None
    assert eta.isdigit(), eta
    return int(eta)


async def expect_offer(teller: Party, name: str, *, elderly: bool = False, kind: str = "call") -> None:
    """The teller's console shows an offer for customer ``name`` with a running countdown."""
    page = teller.page
    card = page.get_by_test_id("task-offer")
    await expect(card).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_test_id("call-status")).to_have_attribute("data-state", "reserved")
    await expect(card).to_have_attribute("data-kind", kind)
    await expect(page.get_by_test_id("offer-customer-name")).to_have_text(name)
    elderly_badge = page.get_by_test_id("offer-elderly")
    await (expect(elderly_badge).to_be_visible() if elderly else expect(elderly_badge).to_be_hidden())
    left = await page.get_by_test_id("offer-countdown").get_attribute("data-seconds-left")
    assert left is not None
    assert left.isdigit(), left
    await expect(page.get_by_test_id("offer-accept")).to_be_enabled()
    await expect(page.get_by_test_id("offer-reject")).to_be_enabled()


async def accept_offer(teller: Party, name: str, *, elderly: bool = False, kind: str = "call") -> None:
    """Wait for the offer of customer ``name`` and accept it."""
    await expect_offer(teller, name, elderly=elderly, kind=kind)
    await teller.page.get_by_test_id("offer-accept").click()
    await expect(teller.page.get_by_test_id("task-offer")).to_be_hidden(timeout=WAIT_MS)


async def expect_in_call(customer: Party, teller: Party, name: str) -> None:
    """Both pages show the call, with the hang-up button usable."""
    for party in (customer, teller):
        await expect(party.page.get_by_test_id("call-status")).to_have_attribute(
            "data-state", "in-call", timeout=WAIT_MS
        )
        await expect(party.page.get_by_test_id("hangup-button")).to_be_enabled(timeout=WAIT_MS)
    await expect(teller.page.get_by_test_id("customer-name")).to_have_text(name)
    await expect(customer.page.get_by_test_id("join-button")).to_be_disabled()


async def expect_wrap_up(teller: Party) -> int:
    """The teller wraps up after a call; return the seconds left on the wrap-up timer."""
    page = teller.page
    await expect(page.get_by_test_id("call-status")).to_have_attribute(
        "data-state", "wrap-up", timeout=WAIT_MS
    )
    await expect(page.get_by_test_id("wrapup")).to_be_visible()
    await expect(page.get_by_test_id("wrapup-done")).to_be_enabled()
    await expect(page.get_by_test_id("wrapup-extend")).to_be_enabled()
    left = await page.get_by_test_id("wrapup-timer").get_attribute("data-seconds-left")
    assert left is not None
    assert left.isdigit(), left
    return int(left)


async def finish_wrap_up(teller: Party) -> None:
    """Press "I am ready" during wrap-up; the teller is available again and the last call is cleared."""
    page = teller.page
    await page.get_by_test_id("wrapup-done").click()
    await expect(page.get_by_test_id("call-status")).to_have_attribute(
        "data-state", "available", timeout=WAIT_MS
    )
    await expect(page.get_by_test_id("wrapup")).to_be_hidden()
    await expect(page.get_by_test_id("customer-card")).to_have_attribute("data-state", "none")
    await expect(page.get_by_test_id("customer-name")).to_have_text("")
    await expect(page.get_by_test_id("flow-console")).to_be_hidden()


async def run_identity_check(
    teller: Party, *, when_asked: Callable[[], Awaitable[None]] | None = None, attempts: int = 3
) -> list[str]:
    """The teller starts the identity check until it is decided, as a teller would; the outcomes.

    A server too busy to analyse ends an attempt ``busy``, which says nothing about the customer:
    the teller starts the check again (up to ``attempts`` in all; the flow allows three). A server
    too busy to start one refuses it (``verification_refused`` ``busy``) and gives Start back when
    it may judge afresh; the teller presses it again then.
    ``when_asked`` runs once, when the first action of an attempt is asked. Returns every
    attempt's outcome in order; only the last may be other than ``busy``.
    """
    page = teller.page
    asked = page.get_by_test_id("challenge-progress").locator("li").first
    decided = page.locator("[data-testid=verification-result][data-outcome]")
    outcomes: list[str] = []
    start = page.get_by_test_id("start-verification")
    refused_busy = page.locator("[data-testid=verification-refused][data-reason=busy]:visible")
    running = page.locator("[data-testid=verification-card][data-running=true]")
    while len(outcomes) < attempts:
        for _ in range(attempts):
            # A server too busy to start a check refuses it and gives Start back once it may judge afresh.
            await expect(start).to_be_enabled(timeout=VERDICT_MS)
            await start.click()
            await expect(running.or_(refused_busy)).to_have_count(1, timeout=WAIT_MS)
            if not await refused_busy.count():
                break  # this attempt started (an attempt lasts seconds: it is seen running)
        else:
            raise AssertionError(f"the server refused to start the check {attempts} times: busy")
        await expect(decided).to_have_count(0)  # the last attempt's verdict went when this one started
        await expect(asked.or_(decided)).to_be_attached(timeout=VERDICT_MS)
        if when_asked is not None and await asked.count():
            await when_asked()
            when_asked = None
        await expect(decided).to_have_count(1, timeout=VERDICT_MS)
        outcomes.append(await decided.get_attribute("data-outcome") or "")
        if outcomes[-1] != "busy":
            break
    return outcomes
