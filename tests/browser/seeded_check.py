"""A genuine camera clip that passes the identity check in Chromium, for browser tests.

Chromium's fake camera plays a prepared clip and cannot react to prompts, so these tests run the
server in its explicit test mode with a fixed challenge seed: the sequence is known in advance. The
clip shows an empty room first (with sensor noise), then the face at rest, then the known actions
with pauses long enough that each falls inside its prompt's window whatever the exact prompt times.
The teller presses start while the room is shown (read from the customer's own camera preview), so
the check waits in its quality phase and the first prompt follows the face's arrival, not the click.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from verification.challenges import Action, draw_sequence
from verification.synth.attacks import RecordedClip, room
from verification.synth.performer import Behaviour
from verification.synth.rig import FaceRig
from verification.synth.y4m import write_y4m

if TYPE_CHECKING:
    from playwright.async_api import Page

SEED = 20261122
"""The server's challenge seed in these tests (``server_env(test_mode=1, verification_seed=SEED)``)."""
CLIP_SECONDS = 32
CLIP_FPS = 15
FACE_FROM = 6.0
"""Clip time the face comes into view."""
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
"""Init script recording every utterance the page speaks (``window.__spoken``)."""

_IN_START_WINDOW = """
([video, length, from, to]) => video.readyState >= 2 && video.currentTime % length >= from
  && video.currentTime % length <= to
"""


def seeded_sequence() -> tuple[Action, ...]:
    """The actions the server in test mode asks for, in order."""
    return draw_sequence(random.Random(SEED), 3)


def write_genuine_clip(rig: FaceRig, path: Path) -> Path:
    """The clip of ``rig``'s face performing the seeded sequence (see the module docstring)."""
    calm = Behaviour(slow_share=0.0, confusion_share=0.0, blink_rate=0.1)
    script = list(zip(seeded_sequence(), ACTION_AT, strict=True))
    genuine = RecordedClip(rig, 7, script, key=path.stem, behaviour=calm)
    empty = room(np.random.default_rng(1)).astype(np.float32)
    sensor = np.random.default_rng(2)
    step = 30 // CLIP_FPS

    def frames() -> Iterator[npt.NDArray[np.uint8]]:
        for i in range(CLIP_SECONDS * CLIP_FPS):
            if i / CLIP_FPS >= FACE_FROM:
                yield genuine.frame_at(i * step)
            else:  # identical frames would look like an injected still image
                yield np.clip(empty + sensor.normal(0.0, 2.5, empty.shape), 0, 255).astype(np.uint8)

    return write_y4m(frames(), path, CLIP_FPS)


async def wait_for_start_window(customer: Page) -> None:
    """Return while the customer's camera clip shows the empty room (waiting for the clip to loop)."""
    preview = await customer.get_by_test_id("local-video").element_handle()
    await customer.wait_for_function(
        _IN_START_WINDOW,
        arg=[preview, CLIP_SECONDS, *START_WINDOW],
        polling=20,
        timeout=(CLIP_SECONDS + 10) * 1000,
    )
