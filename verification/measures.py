"""What the decision logic reads from one face: measures computed from its 68 landmarks.

Plain values and landmark indices only (numpy, no OpenCV): :mod:`verification.geometry` computes them
with OpenCV, the decision core (:mod:`verification.attempt` and its helpers) reads them, so the core
imports without the face-analysis libraries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Points = npt.NDArray[np.float64]
"""An ``(N, 2)`` array of image points (x, y) in pixels."""

LANDMARK_COUNT = 68

JAW = range(0, 17)
RIGHT_EYE = (36, 37, 38, 39, 40, 41)
"""The customer's right eye (image left): outer corner, two upper-lid points, inner corner, two lower."""
LEFT_EYE = (42, 43, 44, 45, 46, 47)
NOSE_TIP = 30
NOSE_BASE = 33
MOUTH_CORNERS = (48, 54)
INNER_LIP_PAIRS = ((61, 67), (62, 66), (63, 65))
"""Upper/lower inner-lip points facing each other."""


@dataclass(frozen=True, slots=True)
class HeadPose:
    """Head orientation in degrees (see the module docstring for signs)."""

    yaw: float
    """Left/right turn; positive: the customer turned to their left (nose to the image right)."""
    pitch: float
    """Up/down; positive: chin down."""
    roll: float
    """In-plane tilt; positive: clockwise in the image."""


@dataclass(frozen=True, slots=True)
class FaceMeasures:
    """Everything the decision logic reads from one frame's landmarks."""

    eye_ratio: float
    """Eye aspect ratio averaged over both eyes (open ≈ 0.25-0.35, closed ≈ 0.1)."""
    mouth_opening: float
    """Mean inner-lip gap over the face height (eyes to nose base); closed ≈ 0, wide open ≈ 0.5+."""
    pose: HeadPose
    """Head orientation from ``cv2.solvePnP`` against a generic head model."""
    parallax_u: float
    """Nose tip across the eye line in the projective face frame, eye distances (0 ≈ centred)."""
    parallax_v: float
    """Nose tip along the eyes-to-mouth axis in the projective face frame, its lengths (≈ 0.5-0.7)."""
    aspect: float
    """Face height (eyes to nose base) over eye-centre distance; a tilted or turned face flattens it."""
    eye_distance: float
    """Distance between the eye centres, in pixels (face size for the quality gate)."""
    center_x: float
    """Mean landmark x, in pixels."""
    center_y: float
    """Mean landmark y, in pixels."""


def point_distance(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    """Distance between two image points."""
    return float(np.hypot(*(a - b)))


def eye_centres(points: Points) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Centres of the (image-left, image-right) eyes from their corners only (stable during blinks)."""
    right = (points[RIGHT_EYE[0]] + points[RIGHT_EYE[3]]) / 2.0
    left = (points[LEFT_EYE[0]] + points[LEFT_EYE[3]]) / 2.0
    return right, left
