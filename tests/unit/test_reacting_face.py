"""The test cameras' scenes and frame clock (tests/support/reacting_face.py, camera_renderer.py).

Every frame here is synthetic.
"""

from __future__ import annotations

import base64
import itertools

import cv2
import numpy as np
import pytest

from tests.support.camera_renderer import MAX_STEP, NextFrame, Renderer, Report, See, Show, pack, unpack
from tests.support.faces import face_path
from tests.support.reacting_face import (
    PHONE_EYE_DISTANCE,
    EmptyRoom,
    HeldPhoto,
    LiveFace,
    Prompt,
    ReactingFace,
)
from verification.analysis import AnalysisRequest, FrameInput
from verification.challenges import Action
from verification.policy import QualityPolicy
from verification.synth.catalog import Cast
from verification.synth.rig import FRAME_HEIGHT, FRAME_WIDTH, Image
from verification.testing import shared_analyzer


@pytest.fixture(scope="module")
def cast() -> Cast:
    for name in ("obama.jpg", "biden.jpg"):
        face_path(name)
    return Cast(face_path("obama.jpg").parent, shared_analyzer(), PHONE_EYE_DISTANCE)


def faces_in(image: Image) -> int:
    analysis = shared_analyzer().analyse(
        AnalysisRequest(FrameInput.from_bgr(image, color=False), full_scan=True)
    )
    assert analysis.face_count is not None
    return analysis.face_count


def test_a_live_face_answers_each_new_prompt_once_0_4_to_1_5_s_after_it_appears(cast: Cast) -> None:
    starts = []
    for seed in range(200):
        face = ReactingFace(LiveFace("obama", seed=seed).build(cast))
        reaction = face.see(Prompt(Action.NOD, 0), 10.0)
        assert reaction is not None and reaction.starts_at is not None
        starts.append(reaction.starts_at - 10.0)
    assert min(starts) >= 0.4 and max(starts) <= 1.5, (min(starts), max(starts))

    face = ReactingFace(LiveFace("obama").build(cast))
    assert face.see(Prompt(Action.BLINK, 0), 1.0) is not None
    assert face.see(Prompt(Action.BLINK, 0), 1.2) is None  # still the same prompt on the screen
    assert face.see(Prompt(Action.BLINK, 0, attempt_try=2), 5.0) is not None  # "once more"
    assert face.see(Prompt(Action.BLINK, 0, attempt="seen-2"), 9.0) is not None  # a new attempt
    assert [p.attempt_try for p in face.prompts] == [1, 2, 1]


def test_a_phone_sized_face_passes_the_size_gate_even_when_the_browser_scales_the_video_down(
    cast: Cast,
) -> None:
    frame = LiveFace("biden").build(cast).frame(0.0)
    smaller = cv2.resize(frame, (480, 360), interpolation=cv2.INTER_AREA)
    analysis = shared_analyzer().analyse(
        AnalysisRequest(FrameInput.from_bgr(smaller, color=False), full_scan=True)
    )
    assert analysis.face is not None
    assert analysis.face.measures.eye_distance >= QualityPolicy().min_eye_distance


def test_an_empty_room_shows_nobody_and_a_photo_held_still_ignores_the_prompts(cast: Cast) -> None:
    room = EmptyRoom().build(cast)
    first, second = room.frame(0.0), room.frame(0.0)
    assert faces_in(first) == 0
    assert np.abs(first.astype(int) - second).mean() > 1.0  # sensor noise: never a frozen picture

    # A photo held still moves only with the hand's tremor, as an unprompted one does; a photo that
    # mimics the prompts is turned away from that.
    def largest_change(photo: HeldPhoto) -> float:
        prompted, unprompted = photo.build(cast), HeldPhoto(photo.identity).build(cast)
        prompted.prompt(Action.TURN_LEFT, 1.0)
        times = np.arange(1.0, 4.0, 0.1)
        return max(float(np.abs(prompted.frame(t).astype(int) - unprompted.frame(t)).mean()) for t in times)

    assert largest_change(HeldPhoto("obama", mimics_prompts=False)) < 4.0  # sensor noise only
    assert largest_change(HeldPhoto("obama", mimics_prompts=True)) > 10.0


class _Ticks:
    """A wall clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Scene:
    """Records the camera times it is asked for; starts moving 0.5 s after a prompt."""

    eye_distance = PHONE_EYE_DISTANCE

    def __init__(self) -> None:
        self.times: list[float] = []

    def build(self, cast: Cast) -> _Scene:
        return self

    def frame(self, t: float) -> Image:
        self.times.append(t)
        return np.zeros((FRAME_HEIGHT, FRAME_WIDTH, 3), np.uint8)

    def prompt(self, action: Action, at: float) -> float:
        return at + 0.5


def test_the_camera_clock_follows_the_wall_clock_but_slows_down_with_late_frames() -> None:
    wall = _Ticks()
    scene = _Scene()
    renderer = Renderer(lambda eye_distance: None, wall)  # type: ignore[arg-type,return-value]
    with pytest.raises(RuntimeError, match="Show"):
        renderer.handle(NextFrame())
    renderer.handle(Show(scene))  # type: ignore[arg-type]
    for step in itertools.chain([0.0], [1 / 15] * 15, [2.0] * 3):  # 1 s at 15 frames/s, then stalls
        wall.now += step
        jpeg = renderer.handle(NextFrame())
        assert isinstance(jpeg, str) and base64.b64decode(jpeg).startswith(b"\xff\xd8")
    gaps = np.diff(scene.times)
    assert np.allclose(gaps[:15], 1 / 15)
    assert np.allclose(gaps[15:], MAX_STEP)  # a stall does not skip what the face was doing

    # The page showed a prompt 0.1 s before the renderer hears of it; the face starts 0.5 s after
    # hearing (camera clock), so the first frame showing the movement is 0.65 s after the page showed it.
    last_frame = wall.now
    wall.now += 0.05
    renderer.handle(See(Prompt(Action.NOD, 0), wall.now - 0.1))
    wall.now = last_frame
    for _ in range(8):
        wall.now += 0.1
        renderer.handle(NextFrame())
    report = renderer.handle(Report())
    [reaction] = report.reactions  # type: ignore[attr-defined]
    assert (reaction.action, reaction.index, reaction.attempt_try) == ("nod", 0, 1)
    assert reaction.seconds == pytest.approx(0.65)
    assert report.stretched == 3  # type: ignore[attr-defined]


def test_commands_cross_the_pipe_unchanged() -> None:
    command = See(Prompt(Action.TURN_RIGHT, 2, 2, "seen-1"), 12.5)
    data = pack(command)
    assert int.from_bytes(data[:4], "big") == len(data) - 4
    assert unpack(data[4:]) == command
    assert unpack(pack(Show(LiveFace("biden", seed=3)))[4:]) == Show(LiveFace("biden", seed=3))
