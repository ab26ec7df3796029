"""The synthetic clip generator, checked with the real analyser: what it renders is what it claims.

Every figure here is on synthetic frames.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from tests.support.faces import face_path
from verification.analysis import AnalysisRequest, FrameInput
from verification.challenges import Action
from verification.geometry import FaceMeasures
from verification.synth.attacks import (
    CLIP_FPS,
    LoopAttack,
    PhotoAttack,
    PlanePose,
    RecordedClip,
    StaticInjection,
    script_for,
)
from verification.synth.catalog import Cast
from verification.synth.performer import Behaviour, Performer
from verification.synth.rig import Expression, FaceRig, Image, Pose
from verification.synth.track import SyntheticCameraTrack
from verification.synth.y4m import Y4mWriter, write_scenario
from verification.testing import shared_analyzer


@pytest.fixture(scope="module")
def cast() -> Cast:
    for name in ("obama.jpg", "obama2.jpg", "biden.jpg", "astronaut.png", "t1.jpg"):
        face_path(name)
    return Cast(face_path("obama.jpg").parent, shared_analyzer())


def measures(image: Image) -> FaceMeasures:
    analysis = shared_analyzer().analyse(
        AnalysisRequest(FrameInput.from_bgr(image, color=False), full_scan=True)
    )
    assert analysis.face is not None, "no face found in a synthetic frame"
    return analysis.face.measures


@pytest.mark.parametrize("identity", ["obama", "biden"])
def test_closed_eyelids_lower_the_eye_ratio_and_an_open_mouth_raises_the_lip_gap(
    cast: Cast, identity: str
) -> None:
    rig = cast.rig(identity)
    rest = measures(rig.render(Pose(), Expression()).image)
    closed = measures(rig.render(Pose(), Expression(eyes_closed=1.0)).image)
    opened = measures(rig.render(Pose(), Expression(mouth_open=0.6)).image)
    assert closed.eye_ratio < 0.75 * rest.eye_ratio
    assert opened.mouth_opening - rest.mouth_opening > 0.2


@pytest.mark.parametrize("identity", ["obama", "collins"])
def test_a_turned_or_nodding_rig_shows_parallax_in_the_right_direction(cast: Cast, identity: str) -> None:
    rig = cast.rig(identity)
    rest = measures(rig.render(Pose(), Expression()).image)
    left = measures(rig.render(Pose(yaw=25), Expression()).image)
    right = measures(rig.render(Pose(yaw=-25), Expression()).image)
    down = measures(rig.render(Pose(pitch=15), Expression()).image)
    assert left.parallax_u - rest.parallax_u > 0.08 and left.pose.yaw - rest.pose.yaw > 5
    assert right.parallax_u - rest.parallax_u < -0.08 and right.pose.yaw - rest.pose.yaw < -5
    assert down.parallax_v - rest.parallax_v > 0.05 and down.pose.pitch - rest.pose.pitch > 5


def test_a_printed_photo_turned_in_front_of_the_camera_foreshortens_without_parallax(cast: Cast) -> None:
    attack = PhotoAttack(cast.rig("obama"), seed=2)
    render = attack._plane.render
    rest = measures(render(PlanePose()))
    turned = measures(render(PlanePose(yaw=40)))
    tilted = measures(render(PlanePose(pitch=-30)))
    assert abs(turned.parallax_u - rest.parallax_u) < 0.05
    assert turned.aspect / rest.aspect - 1 > 0.08
    assert abs(tilted.parallax_v - rest.parallax_v) < 0.05
    assert 1 - tilted.aspect / rest.aspect > 0.08


def test_the_same_seed_and_prompts_give_the_same_frames(cast: Cast) -> None:
    def clip(seed: int) -> list[Image]:
        performer = Performer(cast.rig("biden"), seed)
        performer.prompt(Action.OPEN_MOUTH, 0.2)
        return [performer.frame(t) for t in (0.0, 1.0, 1.5)]

    first, again, other = clip(5), clip(5), clip(6)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[2], other[2])


@pytest.mark.parametrize("action", [Action.TURN_LEFT, Action.NOD, Action.OPEN_MOUTH, Action.BLINK])
def test_a_slower_performer_takes_longer_for_the_same_movement(cast: Cast, action: Action) -> None:
    def movement(behaviour: Behaviour) -> tuple[float, float]:
        """When the movement starts and how long it is at least half done (same seed: same draws)."""
        performer = Performer(cast.rig("biden"), 3, behaviour)
        starts = performer.prompt(action, 1.0)
        times = np.arange(starts, starts + 8.0, 0.01)
        levels = np.array([_level(performer, action, t) for t in times])
        half = times[levels >= 0.5 * levels.max()]
        return starts, float(half.max() - half.min())

    usual_start, usual = movement(Behaviour(blink_rate=0.001))
    slow_start, slow = movement(Behaviour(blink_rate=0.001, motion_time_scale=2.0, blink_hold=(0.5, 0.5)))
    assert slow_start == usual_start  # the reaction is the same
    assert slow > usual * (1.3 if action is Action.BLINK else 1.9)


def _level(performer: Performer, action: Action, t: float) -> float:
    """How far ``action`` is done at ``t`` (head angles include the idle sway, a few times smaller)."""
    pose, expression = performer.pose(t)
    if action is Action.BLINK:
        return expression.eyes_closed
    if action is Action.OPEN_MOUTH:
        return expression.mouth_open
    return abs(pose.pitch if action is Action.NOD else pose.yaw)


def test_a_live_performer_never_shows_the_same_frame_twice(cast: Cast) -> None:
    performer = Performer(cast.rig("biden"), 1)
    a, b = performer.frame(1.0), performer.frame(1.0)
    assert not np.array_equal(a, b)  # fresh sensor noise


def test_a_looped_recording_repeats_frames_exactly_and_a_static_injection_never_changes(cast: Cast) -> None:
    rng = np.random.default_rng(0)
    clip = RecordedClip(cast.rig("biden"), 3, script_for([Action.BLINK], rng), key="test")
    loop = LoopAttack(clip, start=0.5, length=1.0)
    assert np.array_equal(loop.frame(0.1), loop.frame(1.1))
    assert not np.array_equal(loop.frame(0.1), loop.frame(0.2))
    assert loop.source(0.1) == loop.source(1.1) == ("test", 15 + 3)
    still = StaticInjection(clip, 10)
    assert np.array_equal(still.frame(0.0), still.frame(5.0))
    assert clip.sequence == (Action.BLINK,)
    assert CLIP_FPS == 30


def test_clips_are_written_as_y4m_for_chromiums_fake_camera(cast: Cast, tmp_path: Path) -> None:
    performer = Performer(cast.rig("obama"), 2)
    path = write_scenario(performer.frame, 0.2, tmp_path / "clip.y4m", fps=30)
    data = path.read_bytes()
    header = b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n"
    assert data.startswith(header)
    assert len(data) == len(header) + 6 * (len(b"FRAME\n") + 640 * 480 * 3 // 2)
    with pytest.raises(ValueError, match="even"):
        Y4mWriter(tmp_path / "odd.y4m", 641, 480)


def test_the_synthetic_camera_track_sends_frames_with_increasing_timestamps(cast: Cast) -> None:
    rig: FaceRig = cast.rig("obama")
    performer = Performer(rig, 4)

    async def receive() -> list[int]:
        track = SyntheticCameraTrack(performer.frame, fps=30)
        frames = [await track.recv() for _ in range(3)]
        track.stop()
        assert all((f.width, f.height) == (640, 480) for f in frames)
        return [f.pts for f in frames]

    pts = asyncio.run(receive())
    # 30 fps on a 90 kHz clock; a late consumer makes the track skip frame times, never repeat them.
    assert pts[0] == 0 and all(p % 3000 == 0 for p in pts) and pts == sorted(set(pts))
