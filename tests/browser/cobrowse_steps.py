"""Steps the co-browse and elderly-mode browser tests share (hooks only, bounded waits)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.browser.harness import CameraClips, LaunchParty, LiveServer, Party, resident_id
from tests.browser.steps import (
    WAIT_MS,
    accept_offer,
    expect_in_call,
    join_queue,
    open_customer_page,
    sign_in_and_go_available,
)
from video_bank.records.cli import DEMO_KEY_FILE
from video_bank.records.export import export_record
from video_bank.records.keyring import KeyRing, load_private_key_file
from video_bank.records.store import LocalRecordStore
from video_bank.records.writer import KEYS_DIR, RECORDS_DIR

with contextlib.suppress(ImportError):
    from playwright.async_api import expect

if TYPE_CHECKING:
    from playwright.async_api import FrameLocator

RECORD_SEALED_SECONDS = 30.0

SPEECH_RECORDER = """
window.__spoken = [];
if ('speechSynthesis' in window) {
  window.speechSynthesis.speak = (utterance) => {
    window.__spoken.push({text: utterance.text, lang: utterance.lang});
  };
}
"""
"""Wraps speechSynthesis before any page script runs: every utterance is recorded, none is played."""

SEVENTY_YEAR_OLD = resident_id(dt.date.today().replace(year=dt.date.today().year - 70, day=1))


async def record_speech(party: Party) -> None:
    """From the next page load on, keep what the page says in ``window.__spoken``."""
    await party.context.add_init_script(SPEECH_RECORDER)


async def spoken(party: Party) -> list[dict[str, str]]:
    """Everything the page has said so far (text and language)."""
    result: list[dict[str, str]] = await party.page.evaluate("() => window.__spoken ?? []")
    return result


async def start_call(
    launch_party: LaunchParty, clips: CameraClips, server: LiveServer, name: str, *, elderly: bool = False
) -> tuple[Party, Party]:
    """A customer and a teller in a call (the customer's speech is recorded)."""
    teller = await launch_party("teller", clips.teller)
    customer = await launch_party("customer", clips.customer)
    await record_speech(customer)
    await sign_in_and_go_available(teller, server)
    await open_customer_page(customer, server)
    await join_queue(customer, name, resident_id=SEVENTY_YEAR_OLD if elderly else None)
    await accept_offer(teller, name, elderly=elderly)
    await expect_in_call(customer, teller, name)
    return customer, teller


def mirror(teller: Party) -> FrameLocator:
    """The teller's live mirror of the customer's app area."""
    return teller.page.frame_locator('[data-testid="cobrowse-view"]')


async def start_sharing(customer: Party, teller: Party) -> None:
    """The teller asks, the customer allows, and the first snapshot has reached the mirror."""
    status = teller.page.get_by_test_id("cobrowse-status")
    await teller.page.get_by_test_id("cobrowse-request").click()
    await expect(status).to_have_attribute("data-state", "requested", timeout=WAIT_MS)
    await expect(customer.page.get_by_test_id("cobrowse-consent")).to_be_visible(timeout=WAIT_MS)
    await customer.page.get_by_test_id("cobrowse-allow").click()
    await expect(status).to_have_attribute("data-state", "sharing", timeout=WAIT_MS)
    await expect(customer.page.get_by_test_id("cobrowse-banner")).to_have_attribute("data-state", "sharing")
    await expect(mirror(teller).get_by_test_id("app")).to_be_attached(timeout=WAIT_MS)


JS_IN_MIRROR = """(id) => {
  const frame = document.querySelector('[data-testid="cobrowse-view"]');
  const element = frame.contentDocument.querySelector(`[data-testid="${id}"]`);
  const box = element?.getBoundingClientRect();
  return box && box.width && box.height ? {x: box.left + box.width / 2, y: box.top + box.height / 2} : null;
}"""
"""Where an element of the mirror is drawn, relative to the mirror (the overlay has the same origin)."""


async def click_in_mirror(teller: Party, test_id: str) -> None:
    """Click, on the console's overlay, right where the mirror draws the element ``test_id``.

    The point is taken relative to the overlay and clicked in one action (Playwright scrolls the
    point into view and clicks it): a page position measured first and clicked afterwards goes
    stale when the console moves in between — it sits scrolled to its end, so any change of its
    height moves it — and the tap then lands on something else, which the phone refuses silently.
    """
    await expect(mirror(teller).get_by_test_id(test_id)).to_be_visible(timeout=WAIT_MS)
    point = await teller.page.evaluate(JS_IN_MIRROR, test_id)
    assert point is not None, f"the mirror does not draw {test_id}"
    await teller.page.get_by_test_id("cobrowse-overlay").click(position=point)


def stored_events(server: LiveServer, session_id: str) -> list[tuple[str, str]]:
    """(kind, data) of every event-log row of the session in the server's SQLite database."""
    with contextlib.closing(sqlite3.connect(server.data_dir / "video_bank.sqlite3")) as db:
        rows = db.execute("SELECT kind, data FROM events WHERE session_id = ? ORDER BY seq", (session_id,))
        return [(str(kind), str(data)) for kind, data in rows]


async def export_timeline(server: LiveServer, session_id: str, out: Path) -> list[dict[str, Any]]:
    """Wait for the session's record to be sealed, open it as the demo auditor, return its timeline."""
    records = LocalRecordStore(server.data_dir / RECORDS_DIR)
    deadline = time.monotonic() + RECORD_SEALED_SECONDS
    while records.state(session_id).value != "sealed":
        assert time.monotonic() < deadline, "the record was not sealed in time"
        await asyncio.sleep(0.1)  # polling interval of a bounded wait for the server to seal it
    ring = KeyRing(server.data_dir / KEYS_DIR)
    key = load_private_key_file(server.data_dir / KEYS_DIR / DEMO_KEY_FILE)
    export_record(records, session_id, ring.trusted_signing_keys(), key, out)
    events: list[dict[str, Any]] = json.loads((out / "timeline.json").read_text())["events"]
    return events
