"""Passive checks on their own: static runs, loops, track jumps and losses, extra faces, identity spread."""

from __future__ import annotations

import numpy as np
import pytest

from verification.passive import FaceCountCheck, LoopCheck, StaticCheck, TrackCheck, identity_spread
from verification.policy import PassivePolicy
from verification.reasons import Reason
from verification.testing import embedding, face_measures, frame, moved, thumbnail

POLICY = PassivePolicy()
FPS = 15


def test_a_picture_that_stays_identical_for_a_second_is_static() -> None:
    check = StaticCheck(POLICY)
    still = thumbnail(seed=1)
    results = [check.update(k / FPS, frame(picture=still)) for k in range(20)]
    first = next(k for k, r in enumerate(results) if r is Reason.STATIC_FRAMES)
    assert first == FPS  # one second after the run started
    assert check.longest_run == pytest.approx(19 / FPS)  # it keeps measuring the run


def test_a_faint_change_below_the_threshold_is_still_static_but_noise_is_not() -> None:
    still = thumbnail(seed=1)
    faint = StaticCheck(POLICY)
    assert any(faint.update(k / FPS, frame(picture=still + 0.05 * (k % 2))) for k in range(20))
    rng = np.random.default_rng(0)
    noisy = StaticCheck(POLICY)
    pictures = [still + rng.normal(0, 1.0, still.shape).astype(np.float32) for _ in range(40)]
    assert not any(noisy.update(k / FPS, frame(picture=p)) for k, p in enumerate(pictures))


def test_frames_repeating_at_one_lag_are_a_loop() -> None:
    check = LoopCheck(POLICY, FPS)
    cycle = [thumbnail(seed=10 + i) for i in range(20)]  # a 1.33 s loop
    results = [check.update(k / FPS, frame(picture=cycle[k % len(cycle)])) for k in range(60)]
    first = next(k for k, r in enumerate(results) if r is Reason.LOOPED_VIDEO)
    assert first == len(cycle) + POLICY.loop_repeats - 1
    assert check.repeats >= POLICY.loop_repeats


def test_live_video_never_repeats_itself() -> None:
    check = LoopCheck(POLICY, FPS)
    assert not any(check.update(k / FPS, frame()) for k in range(200))
    assert check.repeats == 0


def test_a_frozen_picture_is_not_counted_as_a_loop() -> None:
    check = LoopCheck(POLICY, FPS)
    still = thumbnail(seed=3)
    assert not any(check.update(k / FPS, frame(picture=still)) for k in range(60))


def test_the_track_breaks_on_a_jump_or_a_sudden_size_change_once_armed() -> None:
    base = face_measures()
    check = TrackCheck(POLICY)
    assert check.update(0.0, frame(base)) is None
    assert check.update(1 / FPS, frame(moved(base, center_x=base.center_x + 200))) is None  # not armed yet
    check.armed = True
    assert check.update(2 / FPS, frame(moved(base, center_x=base.center_x + 210))) is None
    assert check.update(3 / FPS, frame(moved(base, center_x=base.center_x + 400))) is Reason.FACE_TRACK_BROKEN
    sized = TrackCheck(POLICY)
    sized.armed = True
    sized.update(0.0, frame(base))
    assert (
        sized.update(1 / FPS, frame(moved(base, eye_distance=base.eye_distance * 1.5)))
        is Reason.FACE_TRACK_BROKEN
    )


def test_a_face_lost_too_long_fails_and_a_returning_face_is_flagged_for_a_keyframe() -> None:
    check = TrackCheck(POLICY)
    check.armed = True
    check.update(0.0, frame())
    assert check.update(1.0, frame(face=False)) is None
    assert check.update(2.0, frame()) is None
    assert check.reacquired
    assert check.update(3.0, frame(face=False)) is None
    assert check.update(4.6, frame(face=False)) is Reason.FACE_LOST
    assert check.longest_loss == pytest.approx(1.6)


def test_two_scans_with_a_second_face_fail() -> None:
    check = FaceCountCheck(POLICY)
    assert check.update(frame(face_count=1)) is None
    assert check.update(frame(face_count=2)) is None
    assert check.update(frame()) is None  # no scan on this frame
    assert check.update(frame(face_count=3)) is Reason.MULTIPLE_FACES


def test_identity_spread_is_the_largest_distance_to_the_medoid() -> None:
    a = embedding(1)
    same = [embedding(k, near=a, distance=0.1) for k in range(4)]
    spread = identity_spread(same)
    assert spread.largest < 0.25
    mixed = identity_spread([*same, embedding(9)])
    assert mixed.largest > 0.5
    assert mixed.medoid < 4
    assert identity_spread([]).largest == 0.0
