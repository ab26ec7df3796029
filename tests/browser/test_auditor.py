"""An auditor replays a real recorded call in the auditor console, and sees when a record was tampered with.

A customer and a teller hold a call through the server (each in their own Chromium); the server
records it. The auditor signs in on ``/auditor/``, searches, opens the record with a reason (the
access log shows it, chain intact), loads the demo auditor's private key file, and the page
verifies and plays both parties' videos with Media Source Extensions. Clicking a timeline event
seeks both videos there. Then one byte of a media chunk is flipped on disk: opening the record
again shows ``tampered`` and no replay.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from tests.browser.harness import CameraClips, LaunchParty, LiveServer, Party, save_screenshot
from tests.browser.steps import (
    WAIT_MS,
    accept_offer,
    assert_no_page_problems,
    expect_in_call,
    expect_wrap_up,
    join_queue,
    open_customer_page,
    sign_in_and_go_available,
)

with contextlib.suppress(ImportError):
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

CUSTOMER_NAME = "Zhao Min"
DEMO_AUDITOR = "audit1"
REASON = "Complaint 2026-0417: customer disputes the activation"
RECORDED_SECONDS = 7
"""The call lasts until the teller has seen this much of the customer's video."""

JS_ADVANCED = "([video, past]) => video.currentTime > past && !video.paused && video.readyState >= 3"
JS_NEAR = "([video, target]) => Math.abs(video.currentTime - target) < 1.0 && !video.seeking"


async def record_a_call(live_server: LiveServer, launch_party: LaunchParty, clips: CameraClips) -> None:
    teller = await launch_party("teller", clips.teller)
    customer = await launch_party("customer", clips.customer)
    await sign_in_and_go_available(teller, live_server)
    await open_customer_page(customer, live_server)
    await join_queue(customer, CUSTOMER_NAME)
    await accept_offer(teller, CUSTOMER_NAME)
    await expect_in_call(customer, teller, CUSTOMER_NAME)
    remote = await teller.page.get_by_test_id("remote-video").element_handle(timeout=WAIT_MS)
    await teller.page.wait_for_function(
        "([video, seconds]) => video.currentTime > seconds", arg=[remote, RECORDED_SECONDS], timeout=WAIT_MS
    )
    await customer.page.get_by_test_id("hangup-button").click()
    await expect_wrap_up(teller)
    assert_no_page_problems(customer, teller)


async def sign_in_auditor(auditor: Party, server: LiveServer) -> None:
    page = auditor.page
    await page.goto(f"{server.base_url}/auditor/")
    await page.get_by_test_id("username").fill(DEMO_AUDITOR)
    await page.get_by_test_id("password").fill(server.demo_password)
    await page.get_by_test_id("login-button").click()
    await expect(page.get_by_test_id("search-form")).to_be_visible(timeout=WAIT_MS)


async def search_until_found(auditor: Party) -> None:
    """Search by teller until the sealed record is listed (sealing follows the hang-up)."""
    page = auditor.page
    await page.get_by_test_id("search-teller").fill("teller1")
    await page.get_by_test_id("search-verification").select_option("none")
    table = page.get_by_test_id("results-table")
    for _ in range(WAIT_MS // 1000):
        await page.get_by_test_id("search-button").click()
        with contextlib.suppress(AssertionError):
            await expect(table).to_have_attribute("data-count", "1", timeout=1000)
            return
    await expect(table).to_have_attribute("data-count", "1")


async def open_with_reason(auditor: Party, key_file: Path, access_entries: int) -> None:
    page = auditor.page
    await page.get_by_test_id("open-record").click()
    await page.get_by_test_id("open-reason").fill(REASON)
    await page.get_by_test_id("open-confirm").click()
    await expect(page.get_by_test_id("replay")).to_be_visible(timeout=WAIT_MS)
    log = page.get_by_test_id("access-log")
    await expect(log).to_have_attribute("data-count", str(access_entries), timeout=WAIT_MS)
    await expect(page.get_by_test_id("access-log-status")).to_have_attribute("data-state", "intact")
    await expect(log.locator("tbody tr").first).to_contain_text(REASON)
    await page.get_by_test_id("key-file").set_input_files(str(key_file))
    await expect(page.get_by_test_id("key-status")).to_have_attribute("data-state", "loaded", timeout=WAIT_MS)


async def expect_playing(auditor: Party) -> None:
    """Both videos play: their current time advances past where it was."""
    for name in ("replay-customer", "replay-teller"):
        video = auditor.page.get_by_test_id(name)
        handle = await video.element_handle()
        start = await video.evaluate("v => v.currentTime")
        await auditor.page.wait_for_function(JS_ADVANCED, arg=[handle, start + 0.5], timeout=WAIT_MS)


def flip_a_media_byte(data_dir: Path, record_id: str) -> None:
    """Flip one ciphertext byte of the customer's last media chunk on disk."""
    record = data_dir / "records" / record_id
    manifest = json.loads((record / "manifest.json").read_bytes())
    entry = [c for c in manifest["chunks"] if c["stream"] == "customer" and not c["init"]][-1]
    path = record / "chunks" / f"{entry['index']:010d}.chunk"
    data = bytearray(path.read_bytes())
    data[-20] ^= 0x01
    path.write_bytes(bytes(data))


async def test_auditor_verifies_and_replays_a_recorded_call_then_sees_tampering(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    await record_a_call(live_server, launch_party, camera_clips)
    key_file = live_server.data_dir / "keys" / "demo-auditor.pem"
    assert key_file.is_file()

    auditor = await launch_party("auditor", camera_clips.teller)
    page = auditor.page
    await sign_in_auditor(auditor, live_server)
    await search_until_found(auditor)
    record_id = await page.locator("[data-testid=results-table] tbody tr").first.get_attribute(
        "data-record-id"
    )
    assert record_id
    await open_with_reason(auditor, key_file, access_entries=1)

    replay = page.get_by_test_id("replay")
    await expect(replay).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
    await expect_playing(auditor)
    integrity = page.get_by_test_id("integrity-status")
    await expect(integrity).to_have_attribute("data-state", "verified", timeout=WAIT_MS)

    # The timeline holds the session's events; clicking one seeks both videos there.
    timeline = page.get_by_test_id("timeline")
    kinds = await timeline.locator("li").evaluate_all("items => items.map(i => i.dataset.kind)")
    # In time order; desks (the business flow) may record their own end right after the session's.
    assert kinds[0] == "session_started" and "session_ended" in kinds, kinds
    assert "session_active" in kinds
    times = [
        float(t) for t in await timeline.locator("li").evaluate_all("items => items.map(i => i.dataset.t)")
    ]
    assert times == sorted(times)
    # Move to near the end with the position slider, then click the first event: both videos go back.
    duration = float(await page.get_by_test_id("replay-seek").get_attribute("max") or 0)
    assert duration > RECORDED_SECONDS - 1, duration
    await page.get_by_test_id("replay-seek").evaluate(
        "(range, t) => { range.value = String(t); range.dispatchEvent(new Event('change')); }", duration - 2
    )
    for name in ("replay-customer", "replay-teller"):
        handle = await page.get_by_test_id(name).element_handle()
        await page.wait_for_function(JS_NEAR, arg=[handle, duration - 2], timeout=WAIT_MS)
    first = timeline.locator("li").first
    target = max(float(await first.get_attribute("data-t") or 0), 0.0)
    await first.get_by_role("button").click()
    for name in ("replay-customer", "replay-teller"):
        handle = await page.get_by_test_id(name).element_handle()
        # The videos start at the first keyframe, a fraction of a second after the record opened.
        await page.wait_for_function(JS_NEAR, arg=[handle, target + 0.5], timeout=WAIT_MS)
    await expect(replay).to_have_attribute("data-seeking", "false", timeout=WAIT_MS)
    await save_screenshot(auditor, "auditor-replay")
    assert_no_page_problems(auditor)

    # One flipped byte on disk: the console says tampered and stops the replay.
    flip_a_media_byte(live_server.data_dir, record_id)
    await page.reload()
    await expect(page.get_by_test_id("search-form")).to_be_visible(timeout=WAIT_MS)
    await search_until_found(auditor)
    await open_with_reason(auditor, key_file, access_entries=2)
    await expect(integrity).to_have_attribute("data-state", "tampered", timeout=WAIT_MS)
    await expect(integrity).to_have_attribute("data-reason", "chunk_altered")
    await expect(replay).to_have_attribute("data-state", "stopped")
    for name in ("replay-customer", "replay-teller"):
        state = await page.get_by_test_id(name).evaluate(
            "v => ({paused: v.paused, src: v.currentSrc, attr: v.getAttribute('src'), rs: v.readyState})"
        )
        assert state["paused"] and not state["attr"], state
    await save_screenshot(auditor, "auditor-tampered")

    # An altered manifest: the record is still listed (as invalid) and opening it shows why.
    manifest = live_server.data_dir / "records" / record_id / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"outcome":"', b'"outcome":"x'))
    await page.reload()
    await expect(page.get_by_test_id("search-form")).to_be_visible(timeout=WAIT_MS)
    await search_until_found(auditor)
    await expect(page.get_by_test_id("results-table")).to_have_attribute("data-invalid", "1")
    await open_with_reason(auditor, key_file, access_entries=3)
    await expect(integrity).to_have_attribute("data-state", "tampered", timeout=WAIT_MS)
    await expect(integrity).to_have_attribute("data-reason", "signature_invalid")
    assert_no_page_problems(auditor)
