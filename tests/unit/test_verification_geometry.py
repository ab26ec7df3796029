"""Face geometry: eye ratio, mouth opening, head pose signs, and parallax that a flat picture cannot fake."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from verification import geometry
from verification.geometry import as_points, eye_aspect_ratio, head_pose, measure, parallax

# A rough frontal 68-point face, 3-D (mm; x right, y down, z away from the camera, nose tip at 0).
# Built from a few anchor points so that every landmark exists; only the points the functions read matter.
_FACE_3D = np.zeros((68, 3))
_FACE_3D[0:17] = [
    (x, y, 60.0 - abs(x) * 0.2)
    for x, y in zip(
        np.linspace(-70, 70, 17),
        [-35, -15, 5, 25, 42, 55, 63, 68, 70, 68, 63, 55, 42, 25, 5, -15, -35],
        strict=True,
    )
]
_FACE_3D[17:27] = [(x, -55.0, 25.0) for x in np.linspace(-50, 50, 10)]
_FACE_3D[27:31] = [(0.0, -44.0, 18.0), (0.0, -30.0, 12.0), (0.0, -15.0, 6.0), (0.0, 0.0, 0.0)]
_FACE_3D[31:36] = [
    (-13.0, 5.0, 18.0),
    (-7.0, 8.0, 15.0),
    (0.0, 10.0, 14.0),
    (7.0, 8.0, 15.0),
    (13.0, 5.0, 18.0),
]
_FACE_3D[36:42] = [
    (-45, -35, 38),
    (-35, -40, 33),
    (-25, -40, 31),
    (-15, -34, 28),
    (-25, -30, 31),
    (-35, -30, 33),
]
_FACE_3D[42:48] = [(15, -34, 28), (25, -40, 31), (35, -40, 33), (45, -35, 38), (35, -30, 33), (25, -30, 31)]
_FACE_3D[48:60] = [
    (-25, 27, 30), (-15, 24, 26), (-6, 22, 24), (0, 23, 23), (6, 22, 24), (15, 24, 26),
    (25, 27, 30), (15, 32, 26), (6, 35, 24), (0, 35, 23), (-6, 35, 24), (-15, 32, 26),
]  # fmt: skip
_FACE_3D[60:68] = [
    (-20, 28, 30),
    (-10, 27, 30),
    (0, 27, 30),
    (10, 27, 30),
    (20, 28, 30),
    (10, 29, 30),
    (0, 29, 30),
    (-10, 29, 30),
]


def _project(points: np.ndarray, yaw: float = 0.0, pitch: float = 0.0, distance: float = 500.0) -> np.ndarray:
    y, p = math.radians(yaw), math.radians(pitch)
    ry = np.array([[math.cos(y), 0, -math.sin(y)], [0, 1, 0], [math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rotated = points @ (ry @ rx).T + [0, 0, distance]
    return rotated[:, :2] / rotated[:, 2:] * 640 + [320, 240]


FRONTAL = _project(_FACE_3D)


def test_landmarks_must_be_68_finite_points() -> None:
    with pytest.raises(ValueError, match="68"):
        as_points(np.zeros((5, 2)))
    bad = FRONTAL.copy()
    bad[3, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        as_points(bad)


def test_the_eye_aspect_ratio_is_lid_distance_over_twice_the_eye_width() -> None:
    points = np.zeros((68, 2))
    points[36:42] = [(0, 0), (3, -2), (7, -2), (10, 0), (7, 2), (3, 2)]
    assert eye_aspect_ratio(points, geometry.RIGHT_EYE) == pytest.approx((4 + 4) / (2 * 10))
    points[[37, 38]] = [(3, 1.9), (7, 1.9)]  # lids closed onto the lower lid
    assert eye_aspect_ratio(points, geometry.RIGHT_EYE) == pytest.approx(0.01)


def test_head_pose_signs_follow_the_customers_own_left_and_chin_down() -> None:
    assert head_pose(FRONTAL, 640, 480).yaw == pytest.approx(0.0, abs=2)
    left = head_pose(_project(_FACE_3D, yaw=20), 640, 480)
    assert left.yaw == pytest.approx(20, abs=3)
    assert head_pose(_project(_FACE_3D, yaw=-20), 640, 480).yaw == pytest.approx(-20, abs=3)
    assert head_pose(_project(_FACE_3D, pitch=12), 640, 480).pitch == pytest.approx(12, abs=3)


@pytest.mark.parametrize("seed", range(6))
def test_a_flat_picture_seen_from_any_angle_keeps_its_nose_in_place(seed: int) -> None:
    """Any view of a flat surface is a homography; the parallax coordinates do not change under it."""
    rng = np.random.default_rng(seed)
    corners = np.float32([[0, 0], [640, 0], [640, 480], [0, 480]])
    moved = corners + rng.uniform(-120, 120, size=(4, 2)).astype(np.float32)
    h = cv2.getPerspectiveTransform(corners, moved)
    warped = cv2.perspectiveTransform(FRONTAL.reshape(-1, 1, 2).astype(np.float64), h).reshape(-1, 2)
    u0, v0, _ = parallax(FRONTAL)
    u1, v1, _ = parallax(warped)
    assert (u1, v1) == pytest.approx((u0, v0), abs=1e-4)


def test_a_real_head_turning_moves_its_nose_across_the_eye_line() -> None:
    u0, v0, aspect0 = parallax(FRONTAL)
    u_left, _, aspect_left = parallax(_project(_FACE_3D, yaw=20))
    u_right, _, _ = parallax(_project(_FACE_3D, yaw=-20))
    assert u_left - u0 > 0.08
    assert u_right - u0 < -0.08
    assert aspect_left > aspect0  # turning also foreshortens the eye line
    _, v_down, _ = parallax(_project(_FACE_3D, pitch=12))
    assert v_down - v0 > 0.05


def test_the_mouth_opening_is_measured_against_the_face_height() -> None:
    closed = measure(FRONTAL, 640, 480)
    opened_points = FRONTAL.copy()
    opened_points[[65, 66, 67]] += [0, 20]
    opened = measure(opened_points, 640, 480)
    height = np.hypot(*((FRONTAL[39] + FRONTAL[36] + FRONTAL[42] + FRONTAL[45]) / 4 - FRONTAL[33]))
    assert opened.mouth_opening - closed.mouth_opening == pytest.approx(20 / height, rel=0.02)
    # Squashing the whole picture vertically (a tilted photo) leaves it unchanged.
    squashed = FRONTAL * [1.0, 0.8]
    assert measure(squashed, 640, 480).mouth_opening == pytest.approx(closed.mouth_opening, rel=1e-6)
    assert measure(squashed, 640, 480).aspect == pytest.approx(closed.aspect * 0.8, rel=1e-6)
