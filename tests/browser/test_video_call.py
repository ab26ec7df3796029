"""A customer's phone browser and a teller's console hold a real video call through our server.

The teller is offered the waiting customer and accepts; after each call the teller wraps up.

Each party runs its own headless Chromium whose camera plays a clip made from a different photo
(customer: obama.jpg, teller: biden.jpg). The tests drive the pages only through their
``data-testid`` hooks and ``data-*`` state, and prove that each side's remote video shows moving
frames that come from the other side's camera.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from tests.browser.harness import CameraClips, LaunchParty, LiveServer, Party, save_screenshot
from tests.browser.steps import (
    WAIT_MS,
    accept_offer,
    assert_no_page_problems,
    expect_in_call,
    expect_offer,
    expect_waiting,
    expect_wrap_up,
    finish_wrap_up,
    join_queue,
    open_customer_page,
    sign_in_and_go_available,
)
from tests.support.y4m import read_y4m

if TYPE_CHECKING:
    from playwright.async_api import Page

# Without playwright the chromium_executable fixture skips these tests (fails them in CI) with the reason.
with contextlib.suppress(ImportError):
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

FRAMES_TO_SEE = 15
"""How many more frames a remote video must present to count as moving."""
THUMB_SIZE = (16, 12)
"""Width and height of the grey thumbnails compared with the camera clips."""

CUSTOMER_NAME = "Wang Xiuying"

JS_VIDEO_PROGRESS = """
(video) => ({
  width: video.videoWidth,
  height: video.videoHeight,
  time: video.currentTime,
  frames: Number(video.dataset.frames || 0),
  audioTracks: video.srcObject ? video.srcObject.getAudioTracks().length : 0,
})
"""

JS_MOVED_ON = """
([video, start]) => video.videoWidth > 0
  && Number(video.dataset.frames || 0) >= start.frames + start.more
  && video.currentTime > start.time
"""

JS_GRAB_RGBA = """
(video) => {
  const canvas = document.createElement('canvas');
  canvas.width = 160;
  canvas.height = 120;
  const context = canvas.getContext('2d', {willReadFrequently: true});
  context.drawImage(video, 0, 0, canvas.width, canvas.height);
  return Array.from(context.getImageData(0, 0, canvas.width, canvas.height).data);
}
"""

Grey = npt.NDArray[np.float64]


async def expect_moving_remote_video(party: Party) -> dict[str, float]:
    """Wait until the remote video has a size and keeps presenting new frames; return its progress."""
    video = party.page.get_by_test_id("remote-video")
    handle = await video.element_handle(timeout=WAIT_MS)
    first = {"frames": 0, "time": 0.0, "more": 1}
    await party.page.wait_for_function(JS_MOVED_ON, arg=[handle, first], timeout=WAIT_MS)
    start = await video.evaluate(JS_VIDEO_PROGRESS)
    await party.page.wait_for_function(
        JS_MOVED_ON, arg=[handle, {**start, "more": FRAMES_TO_SEE}], timeout=WAIT_MS
    )
    progress: dict[str, float] = await video.evaluate(JS_VIDEO_PROGRESS)
    return progress


async def remote_thumbnail(page: Page) -> Grey:
    rgba = await page.get_by_test_id("remote-video").evaluate(JS_GRAB_RGBA)
    pixels = np.array(rgba, dtype=np.uint8).reshape(120, 160, 4)
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGBA2GRAY).astype(np.float64)
    return cv2.resize(grey, THUMB_SIZE, interpolation=cv2.INTER_AREA)


def clip_thumbnail(clip_frame_bgr: npt.NDArray[np.uint8]) -> Grey:
    grey = cv2.cvtColor(clip_frame_bgr, cv2.COLOR_BGR2GRAY).astype(np.float64)
    return cv2.resize(grey, THUMB_SIZE, interpolation=cv2.INTER_AREA)


def similarity(a: Grey, b: Grey) -> float:
    """Pearson correlation of two thumbnails (1 = same picture up to brightness and contrast)."""
    a0, b0 = a - a.mean(), b - b.mean()
    return float((a0 * b0).sum() / np.sqrt((a0 * a0).sum() * (b0 * b0).sum() + 1e-9))


async def expect_remote_shows(party: Party, peer: Party) -> None:
    """The picture in ``party``'s remote video is ``peer``'s camera, not black and not its own."""
    shown = await remote_thumbnail(party.page)
    assert shown.mean() > 20, f"{party.name}'s remote video is black (mean grey {shown.mean():.1f})"
    from_peer = similarity(shown, clip_thumbnail(read_y4m(peer.clip).frame_bgr(0)))
    from_self = similarity(shown, clip_thumbnail(read_y4m(party.clip).frame_bgr(0)))
    scores = f"similarity to the {peer.name}'s camera {from_peer:.2f}, to its own {from_self:.2f}"
    assert from_peer > 0.8, f"{party.name}'s remote video does not show the {peer.name}: {scores}"
    assert from_peer > from_self, f"{party.name}'s remote video shows its own camera: {scores}"


async def expect_both_see_each_other(customer: Party, teller: Party, stem: str) -> None:
    for party, peer in ((customer, teller), (teller, customer)):
        progress = await expect_moving_remote_video(party)
        assert progress["audioTracks"] == 1, f"{party.name} receives no audio track from the hub"
        await expect_remote_shows(party, peer)
    for party in (customer, teller):
        await save_screenshot(party, f"{stem}-{party.name}")


async def expect_back_to_start(customer: Party, teller: Party, name: str = CUSTOMER_NAME) -> None:
    """The customer (``name``) can join again; the teller wraps up, then takes the next customer."""
    c, t = customer.page, teller.page
    await expect(c.get_by_test_id("call-status")).to_have_attribute("data-state", "ended", timeout=WAIT_MS)
    await expect(c.get_by_test_id("join-button")).to_be_enabled()
    await expect(c.get_by_test_id("hangup-button")).to_be_disabled()
    await expect_wrap_up(teller)
    await expect(t.get_by_test_id("hangup-button")).to_be_disabled()
    # The last customer stays on the card, marked ended, while the teller wraps up their call.
    await expect(t.get_by_test_id("customer-card")).to_have_attribute("data-state", "ended")
    await expect(t.get_by_test_id("customer-name")).to_have_text(name)
    for page in (c, t):
        assert await page.get_by_test_id("remote-video").evaluate("v => v.srcObject === null")


async def test_teller_accepts_the_offer_and_both_see_each_other_then_customer_hangs_up(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", camera_clips.customer)
    await sign_in_and_go_available(teller, live_server)
    await open_customer_page(customer, live_server)
    await expect(customer.page.get_by_test_id("hangup-button")).to_be_disabled()

    await join_queue(customer, CUSTOMER_NAME)
    await expect_offer(teller, CUSTOMER_NAME)
    await save_screenshot(teller, "offer-teller")
    await teller.page.get_by_test_id("offer-accept").click()
    await expect_in_call(customer, teller, CUSTOMER_NAME)
    await expect(teller.page.get_by_test_id("task-offer")).to_be_hidden()
    await expect_both_see_each_other(customer, teller, "call")

    await customer.page.get_by_test_id("hangup-button").click()
    await expect_back_to_start(customer, teller)
    await save_screenshot(teller, "wrap-up-teller")
    await finish_wrap_up(teller)
    assert_no_page_problems(customer, teller)


async def test_teller_hangs_up_extends_wrap_up_and_the_customer_can_call_again(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", camera_clips.customer)
    await sign_in_and_go_available(teller, live_server)
    await open_customer_page(customer, live_server)

    await join_queue(customer, CUSTOMER_NAME)
    await accept_offer(teller, CUSTOMER_NAME)
    await expect_in_call(customer, teller, CUSTOMER_NAME)
    await expect_moving_remote_video(customer)
    await teller.page.get_by_test_id("hangup-button").click()
    await expect_back_to_start(customer, teller)

    # More time for notes: the server adds its extension to what was left.
    left = await expect_wrap_up(teller)
    await teller.page.get_by_test_id("wrapup-extend").click()
    timer = teller.page.get_by_test_id("wrapup-timer")
    await expect(timer).not_to_have_attribute("data-seconds-left", str(left), timeout=WAIT_MS)
    await teller.page.wait_for_function(
        "([el, before]) => Number(el.dataset.secondsLeft) > before",
        arg=[await timer.element_handle(), left],
        timeout=WAIT_MS,
    )

    # The customer calls again while the teller wraps up: they wait until the teller is ready.
    await customer.page.get_by_test_id("join-button").click()
    await expect_waiting(customer, position=1)
    await expect(teller.page.get_by_test_id("task-offer")).to_be_hidden()
    await finish_wrap_up_into_offer(teller)
    await accept_offer(teller, CUSTOMER_NAME)
    await expect_in_call(customer, teller, CUSTOMER_NAME)
    await expect_both_see_each_other(customer, teller, "second-call")
    await teller.page.get_by_test_id("hangup-button").click()
    await expect_back_to_start(customer, teller)
    assert_no_page_problems(customer, teller)


async def finish_wrap_up_into_offer(teller: Party) -> None:
    """Press "I am ready" while a customer waits: the next offer comes at once."""
    await teller.page.get_by_test_id("wrapup-done").click()
    await expect(teller.page.get_by_test_id("wrapup")).to_be_hidden(timeout=WAIT_MS)
