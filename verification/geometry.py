"""Face geometry from 68 landmarks: eye and mouth opening, head pose, and 3-D parallax.

All functions are pure (numpy + ``cv2.solvePnP``) and take landmarks in the iBUG 68-point order that
dlib's shape predictor produces, as a ``(68, 2)`` float array in frame pixels.

Conventions. Frames are what the camera sends, not mirrored: the customer's left side appears on the
right of the image. ``yaw`` is positive when the nose points to the image's right (the customer turned
to *their* left); ``pitch`` is positive when the nose points down (chin down); ``roll`` is positive
clockwise in the image.

Parallax. The eye corners and mouth corners of a face lie roughly in one plane; the nose tip stands
about 3 cm in front of it. ``parallax_u``/``parallax_v`` are the coordinates of the nose tip in the
projective frame of those six points (the homography that takes them to fixed canonical positions).
Any picture of a flat surface — a printed photo or a screen moved, tilted or turned in front of the
camera, at any distance — is a homography of that plane, which leaves these coordinates unchanged. A
real head turning or nodding moves the nose across the frame. Comparing them with the customer's own
baseline separates a turning head from a turning picture.

The eye aspect ratio follows Soukupová & Čech (2016): the two lid-to-lid distances over twice the
corner-to-corner distance, averaged over both eyes.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from verification.measures import (
    INNER_LIP_PAIRS,
    LANDMARK_COUNT,
    LEFT_EYE,
    NOSE_BASE,
    NOSE_TIP,
    RIGHT_EYE,
    FaceMeasures,
    HeadPose,
    Points,
    eye_centres,
)
from verification.measures import (
    point_distance as _distance,
)

__all__ = [
    "LANDMARK_COUNT",
    "LEFT_EYE",
    "RIGHT_EYE",
    "FaceMeasures",
    "HeadPose",
    "as_points",
    "eye_aspect_ratio",
    "eye_centres",
    "head_pose",
    "measure",
    "mouth_opening",
    "parallax",
]


# Generic head model (millimetres, camera axes: x to the image right, y down, z away from the camera,
# origin at the nose tip). Rough adult anthropometry; only changes of pose against the customer's own
# baseline are used, so individual differences mostly cancel.
_MODEL_POINTS: dict[int, tuple[float, float, float]] = {
    30: (0.0, 0.0, 0.0),  # nose tip
    27: (0.0, -44.0, 18.0),  # nasion
    33: (0.0, 10.0, 14.0),  # subnasale
    31: (-13.0, 5.0, 18.0),  # nose wings
    35: (13.0, 5.0, 18.0),
    36: (-45.0, -35.0, 38.0),  # eye corners, outer and inner
    39: (-15.0, -34.0, 28.0),
    42: (15.0, -34.0, 28.0),
    45: (45.0, -35.0, 38.0),
    48: (-25.0, 27.0, 30.0),  # mouth corners
    54: (25.0, 27.0, 30.0),
}
_POSE_INDEXES = tuple(_MODEL_POINTS)
_MODEL = np.array([_MODEL_POINTS[i] for i in _POSE_INDEXES], dtype=np.float64)


def as_points(landmarks: npt.ArrayLike) -> Points:
    """Validate and convert landmarks to a float64 ``(68, 2)`` array."""
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (LANDMARK_COUNT, 2):
        raise ValueError(f"expected (68, 2) landmarks, got shape {points.shape}")
    if not np.isfinite(points).all():
        raise ValueError("landmarks must be finite")
    return points


def eye_aspect_ratio(points: Points, eye: tuple[int, int, int, int, int, int]) -> float:
    """Soukupová & Čech's ratio for one eye: (|p2-p6| + |p3-p5|) / (2 |p1-p4|)."""
    p1, p2, p3, p4, p5, p6 = (points[i] for i in eye)
    width = _distance(p1, p4)
    if width <= 1e-6:
        return 0.0
    return (_distance(p2, p6) + _distance(p3, p5)) / (2.0 * width)


def face_height(points: Points) -> float:
    """Distance from the midpoint of the eye centres to the base of the nose, pixels.

    Neither blinking nor opening the mouth moves these points, and a flat picture tilted or turned
    scales this distance as it scales the eye and mouth openings; so it is the vertical yardstick.
    """
    right, left = eye_centres(points)
    return _distance((right + left) / 2.0, points[NOSE_BASE])


def mouth_opening(points: Points) -> float:
    """Mean inner-lip gap over :func:`face_height`."""
    height = face_height(points)
    if height <= 1e-6:
        return 0.0
    gaps = [_distance(points[a], points[b]) for a, b in INNER_LIP_PAIRS]
    return float(np.mean(gaps)) / height


_FRAME_POINTS = (36, 39, 42, 45, 48, 54)
"""Eye corners and mouth corners: nearly one plane on a real face, and still during blinks."""
_FRAME_CANONICAL = np.array(
    [[-0.75, 0.0], [-0.25, 0.0], [0.25, 0.0], [0.75, 0.0], [-0.4, 1.0], [0.4, 1.0]], dtype=np.float64
)
"""Where those points of a frontal face roughly sit in the parallax frame (eye distance = 1)."""


def parallax(points: Points) -> tuple[float, float, float]:
    """``(u, v, aspect)``: the nose tip in the eyes/mouth projective frame; face height over eye distance.

    The frame is the homography (least squares) taking the four eye corners and the two mouth corners
    to fixed canonical positions. A flat picture seen from any angle, at any distance, is a homography
    of itself, so its nose tip keeps the same canonical coordinates; a real head's nose does not.
    """
    right, left = eye_centres(points)
    norm1 = float(np.hypot(*(left - right)))
    if norm1 < 1e-6:
        return 0.0, 0.0, 0.0
    reference = np.ascontiguousarray(points[list(_FRAME_POINTS)], dtype=np.float64)
    homography, _ = cv2.findHomography(reference, _FRAME_CANONICAL, 0)
    if homography is None:
        return 0.0, 0.0, 0.0
    nose = np.array([[points[NOSE_TIP]]], dtype=np.float64)
    u, v = cv2.perspectiveTransform(nose, homography)[0, 0]
    return float(u), float(v), face_height(points) / norm1


def head_pose(points: Points, frame_width: int, frame_height: int) -> HeadPose:
    """Head orientation from ``cv2.solvePnP`` with a pinhole camera of focal length = frame width."""
    image = np.ascontiguousarray(points[list(_POSE_INDEXES)], dtype=np.float64)
    focal = float(max(frame_width, frame_height))
    camera = np.array(
        [[focal, 0.0, frame_width / 2.0], [0.0, focal, frame_height / 2.0], [0.0, 0.0, 1.0]],
        dtype=np.float64,
    )
    ok, rvec, _tvec = cv2.solvePnP(_MODEL, image, camera, None, flags=cv2.SOLVEPNP_SQPNP)
    if not ok:
        return HeadPose(0.0, 0.0, 0.0)
    rotation, _ = cv2.Rodrigues(rvec)
    # Where the model's "towards the camera" axis (-z) points after rotation gives yaw and pitch.
    forward = rotation @ np.array([0.0, 0.0, -1.0])
    yaw = math.degrees(math.atan2(forward[0], -forward[2]))
    pitch = math.degrees(math.atan2(forward[1], -forward[2]))
    roll = math.degrees(math.atan2(rotation[1, 0], rotation[0, 0]))
    return HeadPose(yaw, pitch, roll)


def measure(landmarks: npt.ArrayLike, frame_width: int, frame_height: int) -> FaceMeasures:
    """All measures of one face."""
    points = as_points(landmarks)
    right, left = eye_centres(points)
    eye_distance = _distance(left, right)
    u, v, aspect = parallax(points)
    ear = (eye_aspect_ratio(points, RIGHT_EYE) + eye_aspect_ratio(points, LEFT_EYE)) / 2.0
    centre = points.mean(axis=0)
    return FaceMeasures(
        eye_ratio=ear,
        mouth_opening=mouth_opening(points),
        pose=head_pose(points, frame_width, frame_height),
        parallax_u=u,
        parallax_v=v,
        aspect=aspect,
        eye_distance=eye_distance,
        center_x=float(centre[0]),
        center_y=float(centre[1]),
    )
