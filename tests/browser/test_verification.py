"""Identity check in the browsers: the teller starts it, the customer's phone shows and speaks each
asked action, the teller's console shows progress and the server's verdict.

Chromium's fake camera plays a prepared clip and cannot react to prompts, so this test runs the server
in its explicit test mode with a fixed challenge seed: the sequence is known in advance, and the
genuine clip performs it with pauses long enough that each action falls inside its prompt's window
whatever the exact prompt times: the clip shows an empty room first and the teller starts the check
then (read from the customer's own camera preview), so the first prompt follows the face's arrival.
The photo-attack clip is a printed photo held up to the camera.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from tests.browser.harness import CameraClips, LaunchParty, LiveServer, Party
from tests.browser.steps import (
    WAIT_MS,
    accept_offer,
    assert_no_page_problems,
    expect_in_call,
    join_queue,
    open_customer_page,
    sign_in_and_go_available,
)
from tests.support.faces import face_path
from verification.analysis import DlibAnalyzer
from verification.challenges import draw_sequence
from verification.reference_store import ReferenceStore, parse_key
from verification.synth.attacks import PhotoAttack, RecordedClip, room
from verification.synth.catalog import Cast
from verification.synth.performer import Behaviour
from verification.synth.y4m import write_y4m
from verification.testing import shared_analyzer
from video_bank.config import Settings
from video_bank.verification_setup import reference_key_text

with contextlib.suppress(ImportError):
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

SEED = 20261122
CUSTOMER_ID = "cus_browser_obama"
CLIP_SECONDS = 32
CLIP_FPS = 15
FACE_FROM = 6.0
"""Clip time the face comes into view (an empty room before): the check waits in its quality phase
until then, so the first prompt follows the clip, not the moment the teller pressed start."""
START_WINDOW = (1.0, 4.0)
"""Clip times at which the teller may press start (before the face appears)."""
ACTION_AT = (11.5, 17.0, 22.5)
"""Clip times of the three actions: a prompt comes 1.9-3.7 s after the face settles or an action
ends (baseline, the seeded pause, analysis lag), and each action must start ≥ 0.25 s after its prompt
and end within 6 s of it — these times leave about 2 s of slack either way."""
VERDICT_MS = 90_000

SPEECH_SPY = """
window.__spoken = [];
if ('speechSynthesis' in window) {
  window.speechSynthesis.speak = (u) => window.__spoken.push({text: u.text, lang: u.lang});
  window.speechSynthesis.cancel = () => {};
}
"""

AT_CLIP_TIME = """
([video, length, from, to]) => video.readyState >= 2 && video.currentTime % length >= from
  && video.currentTime % length <= to
"""


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("verification-clips")
    cast = Cast(face_path("obama.jpg").parent, shared_analyzer())
    rig = cast.rig("obama")
    sequence = draw_sequence(random.Random(SEED), 3)  # what the server in test mode will ask
    calm = Behaviour(slow_share=0.0, confusion_share=0.0, blink_rate=0.1)
    genuine = RecordedClip(rig, 7, list(zip(sequence, ACTION_AT, strict=True)), key="genuine", behaviour=calm)
    step = 30 // CLIP_FPS
    photo = PhotoAttack(rig, 3)
    count = CLIP_SECONDS * CLIP_FPS
    empty = room(np.random.default_rng(1)).astype(np.float32)
    sensor = np.random.default_rng(2)

    def genuine_frame(i: int) -> npt.NDArray[np.uint8]:
        if i / CLIP_FPS >= FACE_FROM:
            return genuine.frame_at(i * step)
        # An empty room with sensor noise (identical frames would look like an injected still image).
        return np.clip(empty + sensor.normal(0.0, 2.5, empty.shape), 0, 255).astype(np.uint8)

    return {
        "genuine": write_y4m((genuine_frame(i) for i in range(count)), folder / "genuine.y4m", CLIP_FPS),
        "photo": write_y4m((photo.frame(i / CLIP_FPS) for i in range(count)), folder / "photo.y4m", CLIP_FPS),
    }


def enroll(server: LiveServer) -> None:
    settings = Settings(data_dir=server.data_dir)
    store = ReferenceStore(
        settings.data_dir / "references", parse_key(reference_key_text(settings)), time.time
    )
    store.enroll(CUSTOMER_ID, face_path("obama.jpg").read_bytes(), DlibAnalyzer())


async def start_check_at_clip_time(customer: Party, teller: Party) -> None:
    """Press start while the customer's camera clip shows the empty room (waiting for the clip to loop)."""
    preview = await customer.page.get_by_test_id("local-video").element_handle()
    await teller.page.get_by_test_id("verification-customer-id").fill(CUSTOMER_ID)
    await customer.page.wait_for_function(
        AT_CLIP_TIME,
        arg=[preview, CLIP_SECONDS, *START_WINDOW],
        polling=20,
        timeout=(CLIP_SECONDS + 10) * 1000,
    )
    await teller.page.get_by_test_id("start-verification").click()


async def call(
    launch_party: LaunchParty, server: LiveServer, camera_clips: CameraClips, clip: Path
) -> tuple[Party, Party]:
    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", clip)
    await customer.context.add_init_script(SPEECH_SPY)
    await sign_in_and_go_available(teller, server)
    await open_customer_page(customer, server)
    await join_queue(customer, "Zhao Lei")
    await accept_offer(teller, "Zhao Lei")
    await expect_in_call(customer, teller, "Zhao Lei")
    await asyncio.to_thread(enroll, server)
    return customer, teller


@pytest.mark.server_env(test_mode=1, verification_seed=SEED, verification_preload=1)
async def test_a_live_customer_passes_the_check_in_the_browsers(
    launch_party: LaunchParty, live_server: LiveServer, camera_clips: CameraClips, clips: dict[str, Path]
) -> None:
    customer, teller = await call(launch_party, live_server, camera_clips, clips["genuine"])
    await start_check_at_clip_time(customer, teller)

    prompt = customer.page.get_by_test_id("challenge-prompt")
    expected = [a.value for a in draw_sequence(random.Random(SEED), 3)]
    await expect(prompt).to_have_attribute("data-action", expected[0], timeout=WAIT_MS * 2)
    result = teller.page.get_by_test_id("verification-result")
    await expect(result).to_have_attribute("data-outcome", "pass", timeout=VERDICT_MS)
    progress = teller.page.get_by_test_id("challenge-progress").locator("li")
    await expect(progress).to_have_count(3)
    assert [await li.get_attribute("data-action") for li in await progress.all()] == expected
    assert {await li.get_attribute("data-status") for li in await progress.all()} == {"passed"}
    status = customer.page.get_by_test_id("verification-status")
    await expect(status).to_have_attribute("data-status", "passed", timeout=WAIT_MS)
    spoken = await customer.page.evaluate("window.__spoken")
    assert len(spoken) >= 5, spoken  # start, three prompts, the verdict
    assert all(s["lang"] for s in spoken)
    # The customer's page never gets the scores.
    assert "match" not in (await customer.page.get_by_test_id("verification-panel").inner_text()).lower()
    assert_no_page_problems(customer, teller)


@pytest.mark.server_env(test_mode=1, verification_seed=SEED, verification_preload=1)
async def test_a_photo_held_up_to_the_camera_fails_in_the_browsers(
    launch_party: LaunchParty, live_server: LiveServer, camera_clips: CameraClips, clips: dict[str, Path]
) -> None:
    customer, teller = await call(launch_party, live_server, camera_clips, clips["photo"])
    await teller.page.get_by_test_id("verification-customer-id").fill(CUSTOMER_ID)
    await teller.page.get_by_test_id("start-verification").click()

    result = teller.page.get_by_test_id("verification-result")
    await expect(result).to_have_attribute("data-outcome", "fail", timeout=VERDICT_MS)
    await expect(result.locator("li[data-code]").first).to_be_visible()
    await expect(customer.page.get_by_test_id("verification-status")).to_have_attribute(
        "data-status", "failed", timeout=WAIT_MS
    )
    assert_no_page_problems(customer, teller)
